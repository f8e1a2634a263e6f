// gitignore matching; see ignore.hpp.
#include "server/analysis/ignore.hpp"

namespace cadre::analysis {
namespace {

// Matches a bracket class at p[0] == '['; returns the length consumed or 0.
std::size_t matchClass(std::string_view p, char c, bool& matched) {
  std::size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  while (i < p.size() && (p[i] != ']' || first)) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) any = true;
    ++i;
  }
  if (i >= p.size()) return 0;  // unterminated: treat '[' literally
  matched = any != negate;
  return i + 1;
}

bool match(std::string_view p, std::string_view t) {
  while (!p.empty()) {
    if (p.size() >= 2 && p[0] == '*' && p[1] == '*') {
      // "**/" matches zero or more directories; "**" elsewhere anything.
      std::string_view rest = p.substr(2);
      const bool slash = !rest.empty() && rest[0] == '/';
      if (slash) rest.remove_prefix(1);
      for (std::size_t i = 0; i <= t.size(); ++i) {
        if ((!slash || i == 0 || t[i - 1] == '/') && match(rest, t.substr(i))) return true;
      }
      return false;
    }
    if (p[0] == '*') {
      for (std::size_t i = 0; i <= t.size(); ++i) {
        if (match(p.substr(1), t.substr(i))) return true;
        if (i < t.size() && t[i] == '/') break;
      }
      return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?') {
      if (t[0] == '/') return false;
    } else if (p[0] == '[') {
      bool matched = false;
      if (std::size_t used = matchClass(p, t[0], matched)) {
        if (!matched || t[0] == '/') return false;
        p.remove_prefix(used);
        t.remove_prefix(1);
        continue;
      }
      if (t[0] != '[') return false;
    } else {
      if (p[0] == '\\' && p.size() > 1) p.remove_prefix(1);
      if (p[0] != t[0]) return false;
    }
    p.remove_prefix(1);
    t.remove_prefix(1);
  }
  return t.empty();
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text) { return match(pattern, text); }

void IgnoreRules::add(std::string_view base, std::string_view text) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Trailing spaces are ignored unless escaped.
    while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    Rule r;
    r.base = std::string(base);
    if (line[0] == '!') {
      r.negate = true;
      line.remove_prefix(1);
    } else if (line[0] == '\\') {
      line.remove_prefix(1);  // "\#" or "\!" literal
    }
    if (!line.empty() && line.back() == '/') {
      r.dirOnly = true;
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    r.anchored = line.find('/') != std::string_view::npos;
    if (line[0] == '/') line.remove_prefix(1);
    r.pattern = std::string(line);
    rules_.push_back(std::move(r));
  }
}

bool IgnoreRules::ignored(std::string_view path, bool isDirectory) const {
  bool result = false;
  for (const Rule& r : rules_) {
    // Only a rule that could flip the current verdict is worth matching.
    if (r.negate != result) continue;
    if (r.dirOnly && !isDirectory) continue;
    std::string_view rel = path;
    if (!r.base.empty()) {
      if (rel.size() <= r.base.size() || rel.substr(0, r.base.size()) != r.base || rel[r.base.size()] != '/') continue;
      rel.remove_prefix(r.base.size() + 1);
    }
    bool hit;
    if (r.anchored) {
      hit = match(r.pattern, rel);
    } else {
      auto slash = rel.rfind('/');
      hit = match(r.pattern, slash == std::string_view::npos ? rel : rel.substr(slash + 1));
    }
    if (hit) result = !r.negate;
  }
  return result;
}

}  // namespace cadre::analysis
