// OpenAI-compatible chat completions through the router against a local
// server speaking the documented stream format byte for byte: a role chunk,
// content deltas, keep-alive comments, tool-call argument fragments split
// across chunks (two calls in one turn), the finish_reason chunk, the usage
// chunk with empty choices, and data: [DONE].
#include <nlohmann/json.hpp>

#include "support/utf8.hpp"
#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

namespace {

// One chunk as OpenAI writes it: every field present, usage null until the end.
std::string oaEvent(const json& delta, const json& finish = nullptr) {
  json chunk = {{"id", "chatcmpl-9x2"},
                {"object", "chat.completion.chunk"},
                {"created", 1718000000},
                {"model", "gpt-4o-mini-2024-07-18"},
                {"system_fingerprint", "fp_0aa8d3e20b"},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}})},
                {"usage", nullptr}};
  return "data: " + chunk.dump() + "\n\n";
}

std::string oaUsage(int prompt, int completion) {
  json chunk = {{"id", "chatcmpl-9x2"},       {"object", "chat.completion.chunk"}, {"created", 1718000000},
                {"model", "gpt-4o-mini-2024-07-18"}, {"system_fingerprint", "fp_0aa8d3e20b"}, {"choices", json::array()},
                {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}}}};
  return "data: " + chunk.dump() + "\n\n";
}

}  // namespace

TEST_CASE("openai: text streams as it comes; usage, finish_reason, [DONE]", "[models][openai]") {
  const std::string hello = oaEvent({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}) +
                            oaEvent({{"content", "Hello"}}) + ": keep-alive\n\n" + oaEvent({{"content", ", w\xC3\xB6rld \xE6\x97\xA5\xE6\x9C\xAC"}});
  // The multi-byte characters ö and 日 are cut between TCP chunks.
  const std::size_t cutO = hello.find("\xC3\xB6") + 1;
  const std::size_t cutJa = hello.find("\xE6\x97\xA5") + 2;
  std::vector<std::string> parts = {hello.substr(0, cutO), hello.substr(cutO, cutJa - cutO), hello.substr(cutJa),
                                    oaEvent(json::object(), "stop"), oaUsage(11, 5), "data: [DONE]\n\n"};
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream; charset=utf-8", parts, 15); });
  ::setenv("CADRE_TEST_OPENAI_KEY", "sk-test-0123456789abcdefABCDEF", 1);
  auto spec = modelAt("gpt", Api::OpenAI, server.url("/v1"), "gpt-4o-mini");
  spec.keyEnv = "CADRE_TEST_OPENAI_KEY";
  spec.local = false;
  RouterUnderTest r(configOf({spec}));
  Received got;
  auto out = r->complete(userAsks("hi"), {}, got.callbacks());
  REQUIRE(out);
  CHECK(out->text == "Hello, w\xC3\xB6rld \xE6\x97\xA5\xE6\x9C\xAC");
  CHECK(got.text() == out->text);
  for (const auto& d : got.deltas) CHECK(cadre::utf8::isValid(d));
  CHECK(got.deltas.size() == 2);  // one callback per content delta: nothing coalesced, nothing split
  CHECK(out->stopReason == StopReason::EndTurn);
  CHECK(out->usageReported);
  CHECK(out->usage.promptTokens == 11);
  CHECK(out->usage.completionTokens == 5);
  CHECK(out->model == "gpt");
  CHECK(out->servedModel == "gpt-4o-mini");

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].path == "/v1/chat/completions");
  CHECK(reqs[0].headers["authorization"] == "Bearer sk-test-0123456789abcdefABCDEF");
  CHECK(reqs[0].headers["content-type"] == "application/json");
  json body = json::parse(reqs[0].body);
  CHECK(body["model"] == "gpt-4o-mini");
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
  CHECK(body["messages"][0] == json({{"role", "system"}, {"content", "You are terse."}}));
  CHECK(body["messages"][1] == json({{"role", "user"}, {"content", "hi"}}));
  CHECK_FALSE(body.contains("tools"));
}

