// The ACP connection: initialize, authenticate, session/new, session/prompt,
// session/cancel; see agent_server.hpp. docs/acp.md is the user's view.
#include "server/acp/agent_server.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "server/acp/permission_approver.hpp"
#include "server/acp/session.hpp"
#include "server/acp/task_updates.hpp"
#include "server/mcp/tool_bridge.hpp"

namespace cadre::acp {

using protocol::Callback;
using protocol::json;

namespace {

// Session ids are opaque to the client; a random part keeps two cadre
// processes (two editor windows) from handing out the same one.
std::string newSessionId(int n) {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "sess-%d-%08x", n, static_cast<unsigned>(rd()));
  return buf;
}

std::vector<workspace::LinterSpec> linters(const core::Config& config, const std::filesystem::path& root) {
  std::vector<workspace::LinterSpec> out;
  for (const auto& j : config.lint.linters) {
    if (auto l = workspace::linterFromJson(j)) out.push_back(std::move(*l));
    else spdlog::warn("lint.linters: {}", l.error().message);
  }
  if (config.lint.autodetect)
    for (auto& l : workspace::detectLinters(root, workspace::whichOnPath))
      if (std::none_of(out.begin(), out.end(), [&](const workspace::LinterSpec& c) { return c.name == l.name; }))
        out.push_back(std::move(l));
  return out;
}

// What a permission request shows: the tool call it is about, described for
// the kind of approval the Gate asks.
json describeApproval(Session& s, const security::ApprovalRequest& r) {
  std::lock_guard lock(s.mu);
  json call = {{"toolCallId", s.approvalCall.empty() ? "permission" : s.approvalCall}, {"status", "pending"}};
  std::string note = r.why.empty() ? "" : "Why: " + r.why + "\n";
  if (!r.model.empty()) note += "Asked by " + r.model + (r.role.empty() ? "" : " (" + r.role + ")") + "\n";
  switch (r.kind) {
    case security::ApprovalKind::Command:
      call["title"] = "Run `" + r.command + "`";
      call["kind"] = "execute";
      call["rawInput"] = {{"command", r.command}, {"cwd", r.cwd}};
      note += "In: " + r.cwd + "\n";
      note += r.sandboxed ? "Sandboxed (bubblewrap): the workspace read-only, no network, limits on time and memory.\n"
                          : "UNSANDBOXED: the command runs with all your rights.\n";
      if (r.network) note += "With network access.\n";
      call["content"] = json::array({textContent(note)});
      break;
    case security::ApprovalKind::Edit: {
      // The task's final change (its diffs were set just before), or another
      // edit of a real file, such as the decisions appended to MEMORY.md.
      const bool final = s.approvalContent.is_array() && !s.approvalContent.empty();
      std::string files;
      for (const auto& p : r.paths) files += (files.empty() ? "" : ", ") + std::filesystem::path(p).lexically_relative(s.root).generic_string();
      call["title"] = final ? "Apply the change to " + std::to_string(r.paths.size()) + (r.paths.size() == 1 ? " file" : " files")
                            : "Edit " + files;
      call["kind"] = "edit";
      call["content"] = final ? s.approvalContent : json::array({textContent(note + r.diff)});
      call["locations"] = json::array();
      for (const auto& p : r.paths) call["locations"].push_back({{"path", p}});
      break;
    }
    case security::ApprovalKind::OutsidePath:
      call["title"] = "Read outside the workspace";
      call["kind"] = "read";
      call["locations"] = json::array();
      for (const auto& p : r.paths) call["locations"].push_back({{"path", p}});
      call["content"] = json::array({textContent(note)});
      break;
  }
  return call;
}

}  // namespace

AgentServer::AgentServer(std::shared_ptr<protocol::Transport> transport, asio::any_io_executor executor, AgentOptions options)
    : options_(std::move(options)), dispatcher_(std::move(transport), std::move(executor), options_.dispatcher) {
  // ACP has no lifecycle gate of LSP's kind (its -32002 means "resource not
  // found"): the handlers refuse session methods before initialize themselves.
  dispatcher_.setInitialized();
  dispatcher_.bind("initialize", this, &AgentServer::onInitialize);
  dispatcher_.bind("authenticate", this, &AgentServer::onAuthenticate);
  dispatcher_.bind("session/new", this, &AgentServer::onNewSession);
  dispatcher_.bind("session/prompt", this, &AgentServer::onPrompt);
  dispatcher_.bindNotification("session/cancel", this, &AgentServer::onCancel);
  dispatcher_.onBadNotification([](const std::string& method, const std::string& why) {
    spdlog::warn("acp: ignored {}: {}", method, why);
  });
}

