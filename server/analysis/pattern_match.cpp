// Matching a PatternSet during one depth-first walk of the tree (see patterns.hpp).
#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

#include "server/analysis/patterns.hpp"
#include "server/analysis/tree_children.h"

namespace cadre::analysis {
namespace {

// Bounds on node comparisons, so that a query whose sibling patterns combine
// over a node with many children (the query fuzzer writes such) cannot run
// away: per pattern and root node, a base plus two per child of the root (a
// `(program (x))` pattern compares once per top-level statement), and per
// walk, a base plus 256 per byte of text. Matching stops where a bound is
// reached; the matches found so far are kept. cadre's own queries stay far
// below both on every corpus the tests and benchmarks read.
constexpr std::uint64_t kStepsPerRoot = 1u << 16;
constexpr std::uint64_t kStepsPerWalk = 1u << 22;
constexpr std::uint64_t kStepsPerByte = 256;

std::string_view matchedText(TSNode node, std::string_view text) {
  const std::uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
  if (start >= text.size() || end <= start) return {};
  return text.substr(start, std::min<std::size_t>(end, text.size()) - start);
}

// A continuation: what to do once a step has matched. Non-owning; the
// callable outlives every call (matching is strictly nested).
class Cont {
 public:
  template <class F>
  explicit Cont(F& f) : obj_(&f), call_([](void* o) { (*static_cast<F*>(o))(); }) {}
  void operator()() const { call_(obj_); }

 private:
  void* obj_;
  void (*call_)(void*);
};

using Kid = CadreTreeChild;

// Lists of children, grown without initialising the room cadre_tree_children
// then writes (a vector would zero it, per node of the tree).
class KidList {
 public:
  std::uint32_t size() const { return size_; }
  const Kid& operator[](std::uint32_t i) const { return data_[i]; }
  void clear() { size_ = 0; }
  void truncate(std::uint32_t n) { size_ = n; }

  // Appends the children of `node`.
  void appendChildren(TSNode node) {
    reserve(size_ + kFirstRoom);
    const std::uint32_t room = capacity_ - size_;
    const std::uint32_t n = cadre_tree_children(node, data_.get() + size_, room);
    if (n > room) {
      reserve(size_ + n);
      cadre_tree_children(node, data_.get() + size_, n);
    }
    size_ += n;
  }

 private:
  static constexpr std::uint32_t kFirstRoom = 16;
  void reserve(std::uint32_t n) {
    if (n <= capacity_) return;
    const std::uint32_t capacity = std::max(n, 2 * capacity_);
    auto grown = std::make_unique_for_overwrite<Kid[]>(capacity);
    std::copy(data_.get(), data_.get() + size_, grown.get());
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  std::unique_ptr<Kid[]> data_;
  std::uint32_t size_ = 0, capacity_ = 0;
};

}  // namespace

class PatternMatcher {
 public:
  PatternMatcher() = default;
  PatternMatcher(const PatternSet& set, std::string_view text) : set_(&set), text_(text) {}
  void reset(const PatternSet& set, std::string_view text) {
    set_ = &set;
    text_ = text;
  }
  PatternMatcher(const PatternMatcher&) = delete;
  PatternMatcher& operator=(const PatternMatcher&) = delete;

  // Walks the tree depth-first with an explicit stack (trees of real files
  // nest thousands deep), loading each node's children once: the walk goes
  // on through them and the patterns rooted at the node match against them.
  void run(TSNode root, const std::pair<std::uint32_t, std::uint32_t>* range, void* sink, void (*call)(void*, const TSQueryMatch&)) {
    walkBudget_ = kStepsPerWalk + kStepsPerByte * text_.size();
    range_ = range;
    if (range && !intersects(root, *range)) return;
    frames_.clear();
    auto& frames = frames_;
    auto enter = [&](Kid kid) {
      const std::vector<std::uint32_t>& candidates = kid.symbol == kErrorSymbol ? set_->byError_
                                                     : kid.symbol < set_->bySymbol_.size() ? set_->bySymbol_[kid.symbol]
                                                                                          : set_->wildcardRoots_;
      const auto begin = arena_.size();
      if (kid.has_children) arena_.appendChildren(kid.node);
      const auto end = arena_.size();
      if (!candidates.empty()) {
        for (std::uint32_t p : candidates) matchRoot(p, kid, begin, end, sink, call);
        if (!nestedAt_.empty()) {
          nestedAt_.clear();
          nested_.clear();
        }
      }
      if (end > begin) frames.push_back(Frame{begin, end, begin});
    };
    enter(Kid{root, ts_node_symbol(root), 0, ts_node_is_named(root), ts_node_child_count(root) > 0});
    while (!frames.empty()) {
      Frame& top = frames.back();
      if (top.next == top.end) {
        arena_.truncate(top.begin);
        frames.pop_back();
        continue;
      }
      const Kid kid = arena_[top.next++];
      if (!range || intersects(kid.node, *range)) enter(kid);
    }
  }

