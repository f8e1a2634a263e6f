// Import resolution: which project file an import statement means, per
// language's own rules, or that it leaves the project (stdlib, third-party:
// "external", never an error), or that it should be in the project and is not
// ("unresolved"). Project settings that change the rules are read once, at
// construction: tsconfig.json paths/baseUrl, compile_commands.json include
// directories, go.mod's module path.
#pragma once

#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "server/analysis/project_index.hpp"

namespace cadre::analysis {

struct Resolution {
  enum class Kind { Project, External, Unresolved, Unknown };
  Kind kind = Kind::Unknown;
  // Project files the import names, relative to the root: a module file, a
  // package's __init__.py, a header. Empty for a directory-only package.
  std::vector<std::string> files;
  std::string detail;  // Unresolved: what was looked for
};

class Resolver {
 public:
  explicit Resolver(const ProjectIndex& index);

  Resolution resolve(const IndexedFile& from, const Import& import) const;

  // Python: the module file for a dotted path under the source roots
  // (`a.b` → a/b.py or a/b/__init__.py), or "" when there is none.
  std::string pythonModule(const std::string& dotted) const;
  bool isDirectory(const std::string& path) const { return dirs_.count(path) != 0; }

  // Whether Python module `target` binds `name` at module level (defines,
  // assigns or imports it; the implicit module dunders count too).
  static bool pythonBinds(const IndexedFile& target, const std::string& name);
  bool exists(const std::string& path) const;

 private:
  Resolution resolvePython(const IndexedFile& from, const Import& imp) const;
  Resolution resolveScript(const IndexedFile& from, const Import& imp) const;
  Resolution resolveInclude(const IndexedFile& from, const Import& imp) const;
  Resolution resolveGo(const Import& imp) const;
  Resolution resolveRust(const IndexedFile& from, const Import& imp) const;
  Resolution resolveJava(const Import& imp) const;
  Resolution resolveLua(const Import& imp) const;
  std::string firstExisting(const std::vector<std::string>& candidates) const;

  const ProjectIndex& index_;
  std::unordered_set<std::string> dirs_;        // every directory holding an indexed file
  std::vector<std::string> pythonRoots_;        // "", "src", ... (no trailing '/')
  std::set<std::string> pythonTopLevel_;        // importable top-level names under those roots
  std::string tsBaseUrl_;                       // relative to the root, "" = root
  std::vector<std::pair<std::string, std::vector<std::string>>> tsPaths_;  // pattern → targets
  std::vector<std::string> includeDirs_;        // relative to the root
  bool knowsIncludeDirs_ = false;               // compile_commands.json was found
  std::string goModule_;
};

std::string normalizePath(const std::string& path);  // folds "." and ".."; "" if it escapes the root

}  // namespace cadre::analysis
