// A keystroke's parse window: the items around one edit, reparsed on their
// own (tree-sitter's included ranges, the old tree reused) instead of the
// whole document.
//
// Why: tree-sitter never reuses a subtree that holds a syntax error or was
// built while its GLR stack was split ("fragile"), so every incremental
// reparse parses each error region of the file again, wherever the edit is.
// A C file whose macros leave a few errors (tree-sitter's own query.c: 14)
// costs 2.3 ms per keystroke against 0.26 ms for an error-free file of half
// its size; its window costs ~0.2 ms. See docs/analysis-performance.md.
//
// When the window's result stands for the whole document's: the items on
// either side of the edit (`before`, `after`) are unchanged text, so if they
// come out of the window's parse as the same nodes over the same bytes, the
// edit did not reach past them (an unclosed comment, a brace, a statement
// that now continues into its neighbour all move or break one of them).
// Windows with a syntax error, before or after the edit, are not used: error
// recovery can settle across item boundaries. Inside a large item (a class,
// a namespace, a `declare module`), the window is made of the items in its
// body, with the item's head and tail parsed around them.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "server/analysis/parser.hpp"

namespace cadre::analysis {

// A node that the window's parse must find again (an item next to the edit,
// the seed, an opened item).
struct WindowItem {
  TSSymbol symbol = 0;
  std::uint32_t startByte = 0, endByte = 0;
};

struct ParseWindow {
  // What to parse, in order: the seed (when there is one), the heads of the
  // opened items, the window, their tails.
  std::vector<TSRange> ranges;
  std::uint32_t startByte = 0, endByte = 0;  // the window, in the edited document
  // A small top-level item before the window, parsed first so the grammar's
  // external scanner (Python's indentation, say) is in the state it has
  // between top-level items when the window starts; without it the first
  // reused node would be refused for a different scanner state, and the
  // whole first item parsed again.
  std::optional<WindowItem> seed;
  // Large items the window lies inside (a class, a namespace), outermost
  // first: their heads and tails are parsed around the window, and the
  // window's items are their body's. Top-level windows have none (and may
  // have a seed).
  std::vector<WindowItem> opened;
  TSSymbol list = 0;  // the body the window's items are in, when opened
  std::optional<WindowItem> before, after;  // absent at the ends of the list
};

// Nodes whose symbols are extracted whole: a callable's locals are only
// recognized as locals within it.
bool extractedWhole(TSNode n);

// The window for `edit`, already applied to `edited` with ts_tree_edit
// (`text` is the edited document); none when the document has no window
// worth parsing: the items around the edit have errors, or they are a large
// part of the document, where the whole reparse costs no more.
std::optional<ParseWindow> findParseWindow(const TSTree* edited, const TreeEdit& edit, std::string_view text);

// Whether the window's parse (`windowTree`) holds for the whole document: no
// syntax error, and the seed and the items on either side came out as before.
bool windowParseHolds(const ParseWindow& window, const TSTree* windowTree);

}  // namespace cadre::analysis
