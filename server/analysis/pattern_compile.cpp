// Reading cadre's query files into a PatternSet (see patterns.hpp).
#include <algorithm>
#include <optional>

#include "server/analysis/patterns.hpp"

namespace cadre::analysis {

class PatternReader {
 public:
  PatternReader(const TSLanguage* grammar, std::string_view source, PatternSet& out) : g_(grammar), s_(source), out_(out) {}

  std::optional<std::pair<std::size_t, std::string>> run() {
    skipSpace();
    while (!failed_ && i_ < s_.size()) {
      PatternSet::Pattern pattern;
      pattern.startByte = static_cast<std::uint32_t>(i_);
      predicates_ = &pattern.predicates;
      const std::size_t at = i_;
      auto step = pattern_();
      if (failed_) break;
      if (!step) {
        fail(at, "a pattern with only predicates");
        break;
      }
      if (out_.steps_[*step].field) {
        fail(at, "a field on a top-level pattern");
        break;
      }
      pattern.root = *step;
      out_.patterns_.push_back(std::move(pattern));
      skipSpace();
    }
    if (failed_) return std::make_pair(errorAt_, error_);
    return std::nullopt;
  }

 private:
  using Kind = PatternStep::Kind;

  char peek(std::size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  static bool isSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
  static bool isIdentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '?' || c == '!';
  }
  static bool isNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

  void fail(std::size_t at, std::string message) {
    if (failed_) return;
    failed_ = true;
    errorAt_ = at;
    error_ = std::move(message);
  }

  void skipSpace() {
    for (;;) {
      if (isSpace(peek())) {
        ++i_;
      } else if (peek() == ';') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        return;
      }
    }
  }

  std::string_view name() {
    const std::size_t start = i_;
    while (isNameChar(peek())) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::string_view identifier() {
    const std::size_t start = i_;
    while (isIdentChar(peek())) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::optional<std::string> string() {
    const std::size_t start = i_;
    ++i_;  // the opening quote
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size()) {
        const char e = s_[i_++];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
      }
      out += c;
    }
    if (i_ >= s_.size()) {
      fail(start, "an unterminated string");
      return std::nullopt;
    }
    ++i_;
    return out;
  }

  // The grammar's id for field `f` (read at `at`); 0 after failing.
  TSFieldId fieldId(std::size_t at, std::string_view f) {
    const TSFieldId id = f.empty() ? 0 : ts_language_field_id_for_name(g_, f.data(), static_cast<std::uint32_t>(f.size()));
    if (!id) fail(at, "unknown field " + std::string(f));
    return id;
  }

  std::uint32_t list(const std::vector<std::uint32_t>& items) {
    const auto at = static_cast<std::uint32_t>(out_.lists_.size());
    out_.lists_.insert(out_.lists_.end(), items.begin(), items.end());
    return at;
  }

  std::uint32_t captureId(std::string_view n) {
    auto& names = out_.captureNames_;
    auto it = std::find(names.begin(), names.end(), n);
    if (it != names.end()) return static_cast<std::uint32_t>(it - names.begin());
    names.emplace_back(n);
    return static_cast<std::uint32_t>(names.size() - 1);
  }

  std::uint32_t addStep(PatternStep step) {
    out_.steps_.push_back(step);
    return static_cast<std::uint32_t>(out_.steps_.size() - 1);
  }

