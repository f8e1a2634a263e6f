#include "server/analysis/parse_window.hpp"

#include <algorithm>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>

namespace cadre::analysis {
namespace {

// Why a quarter: the window's parse costs about what its share of the
// document costs to reparse, plus extraction over the items it changed;
// past a quarter the whole reparse is as cheap and needs no second path.
constexpr std::size_t kMaxWindowShare = 4;
// The seed is parsed on every keystroke: a line or two.
constexpr std::uint32_t kMaxSeedBytes = 256;
// How far back to look for a seed, in items.
constexpr std::size_t kSeedSearch = 64;
// How far past the edit's start the search for the next item may step
// (doubling from one byte), before every item is listed instead.
constexpr std::uint32_t kMaxSearchStep = 4096;
// An item larger than this (a class, a namespace) is opened: the window is
// then made of the items in its body. A window's parse costs ~35 us per KB.
constexpr std::uint32_t kOpenItemBytes = 4 * 1024;
// How many items may be opened, one inside the other.
constexpr std::size_t kMaxOpened = 4;

WindowItem itemOf(TSNode n) { return {ts_node_symbol(n), ts_node_start_byte(n), ts_node_end_byte(n)}; }

bool same(const WindowItem& item, TSNode n) {
  return ts_node_symbol(n) == item.symbol && ts_node_start_byte(n) == item.startByte && ts_node_end_byte(n) == item.endByte;
}

// An item of a list (the root, a class body): a named node that is not a
// comment; punctuation such as a body's braces lies between items.
bool isItem(TSNode n) { return ts_node_is_named(n) && !ts_node_is_extra(n); }

std::vector<TSNode> itemsOf(TSNode list) {
  std::vector<TSNode> out;
  out.reserve(ts_node_child_count(list));
  TSTreeCursor cursor = ts_tree_cursor_new(list);
  for (bool more = ts_tree_cursor_goto_first_child(&cursor); more; more = ts_tree_cursor_goto_next_sibling(&cursor)) {
    const TSNode n = ts_tree_cursor_current_node(&cursor);
    if (isItem(n)) out.push_back(n);
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

bool seedable(TSNode n) { return !ts_node_has_error(n) && ts_node_end_byte(n) - ts_node_start_byte(n) <= kMaxSeedBytes; }

struct NearEdit {
  std::vector<TSNode> items;
  std::size_t first = 0;  // the first item that ends at or after the edit's start (the size when none does)
};

// The items of `list` (the root, or an opened item's body) near an edit, in
// order: up to `back` that end before its start, then the ones it touches
// and `ahead` more. A cursor reaches the edit through the grammar's hidden
// repetition nodes in logarithmic steps
// (listing every top-level item of a large file took 0.25 ms a keystroke).
// Where the edit starts between items, tree-sitter's search for the first
// child past a byte can come back empty: the byte lies in a hidden token (a
// statement's terminator) inside a hidden node with no visible node past it.
// The search is then retried further on, and the walk back from wherever it
// lands picks up what it stepped over; failing that, every item is listed.
NearEdit itemsNear(TSNode list, const TreeEdit& edit, std::size_t back, std::size_t ahead) {
  NearEdit out;
  const std::uint32_t goal = edit.startByte > 0 ? edit.startByte - 1 : 0;  // a child ending past it ends at or after the edit
  TSTreeCursor forward = ts_tree_cursor_new(list);
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
      out.items = itemsOf(list);
      while (out.first < out.items.size() && ts_node_end_byte(out.items[out.first]) <= goal) ++out.first;
      return out;
    }
    if (last && isItem(ts_tree_cursor_current_node(&backward))) out.items.push_back(ts_tree_cursor_current_node(&backward));
  }
  // Back until `back` items before the edit, or three and a seed beyond the
  // nearest two.
  std::size_t before = out.items.size();
  bool seeded = false;
  while (before < back && !(seeded && before >= 3) && ts_tree_cursor_goto_previous_sibling(&backward)) {
    const TSNode n = ts_tree_cursor_current_node(&backward);
    if (!isItem(n)) continue;
    out.items.push_back(n);
    if (ts_node_end_byte(n) <= goal) ++before;
    seeded = seeded || (before >= 3 && seedable(n));
  }
  std::reverse(out.items.begin(), out.items.end());
  std::size_t beyond = 0;  // items taken after the edit's end
  for (bool more = found; more && beyond < ahead; more = ts_tree_cursor_goto_next_sibling(&forward)) {
    const TSNode n = ts_tree_cursor_current_node(&forward);
    if (!isItem(n)) continue;
    if (ts_node_start_byte(n) > edit.newEndByte) ++beyond;
    out.items.push_back(n);
  }
  ts_tree_cursor_delete(&backward);
  ts_tree_cursor_delete(&forward);
  while (out.first < out.items.size() && ts_node_end_byte(out.items[out.first]) <= goal) ++out.first;
  return out;
}

// Where a range that starts an item's line begins: at the line's start when
// only blanks come before the item on it (Python's scanner reads a block's
// indentation from them), else at the item.
std::pair<std::uint32_t, TSPoint> lineStart(TSNode n, std::string_view text) {
  const std::uint32_t at = ts_node_start_byte(n);
  const TSPoint p = ts_node_start_point(n);
  if (p.column > at || at > text.size()) return {at, p};
  for (std::uint32_t i = at - p.column; i < at; ++i) {
    if (text[i] != ' ' && text[i] != '\t') return {at, p};
  }
  return {at - p.column, {p.row, 0}};
}

// An opened item: its head and tail are parsed around the window so the
// items inside come out in their context (a method in its class).
struct Opened {
  TSNode item, list;
  std::uint32_t open, close;  // where the list's items begin and end: inside its braces
  TSPoint openPoint, closePoint;
};

// The list of items in `item` that holds the edit: the `body` of the item or
// of a node on the way down to the edit (a decorated or exported class, a
// `declare module`). None through a callable: its symbols are extracted
// with the whole callable (its locals), so a window inside one cannot stand
// for it.
std::optional<Opened> openItem(TSNode item, const TreeEdit& edit, std::string_view text) {
  TSNode n = item;
  for (int hop = 0; hop < 3 && !extractedWhole(n); ++hop) {
    const TSNode body = ts_node_child_by_field_name(n, "body", 4);
    if (!ts_node_is_null(body)) {
      if (extractedWhole(body) || ts_node_named_child_count(body) < 3) return std::nullopt;
      Opened o{item, body, 0, 0, {}, {}};
      const std::uint32_t count = ts_node_child_count(body);
      const TSNode firstChild = ts_node_child(body, 0), lastChild = ts_node_child(body, count - 1);
      // Braces, when the body has them; else the body's own extent (a Python block).
      if (!ts_node_is_named(firstChild)) {
        o.open = ts_node_end_byte(firstChild);
        o.openPoint = ts_node_end_point(firstChild);
      } else {
        std::tie(o.open, o.openPoint) = lineStart(body, text);
      }
      if (!ts_node_is_named(lastChild) && count > 1) {
        o.close = ts_node_start_byte(lastChild);
        o.closePoint = ts_node_start_point(lastChild);
      } else {
        o.close = ts_node_end_byte(body);
        o.closePoint = ts_node_end_point(body);
      }
      if (edit.startByte < o.open || edit.newEndByte > o.close) return std::nullopt;
      return o;
    }
    // Down to the named child that holds the edit.
    TSNode next{};
    for (std::uint32_t i = 0, count = ts_node_named_child_count(n); i < count; ++i) {
      const TSNode c = ts_node_named_child(n, i);
      if (ts_node_start_byte(c) <= edit.startByte && edit.newEndByte <= ts_node_end_byte(c)) {
        next = c;
        break;
      }
    }
    if (ts_node_is_null(next)) return std::nullopt;
    n = next;
  }
  return std::nullopt;
}

// Finds a node of `item`'s symbol that starts where it does (and, with
// `exact`, ends where it does) in `root`.
std::optional<TSNode> findItem(TSNode root, const WindowItem& item, bool exact) {
  // The smallest node over the item's first byte: a node that merely ends
  // there is not one of its ancestors.
  TSNode n = ts_node_descendant_for_byte_range(root, item.startByte, item.startByte + 1);
  for (; !ts_node_is_null(n) && ts_node_start_byte(n) == item.startByte; n = ts_node_parent(n)) {
    if (ts_node_symbol(n) == item.symbol && (!exact || ts_node_end_byte(n) == item.endByte)) return n;
  }
  return std::nullopt;
}

}  // namespace

bool extractedWhole(TSNode n) {
  const std::string_view type = ts_node_type(n);
  return type.find("function") != std::string_view::npos || type.find("method") != std::string_view::npos ||
         type.find("lambda") != std::string_view::npos || type.find("constructor") != std::string_view::npos ||
         type.find("closure") != std::string_view::npos;
}

std::optional<ParseWindow> findParseWindow(const TSTree* edited, const TreeEdit& edit, std::string_view text) {
  const std::size_t documentBytes = text.size();
  TSNode list = ts_tree_root_node(edited);
  std::vector<Opened> opened;
  NearEdit near;
  std::size_t first = 0, last = 0;  // the items inside the window: [first, last)
  for (;;) {
    // Two before the edit (the neighbour it may join, and `before`) and the
    // seed's search; two after it (the same on that side).
    near = itemsNear(list, edit, 2 + kSeedSearch, 2);
    const std::vector<TSNode>& items = near.items;
    // Inside the window: the items the edit touches (typing right after a
    // statement's last token may extend it), and where an end of the edit
    // lies between items, the neighbour on that side too: a line typed below
    // a Python function joins its body, a decorator typed above one joins it.
    first = near.first;
    if (first > 0 && (first == items.size() || ts_node_start_byte(items[first]) >= edit.startByte)) --first;
    last = first;
    while (last < items.size() && ts_node_start_byte(items[last]) <= edit.newEndByte) ++last;
    if (last < items.size() && (last == 0 || ts_node_end_byte(items[last - 1]) <= edit.newEndByte)) ++last;
    // One large item around the edit: parse inside it instead.
    if (last - first != 1 || opened.size() == kMaxOpened) break;
    const TSNode only = items[first];
    if (ts_node_end_byte(only) - ts_node_start_byte(only) <= kOpenItemBytes) break;
    const auto o = openItem(only, edit, text);
    if (!o) break;
    opened.push_back(*o);
    list = o->list;
  }
  const std::vector<TSNode>& items = near.items;

  ParseWindow w;
  if (opened.empty() && first == 0 && last == items.size()) return std::nullopt;  // the whole document
  if (first > 0) w.before = itemOf(items[first - 1]);
  if (last < items.size()) w.after = itemOf(items[last]);
  const std::size_t from = first > 0 ? first - 1 : first, to = std::min(items.size(), last + 1);
  for (std::size_t i = from; i < to; ++i) {
    if (ts_node_has_error(items[i])) return std::nullopt;
  }
  // Where the window's own range starts and ends.
  constexpr std::uint32_t kEnd = std::numeric_limits<std::uint32_t>::max();
  TSPoint startPoint{0, 0}, endPoint{kEnd, kEnd};  // to the end of the document unless bounded
  std::size_t end = documentBytes;
  std::uint32_t rangeEnd = kEnd;
  if (w.before) {
    std::tie(w.startByte, startPoint) = opened.empty() ? std::pair{w.before->startByte, ts_node_start_point(items[first - 1])}
                                                       : lineStart(items[first - 1], text);
  } else if (!opened.empty()) {
    w.startByte = opened.back().open;
    startPoint = opened.back().openPoint;
  }
  if (w.after) {
    end = rangeEnd = w.after->endByte;
    endPoint = ts_node_end_point(items[last]);
  } else if (!opened.empty()) {
    end = rangeEnd = opened.back().close;
    endPoint = opened.back().closePoint;
  }
  if (end < w.startByte || (end - w.startByte) * kMaxWindowShare > documentBytes) return std::nullopt;
  w.endByte = static_cast<std::uint32_t>(end);

  if (opened.empty() && first >= 2) {
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
  // The heads of the opened items, outermost first: each from the item's
  // line up to where its list's items begin.
  for (const Opened& o : opened) {
    const auto [at, point] = opened.front().item.id == o.item.id ? std::pair{ts_node_start_byte(o.item), ts_node_start_point(o.item)}
                                                                 : lineStart(o.item, text);
    w.opened.push_back(itemOf(o.item));
    if (o.open > at) w.ranges.push_back({point, o.openPoint, at, o.open});
  }
  if (!w.ranges.empty() && w.ranges.back().end_byte > w.startByte) return std::nullopt;
  w.ranges.push_back({startPoint, endPoint, w.startByte, rangeEnd});
  // Their tails, innermost first: from where the items end to the item's end.
  for (auto o = opened.rbegin(); o != opened.rend(); ++o) {
    const std::uint32_t tail = ts_node_end_byte(o->item);
    if (tail > o->close) w.ranges.push_back({o->closePoint, ts_node_end_point(o->item), o->close, tail});
  }
  if (!opened.empty()) w.list = ts_node_symbol(opened.back().list);
  return w;
}

bool windowParseHolds(const ParseWindow& window, const TSTree* windowTree) {
  const TSNode root = ts_tree_root_node(windowTree);
  if (ts_node_has_error(root)) return false;
  if (window.opened.empty()) {
    const std::vector<TSNode> items = itemsOf(root);
    std::size_t next = 0;
    for (const auto* item : {&window.seed, &window.before}) {
      if (!*item) continue;
      if (next >= items.size() || !same(**item, items[next])) return false;
      ++next;
    }
    if (window.after) return items.size() > next && same(*window.after, items.back());
    return true;
  }
  // Inside opened items: the outermost is the only top-level item, each one
  // starts where it did, and the items on either side of the edit are the
  // same nodes in the same list.
  const std::vector<TSNode> top = itemsOf(root);
  if (top.size() != 1 || ts_node_symbol(top.front()) != window.opened.front().symbol ||
      ts_node_start_byte(top.front()) != window.opened.front().startByte) {
    return false;
  }
  for (const WindowItem& o : window.opened) {
    if (!findItem(root, o, false)) return false;
  }
  for (const auto* item : {&window.before, &window.after}) {
    if (!*item) continue;
    const auto n = findItem(root, **item, true);
    if (!n || ts_node_symbol(ts_node_parent(*n)) != window.list) return false;
  }
  return true;
}

}  // namespace cadre::analysis
