// cadre_tree_children against a tree cursor: for every node of every fixture
// file (also cut short, so ERROR and MISSING nodes appear) and of samples of
// the real corpora, the same children with the same symbol, field, named
// flag and child count, at the same positions.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/tree_children.h"
#include "tests/support/catch.hpp"
#include "tests/support/corpus_sample.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

std::string describe(const CadreTreeChild& c) {
  const TSPoint p = ts_node_start_point(c.node);
  return std::string(ts_node_type(c.node)) + " sym=" + std::to_string(c.symbol) + " field=" + std::to_string(c.field) +
         " named=" + std::to_string(c.named) + " kids=" + std::to_string(c.has_children) + " @" + std::to_string(ts_node_start_byte(c.node)) +
         "-" + std::to_string(ts_node_end_byte(c.node)) + " " + std::to_string(p.row) + ":" + std::to_string(p.column) +
         " alias=" + std::to_string(c.node.context[3]) + " id=" + std::to_string(reinterpret_cast<std::uintptr_t>(c.node.id));
}

// The children of the cursor's node, read through the cursor (which is left
// where it was).
std::vector<CadreTreeChild> throughCursor(TSTreeCursor& cursor) {
  std::vector<CadreTreeChild> out;
  if (!ts_tree_cursor_goto_first_child(&cursor)) return out;
  do {
    const TSNode n = ts_tree_cursor_current_node(&cursor);
    out.push_back(CadreTreeChild{n, ts_node_symbol(n), ts_tree_cursor_current_field_id(&cursor), ts_node_is_named(n), ts_node_child_count(n) > 0});
  } while (ts_tree_cursor_goto_next_sibling(&cursor));
  ts_tree_cursor_goto_parent(&cursor);
  return out;
}

// Compares the two at every node of `text`'s tree; returns the nodes compared
// and the first difference in `difference`.
std::size_t compareEverywhere(Parser& parser, const Language& language, const std::string& text, std::string& difference) {
  TreePtr tree = parser.parse(language, text);
  if (!tree) return 0;
  std::size_t nodes = 0;
  std::vector<CadreTreeChild> ours;
  TSTreeCursor cursor = ts_tree_cursor_new(ts_tree_root_node(tree.get()));
  for (bool more = true; more && difference.empty();) {
    ++nodes;
    const TSNode node = ts_tree_cursor_current_node(&cursor);
    const std::vector<CadreTreeChild> theirs = throughCursor(cursor);
    ours.resize(theirs.size() + 1);
    // A buffer one short first: the count says how much room is needed.
    const std::uint32_t n = cadre_tree_children(node, ours.data(), theirs.empty() ? 0 : static_cast<std::uint32_t>(theirs.size() - 1));
    if (n != theirs.size()) {
      difference = std::string(ts_node_type(node)) + " at " + std::to_string(ts_node_start_byte(node)) + ": " + std::to_string(n) + " children, cursor " +
                   std::to_string(theirs.size());
      break;
    }
    cadre_tree_children(node, ours.data(), n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::string a = describe(ours[i]), b = describe(theirs[i]);
      if (a != b) {
        difference = std::string(ts_node_type(node)) + " at " + std::to_string(ts_node_start_byte(node)) + ", child " + std::to_string(i) + ":\n  ours   " +
                     a + "\n  cursor " + b;
        break;
      }
    }
    if (ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        more = false;
        break;
      }
    }
  }
  ts_tree_cursor_delete(&cursor);
  return nodes;
}

}  // namespace

TEST_CASE("a node's children read in one pass equal the tree cursor's") {
  Parser parser;
  std::size_t files = 0, nodes = 0;
  auto check = [&](const std::string& where, const Language& language, const std::string& text) {
    std::string difference;
    nodes += compareEverywhere(parser, language, text, difference);
    INFO(where << " (" << language.id << ")\n" << difference);
    CHECK(difference.empty());
    ++files;
  };
  SECTION("every fixture file, whole and cut short") {
    const fs::path fixtures = fs::path(CADRE_SOURCE_DIR) / "tests/fixtures";
    std::vector<std::pair<std::string, std::string>> inputs;  // path, text
    for (const auto& entry : fs::directory_iterator(fixtures / "check")) {
      if (entry.path().extension() != ".txt") continue;
      for (const auto& f : testing::parseFixture(testing::readFileText(entry.path()))) inputs.emplace_back(f.path, f.text);
    }
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "queries")) {
      if (entry.is_regular_file()) inputs.emplace_back(entry.path().string(), testing::readFileText(entry.path()));
    }
    std::size_t languages = 0;
    std::vector<std::string> seen;
    for (const auto& [path, text] : inputs) {
      const Language* l = languageForPath(path);
      if (!l) continue;
      if (std::find(seen.begin(), seen.end(), std::string(l->id)) == seen.end()) seen.emplace_back(l->id), ++languages;
      check(path, *l, text);
      // Cut at two thirds: unfinished constructs give ERROR and MISSING nodes.
      check(path + " (cut short)", *l, text.substr(0, text.size() * 2 / 3));
    }
    CHECK(languages >= 11);
    CHECK(nodes > 10000);
  }
  SECTION("samples of real corpora") {
    const bool full = std::getenv("CADRE_FULL_CORPORA") != nullptr;
    const std::pair<fs::path, std::size_t> corpora[] = {
        {"/usr/lib/python3.11", 40},
        {"/usr/include", 400},
        {fs::path(CADRE_SOURCE_DIR) / "bench/corpora/node_modules", 12},
    };
    for (const auto& [dir, step] : corpora) {
      const auto paths = testing::sampleCorpus(dir, full ? 1 : step, full ? std::size_t(-1) : 200 * 1024);
      INFO(dir);
      CHECK(paths.size() > 10);
      for (const auto& p : paths) check(p.string(), *languageForPath(p), testing::readFileText(p));
    }
  }
}
