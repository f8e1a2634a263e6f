// Parsing with limits. A Parser wraps one TSParser (not thread-safe: one per
// thread); every parse has a deadline and a cancellation flag, because some
// real files (generated C headers, minified JS) take seconds.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

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

// Runs the language's tags and imports queries over a parsed tree (cadre's
// PatternSet matcher, one walk).
FileSymbols extractSymbols(const Language& lang, const TSTree* tree, std::string_view text);
// The same through tree-sitter's query cursor: the reference the matcher is
// kept equal to (tests, bench). Compiles the TSQuery on first use.
FileSymbols extractSymbolsWithQueryCursor(const Language& lang, const TSTree* tree, std::string_view text);
// Whether a tree-sitter query match passes its text predicates (#eq?,
// #match?, #any-of? and their #not- forms), which the C library leaves to us.
bool queryPredicatesHold(const TSQuery* query, const TSQueryMatch& match, std::string_view text);

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

namespace cadre::analysis {

// One text change in the terms tree-sitter reuses a tree with (rows counted
// by '\n', columns in bytes).
struct TreeEdit {
  std::uint32_t startByte = 0, oldEndByte = 0, newEndByte = 0;
  Point start, oldEnd, newEnd;
};
void editTree(TSTree* tree, const TreeEdit& edit);

// An open document's syntax tree, kept and reparsed incrementally: each change
// edits the old tree and the parser reuses every unchanged subtree.
class IncrementalDocument {
 public:
  IncrementalDocument(const Language& lang, std::string text, Parser& parser);
  // `edits` describe how `newText` came from the previous text.
  void update(std::string newText, const std::vector<TreeEdit>& edits, Parser& parser);
  const TSTree* tree() const { return tree_.get(); }
  const std::string& text() const { return text_; }
  const FileSymbols& symbols() const { return symbols_; }
  const Language& language() const { return *lang_; }

 private:
  void extractAll();

  const Language* lang_;
  std::string text_;
  TreePtr tree_;
  FileSymbols symbols_;
  std::vector<std::pair<std::string, std::uint32_t>> exportSites_;  // export name, byte where found
};

}  // namespace cadre::analysis
