#include "server/analysis/query_shape.hpp"

namespace cadre::analysis {
namespace {

// What one pattern left behind, in tree-sitter's terms.
enum class Parsed {
  Steps,       // at least one query step (a node, wildcard, string, alternation of 2+)
  NoSteps,     // predicates only
  ParentDone,  // met the `)` or `]` closing the enclosing list
  Stop,        // tree-sitter reports an error here, or we found a problem
};

bool isSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool isAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isIdentStart(char c) { return isAlnum(c) || c == '_' || c == '-'; }
bool isIdentPart(char c) { return isIdentStart(c) || c == '.' || c == '?' || c == '!'; }

class ShapeWalk {
 public:
  explicit ShapeWalk(std::string_view s) : s_(s) {}

  std::optional<QueryShapeProblem> run() {
    skipSpace();
    while (!stopped() && i_ < s_.size()) {
      bool quantified = false;
      const Parsed r = pattern(quantified);
      if (r == Parsed::Stop || r == Parsed::ParentDone) break;
    }
    return problem_;
  }

 private:
  char next() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool stopped() const { return stop_; }

  // Where tree-sitter stops with its own error. A non-ASCII character here
  // may be one it reads on (iswalnum, iswspace depend on the locale), so the
  // walk would no longer follow its parse: refuse it instead.
  Parsed halt() {
    if (static_cast<unsigned char>(next()) >= 0x80) return fail(i_, "a non-ASCII character outside a string or comment");
    stop_ = true;
    return Parsed::Stop;
  }
  Parsed fail(std::size_t at, std::string message) {
    problem_ = QueryShapeProblem{at, std::move(message)};
    stop_ = true;
    return Parsed::Stop;
  }

  // Whitespace and `;` comments.
  void skipSpace() {
    for (;;) {
      const char c = next();
      if (isSpace(c)) {
        ++i_;
      } else if (c == ';') {
        while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\0') ++i_;
      } else {
        return;
      }
    }
  }
  void scanIdent() {
    do ++i_;
    while (isIdentPart(next()));
  }
  bool string() {  // at '"'; false where tree-sitter reports a syntax error
    ++i_;
    bool escaped = false;
    for (; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        ++i_;
        return true;
      } else if (c == '\n') {
        return false;
      }
    }
    return false;
  }

  // `quantified`: the pattern's first step already carries a quantifier.
  Parsed pattern(bool& quantified) {
    quantified = false;
    if (++depth_ > kMaxQueryNesting) return fail(i_, "nested deeper than " + std::to_string(kMaxQueryNesting) + " levels");
    const Parsed r = patternBody(quantified);
    --depth_;
    return r;
  }

  Parsed patternBody(bool& quantified) {
    const std::size_t start = i_;
    const char c = next();
    if (c == '\0') return halt();
    if (c == ')' || c == ']') return Parsed::ParentDone;

    Parsed made = Parsed::Steps;
    if (c == '[') {
      made = alternation(quantified);
    } else if (c == '(') {
      ++i_;
      skipSpace();
      const char d = next();
      if (d == '(' || d == '"' || d == '[') {
        made = group(quantified);
      } else if (d == '.' || d == '#') {
        ++i_;
        return predicate();  // tree-sitter returns here: no suffixes follow a predicate
      } else {
        made = node();
      }
    } else if (c == '_') {
      ++i_;
      skipSpace();
    } else if (c == '"') {
      if (!string()) return halt();
    } else if (isIdentStart(c)) {
      made = field(start, quantified);
    } else {
      return halt();
    }
    if (made == Parsed::Stop) return made;
    return suffixes(made, quantified);
  }

  Parsed alternation(bool& quantified) {
    ++i_;
    skipSpace();
    int branches = 0;
    bool anySteps = false;
    for (;;) {
      bool q = false;
      const Parsed r = pattern(q);
      if (r == Parsed::Stop) return r;
      if (r == Parsed::ParentDone) {
        if (next() == ']' && branches > 0) {
          ++i_;
          break;
        }
        return halt();
      }
      if (branches == 0) quantified = q;
      anySteps = anySteps || r == Parsed::Steps;
      ++branches;
    }
    // tree-sitter keeps a placeholder step between branches.
    return anySteps || branches > 1 ? Parsed::Steps : Parsed::NoSteps;
  }

