// The router's policies, asserted where it matters — at the servers: which
// one was asked, in what order, and what it received.
#include <nlohmann/json.hpp>

#include <thread>

#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string delta(const std::string& text) {
  return "data: " + json({{"choices", json::array({{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}})}}).dump() + "\n\n";
}
const std::string kStop = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

Script says(const std::string& text) { return streamParts("text/event-stream", {delta(text), kStop}); }

std::string ollamaLine(const std::string& content, bool done) {
  return json({{"model", "m"}, {"message", {{"role", "assistant"}, {"content", content}}}, {"done", done}}).dump() + "\n";
}

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

TEST_CASE("router: falls back in order on connect failure and 5xx", "[models][router]") {
  std::vector<std::string> order;
  std::mutex mu;
  auto note = [&](const std::string& who) {
    std::lock_guard lock(mu);
    order.push_back(who);
  };
  TestHttpServer b([&](const HttpExchange&, std::size_t) {
    note("b");
    return response(500, "application/json", R"({"error":{"message":"boom","type":"server_error"}})");
  });
  TestHttpServer c([&](const HttpExchange&, std::size_t) {
    note("c");
    return says("from c");
  });
  TestHttpServer d([&](const HttpExchange&, std::size_t) {
    note("d");
    return says("from d");
  });
  const std::string dead = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1";
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, dead, "ma"), modelAt("b", Api::OpenAI, b.url("/v1"), "mb"),
                              modelAt("c", Api::OpenAI, c.url("/v1"), "mc"), modelAt("d", Api::OpenAI, d.url("/v1"), "md")},
                             {{"planner", {"a", "b", "c", "d"}}}));
  auto out = r->complete(userAsks("plan"), route("planner"));
  REQUIRE(out);
  CHECK(out->model == "c");
  CHECK(out->text == "from c");
  CHECK(order == std::vector<std::string>{"b", "c"});
  CHECK(r->roleModels("planner") == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("router: 500 then success on the same endpoint pool", "[models][router]") {
  TestHttpServer flaky([&](const HttpExchange&, std::size_t i) {
    return i == 0 ? response(502, "text/html", "<html>Bad Gateway</html>") : says("second time");
  });
  TestHttpServer other([&](const HttpExchange&, std::size_t) { return says("pool peer"); });
  auto spec = modelAt("pool", Api::OpenAI, flaky.url("/v1"));
  spec.endpoints.push_back(other.url("/v1"));
  RouterUnderTest r(configOf({spec}));
  auto first = r->complete(userAsks("x"), {});
  REQUIRE(first);
  // Both endpoints start equal, so the first goes to `flaky`, fails with 502
  // and the pool's other endpoint answers.
  CHECK(first->text == "pool peer");
  CHECK(flaky.requestCount() == 1);
  auto second = r->complete(userAsks("x"), {});
  REQUIRE(second);
  CHECK(second->text == "pool peer");  // the healthier endpoint is preferred now
}

TEST_CASE("router: 429 honours Retry-After, then succeeds on the same model", "[models][router]") {
  TestHttpServer limited([&](const HttpExchange&, std::size_t i) {
    if (i == 0) {
      return response(429, "application/json", R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}})",
                      {{"Retry-After", "1"}});
    }
    return says("after waiting");
  });
  TestHttpServer next([&](const HttpExchange&, std::size_t) { return says("next model"); });
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, limited.url("/v1")), modelAt("b", Api::OpenAI, next.url("/v1"))},
                             {{"executor", {"a", "b"}}}));
  auto t0 = Clock::now();
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  CHECK(out->text == "after waiting");
  CHECK(next.requestCount() == 0);
  auto reqs = limited.requests();
  REQUIRE(reqs.size() == 2);
  const double gap = std::chrono::duration<double, std::milli>(reqs[1].receivedAt - reqs[0].receivedAt).count();
  CHECK(gap >= 1000);  // Retry-After: 1 …
  CHECK(gap < 1400);   // … plus at most 20% jitter
  CHECK(msSince(t0) < 3000);
}

TEST_CASE("router: 429 with a Retry-After beyond the limit moves on", "[models][router]") {
  TestHttpServer limited([&](const HttpExchange&, std::size_t) {
    return response(429, "application/json", R"({"error":{"message":"slow down","type":"requests"}})", {{"Retry-After", "3600"}});
  });
  TestHttpServer next([&](const HttpExchange&, std::size_t) { return says("next model"); });
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, limited.url("/v1")), modelAt("b", Api::OpenAI, next.url("/v1"))},
                             {{"executor", {"a", "b"}}}));
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  CHECK(out->model == "b");
  CHECK(limited.requestCount() == 1);
}

