// cadre's pattern matcher against tree-sitter's query cursor: the same
// matches for each query feature on small inputs, the same extracted symbols
// for every fixture file and for samples of real corpora (the Python
// standard library, /usr/include, TypeScript from node_modules), and clear
// errors for what the matcher does not read.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/patterns.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/corpus_sample.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/symbols_dump.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

std::string nodeText(TSNode n, std::string_view text) {
  return std::string(text.substr(ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n)));
}

std::string describe(const TSQueryMatch& m, const std::vector<std::string>& names, std::string_view text) {
  std::vector<std::string> parts;
  for (std::uint16_t i = 0; i < m.capture_count; ++i) {
    parts.push_back("@" + names[m.captures[i].index] + "=" + nodeText(m.captures[i].node, text) + "#" + std::to_string(ts_node_start_byte(m.captures[i].node)));
  }
  std::sort(parts.begin(), parts.end());
  std::string out = std::to_string(m.pattern_index) + ":";
  for (const auto& p : parts) out += " " + p;
  return out;
}

// Every match of `query` over `text`, as sorted lines, through both engines.
std::pair<std::multiset<std::string>, std::multiset<std::string>> bothEngines(const Language& lang, const std::string& query, const std::string& text) {
  Parser parser;
  TreePtr tree = parser.parse(lang, text);
  REQUIRE(tree);
  const TSNode root = ts_tree_root_node(tree.get());
  std::multiset<std::string> ours, theirs;
  auto set = PatternSet::compile(lang.grammar, query);
  REQUIRE(set);
  auto onMatch = [&](const TSQueryMatch& m) { ours.insert(describe(m, set->captureNames(), text)); };
  set->forEachMatch(root, text, nullptr, onMatch);
  std::uint32_t offset = 0;
  TSQueryError error = TSQueryErrorNone;
  std::optional<QueryPtr> q(QueryPtr(ts_query_new(lang.grammar, query.data(), static_cast<std::uint32_t>(query.size()), &offset, &error)));
  REQUIRE(*q);
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < ts_query_capture_count(q->get()); ++i) {
    std::uint32_t len = 0;
    names.emplace_back(ts_query_capture_name_for_id(q->get(), i, &len), len);
  }
  // tree-sitter numbers captures by first appearance too; the names must line up.
  REQUIRE(names == set->captureNames());
  QueryCursorPtr cursor(ts_query_cursor_new());
  ts_query_cursor_exec(cursor.get(), q->get(), root);
  TSQueryMatch m;
  while (ts_query_cursor_next_match(cursor.get(), &m)) {
    if (queryPredicatesHold(q->get(), m, text)) theirs.insert(describe(m, names, text));
  }
  return {ours, theirs};
}

const Language& lang(std::string_view id) { return *languageById(id); }

std::string diffLines(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l, r;
  for (int line = 1;; ++line) {
    const bool more = static_cast<bool>(std::getline(x, l)), moreR = static_cast<bool>(std::getline(y, r));
    if (!more && !moreR) return {};
    if (!more) l = "<end>";
    if (!moreR) r = "<end>";
    if (l != r) return "line " + std::to_string(line) + ":\n  matcher:      " + l + "\n  query cursor: " + r;
  }
}

// Extracts `text` both ways; an empty string when they agree.
std::string compareExtraction(Parser& parser, const Language& language, const std::string& text) {
  TreePtr tree = parser.parse(language, text);
  if (!tree) return {};
  const std::string ours = testing::dumpSymbols(extractSymbols(language, tree.get(), text));
  const std::string theirs = testing::dumpSymbols(extractSymbolsWithQueryCursor(language, tree.get(), text));
  return ours == theirs ? std::string() : diffLines(ours, theirs);
}

}  // namespace

