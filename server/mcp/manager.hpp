// All of a session's MCP servers: one Client each, their transports made
// through security (a stdio server is a process the Gate starts in the
// sandbox; an HTTP server is an egress `security.localOnly` must allow; a
// server a *project* defines is put to the user before it starts), and a
// watchdog thread that restarts failed servers when their backoff is over
// and refreshes lists a server said changed.
//
// Thread safety: every public method may be called from any thread. The
// Gate must outlive the Manager.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/mcp/client.hpp"
#include "server/security/gate.hpp"

namespace cadre::mcp {

struct ManagerOptions {
  bool localOnly = false;  // security.localOnly
  ClientOptions client;
  StdioLimits stdio;
  EnvLookup env;           // where ${VAR} comes from (default: the environment)
  int watchdogTickMs = 250;
};

class Manager {
 public:
  Manager(std::vector<ServerConfig> servers, security::Gate& gate, ManagerOptions options = {});
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Starts every enabled server at once and waits for all of them (each
  // within its startup timeout), then keeps them up from the watchdog.
  // Servers that fail are reported by status(), not here.
  void startAll();
  void stopAll();

  std::vector<ServerStatus> status() const;
  std::shared_ptr<Client> client(std::string_view server) const;

  struct ToolRef {
    std::shared_ptr<Client> client;
    std::string tool;  // the server's own name for it
  };
  // `server__tool` (as qualifiedToolName makes it) → its client and tool;
  // lost tools resolve too, so the caller hears that they are gone.
  std::optional<ToolRef> resolve(std::string_view qualified) const;
  // Changes whenever some server's tool list changes.
  std::uint64_t generation() const;

 private:
  Expected<std::unique_ptr<Transport>> makeTransport(const ServerConfig& config);
  Expected<void> approveProjectServer(const ServerConfig& config, const std::string& what);
  void watchdog();
  void wake();

  security::Gate& gate_;
  ManagerOptions options_;
  std::vector<std::shared_ptr<Client>> clients_;
  mutable std::mutex mu_;
  std::set<std::string> approved_;  // project servers the user let start in this session
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  std::thread watchdog_;
};

}  // namespace cadre::mcp
