// The failures a stream meets on the way, through the router: a reset
// mid-stream, a server that never answers, a slow drip (delivered as it
// drips, not held back), a stall longer than the idle timeout, cancellation
// (the server sees the connection close at once), nothing listening.
#include <nlohmann/json.hpp>

#include <future>
#include <thread>

#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string textDelta(const std::string& text) {
  return "data: " + json({{"choices", json::array({{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}})}}).dump() + "\n\n";
}
const std::string kStreamStop = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

double msBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

}  // namespace

TEST_CASE("transport: a reset mid-stream is an interrupted answer, not retried elsewhere", "[models][transport]") {
  TestHttpServer first([&](const HttpExchange&, std::size_t) {
    return Script{streamHead("text/event-stream"), chunk(textDelta("Hel")), pause(20), reset()};
  });
  TestHttpServer second([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {textDelta("other"), kStreamStop}); });
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, first.url("/v1")), modelAt("b", Api::OpenAI, second.url("/v1"))},
                             {{"executor", {"a", "b"}}}));
  Received got;
  auto out = r->complete(userAsks("x"), {}, got.callbacks());
  REQUIRE_FALSE(out);
  CHECK(got.text() == "Hel");
  CHECK(out.error().code == ErrorCode::Unavailable);
  CHECK(out.error().message.find("broke off") != std::string::npos);
  CHECK(second.requestCount() == 0);  // the caller saw part of a's answer: b would start over
  auto m = r->metrics();
  REQUIRE(m.size() == 1);
  CHECK(m[0].failures["interrupted"] == 1);
}

TEST_CASE("transport: a server that never answers times out, then the next model answers", "[models][transport]") {
  TestHttpServer silent([&](const HttpExchange&, std::size_t) { return Script{hang()}; });
  TestHttpServer good([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {textDelta("fine"), kStreamStop}); });
  auto config = configOf({modelAt("a", Api::OpenAI, silent.url("/v1")), modelAt("b", Api::OpenAI, good.url("/v1"))}, {{"executor", {"a", "b"}}});
  config.settings.firstTokenTimeoutMs = 300;
  RouterUnderTest r(config);
  auto t0 = Clock::now();
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  CHECK(out->model == "b");
  CHECK(out->text == "fine");
  CHECK(msBetween(t0, Clock::now()) >= 290);
  CHECK(msBetween(t0, Clock::now()) < 3000);
  CHECK(r->metrics()[0].failures["timeout"] == 1);
}

TEST_CASE("transport: a connect that hangs times out, then the next model answers", "[models][transport]") {
  FullBacklog blackhole;
  TestHttpServer good([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {textDelta("fine"), kStreamStop}); });
  auto config = configOf({modelAt("a", Api::OpenAI, "http://127.0.0.1:" + std::to_string(blackhole.port()) + "/v1"),
                          modelAt("b", Api::OpenAI, good.url("/v1"))},
                         {{"executor", {"a", "b"}}});
  config.settings.connectTimeoutMs = 300;
  RouterUnderTest r(config);
  auto t0 = Clock::now();
  auto out = r->complete(userAsks("x"), {});
  REQUIRE(out);
  CHECK(out->model == "b");
  CHECK(msBetween(t0, Clock::now()) >= 290);
  CHECK(msBetween(t0, Clock::now()) < 3000);
  CHECK(r->metrics()[0].failures["timeout"] == 1);
}

