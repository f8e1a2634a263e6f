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
#include "server/analysis/tree_arena.hpp"
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
  // The same over `ranges` of `text` only (ordered, not overlapping;
  // offsets into the whole text): a tree of those parts, in the document's
  // coordinates. Null also when the ranges are not in order.
  TreePtr parseRanges(const Language& lang, std::string_view text, const TSTree* old, const std::vector<TSRange>& ranges,
                      ParseLimits limits = {});

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
// The same with a parser and tree made in `arena` and dropped with it, not
// node by node (tree_arena.hpp): the cold index's way.
FileSymbols summarize(TreeArena& arena, const Language& lang, std::string_view text, ParseLimits limits = {});

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

// An open document's syntax tree and symbols, kept up to date incrementally:
// each change edits the old tree and the parser reuses every unchanged
// subtree. A one-edit update (a keystroke) reparses only the top-level items
// around the edit when that parse provably stands for the whole document's
// (parse_window.hpp); the whole tree is then reparsed when it is next asked
// for, with every edit since.
class IncrementalDocument {
 public:
  IncrementalDocument(const Language& lang, std::string text, Parser& parser);
  // `edits` describe how `newText` came from the previous text.
  void update(std::string newText, const std::vector<TreeEdit>& edits, Parser& parser);
  // The tree of the current text (reparsed here first if the last updates
  // parsed windows); null when that parse ran past its deadline.
  const TSTree* tree(Parser& parser);
  const std::string& text() const { return text_; }
  const FileSymbols& symbols() const { return symbols_; }
  const Language& language() const { return *lang_; }

  // How the last update() found the symbols, for tests and the bench.
  enum class Update { Opened, Full, Reparsed, Window };
  Update lastUpdate() const { return last_; }

 private:
  void extractAll();
  bool updateInWindow(const TreeEdit& e, Parser& parser);
  // Carries the symbols outside `dirty` across `e` and re-extracts those
  // inside it from `root` (a tree of the new text, whole or a window's; for
  // a window, the definitions enclosing it are carried too).
  void mergeSymbols(const TreeEdit& e, TSNode root, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& dirty,
                    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& containers, std::uint32_t syntaxErrors,
                    const std::pair<std::uint32_t, std::uint32_t>* window = nullptr);

  const Language* lang_;
  std::string text_;
  TreePtr tree_;
  bool stale_ = false;  // tree_ has edits applied that no parse has seen yet
  Update last_ = Update::Opened;
  FileSymbols symbols_;
  std::vector<std::pair<std::string, std::uint32_t>> exportSites_;  // export name, byte where found
};

}  // namespace cadre::analysis
