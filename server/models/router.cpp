// Router construction (the load-time checks), its views (metrics, endpoint
// state, probes) and the blocking entry point. The request state machine is
// in router_job.cpp.
#include "server/models/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <set>

#include "server/models/credentials.hpp"
#include "server/models/provider.hpp"
#include "server/models/router_state.hpp"
#include "server/models/url.hpp"
#include "server/security/egress.hpp"
#include "server/security/glob.hpp"

namespace cadre::models {
namespace {

bool allLoopback(const ModelSpec& spec) {
  return !spec.endpoints.empty() && std::all_of(spec.endpoints.begin(), spec.endpoints.end(), isLoopbackUrl);
}

bool sameModel(const ModelEntry& a, const ModelEntry& b) {
  if (a.spec.name == b.spec.name) return true;
  if (a.spec.model == "auto" || b.spec.model == "auto") return false;  // decided per request
  return normalizeModelId(a.spec.model) == normalizeModelId(b.spec.model);
}

}  // namespace

std::string normalizeModelId(std::string id) {
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  if (auto slash = id.rfind('/'); slash != std::string::npos) id = id.substr(slash + 1);
  if (id.size() > 7 && id.compare(id.size() - 7, 7, ":latest") == 0) id.resize(id.size() - 7);
  return id;
}

bool matchesSensitive(const std::vector<std::string>& globs, const std::string& path, std::string* pattern) {
  std::string p = path;
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  for (const auto& g : globs) {
    bool hit = false;
    if (g.find('/') == std::string::npos) {
      // A bare pattern matches any component, as in the deny-list.
      std::size_t start = 0;
      while (!hit && start <= p.size()) {
        std::size_t end = p.find('/', start);
        std::string_view part(p.data() + start, (end == std::string::npos ? p.size() : end) - start);
        hit = security::globMatch(g, part);
        if (end == std::string::npos) break;
        start = end + 1;
      }
    } else {
      std::string anchored = g.front() == '/' ? g.substr(1) : g;
      hit = security::globMatch(anchored, p) || security::globMatch("**/" + anchored, p);
      if (!hit && !anchored.empty() && anchored.back() == '/') hit = security::globMatch(anchored + "**", p);
    }
    if (hit) {
      if (pattern) *pattern = g;
      return true;
    }
  }
  return false;
}

std::vector<std::string> Router::State::roleModels(const std::string& role) const {
  if (auto it = config.roles.find(role); it != config.roles.end()) return it->second;
  if (auto it = config.roles.find("default"); it != config.roles.end()) return it->second;
  std::vector<std::string> all;
  for (const auto& m : models) all.push_back(m.spec.name);
  return all;
}

EndpointHealth& Router::State::healthOf(const std::string& url) {
  auto it = health.find(url);
  if (it == health.end()) {
    it = health.emplace(url, EndpointHealth(config.settings.breakerFailures, std::chrono::milliseconds(config.settings.breakerCooldownMs))).first;
  }
  return it->second;
}

std::string Router::State::configureHint() const {
  if (config.defaulted) {
    return "no models are configured, so cadre uses Ollama at " + (models.empty() ? std::string("127.0.0.1:11434") : models[0].spec.endpoints[0]) +
           " (OLLAMA_HOST): start it and pull a model (`ollama pull qwen2.5-coder`), or configure `models` and `roles` in " +
           config.userConfigPath + " (see docs/models.md)";
  }
  return "check `models` and `roles` in " + config.userConfigPath + " (see docs/models.md)";
}

Expected<std::unique_ptr<Router>> Router::create(RouterConfig config, HttpClient& http) {
  auto st = std::make_shared<State>();
  std::vector<std::string> problems;
  const std::string where = config.userConfigPath.empty() ? "the user config" : config.userConfigPath;
  if (config.models.empty()) problems.push_back("models: no model is configured");
  for (const auto& spec : config.models) {
    const std::string key = "models." + spec.name;
    if (spec.model.empty()) problems.push_back(key + ".model: missing (the provider's model id)");
    if (spec.model == "auto" && spec.api == Api::Anthropic) problems.push_back(key + ".model: \"auto\" is for Ollama and OpenAI-compatible servers");
    if (spec.endpoints.empty()) problems.push_back(key + ": no baseUrl or endpoints");
    for (const auto& url : spec.endpoints) {
      auto e = security::parseEndpoint(url);
      if (!e) {
        problems.push_back(key + ": " + e.error().message);
      } else if (e->scheme != "http" && e->scheme != "https") {
        problems.push_back(key + ": " + displayUrl(url) + " is not an http or https URL");
      }
    }
    if (!spec.keyEnv.empty() && !spec.keyFile.empty()) problems.push_back(key + ": set keyEnv or keyFile, not both");
    ModelEntry entry;
    entry.spec = spec;
    entry.local = spec.local.value_or(allLoopback(spec));
    entry.provider = spec.provider;
    if (entry.provider.empty() && !spec.endpoints.empty()) {
      if (auto e = security::parseEndpoint(spec.endpoints[0])) entry.provider = e->host;
    }
    st->byName[spec.name] = st->models.size();
    st->models.push_back(std::move(entry));
  }
  for (const auto& [role, names] : config.roles) {
    if (role != "default" && std::find(roleNames().begin(), roleNames().end(), role) == roleNames().end()) {
      problems.push_back("roles." + role + ": not a role (planner, executor, reviewer, coordinator, worker, default)");
      continue;
    }
    if (names.empty()) problems.push_back("roles." + role + ": an empty list");
    for (const auto& n : names) {
      if (!st->byName.count(n)) problems.push_back("roles." + role + ": no model named '" + n + "' in models");
    }
  }
  st->config = std::move(config);
  st->http = &http;
  const bool reviewerConfigured = st->config.roles.count("reviewer") || st->config.roles.count("default");
  if (problems.empty() && reviewerConfigured) {
    // Reviewer ≠ author: every model that may write a change must have a
    // reviewer candidate that is another model (and provider, if asked).
    // Only for a reviewer list the user wrote: with none, a single model may
    // still plan and write, and a review request is refused when it comes.
    const auto reviewers = st->roleModels("reviewer");
    for (const char* authorRole : {"executor", "worker"}) {
      for (const auto& authorName : st->roleModels(authorRole)) {
        const ModelEntry* author = st->find(authorName);
        if (!author || author->spec.model == "auto") continue;  // "auto" is resolved, and checked, per request
        bool distinct = std::any_of(reviewers.begin(), reviewers.end(), [&](const std::string& r) {
          const ModelEntry* rev = st->find(r);
          if (!rev || sameModel(*rev, *author)) return false;
          return !st->config.settings.reviewerDistinctProvider || rev->provider != author->provider;
        });
        if (!distinct) {
          problems.push_back(std::string("roles.reviewer: no reviewer differs from ") + authorRole + " model '" + authorName + "' (" +
                             author->spec.model + (st->config.settings.reviewerDistinctProvider ? ", provider " + author->provider : "") +
                             "); a change is never reviewed by the model that wrote it, so add another model to roles.reviewer");
        }
      }
    }
  }
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    return makeError(ErrorCode::Config, text + " (in " + where + "; see docs/models.md)");
  }
  return std::unique_ptr<Router>(new Router(std::move(st)));
}

