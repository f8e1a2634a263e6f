// A pre-check of query text before tree-sitter compiles it.
//
// tree-sitter 0.25's query parser (query.c, ts_query__parse_pattern) attaches
// a field name, a capture or a quantifier to "the first step" of the pattern
// it follows, without checking that the pattern produced a step. Patterns made
// only of predicates produce none — `value: (#eq? @x "y")`, `((#a)) @c`,
// `[(#a)]?` — and the parser then reads and writes one element past its step
// array (an assertion in debug builds, heap corruption in release ones). A
// second quantifier on the same first step — `(x)?+`, `((x)?)+` — links its
// steps into a cycle that ts_query_new follows forever. Both found by
// tests/fuzz/query_fuzzer.cpp; still present upstream in August 2026.
//
// checkQueryShape walks the text with the same grammar tree-sitter uses and
// rejects those shapes (and nesting deep enough to exhaust the stack) before
// ts_query_new sees them. Anything tree-sitter itself reports as an error is
// left for it to report: the walk stops at the first construct it would
// reject, since tree-sitter stops there too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cadre::analysis {

struct QueryShapeProblem {
  std::size_t offset;   // byte offset in the query text
  std::string message;  // "a field needs a node pattern, not only predicates"
};

// Deepest nesting of parentheses and brackets accepted. cadre's own queries
// stay under 10; tree-sitter recurses once per level on the C stack.
inline constexpr int kMaxQueryNesting = 200;

std::optional<QueryShapeProblem> checkQueryShape(std::string_view source);

}  // namespace cadre::analysis
