// See client.hpp. A note on locks: a Session is never closed or destroyed
// while mu_ is held, because its transport's thread may be inside the close
// handler waiting for mu_.
#include "server/mcp/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace cadre::mcp {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Pagination guard: a server that keeps handing out cursors is cut off here.
constexpr int kMaxPages = 100;
// A server that stayed up this long starts its backoff afresh when it fails.
constexpr auto kHealthyAfter = std::chrono::seconds(60);


bool supportedVersion(const std::string& v) {
  return std::any_of(std::begin(kProtocolVersions), std::end(kProtocolVersions), [&](const char* s) { return v == s; });
}

}  // namespace

const char* toString(ServerState s) {
  switch (s) {
    case ServerState::Stopped: return "stopped";
    case ServerState::Starting: return "starting";
    case ServerState::Ready: return "ready";
    case ServerState::Failed: return "failed";
    case ServerState::Disabled: return "disabled";
  }
  return "stopped";
}

Client::Client(ServerConfig config, TransportFactory factory, ClientOptions options)
    : config_(std::move(config)), factory_(std::move(factory)), options_(std::move(options)) {
  status_.name = config_.name;
  if (config_.disabled) status_.state = ServerState::Disabled;
}

Client::~Client() { stop(); }

void Client::setWakeup(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::int64_t Client::backoffMs() const {
  std::int64_t ms = options_.restartBaseMs;
  for (int i = 1; i < status_.failures && ms < options_.restartMaxMs; ++i) ms *= 2;
  return std::min<std::int64_t>(ms, options_.restartMaxMs);
}

std::shared_ptr<Session> Client::liveSession() {
  std::shared_ptr<Session> dead;
  {
    std::lock_guard lock(mu_);
    if (status_.state != ServerState::Ready || !session_) return nullptr;
    if (!session_->closed()) return session_;
    dead = session_;
  }
  // Closed, and the close handler has not run yet: record it now.
  if (auto why = dead->closed()) markFailed(dead, why->message);
  return nullptr;
}

void Client::markFailed(std::shared_ptr<Session> session, const std::string& why) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (session && session != session_) return;  // an old session's late news
    if (status_.state == ServerState::Stopped || status_.state == ServerState::Disabled) return;
    if (status_.state == ServerState::Failed) return;  // already known (the call and the reader both saw it)
    const auto now = Clock::now();
    if (status_.state == ServerState::Ready && now - readySince_ > kHealthyAfter) status_.failures = 0;
    status_.state = ServerState::Failed;
    status_.error = why;
    ++status_.failures;
    failedAt_ = now;
    wake = wake_;
  }
  spdlog::warn("MCP server '{}' failed: {} (restart in {} ms)", config_.name, why, backoffMs());
  if (wake) wake();
}

Expected<void> Client::start() { return connect(); }

void Client::stop() {
  std::shared_ptr<Session> old;
  {
    std::lock_guard lock(mu_);
    old = std::move(session_);
    if (status_.state != ServerState::Disabled) status_.state = ServerState::Stopped;
  }
  if (old) old->close();
}

