// One routed request as a small state machine: pick the role's candidates
// under the per-request policies, then try them one at a time — an endpoint
// from the model's pool, the key, "auto" resolved, the attempt — and decide
// after each outcome: done, retry here after a wait, another endpoint of the
// pool, the next model, or give up with every reason in one message.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/models/chat_attempt.hpp"
#include "server/models/credentials.hpp"
#include "server/models/router_state.hpp"
#include "server/models/text_tools.hpp"
#include "server/models/url.hpp"
#include "server/security/egress.hpp"
#include "server/security/redact.hpp"

namespace cadre::models {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long "auto" trusts an endpoint's model list.
constexpr auto kServedTtl = std::chrono::seconds(60);
// Backoff for a 429 without Retry-After: base × 2^(retry-1), then ±25% jitter.
constexpr milliseconds kBackoffBase{500};

std::int64_t estimateTokens(const ChatRequest& r) {
  // bytes / 4 is the usual rule of thumb for English and code; a few tokens
  // of framing per message.
  std::size_t bytes = 0;
  for (const auto& m : r.messages) {
    bytes += m.content.size() + 16;
    for (const auto& c : m.toolCalls) bytes += c.name.size() + c.arguments.size();
  }
  for (const auto& t : r.tools) bytes += t.name.size() + t.description.size() + t.parameters.dump().size();
  return static_cast<std::int64_t>(bytes / 4) + 1;
}

ChatRequest redacted(ChatRequest r) {
  for (auto& m : r.messages) {
    if (security::containsSecret(m.content)) m.content = security::redact(m.content);
    for (auto& c : m.toolCalls) {
      if (security::containsSecret(c.arguments)) c.arguments = security::redact(c.arguments);
    }
  }
  return r;
}

struct Candidate {
  const ModelEntry* model;
  std::vector<std::string> endpoints;  // those local-only allows
};

class Job final : public ChatHandle, public std::enable_shared_from_this<Job> {
 public:
  Job(std::shared_ptr<Router::State> st, ChatRequest request, RouteOptions options, StreamCallbacks callbacks, Router::DoneCallback done)
      : st_(std::move(st)), request_(std::move(request)), opts_(std::move(options)), cb_(std::move(callbacks)), done_(std::move(done)) {}

  void start() {
    if (auto refused = plan(); !refused.empty()) return finish(makeError(ErrorCode::Unauthorized, refused));
    if (candidates_.empty()) {
      return finish(makeError(skipped_.empty() ? ErrorCode::Config : ErrorCode::Unauthorized,
                              "role " + opts_.role + ": no model may take this request: " + join(skipped_) + "; " + st_->configureHint()));
    }
    next(milliseconds(0));
  }

  void cancel() override {
    std::optional<HttpClient::TransferId> current;
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      cancelled_ = true;
      current = current_;
    }
    if (current) {
      st_->http->cancel(*current);
    } else {
      finish(makeError(ErrorCode::RequestCancelled, "request cancelled"));
    }
  }

