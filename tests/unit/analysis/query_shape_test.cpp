// Query text that tree-sitter 0.25's query parser mishandles (a field,
// capture or quantifier on a pattern of predicates only) is refused with an
// error naming the line, before ts_query_new sees it; valid queries, and
// ones tree-sitter rejects on its own, pass through unchanged.
#include "server/analysis/language.hpp"
#include "server/analysis/query_shape.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::analysis;

namespace {

const Language& python() { return *languageForPath("x.py"); }

std::string compileError(std::string_view text) {
  auto q = compileQuery(python(), QueryKind::Tags, text, "t.scm");
  return q ? std::string() : q.error().message;
}

}  // namespace

TEST_CASE("a field on predicates only is refused before tree-sitter reads past its steps") {
  // The fuzzer's crash, reduced: under NDEBUG tree-sitter wrote the field id
  // one element past its step array.
  const std::string crash = "(import_from_statement\n  module_name: (#eq? @x \"y\")) @definition.module\n";
  auto problem = checkQueryShape(crash);
  REQUIRE(problem);
  CHECK(problem->offset == crash.find("module_name"));
  CHECK(compileError(crash) == "t.scm: a field needs a node pattern, not only predicates at line 2 (of the query with inherited parts)");

  CHECK(checkQueryShape("(call function: ((#a)))"));
  CHECK(checkQueryShape("(call function: [(#a)])"));
}

TEST_CASE("captures and quantifiers on predicates only are refused") {
  CHECK(checkQueryShape("((#a)) @name")->message == "a capture after a pattern with only predicates");
  CHECK(checkQueryShape("(module ((#a))?)")->message == "quantifier '?' after a pattern with only predicates");
  CHECK(checkQueryShape("(module [(#a)]*)"));
  CHECK(checkQueryShape("(module ((#a) (#b))+)"));
}

TEST_CASE("stacked quantifiers are refused before tree-sitter loops on them") {
  // Each of these made ts_query_new spin forever (found by the fuzzer).
  for (std::string_view hang : {"(identifier)?+", "((identifier)?)+", "(((identifier)?)+)?", "name: (identifier)?*", "[(identifier)? (string)]+"}) {
    INFO(hang);
    auto problem = checkQueryShape(hang);
    REQUIRE(problem);
    CHECK(problem->message.find("a second quantifier") == 0);
  }
  CHECK(checkQueryShape("(module (identifier)? (string)+ ((comment) (identifier)*)?)") == std::nullopt);
}

TEST_CASE("predicates where tree-sitter expects them pass") {
  for (std::string_view ok : {
           "((identifier) @name (#eq? @name \"self\"))",
           "(call function: (identifier) @name) @reference.call",
           "(#a)",                                                // a pattern of one predicate
           "(module ((#a) (identifier) @name))",                  // a group with a node in it
           "(call function: [(#a) (identifier)] @name)",          // an alternation keeps a step per branch
           "(function_definition name: (identifier) @name . (#a))",
           "; comment with \"quotes\" and ((#a)) @x\n(identifier) @name",
           "(identifier) @name (#match? @name \"^[A-Z]\\\")\")",  // escaped quote in a string
       }) {
    INFO(ok);
    CHECK_FALSE(checkQueryShape(ok));
  }
  CHECK(compileError("(call function: (identifier) @name) @reference.call").empty());
}

TEST_CASE("text tree-sitter rejects itself still gets its error") {
  CHECK(compileError("(call function: (identifier) @name") == "t.scm: syntax error at line 1 (of the query with inherited parts)");
  CHECK(compileError("(no_such_node) @name").rfind("t.scm: ", 0) == 0);
}

TEST_CASE("deep nesting, NUL bytes and non-ASCII names are refused") {
  std::string deep(kMaxQueryNesting + 5, '(');
  deep += "identifier";
  deep += std::string(kMaxQueryNesting + 5, ')');
  CHECK(checkQueryShape(deep)->message.find("nested deeper") == 0);
  CHECK(checkQueryShape(std::string("(identifier)\0 @x", 16))->message == "a NUL byte");
  CHECK(checkQueryShape("(identif\xC3\xA9r) @name"));
  CHECK(checkQueryShape("(identifier) @name (#eq? @name \"\xC3\xA9\")") == std::nullopt);  // inside a string is fine
}