Expected<void> Client::connect() {
  std::lock_guard connecting(connectMu_);
  std::shared_ptr<Session> old;
  bool restart = false;
  {
    std::lock_guard lock(mu_);
    if (status_.state == ServerState::Disabled) return makeError(ErrorCode::Unavailable, "MCP server '" + config_.name + "' is disabled in the config");
    if (status_.state == ServerState::Ready && session_ && !session_->closed()) return {};
    restart = status_.state == ServerState::Failed;
    old = std::move(session_);
    status_.state = ServerState::Starting;
  }
  if (old) old->close();
  old.reset();

  auto fail = [&](std::shared_ptr<Session> s, const Error& e) -> Expected<void> {
    {
      std::lock_guard lock(mu_);
      session_ = s;  // so markFailed accepts it; closed below
    }
    markFailed(s, e.message);
    if (s) s->close();
    return makeError(e.code, e.message);
  };

  auto transport = factory_(config_);
  if (!transport) return fail(nullptr, transport.error());
  auto session = std::make_shared<Session>(config_.name, std::move(*transport));
  std::weak_ptr<Session> weak = session;
  session->onNotification([this](const std::string& method, const json& params) {
    std::function<void()> wake;
    if (method == "notifications/tools/list_changed") {
      toolsStale_ = true;
    } else if (method == "notifications/resources/list_changed" || method == "notifications/prompts/list_changed") {
      othersStale_ = true;
    } else if (method == "notifications/message") {
      spdlog::debug("MCP server '{}' log: {}", config_.name, params.dump(-1, ' ', false, json::error_handler_t::replace));
      return;
    } else {
      return;
    }
    {
      std::lock_guard lock(mu_);
      wake = wake_;
    }
    if (wake) wake();
  });
  session->onClose([this, weak](const Error& why) { markFailed(weak.lock(), why.message); });
  if (auto ok = session->start(); !ok) return fail(nullptr, ok.error());

  const auto started = Clock::now();
  auto left = [&] {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return std::max<int>(1, config_.startupTimeoutMs - static_cast<int>(spent));
  };
  json init = {{"protocolVersion", kProtocolVersions[0]},
               {"capabilities", json::object()},
               {"clientInfo", {{"name", options_.clientName}, {"version", options_.clientVersion}}}};
  auto answer = session->request("initialize", init, {left(), 0, nullptr, {}});
  if (!answer) {
    Error e = answer.error();
    if (e.code == ErrorCode::Timeout) {
      e.message = "MCP server '" + config_.name + "' did not answer initialize within " + secondsText(config_.startupTimeoutMs);
      std::string tail = session->transport().diagnostics();
      if (!tail.empty()) e.message += "; its stderr ends with: " + tail.substr(tail.size() > 400 ? tail.size() - 400 : 0);
    }
    return fail(session, e);
  }
  const std::string version = answer->is_object() ? answer->value("protocolVersion", "") : "";
  if (!supportedVersion(version)) {
    return fail(session, makeError(ErrorCode::RequestFailed,
                                   "MCP server '" + config_.name + "' speaks protocol revision '" + version +
                                       "', which cadre does not (cadre speaks " + kProtocolVersions[0] + " back to 2024-11-05)"));
  }
  session->transport().setProtocolVersion(version);
  if (auto ok = session->notify("notifications/initialized", json::object()); !ok) return fail(session, ok.error());
  {
    std::lock_guard lock(mu_);
    session_ = session;
    status_.protocolVersion = version;
    status_.serverInfo = answer->value("serverInfo", json::object());
    status_.capabilities = answer->value("capabilities", json::object());
    status_.instructions = answer->contains("instructions") && (*answer)["instructions"].is_string() ? (*answer)["instructions"].get<std::string>() : "";
    status_.notes.clear();
    if (!status_.capabilities.is_object()) status_.capabilities = json::object();
  }
  if (auto ok = refreshTools(*session); !ok) return fail(session, ok.error());
  refreshOthers(*session);
  {
    std::lock_guard lock(mu_);
    if (session_ != session) return makeError(ErrorCode::Unavailable, "MCP server '" + config_.name + "' went away while starting");
    status_.state = ServerState::Ready;
    readySince_ = Clock::now();
    if (restart) ++status_.restarts;
  }
  spdlog::info("MCP server '{}' ready ({} tools, protocol {})", config_.name, status().tools.size(), version);
  return {};
}