TEST_CASE("transport: a slow drip arrives piece by piece; a stall beyond the idle timeout fails", "[models][transport]") {
  SECTION("drip") {
    std::vector<std::string> parts;
    for (int i = 0; i < 5; ++i) parts.push_back(textDelta("t" + std::to_string(i)));
    parts.push_back(kStreamStop);
    TestHttpServer server([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", parts, 120); });
    auto config = configOf({modelAt("a", Api::OpenAI, server.url("/v1"))});
    config.settings.idleTimeoutMs = 1000;
    RouterUnderTest r(config);
    Received got;
    auto out = r->complete(userAsks("x"), {}, got.callbacks());
    REQUIRE(out);
    REQUIRE(got.at.size() == 5);
    for (std::size_t i = 1; i < got.at.size(); ++i) CHECK(msBetween(got.at[i - 1], got.at[i]) >= 80);  // not coalesced
    CHECK(out->text == "t0t1t2t3t4");
  }
  SECTION("stall") {
    TestHttpServer server([&](const HttpExchange&, std::size_t) {
      return Script{streamHead("text/event-stream"), chunk(textDelta("a")), pause(2000), chunk(kStreamStop), endChunks()};
    });
    auto config = configOf({modelAt("a", Api::OpenAI, server.url("/v1"))});
    config.settings.idleTimeoutMs = 250;
    RouterUnderTest r(config);
    auto t0 = Clock::now();
    auto out = r->complete(userAsks("x"), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ErrorCode::Timeout);
    CHECK(out.error().message.find("the stream stalled within 250 ms") != std::string::npos);
    CHECK(msBetween(t0, Clock::now()) < 1500);
  }
}

TEST_CASE("transport: cancel closes the stream at once", "[models][transport]") {
  TestHttpServer server([&](const HttpExchange&, std::size_t) {
    return Script{streamHead("text/event-stream"), chunk(textDelta("first")), pause(10000), chunk(kStreamStop), endChunks()};
  });
  RouterUnderTest r(configOf({modelAt("a", Api::OpenAI, server.url("/v1"))}));
  std::promise<Expected<ChatResponse>> done;
  std::promise<void> firstText;
  std::once_flag once;
  StreamCallbacks cb;
  cb.onText = [&](std::string_view) { std::call_once(once, [&] { firstText.set_value(); }); };
  auto handle = r->chat(userAsks("x"), {}, cb, [&](Expected<ChatResponse> out) { done.set_value(std::move(out)); });
  REQUIRE(firstText.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto cancelledAt = Clock::now();
  handle->cancel();
  auto f = done.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  auto out = f.get();
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ErrorCode::RequestCancelled);
  CHECK(msBetween(cancelledAt, Clock::now()) < 200);
  // The server notices the closed connection within its 10 ms poll.
  for (int i = 0; i < 100 && server.clientCloses().empty(); ++i) std::this_thread::sleep_for(milliseconds(5));
  REQUIRE(server.clientCloses().size() == 1);
  CHECK(msBetween(cancelledAt, server.clientCloses()[0]) < 200);
}

TEST_CASE("transport: nothing listening is Unavailable and names what to configure", "[models][transport]") {
  auto config = defaultRouterConfig();
  config.models[0].endpoints = {"http://127.0.0.1:" + std::to_string(closedPort())};
  config.userConfigPath = "/home/u/.config/cadre/config.json";
  RouterUnderTest r(config);
  auto out = r->complete(userAsks("x"), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ErrorCode::Unavailable);
  const std::string& m = out.error().message;
  CHECK(m.find("role executor: no model is reachable") != std::string::npos);
  CHECK(m.find("cannot connect to http://127.0.0.1:") != std::string::npos);
  CHECK(m.find("OLLAMA_HOST") != std::string::npos);
  CHECK(m.find("/home/u/.config/cadre/config.json") != std::string::npos);
  CHECK(m.find("docs/models.md") != std::string::npos);
}

TEST_CASE("transport: proxies come from the environment, loopback goes direct", "[models][transport]") {
  TestHttpServer proxy([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {textDelta("via proxy"), kStreamStop}); });
  TestHttpServer direct([&](const HttpExchange&, std::size_t) { return streamParts("text/event-stream", {textDelta("direct"), kStreamStop}); });
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  auto remote = modelAt("remote", Api::OpenAI, "http://models.example.invalid:8000/v1");
  RouterUnderTest r(configOf({remote, modelAt("box", Api::OpenAI, direct.url("/v1"))}, {{"executor", {"remote"}}, {"planner", {"box"}}}));
  auto viaProxy = r->complete(userAsks("x"), route("executor"));
  auto loopback = r->complete(userAsks("x"), route("planner"));
  ::unsetenv("http_proxy");
  REQUIRE(viaProxy);
  CHECK(viaProxy->text == "via proxy");
  REQUIRE(proxy.requestCount() == 1);
  CHECK(proxy.requests()[0].path == "http://models.example.invalid:8000/v1/chat/completions");  // absolute form: a proxy request
  REQUIRE(loopback);
  CHECK(loopback->text == "direct");
  CHECK(proxy.requestCount() == 1);
}

