// Dispatcher: routing, lifecycle gating, cancellation and reply bookkeeping.
// Handlers may reply from any thread, so the shared maps live in a core object
// behind one mutex that only guards bookkeeping (never a handler's work).
#include "protocol/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

namespace cadre::protocol {
namespace detail {

class DispatcherCore : public std::enable_shared_from_this<DispatcherCore> {
 public:
  DispatcherCore(std::shared_ptr<Transport> transport, asio::any_io_executor executor, DispatcherOptions options)
      : transport_(std::move(transport)), executor_(std::move(executor)), options_(options) {}

  std::shared_ptr<Transport> transport() {
    std::lock_guard lock(mu_);
    return transport_;
  }

  CancelToken track(const json& id) {
    std::lock_guard lock(mu_);
    CancelToken token;
    inflight_[id.dump()] = token;
    return token;
  }

  void cancel(const json& id) {
    std::lock_guard lock(mu_);
    if (auto it = inflight_.find(id.dump()); it != inflight_.end()) it->second.cancel();
  }

  void finish(const json& id, const std::string& method, std::chrono::steady_clock::time_point start, bool recordStats,
              Expected<json> result) {
    std::shared_ptr<Transport> transport;
    {
      std::lock_guard lock(mu_);
      inflight_.erase(id.dump());
      transport = transport_;
    }
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (recordStats) record(method, micros, !result);
    if (spdlog::should_log(spdlog::level::debug)) {
      if (result) {
        spdlog::debug("<-- reply {}({}) {:.2f}ms", method, idToString(id), micros / 1000.0);
      } else {
        spdlog::debug("<-- reply {}({}) {:.2f}ms error {}: {}", method, idToString(id), micros / 1000.0,
                      static_cast<int>(result.error().code), result.error().message);
      }
    }
    if (transport) transport->reply(id, std::move(result));
  }

  // Server→client calls.
  void call(std::string_view method, json params, std::function<void(Expected<json>)> done) {
    std::shared_ptr<Transport> transport;
    std::int64_t id = 0;
    {
      std::lock_guard lock(mu_);
      transport = transport_;
      if (!transport) {
        return asio::post(executor_, [done = std::move(done)] { done(makeError(ErrorCode::Unavailable, "connection closed")); });
      }
      if (pending_.size() >= options_.maxOutstandingCalls) {
        return asio::post(executor_, [done = std::move(done), m = std::string(method), cap = options_.maxOutstandingCalls] {
          done(makeError(ErrorCode::Unavailable,
                         "too many calls to the client waiting for an answer (" + std::to_string(cap) + "); " + m + " not sent"));
        });
      }
      id = nextId_++;
      auto timer = std::make_shared<asio::steady_timer>(executor_, options_.callTimeout);
      timer->async_wait([weak = weak_from_this(), id](const std::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->complete(id, makeError(ErrorCode::Timeout, "the client did not answer in time"));
      });
      pending_.emplace(id, Pending{std::string(method), std::move(done), std::move(timer)});
    }
    spdlog::debug("<-- call {}({})", method, id);
    transport->call(method, std::move(params), id);
  }

  // Delivers the outcome of call `id`; false when no such call is waiting.
  bool complete(std::int64_t id, Expected<json> result) {
    Pending pending;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return false;
      pending = std::move(it->second);
      pending_.erase(it);
    }
    pending.timer->cancel();
    pending.done(std::move(result));
    return true;
  }

  std::map<std::string, MethodStats> stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  std::size_t outstanding() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

  void close() {
    std::map<std::int64_t, Pending> pending;
    {
      std::lock_guard lock(mu_);
      transport_.reset();
      for (auto& [id, token] : inflight_) token.cancel();
      pending.swap(pending_);
    }
    for (auto& [id, p] : pending) {
      p.timer->cancel();
      p.done(makeError(ErrorCode::Unavailable, "connection closed before the client answered " + p.method));
    }
  }

 private:
  struct Pending {
    std::string method;
    std::function<void(Expected<json>)> done;
    std::shared_ptr<asio::steady_timer> timer;
  };

  void record(const std::string& method, std::int64_t micros, bool failed) {
    std::lock_guard lock(mu_);
    MethodStats& s = stats_[method];
    ++s.calls;
    if (failed) ++s.errors;
    s.totalMicros += static_cast<std::uint64_t>(micros);
    s.maxMicros = std::max(s.maxMicros, static_cast<std::uint64_t>(micros));
  }

  mutable std::mutex mu_;
  std::map<std::string, MethodStats> stats_;
  std::shared_ptr<Transport> transport_;
  asio::any_io_executor executor_;
  DispatcherOptions options_;
  std::unordered_map<std::string, CancelToken> inflight_;
  std::map<std::int64_t, Pending> pending_;
  std::int64_t nextId_ = 1;
};

ReplyState::~ReplyState() {
  if (!replied.load()) {
    spdlog::error("handler for {}({}) dropped its reply", method, idToString(id));
    core->finish(id, method, start, record, makeError(ErrorCode::InternalError, "the server dropped the reply to " + method));
  }
}

void ReplyState::finish(Expected<json> result) {
  if (replied.exchange(true)) {
    spdlog::error("handler for {}({}) replied twice; the second reply was dropped", method, idToString(id));
    return;
  }
  core->finish(id, method, start, record, std::move(result));
}

}  // namespace detail

