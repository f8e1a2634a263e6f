// The model router: which model answers a request for a role, and what
// happens when it cannot. Policies live here, in code, for every caller:
//   - a role is an ordered list of models; on connection failure, 5xx,
//     timeout (and any other failure of that model) the next one is tried —
//     unless the caller has already seen part of the answer;
//   - 429 is retried on the same model after Retry-After (jittered backoff
//     when absent), up to router.maxRetries, then the next model;
//   - a circuit breaker per endpoint, and pools of endpoints per model
//     ranked by health and load;
//   - the reviewer never gets a change to review from the model (and, with
//     router.reviewerDistinctProvider, the provider) that wrote it: checked at
//     load for the configured roles and again for every request;
//   - content from paths matching router.sensitive only goes to local models,
//     and content for non-local models passes security::redact first;
//   - security.localOnly refuses non-loopback endpoints not marked local;
//   - a per-request budget of tokens (and cost, when prices are configured).
// models knows no files: `sourcePaths` are labels the caller provides.
//
// Thread-safety: every member may be called from any thread except that
// complete() and probe() block and must not run on the HTTP client's thread.
// Callbacks run on the HTTP client's thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/models/http_client.hpp"
#include "server/models/metrics.hpp"
#include "server/models/model_config.hpp"
#include "server/models/types.hpp"
#include "support/expected.hpp"

namespace cadre::models {

struct RouteOptions {
  std::string role = "executor";
  // For a review: the model that wrote the change — its config name
  // (ChatResponse::model) and, best, the id it was served as
  // (ChatResponse::servedModel), which also catches the same model configured
  // twice and "auto" entries.
  std::string author;
  std::string authorServedModel;
  // Tokens this request may use (prompt estimate + output); 0: router.maxTokensPerRequest.
  std::int64_t tokenBudget = 0;
  // The request offers tools that change files or run commands. Models that
  // `cadre eval` restricted (ModelSpec::restricted) are skipped for it, so a
  // restricted model only ever gets read-only work (docs/eval.md).
  bool mutating = false;
};

// A request in flight. cancel() stops it at once (the stream is closed) and
// onDone gets RequestCancelled, unless it had already finished.
class ChatHandle {
 public:
  virtual ~ChatHandle() = default;
  virtual void cancel() = 0;
};

// One endpoint's state as the router sees it.
struct EndpointStatus {
  std::string model;     // config name
  std::string endpoint;  // display URL
  bool local = false;
  std::string breaker;   // closed | open | half-open
  int inFlight = 0;
  double averageFirstByteMs = 0;
  std::int64_t consecutiveFailures = 0;
};

// The answer of GET /v1/models (or /api/tags) at one endpoint.
struct ProbeResult {
  std::string model;     // config name
  std::string api;
  std::string endpoint;  // display URL
  bool local = false;
  bool reachable = false;
  bool servesModel = false;  // the configured model is among those served ("auto": any is)
  double latencyMs = 0;
  std::vector<std::string> served;
  std::string error;  // why not reachable, or why refused
};

class Router {
 public:
  // Validates the configuration: every role names known models, every model
  // has an endpoint and a model id, and no authoring model lacks a distinct
  // reviewer. An error names the key to fix and the file to fix it in.
  static Expected<std::unique_ptr<Router>> create(RouterConfig config, HttpClient& http = HttpClient::shared());
  ~Router();

  using DoneCallback = std::function<void(Expected<ChatResponse>)>;
  std::shared_ptr<ChatHandle> chat(ChatRequest request, RouteOptions options, StreamCallbacks callbacks, DoneCallback onDone);
  // Blocking chat(); not on the HTTP thread.
  Expected<ChatResponse> complete(ChatRequest request, RouteOptions options, StreamCallbacks callbacks = {});

  // The models a role would try, in order, before per-request policies.
  std::vector<std::string> roleModels(const std::string& role) const;
  const RouterConfig& config() const;
  bool isLocal(const std::string& model) const;
  // Whether `cadre eval` restricted the model to read-only work, and why.
  bool isRestricted(const std::string& model, std::string* why = nullptr) const;
  // What to do when no model answers: where to configure models, or how to
  // start the default Ollama.
  std::string configureHint() const;

  std::vector<ModelMetrics> metrics() const;
  std::vector<EndpointStatus> endpoints() const;
  // Asks every endpoint which models it serves, all at once; `timeout` each.
  std::vector<ProbeResult> probe(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) const;

  struct State;  // internal (router_state.hpp); public so the request machinery can hold it

 private:
  explicit Router(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace cadre::models
