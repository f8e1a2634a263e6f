#include "server/workspace/document_store.hpp"

#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::workspace;

namespace {

TextChange edit(std::uint32_t l1, std::uint32_t c1, std::uint32_t l2, std::uint32_t c2, std::string text) {
  return TextChange{TextRange{{l1, c1}, {l2, c2}}, std::move(text)};
}

std::string apply(std::string text, std::vector<TextChange> changes, PositionEncoding enc = PositionEncoding::Utf16) {
  auto ok = applyChanges(text, changes, enc);
  if (!ok) return "error: " + ok.error().message;
  return text;
}

}  // namespace

TEST_CASE("surrogate pairs count two UTF-16 units, one UTF-32 unit, four UTF-8 bytes") {
  const std::string text = "a😀b";
  CHECK(apply(text, {edit(0, 1, 0, 3, "X")}) == "aXb");
  CHECK(apply(text, {edit(0, 1, 0, 2, "X")}, PositionEncoding::Utf32) == "aXb");
  CHECK(apply(text, {edit(0, 1, 0, 5, "X")}, PositionEncoding::Utf8) == "aXb");
  // A position inside the pair lands on the character's start.
  CHECK(apply(text, {edit(0, 2, 0, 2, "|")}) == "a|😀b");
}

TEST_CASE("CJK and mixed scripts") {
  const std::string text = "漢字かな\nábc";
  CHECK(apply(text, {edit(0, 2, 0, 4, "")}) == "漢字\nábc");
  CHECK(apply(text, {edit(1, 1, 1, 1, "+")}) == "漢字かな\ná+bc");
  CHECK(apply(text, {edit(0, 6, 0, 9, "!")}, PositionEncoding::Utf8) == "漢字!な\nábc");
}

TEST_CASE("every line terminator ends a line; positions past the line end clamp to it") {
  CHECK(apply("a\r\nb\rc\nd", {edit(1, 0, 1, 1, "B")}) == "a\r\nB\rc\nd");
  CHECK(apply("a\r\nb\rc\nd", {edit(2, 0, 2, 1, "C")}) == "a\r\nb\rC\nd");
  CHECK(apply("a\r\nb\rc\nd", {edit(3, 0, 3, 1, "D")}) == "a\r\nb\rc\nD");
  // Character 99 on line 0 clamps to before "\r\n", not into it.
  CHECK(apply("ab\r\ncd", {edit(0, 99, 0, 99, "!")}) == "ab!\r\ncd");
  // Joining lines across CRLF.
  CHECK(apply("ab\r\ncd", {edit(0, 2, 1, 0, "")}) == "abcd");
}

TEST_CASE("edits at the end of the file and after a final newline") {
  CHECK(apply("abc", {edit(0, 3, 0, 3, "d")}) == "abcd");
  CHECK(apply("abc\n", {edit(1, 0, 1, 0, "x")}) == "abc\nx");
  CHECK(apply("", {edit(0, 0, 0, 0, "new")}) == "new");
}

TEST_CASE("several changes apply in order, each against the previous result") {
  CHECK(apply("hello", {edit(0, 0, 0, 1, "J"), edit(0, 5, 0, 5, "!"), TextChange{std::nullopt, "full"}, edit(0, 4, 0, 4, "y")}) ==
        "fully");
}

TEST_CASE("a change that does not fit leaves the text unchanged") {
  std::string text = "one\ntwo";
  auto r = applyChanges(text, {edit(0, 0, 0, 1, "O"), edit(5, 0, 5, 0, "x")}, PositionEncoding::Utf16);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "change 1: line 5 is past the end of the document");
  CHECK(text == "one\ntwo");
  CHECK(apply("abc", {edit(0, 2, 0, 1, "")}) == "error: change 0: range end is before its start");
}

TEST_CASE("toPosition inverts toOffset") {
  const std::string text = "a😀\r\n漢\rz";
  for (auto enc : {PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32}) {
    for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{7}, std::size_t{10}, std::size_t{11}, text.size()}) {
      INFO("offset " << offset);
      TextPosition pos = toPosition(text, offset, enc);
      auto back = toOffset(text, pos, enc);
      REQUIRE(back);
      CHECK(*back == offset);
    }
  }
}

TEST_CASE("the store keeps versions and refuses edits to closed documents") {
  DocumentStore store;
  store.open({"file:///a", "python", 1, "x = 1\n"});
  REQUIRE(store.change("file:///a", 2, {edit(0, 4, 0, 5, "2")}));
  auto doc = store.get("file:///a");
  REQUIRE(doc);
  CHECK(doc->text == "x = 2\n");
  CHECK(doc->version == 2);
  CHECK_FALSE(store.change("file:///b", 1, {}));
  CHECK(store.close("file:///a"));
  CHECK_FALSE(store.close("file:///a"));
  CHECK(store.size() == 0);
}
