// `cadre mcp serve|list|call`: cadre's analysis as an MCP server for other
// hosts (stdio; stdout carries the protocol only), and the MCP servers the
// config names, listed and called from the shell through the same Gate the
// agent uses (approvals asked on this terminal).
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include "server/analysis/project_index.hpp"
#include "server/cli/args.hpp"
#include "server/cli/terminal_approver.hpp"
#include "server/core/config.hpp"
#include "server/core/logging.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"
#include "server/mcp/face_tools.hpp"
#include "server/mcp/manager.hpp"
#include "server/mcp/server_face.hpp"
#include "server/mcp/tool_bridge.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kMcpUsage = R"(Usage: cadre mcp serve [DIR] [--log-file FILE] [--log-level LEVEL]
       cadre mcp list [DIR] [--json]
       cadre mcp call SERVER__TOOL [ARGUMENTS] [--dir DIR] [--json]

serve   cadre as an MCP server on stdin/stdout for other hosts (Claude Code,
        Cline, Codex, …), on the project in DIR (default: the current
        directory). Tools: repo_map, find_symbol, references, check,
        checkpoints_list, checkpoints_diff, read_file, list_files,
        search_files — all read-only, all through cadre's deny-list and
        audit trail. Nothing that writes files or runs processes is offered:
        an MCP host gives cadre no one to approve it.
list    starts the MCP servers the config names (mcpServers) and prints
        their state, tools, resources and prompts. Exit 1 if one failed.
list/call start servers the way the agent does: sandboxed, through the Gate;
        a server defined by the project's config is put to you first.
call    calls one tool (as listed: server__tool) with ARGUMENTS, a JSON
        object, through the Gate: path arguments checked, approval asked on
        this terminal unless the user config's autoApprove lists the tool.

See docs/mcp.md.
)";

// `cadre mcp serve` has no terminal and MCP has no approval request: say so.
class NoOneToAsk : public security::Approver {
 public:
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& request, const std::atomic<bool>*) override {
    std::string what = request.kind == security::ApprovalKind::OutsidePath ? "reading outside the workspace" : "this";
    return makeError(ErrorCode::Unauthorized,
                     what + " needs the user's approval, and `cadre mcp serve` has no one to ask (MCP hosts cannot answer cadre's "
                            "approval requests); it is refused");
  }
};

Expected<fs::path> projectRoot(const std::string& dir) {
  std::error_code ec;
  auto root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root)) return makeError(ErrorCode::InvalidParams, dir + " is not a directory");
  return root;
}