TEST_CASE("router: the circuit breaker opens after repeated failures and tries again after the cool-down", "[models][router]") {
  std::atomic<bool> healthy{false};
  TestHttpServer sick([&](const HttpExchange&, std::size_t) {
    return healthy ? says("recovered") : response(503, "application/json", R"({"error":{"message":"down","type":"server_error"}})");
  });
  TestHttpServer backup([&](const HttpExchange&, std::size_t) { return says("backup"); });
  auto config = configOf({modelAt("a", Api::OpenAI, sick.url("/v1")), modelAt("b", Api::OpenAI, backup.url("/v1"))}, {{"executor", {"a", "b"}}});
  config.settings.breakerFailures = 2;
  config.settings.breakerCooldownMs = 400;
  RouterUnderTest r(config);
  for (int i = 0; i < 2; ++i) {
    auto out = r->complete(userAsks("x"), {});
    REQUIRE(out);
    CHECK(out->model == "b");
  }
  CHECK(sick.requestCount() == 2);
  auto open = r->endpoints();
  CHECK(open[0].breaker == "open");
  // Open: a is skipped without a request.
  for (int i = 0; i < 3; ++i) REQUIRE(r->complete(userAsks("x"), {}));
  CHECK(sick.requestCount() == 2);
  std::this_thread::sleep_for(milliseconds(450));
  healthy = true;
  auto out = r->complete(userAsks("x"), {});  // half-open: one trial, which succeeds
  REQUIRE(out);
  CHECK(out->model == "a");
  CHECK(sick.requestCount() == 3);
  CHECK(r->endpoints()[0].breaker == "closed");
}

TEST_CASE("router: reviewer ≠ author is an error at load when misconfigured", "[models][router]") {
  auto a = modelAt("a", Api::OpenAI, "http://127.0.0.1:1/v1", "qwen2.5-coder:32b");
  auto b = modelAt("b", Api::OpenAI, "http://127.0.0.1:2/v1", "qwen2.5-coder:32b");  // the same model on another box
  auto c = modelAt("c", Api::Anthropic, "https://api.anthropic.com", "claude-sonnet-4-5");
  {
    HttpClient http;
    auto r = Router::create(configOf({a, c}, {{"executor", {"a"}}, {"reviewer", {"a"}}}), http);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Config);
    CHECK(r.error().message.find("roles.reviewer: no reviewer differs from executor model 'a'") != std::string::npos);
    CHECK(r.error().message.find("/home/u/.config/cadre/config.json") != std::string::npos);
  }
  {
    HttpClient http;
    auto r = Router::create(configOf({a, b, c}, {{"executor", {"a"}}, {"reviewer", {"b"}}}), http);
    REQUIRE_FALSE(r);  // another entry, the same model
  }
  {
    HttpClient http;
    auto r = Router::create(configOf({a, b, c}, {{"executor", {"a"}}, {"reviewer", {"b", "c"}}}), http);
    CHECK(r);
  }
  {
    auto config = configOf({a, c, modelAt("d", Api::OpenAI, "https://api.anthropic.com/v1", "other")},
                           {{"executor", {"c"}}, {"reviewer", {"d"}}});
    config.settings.reviewerDistinctProvider = true;  // d runs at the same host as c
    HttpClient http;
    auto r = Router::create(config, http);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("provider api.anthropic.com") != std::string::npos);
  }
  {
    HttpClient http;
    auto r = Router::create(configOf({a}, {{"executor", {"a"}}, {"reviewr", {"a"}}, {"planner", {"zz"}}}), http);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("roles.reviewr: not a role") != std::string::npos);
    CHECK(r.error().message.find("roles.planner: no model named 'zz'") != std::string::npos);
  }
}

TEST_CASE("router: a review never goes to the author, even when the list allows it", "[models][router]") {
  TestHttpServer sa([&](const HttpExchange&, std::size_t) { return says("I am a"); });
  TestHttpServer sb([&](const HttpExchange&, std::size_t) { return says("I am b"); });
  // No roles configured: every role may use both; the check happens per request.
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, sa.url("/v1"), "ma"), modelAt("b", Api::OpenAI, sb.url("/v1"), "mb")}));
  auto wrote = r->complete(userAsks("write"), route("executor"));
  REQUIRE(wrote);
  CHECK(wrote->model == "a");
  auto review = r->complete(userAsks("review"), route("reviewer", wrote->model, wrote->servedModel));
  REQUIRE(review);
  CHECK(review->model == "b");
  CHECK(sa.requestCount() == 1);
  // Only the author left: refused, with the reason, and the author is never asked.
  RouterUnderTest alone(configOf({modelAt("a", Api::OpenAI, sa.url("/v1"), "ma")}));
  auto refused = alone->complete(userAsks("review"), route("reviewer", "a"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("a wrote the change under review") != std::string::npos);
  CHECK(sa.requestCount() == 1);
}

