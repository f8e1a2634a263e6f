// Parsing with limits. A Parser wraps one TSParser (not thread-safe: one per
// thread); every parse has a deadline and a cancellation flag, because some
// real files (generated C headers, minified JS) take seconds.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string_view>

#include "server/analysis/language.hpp"
#include "server/analysis/symbols.hpp"
#include "server/analysis/ts_handles.hpp"

namespace cadre::analysis {

struct ParseLimits {
  // A parse that takes longer is cut off and the file reported as timed out:
  // the index must not stall on one pathological file.
  std::chrono::milliseconds timeout{2000};
  const std::atomic<bool>* cancel = nullptr;
};

class Parser {
 public:
  Parser();
  // Parses `text` (UTF-8). With `old`, reuses it: the caller has already
  // applied ts_tree_edit for every change. Returns null on timeout/cancel.
  TreePtr parse(const Language& lang, std::string_view text, const TSTree* old = nullptr, ParseLimits limits = {});

 private:
  ParserPtr parser_;
};

// Runs the language's tags and imports queries over a parsed tree.
FileSymbols extractSymbols(const Language& lang, const TSTree* tree, std::string_view text);

// Parse + extract in one step, for files that are not open in an editor.
FileSymbols summarize(Parser& parser, const Language& lang, std::string_view text, ParseLimits limits = {});

Span spanOf(TSNode node);

}  // namespace cadre::analysis

namespace cadre::analysis {

// The identifier-like leaf at `byteOffset` (or just before it, so a cursor at
// the end of a word still finds it), for go-to-definition and references.
struct IdentifierAt {
  std::string name;
  Span span;
};
std::optional<IdentifierAt> identifierAt(const TSTree* tree, std::string_view text, std::uint32_t byteOffset);

}  // namespace cadre::analysis