int serve(const std::string& dir, const std::string& logFile, const std::string& logLevel) {
  // stdout is the protocol: claim it before anything can print there, and
  // send whatever a library writes to fd 1 to stderr instead.
  const int protocolOut = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (protocolOut < 0 || ::dup2(2, 1) < 0) {
    std::fprintf(stderr, "cadre mcp serve: cannot set up stdout\n");
    return 2;
  }
  if (auto ok = core::setupLogging(logLevel.empty() ? "warn" : logLevel, logFile); !ok) {
    std::fprintf(stderr, "cadre mcp serve: %s\n", ok.error().message.c_str());
    return 2;
  }
  auto root = projectRoot(dir);
  if (!root) {
    spdlog::error("cadre mcp serve: {}", root.error().message);
    return 2;
  }
  core::LoadedConfig config = core::loadConfig({*root});
  for (const auto& d : config.diagnostics) spdlog::warn("config: {}", d.format());
  auto ctx = core::buildSecurityContext(config.config, {*root}, std::make_shared<NoOneToAsk>());
  if (!ctx) {
    spdlog::error("cadre mcp serve: {}", ctx.error().message);
    return 2;
  }

  // The index is built in the background, so initialize is answered at once;
  // the analysis tools wait for it.
  using IndexResult = Expected<std::shared_ptr<const analysis::ProjectIndex>>;
  std::atomic<bool> stopIndexing{false};
  std::promise<IndexResult> promise;
  std::shared_future<IndexResult> indexFuture = promise.get_future().share();
  std::thread indexer([&, r = *root] {
    analysis::IndexOptions options;
    options.cacheFile = core::indexCachePath(r);
    options.limits.exclude = core::indexExclusion(r, config.config.security.deny);
    options.cancel = &stopIndexing;
    auto built = analysis::ProjectIndex::build(r, options);
    if (!built) return promise.set_value(built.error());
    promise.set_value(std::shared_ptr<const analysis::ProjectIndex>(std::make_shared<analysis::ProjectIndex>(std::move(*built))));
  });

  mcp::FaceProject project;
  project.root = *root;
  project.index = [indexFuture](const std::atomic<bool>* cancel) -> IndexResult {
    while (indexFuture.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready)
      if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "cancelled while the project index was being built");
    return indexFuture.get();
  };
  const fs::path repo = core::projectStateDir(*root) / "checkpoints.git";
  const auto deny = config.config.security.deny;
  project.checkpoints = [repo, r = *root, deny]() -> Expected<workspace::CheckpointStore> {
    std::error_code ec;
    if (!fs::exists(repo, ec))
      return makeError(ErrorCode::RequestFailed, "no checkpoints yet (cadre takes one per agent step; `cadre checkpoints create` takes one now)");
    auto exclude = core::indexExclusion(r, deny);
    workspace::CheckpointOptions options;
    options.exclude = [exclude](std::string_view rel, bool dir, unsigned links) { return exclude(rel, dir, links); };
    options.autoMaintain = false;  // a reader does not prune or repack
    return workspace::CheckpointStore::open(repo, r, std::move(options));
  };
  agent::ToolRegistry tools = (*ctx)->tools.only({"repo_map", "find_symbol", "references", "read_file", "list_files", "search_files"});
  mcp::addAnalysisTools(tools, project);

  mcp::FaceOptions options;
  options.version = CADRE_VERSION;
  options.instructions =
      "cadre's project analysis for " + root->filename().string() +
      ": start with repo_map for an overview, find_symbol and references to navigate, check for broken imports across files. "
      "All tools are read-only; deny-listed files (.env, keys) are never shown.";
  const std::string noApproval = "it changes files or runs a process, and an MCP host gives cadre no one to approve that";
  for (const char* name : {"run_command", "write_file", "edit_file", "delete_file", "rename_file", "lint_changes"})
    options.refused[name] = noApproval;
  options.refused["checkpoints_restore"] = "restoring a checkpoint writes your files and needs your approval; use `cadre checkpoints restore` in a terminal";
  security::Gate& gate = *(*ctx)->gate;
  mcp::ContextFactory factory = [&gate, index = project.index](const std::string& client, const std::atomic<bool>* cancel) {
    agent::ToolContext ctx{gate, security::Actor{"mcp:" + client, "mcp"}, cancel};
    ctx.index = index;
    return ctx;
  };
  spdlog::info("cadre mcp serve: {} ({} tools)", root->string(), tools.specs().size());
  int rc = mcp::serveMcp(0, protocolOut, tools, factory, options);
  stopIndexing = true;
  indexer.join();
  ::close(protocolOut);
  return rc;
}

json statusJson(const mcp::ServerStatus& s) {
  json tools = json::array();
  for (const auto& t : s.tools) tools.push_back({{"name", mcp::qualifiedToolName(s.name, t.name)}, {"tool", t.name}, {"description", t.description}, {"inputSchema", t.inputSchema}});
  return {{"name", s.name},           {"state", mcp::toString(s.state)}, {"error", s.error},
          {"protocolVersion", s.protocolVersion}, {"serverInfo", s.serverInfo}, {"tools", tools},
          {"lostTools", s.lostTools}, {"resources", s.resources}, {"resourceTemplates", s.resourceTemplates},
          {"prompts", s.prompts},     {"notes", s.notes}};
}

struct Session {
  core::LoadedConfig config;
  std::shared_ptr<core::SecurityContext> security;
  std::shared_ptr<mcp::Manager> manager;
};

