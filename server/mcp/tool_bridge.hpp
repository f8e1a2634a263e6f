// MCP servers' tools as agent tools: each offered as `server__tool` in a
// ToolRegistry, with the server's schema, so the agent (and cadre/tools.*)
// sees them like its own. The registry's dispatcher checks the role and mode
// against conservative ToolNeeds and audits the call; the tool function
// here then checks path-like arguments with the Gate (deny-list, roots),
// asks for approval like a command unless the user's config allow-lists the
// tool, and only then sends tools/call. docs/mcp.md is the user's view.
#pragma once

#include <memory>

#include "server/agent/tools.hpp"
#include "server/mcp/manager.hpp"

namespace cadre::mcp {

// What an MCP tool declares to the Gate. Read-only only when the user's
// config says so (readOnlyTools); otherwise it may write and runs code
// cadre cannot see (runsProcess), so read-only roles and modes refuse it.
security::ToolNeeds toolNeeds(const ServerConfig& config, const ToolInfo& tool);

// Adds every tool each server offers (and every tool it lost, which then
// answers that it is gone). Call again on a new registry when
// manager->generation() changes.
void registerTools(agent::ToolRegistry& registry, std::shared_ptr<Manager> manager);

// The text a model reads for a tools/call result: text parts as they are,
// other parts described ("[image: image/png, 12 KB]"), capped.
agent::ToolOutput toToolOutput(const std::string& server, const std::string& tool, const nlohmann::json& result);

}  // namespace cadre::mcp