Dispatcher::Dispatcher(std::shared_ptr<Transport> transport, asio::any_io_executor executor, DispatcherOptions options)
    : core_(std::make_shared<detail::DispatcherCore>(std::move(transport), std::move(executor), options)) {}

Dispatcher::~Dispatcher() { core_->close(); }

void Dispatcher::bindRaw(std::string method, RawHandler handler) { calls_[std::move(method)] = std::move(handler); }

void Dispatcher::bindRawNotification(std::string method, RawNotificationHandler handler) {
  notifications_[std::move(method)] = std::move(handler);
}

void Dispatcher::invalidNotification(const std::string& method, const std::string& why) {
  spdlog::warn("dropped notification {}: {}", method, why);
  if (onBadNotification_) onBadNotification_(method, why);
}

bool Dispatcher::onNotify(std::string_view method, json params) {
  spdlog::debug("--> {}", method);
  if (method == "$/cancelRequest") {
    if (params.is_object() && params.contains("id")) core_->cancel(params["id"]);
    return !stop_;
  }
  auto it = notifications_.find(std::string(method));
  if (it == notifications_.end()) {
    if (calls_.count(std::string(method))) {
      spdlog::warn("{} is a request but arrived without an id; dropped", method);
    } else if (method.substr(0, 2) != "$/") {
      // "$/" notifications are optional by spec; anything else unknown is worth a line.
      spdlog::info("ignored unknown notification {}", method);
    }
    return !stop_;
  }
  const bool allowed = allowedEarly_.count(method) != 0;
  if ((!initialized_ && !allowed) || (shutdown_ && !allowed)) {
    spdlog::info("dropped {}: {}", method, shutdown_ ? "after shutdown" : "before initialize");
    return !stop_;
  }
  try {
    it->second(std::move(params));
  } catch (const std::exception& e) {
    spdlog::error("notification {} failed: {}", method, e.what());
  }
  return !stop_;
}

bool Dispatcher::onCall(std::string_view method, json params, json id) {
  if (spdlog::should_log(spdlog::level::debug)) spdlog::debug("--> {}({})", method, idToString(id));
  auto state = std::make_shared<detail::ReplyState>();
  state->core = core_;
  state->id = id;
  state->method = std::string(method);
  state->start = std::chrono::steady_clock::now();
  state->token = core_->track(id);
  Callback<json> reply(state);
  state.reset();

  const bool allowed = allowedEarly_.count(method) != 0;
  if (!initialized_ && !allowed) {
    // LSP: any request before initialize gets ServerNotInitialized, known or not.
    reply(makeError(ErrorCode::ServerNotInitialized, "the server is not initialized; send initialize first"));
    return !stop_;
  }
  auto it = calls_.find(std::string(method));
  if (it == calls_.end()) {
    if (notifications_.count(std::string(method)) || method == "$/cancelRequest") {
      reply(makeError(ErrorCode::InvalidRequest, std::string(method) + " is a notification and must not carry an id"));
    } else {
      reply(makeError(ErrorCode::MethodNotFound, "method not found: " + std::string(method)));
    }
    return !stop_;
  }
  if (shutdown_ && !allowed) {
    reply(makeError(ErrorCode::InvalidRequest, "the server is shutting down; only exit is accepted"));
    return !stop_;
  }
  reply.state()->record = true;
  try {
    it->second(std::move(params), reply);
  } catch (const std::exception& e) {
    // nlohmann and the standard library throw; the client still gets one reply.
    if (!reply.replied()) reply(makeError(ErrorCode::InternalError, std::string(method) + " failed: " + e.what()));
    else spdlog::error("{} threw after replying: {}", method, e.what());
  }
  return !stop_;
}

bool Dispatcher::onReply(json id, Expected<json> result) {
  if (!id.is_number_integer() || !core_->complete(id.get<std::int64_t>(), std::move(result))) {
    spdlog::warn("ignored a response to unknown id {}", idToString(id));
  }
  return !stop_;
}

void Dispatcher::onInvalid(const Invalid& bad) {
  spdlog::warn("invalid message: {}", bad.error.message);
}

void Dispatcher::onClosed() { core_->close(); }

void Dispatcher::notify(std::string_view method, json params) {
  if (auto transport = core_->transport()) transport->notify(method, std::move(params));
}

void Dispatcher::call(std::string_view method, json params, std::function<void(Expected<json>)> done) {
  core_->call(method, std::move(params), std::move(done));
}

std::size_t Dispatcher::outstandingCalls() const { return core_->outstanding(); }

std::map<std::string, MethodStats> Dispatcher::methodStats() const { return core_->stats(); }

}  // namespace cadre::protocol