Expected<void> Client::refreshTools(Session& session) {
  toolsStale_ = false;
  json caps;
  {
    std::lock_guard lock(mu_);
    caps = status_.capabilities;
  }
  std::vector<ToolInfo> tools;
  std::vector<std::string> notes;
  if (caps.contains("tools")) {
    std::string cursor;
    std::set<std::string> seen;
    for (int page = 0;; ++page) {
      if (page == kMaxPages) {
        notes.push_back("tools/list: stopped after " + std::to_string(kMaxPages) + " pages");
        break;
      }
      json params = json::object();
      if (!cursor.empty()) params["cursor"] = cursor;
      auto r = session.request("tools/list", params, {config_.startupTimeoutMs, 0, nullptr, {}});
      if (!r) return r.error();
      if (!r->is_object() || !(*r)["tools"].is_array())
        return makeError(ErrorCode::RequestFailed, "MCP server '" + config_.name + "' answered tools/list without a tools array");
      for (const auto& t : (*r)["tools"]) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || t["name"].get<std::string>().empty()) {
          notes.push_back("tools/list: an entry without a name was skipped");
          continue;
        }
        ToolInfo info;
        info.name = t["name"];
        if (!seen.insert(info.name).second) {
          notes.push_back("tools/list: the tool '" + info.name + "' is listed twice; the first is used");
          continue;
        }
        if (t.contains("title") && t["title"].is_string()) info.title = t["title"];
        if (t.contains("description") && t["description"].is_string()) info.description = t["description"];
        if (t.contains("inputSchema") && t["inputSchema"].is_object()) info.inputSchema = t["inputSchema"];
        else info.inputSchema = {{"type", "object"}};
        if (t.contains("annotations") && t["annotations"].is_object()) info.annotations = t["annotations"];
        tools.push_back(std::move(info));
      }
      std::string next = r->contains("nextCursor") && (*r)["nextCursor"].is_string() ? (*r)["nextCursor"].get<std::string>() : "";
      if (next.empty() || next == cursor) break;
      cursor = next;
    }
  }
  std::lock_guard lock(mu_);
  auto same = [](const std::vector<ToolInfo>& a, const std::vector<ToolInfo>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].name != b[i].name || a[i].inputSchema != b[i].inputSchema || a[i].description != b[i].description) return false;
    return true;
  };
  if (!same(status_.tools, tools)) ++toolsGeneration_;
  status_.tools = std::move(tools);
  status_.notes.insert(status_.notes.end(), notes.begin(), notes.end());
  for (const auto& t : status_.tools)
    if (std::find(everOffered_.begin(), everOffered_.end(), t.name) == everOffered_.end()) everOffered_.push_back(t.name);
  status_.lostTools.clear();
  for (const auto& name : everOffered_) {
    bool present = std::any_of(status_.tools.begin(), status_.tools.end(), [&](const ToolInfo& t) { return t.name == name; });
    if (!present) status_.lostTools.push_back(name);
  }
  if (!status_.lostTools.empty())
    spdlog::warn("MCP server '{}' no longer offers {} tool(s) it offered before", config_.name, status_.lostTools.size());
  return {};
}

void Client::refreshOthers(Session& session) {
  othersStale_ = false;
  json caps;
  {
    std::lock_guard lock(mu_);
    caps = status_.capabilities;
  }
  std::vector<std::string> notes;
  // Listed for the user and for a later agent; a failure here is a note, not
  // a reason to drop the server's tools.
  auto listAll = [&](const char* method, const char* key) {
    json all = json::array();
    std::string cursor;
    for (int page = 0; page < kMaxPages; ++page) {
      json params = json::object();
      if (!cursor.empty()) params["cursor"] = cursor;
      auto r = session.request(method, params, {config_.startupTimeoutMs, 0, nullptr, {}});
      if (!r) {
        notes.push_back(std::string(method) + ": " + r.error().message);
        break;
      }
      if (r->is_object() && r->contains(key) && (*r)[key].is_array())
        for (auto& item : (*r)[key]) all.push_back(item);
      std::string next = r->is_object() && r->contains("nextCursor") && (*r)["nextCursor"].is_string() ? (*r)["nextCursor"].get<std::string>() : "";
      if (next.empty() || next == cursor) break;
      cursor = next;
    }
    return all;
  };
  json resources = json::array(), templates = json::array(), prompts = json::array();
  if (caps.contains("resources")) {
    resources = listAll("resources/list", "resources");
    templates = listAll("resources/templates/list", "resourceTemplates");
  }
  if (caps.contains("prompts")) prompts = listAll("prompts/list", "prompts");
  std::lock_guard lock(mu_);
  status_.resources = std::move(resources);
  status_.resourceTemplates = std::move(templates);
  status_.prompts = std::move(prompts);
  status_.notes.insert(status_.notes.end(), notes.begin(), notes.end());
}

