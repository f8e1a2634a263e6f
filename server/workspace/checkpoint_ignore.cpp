// .gitignore evaluation for the checkpoint scanner; see checkpoint_ignore.hpp.
#include "server/workspace/checkpoint_ignore.hpp"

#include <cctype>
#include <cstring>

namespace cadre::workspace {
namespace {

// Results of the recursive matcher, as in git's wildmatch.c: ABORT_ALL and
// ABORT_TO_STARSTAR cut the backtracking short when no later start can match.
constexpr int kMatch = 0;
constexpr int kNoMatch = 1;
constexpr int kAbortAll = -1;
constexpr int kAbortToStarStar = -2;

bool isGlobSpecial(unsigned char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

bool classMatches(const unsigned char* s, int len, unsigned char c, bool& known) {
  auto is = [&](const char* name) { return static_cast<int>(std::strlen(name)) == len && std::memcmp(s, name, len) == 0; };
  known = true;
  if (is("alnum")) return std::isalnum(c);
  if (is("alpha")) return std::isalpha(c);
  if (is("blank")) return c == ' ' || c == '\t';
  if (is("cntrl")) return std::iscntrl(c);
  if (is("digit")) return std::isdigit(c);
  if (is("graph")) return std::isgraph(c);
  if (is("lower")) return std::islower(c);
  if (is("print")) return std::isprint(c);
  if (is("punct")) return std::ispunct(c);
  if (is("space")) return std::isspace(c);
  if (is("upper")) return std::isupper(c);
  if (is("xdigit")) return std::isxdigit(c);
  known = false;
  return false;
}

int doWild(const unsigned char* p, const unsigned char* text) {
  const unsigned char* const pattern = p;
  for (unsigned char pc; (pc = *p) != '\0'; ++text, ++p) {
    unsigned char tc = *text;
    if (tc == '\0' && pc != '*') return kAbortAll;
    switch (pc) {
      case '\\':
        // A literal next character; a trailing backslash matches nothing.
        pc = *++p;
        [[fallthrough]];
      default:
        if (tc != pc) return kNoMatch;
        continue;
      case '?':
        if (tc == '/') return kNoMatch;
        continue;
      case '*': {
        bool matchSlash;
        if (*++p == '*') {
          const unsigned char* prev = p - 2;
          while (*++p == '*') {
          }
          // `**` spans directories only as a whole component.
          if ((prev < pattern || *prev == '/') && (*p == '\0' || *p == '/' || (p[0] == '\\' && p[1] == '/'))) {
            if (p[0] == '/' && doWild(p + 1, text) == kMatch) return kMatch;
            matchSlash = true;
          } else {
            matchSlash = false;
          }
        } else {
          matchSlash = false;
        }
        if (*p == '\0') {
          if (!matchSlash && std::strchr(reinterpret_cast<const char*>(text), '/')) return kNoMatch;
          return kMatch;
        }
        if (!matchSlash && *p == '/') {
          // One `*` then '/': the rest of this component.
          const char* slash = std::strchr(reinterpret_cast<const char*>(text), '/');
          if (!slash) return kNoMatch;
          text = reinterpret_cast<const unsigned char*>(slash);
          break;  // the slash is consumed by the loop
        }
        for (;;) {
          if (tc == '\0') break;
          // A literal after the star: skip ahead to its next occurrence.
          if (!isGlobSpecial(*p)) {
            const unsigned char want = *p;
            while ((tc = *text) != '\0' && (matchSlash || tc != '/')) {
              if (tc == want) break;
              ++text;
            }
            if (tc != want) return kNoMatch;
          }
          const int matched = doWild(p, text);
          if (matched != kNoMatch) {
            if (!matchSlash || matched != kAbortToStarStar) return matched;
          } else if (!matchSlash && tc == '/') {
            return kAbortToStarStar;
          }
          tc = *++text;
        }
        return kAbortAll;
      }
      case '[': {
        pc = *++p;
        if (pc == '^') pc = '!';
        const bool negated = pc == '!';
        if (negated) pc = *++p;
        unsigned char prev = 0;
        bool matched = false;
        do {
          if (!pc) return kAbortAll;
          if (pc == '\\') {
            pc = *++p;
            if (!pc) return kAbortAll;
            if (tc == pc) matched = true;
          } else if (pc == '-' && prev && p[1] && p[1] != ']') {
            pc = *++p;
            if (pc == '\\') {
              pc = *++p;
              if (!pc) return kAbortAll;
            }
            if (tc <= pc && tc >= prev) matched = true;
            pc = 0;  // so that `prev` becomes 0: "a-c-e" is not a range c-e
          } else if (pc == '[' && p[1] == ':') {
            const unsigned char* s = p += 2;
            while ((pc = *p) && pc != ']') ++p;
            if (!pc) return kAbortAll;
            const int len = static_cast<int>(p - s) - 1;
            if (len < 0 || p[-1] != ':') {
              // No ":]": a plain '[' in the set.
              p = s - 2;
              pc = '[';
              if (tc == pc) matched = true;
              continue;
            }
            bool known = false;
            if (classMatches(s, len, tc, known)) matched = true;
            if (!known) return kAbortAll;
            pc = 0;
          } else if (tc == pc) {
            matched = true;
          }
        } while (prev = pc, (pc = *++p) != ']');
        if (matched == negated || tc == '/') return kNoMatch;
        continue;
      }
    }
  }
  return *text ? kNoMatch : kMatch;
}

}  // namespace

bool wildmatch(const char* pattern, const char* text) {
  return doWild(reinterpret_cast<const unsigned char*>(pattern), reinterpret_cast<const unsigned char*>(text)) == kMatch;
}

void IgnoreFile::parse(std::string_view text) {
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    // Trailing spaces go unless escaped ("foo\ " keeps one).
    while (!line.empty() && line.back() == ' ') {
      std::size_t backslashes = 0;
      for (std::size_t i = line.size() - 1; i > 0 && line[i - 1] == '\\'; --i) ++backslashes;
      if (backslashes % 2 == 1) break;
      line.remove_suffix(1);
    }
    Pattern pat;
    if (!line.empty() && line[0] == '!') {
      pat.negate = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      pat.dirOnly = true;
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    // A '/' at the start or in the middle ties the pattern to this directory.
    pat.anchored = line.find('/') != std::string_view::npos;
    if (line[0] == '/') line.remove_prefix(1);
    if (line.empty()) continue;
    pat.text = std::string(line);
    const std::size_t special = pat.text.find_first_of("*?[\\");
    if (special == std::string::npos) {
      pat.kind = Kind::Literal;
    } else if (!pat.anchored && special == 0 && pat.text[0] == '*' && pat.text.find_first_of("*?[\\", 1) == std::string::npos) {
      pat.kind = Kind::Suffix;
      pat.text.erase(0, 1);
    } else {
      pat.kind = Kind::Glob;
    }
    patterns_.push_back(std::move(pat));
  }
}

IgnoreFile::Verdict IgnoreFile::match(const char* rel, const char* base, std::size_t baseLen, bool isDirectory) const {
  // The last matching line wins: scan from the end.
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    const Pattern& p = *it;
    if (p.dirOnly && !isDirectory) continue;
    bool hit;
    if (p.anchored) {
      hit = p.kind == Kind::Literal ? std::strcmp(p.text.c_str(), rel) == 0 : wildmatch(p.text.c_str(), rel);
    } else if (p.kind == Kind::Literal) {
      hit = p.text.size() == baseLen && std::memcmp(p.text.data(), base, baseLen) == 0;
    } else if (p.kind == Kind::Suffix) {
      hit = baseLen >= p.text.size() && std::memcmp(base + baseLen - p.text.size(), p.text.data(), p.text.size()) == 0;
    } else {
      hit = wildmatch(p.text.c_str(), base);
    }
    if (hit) return p.negate ? Verdict::Included : Verdict::Ignored;
  }
  return Verdict::None;
}

bool IgnoreStack::ignored(const std::string& path, bool isDirectory) const {
  const std::size_t slash = path.rfind('/');
  const std::size_t baseStart = slash == std::string::npos ? 0 : slash + 1;
  const char* base = path.c_str() + baseStart;
  const std::size_t baseLen = path.size() - baseStart;
  std::string led;
  for (std::size_t i = frames_.size(); i > floor_; --i) {
    const Frame& f = frames_[i - 1];
    const char* rel = path.c_str() + f.baseLen;
    if (!f.lead.empty()) {
      led = f.lead + path;
      rel = led.c_str();
    }
    switch (f.file->match(rel, base, baseLen, isDirectory)) {
      case IgnoreFile::Verdict::Ignored:
        return true;
      case IgnoreFile::Verdict::Included:
        return false;
      case IgnoreFile::Verdict::None:
        break;
    }
  }
  return false;
}

}  // namespace cadre::workspace