 private:
  static std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
  }

  // Applies the per-request policies to the role's list. Returns a refusal
  // that holds for every model (the budget), or "".
  std::string plan() {
    const auto& settings = st_->config.settings;
    promptEstimate_ = estimateTokens(request_);
    budget_ = settings.maxTokensPerRequest;
    if (opts_.tokenBudget > 0 && (budget_ == 0 || opts_.tokenBudget < budget_)) budget_ = opts_.tokenBudget;
    if (budget_ > 0 && promptEstimate_ >= budget_) {
      return "the request needs about " + std::to_string(promptEstimate_) + " prompt tokens, over its budget of " + std::to_string(budget_) +
             " tokens (router.maxTokensPerRequest)";
    }
    std::string sensitivePath, sensitivePattern;
    for (const auto& path : request_.sourcePaths) {
      if (matchesSensitive(settings.sensitive, path, &sensitivePattern)) {
        sensitivePath = path;
        break;
      }
    }
    // The author, for a review: its config entry and the id it was served as.
    const ModelEntry* author = opts_.author.empty() ? nullptr : st_->find(opts_.author);
    authorServed_ = normalizeModelId(!opts_.authorServedModel.empty() ? opts_.authorServedModel
                                     : author && author->spec.model != "auto" ? author->spec.model
                                                                              : "");
    if (!opts_.author.empty() && !author && authorServed_.empty()) authorServed_ = normalizeModelId(opts_.author);
    const bool review = opts_.role == "reviewer" && (!opts_.author.empty() || !opts_.authorServedModel.empty());

    for (const auto& name : st_->roleModels(opts_.role)) {
      const ModelEntry* m = st_->find(name);
      if (!m) continue;
      if (review) {
        const bool sameEntry = author && author->spec.name == m->spec.name && m->spec.model != "auto";
        const bool sameServed = m->spec.model != "auto" && !authorServed_.empty() && normalizeModelId(m->spec.model) == authorServed_;
        if (sameEntry || sameServed) {
          skipped_.push_back(name + " wrote the change under review");
          continue;
        }
        if (st_->config.settings.reviewerDistinctProvider && author && author->provider == m->provider) {
          skipped_.push_back(name + " is from the same provider (" + m->provider + ") as the author");
          continue;
        }
      }
      // cadre eval's verdict (docs/eval.md): a restricted model gets no
      // request that could change files or run commands; the next model of
      // the role takes it.
      if (opts_.mutating && m->spec.restricted) {
        skipped_.push_back(name + " is restricted to read-only work (" + m->spec.restriction + ")");
        continue;
      }
      if (!sensitivePath.empty() && !m->local) {
        skipped_.push_back(name + " is not local and the request holds " + sensitivePath + " (router.sensitive \"" + sensitivePattern + "\")");
        continue;
      }
      if (settings.maxCostPerRequest > 0 &&
          static_cast<double>(promptEstimate_) * m->spec.inputCostPerMTok / 1e6 >= settings.maxCostPerRequest) {
        skipped_.push_back(name + ": the prompt alone would cost more than router.maxCostPerRequest");
        continue;
      }
      Candidate c{m, {}};
      std::string egressError;
      for (const auto& url : m->spec.endpoints) {
        if (auto ok = security::checkEgress(url, m->spec.local.value_or(false), st_->config.localOnly); ok) {
          c.endpoints.push_back(url);
        } else {
          egressError = ok.error().message;
        }
      }
      if (c.endpoints.empty()) {
        skipped_.push_back(name + ": " + egressError);
        continue;
      }
      candidates_.push_back(std::move(c));
    }
    return {};
  }

  // Starts the next try after `delay`, or ends the request.
  void next(milliseconds delay) {
    if (isCancelled()) return finish(makeError(ErrorCode::RequestCancelled, "request cancelled"));
    while (index_ < candidates_.size()) {
      const Candidate& c = candidates_[index_];
      std::string chosen;
      {
        std::lock_guard lock(st_->mu);
        const auto now = Clock::now();
        double best = 0;
        for (const auto& url : c.endpoints) {
          if (std::find(tried_.begin(), tried_.end(), url) != tried_.end()) continue;
          EndpointHealth& h = st_->healthOf(url);
          if (h.state(now) == EndpointHealth::State::Open) continue;
          if (chosen.empty() || h.score() < best) {
            chosen = url;
            best = h.score();
          }
        }
        if (!chosen.empty() && !st_->healthOf(chosen).admit(now)) chosen.clear();  // half-open, trial already out
        if (!chosen.empty()) st_->healthOf(chosen).begin();
      }
      if (!chosen.empty()) {
        endpoint_ = chosen;
        return prepare(delay);
      }
      if (tried_.empty()) failures_.push_back(c.model->spec.name + ": circuit open for its endpoints (recent failures); skipped");
      advance();
    }
    finishExhausted();
  }

  void advance() {
    ++index_;
    tried_.clear();
    retries_ = 0;
  }

  bool isCancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

  // Key and "auto" before the attempt itself.
  void prepare(milliseconds delay) {
    const ModelEntry& m = *candidates_[index_].model;
    served_.clear();
    auto key = loadKey(m.spec);
    if (!key) return outcome(failed(Failure{key.error(), FailureKind::Auth, {}}));
    key_ = *key;
    if (m.spec.model != "auto") {
      served_ = m.spec.model;
      return launch(delay);
    }
    {
      std::lock_guard lock(st_->mu);
      auto it = st_->served.find(endpoint_);
      if (it != st_->served.end() && Clock::now() - it->second.at < kServedTtl) {
        if (auto pick = pickServed(it->second.ids); !pick.empty()) {
          served_ = pick;
        }
      }
    }
    if (!served_.empty()) return launch(delay);
    resolveAuto(delay);
  }

  std::string pickServed(const std::vector<std::string>& ids) const {
    for (const auto& id : ids) {
      if (authorServed_.empty() || normalizeModelId(id) != authorServed_ || opts_.role != "reviewer") return id;
    }
    return {};
  }

  void resolveAuto(milliseconds delay) {
    const ModelEntry& m = *candidates_[index_].model;
    WireOptions o;
    o.baseUrl = endpoint_;
    o.key = key_;
    o.timeouts.connect = milliseconds(st_->config.settings.connectTimeoutMs);
    o.timeouts.firstByte = milliseconds(std::min<std::int64_t>(st_->config.settings.firstTokenTimeoutMs, 30000));
    const Provider& p = providerFor(m.spec.api);
    auto body = std::make_shared<HttpResult>();
    HttpCallbacks cb;
    cb.onHead = [body](const HttpResponseHead& h) { body->head = h; };
    cb.onBody = [body](std::string_view b) {
      if (body->body.size() < (4u << 20)) body->body.append(b);
      return true;
    };
    auto self = shared_from_this();
    cb.onDone = [self, body, delay, pp = &p](Expected<void> r) {
      const Provider& p = *pp;
      self->clearCurrent();
      const ModelEntry& m = *self->candidates_[self->index_].model;
      ErrorContext ctx = self->context();
      if (!r) return self->outcome(self->failed(transportFailure(r.error())));
      if (body->head.status < 200 || body->head.status >= 300) {
        return self->outcome(self->failed(p.httpError(body->head.status, body->body, body->head, ctx)));
      }
      auto ids = p.parseModels(body->body);
      {
        std::lock_guard lock(self->st_->mu);
        self->st_->served[self->endpoint_] = Router::State::Served{ids, Clock::now()};
      }
      self->served_ = self->pickServed(ids);
      if (self->served_.empty()) {
        std::string why = ids.empty() ? displayUrl(self->endpoint_) + " serves no models; pull one (`ollama pull qwen2.5-coder`) or set models." +
                                            m.spec.name + ".model"
                                      : displayUrl(self->endpoint_) + " serves only " + ids.front() +
                                            ", the model that wrote the change; a review needs another model";
        return self->outcome(self->failed(Failure{makeError(ErrorCode::Config, m.spec.name + ": " + why), FailureKind::ModelNotFound, {}}));
      }
      self->launch(delay);
    };
    setCurrent(st_->http->start(p.modelsRequest(o), std::move(cb)));
  }

  ErrorContext context() const {
    const ModelEntry& m = *candidates_[index_].model;
    return ErrorContext{m.spec.name, served_.empty() ? m.spec.model : served_, displayUrl(endpoint_), keySource(m.spec), st_->config.userConfigPath};
  }

  void launch(milliseconds delay) {
    const ModelEntry& m = *candidates_[index_].model;
    const auto& settings = st_->config.settings;
    WireOptions o;
    o.baseUrl = endpoint_;
    o.model = served_;
    o.key = key_;
    o.contextTokens = m.spec.contextTokens;
    std::int64_t maxTokens = m.spec.maxOutputTokens;
    if (request_.maxTokens) maxTokens = std::min<std::int64_t>(maxTokens, *request_.maxTokens);
    if (budget_ > 0) maxTokens = std::min(maxTokens, budget_ - promptEstimate_);
    if (settings.maxCostPerRequest > 0 && m.spec.outputCostPerMTok > 0) {
      // plan() made sure the prompt alone fits; the output gets what is left.
      const double left = settings.maxCostPerRequest - static_cast<double>(promptEstimate_) * m.spec.inputCostPerMTok / 1e6;
      maxTokens = std::min<std::int64_t>(maxTokens, static_cast<std::int64_t>(left * 1e6 / m.spec.outputCostPerMTok));
    }
    o.maxTokens = std::max<std::int64_t>(1, maxTokens);
    o.timeouts.connect = milliseconds(settings.connectTimeoutMs);
    o.timeouts.firstByte = milliseconds(settings.firstTokenTimeoutMs);
    o.timeouts.idle = milliseconds(settings.idleTimeoutMs);

    const bool textTools = m.spec.toolCalls == ToolCallMode::Text && !request_.tools.empty();
    ChatRequest wire = textTools ? toTextToolRequest(request_) : request_;
    if (!m.local) wire = redacted(std::move(wire));
    AttemptSpec spec;
    spec.provider = &providerFor(m.spec.api);
    spec.http = spec.provider->chatRequest(wire, o);
    spec.http.delay = delay;
    spec.context = context();
    spec.textTools = textTools;
    for (const auto& t : request_.tools) spec.toolNames.push_back(t.name);
    spdlog::debug("models: {} → {} ({}) at {}", opts_.role, m.spec.name, served_, displayUrl(endpoint_));
    auto self = shared_from_this();
    setCurrent(startAttempt(*st_->http, std::move(spec), cb_, [self](AttemptOutcome o) {
      self->clearCurrent();
      self->outcome(std::move(o));
    }));
  }

  AttemptOutcome failed(Failure f) {
    AttemptOutcome o;
    o.failure = std::move(f);
    return o;
  }

  void setCurrent(HttpClient::TransferId id) {
    bool cancelNow;
    {
      std::lock_guard lock(mu_);
      current_ = id;
      cancelNow = cancelled_;
    }
    if (cancelNow) st_->http->cancel(id);
  }

  void clearCurrent() {
    std::lock_guard lock(mu_);
    current_.reset();
  }

  void outcome(AttemptOutcome o) {
    const ModelEntry& m = *candidates_[index_].model;
    {
      std::lock_guard lock(st_->mu);
      EndpointHealth& h = st_->healthOf(endpoint_);
      if (!o.failure) {
        h.succeeded(o.timeToFirstTokenMs);
      } else if (countsAgainstEndpoint(o.failure->kind)) {
        h.failed(Clock::now());
      } else {
        h.released();
      }
    }
    if (!o.failure) {
      ChatResponse r = std::move(o.response);
      std::int64_t completion = r.usageReported ? r.usage.completionTokens : static_cast<std::int64_t>(r.text.size() / 4);
      std::int64_t prompt = r.usageReported ? r.usage.promptTokens : promptEstimate_;
      st_->metrics.recordSuccess(m.spec.name, o.timeToFirstTokenMs, o.generationMs, prompt, completion,
                                 (prompt * m.spec.inputCostPerMTok + completion * m.spec.outputCostPerMTok) / 1e6);
      r.model = m.spec.name;
      r.servedModel = served_;
      r.endpoint = displayUrl(endpoint_);
      r.timeToFirstTokenMs = o.timeToFirstTokenMs;
      r.durationMs = o.totalMs;
      return finish(std::move(r));
    }
    Failure f = std::move(*o.failure);
    f.error.message = scrubKey(std::move(f.error.message), key_);
    st_->metrics.recordFailure(m.spec.name, failureKindName(f.kind));
    if (f.kind == FailureKind::Cancelled || isCancelled()) return finish(makeError(ErrorCode::RequestCancelled, "request cancelled"));
    if (o.delivered) {
      // The caller has part of this answer: another model would start over.
      spdlog::warn("models: {} broke off mid-answer ({}): {}", m.spec.name, failureKindName(f.kind), f.error.message);
      return finish(makeError(f.error.code, f.error.message + " (after part of the answer had streamed; not retried elsewhere)"));
    }
    const auto& settings = st_->config.settings;
    if (f.kind == FailureKind::RateLimited && retries_ < settings.maxRetries &&
        (!f.retryAfter || f.retryAfter->count() <= settings.maxRetryAfterMs)) {
      ++retries_;
      milliseconds wait = f.retryAfter ? *f.retryAfter : kBackoffBase * (1 << (retries_ - 1));
      {
        std::lock_guard lock(st_->mu);
        // Jitter spreads the retries of many requests that were limited together.
        std::uniform_real_distribution<double> jitter(f.retryAfter ? 1.0 : 0.75, f.retryAfter ? 1.2 : 1.25);
        wait = milliseconds(static_cast<long long>(static_cast<double>(wait.count()) * jitter(st_->rng)));
      }
      spdlog::info("models: {} rate limited; retry {} in {} ms", m.spec.name, retries_, wait.count());
      return next(wait);
    }
    if (countsAgainstEndpoint(f.kind) && candidates_[index_].endpoints.size() > tried_.size() + 1) {
      // Another endpoint of the same pool may be fine.
      tried_.push_back(endpoint_);
      spdlog::info("models: {} at {} failed ({}); trying another endpoint", m.spec.name, displayUrl(endpoint_), failureKindName(f.kind));
      return next(milliseconds(0));
    }
    failures_.push_back(f.error.message);
    kinds_.push_back(f.kind);
    lastCode_ = f.error.code;
    if (!fallsBack(f.kind)) return finish(makeError(f.error.code, f.error.message));
    advance();
    if (index_ < candidates_.size()) {
      spdlog::info("models: {} failed ({}): {}; trying {}", m.spec.name, failureKindName(f.kind), f.error.message,
                   candidates_[index_].model->spec.name);
    }
    next(milliseconds(0));
  }

  void finishExhausted() {
    std::vector<std::string> parts = failures_;
    parts.insert(parts.end(), skipped_.begin(), skipped_.end());
    const bool unreachable = !kinds_.empty() && std::all_of(kinds_.begin(), kinds_.end(), [](FailureKind k) {
      return k == FailureKind::Connect || k == FailureKind::Timeout;
    });
    std::string text;
    if (unreachable) {
      text = "role " + opts_.role + ": no model is reachable: " + join(parts) + "; " + st_->configureHint();
    } else if (parts.size() == 1) {
      text = parts[0];  // it already says what to fix
    } else {
      text = "role " + opts_.role + ": every model failed: " + join(parts);
    }
    spdlog::warn("models: {}", text);
    finish(makeError(unreachable ? ErrorCode::Unavailable : lastCode_, text));
  }

  void finish(Expected<ChatResponse> result) {
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      finished_ = true;
    }
    auto done = std::move(done_);
    if (done) done(std::move(result));
  }

  std::shared_ptr<Router::State> st_;
  ChatRequest request_;
  RouteOptions opts_;
  StreamCallbacks cb_;
  Router::DoneCallback done_;

  std::vector<Candidate> candidates_;
  std::vector<std::string> skipped_;   // models the policies left out, with why
  std::vector<std::string> failures_;  // models that were tried, with why
  std::vector<FailureKind> kinds_;
  ErrorCode lastCode_ = ErrorCode::Unavailable;
  std::size_t index_ = 0;
  std::vector<std::string> tried_;  // endpoints of the current model that failed
  std::int64_t retries_ = 0;
  std::string endpoint_;
  std::string served_;
  std::optional<std::string> key_;
  std::string authorServed_;
  std::int64_t promptEstimate_ = 0;
  std::int64_t budget_ = 0;

  std::mutex mu_;  // guards the three below: cancel() comes from any thread
  bool cancelled_ = false;
  bool finished_ = false;
  std::optional<HttpClient::TransferId> current_;
};

}  // namespace

std::shared_ptr<ChatHandle> Router::chat(ChatRequest request, RouteOptions options, StreamCallbacks callbacks, DoneCallback onDone) {
  auto job = std::make_shared<Job>(state_, std::move(request), std::move(options), std::move(callbacks), std::move(onDone));
  job->start();
  return job;
}

}  // namespace cadre::models
