// Model-written edits: both formats parsed, applied tolerantly (whitespace,
// indentation, stale line numbers), refused clearly (naming the hunk and the
// closest match), and cadre's own diffs round-trip through the parser.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "server/workspace/edit_format.hpp"
#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::workspace;

namespace {

std::string applyAll(const std::string& file, const std::string& answer) {
  auto edits = parseEdits(answer);
  REQUIRE(edits);
  REQUIRE(edits->size() == 1);
  auto out = applyHunks((*edits)[0].path, file, (*edits)[0].hunks);
  if (!out) FAIL(out.error().message);
  return *out;
}

const char* kPy =
    "import os\n"
    "\n"
    "def greet(name):\n"
    "    message = 'hello ' + name\n"
    "    print(message)\n"
    "\n"
    "class Shop:\n"
    "    def total(self, items):\n"
    "        return sum(i.price for i in items)\n";

}  // namespace

TEST_CASE("edits: search/replace blocks", "[edits]") {
  std::string answer =
      "Here is the change:\n\n"
      "app/greet.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "    message = 'hello ' + name\n"
      "=======\n"
      "    message = f'hello {name}'\n"
      ">>>>>>> REPLACE\n"
      "```\n";
  auto edits = parseEdits(answer);
  REQUIRE(edits);
  REQUIRE(edits->size() == 1);
  CHECK((*edits)[0].path == "app/greet.py");
  CHECK(applyAll(kPy, answer).find("    message = f'hello {name}'\n") != std::string::npos);
}

TEST_CASE("edits: tolerant anchoring", "[edits]") {
  // Trailing spaces and a different indentation in the model's copy: matched,
  // and the replacement is re-indented to the file's.
  std::string answer =
      "shop.py\n<<<<<<< SEARCH\n"
      "def total(self, items):   \n"
      "    return sum(i.price for i in items)\n"
      "=======\n"
      "def total(self, items):\n"
      "    return sum(i.price * i.qty for i in items)\n"
      ">>>>>>> REPLACE\n";
  std::string out = applyAll(kPy, answer);
  CHECK(out.find("    def total(self, items):\n        return sum(i.price * i.qty for i in items)\n") != std::string::npos);

  // A unified diff with stale line numbers and one context line that drifted.
  std::string diff =
      "--- a/shop.py\n+++ b/shop.py\n"
      "@@ -40,4 +40,4 @@\n"
      " def greet(name):\n"
      "-    message = 'hello ' + name\n"
      "+    message = 'hi ' + name\n"
      "     print(message)\n"
      " # a context line that is not in the file\n";
  out = applyAll(kPy, diff);
  CHECK(out.find("    message = 'hi ' + name\n    print(message)\n") != std::string::npos);
}

TEST_CASE("edits: line hints break ties, and without one an ambiguous edit is refused", "[edits]") {
  std::string file = "x = 1\nprint(x)\n\nx = 1\nprint(x)\n";
  auto diff = parseEdits("--- a/f.py\n+++ b/f.py\n@@ -4,2 +4,2 @@\n-x = 1\n+x = 2\n print(x)\n");
  REQUIRE(diff);
  auto out = applyHunks("f.py", file, (*diff)[0].hunks);
  REQUIRE(out);
  CHECK(*out == "x = 1\nprint(x)\n\nx = 2\nprint(x)\n");
  auto sr = parseEdits("f.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 3\n>>>>>>> REPLACE\n");
  REQUIRE(sr);
  auto amb = applyHunks("f.py", file, (*sr)[0].hunks);
  REQUIRE_FALSE(amb);
  CHECK(amb.error().message.find("ambiguous") != std::string::npos);
  CHECK(amb.error().message.find("lines 1, 4") != std::string::npos);
}

TEST_CASE("edits: a hunk that does not apply names itself and the closest match; nothing is applied", "[edits]") {
  std::string answer =
      "greet.py\n<<<<<<< SEARCH\nimport os\n=======\nimport os, sys\n>>>>>>> REPLACE\n"
      "greet.py\n<<<<<<< SEARCH\ndef greet(name):\n    message = 'hello ' + nom\n    print(message)\n=======\n"
      "def greet(name):\n    pass\n>>>>>>> REPLACE\n";
  auto edits = parseEdits(answer);
  REQUIRE(edits);
  auto out = applyHunks("greet.py", kPy, (*edits)[0].hunks);
  REQUIRE_FALSE(out);
  const std::string& m = out.error().message;
  CHECK(m.find("greet.py, SEARCH/REPLACE block 2 (2 of 2) does not apply") != std::string::npos);
  CHECK(m.find("Closest match at line 3 (67% of the lines equal)") != std::string::npos);
  CHECK(m.find("    message = 'hello ' + name\n") != std::string::npos);
  auto none = parseEdits("nothing to see here");
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("no edits found") != std::string::npos);
  auto unterminated = parseEdits("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n");
  REQUIRE_FALSE(unterminated);
  CHECK(unterminated.error().message.find("REPLACE") != std::string::npos);
}

