#include "support/jsonc.hpp"

#include "tests/support/catch.hpp"

using namespace cadre;

TEST_CASE("JSONC allows comments and trailing commas, keeps strings intact") {
  auto j = parseJsonc(R"(// settings
{
  /* block
     comment */
  "url": "http://example/*not a comment*/", // trailing
  "list": [1, 2, 3,],
  "quote": "a \"// b\"",
})");
  REQUIRE(j);
  CHECK((*j)["url"] == "http://example/*not a comment*/");
  CHECK((*j)["list"].size() == 3);
  CHECK((*j)["quote"] == "a \"// b\"");
}

TEST_CASE("JSONC errors give line and column of the original text") {
  auto j = parseJsonc("{\n  // note\n  \"a\": tru\n}");
  REQUIRE_FALSE(j);
  CHECK(j.error().message.rfind("3:", 0) == 0);
  CHECK(j.error().code == ErrorCode::Config);
}

TEST_CASE("JSONC with a number too large for a double is an error, not a crash") {
  auto j = parseJsonc("{\"a\": 1e400}");
  REQUIRE_FALSE(j);
  CHECK(j.error().code == ErrorCode::Config);
}