AgentServer::~AgentServer() {
  std::map<std::string, std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mu_);
    sessions.swap(sessions_);
  }
  for (auto& [id, s] : sessions) {
    std::thread worker;
    {
      std::lock_guard lock(s->mu);
      if (s->cancel) s->cancel->store(true);
      worker = std::move(s->worker);
    }
    // A worker holding the last reference (the approver's call) ends by itself.
    if (worker.joinable() && worker.get_id() == std::this_thread::get_id()) worker.detach();
    else if (worker.joinable()) worker.join();
    if (s->mcp) s->mcp->stopAll();
  }
}

bool AgentServer::onNotify(std::string_view method, json params) { return dispatcher_.onNotify(method, std::move(params)); }
bool AgentServer::onCall(std::string_view method, json params, json id) {
  return dispatcher_.onCall(method, std::move(params), std::move(id));
}
bool AgentServer::onReply(json id, Expected<json> result) { return dispatcher_.onReply(std::move(id), std::move(result)); }
void AgentServer::onInvalid(const protocol::Invalid& bad) {
  spdlog::warn("acp: invalid message: {}", bad.error.message);
  dispatcher_.onInvalid(bad);
}

void AgentServer::onClosed() {
  // The client went away: running prompts stop (their files untouched), and
  // calls waiting on the client fail.
  closed_->store(true);
  {
    std::lock_guard lock(mu_);
    for (auto& [id, s] : sessions_) {
      std::lock_guard sl(s->mu);
      if (s->cancel) s->cancel->store(true);
    }
  }
  dispatcher_.onClosed();
}

void AgentServer::update(const std::string& sessionId, json update) {
  dispatcher_.notify("session/update", {{"sessionId", sessionId}, {"update", std::move(update)}});
}

void AgentServer::onInitialize(const InitializeParams& p, Callback<json> reply) {
  if (!p.protocolVersion.is_number_integer() || p.protocolVersion.get<std::int64_t>() != kProtocolVersion)
    spdlog::info("acp: the client asked for protocol version {}; cadre speaks {}", p.protocolVersion.dump(), kProtocolVersion);
  clientReadsFiles_ = p.readTextFile;
  initialized_ = true;
  spdlog::info("acp: initialized by {}", p.clientName.empty() ? "a client" : p.clientName);
  reply(json{{"protocolVersion", kProtocolVersion},
             {"agentCapabilities",
              {{"loadSession", false},
               {"promptCapabilities", {{"image", false}, {"audio", false}, {"embeddedContext", true}}},
               {"mcpCapabilities", {{"http", false}, {"sse", false}}}}},
             {"authMethods", json::array()},
             {"agentInfo", {{"name", "cadre"}, {"title", "cadre"}, {"version", CADRE_VERSION}}}});
}

void AgentServer::onAuthenticate(const AuthenticateParams& p, Callback<json> reply) {
  // Model keys come from the user's config (environment variables or files),
  // never through the editor: cadre offers no authentication methods.
  reply(makeError(ErrorCode::InvalidParams, "params.methodId: cadre offers no authentication methods (got '" + p.methodId +
                                                "'); model keys are configured in $XDG_CONFIG_HOME/cadre/config.json"));
}

