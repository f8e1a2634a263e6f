// cadre/models.list and cadre/models.health: which models play which role,
// which endpoints are local, and whether they answer — for a client's status
// view. The same facts as `cadre models list|health`.
#include <algorithm>

#include "server/core/lsp_session.hpp"
#include "server/models/http_client.hpp"
#include "server/models/url.hpp"

namespace cadre::core {

using protocol::json;

void LspSession::bindModels() {
  dispatcher_.bind("cadre/models.list", this, &LspSession::onModelsList);
  dispatcher_.bind("cadre/models.health", this, &LspSession::onModelsHealth);
}

Expected<std::shared_ptr<models::Router>> LspSession::modelRouter() {
  if (router_) return router_;
  auto router = models::Router::create(routerConfig(config_.config));
  if (!router) return makeError(router.error().code, "models: " + router.error().message);
  router_ = std::shared_ptr<models::Router>(std::move(*router));
  return router_;
}

void LspSession::onModelsList(const protocol::NoParams&, protocol::Callback<json> reply) {
  auto router = modelRouter();
  if (!router) return reply(router.error());
  const auto& r = **router;
  json list = json::array();
  for (const auto& m : r.config().models) {
    json endpoints = json::array();
    for (const auto& url : m.endpoints) endpoints.push_back({{"url", models::displayUrl(url)}, {"loopback", models::isLoopbackUrl(url)}});
    json roles = json::array();
    for (const auto& role : models::roleNames()) {
      auto names = r.roleModels(role);
      if (std::find(names.begin(), names.end(), m.name) != names.end()) roles.push_back(role);
    }
    list.push_back({{"name", m.name}, {"api", models::apiName(m.api)}, {"model", m.model}, {"endpoints", endpoints},
                    {"local", r.isLocal(m.name)}, {"roles", roles}});
  }
  json metrics = json::array();
  for (const auto& x : r.metrics()) {
    metrics.push_back({{"model", x.model}, {"requests", x.requests}, {"succeeded", x.succeeded}, {"failures", x.failures},
                       {"promptTokens", x.promptTokens}, {"completionTokens", x.completionTokens},
                       {"timeToFirstTokenMs", x.ttftP50Ms}, {"tokensPerSecond", x.tokensPerSecond}, {"costUsd", x.costUsd}});
  }
  reply(json{{"models", list}, {"default", r.config().defaulted}, {"localOnly", r.config().localOnly}, {"metrics", metrics}});
}

void LspSession::onModelsHealth(const protocol::NoParams&, protocol::Callback<json> reply) {
  auto router = modelRouter();
  if (!router) return reply(router.error());
  // probe() blocks on the network: not on the main loop.
  toolThreads_.start([router = *router, reply]() {
    json out = json::array();
    for (const auto& p : router->probe()) {
      out.push_back({{"model", p.model}, {"api", p.api}, {"endpoint", p.endpoint}, {"local", p.local},
                     {"reachable", p.reachable}, {"servesModel", p.servesModel}, {"latencyMs", p.latencyMs},
                     {"served", p.served}, {"error", p.error}});
    }
    json result = {{"endpoints", out}};
    const bool any = std::any_of(out.begin(), out.end(), [](const json& e) { return e.value("reachable", false); });
    if (!any) result["hint"] = router->configureHint();
    reply(result);
  });
}

}  // namespace cadre::core
