// One MCP server's lifecycle as cadre sees it: connect (the transport comes
// from a factory: a sandboxed process through the Gate, or HTTP),
// initialize with version negotiation, list tools (every page), resources
// and prompts where offered, follow list_changed notifications, call tools
// with a timeout, and recover: a server that crashed, hung or broke the
// protocol is marked failed with the reason and restarted with exponential
// backoff. Tools a server stopped offering are remembered as lost, so a
// caller gets "no longer offered" rather than a tool that silently vanished.
//
// Thread safety: every public method may be called from any thread.
// Connecting and restarting are serialized; calls run concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/mcp/server_config.hpp"
#include "server/mcp/session.hpp"

namespace cadre::mcp {

// Protocol revisions cadre speaks, newest first: it asks for the first and
// accepts any of them in the server's answer (docs/mcp.md).
inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

enum class ServerState { Stopped, Starting, Ready, Failed, Disabled };
const char* toString(ServerState state);

struct ToolInfo {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::json inputSchema = nlohmann::json::object();
  nlohmann::json annotations = nlohmann::json::object();  // hints from the server: never trusted to loosen a check
};

struct ServerStatus {
  std::string name;
  ServerState state = ServerState::Stopped;
  std::string error;  // why it failed (or the last failure before it recovered)
  std::string protocolVersion;
  nlohmann::json serverInfo = nlohmann::json::object();
  nlohmann::json capabilities = nlohmann::json::object();
  std::string instructions;
  std::vector<ToolInfo> tools;
  std::vector<std::string> lostTools;  // offered once, gone since (restart or list change)
  nlohmann::json resources = nlohmann::json::array();
  nlohmann::json resourceTemplates = nlohmann::json::array();
  nlohmann::json prompts = nlohmann::json::array();
  std::vector<std::string> notes;  // listings that failed, pages cut off …
  int failures = 0;                // in a row
  int restarts = 0;
  std::int64_t retryInMs = 0;      // failed: when the next restart may happen
};

struct ClientOptions {
  int restartBaseMs = 1000;   // first backoff; doubles per failure in a row
  int restartMaxMs = 60000;
  int pingTimeoutMs = 3000;   // after a call timed out: is the server still alive?
  std::string clientName = "cadre";
  std::string clientVersion = "0";
};

struct CallOptions {
  int timeoutMs = 0;  // 0: the server's callTimeoutMs
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const nlohmann::json& progress)> onProgress;
};

class Client {
 public:
  using TransportFactory = std::function<Expected<std::unique_ptr<Transport>>(const ServerConfig&)>;

  Client(ServerConfig config, TransportFactory factory, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects and initializes; on failure the client is Failed with the
  // reason and a backoff, and the error is returned.
  Expected<void> start();
  void stop();
  // Restarts a failed server whose backoff has passed and refreshes lists
  // that changed. Returns true when the tool list changed. Called by the
  // manager's watchdog; cheap when there is nothing to do.
  bool maintain();

  // tools/call. The result object as the server sent it ({content,
  // structuredContent, isError}). A server that is down is restarted first
  // when its backoff allows; a call that times out is cancelled, and the
  // server restarted if it no longer answers ping.
  Expected<nlohmann::json> callTool(const std::string& tool, const nlohmann::json& arguments, const CallOptions& options = {});
  Expected<nlohmann::json> ping(int timeoutMs);

  ServerStatus status() const;
  // The tail of what the running server wrote on stderr (stdio only).
  std::string stderrTail() const;
  const ServerConfig& config() const { return config_; }
  // Bumped whenever the tool list changes.
  std::uint64_t toolsGeneration() const { return toolsGeneration_.load(); }
  // Called (on an internal thread) when the server announced a list change
  // or went down: the owner's watchdog should call maintain() soon.
  void setWakeup(std::function<void()> wake);

 private:
  Expected<void> connect();
  Expected<void> refreshTools(Session& session);
  void refreshOthers(Session& session);
  void markFailed(std::shared_ptr<Session> session, const std::string& why);
  std::shared_ptr<Session> liveSession();
  std::int64_t backoffMs() const;

  ServerConfig config_;
  TransportFactory factory_;
  ClientOptions options_;
  std::mutex connectMu_;  // one connect at a time
  mutable std::mutex mu_;
  std::shared_ptr<Session> session_;
  ServerStatus status_;
  std::vector<std::string> everOffered_;
  std::chrono::steady_clock::time_point failedAt_{}, readySince_{};
  std::atomic<bool> toolsStale_{false}, othersStale_{false};
  std::atomic<std::uint64_t> toolsGeneration_{0};
  std::function<void()> wake_;
};

}  // namespace cadre::mcp