Expected<Session> open(const std::string& dir, const std::string& onlyServer) {
  auto root = projectRoot(dir);
  if (!root) return root.error();
  Session s;
  s.config = core::loadConfig({*root});
  for (const auto& d : s.config.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  auto ctx = core::buildSecurityContext(s.config.config, {*root}, std::make_shared<TerminalApprover>());
  if (!ctx) return ctx.error();
  s.security = *ctx;
  std::vector<mcp::ServerConfig> servers;
  for (const auto& c : s.config.config.mcpServers)
    if (onlyServer.empty() || c.name == onlyServer) servers.push_back(c);
  if (servers.empty())
    return makeError(ErrorCode::Config, onlyServer.empty() ? "no MCP servers are configured (mcpServers in " + core::userConfigPath().string() + ")"
                                                           : "no MCP server named '" + onlyServer + "' is configured");
  mcp::ManagerOptions options;
  options.localOnly = s.config.config.security.localOnly;
  options.client.clientVersion = CADRE_VERSION;
  s.manager = std::make_shared<mcp::Manager>(std::move(servers), *s.security->gate, options);
  s.manager->startAll();
  return s;
}

int list(const std::string& dir, bool asJson) {
  auto session = open(dir, "");
  if (!session) {
    std::fprintf(stderr, "cadre mcp list: %s\n", session.error().message.c_str());
    return 2;
  }
  bool failed = false;
  json out = json::array();
  for (const auto& s : session->manager->status()) {
    failed = failed || s.state == mcp::ServerState::Failed;
    if (asJson) {
      out.push_back(statusJson(s));
      continue;
    }
    const auto* config = &session->manager->client(s.name)->config();
    std::printf("%s  %s  (%s)\n", s.name.c_str(), mcp::toString(s.state), mcp::describe(*config).c_str());
    if (!s.error.empty()) std::printf("  error: %s\n", s.error.c_str());
    for (const auto& t : s.tools) std::printf("  tool %-40s %s\n", mcp::qualifiedToolName(s.name, t.name).c_str(), t.description.substr(0, 70).c_str());
    for (const auto& t : s.lostTools) std::printf("  tool %-40s (no longer offered)\n", mcp::qualifiedToolName(s.name, t).c_str());
    if (!s.resources.empty()) std::printf("  %zu resources\n", s.resources.size());
    for (const auto& p : s.prompts) std::printf("  prompt %s\n", p.value("name", std::string("?")).c_str());
    for (const auto& n : s.notes) std::printf("  note: %s\n", n.c_str());
  }
  if (asJson) std::printf("%s\n", out.dump(2).c_str());
  return failed ? 1 : 0;
}

int call(const std::string& dir, const std::string& name, const std::string& arguments, bool asJson) {
  json args = json::parse(arguments, nullptr, false);
  if (args.is_discarded() || !args.is_object()) return usageError("ARGUMENTS must be a JSON object", kMcpUsage);
  auto sep = name.find("__");
  if (sep == std::string::npos || sep == 0) return usageError("name the tool as SERVER__TOOL, as `cadre mcp list` shows it", kMcpUsage);
  auto session = open(dir, name.substr(0, sep));
  if (!session) {
    std::fprintf(stderr, "cadre mcp call: %s\n", session.error().message.c_str());
    return 2;
  }
  agent::ToolRegistry registry;
  mcp::registerTools(registry, session->manager);
  if (!registry.find(name)) {
    auto s = session->manager->status().at(0);
    std::fprintf(stderr, "cadre mcp call: no tool %s%s\n", name.c_str(), s.error.empty() ? "" : (" (" + s.error + ")").c_str());
    return 2;
  }
  agent::ToolContext ctx{*session->security->gate, security::Actor{"cli", "executor"}};
  auto out = registry.call(name, args, ctx);
  if (!out) {
    std::fprintf(stderr, "cadre mcp call: %s\n", out.error().message.c_str());
    return 2;
  }
  if (asJson) std::printf("%s\n", json({{"content", out->text}, {"data", out->data}, {"isError", out->isError}}).dump(2).c_str());
  else std::printf("%s\n", out->text.c_str());
  return out->isError ? 1 : 0;
}

}  // namespace

int runMcp(Args& args) {
  if (args.done()) return usageError("mcp needs serve, list or call", kMcpUsage);
  const std::string sub = args.take();
  if (sub == "--help" || sub == "-h") {
    std::fputs(kMcpUsage, stdout);
    return 0;
  }
  std::string dir = ".", logFile, logLevel;
  bool asJson = false;
  std::vector<std::string> positional;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kMcpUsage, stdout);
      return 0;
    } else if (a == "--json") {
      asJson = true;
    } else if (a == "--dir" || a == "--log-file" || a == "--log-level") {
      auto v = args.value();
      if (!v) return usageError(a + " needs a value", kMcpUsage);
      (a == "--dir" ? dir : a == "--log-file" ? logFile : logLevel) = *v;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for mcp: " + a, kMcpUsage);
    } else {
      positional.push_back(a);
    }
  }
  if (sub == "serve") {
    if (positional.size() > 1) return usageError("mcp serve takes one DIR", kMcpUsage);
    return serve(positional.empty() ? dir : positional[0], logFile, logLevel);
  }
  if (sub == "list") {
    if (positional.size() > 1) return usageError("mcp list takes one DIR", kMcpUsage);
    return list(positional.empty() ? dir : positional[0], asJson);
  }
  if (sub == "call") {
    if (positional.empty() || positional.size() > 2) return usageError("mcp call needs SERVER__TOOL [ARGUMENTS]", kMcpUsage);
    return call(dir, positional[0], positional.size() == 2 ? positional[1] : "{}", asJson);
  }
  return usageError("unknown mcp command: " + sub, kMcpUsage);
}

}  // namespace cadre::cli
