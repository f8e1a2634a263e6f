#include "server/core/uri.hpp"

#include "tests/support/catch.hpp"

using namespace cadre;

TEST_CASE("file URIs decode percent-escapes and refuse what is not a local file") {
  CHECK(core::uriToPath("file:///home/u/my%20project/a%C3%A9.py")->string() == "/home/u/my project/aé.py");
  CHECK(core::uriToPath("file://localhost/tmp/x")->string() == "/tmp/x");
  CHECK_FALSE(core::uriToPath("untitled:Untitled-1"));
  CHECK_FALSE(core::uriToPath("file://server/share/x"));
  CHECK_FALSE(core::uriToPath("file:///a%2"));
  CHECK_FALSE(core::uriToPath("file:///a%00b"));
}

TEST_CASE("paths round-trip through URIs") {
  for (const char* p : {"/tmp/a b/c#d.py", "/srv/漢字/%x", "/plain/path.txt"}) {
    auto back = core::uriToPath(core::pathToUri(p));
    REQUIRE(back);
    CHECK(back->string() == p);
  }
}
