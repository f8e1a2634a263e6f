// Root-relative path helpers ('/' separators) shared by resolution, checks
// and fixes.
#pragma once

#include <string>

namespace cadre::analysis {

// JavaScript and its typed dialects: one module system, one resolver.
inline bool isScript(const std::string& lang) { return lang == "javascript" || lang == "typescript" || lang == "tsx"; }

// "a/b/c.py" → "a/b"; "c.py" → "".
inline std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

inline std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

}  // namespace cadre::analysis
