#include "server/analysis/parse_window.hpp"

#include <algorithm>
#include <limits>

namespace cadre::analysis {
namespace {

// Why a quarter: the window's parse costs about what its share of the
// document costs to reparse, plus extraction over the items it changed;
// past a quarter the whole reparse is as cheap and needs no second path.
constexpr std::size_t kMaxWindowShare = 4;
// The seed is parsed on every keystroke: a line or two.
constexpr std::uint32_t kMaxSeedBytes = 256;
// How far back to look for a seed, in top-level items.
constexpr std::size_t kSeedSearch = 64;
// How far past the edit's start the search for the next top-level item may
// step (doubling from one byte), before every item is listed instead.
constexpr std::uint32_t kMaxSearchStep = 4096;

WindowItem itemOf(TSNode n) { return {ts_node_symbol(n), ts_node_start_byte(n), ts_node_end_byte(n)}; }

bool same(const WindowItem& item, TSNode n) {
  return ts_node_symbol(n) == item.symbol && ts_node_start_byte(n) == item.startByte && ts_node_end_byte(n) == item.endByte;
}

std::vector<TSNode> topLevel(TSNode root) {
  std::vector<TSNode> out;
  out.reserve(ts_node_child_count(root));
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  for (bool more = ts_tree_cursor_goto_first_child(&cursor); more; more = ts_tree_cursor_goto_next_sibling(&cursor)) {
    const TSNode n = ts_tree_cursor_current_node(&cursor);
    if (!ts_node_is_extra(n)) out.push_back(n);
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

bool seedable(TSNode n) { return !ts_node_has_error(n) && ts_node_end_byte(n) - ts_node_start_byte(n) <= kMaxSeedBytes; }

struct NearEdit {
  std::vector<TSNode> items;
  std::size_t first = 0;  // the first item that ends at or after the edit's start (the size when none does)
};

// The top-level items near an edit, in order: up to `back` that end before
// its start, then the ones it touches and `ahead` more. A cursor reaches the
// edit through the grammar's hidden repetition nodes in logarithmic steps
// (listing every top-level item of a large file took 0.25 ms a keystroke).
// Where the edit starts between items, tree-sitter's search for the first
// child past a byte can come back empty: the byte lies in a hidden token (a
// statement's terminator) inside a hidden node with no visible node past it.
// The search is then retried further on, and the walk back from wherever it
// lands picks up what it stepped over; failing that, every item is listed.
NearEdit itemsNear(TSNode root, const TreeEdit& edit, std::size_t back, std::size_t ahead) {
  NearEdit out;
  const std::uint32_t goal = edit.startByte > 0 ? edit.startByte - 1 : 0;  // a child ending past it ends at or after the edit
  TSTreeCursor forward = ts_tree_cursor_new(root);
  bool found = false;
  for (std::uint32_t step = 0; !found && step <= kMaxSearchStep; step = step ? 2 * step : 1) {
    found = ts_tree_cursor_goto_first_child_for_byte(&forward, goal + step) >= 0;
  }
  TSTreeCursor backward = ts_tree_cursor_copy(&forward);
  if (!found) {
    // Either every item ends before the edit (walk back from the last one)
    // or the search failed where it should not have.
    const bool last = ts_tree_cursor_goto_last_child(&backward);
    if (last && ts_node_end_byte(ts_tree_cursor_current_node(&backward)) > goal) {
      ts_tree_cursor_delete(&backward);
      ts_tree_cursor_delete(&forward);
      out.items = topLevel(root);
      while (out.first < out.items.size() && ts_node_end_byte(out.items[out.first]) <= goal) ++out.first;
      return out;
    }
    if (last && !ts_node_is_extra(ts_tree_cursor_current_node(&backward))) out.items.push_back(ts_tree_cursor_current_node(&backward));
  }
  // Back until `back` items before the edit, or three and a seed beyond the
  // nearest two.
  std::size_t before = out.items.size();
  bool seeded = false;
  while (before < back && !(seeded && before >= 3) && ts_tree_cursor_goto_previous_sibling(&backward)) {
    const TSNode n = ts_tree_cursor_current_node(&backward);
    if (ts_node_is_extra(n)) continue;
    out.items.push_back(n);
    if (ts_node_end_byte(n) <= goal) ++before;
    seeded = seeded || (before >= 3 && seedable(n));
  }
  std::reverse(out.items.begin(), out.items.end());
  std::size_t beyond = 0;  // items taken after the edit's end
  for (bool more = found; more && beyond < ahead; more = ts_tree_cursor_goto_next_sibling(&forward)) {
    const TSNode n = ts_tree_cursor_current_node(&forward);
    if (ts_node_is_extra(n)) continue;
    if (ts_node_start_byte(n) > edit.newEndByte) ++beyond;
    out.items.push_back(n);
  }
  ts_tree_cursor_delete(&backward);
  ts_tree_cursor_delete(&forward);
  while (out.first < out.items.size() && ts_node_end_byte(out.items[out.first]) <= goal) ++out.first;
  return out;
}

}  // namespace

std::optional<ParseWindow> findParseWindow(const TSTree* edited, const TreeEdit& edit, std::size_t documentBytes) {
  // Two before the edit (the neighbour it may join, and `before`) and the
  // seed's search; two after it (the same on that side).
  const NearEdit near = itemsNear(ts_tree_root_node(edited), edit, 2 + kSeedSearch, 2);
  const std::vector<TSNode>& items = near.items;
  // Inside the window: the items the edit touches (typing right after a
  // statement's last token may extend it), and where an end of the edit lies
  // between items, the neighbour on that side too: a line typed below a
  // Python function joins its body, a decorator typed above one joins it.
  std::size_t first = near.first;  // first item inside the window
  if (first > 0 && (first == items.size() || ts_node_start_byte(items[first]) >= edit.startByte)) --first;
  std::size_t last = first;  // one past the last item inside the window
  while (last < items.size() && ts_node_start_byte(items[last]) <= edit.newEndByte) ++last;
  if (last < items.size() && (last == 0 || ts_node_end_byte(items[last - 1]) <= edit.newEndByte)) ++last;

  ParseWindow w;
  if (first == 0 && last == items.size()) return std::nullopt;  // the whole document
  if (first > 0) w.before = itemOf(items[first - 1]);
  if (last < items.size()) w.after = itemOf(items[last]);
  w.startByte = w.before ? w.before->startByte : 0;
  const std::size_t end = w.after ? w.after->endByte : documentBytes;
  if (end < w.startByte || (end - w.startByte) * kMaxWindowShare > documentBytes) return std::nullopt;
  w.endByte = static_cast<std::uint32_t>(end);
  const std::size_t from = first > 0 ? first - 1 : first, to = std::min(items.size(), last + 1);
  for (std::size_t i = from; i < to; ++i) {
    if (ts_node_has_error(items[i])) return std::nullopt;
  }

  if (first >= 2) {
    for (std::size_t i = first - 2, seen = 0; seen < kSeedSearch; --i, ++seen) {
      const TSNode n = items[i];
      if (seedable(n)) {
        // With what follows it up to the next item: the line break that ends
        // a Python statement is not part of its node.
        w.seed = itemOf(n);
        w.ranges.push_back({ts_node_start_point(n), ts_node_start_point(items[i + 1]), w.seed->startByte, ts_node_start_byte(items[i + 1])});
        break;
      }
      if (i == 0) break;
    }
  }
  constexpr std::uint32_t kEnd = std::numeric_limits<std::uint32_t>::max();
  const TSPoint start = w.before ? ts_node_start_point(items[first - 1]) : TSPoint{0, 0};
  if (w.after) {
    w.ranges.push_back({start, ts_node_end_point(items[last]), w.startByte, w.endByte});
  } else {
    w.ranges.push_back({start, {kEnd, kEnd}, w.startByte, kEnd});
  }
  return w;
}

bool windowParseHolds(const ParseWindow& window, const TSTree* windowTree) {
  const TSNode root = ts_tree_root_node(windowTree);
  if (ts_node_has_error(root)) return false;
  const std::vector<TSNode> items = topLevel(root);
  std::size_t next = 0;
  for (const auto* item : {&window.seed, &window.before}) {
    if (!*item) continue;
    if (next >= items.size() || !same(**item, items[next])) return false;
    ++next;
  }
  if (window.after) return items.size() > next && same(*window.after, items.back());
  return true;
}

}  // namespace cadre::analysis