  // One pattern with its suffixes (`?`, captures). nullopt: only predicates
  // (or a failure).
  std::optional<std::uint32_t> pattern_() {
    skipSpace();
    const std::size_t at = i_;
    if (++depth_ > kMaxDepth) {
      fail(at, "patterns nested deeper than " + std::to_string(kMaxDepth));
      return std::nullopt;
    }
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{depth_};
    std::optional<std::uint32_t> step;
    const char c = peek();
    if (c == '[') {
      step = alternation();
    } else if (c == '(') {
      step = parenthesized();
    } else if (c == '"') {
      auto text = string();
      if (!text) return std::nullopt;
      const TSSymbol symbol = ts_language_symbol_for_name(g_, text->data(), static_cast<std::uint32_t>(text->size()), false);
      if (!symbol) {
        fail(at, "unknown node type \"" + *text + "\"");
        return std::nullopt;
      }
      PatternStep s;
      s.symbol = symbol;
      step = addStep(s);
    } else if (c == '_' && !isNameChar(peek(1))) {
      ++i_;
      PatternStep s;
      s.kind = Kind::Any;
      step = addStep(s);
    } else {
      fail(at, c == '\0' ? "a pattern cut short" : "unexpected '" + std::string(1, c) + "'");
      return std::nullopt;
    }
    if (failed_ || !step) return step;
    // Suffixes: a quantifier, then captures.
    for (;;) {
      skipSpace();
      if (peek() == '?') {
        ++i_;
        out_.steps_[*step].optional = true;
      } else if (peek() == '*' || peek() == '+') {
        fail(i_, std::string("the quantifier '") + peek() + "' (cadre's matcher implements only '?')");
        return std::nullopt;
      } else if (peek() == '@') {
        ++i_;
        std::vector<std::uint32_t> ids(out_.lists_.begin() + out_.steps_[*step].captures,
                                       out_.lists_.begin() + out_.steps_[*step].captures + out_.steps_[*step].captureCount);
        const std::string_view n = identifier();
        if (n.empty()) {
          fail(i_, "a capture without a name");
          return std::nullopt;
        }
        ids.push_back(captureId(n));
        out_.steps_[*step].captures = list(ids);
        out_.steps_[*step].captureCount = static_cast<std::uint32_t>(ids.size());
      } else {
        return step;
      }
    }
  }

  std::optional<std::uint32_t> alternation() {
    const std::size_t at = i_;
    ++i_;
    std::vector<std::uint32_t> alternatives;
    for (;;) {
      skipSpace();
      if (peek() == ']') break;
      if (peek() == '\0') {
        fail(at, "an unterminated alternation");
        return std::nullopt;
      }
      const std::size_t itemAt = i_;
      auto item = pattern_();
      if (failed_) return std::nullopt;
      if (!item) {
        fail(itemAt, "predicates inside an alternation");
        return std::nullopt;
      }
      alternatives.push_back(*item);
    }
    ++i_;
    if (alternatives.empty()) {
      fail(at, "an empty alternation");
      return std::nullopt;
    }
    PatternStep s;
    s.kind = Kind::Alternation;
    s.children = list(alternatives);
    s.childCount = static_cast<std::uint32_t>(alternatives.size());
    return addStep(s);
  }

