// One streamed attempt; see chat_attempt.hpp.
#include "server/models/chat_attempt.hpp"

namespace cadre::models {
namespace {

using Clock = std::chrono::steady_clock;

// An error body longer than this is cut: it is only read for its message.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

struct AttemptState {
  AttemptSpec spec;
  ResponseAssembler out;
  std::unique_ptr<StreamDecoder> decoder;
  HttpResponseHead head;
  bool errorStatus = false;
  std::string errorBody;
  bool gotBody = false;
  std::optional<Failure> failure;
  Clock::time_point started = Clock::now();
  std::function<void(AttemptOutcome)> done;

  AttemptState(AttemptSpec s, StreamCallbacks cb, std::function<void(AttemptOutcome)> d)
      : spec(std::move(s)), out(std::move(cb), spec.textTools, spec.toolNames), done(std::move(d)) {}
};

}  // namespace

HttpClient::TransferId startAttempt(HttpClient& http, AttemptSpec spec, StreamCallbacks callbacks,
                                    std::function<void(AttemptOutcome)> done) {
  HttpRequest request = std::move(spec.http);
  auto st = std::make_shared<AttemptState>(std::move(spec), std::move(callbacks), std::move(done));
  HttpCallbacks cb;
  cb.onHead = [st](const HttpResponseHead& head) {
    st->head = head;
    if (head.status < 200 || head.status >= 300) {
      st->errorStatus = true;
    } else {
      st->decoder = st->spec.provider->decoder(st->out, st->spec.context);
    }
  };
  cb.onBody = [st](std::string_view bytes) {
    st->gotBody = true;
    if (st->errorStatus) {
      if (st->errorBody.size() < kMaxErrorBody) st->errorBody.append(bytes.substr(0, kMaxErrorBody - st->errorBody.size()));
      return true;
    }
    if (!st->decoder) return true;
    if (auto f = st->decoder->feed(bytes)) {
      st->failure = std::move(f);
      return false;
    }
    return true;
  };
  cb.onDone = [st](Expected<void> result) {
    AttemptOutcome o;
    const auto end = Clock::now();
    o.totalMs = std::chrono::duration<double, std::milli>(end - st->started).count();
    if (st->failure) {
      o.failure = std::move(st->failure);
    } else if (!result) {
      Failure f = transportFailure(result.error());
      // Bytes of a successful response already arrived: the stream broke, it did not fail to start.
      if (f.kind != FailureKind::Cancelled && st->gotBody && !st->errorStatus) f.kind = FailureKind::Interrupted;
      o.failure = std::move(f);
    } else if (st->errorStatus) {
      o.failure = st->spec.provider->httpError(st->head.status, st->errorBody, st->head, st->spec.context);
    } else if (!st->decoder) {
      o.failure = Failure{makeError(ErrorCode::Unavailable, st->spec.context.modelName + ": " + st->spec.context.endpoint + " sent no response"),
                          FailureKind::Connect, {}};
    } else if (auto f = st->decoder->finish()) {
      o.failure = std::move(f);
    }
    o.delivered = st->out.delivered();
    if (auto first = st->out.firstToken()) {
      o.timeToFirstTokenMs = std::chrono::duration<double, std::milli>(*first - st->started).count();
      o.generationMs = std::chrono::duration<double, std::milli>(end - *first).count();
    }
    if (!o.failure) o.response = st->out.finish();
    auto done = std::move(st->done);
    st->decoder.reset();
    done(std::move(o));
  };
  return http.start(std::move(request), std::move(cb));
}

}  // namespace cadre::models
