// Property: after any sequence of edits, the incrementally reparsed tree is the
// tree a fresh parse of the same text gives (same S-expression), and so are
// the extracted symbols — whenever the text is valid. Where it has syntax
// errors, tree-sitter's error recovery may legitimately settle differently
// with a previous tree to reuse, so there the property is tree-sitter's own:
// undoing the edits gives back the original tree exactly. Random edits on
// real source files, seeded so a failure reproduces.
#include <algorithm>
#include <random>

#include "server/analysis/parser.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/tree_text.hpp"

using namespace cadre::analysis;
using cadre::testing::pointAt;
using cadre::testing::sexp;
using cadre::testing::symbolsText;

TEST_CASE("incremental reparse after random edits equals a fresh parse") {
  const std::string root = CADRE_SOURCE_DIR;
  const std::vector<std::string> files = {root + "/tests/fixtures/queries/python/tags.py", root + "/server/analysis/parser.cpp",
                                          root + "/tests/unit/analysis/incremental_test.cpp",
                                          root + "/tests/fixtures/queries/typescript/tags.ts",
                                          root + "/tests/fixtures/queries/javascript/tags.js"};
  // Snippets that open and close constructs, so edits break and heal syntax.
  const std::vector<std::string> snippets = {"", "x", "\n", "(", ")", "{", "}", "def f():\n    pass\n", "\"", "/*", "*/",
                                             "# c\n", "class A:\n", "int y = 2;\n", "  ", "😀", "import os\n"};
  for (const auto& file : files) {
    const Language* lang = languageForPath(file);
    REQUIRE(lang);
    std::string text = cadre::testing::readFileText(file);
    REQUIRE_FALSE(text.empty());
    Parser parser, fresh;
    IncrementalDocument doc(*lang, text, parser);
    const std::string original = text;
    const std::string originalTree = sexp(doc.tree());
    std::vector<std::pair<TreeEdit, std::string>> undo;  // inverse edits, newest last
    std::mt19937 rng(12345);
    for (int step = 0; step < 150; ++step) {
      std::uniform_int_distribution<std::size_t> pos(0, text.size());
      std::size_t a = pos(rng), b = pos(rng);
      if (a > b) std::swap(a, b);
      if (b - a > 64) b = a + (b - a) % 64;
      // Keep edits on UTF-8 boundaries, as an editor's would be.
      while (a < text.size() && (static_cast<unsigned char>(text[a]) & 0xC0) == 0x80) ++a;
      while (b < text.size() && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) ++b;
      if (b < a) b = a;
      const std::string insert = snippets[rng() % snippets.size()];
      TreeEdit e;
      e.startByte = static_cast<std::uint32_t>(a);
      e.oldEndByte = static_cast<std::uint32_t>(b);
      e.newEndByte = static_cast<std::uint32_t>(a + insert.size());
      e.start = pointAt(text, a);
      e.oldEnd = pointAt(text, b);
      std::string next = text;
      next.replace(a, b - a, insert);
      e.newEnd = pointAt(next, a + insert.size());
      TreeEdit inverse{e.startByte, e.newEndByte, e.oldEndByte, e.start, e.newEnd, e.oldEnd};
      undo.emplace_back(inverse, text.substr(a, b - a));
      text = next;
      doc.update(text, {e}, parser);
      TreePtr reference = fresh.parse(*lang, text);
      REQUIRE(doc.tree());
      REQUIRE(reference);
      INFO(file << " step " << step);
      if (!ts_node_has_error(ts_tree_root_node(reference.get()))) {
        REQUIRE(sexp(doc.tree()) == sexp(reference.get()));
        REQUIRE(symbolsText(doc.symbols()) == symbolsText(extractSymbols(*lang, reference.get(), text)));
      }
    }
    // Undo every edit, newest first: the tree must be the original one.
    while (!undo.empty()) {
      auto [e, removed] = undo.back();
      undo.pop_back();
      text.replace(e.startByte, e.oldEndByte - e.startByte, removed);
      doc.update(text, {e}, parser);
    }
    REQUIRE(text == original);
    CHECK(sexp(doc.tree()) == originalTree);
    TreePtr reference = fresh.parse(*lang, text);
    const std::string got = symbolsText(doc.symbols()), want = symbolsText(extractSymbols(*lang, reference.get(), text));
    INFO("first difference at: " << got.substr(std::mismatch(got.begin(), got.end(), want.begin(), want.end()).first - got.begin(), 120)
                                 << "\nexpected: " << want.substr(std::mismatch(got.begin(), got.end(), want.begin(), want.end()).second - want.begin(), 120));
    CHECK(got == want);
  }
}
