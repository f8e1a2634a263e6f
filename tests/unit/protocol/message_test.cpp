#include "protocol/message.hpp"

#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::protocol;

namespace {
// "<kind> <detail>" for compact table-driven checks.
std::string describe(const Incoming& m) {
  if (auto* r = std::get_if<Request>(&m)) return "request " + r->method + " id=" + idToString(r->id);
  if (auto* n = std::get_if<Notification>(&m)) return "notification " + n->method;
  if (auto* r = std::get_if<Response>(&m)) return "response id=" + idToString(r->id) + (r->result ? " ok" : " error");
  const auto& bad = std::get<Invalid>(m);
  return "invalid " + std::to_string(static_cast<int>(bad.error.code)) + " id=" + bad.id.dump() + " " + bad.error.message;
}
}  // namespace

TEST_CASE("messages are classified as JSON-RPC 2.0 defines") {
  struct Case {
    const char* body;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"jsonrpc":"2.0","id":1,"method":"m","params":{}})", "request m id=1"},
      {R"({"jsonrpc":"2.0","id":"a","method":"m"})", "request m id=a"},
      {R"({"jsonrpc":"2.0","method":"n","params":[1]})", "notification n"},
      {R"({"jsonrpc":"2.0","id":3,"result":null})", "response id=3 ok"},
      {R"({"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"x"}})", "response id=3 error"},
      {R"({"jsonrpc":"2.0","id":1,"method":"m")", nullptr},
      {"[]", "invalid -32600 id=null empty batch"},
      {R"([{"jsonrpc":"2.0","method":"n"}])", "invalid -32600 id=null batch requests are not supported (LSP sends single messages)"},
      {"42", "invalid -32600 id=null a JSON-RPC message must be an object"},
      {R"({"id":1,"method":"m"})", "invalid -32600 id=1 \"jsonrpc\" must be \"2.0\""},
      {R"({"jsonrpc":"1.0","id":1,"method":"m"})", "invalid -32600 id=1 \"jsonrpc\" must be \"2.0\""},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"m"})", "invalid -32600 id=null \"id\" must be an integer or a string"},
      {R"({"jsonrpc":"2.0","id":null,"method":"m"})", "invalid -32600 id=null a request's \"id\" must not be null"},
      {R"({"jsonrpc":"2.0","id":1,"method":5})", "invalid -32600 id=1 \"method\" must be a string"},
      {R"({"jsonrpc":"2.0","id":1,"method":"m","params":"x"})", "invalid -32600 id=1 \"params\" must be an object or an array"},
      {R"({"jsonrpc":"2.0"})", "invalid -32600 id=null message has neither \"method\" nor \"id\""},
      {R"({"jsonrpc":"2.0","id":2})", "invalid -32600 id=2 a response must carry exactly one of \"result\" and \"error\""},
      {R"({"jsonrpc":"2.0","id":2,"error":"bad"})", "invalid -32600 id=2 \"error\" must be an object with an integer \"code\""},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    Incoming m = parseMessage(c.body);
    if (!c.expected) {
      auto* bad = std::get_if<Invalid>(&m);
      REQUIRE(bad);
      CHECK(bad->error.code == ErrorCode::ParseError);
    } else {
      CHECK(describe(m) == c.expected);
    }
  }
}

TEST_CASE("a malformed response is never answered; a malformed request is") {
  auto response = std::get<Invalid>(parseMessage(R"({"jsonrpc":"2.0","id":2})"));
  CHECK_FALSE(response.answerable);
  CHECK_FALSE(std::get<Invalid>(parseMessage(R"({"id":77,"result":1})")).answerable);
  auto request = std::get<Invalid>(parseMessage(R"({"jsonrpc":"2.0","id":1,"method":5})"));
  CHECK(request.answerable);
}

TEST_CASE("a number too large for a double is a parse error, not a crash") {
  // Found by the fuzzer: nlohmann throws out_of_range, not parse_error, here.
  Incoming m = parseMessage(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"x":1e400}})");
  auto* bad = std::get_if<Invalid>(&m);
  REQUIRE(bad);
  CHECK(bad->error.code == ErrorCode::ParseError);
}

TEST_CASE("invalid UTF-8 inside a JSON string is a parse error") {
  Incoming m = parseMessage("{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"t\":\"\xFF\"}}");
  auto* bad = std::get_if<Invalid>(&m);
  REQUIRE(bad);
  CHECK(bad->error.code == ErrorCode::ParseError);
  CHECK(bad->error.message.find("UTF-8") != std::string::npos);
}

TEST_CASE("encoding never throws on invalid UTF-8 and keeps the error shape") {
  json params = {{"text", std::string("bad \xFF byte")}};
  std::string out = encodeNotification("n", params);
  CHECK(out.find("bad \xEF\xBF\xBD byte") != std::string::npos);
  CHECK(encodeResponse(7, makeError(ErrorCode::MethodNotFound, "no")) ==
        R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}})");
  CHECK(encodeResponse("a", json{{"k", 1}}) == R"({"jsonrpc":"2.0","id":"a","result":{"k":1}})");
  CHECK(encodeRequest("x", "m", nullptr) == R"({"jsonrpc":"2.0","id":"x","method":"m"})");
  CHECK(encodeNotification("n\"q", json::array()) == R"({"jsonrpc":"2.0","method":"n\"q","params":[]})");
}