TEST_CASE("each query feature matches what tree-sitter's query cursor matches") {
  struct Case {
    const char* lang;
    const char* query;
    const char* text;
  };
  const Case cases[] = {
      // Fields, nested nodes, one match per way the captures can differ.
      {"python", "(assignment left: (pattern_list (identifier) @name)) @def", "a, b, c = 1, 2, 3\nx = 1\n"},
      {"python", "(function_definition name: (identifier) @name parameters: (parameters (identifier) @p))", "def f(a, b):\n  pass\n"},
      // Alternations with captures on the alternation and inside it.
      {"python", "(call function: [(identifier) @name (attribute attribute: (identifier) @name)]) @call", "f(1)\na.b.g(2)\n(lambda: 1)()\n"},
      {"python", "[(class_definition name: (identifier) @c) (function_definition name: (identifier) @f)] @item",
       "class A:\n  def m(self): pass\ndef g(): pass\n"},
      // Wildcards: `(_)` named only, `_` anything, neither an ERROR node.
      {"python", "(call arguments: (argument_list (_) @arg))", "f(a, 'b', *c, k=1)\n"},
      {"python", "(call arguments: (argument_list _ @any))", "f(a, (b))\n"},
      {"python", "(_ (identifier) @id) @parent", "f(a)\nx = (\ng(b c\n"},
      // Anonymous nodes, negated fields.
      {"javascript", "(lexical_declaration \"const\" (variable_declarator name: (identifier) @n)) @decl", "const a = 1; let b = 2; const c = 3, d = 4;\n"},
      {"javascript", "(arrow_function body: (_) @body !parameters)", "const f = x => x; const g = (a) => a;\n"},
      {"python", "(function_definition name: (identifier) @n !return_type)", "def f() -> int: pass\ndef g(): pass\n"},
      // Anchors: first named child, last named child, adjacent named siblings.
      {"python", "(argument_list . (_) @first)", "f(a, b, c)\ng()\n"},
      {"python", "(argument_list (_) @last .)", "f(a, b, c)\n"},
      {"python", "(argument_list (identifier) @x . (identifier) @y)", "f(a, b, 1, c, d)\n"},
      {"python", "(block . (expression_statement) @first)", "def f():\n  # note\n  x\n  y\n"},
      // `?`: the longer match wins when the optional node is there.
      {"c", "(declaration declarator: (function_declarator declarator: (identifier) @name) \";\"? @semi) @def", "int f(void);\nint g(int);\n"},
      {"javascript", "(import_specifier name: (identifier) @name alias: (identifier)? @alias)", "import { a, b as c } from 'm';\n"},
      // Text predicates.
      {"python", "((identifier) @const (#match? @const \"^[A-Z][A-Z0-9_]*$\"))", "A = b\nCONST_1 = Cx\n"},
      {"python", "((call function: (identifier) @f) @c (#eq? @f \"print\"))", "print(1)\nprin(2)\n"},
      {"python", "((call function: (identifier) @f) (#any-of? @f \"a\" \"b\"))", "a()\nb()\nc()\n"},
      {"python", "((call function: (identifier) @f) (#not-any-of? @f \"a\" \"b\"))", "a()\nb()\nc()\n"},
      {"python", "((assignment left: (identifier) @l right: (identifier) @r) (#not-eq? @l @r))", "a = a\nb = c\n"},
      // ERROR as a root, and nodes inside an error still match.
      {"python", "(ERROR (identifier) @id)", "def (x y z\n"},
      {"python", "(identifier) @id", "def (x y z\nclass\n"},
  };
  for (const auto& c : cases) {
    INFO(c.lang << "  " << c.query << "\n  on: " << c.text);
    auto [ours, theirs] = bothEngines(lang(c.lang), c.query, c.text);
    CHECK(!theirs.empty());
    CHECK(ours == theirs);
  }
}

TEST_CASE("every shipped tags + imports query is read by the matcher with tree-sitter's pattern count") {
  for (const Language& language : languages()) {
    INFO(language.id);
    auto patterns = symbolPatterns(language);
    REQUIRE(patterns);
    auto query = symbolsQuery(language);
    REQUIRE(query);
    if (!query->query) {
      CHECK(!patterns->patterns);
      continue;
    }
    REQUIRE(patterns->patterns);
    CHECK(patterns->patterns->patternCount() == ts_query_pattern_count(query->query));
    CHECK(patterns->firstImportPattern == query->firstImportPattern);
  }
}

TEST_CASE("what the matcher does not read is an error with its line") {
  const TSLanguage* python = lang("python").grammar;
  auto expectError = [&](const char* query, const char* words) {
    auto set = PatternSet::compile(python, query);
    INFO(query);
    REQUIRE(!set);
    CHECK_THAT(set.error().message, Catch::Contains(words));
  };
  expectError("(identifier) @a\n(no_such_node) @b", "unknown node type no_such_node at line 2");
  expectError("(call no_such_field: (identifier))", "unknown field no_such_field at line 1");
  expectError("(block (identifier)* @ids)", "quantifier '*'");
  expectError("(block (identifier)+ @ids)", "quantifier '+'");
  expectError("((identifier) (identifier))", "sibling patterns");
  expectError("(expression/identifier)", "supertype");
  expectError("((identifier) @a (#lua-match? @a \"x\"))", "#lua-match?");
  expectError("((identifier) @a (#match? @a \"(\"))", "regular expression");
  expectError("(call", "unterminated");
  expectError("(call \"f", "unterminated string");
}

TEST_CASE("symbols extracted through the matcher equal those through tree-sitter's query cursor") {
  Parser parser;
  std::size_t files = 0;
  auto check = [&](const std::string& where, const Language& language, const std::string& text) {
    const std::string difference = compareExtraction(parser, language, text);
    INFO(where << "\n" << difference);
    CHECK(difference.empty());
    ++files;
  };
  SECTION("every file of the check and query fixtures") {
    const fs::path fixtures = fs::path(CADRE_SOURCE_DIR) / "tests/fixtures";
    for (const auto& entry : fs::directory_iterator(fixtures / "check")) {
      if (entry.path().extension() != ".txt") continue;
      for (const auto& f : testing::parseFixture(testing::readFileText(entry.path()))) {
        if (const Language* l = languageForPath(f.path)) check(entry.path().filename().string() + ": " + f.path, *l, f.text);
      }
    }
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "queries")) {
      const Language* l = entry.is_regular_file() ? languageForPath(entry.path()) : nullptr;
      if (l) check(entry.path().string(), *l, testing::readFileText(entry.path()));
    }
    CHECK(files > 100);
  }
  SECTION("samples of real corpora") {
    // Samples keep this quick in the sanitizer build; CADRE_FULL_CORPORA=1
    // compares every file (about four minutes in the plain build).
    const bool full = std::getenv("CADRE_FULL_CORPORA") != nullptr;
    const std::pair<fs::path, std::size_t> corpora[] = {
        {"/usr/lib/python3.11", 25},
        {"/usr/include", 300},
        {fs::path(CADRE_SOURCE_DIR) / "bench/corpora/node_modules", 8},
    };
    for (const auto& [dir, step] : corpora) {
      const auto paths = testing::sampleCorpus(dir, full ? 1 : step, full ? std::size_t(-1) : 400 * 1024);
      INFO(dir);
      CHECK(paths.size() > 10);
      for (const auto& p : paths) check(p.string(), *languageForPath(p), testing::readFileText(p));
    }
  }
}