TEST_CASE("router: sensitive content never reaches a non-local model", "[models][router]") {
  TestHttpServer cloud([&](const HttpExchange&, std::size_t) { return says("cloud"); });
  TestHttpServer box([&](const HttpExchange&, std::size_t) { return says("local box"); });
  auto remote = modelAt("cloud", Api::OpenAI, cloud.url("/v1"));
  remote.local = false;  // a loopback proxy to a cloud says so
  auto local = modelAt("box", Api::OpenAI, box.url("/v1"), "other");
  auto config = configOf({remote, local}, {{"executor", {"cloud", "box"}}});
  config.settings.sensitive = {"secrets/**", "*.tfstate"};
  RouterUnderTest r(config);
  ChatRequest req = userAsks("the db password is hunter2-CONFIDENTIAL");
  req.sourcePaths = {"src/app.py", "infra/prod.tfstate"};
  auto out = r->complete(req, {});
  REQUIRE(out);
  CHECK(out->model == "box");
  CHECK(cloud.requestCount() == 0);
  REQUIRE(box.requestCount() == 1);
  CHECK(box.requests()[0].body.find("hunter2-CONFIDENTIAL") != std::string::npos);
  // Without a local model left, the request is refused — still nothing sent.
  auto onlyCloud = configOf({remote}, {{"executor", {"cloud"}}});
  onlyCloud.settings.sensitive = {"secrets/**"};
  RouterUnderTest r2(onlyCloud);
  ChatRequest secret = userAsks("key material");
  secret.sourcePaths = {"./secrets/prod/key.txt"};
  auto refused = r2->complete(secret, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::Unauthorized);
  CHECK(refused.error().message.find("cloud is not local and the request holds ./secrets/prod/key.txt (router.sensitive \"secrets/**\")") !=
        std::string::npos);
  CHECK(cloud.requestCount() == 0);
  // Not sensitive: the cloud model is fine.
  ChatRequest plain = userAsks("hello");
  plain.sourcePaths = {"src/secrets_manager.py"};
  REQUIRE(r2->complete(plain, {}));
  CHECK(cloud.requestCount() == 1);
}

