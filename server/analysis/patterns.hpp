// cadre's own matcher for its tags and imports queries. It reads the query
// language subset those files use (nodes, fields, `!field`, `_`/`(_)`,
// strings, alternations, `?`, anchors, captures, the text predicates) and
// matches every pattern during one plain tree-cursor walk: patterns are
// indexed by the symbol of their root node, children are checked by field id
// against each node's child list. tree-sitter's query cursor does the same
// job generically (a state per pattern per node, the field and sibling status
// of every node) at about four times a walk's cost, and compiling the queries
// takes it up to half a second per language; see docs/analysis-performance.md.
//
// Meaning follows tree-sitter 0.25's query cursor: child patterns match
// visible children in order, anchored ones only the next named sibling (or
// the first / last named child); `(_)` never matches ERROR; a pattern rooted
// at a node yields one match per distinct set of captures, except that a set
// strictly contained in another one of the same root is dropped (tree-sitter's
// longest-match rule, which is what `";"? @body` relies on). A test keeps the
// symbols extracted through both engines equal over every fixture and real
// corpora (tests/unit/analysis/patterns_test.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/analysis/ts_handles.hpp"
#include "support/expected.hpp"

namespace cadre::analysis {

// The symbol of ERROR nodes (tree-sitter's ts_builtin_sym_error, which its
// public header does not export).
inline constexpr TSSymbol kErrorSymbol = static_cast<TSSymbol>(-1);

// One node of a pattern (see PatternSet).
struct PatternStep {
  enum class Kind : std::uint8_t { Node, AnyNamed, Any, Alternation };
  Kind kind = Kind::Node;
  bool optional = false;   // `?`
  bool immediate = false;  // an anchor `.` before it: the next named sibling only
  bool lastChild = false;  // an anchor `.` after it: no named sibling may follow
  TSSymbol symbol = 0;     // Kind::Node
  TSFieldId field = 0;     // `field:` before it (0: any)
  std::uint32_t children = 0, childCount = 0;  // into lists_: child steps, or alternatives
  std::uint32_t captures = 0, captureCount = 0;
  std::uint32_t negated = 0, negatedCount = 0;
};

// A text predicate of a pattern, compiled.
struct PatternPredicate {
  enum class Op : std::uint8_t { Eq, NotEq, Match, NotMatch, AnyOf, NotAnyOf };
  Op op = Op::Eq;
  std::uint32_t capture = 0;
  std::int32_t otherCapture = -1;  // #eq? @a @b
  std::vector<std::string> values;  // the string operand(s)
  std::int32_t regex = -1;          // into PatternSet's regexes
};

class PatternSet {
 public:
  // Reads `source` (a .scm file, inherited parts included) against `grammar`.
  // Unknown node types and fields, syntax errors and query features the
  // matcher does not implement (`*`, `+`, supertypes, sibling sequences at the
  // top level, unknown predicates) are errors naming the byte offset.
  static Expected<PatternSet> compile(const TSLanguage* grammar, std::string_view source);

  std::uint32_t patternCount() const { return static_cast<std::uint32_t>(patterns_.size()); }
  std::uint32_t patternStartByte(std::uint32_t pattern) const { return patterns_[pattern].startByte; }
  // Capture names by id (TSQueryCapture::index in a match).
  const std::vector<std::string>& captureNames() const { return captureNames_; }

  // Calls sink(match) for every match of every pattern whose root node lies in
  // the tree under `root` — only roots intersecting [range->first,
  // range->second) when a range is given — with the text predicates already
  // applied. Matches come root by root in document order, patterns in their
  // order in the source; captures within a match in document order.
  template <class Sink>
  void forEachMatch(TSNode root, std::string_view text, const std::pair<std::uint32_t, std::uint32_t>* range, Sink&& sink) const {
    using S = std::remove_reference_t<Sink>;
    run(root, text, range, const_cast<void*>(static_cast<const void*>(&sink)), [](void* s, const TSQueryMatch& m) { (*static_cast<S*>(s))(m); });
  }

  struct Pattern {
    std::uint32_t root = 0;  // step index
    std::uint32_t startByte = 0;
    std::vector<PatternPredicate> predicates;
  };

 private:
  void run(TSNode root, std::string_view text, const std::pair<std::uint32_t, std::uint32_t>* range, void* sink,
           void (*call)(void*, const TSQueryMatch&)) const;

  friend class PatternReader;
  friend class PatternMatcher;

  std::vector<PatternStep> steps_;
  std::vector<std::uint32_t> lists_;  // children, alternatives, capture ids, negated fields: ranges into this pool
  std::vector<Pattern> patterns_;
  std::vector<std::string> captureNames_;
  // Patterns by root symbol (public symbol ids; ERROR is kept in its own
  // list; each symbol's list includes the patterns rooted at `(_)`/`_`,
  // which every node but ERROR tries).
  std::vector<std::vector<std::uint32_t>> bySymbol_;
  std::vector<std::uint32_t> byError_;
  std::vector<std::uint32_t> wildcardRoots_;
  std::vector<std::shared_ptr<const std::regex>> regexes_;
};

}  // namespace cadre::analysis
