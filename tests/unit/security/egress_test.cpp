// Local-only mode: which endpoints count as local.
#include "server/security/egress.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::security;

TEST_CASE("egress: loopback endpoints by their literal form", "[egress]") {
  for (const char* url : {"http://127.0.0.1:11434", "http://localhost:8080/v1", "http://[::1]:8000/", "http://127.8.9.10",
                          "https://LOCALHOST.", "http://gpu.localhost:1234", "http://[::ffff:127.0.0.1]:80",
                          "unix:///run/ollama.sock", "http://user:pw@127.0.0.1:11434/api"}) {
    INFO(url);
    auto e = parseEndpoint(url);
    REQUIRE(e);
    CHECK(isLoopback(*e));
    CHECK(checkEgress(url, false, true));
  }
  for (const char* url : {"https://api.openai.com/v1", "http://192.168.1.20:11434", "http://127.0.0.1.nip.io",
                          "http://[::ffff:10.0.0.1]", "http://localhost.evil.com", "http://0x7f000001.example",
                          "http://127.0.0.1@api.openai.com/"}) {
    INFO(url);
    auto e = parseEndpoint(url);
    REQUIRE(e);
    CHECK_FALSE(isLoopback(*e));
    auto refused = checkEgress(url, false, true);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("security.localOnly") != std::string::npos);
    CHECK(checkEgress(url, false, false));  // local-only off: allowed
    CHECK(checkEgress(url, true, true));    // marked local by the user: allowed
  }
  CHECK_FALSE(parseEndpoint("not a url"));
  CHECK_FALSE(parseEndpoint("http://:80"));
  CHECK_FALSE(parseEndpoint("http://host:99999"));
  CHECK(parseEndpoint("http://host:8443")->port == 8443);
}
