// Anthropic Messages through the router against a local server writing the
// documented event stream: message_start, content_block_start/delta/stop for
// text and tool_use (input_json_delta fragments), ping, message_delta with
// stop_reason and usage, message_stop — and error events and bodies.
#include <nlohmann/json.hpp>

#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

namespace {

std::string ev(const std::string& type, const std::string& data) { return "event: " + type + "\ndata: " + data + "\n\n"; }

const std::vector<std::string> kToolTurn = {
    ev("message_start",
       R"({"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}})"),
    ev("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
    ev("ping", R"({"type": "ping"})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check the weather for San Francisco, CA:"}})"),
    ev("content_block_stop", R"({"type":"content_block_stop","index":0})"),
    ev("content_block_start",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San"}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" Francisc"}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"o, CA\""}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":", \"unit\": \"fah"}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"renheit\"}"}})"),
    ev("content_block_stop", R"({"type":"content_block_stop","index":1})"),
    ev("content_block_start",
       R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}})"),
    ev("content_block_delta", R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"tz\": \"PST\"}"}})"),
    ev("content_block_stop", R"({"type":"content_block_stop","index":2})"),
    ev("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}})"),
    ev("message_stop", R"({"type":"message_stop"})"),
};

}  // namespace

TEST_CASE("anthropic: text and tool_use blocks, ping, usage, stop_reason", "[models][anthropic]") {
  // Cut every event in two across TCP chunks.
  std::vector<std::string> parts;
  for (const auto& e : kToolTurn) {
    parts.push_back(e.substr(0, e.size() / 2));
    parts.push_back(e.substr(e.size() / 2));
  }
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream; charset=utf-8", parts, 1); });
  ::setenv("CADRE_TEST_ANTHROPIC_KEY", "sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE0123456789", 1);
  auto spec = modelAt("claude", Api::Anthropic, server.url(), "claude-sonnet-4-5");
  spec.keyEnv = "CADRE_TEST_ANTHROPIC_KEY";
  RouterUnderTest r(configOf({spec}));
  ChatRequest req = userAsks("What is the weather in SF?");
  req.tools.push_back({"get_weather", "Weather", json::parse(R"({"type":"object","properties":{"location":{"type":"string"}}})")});
  req.messages.push_back({Role::Assistant, "Let me look.", {{"toolu_0", "get_time", "{\"tz\":\"UTC\"}"}}, {}, {}});
  req.messages.push_back({Role::Tool, "12:00", {}, "toolu_0", "get_time"});
  req.messages.push_back({Role::User, "And the weather?", {}, {}, {}});
  Received got;
  auto out = r->complete(req, {}, got.callbacks());
  REQUIRE(out);
  CHECK(out->text == "Okay, let's check the weather for San Francisco, CA:");
  CHECK(got.deltas == std::vector<std::string>{"Okay", ", let's check the weather for San Francisco, CA:"});
  CHECK(out->stopReason == StopReason::ToolUse);
  REQUIRE(out->toolCalls.size() == 2);
  CHECK(out->toolCalls[0].id == "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  CHECK(out->toolCalls[0].name == "get_weather");
  CHECK(json::parse(out->toolCalls[0].arguments) == json({{"location", "San Francisco, CA"}, {"unit", "fahrenheit"}}));
  CHECK(json::parse(out->toolCalls[1].arguments) == json({{"tz", "PST"}}));
  CHECK(out->usage.promptTokens == 472);
  CHECK(out->usage.completionTokens == 89);

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/v1/messages");
  CHECK(reqs[0].headers["x-api-key"] == "sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE0123456789");
  CHECK(reqs[0].headers["anthropic-version"] == "2023-06-01");
  CHECK(reqs[0].headers.count("authorization") == 0);
  json body = json::parse(reqs[0].body);
  CHECK(body["system"] == "You are terse.");
  CHECK(body["stream"] == true);
  CHECK(body["max_tokens"].is_number_integer());
  CHECK(body["tools"][0] == json::parse(R"({"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}}}})"));
  // user, assistant (text + tool_use), user (tool_result + text): turns alternate.
  REQUIRE(body["messages"].size() == 3);
  CHECK(body["messages"][1]["content"][1] == json::parse(R"({"type":"tool_use","id":"toolu_0","name":"get_time","input":{"tz":"UTC"}})"));
  CHECK(body["messages"][2]["role"] == "user");
  CHECK(body["messages"][2]["content"][0] == json::parse(R"({"type":"tool_result","tool_use_id":"toolu_0","content":"12:00"})"));
  CHECK(body["messages"][2]["content"][1] == json::parse(R"({"type":"text","text":"And the weather?"})"));
}

TEST_CASE("anthropic: an error event mid-stream", "[models][anthropic]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) {
    return streamParts("text/event-stream", {kToolTurn[0], kToolTurn[1],
                                             ev("error", R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})")});
  });
  RouterUnderTest r(configOf({modelAt("claude", Api::Anthropic, server.url())}));
  auto out = r->complete(userAsks("x"), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ErrorCode::Unavailable);
  CHECK(out.error().message.find("Overloaded") != std::string::npos);
}

TEST_CASE("anthropic: a stream without message_stop is interrupted", "[models][anthropic]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {kToolTurn[0], kToolTurn[1]}); });
  RouterUnderTest r(configOf({modelAt("claude", Api::Anthropic, server.url())}));
  auto out = r->complete(userAsks("x"), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().message.find("before message_stop") != std::string::npos);
}

TEST_CASE("anthropic: error bodies", "[models][anthropic]") {
  {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return response(401, "application/json", R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})");
    });
    RouterUnderTest r(configOf({modelAt("claude", Api::Anthropic, server.url())}));
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ErrorCode::Unauthorized);
    CHECK(out.error().message.find("requires a key (HTTP 401); set models.claude.keyEnv or keyFile in /home/u/.config/cadre/config.json") !=
          std::string::npos);
  }
  {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return response(529, "application/json", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    });
    RouterUnderTest r(configOf({modelAt("claude", Api::Anthropic, server.url())}));
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ErrorCode::Unavailable);
    CHECK(out.error().message.find("failed (HTTP 529): Overloaded") != std::string::npos);
  }
  {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return response(400, "application/json",
                      R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215000 tokens > 200000 maximum"}})");
    });
    RouterUnderTest r(configOf({modelAt("claude", Api::Anthropic, server.url())}));
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().message.find("the prompt is longer than model") != std::string::npos);
  }
}
