// Ollama's native /api/chat through the router against a local server writing
// its NDJSON stream: content deltas, tool_calls with object arguments, the
// final done line with done_reason and counts — and num_ctx in the request.
#include <nlohmann/json.hpp>

#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

namespace {

std::string line(const std::string& content, bool done = false) {
  json j = {{"model", "qwen2.5-coder:7b"}, {"created_at", "2025-05-27T22:54:57.641643Z"}, {"message", {{"role", "assistant"}, {"content", content}}},
            {"done", done}};
  if (done) {
    j["done_reason"] = "stop";
    j["total_duration"] = 2373150958LL;
    j["load_duration"] = 41237708;
    j["prompt_eval_count"] = 184;
    j["prompt_eval_duration"] = 83562625;
    j["eval_count"] = 63;
    j["eval_duration"] = 2246958167LL;
  }
  return j.dump() + "\n";
}

}  // namespace

TEST_CASE("ollama: NDJSON content, split lines and characters, done with counts", "[models][ollama]") {
  std::string s = line("Ein ") + line("Gr\xC3\xBC\xC3\x9F") + line(" \xF0\x9F\x91\x8B") + line("", true);
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < s.size(); i += 5) parts.push_back(s.substr(i, 5));  // cuts ü, ß and 👋
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("application/x-ndjson", parts, 0); });
  auto spec = modelAt("qwen", Api::Ollama, server.url(), "qwen2.5-coder:7b");
  spec.contextTokens = 16384;
  RouterUnderTest r(configOf({spec}));
  Received got;
  auto out = r->complete(userAsks("greet"), {}, got.callbacks());
  REQUIRE(out);
  CHECK(out->text == "Ein Gr\xC3\xBC\xC3\x9F \xF0\x9F\x91\x8B");
  CHECK(got.deltas.size() == 3);
  CHECK(out->stopReason == StopReason::EndTurn);
  CHECK(out->usage.promptTokens == 184);
  CHECK(out->usage.completionTokens == 63);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/api/chat");
  json body = json::parse(reqs[0].body);
  CHECK(body["model"] == "qwen2.5-coder:7b");
  CHECK(body["stream"] == true);
  CHECK(body["options"]["num_ctx"] == 16384);  // never left to Ollama's small default
  CHECK(body["options"]["num_predict"].is_number_integer());
}

TEST_CASE("ollama: tool calls arrive whole with object arguments", "[models][ollama]") {
  json call = {{"model", "qwen3"},
               {"created_at", "2025-05-27T22:54:58.100509Z"},
               {"message",
                {{"role", "assistant"},
                 {"content", ""},
                 {"tool_calls",
                  json::array({{{"function", {{"name", "get_current_weather"}, {"arguments", {{"format", "celsius"}, {"location", "Toronto"}}}}}},
                               {{"function", {{"name", "get_time"}, {"arguments", {{"city", "Toronto"}}}}}}})}}},
               {"done", false}};
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("application/x-ndjson", {call.dump() + "\n", line("", true)}); });
  RouterUnderTest r(configOf({modelAt("qwen", Api::Ollama, server.url(), "qwen3")}));
  ChatRequest req = userAsks("weather?");
  req.tools.push_back({"get_current_weather", "Weather", json::parse(R"({"type":"object"})")});
  req.messages.push_back({Role::Assistant, "", {{"c0", "get_time", "{\"city\":\"Oslo\"}"}}, {}, {}});
  req.messages.push_back({Role::Tool, "09:00", {}, "c0", "get_time"});
  auto out = r->complete(req, {});
  REQUIRE(out);
  CHECK(out->stopReason == StopReason::ToolUse);
  REQUIRE(out->toolCalls.size() == 2);
  CHECK(out->toolCalls[0].name == "get_current_weather");
  CHECK(json::parse(out->toolCalls[0].arguments) == json({{"format", "celsius"}, {"location", "Toronto"}}));
  CHECK(out->toolCalls[1].name == "get_time");
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["tools"][0]["function"]["name"] == "get_current_weather");
  CHECK(body["messages"][2]["tool_calls"][0] == json::parse(R"({"function":{"name":"get_time","arguments":{"city":"Oslo"}}})"));
  CHECK(body["messages"][3] == json::parse(R"({"role":"tool","content":"09:00","tool_name":"get_time"})"));
}

TEST_CASE("ollama: model not found and an error line mid-stream", "[models][ollama]") {
  {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return response(404, "application/json; charset=utf-8", R"({"error":"model \"llama9\" not found, try pulling it first"})");
    });
    RouterUnderTest r(configOf({modelAt("l", Api::Ollama, server.url(), "llama9")}));
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ErrorCode::Config);
    CHECK(out.error().message.find("does not serve model 'llama9' (HTTP 404): model \"llama9\" not found, try pulling it first") != std::string::npos);
  }
  {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return streamParts("application/x-ndjson", {line("partial"), "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n"});
    });
    RouterUnderTest r(configOf({modelAt("l", Api::Ollama, server.url(), "llama9")}));
    Received got;
    auto out = r->complete(userAsks("x"), {}, got.callbacks());
    REQUIRE_FALSE(out);
    CHECK(got.text() == "partial");
    CHECK(out.error().message.find("unexpected EOF") != std::string::npos);
    CHECK(out.error().message.find("not retried elsewhere") != std::string::npos);
  }
}
