// The router honours an eval verdict: a restricted model takes read-only
// requests, never one offering tools that write or run (RouteOptions::
// mutating) — those go to the next model of the role, or are refused
// saying why when no other model is left.
#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

namespace {

Script says(const std::string& text) {
  auto delta = "data: " + json({{"choices", json::array({{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", "stop"}}})}}).dump() + "\n\n";
  return streamParts("text/event-stream", {delta, "data: [DONE]\n\n"});
}

}  // namespace

TEST_CASE("router: a restricted model gets read-only work only", "[eval][router]") {
  TestHttpServer weak([](const HttpExchange&, std::size_t) { return says("from weak"); });
  TestHttpServer strong([](const HttpExchange&, std::size_t) { return says("from strong"); });
  ModelSpec w = modelAt("weak", Api::OpenAI, weak.url("/v1"), "weak-id");
  w.restricted = true;
  w.restriction = "passed 2/16";
  RouterUnderTest r(configOf({w, modelAt("strong", Api::OpenAI, strong.url("/v1"), "strong-id")},
                             {{"executor", {"weak", "strong"}}, {"planner", {"weak"}}}));
  std::string why;
  CHECK(r->isRestricted("weak", &why));
  CHECK(why == "passed 2/16");
  CHECK_FALSE(r->isRestricted("strong"));

  RouteOptions readOnly = route("executor");
  auto a = r->complete(userAsks("summarize"), readOnly);
  REQUIRE(a);
  CHECK(a->model == "weak");

  RouteOptions mutating = route("executor");
  mutating.mutating = true;
  auto b = r->complete(userAsks("edit it"), mutating);
  REQUIRE(b);
  CHECK(b->model == "strong");
  CHECK(weak.requestCount() == 1);

  RouteOptions plan = route("planner");
  plan.mutating = true;
  auto c = r->complete(userAsks("edit it"), plan);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == ErrorCode::Unauthorized);
  CHECK(c.error().message.find("weak is restricted to read-only work (passed 2/16)") != std::string::npos);
  CHECK(weak.requestCount() == 1);
}