void AgentServer::onNewSession(const NewSessionParams& p, Callback<json> reply) {
  if (!initialized_) return reply(makeError(ErrorCode::InvalidRequest, "call initialize before session/new"));
  std::error_code ec;
  const auto root = std::filesystem::canonical(p.cwd, ec);
  if (ec || !std::filesystem::is_directory(root))
    return reply(makeError(ErrorCode::InvalidParams, "params.cwd: " + p.cwd + " is not a directory"));
  auto session = std::make_shared<Session>();
  session->id = newSessionId(++sessionCounter_);
  session->root = root;
  core::LoadedConfig loaded = core::loadConfig({root}, options_.userConfig);
  for (const auto& d : loaded.diagnostics) spdlog::warn("cadre config: {}", d.format());
  if (loaded.hasErrors()) {
    std::string text;
    for (const auto& d : loaded.diagnostics) text += "\n" + d.format();
    return reply(makeError(ErrorCode::Config, "the configuration has errors:" + text));
  }
  session->config = loaded.config;
  std::weak_ptr<AgentServer> weakSelf = weak_from_this();
  std::weak_ptr<Session> weakSession = session;
  auto approver = std::make_shared<PermissionApprover>(
      session->id,
      [weakSelf](const std::string& method, json params, std::function<void(Expected<json>)> done) {
        auto self = weakSelf.lock();
        if (!self) return done(makeError(ErrorCode::Unavailable, "the connection closed"));
        self->dispatcher_.call(method, std::move(params), std::move(done));
      },
      [weakSession](const security::ApprovalRequest& r) {
        auto s = weakSession.lock();
        return s ? describeApproval(*s, r) : json{{"toolCallId", "permission"}, {"title", "approval"}};
      },
      closed_);
  auto ctx = core::buildSecurityContext(session->config, {root}, approver);
  if (!ctx) return reply(ctx.error());
  session->security = *ctx;
  auto router = models::Router::create(core::routerConfig(session->config));
  if (!router) return reply(makeError(router.error().code, "models: " + router.error().message));
  session->router = std::shared_ptr<models::Router>(std::move(*router));
  session->linters = linters(session->config, root);
  session->project = std::make_shared<core::Project>();
  const std::string sid = session->id;
  session->project->index({root}, nullptr,
                          [sid](Expected<std::size_t> n) {
                            if (n) spdlog::info("acp {}: indexed {} files", sid, *n);
                            else spdlog::warn("acp {}: indexing failed: {}", sid, n.error().message);
                          },
                          session->config.security.deny);
  if (!p.mcpServers.empty()) {
    // The client's MCP servers join the session's tools. They come from the
    // editor, not the user's own cadre config: each start is put to the
    // user (like a project's servers) and runs sandboxed.
    std::vector<mcp::ServerConfig> servers;
    for (const auto& m : p.mcpServers) {
      mcp::ServerConfig c;
      c.name = m.name;
      c.command = m.command;
      c.args = m.args;
      c.env = m.env;
      c.fromProject = true;
      c.source = "the ACP client's session/new";
      servers.push_back(std::move(c));
    }
    session->mcp = std::make_shared<mcp::Manager>(std::move(servers), *session->security->gate);
  }
  {
    std::lock_guard lock(mu_);
    sessions_[session->id] = session;
  }
  spdlog::info("acp: session {} in {}", session->id, root.string());
  reply(json{{"sessionId", session->id}});
}

void AgentServer::onPrompt(const PromptParams& p, Callback<json> reply) {
  if (!initialized_) return reply(makeError(ErrorCode::InvalidRequest, "call initialize before session/prompt"));
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(p.sessionId);
    if (it != sessions_.end()) session = it->second;
  }
  if (!session) return reply(makeError(ErrorCode::InvalidParams, "params.sessionId: no session '" + p.sessionId + "'"));
  std::lock_guard lock(session->mu);
  if (session->cancel)
    return reply(makeError(ErrorCode::InvalidRequest, "session '" + p.sessionId + "' is already running a prompt"));
  // The last turn's thread has replied already and is ending.
  if (session->worker.joinable()) session->worker.join();
  session->cancel = std::make_shared<std::atomic<bool>>(false);
  // `this` outlives the worker: the destructor joins it.
  session->worker = std::thread([this, session, p, reply]() { runTurn(session, p, reply); });
}

void AgentServer::onCancel(const SessionIdParams& p) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(p.sessionId);
    if (it != sessions_.end()) session = it->second;
  }
  if (!session) return spdlog::warn("acp: session/cancel for unknown session '{}'", p.sessionId);
  std::lock_guard lock(session->mu);
  if (session->cancel) session->cancel->store(true);
}

}  // namespace cadre::acp