  // `(type children...)`, `(_ children...)`, `(#pred? args)`, or a group
  // `(pattern predicates...)` around one pattern.
  std::optional<std::uint32_t> parenthesized() {
    const std::size_t at = i_;
    ++i_;
    skipSpace();
    const char c = peek();
    if (c == '#') return predicate(at);
    if (c == '(' || c == '[' || c == '"') return group(at);
    PatternStep s;
    if (c == '_' && !isNameChar(peek(1))) {
      ++i_;
      s.kind = Kind::AnyNamed;
    } else {
      const std::size_t nameAt = i_;
      const std::string_view type = name();
      if (type.empty()) {
        fail(nameAt, "expected a node type");
        return std::nullopt;
      }
      if (peek() == '/') {
        fail(i_, "a supertype pattern (cadre's matcher does not implement them)");
        return std::nullopt;
      }
      if (type == "MISSING") {
        fail(nameAt, "a MISSING pattern (cadre's matcher does not implement them)");
        return std::nullopt;
      }
      s.symbol = type == "ERROR" ? kErrorSymbol : ts_language_symbol_for_name(g_, type.data(), static_cast<std::uint32_t>(type.size()), true);
      if (!s.symbol) {
        fail(nameAt, "unknown node type " + std::string(type));
        return std::nullopt;
      }
    }
    std::vector<std::uint32_t> children, negated;
    bool anchor = false;
    for (;;) {
      skipSpace();
      const char d = peek();
      if (d == ')') {
        ++i_;
        break;
      }
      if (d == '\0') {
        fail(at, "an unterminated pattern");
        return std::nullopt;
      }
      if (d == '.') {
        ++i_;
        anchor = true;
        continue;
      }
      if (d == '!') {
        ++i_;
        const std::size_t fieldAt = i_;
        const TSFieldId id = fieldId(fieldAt, name());
        if (!id) return std::nullopt;
        negated.push_back(id);
        continue;
      }
      TSFieldId field = 0;
      if (isNameChar(d) && !(d == '_' && !isNameChar(peek(1)))) {
        const std::size_t fieldAt = i_;
        const std::string_view f = name();
        skipSpace();
        if (peek() != ':') {
          fail(fieldAt, "expected a field name and ':' or a pattern");
          return std::nullopt;
        }
        ++i_;
        field = fieldId(fieldAt, f);
        if (!field) return std::nullopt;
      }
      const std::size_t childAt = i_;
      auto child = pattern_();
      if (failed_) return std::nullopt;
      if (!child) {
        if (field) fail(childAt, "a field needs a node pattern, not only predicates");
        continue;  // predicates belong to the whole pattern
      }
      out_.steps_[*child].field = field;
      out_.steps_[*child].immediate = anchor;
      anchor = false;
      children.push_back(*child);
    }
    if (anchor) {
      if (children.empty()) {
        fail(at, "an anchor with no child pattern");
        return std::nullopt;
      }
      out_.steps_[children.back()].lastChild = true;
    }
    s.children = list(children);
    s.childCount = static_cast<std::uint32_t>(children.size());
    s.negated = list(negated);
    s.negatedCount = static_cast<std::uint32_t>(negated.size());
    return addStep(s);
  }

  std::optional<std::uint32_t> group(std::size_t at) {
    std::optional<std::uint32_t> only;
    for (;;) {
      skipSpace();
      if (peek() == ')') {
        ++i_;
        break;
      }
      if (peek() == '\0') {
        fail(at, "an unterminated group");
        return std::nullopt;
      }
      const std::size_t itemAt = i_;
      auto item = pattern_();
      if (failed_) return std::nullopt;
      if (!item) continue;
      if (only) {
        fail(itemAt, "a sequence of sibling patterns (cadre's matcher implements one root per pattern)");
        return std::nullopt;
      }
      only = item;
    }
    return only;
  }

