// Iterative glob matcher with single-star backtracking per segment and
// recursion only for `**`, so hostile patterns stay polynomial.
#include "server/security/glob.hpp"

namespace cadre::security {
namespace {

char fold(char c, bool foldCase) { return (foldCase && c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Matches a `[...]` class at pattern[p] against c; returns the index after the
// class, or npos when the class is unterminated (then '[' is literal).
std::size_t matchClass(std::string_view pat, std::size_t p, char c, bool foldCase, bool& matched) {
  std::size_t i = p + 1;
  bool negate = false;
  if (i < pat.size() && (pat[i] == '!' || pat[i] == '^')) {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  const char fc = fold(c, foldCase);
  while (i < pat.size() && (first || pat[i] != ']')) {
    first = false;
    char lo = fold(pat[i], foldCase);
    char hi = lo;
    if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
      hi = fold(pat[i + 2], foldCase);
      i += 2;
    }
    if (fc >= lo && fc <= hi) any = true;
    ++i;
  }
  if (i >= pat.size()) return std::string_view::npos;
  matched = (any != negate) && c != '/';
  return i + 1;
}

bool matchFrom(std::string_view pat, std::size_t p, std::string_view text, std::size_t t, bool foldCase, int depth) {
  if (depth > 32) return false;  // more `**` than any real pattern has
  std::size_t starP = std::string_view::npos, starT = 0;
  while (t < text.size() || p < pat.size()) {
    if (p < pat.size()) {
      const char pc = pat[p];
      if (pc == '*' && p + 1 < pat.size() && pat[p + 1] == '*') {
        std::size_t next = p + 2;
        // "**/" also matches zero directories.
        if (next < pat.size() && pat[next] == '/') {
          if (matchFrom(pat, next + 1, text, t, foldCase, depth + 1)) return true;
        }
        for (std::size_t k = t; k <= text.size(); ++k)
          if (matchFrom(pat, next, text, k, foldCase, depth + 1)) return true;
        return false;
      }
      if (pc == '*') {
        starP = p++;
        starT = t;
        continue;
      }
      if (t < text.size()) {
        const char tc = text[t];
        if (pc == '?' && tc != '/') {
          ++p, ++t;
          continue;
        }
        if (pc == '[') {
          bool matched = false;
          std::size_t after = matchClass(pat, p, tc, foldCase, matched);
          if (after != std::string_view::npos) {
            if (matched) {
              p = after, ++t;
              continue;
            }
          } else if (tc == '[') {
            ++p, ++t;
            continue;
          }
        } else if (pc != '?' && fold(pc, foldCase) == fold(tc, foldCase)) {
          ++p, ++t;
          continue;
        }
      }
    }
    // Mismatch: let the last single star swallow one more character, unless
    // that character is a '/'.
    if (starP != std::string_view::npos && starT < text.size() && text[starT] != '/') {
      p = starP + 1;
      t = ++starT;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text, bool foldCase) {
  return matchFrom(pattern, 0, text, 0, foldCase, 0);
}

}  // namespace cadre::security
