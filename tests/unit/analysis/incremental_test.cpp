// Property: after any sequence of edits, the incrementally reparsed tree is the
// tree a fresh parse of the same text gives (same S-expression), and so are
// the extracted symbols — whenever the text is valid. Where it has syntax
// errors, tree-sitter's error recovery may legitimately settle differently
// with a previous tree to reuse, so there the property is tree-sitter's own:
// undoing the edits gives back the original tree exactly. Random edits on
// real source files, seeded so a failure reproduces.
#include <algorithm>
#include <optional>
#include <random>
#include <string_view>

#include "server/analysis/parser.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/tree_text.hpp"

using namespace cadre::analysis;
using cadre::testing::replaceText;
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
    const std::string originalTree = sexp(doc.tree(parser));
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
      std::string removed = text.substr(a, b - a);
      const TreeEdit e = replaceText(text, a, b, insert);
      undo.emplace_back(TreeEdit{e.startByte, e.newEndByte, e.oldEndByte, e.start, e.newEnd, e.oldEnd}, std::move(removed));
      doc.update(text, {e}, parser);
      TreePtr reference = fresh.parse(*lang, text);
      REQUIRE(doc.tree(parser));
      REQUIRE(reference);
      INFO(file << " step " << step);
      if (!ts_node_has_error(ts_tree_root_node(reference.get()))) {
        REQUIRE(sexp(doc.tree(parser)) == sexp(reference.get()));
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
    CHECK(sexp(doc.tree(parser)) == originalTree);
    TreePtr reference = fresh.parse(*lang, text);
    const std::string got = symbolsText(doc.symbols()), want = symbolsText(extractSymbols(*lang, reference.get(), text));
    INFO("first difference at: " << got.substr(std::mismatch(got.begin(), got.end(), want.begin(), want.end()).first - got.begin(), 120)
                                 << "\nexpected: " << want.substr(std::mismatch(got.begin(), got.end(), want.begin(), want.end()).second - want.begin(), 120));
    CHECK(got == want);
  }
}

namespace {

// The identifier leaves of a tree, by start byte.
std::vector<std::pair<std::uint32_t, std::uint32_t>> identifiers(const TSTree* tree) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(tree));
  for (bool down = true;;) {
    const TSNode n = ts_tree_cursor_current_node(&c);
    if (down && ts_node_child_count(n) == 0 && std::string_view(ts_node_type(n)).ends_with("identifier")) {
      out.emplace_back(ts_node_start_byte(n), ts_node_end_byte(n));
    }
    if (down && ts_tree_cursor_goto_first_child(&c)) continue;
    if (ts_tree_cursor_goto_next_sibling(&c)) {
      down = true;
      continue;
    }
    if (!ts_tree_cursor_goto_parent(&c)) break;
    down = false;
  }
  ts_tree_cursor_delete(&c);
  return out;
}

}  // namespace

TEST_CASE("typing without asking for the tree: windowed updates agree with a fresh parse") {
  // Keystrokes in identifiers (a letter typed, one deleted) all over the
  // file, and every few steps a snippet that breaks syntax, undone on the
  // next step. The tree is only asked for at the end, so windows follow
  // windows on a tree that no parse has seen since the last whole reparse.
  const std::string root = CADRE_SOURCE_DIR;
  const std::vector<std::string> files = {root + "/tests/integration/run_transcript.py", root + "/clients/vscode/src/tasks.ts",
                                          root + "/server/analysis/parser.cpp",  // C++ in a namespace: windows inside it
                                          root + "/grammars/node_modules/tree-sitter/vendor/tree-sitter/lib/src/subtree.c"};
  // (subtree.c: tree-sitter's own, from the pinned runtime: C with many top-level functions.)
  const std::vector<std::string> snippets = {"{", "}", "(", "\"", "/*", ";", ":\n    ", "\n\n", "x y"};
  for (const auto& file : files) {
    const Language* lang = languageForPath(file);
    REQUIRE(lang);
    std::string text = cadre::testing::readFileText(file);
    REQUIRE_FALSE(text.empty());
    Parser parser, fresh;
    IncrementalDocument doc(*lang, text, parser);
    TreePtr reference = fresh.parse(*lang, text);
    REQUIRE(reference);
    std::mt19937 rng(2026);
    std::size_t windows = 0, compared = 0;
    std::optional<std::pair<std::size_t, std::size_t>> undo;  // a snippet to take out again: where, how long
    auto apply = [&](std::size_t a, std::size_t b, const std::string& insert) {
      const TreeEdit e = replaceText(text, a, b, insert);  // before the text is passed on
      doc.update(text, {e}, parser);
    };
    for (int step = 0; step < 150; ++step) {
      if (undo) {
        apply(undo->first, undo->first + undo->second, "");
        undo.reset();
      } else {
        const auto ids = identifiers(reference.get());
        REQUIRE_FALSE(ids.empty());
        const auto [a, b] = ids[rng() % ids.size()];
        const std::size_t mid = a + (b - a) / 2;
        switch (rng() % 6) {
          case 0:
            if (b - a >= 3) apply(mid, mid + 1, "");
            break;
          case 1: {
            const std::string& snippet = snippets[rng() % snippets.size()];
            apply(a, a, snippet);
            undo.emplace(a, snippet.size());
            break;
          }
          default: apply(mid, mid, std::string(1, static_cast<char>('a' + rng() % 26)));
        }
      }
      if (doc.lastUpdate() == IncrementalDocument::Update::Window) ++windows;
      reference = fresh.parse(*lang, text);
      REQUIRE(reference);
      if (ts_node_has_error(ts_tree_root_node(reference.get()))) continue;
      ++compared;
      INFO(file << " step " << step << (doc.lastUpdate() == IncrementalDocument::Update::Window ? " (window)" : ""));
      REQUIRE(symbolsText(doc.symbols()) == symbolsText(extractSymbols(*lang, reference.get(), text)));
    }
    INFO(file << ": " << windows << " windows, " << compared << " comparisons");
    CHECK(windows > 40);
    CHECK(compared > 75);
    REQUIRE(doc.tree(parser));
    if (!ts_node_has_error(ts_tree_root_node(reference.get()))) CHECK(sexp(doc.tree(parser)) == sexp(reference.get()));
  }
}