 private:
  using Kind = PatternStep::Kind;

  // tree-sitter's test: an empty node at the range's start counts, a node
  // ending exactly there does not.
  static bool intersects(TSNode node, const std::pair<std::uint32_t, std::uint32_t>& r) {
    const std::uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
    const bool precedes = end < r.first || (start != end && end == r.first);
    return !precedes && start < r.second;
  }

  // The pattern at a node whose children are arena_[begin, end).
  void matchRoot(std::uint32_t pattern, const Kid& kid, std::uint32_t begin, std::uint32_t end, void* sink, void (*call)(void*, const TSQueryMatch&)) {
    found_.clear();
    bounds_.clear();
    budget_ = kStepsPerRoot + 2 * (end - begin);
    rootChildren_ = {begin, end};
    // With a range, a pattern that captures nothing at its root and looks at
    // one child (`(program (lexical_declaration ...) @definition)`) can only
    // yield matches inside a child that meets the range; the others (every
    // other top-level statement, on each keystroke) are not tried. Their
    // matches would lie wholly outside the range, where callers drop them.
    const PatternStep& rootStep = set_->steps_[set_->patterns_[pattern].root];
    if (range_ && rootStep.kind != Kind::Alternation && rootStep.captureCount == 0 && rootStep.childCount == 1) {
      while (begin < end && !intersects(arena_[begin].node, *range_)) ++begin;
      while (end > begin && !intersects(arena_[end - 1].node, *range_)) --end;
      rootChildren_ = {begin, end};
    }
    auto record = [&] {
      bounds_.push_back(static_cast<std::uint32_t>(found_.size()));
      found_.insert(found_.end(), caps_.begin(), caps_.end());
    };
    Cont done(record);
    matchStep(set_->patterns_[pattern].root, kid, nullptr, 0, done, /*atRoot=*/true);
    caps_.clear();
    if (bounds_.empty()) return;
    bounds_.push_back(static_cast<std::uint32_t>(found_.size()));
    const std::size_t n = bounds_.size() - 1;
    keep_.assign(n, 1);
    if (n > 1) dropRedundant(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep_[i]) continue;
      const TSQueryCapture* captures = found_.data() + bounds_[i];
      const auto count = static_cast<std::uint16_t>(bounds_[i + 1] - bounds_[i]);
      if (!accept(set_->patterns_[pattern], captures, count)) continue;
      const TSQueryMatch match{0, static_cast<std::uint16_t>(pattern), count, captures};
      call(sink, match);
    }
  }

