// JSON-RPC 2.0 with one MCP server over a Transport: requests matched to
// their responses by id, each with a timeout and a cancel flag (either one
// sends notifications/cancelled, as the spec asks), progress notifications
// routed to the request that asked for them (and extending its timeout),
// the server's own requests answered (ping; anything else MethodNotFound,
// since cadre declares no client capabilities), and everything pending
// failed at once — not at its timeout — when the transport closes.
//
// Thread safety: request(), notify() and close() may be called from any
// thread, concurrently. The notification handler runs on the transport's
// thread and must not call request() (the answer would arrive on the very
// thread it blocks).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/mcp/transport.hpp"
#include "support/expected.hpp"

namespace cadre::mcp {

struct RequestOptions {
  int timeoutMs = 60000;
  // Progress resets the timeout, but the whole request never lasts longer
  // than this (0: ten times timeoutMs).
  int maxTotalMs = 0;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const nlohmann::json& progress)> onProgress;
};

class Session {
 public:
  using NotificationHandler = std::function<void(const std::string& method, const nlohmann::json& params)>;
  using CloseHandler = std::function<void(const Error& why)>;

  Session(std::string serverName, std::unique_ptr<Transport> transport);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Handlers are set before start().
  void onNotification(NotificationHandler handler) { onNotification_ = std::move(handler); }
  void onClose(CloseHandler handler) { onClose_ = std::move(handler); }
  Expected<void> start();

  // The result, or: the server's JSON-RPC error (its code, its message
  // prefixed with the server's name), Timeout, RequestCancelled, or
  // Unavailable when the connection closed (with why).
  Expected<nlohmann::json> request(const std::string& method, nlohmann::json params, const RequestOptions& options);
  Expected<void> notify(const std::string& method, nlohmann::json params);

  void close();
  // Why the connection closed, once it has.
  std::optional<Error> closed() const;
  Transport& transport() { return *transport_; }

 private:
  struct Pending {
    std::optional<Expected<nlohmann::json>> result;
    std::string progressToken;
    std::function<void(const nlohmann::json&)> onProgress;
    std::chrono::steady_clock::time_point lastActivity;
  };

  void onMessage(std::string body);
  void onClosed(Error why);
  void send(const std::string& body);

  std::string name_;
  std::unique_ptr<Transport> transport_;
  NotificationHandler onNotification_;
  CloseHandler onClose_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::int64_t, std::shared_ptr<Pending>> pending_;
  std::map<std::string, std::shared_ptr<Pending>> byToken_;
  std::int64_t nextId_ = 1;
  std::optional<Error> closed_;
};

// "2 s", "0.5 s": a timeout in milliseconds as error messages show it.
std::string secondsText(int ms);

}  // namespace cadre::mcp
