// The one place JSON-RPC requests become handler calls. Cross-cutting rules live
// here, once: decoding params (InvalidParams names the field), refusing calls
// before `initialize` and after `shutdown`, MethodNotFound, $/cancelRequest,
// replying exactly once, timing, and server→client calls with ids, timeouts
// and a cap. Components bind their methods into it; handlers have one shape:
//   void onX(const XParams&, Callback<XResult>)
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "protocol/cancellation.hpp"
#include "protocol/json_decode.hpp"
#include "protocol/transport.hpp"

namespace cadre::protocol {

// Params of methods that take none: absent, null or {} are all accepted.
struct NoParams {};
inline void from_json(const json& j, NoParams&) {
  if (!j.is_null() && !j.is_object() && !(j.is_array() && j.empty())) throw DecodeError("", "expected no params");
}
// Result of methods whose result is `null` (shutdown).
struct NullResult {};
inline void to_json(json& j, const NullResult&) { j = nullptr; }

struct DispatcherOptions {
  // Server→client calls waiting for an answer; beyond it a call fails at once
  // instead of piling up behind a client that stopped answering.
  std::size_t maxOutstandingCalls = 64;
  std::chrono::milliseconds callTimeout{std::chrono::minutes(10)};
};

// Latency of the requests this dispatcher answered, per method.
struct MethodStats {
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::uint64_t totalMicros = 0;
  std::uint64_t maxMicros = 0;
};

namespace detail {
class DispatcherCore;

struct ReplyState {
  std::shared_ptr<DispatcherCore> core;
  json id;
  std::string method;
  CancelToken token;
  std::chrono::steady_clock::time_point start;
  std::atomic<bool> replied{false};
  bool record = false;  // count in the latency table (only bound methods: names from the wire are unbounded)
  ~ReplyState();
  void finish(Expected<json> result);
};
}  // namespace detail

// The reply handle a handler receives. Copyable; all copies share one reply.
// The first call answers the request; a second is logged and dropped; if every
// copy is destroyed without a call, the client gets InternalError.
// Thread-safe: may be invoked from any thread.
template <class R>
class Callback {
 public:
  explicit Callback(std::shared_ptr<detail::ReplyState> state) : state_(std::move(state)) {}

  void operator()(Expected<R> result) const {
    if (!result) return state_->finish(Error(std::move(result).error()));
    if constexpr (std::is_same_v<R, json>) {
      state_->finish(std::move(*result));
    } else {
      state_->finish(json(*result));
    }
  }
  const CancelToken& token() const { return state_->token; }
  bool cancelled() const { return state_->token.cancelled(); }
  bool replied() const { return state_->replied.load(); }
  const std::shared_ptr<detail::ReplyState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::ReplyState> state_;
};

class Dispatcher : public MessageHandler {
 public:
  Dispatcher(std::shared_ptr<Transport> transport, asio::any_io_executor executor, DispatcherOptions options = {});
  ~Dispatcher() override;

  using RawHandler = std::function<void(json params, Callback<json>)>;
  using RawNotificationHandler = std::function<void(json params)>;

  void bindRaw(std::string method, RawHandler handler);
  void bindRawNotification(std::string method, RawNotificationHandler handler);

  template <class P, class R, class C>
  void bind(std::string method, C* self, void (C::*fn)(const P&, Callback<R>)) {
    bindRaw(std::move(method), [self, fn](json params, Callback<json> reply) {
      P decoded{};
      try {
        decodeValue(params, decoded);
      } catch (const DecodeError& e) {
        return reply(makeError(ErrorCode::InvalidParams, e.within("params").what()));
      }
      (self->*fn)(decoded, Callback<R>(reply.state()));
    });
  }

  template <class P, class C>
  void bindNotification(std::string method, C* self, void (C::*fn)(const P&)) {
    std::string name = method;
    bindRawNotification(std::move(method), [this, self, fn, m = std::move(name)](json params) {
      P decoded{};
      try {
        decodeValue(params, decoded);
      } catch (const DecodeError& e) {
        return invalidNotification(m, e.within("params").what());
      }
      (self->*fn)(decoded);
    });
  }

  // A notification cannot be answered; when its params do not decode, this
  // hook hears of it (the LSP session tells the client in a log message).
  void onBadNotification(std::function<void(const std::string& method, const std::string& why)> hook) {
    onBadNotification_ = std::move(hook);
  }

  // Lifecycle gate. Until initialized(), only methods named here are served;
  // other requests get ServerNotInitialized and notifications are dropped.
  void allowBeforeInitialize(std::string method) { allowedEarly_.insert(std::move(method)); }
  void setInitialized() { initialized_ = true; }
  // After shutdown only `exit` (and replies) are accepted.
  void setShutdown() { shutdown_ = true; }
  // Closes the connection once the current message has been handled.
  void requestStop() { stop_ = true; }

  // Server→client traffic. `call` answers through `done` exactly once: with
  // the client's result, its error, a timeout, or "connection closed".
  void notify(std::string_view method, json params);
  void call(std::string_view method, json params, std::function<void(Expected<json>)> done);
  std::size_t outstandingCalls() const;
  std::map<std::string, MethodStats> methodStats() const;

  // MessageHandler
  bool onNotify(std::string_view method, json params) override;
  bool onCall(std::string_view method, json params, json id) override;
  bool onReply(json id, Expected<json> result) override;
  void onInvalid(const Invalid&) override;
  void onClosed() override;

 private:
  void invalidNotification(const std::string& method, const std::string& why);
  std::function<void(const std::string&, const std::string&)> onBadNotification_;

  std::shared_ptr<detail::DispatcherCore> core_;
  std::unordered_map<std::string, RawHandler> calls_;
  std::unordered_map<std::string, RawNotificationHandler> notifications_;
  std::set<std::string, std::less<>> allowedEarly_;
  bool initialized_ = false;
  bool shutdown_ = false;
  bool stop_ = false;
};

}  // namespace cadre::protocol
