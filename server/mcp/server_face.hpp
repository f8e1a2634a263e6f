// cadre as an MCP server (`cadre mcp serve`): newline-delimited JSON-RPC on
// a pair of file descriptors, the lifecycle with version negotiation, ping,
// tools/list and tools/call over a ToolRegistry (so every call passes the
// Gate and is audited like a model's), and notifications/cancelled. Calls
// run on worker threads, so ping and cancellation are answered while a long
// one runs. Tools left out of the registry on purpose (they write or run
// processes, and an MCP host gives cadre no one to approve them) are
// refused by name with the reason, not reported as unknown.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "server/agent/tools.hpp"

namespace cadre::mcp {

struct FaceOptions {
  std::string name = "cadre";
  std::string version = "0";
  std::string instructions;
  std::map<std::string, std::string> refused;  // tool name → why it is not offered here
  int maxConcurrentCalls = 4;
  std::size_t maxMessageBytes = 16u << 20;
};

// Makes the context a call runs in; `client` is the host's clientInfo.name.
using ContextFactory = std::function<agent::ToolContext(const std::string& client, const std::atomic<bool>* cancel)>;

// Serves until `in` reaches EOF (or `out` breaks). Returns 0 on a clean end.
int serveMcp(int in, int out, const agent::ToolRegistry& tools, const ContextFactory& context, const FaceOptions& options);

}  // namespace cadre::mcp