  // One child of a group or a node: an optional `.` anchor, then a pattern;
  // ParentDone once the closing `)` is consumed.
  Parsed child(bool& quantified) {
    if (next() == '.') {
      ++i_;
      skipSpace();
    }
    const Parsed r = pattern(quantified);
    if (r != Parsed::ParentDone) return r;
    if (next() != ')') return halt();
    ++i_;
    return r;
  }

  Parsed group(bool& quantified) {
    bool anySteps = false;
    for (;;) {
      bool q = false;
      const Parsed r = child(q);
      if (r == Parsed::Stop) return r;
      if (r == Parsed::ParentDone) break;
      if (!anySteps && r == Parsed::Steps) quantified = q;  // the group's first step is its first child's
      anySteps = anySteps || r == Parsed::Steps;
    }
    return anySteps ? Parsed::Steps : Parsed::NoSteps;
  }

  Parsed predicate() {
    if (!isIdentStart(next())) return halt();
    scanIdent();
    skipSpace();
    for (;;) {
      const char c = next();
      if (c == ')') {
        ++i_;
        skipSpace();
        return Parsed::NoSteps;
      }
      if (c == '@') {
        ++i_;
        if (!isIdentStart(next())) return halt();
        scanIdent();
      } else if (c == '"') {
        if (!string()) return halt();
      } else if (isIdentStart(c)) {
        scanIdent();
      } else {
        return halt();
      }
      skipSpace();
    }
  }

  Parsed node() {
    if (!isIdentStart(next())) return halt();
    const std::size_t nameStart = i_;
    scanIdent();
    const std::string_view name = s_.substr(nameStart, i_ - nameStart);
    // tree-sitter compares only the typed length against "MISSING".
    if (name != "_" && std::string_view("MISSING").substr(0, name.size()) == name) {
      skipSpace();
      if (isIdentStart(next())) {
        scanIdent();
      } else if (next() == '"') {
        if (!string()) return halt();
      } else if (next() != ')') {
        return halt();
      }
    }
    skipSpace();
    if (next() == '/') {
      ++i_;
      if (!isIdentStart(next())) return halt();
      scanIdent();
      skipSpace();
    }
    for (;;) {
      if (next() == '!') {
        ++i_;
        skipSpace();
        if (!isIdentStart(next())) return halt();
        scanIdent();
        skipSpace();
        continue;
      }
      bool q = false;
      const Parsed r = child(q);
      if (r == Parsed::Stop) return r;
      if (r == Parsed::ParentDone) break;
    }
    return Parsed::Steps;
  }

  Parsed field(std::size_t start, bool& quantified) {
    scanIdent();
    skipSpace();
    if (next() != ':') return halt();
    ++i_;
    skipSpace();
    const Parsed r = pattern(quantified);
    if (r == Parsed::Stop) return r;
    if (r == Parsed::ParentDone) return halt();
    if (r == Parsed::NoSteps) return fail(start, "a field needs a node pattern, not only predicates");
    return Parsed::Steps;
  }

  Parsed suffixes(Parsed made, bool& quantified) {
    skipSpace();
    for (;;) {
      const char c = next();
      if (c == '+' || c == '*' || c == '?') {
        if (made == Parsed::NoSteps) return fail(i_, std::string("quantifier '") + c + "' after a pattern with only predicates");
        // `(x)?+`, `((x)?)+`: tree-sitter links the steps into a cycle and
        // loops forever building its pattern map.
        if (quantified) return fail(i_, std::string("a second quantifier '") + c + "' on the same pattern");
        quantified = true;
        ++i_;
        skipSpace();
      } else if (c == '@') {
        if (made == Parsed::NoSteps) return fail(i_, "a capture after a pattern with only predicates");
        ++i_;
        if (!isIdentStart(next())) return halt();
        scanIdent();
        skipSpace();
      } else {
        return made;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;
  bool stop_ = false;
  std::optional<QueryShapeProblem> problem_;
};

}  // namespace

std::optional<QueryShapeProblem> checkQueryShape(std::string_view source) {
  // tree-sitter reads a NUL byte as the end of the text in some places and
  // not in others; no query has a reason to hold one.
  if (const auto nul = source.find('\0'); nul != std::string_view::npos) return QueryShapeProblem{nul, "a NUL byte"};
  return ShapeWalk(source).run();
}

}  // namespace cadre::analysis