TEST_CASE("openai: two tool calls with argument fragments split across chunks", "[models][openai]") {
  std::string s = oaEvent({{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array({{{"index", 0}, {"id", "call_A1"}, {"type", "function"}, {"function", {{"name", "read_file"}, {"arguments", ""}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", "{\"pa"}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", "th\": \"src/m\xC3\xA4in.py\"}"}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 1}, {"id", "call_B2"}, {"type", "function"}, {"function", {{"name", "search"}, {"arguments", ""}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 1}, {"function", {{"arguments", "{\"query\":"}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 1}, {"function", {{"arguments", " \"TODO\"}"}}}}})}});
  s += oaEvent(json::object(), "tool_calls") + oaUsage(40, 22) + "data: [DONE]\n\n";
  // Cut the stream into 7-byte TCP chunks: events, JSON and the ä all split.
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < s.size(); i += 7) parts.push_back(s.substr(i, 7));
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", parts, 0); });
  RouterUnderTest r(configOf({modelAt("local", Api::OpenAI, server.url("/v1"))}));
  ChatRequest req = userAsks("look");
  req.tools.push_back({"read_file", "Read a file", json::parse(R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})")});
  req.tools.push_back({"search", "Search", json::parse(R"({"type":"object","properties":{"query":{"type":"string"}}})")});
  Received got;
  auto out = r->complete(req, {}, got.callbacks());
  REQUIRE(out);
  CHECK(out->stopReason == StopReason::ToolUse);
  REQUIRE(out->toolCalls.size() == 2);
  CHECK(out->toolCalls[0].id == "call_A1");
  CHECK(out->toolCalls[0].name == "read_file");
  CHECK(json::parse(out->toolCalls[0].arguments) == json({{"path", "src/m\xC3\xA4in.py"}}));
  CHECK(out->toolCalls[1].id == "call_B2");
  CHECK(out->toolCalls[1].name == "search");
  CHECK(json::parse(out->toolCalls[1].arguments) == json({{"query", "TODO"}}));
  CHECK(got.toolCallUpdates >= 6);  // the client saw the calls form
  CHECK(out->usage.completionTokens == 22);

  json body = json::parse(server.requests().at(0).body);
  REQUIRE(body["tools"].size() == 2);
  CHECK(body["tools"][0]["type"] == "function");
  CHECK(body["tools"][0]["function"]["name"] == "read_file");
  CHECK(body["tools"][0]["function"]["parameters"]["required"][0] == "path");
}

TEST_CASE("openai: a server that reuses index 0 for parallel calls (Ollama /v1)", "[models][openai]") {
  std::string s = oaEvent({{"tool_calls", json::array({{{"index", 0}, {"id", "call_1"}, {"type", "function"}, {"function", {{"name", "a"}, {"arguments", "{}"}}}}})}});
  s += oaEvent({{"tool_calls", json::array({{{"index", 0}, {"id", "call_2"}, {"type", "function"}, {"function", {{"name", "b"}, {"arguments", "{\"x\":1}"}}}}})}});
  s += oaEvent(json::object(), "tool_calls") + "data: [DONE]\n\n";
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {s}); });
  RouterUnderTest r(configOf({modelAt("m", Api::OpenAI, server.url("/v1"))}));
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  REQUIRE(out->toolCalls.size() == 2);
  CHECK(out->toolCalls[0].name == "a");
  CHECK(out->toolCalls[1].name == "b");
  CHECK(out->toolCalls[1].arguments == "{\"x\":1}");
}

TEST_CASE("openai: tool results and earlier calls go back in the documented shape", "[models][openai]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) {
    return streamParts("text/event-stream", {oaEvent({{"content", "ok"}}), oaEvent(json::object(), "stop"), "data: [DONE]\n\n"});
  });
  RouterUnderTest r(configOf({modelAt("m", Api::OpenAI, server.url("/v1"))}));
  ChatRequest req = userAsks("read it");
  req.messages.push_back({Role::Assistant, "", {{"call_1", "read_file", "{\"path\":\"a\"}"}}, {}, {}});
  req.messages.push_back({Role::Tool, "contents", {}, "call_1", "read_file"});
  REQUIRE(r->complete(req, {}));
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["messages"][2] == json::parse(R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"a\"}"}}]})"));
  CHECK(body["messages"][3] == json::parse(R"({"role":"tool","tool_call_id":"call_1","content":"contents"})"));
}

TEST_CASE("openai: error bodies become clear errors", "[models][openai]") {
  struct Case {
    int status;
    std::string body;
    ErrorCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {401, R"({"error":{"message":"Incorrect API key provided: sk-test-0123***CDEF. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
       ErrorCode::Unauthorized, "rejected the key from the environment variable CADRE_TEST_OPENAI_KEY2 (models.gpt.keyEnv) (HTTP 401)"},
      {404, R"({"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
       ErrorCode::Config, "does not serve model 'gpt-9' (HTTP 404)"},
      {400, R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
       ErrorCode::RequestFailed, "the prompt is longer than model 'gpt-9' accepts"},
      {429, R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})",
       ErrorCode::Unavailable, "out of quota or credit"},
      {503, R"({"error":{"message":"The server is overloaded or not ready yet.","type":"server_error","param":null,"code":null}})",
       ErrorCode::Unavailable, "failed (HTTP 503): The server is overloaded or not ready yet."},
  };
  ::setenv("CADRE_TEST_OPENAI_KEY2", "sk-test-0123456789abcdefABCDEF", 1);
  for (const auto& c : cases) {
    INFO(c.status);
    TestHttpServer server([&](const HttpExchange&, std::size_t) { return response(c.status, "application/json", c.body); });
    auto spec = modelAt("gpt", Api::OpenAI, server.url("/v1"), "gpt-9");
    spec.keyEnv = "CADRE_TEST_OPENAI_KEY2";
    RouterUnderTest r(configOf({spec}));
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == c.code);
    CHECK(out.error().message.find(c.says) != std::string::npos);
    CHECK(out.error().message.find("sk-test-0123") == std::string::npos);
  }
}

TEST_CASE("openai: an error event inside a 200 stream", "[models][openai]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) {
    return streamParts("text/event-stream", {"data: {\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\"}}\n\n"});
  });
  RouterUnderTest r(configOf({modelAt("m", Api::OpenAI, server.url("/v1"))}));
  auto out = r->complete(userAsks("x"), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().message.find("upstream exploded") != std::string::npos);
}
