#include "support/utf8.hpp"

#include "tests/support/catch.hpp"

using namespace cadre;

TEST_CASE("utf8::isValid accepts well-formed text and rejects each malformed kind") {
  CHECK(utf8::isValid(""));
  CHECK(utf8::isValid("plain ascii"));
  CHECK(utf8::isValid("CJK 漢字, emoji 😀, replacement \xEF\xBF\xBD"));
  CHECK_FALSE(utf8::isValid("\xFF"));                  // never a lead byte
  CHECK_FALSE(utf8::isValid("\xC3"));                  // truncated sequence
  CHECK_FALSE(utf8::isValid("\xC0\xAF"));              // overlong '/'
  CHECK_FALSE(utf8::isValid("\xE0\x80\xAF"));          // overlong, 3 bytes
  CHECK_FALSE(utf8::isValid("\xED\xA0\x80"));          // UTF-16 surrogate
  CHECK_FALSE(utf8::isValid("\xF4\x90\x80\x80"));      // past U+10FFFF
  CHECK_FALSE(utf8::isValid("ok\xE2\x82"));            // cut at the end
}

TEST_CASE("utf8::decode steps one byte over malformed input") {
  std::string s = "a\xFF\xF0\x9F\x98\x80";
  std::size_t i = 0;
  CHECK(utf8::decode(s, i) == U'a');
  CHECK(utf8::decode(s, i) == 0xFFFD);
  CHECK(i == 2);
  CHECK(utf8::decode(s, i) == 0x1F600);
  CHECK(i == s.size());
}

TEST_CASE("utf8::sanitize replaces bad bytes and round-trips good ones") {
  CHECK(utf8::sanitize("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  const std::string good = "x😀漢";
  CHECK(utf8::sanitize(good) == good);
  std::string out;
  for (char32_t cp : {U'x', char32_t(0x1F600), char32_t(0x6F22)}) utf8::append(out, cp);
  CHECK(out == good);
}