TEST_CASE("router: content for non-local models is redacted", "[models][router]") {
  TestHttpServer cloud([&](const HttpExchange&, std::size_t) { return says("ok"); });
  auto remote = modelAt("cloud", Api::OpenAI, cloud.url("/v1"));
  remote.local = false;
  RouterUnderTest r(configOf({remote}));
  REQUIRE(r->complete(userAsks("use AKIAIOSFODNN7EXAMPLE and ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"), {}));
  const std::string body = cloud.requests().at(0).body;
  CHECK(body.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
  CHECK(body.find("ghp_0123456789") == std::string::npos);
  CHECK(body.find("[REDACTED:") != std::string::npos);
}

TEST_CASE("router: local-only refuses non-loopback endpoints not marked local", "[models][router]") {
  TestHttpServer box([&](const HttpExchange&, std::size_t) { return says("local"); });
  auto cloud = modelAt("cloud", Api::OpenAI, "https://api.openai.com/v1");
  auto lan = modelAt("lan", Api::OpenAI, "http://192.0.2.10:8000/v1", "lan-model");
  auto config = configOf({cloud, lan, modelAt("box", Api::OpenAI, box.url("/v1"), "box-model")}, {{"executor", {"cloud", "lan", "box"}}});
  config.localOnly = true;
  RouterUnderTest r(config);
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  CHECK(out->model == "box");
  // Nothing local left: refused before any connection, naming the setting.
  auto config2 = configOf({cloud}, {{"executor", {"cloud"}}});
  config2.localOnly = true;
  RouterUnderTest r2(config2);
  auto refused = r2->complete(userAsks("x"), {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::Unauthorized);
  CHECK(refused.error().message.find("security.localOnly") != std::string::npos);
  // A LAN box the user marked local passes.
  TestHttpServer lanBox([&](const HttpExchange&, std::size_t) { return says("lan"); });
  auto marked = modelAt("lan", Api::OpenAI, lanBox.url("/v1"));
  marked.local = true;
  auto config3 = configOf({marked});
  config3.localOnly = true;
  RouterUnderTest r3(config3);
  REQUIRE(r3->complete(userAsks("x"), {}));
}

TEST_CASE("router: per-request token budget", "[models][router]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return says("ok"); });
  auto spec = modelAt("a", Api::OpenAI, server.url("/v1"));
  spec.maxOutputTokens = 8000;
  auto config = configOf({spec});
  config.settings.maxTokensPerRequest = 1000;
  RouterUnderTest r(config);
  REQUIRE(r->complete(userAsks("short"), {}));
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["max_tokens"].get<int>() < 1000);  // output capped to what the budget leaves
  CHECK(body["max_tokens"].get<int>() > 900);
  auto big = r->complete(userAsks(std::string(8000, 'x')), {});
  REQUIRE_FALSE(big);
  CHECK(big.error().message.find("over its budget of 1000 tokens") != std::string::npos);
  CHECK(server.requestCount() == 1);
  REQUIRE(r->complete(userAsks("short"), route("executor", "", "", 200)));
  CHECK(json::parse(server.requests().at(1).body)["max_tokens"].get<int>() < 200);
}

TEST_CASE("router: the default routes every role to Ollama, model auto", "[models][router]") {
  TestHttpServer ollama([&](const HttpExchange& req, std::size_t) {
    if (req.path == "/api/tags") {
      return response(200, "application/json",
                      R"({"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":4683087332},{"name":"llama3.2:latest","model":"llama3.2:latest"}]})");
    }
    json body = json::parse(req.body);
    return streamParts("application/x-ndjson", {ollamaLine("served by " + body["model"].get<std::string>(), false), ollamaLine("", true)});
  });
  ::setenv("OLLAMA_HOST", ("127.0.0.1:" + std::to_string(ollama.port())).c_str(), 1);
  auto config = defaultRouterConfig();
  ::unsetenv("OLLAMA_HOST");
  CHECK(config.models[0].endpoints[0] == ollama.url());
  for (const auto& role : roleNames()) CHECK(config.roles[role] == std::vector<std::string>{"ollama"});
  RouterUnderTest r(config);
  auto out = r->complete(userAsks("x"), route("planner"));
  REQUIRE(out);
  CHECK(out->text == "served by qwen2.5-coder:7b");
  CHECK(out->servedModel == "qwen2.5-coder:7b");
  // The reviewer of that work gets the other model the server has.
  auto review = r->complete(userAsks("review"), route("reviewer", out->model, out->servedModel));
  REQUIRE(review);
  CHECK(review->text == "served by llama3.2:latest");
}

TEST_CASE("router: OLLAMA_HOST in Ollama's forms", "[models][router]") {
  CHECK(ollamaBaseUrl(nullptr) == "http://127.0.0.1:11434");
  CHECK(ollamaBaseUrl("") == "http://127.0.0.1:11434");
  CHECK(ollamaBaseUrl("0.0.0.0") == "http://127.0.0.1:11434");
  CHECK(ollamaBaseUrl("0.0.0.0:8080") == "http://127.0.0.1:8080");
  CHECK(ollamaBaseUrl("gpu.lan") == "http://gpu.lan:11434");
  CHECK(ollamaBaseUrl("http://gpu.lan") == "http://gpu.lan:80");
  CHECK(ollamaBaseUrl("https://ollama.example.com/") == "https://ollama.example.com:443");
  CHECK(ollamaBaseUrl("[::1]:11435") == "http://[::1]:11435");
  CHECK(ollamaBaseUrl("192.168.1.150:11434") == "http://192.168.1.150:11434");
}

TEST_CASE("router: the text tool protocol for a model without native tools", "[models][router]") {
  const std::string reply = "I'll read it.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\",}}\n</tool_call>";
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < reply.size(); i += 3) {
    parts.push_back("data: " + json({{"choices", json::array({{{"index", 0}, {"delta", {{"content", reply.substr(i, 3)}}}}})}}).dump() + "\n\n");
  }
  parts.push_back(kStop);
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", parts, 0); });
  auto spec = modelAt("small", Api::OpenAI, server.url("/v1"));
  spec.toolCalls = ToolCallMode::Text;
  RouterUnderTest r(configOf({spec}));
  ChatRequest req = userAsks("read a.py");
  req.tools.push_back({"read_file", "Read a file", json::parse(R"({"type":"object","properties":{"path":{"type":"string"}}})")});
  Received got;
  auto out = r->complete(req, {}, got.callbacks());
  REQUIRE(out);
  CHECK(got.text() == "I'll read it.\n");  // the block itself is not streamed as text
  CHECK(out->text == "I'll read it.");
  REQUIRE(out->toolCalls.size() == 1);
  CHECK(out->toolCalls[0].name == "read_file");
  CHECK(json::parse(out->toolCalls[0].arguments) == json({{"path", "a.py"}}));
  CHECK(out->stopReason == StopReason::ToolUse);
  json body = json::parse(server.requests().at(0).body);
  CHECK_FALSE(body.contains("tools"));
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][0]["content"].get<std::string>().find("<tool_call>") != std::string::npos);
  CHECK(body["messages"][0]["content"].get<std::string>().find("read_file") != std::string::npos);
}
