// Health probes (GET /v1/models, /api/tags, Anthropic's /v1/models) and the
// metrics the router keeps per model.
#include <nlohmann/json.hpp>

#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

TEST_CASE("health: each endpoint says whether it answers and what it serves", "[models][health]") {
  TestHttpServer vllm([&](const HttpExchange& req, std::size_t) {
    if (req.path == "/v1/models") {
      return response(200, "application/json",
                      R"({"object":"list","data":[{"id":"Qwen/Qwen2.5-Coder-32B-Instruct","object":"model","created":1,"owned_by":"vllm"}]})");
    }
    return response(404, "application/json", "{}");
  });
  TestHttpServer ollama([&](const HttpExchange& req, std::size_t) {
    return response(200, "application/json", R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest"}]})");
  });
  TestHttpServer claude([&](const HttpExchange& req, std::size_t) {
    return response(401, "application/json", R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
  });
  auto a = modelAt("vllm", Api::OpenAI, vllm.url("/v1"), "Qwen/Qwen2.5-Coder-32B-Instruct");
  auto b = modelAt("llama", Api::Ollama, ollama.url(), "llama3.2");
  auto c = modelAt("claude", Api::Anthropic, claude.url(), "claude-sonnet-4-5");
  auto d = modelAt("dead", Api::OpenAI, "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1");
  auto e = modelAt("cloud", Api::OpenAI, "https://api.openai.com/v1");
  auto config = configOf({a, b, c, d, e});
  config.localOnly = true;
  config.models[2].local = true;  // marked local by the user: probed under local-only
  RouterUnderTest r(config);
  auto results = r->probe(std::chrono::milliseconds(2000));
  REQUIRE(results.size() == 5);
  CHECK(results[0].reachable);
  CHECK(results[0].servesModel);
  CHECK(results[0].served == std::vector<std::string>{"Qwen/Qwen2.5-Coder-32B-Instruct"});
  CHECK(results[0].local);
  CHECK(results[1].reachable);
  CHECK(results[1].servesModel);  // llama3.2 is llama3.2:latest
  CHECK(results[2].reachable);
  CHECK(results[2].error.find("requires a key (HTTP 401)") != std::string::npos);
  CHECK_FALSE(results[3].reachable);
  CHECK(results[3].error.find("cannot connect") != std::string::npos);
  CHECK_FALSE(results[4].reachable);
  CHECK_FALSE(results[4].local);
  CHECK(results[4].error.find("security.localOnly") != std::string::npos);
  CHECK(claude.requests().at(0).path == "/v1/models");
  CHECK(claude.requests().at(0).headers.at("anthropic-version") == "2023-06-01");
  CHECK(ollama.requests().at(0).path == "/api/tags");
}

TEST_CASE("health: metrics per model", "[models][health]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t i) {
    if (i == 1) return response(500, "application/json", "{}");
    return streamParts("text/event-stream",
                       {"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"abc\"},\"finish_reason\":null}]}\n\n",
                        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":20}}\n\n", "data: [DONE]\n\n"},
                       20);
  });
  auto spec = modelAt("m", Api::OpenAI, server.url("/v1"));
  spec.inputCostPerMTok = 3;
  spec.outputCostPerMTok = 15;
  RouterUnderTest r(configOf({spec}));
  REQUIRE(r->complete(userAsks("x"), {}));
  REQUIRE_FALSE(r->complete(userAsks("x"), {}));
  REQUIRE(r->complete(userAsks("x"), {}));
  auto m = r->metrics();
  REQUIRE(m.size() == 1);
  CHECK(m[0].model == "m");
  CHECK(m[0].requests == 3);
  CHECK(m[0].succeeded == 2);
  CHECK(m[0].failures["server-error"] == 1);
  CHECK(m[0].promptTokens == 2000);
  CHECK(m[0].completionTokens == 40);
  CHECK(m[0].ttftP50Ms > 0);
  CHECK(m[0].tokensPerSecond > 0);
  CHECK(m[0].costUsd == Approx(2 * (1000 * 3 + 20 * 15) / 1e6));
}
