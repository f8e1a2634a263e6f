// .gitignore semantics for file discovery: the patterns of every .gitignore
// from the root down to a file's directory, last match wins, `!` re-includes,
// a trailing `/` matches directories only, a `/` elsewhere anchors the pattern
// to its .gitignore's directory, `**` spans directories. Also honours
// .git/info/exclude. (Global excludes are left out on purpose: an index must
// not change with who runs it.)
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::analysis {

class IgnoreRules {
 public:
  // Adds the patterns of `text`, found in directory `base` (relative to the
  // root, "" for the root itself, with '/' separators).
  void add(std::string_view base, std::string_view text);
  // `path` is relative to the root with '/' separators.
  bool ignored(std::string_view path, bool isDirectory) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string base;  // directory of the .gitignore, "" or "a/b"
    std::string pattern;
    bool negate = false;
    bool dirOnly = false;
    bool anchored = false;  // contains a '/' other than a trailing one
  };
  std::vector<Rule> rules_;
};

// Glob match with gitignore's wildcards (`*` and `?` stop at '/', `**` does
// not, `[...]` classes).
bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace cadre::analysis
