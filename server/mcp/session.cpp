// See session.hpp. Message text is classified by protocol's parseMessage
// (the same JSON-RPC rules as the editor's wire) and written with its
// encoders, which never throw on bad UTF-8.
#include "server/mcp/session.hpp"

#include <spdlog/spdlog.h>

#include <variant>

#include "protocol/message.hpp"

namespace cadre::mcp {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// A send that cannot get through this fast means a server that stopped
// reading; the request fails instead of blocking its caller.
constexpr int kMaxSendMs = 10000;


}  // namespace

Session::Session(std::string serverName, std::unique_ptr<Transport> transport)
    : name_(std::move(serverName)), transport_(std::move(transport)) {}

Session::~Session() { close(); }

Expected<void> Session::start() {
  return transport_->start({[this](std::string body) { onMessage(std::move(body)); },
                            [this](Error why) { onClosed(std::move(why)); }});
}

void Session::close() {
  transport_->close();
  std::lock_guard lock(mu_);
  if (!closed_) closed_ = makeError(ErrorCode::Unavailable, "the connection to MCP server '" + name_ + "' was closed by cadre");
  for (auto& [id, p] : pending_)
    if (!p->result) p->result.emplace(*closed_);
  cv_.notify_all();
}

std::optional<Error> Session::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void Session::onClosed(Error why) {
  spdlog::warn("{}", why.message);
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = why;
    for (auto& [id, p] : pending_)
      if (!p->result) p->result.emplace(why);
    cv_.notify_all();
  }
  if (onClose_) onClose_(why);
}

void Session::send(const std::string& body) {
  if (auto ok = transport_->send(body, kMaxSendMs); !ok)
    spdlog::warn("MCP server '{}': could not send: {}", name_, ok.error().message);
}

void Session::onMessage(std::string body) {
  protocol::Incoming in = protocol::parseMessage(body);
  if (auto* r = std::get_if<protocol::Response>(&in)) {
    if (!r->id.is_number_integer()) return;
    std::lock_guard lock(mu_);
    auto it = pending_.find(r->id.get<std::int64_t>());
    if (it == pending_.end() || it->second->result) return;  // late: its caller gave up
    if (r->result) {
      it->second->result.emplace(std::move(*r->result));
    } else {
      Error e = r->result.error();
      e.message = "MCP server '" + name_ + "': " + e.message;
      it->second->result.emplace(std::move(e));
    }
    cv_.notify_all();
    return;
  }
  if (auto* n = std::get_if<protocol::Notification>(&in)) {
    if (n->method == "notifications/progress" && n->params.is_object() && n->params.contains("progressToken")) {
      const json& tok = n->params["progressToken"];
      const std::string key = tok.is_string() ? tok.get<std::string>() : tok.dump();
      std::function<void(const json&)> callback;
      {
        std::lock_guard lock(mu_);
        auto it = byToken_.find(key);
        if (it == byToken_.end()) return;
        it->second->lastActivity = Clock::now();
        callback = it->second->onProgress;
      }
      if (callback) callback(n->params);
      return;
    }
    if (onNotification_) onNotification_(n->method, n->params);
    return;
  }
  if (auto* req = std::get_if<protocol::Request>(&in)) {
    // The server asks us. cadre offers no client capabilities (sampling,
    // roots, elicitation), so only ping has an answer.
    if (req->method == "ping") return send(protocol::encodeResponse(req->id, json::object()));
    return send(protocol::encodeResponse(
        req->id, makeError(ErrorCode::MethodNotFound, "cadre does not support " + req->method + " (it declares no client capabilities)")));
  }
  if (auto* bad = std::get_if<protocol::Invalid>(&in)) {
    spdlog::warn("MCP server '{}' sent an invalid message: {}", name_, bad->error.message);
  }
}

Expected<json> Session::request(const std::string& method, json params, const RequestOptions& options) {
  auto pending = std::make_shared<Pending>();
  std::int64_t id;
  {
    std::lock_guard lock(mu_);
    if (closed_) return *closed_;
    id = nextId_++;
    pending->lastActivity = Clock::now();
    if (options.onProgress) {
      // The token is the request's id: unique for this session, as required.
      pending->progressToken = std::to_string(id);
      pending->onProgress = options.onProgress;
      if (!params.is_object()) params = json::object();
      params["_meta"]["progressToken"] = id;
      byToken_[pending->progressToken] = pending;
    }
    pending_[id] = pending;
  }
  auto forget = [&] {
    std::lock_guard lock(mu_);
    pending_.erase(id);
    if (!pending->progressToken.empty()) byToken_.erase(pending->progressToken);
  };
  const std::string body = protocol::encodeRequest(json(id), method, params.is_null() ? json::object() : params);
  if (auto sent = transport_->send(body, std::min(options.timeoutMs, kMaxSendMs)); !sent) {
    forget();
    return makeError(sent.error().code == ErrorCode::Timeout ? ErrorCode::Timeout : ErrorCode::Unavailable,
                     "MCP server '" + name_ + "': cannot send " + method + ": " + sent.error().message);
  }
  const auto start = Clock::now();
  const int maxTotal = options.maxTotalMs > 0 ? options.maxTotalMs : options.timeoutMs * 10;
  std::unique_lock lock(mu_);
  while (!pending->result) {
    const auto now = Clock::now();
    std::string giveUp;
    ErrorCode code = ErrorCode::Timeout;
    if (options.cancel && options.cancel->load()) {
      giveUp = "cancelled";
      code = ErrorCode::RequestCancelled;
    } else if (now - pending->lastActivity >= std::chrono::milliseconds(options.timeoutMs)) {
      giveUp = "no answer to " + method + " within " + secondsText(options.timeoutMs);
    } else if (now - start >= std::chrono::milliseconds(maxTotal)) {
      giveUp = method + " took longer than " + secondsText(maxTotal) + " in all";
    }
    if (!giveUp.empty()) {
      pending_.erase(id);
      if (!pending->progressToken.empty()) byToken_.erase(pending->progressToken);
      const bool open = !closed_;
      lock.unlock();
      // The spec: a request given up on is cancelled, so the server can stop.
      if (open && method != "initialize")
        send(protocol::encodeNotification("notifications/cancelled", {{"requestId", id}, {"reason", giveUp}}));
      return makeError(code, "MCP server '" + name_ + "': " + giveUp);
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  Expected<json> result = std::move(*pending->result);
  pending_.erase(id);
  if (!pending->progressToken.empty()) byToken_.erase(pending->progressToken);
  return result;
}

Expected<void> Session::notify(const std::string& method, json params) {
  if (auto c = closed()) return *c;
  return transport_->send(protocol::encodeNotification(method, params.is_null() ? json::object() : params), kMaxSendMs);
}

std::string secondsText(int ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string s = std::to_string(ms / 1000.0);
  while (s.back() == '0') s.pop_back();
  return s + " s";
}

}  // namespace cadre::mcp