  std::optional<std::uint32_t> predicate(std::size_t at) {
    ++i_;  // '#'
    const std::string_view op = identifier();
    std::vector<std::pair<bool, std::string>> args;  // (is capture, text)
    for (;;) {
      skipSpace();
      const char c = peek();
      if (c == ')') {
        ++i_;
        break;
      }
      if (c == '@') {
        ++i_;
        args.emplace_back(true, std::string(identifier()));
      } else if (c == '"') {
        auto text = string();
        if (!text) return std::nullopt;
        args.emplace_back(false, std::move(*text));
      } else if (isIdentChar(c)) {
        args.emplace_back(false, std::string(identifier()));
      } else {
        fail(i_, c == '\0' ? "an unterminated predicate" : "unexpected '" + std::string(1, c) + "' in a predicate");
        return std::nullopt;
      }
    }
    if (!op.empty() && op.back() == '!') return std::nullopt;  // a directive: it does not filter
    using Op = PatternPredicate::Op;
    static const std::pair<std::string_view, Op> kOps[] = {{"eq?", Op::Eq},         {"not-eq?", Op::NotEq},    {"match?", Op::Match},
                                                           {"not-match?", Op::NotMatch}, {"any-of?", Op::AnyOf}, {"not-any-of?", Op::NotAnyOf}};
    PatternPredicate p;
    bool known = false;
    for (const auto& [n, o] : kOps) {
      if (n == op) p.op = o, known = true;
    }
    if (!known) {
      fail(at, "the predicate #" + std::string(op) + " (cadre evaluates #eq?, #match?, #any-of? and their #not- forms)");
      return std::nullopt;
    }
    if (args.empty() || !args[0].first || (p.op != Op::AnyOf && p.op != Op::NotAnyOf && args.size() != 2)) {
      fail(at, "#" + std::string(op) + " needs a capture and " + (p.op == Op::AnyOf || p.op == Op::NotAnyOf ? "strings" : "one operand"));
      return std::nullopt;
    }
    p.capture = captureId(args[0].second);
    for (std::size_t k = 1; k < args.size(); ++k) {
      if (args[k].first) {
        if (p.op != Op::Eq && p.op != Op::NotEq) {
          fail(at, "#" + std::string(op) + " takes strings, not captures, after its subject");
          return std::nullopt;
        }
        p.otherCapture = static_cast<std::int32_t>(captureId(args[k].second));
      } else {
        p.values.push_back(std::move(args[k].second));
      }
    }
    if (p.op == Op::Match || p.op == Op::NotMatch) {
      try {
        out_.regexes_.push_back(std::make_shared<const std::regex>(p.values.front(), std::regex::ECMAScript | std::regex::optimize));
      } catch (const std::regex_error& e) {
        fail(at, "a regular expression that does not compile: " + std::string(e.what()));
        return std::nullopt;
      }
      p.regex = static_cast<std::int32_t>(out_.regexes_.size() - 1);
    }
    predicates_->push_back(std::move(p));
    return std::nullopt;
  }

  // Reading and matching recurse once per level; real queries nest a
  // handful of levels.
  static constexpr int kMaxDepth = 64;

  const TSLanguage* g_;
  std::string_view s_;
  int depth_ = 0;
  PatternSet& out_;
  std::size_t i_ = 0;
  std::vector<PatternPredicate>* predicates_ = nullptr;
  bool failed_ = false;
  std::size_t errorAt_ = 0;
  std::string error_;
};

Expected<PatternSet> PatternSet::compile(const TSLanguage* grammar, std::string_view source) {
  PatternSet set;
  if (auto problem = PatternReader(grammar, source, set).run()) {
    const auto line = 1 + std::count(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(std::min(problem->first, source.size())), '\n');
    return makeError(ErrorCode::InternalError, problem->second + " at line " + std::to_string(line));
  }
  set.bySymbol_.resize(ts_language_symbol_count(grammar));
  for (std::uint32_t i = 0; i < set.patterns_.size(); ++i) {
    // A root alternation is indexed under each of its alternatives.
    std::vector<std::uint32_t> roots{set.patterns_[i].root};
    for (std::size_t k = 0; k < roots.size(); ++k) {
      const PatternStep& s = set.steps_[roots[k]];
      std::vector<std::uint32_t>* slot = nullptr;
      switch (s.kind) {
        case PatternStep::Kind::Alternation:
          for (std::uint32_t a = 0; a < s.childCount; ++a) roots.push_back(set.lists_[s.children + a]);
          continue;
        case PatternStep::Kind::Any: case PatternStep::Kind::AnyNamed:
          slot = &set.wildcardRoots_;
          break;
        case PatternStep::Kind::Node:
          slot = s.symbol == kErrorSymbol ? &set.byError_ : &set.bySymbol_[s.symbol];
          break;
      }
      if (slot->empty() || slot->back() != i) slot->push_back(i);
    }
  }
  // Every node but ERROR tries the wildcard-rooted patterns too: merged into
  // each symbol's list once here, not per node.
  if (!set.wildcardRoots_.empty()) {
    for (auto& list : set.bySymbol_) {
      list.insert(list.end(), set.wildcardRoots_.begin(), set.wildcardRoots_.end());
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }
  return set;
}

}  // namespace cadre::analysis