bool Client::maintain() {
  ServerState state;
  bool due = false;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    state = status_.state;
    due = state == ServerState::Failed && Clock::now() - failedAt_ >= std::chrono::milliseconds(backoffMs());
    if (state == ServerState::Ready) session = session_;
  }
  const auto before = toolsGeneration_.load();
  if (due) {
    (void)connect();
  } else if (session) {
    if (toolsStale_) {
      if (auto ok = refreshTools(*session); !ok) spdlog::warn("MCP server '{}': refreshing tools failed: {}", config_.name, ok.error().message);
    }
    if (othersStale_) refreshOthers(*session);
  }
  return toolsGeneration_.load() != before;
}

Expected<json> Client::ping(int timeoutMs) {
  auto session = liveSession();
  if (!session) return makeError(ErrorCode::Unavailable, "MCP server '" + config_.name + "' is not running");
  return session->request("ping", json::object(), {timeoutMs, 0, nullptr, {}});
}

Expected<json> Client::callTool(const std::string& tool, const json& arguments, const CallOptions& options) {
  auto session = liveSession();
  if (!session) {
    bool due = false;
    {
      std::lock_guard lock(mu_);
      due = status_.state == ServerState::Failed && Clock::now() - failedAt_ >= std::chrono::milliseconds(backoffMs());
      if (status_.state == ServerState::Stopped) due = true;
    }
    if (due) (void)connect();
    session = liveSession();
  }
  if (!session) {
    ServerStatus s = status();
    if (s.state == ServerState::Disabled)
      return makeError(ErrorCode::Unavailable, "MCP server '" + config_.name + "' is disabled in the config");
    return makeError(ErrorCode::Unavailable, "MCP server '" + config_.name + "' is not available: " + s.error +
                                                 ". cadre restarts it automatically (next attempt in " + secondsText(static_cast<int>(s.retryInMs)) + ")");
  }
  {
    std::lock_guard lock(mu_);
    bool offered = std::any_of(status_.tools.begin(), status_.tools.end(), [&](const ToolInfo& t) { return t.name == tool; });
    if (!offered) {
      if (std::find(status_.lostTools.begin(), status_.lostTools.end(), tool) != status_.lostTools.end())
        return makeError(ErrorCode::RequestFailed, "MCP server '" + config_.name + "' no longer offers the tool '" + tool +
                                                       "' (it changed its tool list" + (status_.restarts ? " or restarted without it" : "") + ")");
      return makeError(ErrorCode::MethodNotFound, "MCP server '" + config_.name + "' has no tool '" + tool + "'");
    }
  }
  const int timeout = options.timeoutMs > 0 ? options.timeoutMs : config_.callTimeoutMs;
  auto result = session->request("tools/call", {{"name", tool}, {"arguments", arguments.is_null() ? json::object() : arguments}},
                                 {timeout, 0, options.cancel, options.onProgress});
  if (!result) {
    Error e = result.error();
    if (auto why = session->closed()) {
      // The reader may not have told us yet; the next caller must see it.
      markFailed(session, why->message);
      e.message = "MCP server '" + config_.name + "' stopped during the call: " + why->message + ". cadre restarts it automatically";
    } else if (e.code == ErrorCode::Timeout) {
      auto alive = session->request("ping", json::object(), {options_.pingTimeoutMs, 0, nullptr, {}});
      if (alive) {
        e.message = "MCP server '" + config_.name + "' did not answer " + tool + " within " + secondsText(timeout) +
                    "; the call was cancelled (the server still answers ping)";
      } else {
        e.message = "MCP server '" + config_.name + "' did not answer " + tool + " within " + secondsText(timeout) +
                    " and no longer answers ping: cadre stopped it and restarts it automatically";
        markFailed(session, "it hung: no answer to " + tool + " within " + secondsText(timeout) + " nor to ping");
        session->close();
      }
    }
    return e;
  }
  if (!result->is_object())
    return makeError(ErrorCode::RequestFailed, "MCP server '" + config_.name + "' answered tools/call with something that is not an object");
  return result;
}

std::string Client::stderrTail() const {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    session = session_;
  }
  return session ? session->transport().diagnostics() : std::string();
}

ServerStatus Client::status() const {
  std::lock_guard lock(mu_);
  ServerStatus s = status_;
  if (s.state == ServerState::Failed) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - failedAt_).count();
    s.retryInMs = std::max<std::int64_t>(0, backoffMs() - waited);
  }
  return s;
}

}  // namespace cadre::mcp
