// See tool_bridge.hpp. The order of checks in a call is the Gate's own:
// role and mode (ToolRegistry::call, from toolNeeds), then paths (refused
// before anyone is asked), then the user's approval, then the server.
#include "server/mcp/tool_bridge.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/mcp/path_arguments.hpp"

namespace cadre::mcp {

using json = nlohmann::json;

namespace {

// What a model reads from one call: more costs its whole context.
constexpr std::size_t kMaxOutputText = 256 * 1024;
// What an approval prompt shows of the arguments.
constexpr std::size_t kMaxShownArguments = 2000;

bool listed(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end() ||
         std::find(list.begin(), list.end(), "*") != list.end();
}

std::string sizeText(std::size_t bytes) {
  if (bytes < 10 * 1024) return std::to_string(bytes) + " bytes";
  return std::to_string(bytes / 1024) + " KB";
}

Expected<void> checkPaths(const std::string& qualified, const ServerConfig& config, const std::string& tool, const json& args,
                          agent::ToolContext& ctx) {
  const bool readOnly = listed(config.readOnlyTools, tool);
  for (const auto& p : pathArguments(args)) {
    const std::string why = "the MCP tool " + qualified + " names it in its argument " + (p.where.empty() ? "/" : p.where);
    if (p.kind == PathArgument::Kind::Word) {
      // Free text: only a deny-listed name stops the call (the Gate refuses
      // and audits it); ordinary words are not put to the user.
      auto c = ctx.gate.policy().check(p.value, security::PathAccess::Read);
      if (c.refusal != security::PathRefusal::Denied) continue;
    }
    auto access = readOnly ? security::PathAccess::Read : security::PathAccess::Write;
    if (p.kind == PathArgument::Kind::Word) access = security::PathAccess::Read;
    auto checked = ctx.gate.authorizePath(ctx.actor, p.value, access, why, ctx.cancel);
    if (!checked) {
      Error e = checked.error();
      e.message = qualified + ": argument " + (p.where.empty() ? "/" : p.where) + ": " + e.message;
      return e;
    }
  }
  return {};
}

Expected<agent::ToolOutput> callMcpTool(const std::shared_ptr<Manager>& manager, const std::string& server, const std::string& tool,
                                        const std::string& qualified, const json& args, agent::ToolContext& ctx) {
  auto client = manager->client(server);
  if (!client) return makeError(ErrorCode::MethodNotFound, "no MCP server named '" + server + "'");
  const ServerConfig& config = client->config();
  if (auto ok = checkPaths(qualified, config, tool, args, ctx); !ok) return ok.error();

  security::ExternalAction action;
  std::string shown = args.dump(-1, ' ', false, json::error_handler_t::replace);
  if (shown.size() > kMaxShownArguments) shown = shown.substr(0, kMaxShownArguments) + "… (" + sizeText(shown.size()) + " in all)";
  action.display = "mcp " + qualified + " " + shown;
  action.rule = "mcp-tool:" + server + "/" + tool;
  action.ruleLabel = "every call of the MCP tool " + qualified;
  action.why = "a call of the tool '" + tool + "' of the MCP server '" + server + "' (" + describe(config) + ")";
  // A project's servers are always sandboxed; an HTTP server runs nothing here.
  action.sandboxed = config.transport == TransportKind::Http || config.sandbox || config.fromProject;
  action.network = config.transport == TransportKind::Http || (config.network && !config.fromProject);
  action.preApproved = !config.fromProject && listed(config.autoApprove, tool);
  if (auto ok = ctx.gate.approveExternal(ctx.actor, action, ctx.cancel); !ok) return ok.error();

  CallOptions options;
  options.cancel = ctx.cancel;
  options.onProgress = [qualified](const json& p) {
    spdlog::debug("MCP tool {} progress: {}", qualified, p.dump(-1, ' ', false, json::error_handler_t::replace));
  };
  auto result = client->callTool(tool, args, options);
  if (!result) return result.error();
  return toToolOutput(server, tool, *result);
}

}  // namespace

security::ToolNeeds toolNeeds(const ServerConfig& config, const ToolInfo& tool) {
  security::ToolNeeds needs;
  needs.readsFiles = true;
  needs.network = config.transport == TransportKind::Http || config.network;
  if (!listed(config.readOnlyTools, tool.name)) needs.runsProcess = true;
  return needs;
}

agent::ToolOutput toToolOutput(const std::string& server, const std::string& tool, const json& result) {
  agent::ToolOutput out;
  out.isError = result.value("isError", false) == true;
  const json content = result.contains("content") && result["content"].is_array() ? result["content"] : json::array();
  for (const auto& part : content) {
    if (!part.is_object()) continue;
    const std::string type = part.value("type", "");
    std::string piece;
    if (type == "text" && part.contains("text") && part["text"].is_string()) {
      piece = part["text"].get<std::string>();
    } else if (type == "image" || type == "audio") {
      const std::size_t bytes = part.contains("data") && part["data"].is_string() ? part["data"].get<std::string>().size() * 3 / 4 : 0;
      piece = "[" + type + ": " + part.value("mimeType", std::string("unknown type")) + ", " + sizeText(bytes) + "]";
    } else if (type == "resource" && part.contains("resource") && part["resource"].is_object()) {
      const json& r = part["resource"];
      piece = "[resource " + r.value("uri", std::string()) + "]";
      if (r.contains("text") && r["text"].is_string()) piece += "\n" + r["text"].get<std::string>();
      else piece += " (binary, " + r.value("mimeType", std::string("unknown type")) + ")";
    } else if (type == "resource_link") {
      piece = "[resource link: " + part.value("uri", std::string()) + (part.contains("name") ? " " + part.value("name", std::string()) : "") + "]";
    } else {
      piece = "[" + (type.empty() ? std::string("unknown") : type) + " content]";
    }
    if (!out.text.empty()) out.text += "\n";
    out.text += piece;
  }
  if (content.empty() && result.contains("structuredContent"))
    out.text = result["structuredContent"].dump(2, ' ', false, json::error_handler_t::replace);
  if (out.text.size() > kMaxOutputText) {
    const std::size_t more = out.text.size() - kMaxOutputText;
    out.text.resize(kMaxOutputText);
    out.text += "\n[truncated: " + sizeText(more) + " more]";
  }
  out.data = {{"server", server}, {"tool", tool}, {"content", content}, {"isError", out.isError}};
  if (result.contains("structuredContent")) out.data["structuredContent"] = result["structuredContent"];
  return out;
}

void registerTools(agent::ToolRegistry& registry, std::shared_ptr<Manager> manager) {
  for (const auto& status : manager->status()) {
    auto client = manager->client(status.name);
    if (!client) continue;
    const ServerConfig& config = client->config();
    auto add = [&](const ToolInfo& tool, bool lost) {
      const std::string qualified = qualifiedToolName(status.name, tool.name);
      if (registry.find(qualified)) {
        spdlog::warn("MCP tool {} is offered twice (two names map to the same tool name); the first is kept", qualified);
        return;
      }
      agent::ToolSpec spec;
      spec.name = qualified;
      std::string text = lost ? "(no longer offered by the server)" : tool.description.empty() ? tool.title : tool.description;
      if (text.size() > 2000) text = text.substr(0, 2000) + "…";
      spec.description = "[MCP server '" + status.name + "'] " + text;
      spec.inputSchema = tool.inputSchema;
      spec.needs = toolNeeds(config, tool);
      registry.add(std::move(spec), [manager, server = status.name, name = tool.name, qualified](const json& args, agent::ToolContext& ctx) {
        return callMcpTool(manager, server, name, qualified, args, ctx);
      });
    };
    for (const auto& tool : status.tools) add(tool, false);
    for (const auto& name : status.lostTools) add(ToolInfo{name, "", "", {{"type", "object"}}, json::object()}, true);
  }
}

}  // namespace cadre::mcp
