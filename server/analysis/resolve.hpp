// Import resolution: which project file an import statement means, per
// language's own rules, or that it leaves the project (stdlib, third-party:
// "external", never an error), or that it should be in the project and is not
// ("unresolved"). Project settings that change the rules are read once, at
// construction: tsconfig.json/jsconfig.json paths/baseUrl (and what they
// extend), compile_commands.json include directories and compiled files,
// go.mod module paths, the Rust module tree.
//
// "Unresolved" is only said when the language's rules leave no way for the
// import to work; anything cadre cannot see (a build product, a bundler's
// extension list, a header outside a compiled file's reach) is "Unknown".
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
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

  // Thread-safe, like every const member. `import` need not come from
  // `from.symbols()`: a ranking passes the imports it read from the encoding.
  Resolution resolve(const IndexedFile& from, const Import& import) const;
  // `symbols` are the importing file's, when fresher than the index's (an
  // open, edited document); `from` then only needs its path and language.
  // `text` is the text they were extracted from; when null, the file on
  // disk is read where the text matters (a C include inside `#ifdef`, a
  // Rust `#[path]` attribute, a Python import inside `try:`).
  Resolution resolve(const IndexedFile& from, const Import& import, const FileSymbols& symbols,
                     const std::string* text = nullptr) const;

  // Python: the module file for a dotted path under the source roots
  // (`a.b` → a/b.py or a/b/__init__.py), or "" when there is none.
  std::string pythonModule(const std::string& dotted) const;
  bool isDirectory(const std::string& path) const { return dirs_.count(path) != 0; }

  // Whether Python module `target` binds `name` at module level (defines,
  // assigns or imports it; the implicit module dunders count too).
  static bool pythonBinds(const IndexedFile& target, const std::string& name);
  // Python: whether `imp` sits in a `try:` or an `except` block (an import
  // that is allowed to fail) of `text` (null: the file at `path` on disk).
  bool pythonOptionalImport(const std::string& path, const Import& imp, const std::string* text = nullptr) const;
  // Python: a compiled extension module for `base` (dir/name) on disk.
  bool pythonExtensionModule(const std::string& base) const;
  bool exists(const std::string& path) const;
  // Rust: whether `use` can take `name` from module file `target` (defined,
  // re-exported, a child module, an exported macro — or cadre cannot tell).
  bool rustNameAvailable(const IndexedFile& target, const std::string& name) const;
  // Rust: whether an imported name sits under a path inside a `{...}` list
  // (`use a::{b::C}`: C comes from a::b, not a).
  bool rustNestedName(const std::string& path, const Import& imp, const ImportedName& name, const std::string* text) const;

 private:
  // A script module's file, or that cadre cannot tell (a package.json entry
  // point that is a build product).
  struct ScriptTarget {
    std::string file;
    bool unsure = false;
  };
  struct TsPath {
    std::string pattern;
    std::vector<std::string> targets;
  };

  Resolution resolvePython(const IndexedFile& from, const Import& imp, const std::string* text) const;
  static bool pythonExtendsPath(const IndexedFile& init);
  bool pythonMissIsUnsure(const IndexedFile& from, const Import& imp, const std::vector<std::string>& bases, const std::string* text) const;
  Resolution resolveScript(const IndexedFile& from, const Import& imp) const;
  Resolution resolveInclude(const IndexedFile& from, const Import& imp, const std::string* text) const;
  Resolution resolveGo(const IndexedFile& from, const Import& imp) const;
  Resolution resolveRust(const IndexedFile& from, const Import& imp, const FileSymbols& symbols, const std::string* text) const;
  Resolution resolveJava(const Import& imp) const;
  Resolution resolveLua(const Import& imp) const;
  std::string firstExisting(const std::vector<std::string>& candidates) const;
  bool isDirOnDisk(const std::string& path) const;
  std::string readProjectFile(const std::string& path) const;

  void loadTsConfig();
  ScriptTarget scriptFile(const std::string& base, bool fromTypeScript, bool followPackageJson = true) const;
  bool scriptMissIsUnsure(const std::string& base) const;
  bool nodeModulesHas(const std::string& fromDir, const std::string& specifier) const;

  void loadCompileCommands();
  std::string findInclude(const std::string& fromPath, const Import& imp) const;
  bool foundOutsideProject(const std::string& header) const;

  void loadGoModules();
  void buildRustModuleTree();
  std::vector<std::string> rustChildDirs(const std::string& path) const;
  std::string rustChildModule(const std::string& path, const std::string& name) const;
  Resolution resolveRustUse(const IndexedFile& from, const Import& imp, const FileSymbols& symbols) const;
  bool javaSourceOnDisk(const std::string& pkg, const std::string& name) const;

  const ProjectIndex& index_;
  std::unordered_set<std::string> dirs_;        // every directory holding an indexed file
  std::vector<std::string> pythonRoots_;        // "", "src", ... (no trailing '/')
  std::set<std::string> pythonTopLevel_;        // importable top-level names under those roots

  bool tsHasBaseUrl_ = false;
  std::string tsBaseUrl_;                       // relative to the root, "" = root
  std::string tsPathsBase_;                     // what `paths` targets are relative to
  std::vector<TsPath> tsPaths_;                 // most specific pattern first

  std::vector<std::string> includeDirs_;        // in the project, relative to the root
  std::vector<std::string> outsideIncludeDirs_; // absolute, outside the root
  bool knowsIncludeDirs_ = false;               // compile_commands.json was found
  // Files compile_commands.json compiles, and the headers they reach: the
  // files whose include path it tells. True when that path is incomplete: an
  // include directory the build has not made yet, flags in an @file.
  std::unordered_map<std::string, bool> compiled_;

  std::map<std::string, std::string> goModules_;  // go.mod directory → module path
  std::unordered_set<std::string> goPackageDirs_;  // directories holding .go files

  // Java: indexed .java files and their directories, by last path segment.
  std::unordered_multimap<std::string, std::string> javaFilesByName_;
  std::unordered_multimap<std::string, std::string> javaDirsByName_;
  std::unordered_set<std::string> javaDirs_;

  // Files of a Rust module tree: whether each is (also) a crate root, whose
  // `mod` children sit beside it, and (also) a child module, whose children
  // sit in the directory named after it.
  struct RustFile {
    bool root = false;
    bool child = false;
    // The module file that declares it (`mod x;`) and its crate's root, for
    // `super::` and `crate::` paths; empty when a file is reached more than
    // one way (two crates sharing a module file): then those paths are unknown.
    std::string parent;
    std::string crate;
    bool ambiguous = false;
  };
  std::unordered_map<std::string, RustFile> rustTree_;

  // Java/Kotlin/Scala/Groovy source files anywhere on disk under the root
  // (generated sources included), "dir/Name" without extension; listed on the
  // first miss only.
  mutable std::once_flag jvmOnce_;
  mutable std::unordered_set<std::string> jvmSources_;
};

std::string normalizePath(const std::string& path);  // folds "." and ".."; "" if it escapes the root

}  // namespace cadre::analysis