  // Drops a match whose captures equal an earlier one's or are a strict
  // subset of another's (tree-sitter's longest-match rule).
  void dropRedundant(std::size_t n) {
    keys_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      keys_[i].clear();
      for (std::uint32_t c = bounds_[i]; c < bounds_[i + 1]; ++c) keys_[i].emplace_back(found_[c].node.id, found_[c].index);
      std::sort(keys_[i].begin(), keys_[i].end());
    }
    order_.resize(n);
    for (std::size_t i = 0; i < n; ++i) order_[i] = static_cast<std::uint32_t>(i);
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) { return keys_[a] != keys_[b] ? keys_[a] < keys_[b] : a < b; });
    for (std::size_t k = 1; k < n; ++k) {
      if (keys_[order_[k]] == keys_[order_[k - 1]]) keep_[order_[k]] = 0;
    }
    bool sizesDiffer = false;
    for (std::size_t i = 1; i < n; ++i) sizesDiffer = sizesDiffer || keys_[i].size() != keys_[0].size();
    if (!sizesDiffer) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep_[i]) continue;
      for (std::size_t j = 0; j < n; ++j) {
        if (j == i || !keep_[j] || keys_[j].size() <= keys_[i].size()) continue;
        if (std::includes(keys_[j].begin(), keys_[j].end(), keys_[i].begin(), keys_[i].end())) {
          keep_[i] = 0;
          break;
        }
      }
    }
  }

  // `atRoot`: kid is the node matchRoot was called for, whose children are
  // loaded already (rootChildren_).
  void matchStep(std::uint32_t index, const Kid& kid, const std::uint32_t* extra, std::uint32_t extraCount, Cont k, bool atRoot = false) {
    if (budget_ == 0 || walkBudget_ == 0) return;
    --budget_;
    --walkBudget_;
    const PatternStep& s = set_->steps_[index];
    switch (s.kind) {
      case Kind::Alternation: {
        // The alternation's own captures go to whichever alternative matches.
        std::array<std::uint32_t, 16> combined{};
        std::uint32_t count = 0;
        for (std::uint32_t c = 0; c < s.captureCount && count < combined.size(); ++c) combined[count++] = set_->lists_[s.captures + c];
        for (std::uint32_t c = 0; c < extraCount && count < combined.size(); ++c) combined[count++] = extra[c];
        for (std::uint32_t a = 0; a < s.childCount; ++a) {
          const std::uint32_t alternative = set_->lists_[s.children + a];
          if (mayMatch(set_->steps_[alternative], kid)) matchStep(alternative, kid, combined.data(), count, k, atRoot);
        }
        return;
      }
      case Kind::Any:
        if (kid.symbol == kErrorSymbol) return;
        break;
      case Kind::AnyNamed:
        if (kid.symbol == kErrorSymbol || !kid.named) return;
        break;
      case Kind::Node:
        if (kid.symbol != s.symbol) return;
        break;
    }
    for (std::uint32_t f = 0; f < s.negatedCount; ++f) {
      if (!ts_node_is_null(ts_node_child_by_field_id(kid.node, static_cast<TSFieldId>(set_->lists_[s.negated + f])))) return;
    }
    const std::size_t mark = caps_.size();
    for (std::uint32_t c = 0; c < s.captureCount; ++c) caps_.push_back(TSQueryCapture{kid.node, set_->lists_[s.captures + c]});
    for (std::uint32_t c = 0; c < extraCount; ++c) caps_.push_back(TSQueryCapture{kid.node, extra[c]});
    if (s.childCount == 0) {
      k();
    } else if (atRoot) {
      matchChildren(index, arena_, rootChildren_.second, 0, rootChildren_.first, false, k);
    } else {
      const auto [begin, end] = nestedChildren(kid.node);
      matchChildren(index, nested_, end, 0, begin, false, k);
    }
    caps_.resize(mark);
  }

  // Whether step `s` can match `kid` by its kind and symbol: the test
  // matchStep starts with, made before the call (most children of a node are
  // not what a pattern looks for, and the call and its continuation cost more
  // than the test).
  bool mayMatch(const PatternStep& s, const Kid& kid) const {
    switch (s.kind) {
      case Kind::Node: return kid.symbol == s.symbol;
      case Kind::AnyNamed: return kid.named && kid.symbol != kErrorSymbol;
      case Kind::Any: return kid.symbol != kErrorSymbol;
      case Kind::Alternation:
        for (std::uint32_t a = 0; a < s.childCount; ++a) {
          if (mayMatch(set_->steps_[set_->lists_[s.children + a]], kid)) return true;
        }
        return false;
    }
    return true;
  }

  // Child patterns ci.. of step `parent` against the children [from, end) of
  // its node, in order; `afterAnyWildcard`: the previous child pattern was
  // `_`, so an anchor after it means the very next sibling, named or not.
  // The children are list[from, end) (read by index: the lists grow while
  // matching goes on).
  void matchChildren(std::uint32_t parent, const KidList& list, std::uint32_t end, std::uint32_t ci, std::uint32_t from,
                     bool afterAnyWildcard, Cont k) {
    const PatternStep& p = set_->steps_[parent];
    if (ci == p.childCount) {
      k();
      return;
    }
    const std::uint32_t childIndex = set_->lists_[p.children + ci];
    const PatternStep& c = set_->steps_[childIndex];
    if (c.optional) matchChildren(parent, list, end, ci + 1, from, false, k);
    for (std::uint32_t m = from; m < end && budget_ > 0 && walkBudget_ > 0; ++m) {
      const Kid kid = list[m];
      bool candidate = (!c.field || kid.field == c.field) && mayMatch(c, kid);
      if (candidate && c.lastChild) {
        for (std::uint32_t later = m + 1; later < end; ++later) candidate = candidate && !list[later].named;
      }
      if (candidate) {
        auto rest = [&, m] { matchChildren(parent, list, end, ci + 1, m + 1, c.kind == Kind::Any, k); };
        matchStep(childIndex, kid, nullptr, 0, Cont(rest));
      }
      if (c.immediate && (kid.named || afterAnyWildcard)) break;
    }
  }

  // The children of a node below the root being matched, in nested_. Several
  // patterns at one root often look into the same nodes (26 TypeScript
  // patterns into each top-level statement): each list is read once per root.
  std::pair<std::uint32_t, std::uint32_t> nestedChildren(TSNode node) {
    const std::uint32_t start = ts_node_start_byte(node);
    auto [it, added] = nestedAt_.try_emplace(node.id, NestedList{start, 0, 0});
    if (!added && it->second.start == start) return {it->second.begin, it->second.end};
    const auto begin = static_cast<std::uint32_t>(nested_.size());
    nested_.appendChildren(node);
    it->second = NestedList{start, begin, static_cast<std::uint32_t>(nested_.size())};
    return {begin, it->second.end};
  }

  // The text predicates; one on a capture the match lacks (an optional one) holds.
  bool accept(const PatternSet::Pattern& pattern, const TSQueryCapture* captures, std::uint16_t count) const {
    auto find = [&](std::uint32_t id) -> const TSQueryCapture* {
      for (std::uint16_t i = 0; i < count; ++i) {
        if (captures[i].index == id) return &captures[i];
      }
      return nullptr;
    };
    using Op = PatternPredicate::Op;
    for (const PatternPredicate& p : pattern.predicates) {
      const TSQueryCapture* subject = find(p.capture);
      if (!subject) continue;
      const std::string_view text = matchedText(subject->node, text_);
      bool holds = true;
      switch (p.op) {
        case Op::Eq: case Op::NotEq: {
          std::string_view other;
          if (p.otherCapture >= 0) {
            const TSQueryCapture* o = find(static_cast<std::uint32_t>(p.otherCapture));
            other = o ? matchedText(o->node, text_) : std::string_view();
          } else {
            other = p.values.front();
          }
          holds = (text == other) == (p.op == Op::Eq);
          break;
        }
        case Op::Match: case Op::NotMatch:
          holds = std::regex_search(text.begin(), text.end(), *set_->regexes_[static_cast<std::size_t>(p.regex)]) == (p.op == Op::Match);
          break;
        case Op::AnyOf: case Op::NotAnyOf:
          holds = (std::find(p.values.begin(), p.values.end(), text) != p.values.end()) == (p.op == Op::AnyOf);
          break;
      }
      if (!holds) return false;
    }
    return true;
  }

  const PatternSet* set_ = nullptr;
  std::string_view text_;
  KidList arena_;  // children of the nodes on the walk's path, a stack
  KidList nested_;  // children of nodes below the current root, read while matching at it
  struct NestedList {
    std::uint32_t start, begin, end;  // the node's start byte; its children in nested_
  };
  std::unordered_map<const void*, NestedList> nestedAt_;
  std::vector<TSQueryCapture> caps_;  // captures of the match in progress, a stack
  std::vector<TSQueryCapture> found_;  // complete matches at the current root...
  std::vector<std::uint32_t> bounds_;  // ...and where each starts in found_
  std::vector<char> keep_;
  std::vector<std::vector<std::pair<const void*, std::uint32_t>>> keys_;
  std::vector<std::uint32_t> order_;
  std::uint64_t budget_ = 0, walkBudget_ = 0;
  std::pair<std::uint32_t, std::uint32_t> rootChildren_{0, 0};
  const std::pair<std::uint32_t, std::uint32_t>* range_ = nullptr;
  struct Frame {
    std::uint32_t next, end, begin;  // children in arena_: the next to enter, the end, the first
  };
  std::vector<Frame> frames_;  // the walk's path
};

void PatternSet::run(TSNode root, std::string_view text, const std::pair<std::uint32_t, std::uint32_t>* range, void* sink,
                     void (*call)(void*, const TSQueryMatch&)) const {
  // One matcher per thread, so its buffers and cursor serve every file the
  // thread indexes; a sink that runs another match (none does) gets its own.
  thread_local PatternMatcher reused;
  thread_local bool busy = false;
  if (busy) {
    PatternMatcher(*this, text).run(root, range, sink, call);
    return;
  }
  busy = true;
  struct Release {
    ~Release() { busy = false; }
  } release;
  reused.reset(*this, text);
  reused.run(root, range, sink, call);
}

}  // namespace cadre::analysis