Router::Router(std::shared_ptr<State> state) : state_(std::move(state)) {}
Router::~Router() = default;

std::vector<std::string> Router::roleModels(const std::string& role) const { return state_->roleModels(role); }
const RouterConfig& Router::config() const { return state_->config; }

std::string Router::configureHint() const { return state_->configureHint(); }

bool Router::isLocal(const std::string& model) const {
  const ModelEntry* e = state_->find(model);
  return e && e->local;
}

bool Router::isRestricted(const std::string& model, std::string* why) const {
  const ModelEntry* e = state_->find(model);
  if (why && e) *why = e->spec.restriction;
  return e && e->spec.restricted;
}

std::vector<ModelMetrics> Router::metrics() const { return state_->metrics.snapshot(); }

std::vector<EndpointStatus> Router::endpoints() const {
  std::vector<EndpointStatus> out;
  std::lock_guard lock(state_->mu);
  const auto now = State::Clock::now();
  for (const auto& m : state_->models) {
    for (const auto& url : m.spec.endpoints) {
      EndpointStatus s;
      s.model = m.spec.name;
      s.endpoint = displayUrl(url);
      s.local = m.local;
      auto it = state_->health.find(url);
      s.breaker = breakerStateName(it == state_->health.end() ? EndpointHealth::State::Closed : it->second.state(now));
      if (it != state_->health.end()) {
        s.inFlight = it->second.inFlight();
        s.averageFirstByteMs = it->second.averageFirstByteMs();
        s.consecutiveFailures = it->second.consecutiveFailures();
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<ProbeResult> Router::probe(std::chrono::milliseconds timeout) const {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left = 0;
  };
  auto wait = std::make_shared<Wait>();
  auto results = std::make_shared<std::vector<ProbeResult>>();
  struct Job {
    std::size_t index;
    HttpRequest request;
    const Provider* provider;
    std::string model;
    ErrorContext ctx;
  };
  std::vector<Job> jobs;
  for (const auto& m : state_->models) {
    for (const auto& url : m.spec.endpoints) {
      ProbeResult r;
      r.model = m.spec.name;
      r.api = apiName(m.spec.api);
      r.endpoint = displayUrl(url);
      r.local = m.local;
      if (auto egress = security::checkEgress(url, m.spec.local.value_or(false), state_->config.localOnly); !egress) {
        r.error = egress.error().message;
        results->push_back(std::move(r));
        continue;
      }
      auto key = loadKey(m.spec);
      if (!key) {
        r.error = key.error().message;
        results->push_back(std::move(r));
        continue;
      }
      WireOptions o;
      o.baseUrl = url;
      o.key = *key;
      o.timeouts.connect = timeout;
      o.timeouts.firstByte = timeout;
      o.timeouts.total = timeout;
      const Provider& p = providerFor(m.spec.api);
      ErrorContext ctx{m.spec.name, m.spec.model, displayUrl(url), keySource(m.spec), state_->config.userConfigPath};
      jobs.push_back(Job{results->size(), p.modelsRequest(o), &p, m.spec.model, std::move(ctx)});
      results->push_back(std::move(r));
    }
  }
  wait->left = jobs.size();
  for (auto& job : jobs) {
    auto body = std::make_shared<HttpResult>();
    auto started = std::chrono::steady_clock::now();
    HttpCallbacks cb;
    cb.onHead = [body](const HttpResponseHead& h) { body->head = h; };
    cb.onBody = [body](std::string_view bytes) {
      if (body->body.size() < (4u << 20)) body->body.append(bytes);
      return true;
    };
    cb.onDone = [=, provider = job.provider, index = job.index, model = job.model, ctx = job.ctx](Expected<void> done) {
      ProbeResult& r = (*results)[index];
      r.latencyMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (!done) {
        r.error = done.error().message;
      } else if (body->head.status < 200 || body->head.status >= 300) {
        r.reachable = true;
        r.error = provider->httpError(body->head.status, body->body, body->head, ctx).error.message;
      } else {
        r.reachable = true;
        r.served = provider->parseModels(body->body);
        const std::string want = normalizeModelId(model);
        r.servesModel = model == "auto" ? !r.served.empty()
                                        : std::any_of(r.served.begin(), r.served.end(), [&](const std::string& s) { return normalizeModelId(s) == want; });
        if (model == "auto" && r.served.empty()) r.error = "serves no models yet (pull one: `ollama pull qwen2.5-coder`)";
      }
      std::lock_guard lock(wait->mu);
      if (--wait->left == 0) wait->cv.notify_all();
    };
    state_->http->start(std::move(job.request), std::move(cb));
  }
  std::unique_lock lock(wait->mu);
  wait->cv.wait(lock, [&] { return wait->left == 0; });
  return *results;
}

Expected<ChatResponse> Router::complete(ChatRequest request, RouteOptions options, StreamCallbacks callbacks) {
  auto promise = std::make_shared<std::promise<Expected<ChatResponse>>>();
  auto future = promise->get_future();
  chat(std::move(request), std::move(options), std::move(callbacks), [promise](Expected<ChatResponse> r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace cadre::models