TEST_CASE("edits: new, deleted and renamed files in diffs", "[edits]") {
  auto edits = parseEdits(
      "diff --git a/new.py b/new.py\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
      "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n"
      "--- a/src/util.py\n+++ b/lib/util.py\n@@ -1,1 +1,1 @@\n-v = 1\n+v = 2\n");
  REQUIRE(edits);
  REQUIRE(edits->size() == 4);
  CHECK((*edits)[0].kind == FileEdit::Kind::Write);
  CHECK((*edits)[0].content == "a = 1\nb = 2\n");
  CHECK((*edits)[1].kind == FileEdit::Kind::Delete);
  CHECK((*edits)[1].path == "old.py");
  CHECK((*edits)[2].kind == FileEdit::Kind::Rename);
  CHECK((*edits)[2].fromPath == "src/util.py");
  CHECK((*edits)[3].path == "lib/util.py");
}

TEST_CASE("edits: CRLF files and a missing final newline survive", "[edits]") {
  std::string file = "a = 1\r\nb = 2\r\nc = 3";
  auto edits = parseEdits("f.py\n<<<<<<< SEARCH\nb = 2\n=======\nb = 20\nb2 = 21\n>>>>>>> REPLACE\n"
                          "f.py\n<<<<<<< SEARCH\nc = 3\n=======\nc = 30\n>>>>>>> REPLACE\n");
  REQUIRE(edits);
  auto out = applyHunks("f.py", file, (*edits)[0].hunks);
  REQUIRE(out);
  CHECK(*out == "a = 1\r\nb = 20\r\nb2 = 21\r\nc = 30");
}

TEST_CASE("edits: cadre's diffs round-trip on real files", "[edits]") {
  // Python's standard library: random line edits, deletions and insertions,
  // diffed by cadre, parsed back and applied to the original.
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator("/usr/lib/python3.11"))
    if (e.path().extension() == ".py" && e.file_size() > 2000 && e.file_size() < 60000) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() > 20);
  std::mt19937 rng(42);
  for (std::size_t f = 0; f < 20; ++f) {
    std::ifstream in(files[f * (files.size() / 20)]);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string original = ss.str();
    std::vector<std::string> lines;
    std::string line;
    std::istringstream is(original);
    while (std::getline(is, line)) lines.push_back(line);
    for (int k = 0; k < 6; ++k) {
      std::size_t at = rng() % lines.size();
      switch (rng() % 3) {
        case 0: lines[at] += "  # edited"; break;
        case 1: lines.erase(lines.begin() + static_cast<long>(at)); break;
        default: lines.insert(lines.begin() + static_cast<long>(at), "inserted_line = " + std::to_string(k)); break;
      }
    }
    std::string changed;
    for (auto& l : lines) changed += l + "\n";
    std::string diff = unifiedDiff("f.py", original, changed);
    INFO(files[f * (files.size() / 20)].string() << "\n" << diff);
    auto edits = parseEdits(diff);
    REQUIRE(edits);
    auto out = applyHunks("f.py", original, (*edits)[0].hunks);
    REQUIRE(out);
    CHECK(*out == changed);
  }
  CHECK(unifiedDiff("same.py", "a\n", "a\n").empty());
  CHECK(unifiedDiff("x", "a", "b") == "--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n");
}

TEST_CASE("edits: a garbled hunk header is no line hint (found by fuzz_edit)", "[edits]") {
  auto edits = parseEdits("--- a/f\n+++ b/f\n@@ -36666666666666666666666666666666 +1 @@\n a\n-b\n+B\n c\n");
  REQUIRE(edits);
  CHECK((*edits)[0].hunks[0].lineHint == 0);
  CHECK(*applyHunks("f", "a\nb\nc\n", (*edits)[0].hunks) == "a\nB\nc\n");
}

// What an editor gets for an open buffer (cadre/shadow.apply's
// workspace/applyEdit): only the changed runs of lines, which rebuild the
// new text exactly, including a last line without a newline.
namespace {
std::string replay(std::string text, const std::vector<TextReplacement>& rs) {
  for (auto it = rs.rbegin(); it != rs.rend(); ++it) text.replace(it->start, it->end - it->start, it->text);
  return text;
}
}  // namespace

TEST_CASE("edits: line replacements touch only the changed lines", "[edits]") {
  const std::string before = "a\nb\nc\nd\ne\n";
  auto rs = lineReplacements(before, "a\nB\nc\nd\nE\nf\n");
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].start == 2);
  CHECK(rs[0].end == 4);
  CHECK(rs[0].text == "B\n");
  CHECK(rs[1].start == 8);
  CHECK(rs[1].end == 10);
  CHECK(rs[1].text == "E\nf\n");
  CHECK(lineReplacements(before, before).empty());
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"a\nb", "a\nb\n"}, {"a\nb\n", "a\nb"}, {"", "x\ny\n"}, {"x\ny\n", ""}, {"a\nc\n", "a\nb\nc\n"},
           {"a\nb\nc\n", "a\nc\n"}, {"名前\nb\n", "名前\nB\n"}}) {
    INFO(from << " -> " << to);
    CHECK(replay(from, lineReplacements(from, to)) == to);
  }
  // A pure insertion is an empty range at the start of the line it goes before.
  auto ins = lineReplacements("a\nc\n", "a\nb\nc\n");
  REQUIRE(ins.size() == 1);
  CHECK(ins[0].start == 2);
  CHECK(ins[0].end == 2);
  CHECK(ins[0].text == "b\n");
}
