// Per-language import resolution; see resolve.hpp.
#include "server/analysis/paths.hpp"
#include "server/analysis/resolve.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <sstream>

#include "support/jsonc.hpp"

namespace cadre::analysis {
namespace fs = std::filesystem;

namespace {


std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}


std::string dotsToSlashes(std::string s) {
  std::replace(s.begin(), s.end(), '.', '/');
  return s;
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Folds "." and ".."; false when the path climbs above the root.
bool foldPath(const std::string& path, std::string& out) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  out.clear();
  for (const auto& p : parts) out = join(out, p);
  return true;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Resolution project(std::string file) {
  Resolution r;
  r.kind = Resolution::Kind::Project;
  if (!file.empty()) r.files.push_back(std::move(file));
  return r;
}
Resolution external() { return Resolution{Resolution::Kind::External, {}, {}}; }
Resolution unknown() { return Resolution{Resolution::Kind::Unknown, {}, {}}; }
Resolution unresolved(std::string detail) { return Resolution{Resolution::Kind::Unresolved, {}, std::move(detail)}; }

// --- JavaScript / TypeScript ---------------------------------------------

// What TypeScript and bundlers append to an extensionless specifier, in
// TypeScript's order (sources before declarations before JavaScript).
constexpr const char* kScriptExts[] = {".ts", ".tsx", ".d.ts", ".mts", ".d.mts", ".cts", ".d.cts",
                                       ".js", ".jsx", ".mjs", ".cjs", ".json"};

// Directory names that hold build output: a relative import into one that
// does not exist yet is a build that has not run, not a broken import.
bool isBuildOutputDir(const std::string& name) {
  static const std::set<std::string> names = {"dist",   "build",     "out",           "output",     "lib",     "es",
                                              "esm",    "cjs",       "umd",           "gen",        "generated", "__generated__",
                                              ".generated", "target", "Release",      "Debug",      ".next",   "types"};
  return names.count(name) != 0;
}

// A package.json's entry points, most specific first: `types`, `exports`
// (the "." entry or the sugar forms, every condition), `module`, `main`.
void collectExportTargets(const nlohmann::json& e, std::vector<std::string>& out, int depth) {
  if (depth > 4) return;
  if (e.is_string()) {
    out.push_back(e.get<std::string>());
  } else if (e.is_array()) {
    for (const auto& x : e) collectExportTargets(x, out, depth + 1);
  } else if (e.is_object()) {
    for (const auto& [key, value] : e.items()) {
      if (!key.empty() && key[0] == '.' && key != ".") continue;  // a subpath, not the package itself
      collectExportTargets(value, out, depth + 1);
    }
  }
}

std::vector<std::string> packageEntryPoints(const nlohmann::json& pkg) {
  std::vector<std::string> out;
  if (!pkg.is_object()) return out;
  for (const char* field : {"types", "typings"}) {
    if (pkg.contains(field) && pkg[field].is_string()) out.push_back(pkg[field].get<std::string>());
  }
  if (pkg.contains("exports")) collectExportTargets(pkg["exports"], out, 0);
  for (const char* field : {"module", "main"}) {
    if (pkg.contains(field) && pkg[field].is_string()) out.push_back(pkg[field].get<std::string>());
  }
  return out;
}

// The npm package a bare specifier names: "a" of "a/b", "@s/a" of "@s/a/b".
std::string packageName(const std::string& specifier) {
  auto slash = specifier.find('/');
  if (!specifier.empty() && specifier[0] == '@' && slash != std::string::npos) slash = specifier.find('/', slash + 1);
  return slash == std::string::npos ? specifier : specifier.substr(0, slash);
}

// --- C / C++ -------------------------------------------------------------

// compile_commands.json's "command" string split as a shell would (quotes
// and backslash escapes; no expansion).
std::vector<std::string> splitCommand(const std::string& command) {
  std::vector<std::string> out;
  std::string word;
  bool inWord = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < command.size()) word += command[++i];
      else word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      inWord = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word += command[++i];
      inWord = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (inWord) out.push_back(std::move(word));
      word.clear();
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push_back(std::move(word));
  return out;
}

// The compiler's own include directories: a quoted include falls back to them
// (`#include "zlib.h"` finds /usr/include/zlib.h). Listed once per process.
const std::vector<fs::path>& systemIncludeDirs() {
  static const std::vector<fs::path> dirs = [] {
    std::vector<fs::path> out = {"/usr/local/include", "/usr/include"};
    std::error_code ec;
    auto addMatching = [&](const fs::path& parent, auto&& accept) {
      for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec) && accept(it->path().filename().string())) out.push_back(it->path());
      }
      ec.clear();
    };
    addMatching("/usr/include", [](const std::string& n) { return n.find("-linux-") != std::string::npos; });
    for (const fs::path base : {"/usr/include/c++", "/usr/lib/gcc/x86_64-linux-gnu", "/usr/lib/gcc/aarch64-linux-gnu"}) {
      std::vector<fs::path> versions;
      for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) versions.push_back(it->path());
      ec.clear();
      for (const auto& v : versions) {
        out.push_back(v);
        out.push_back(v / "include");
        out.push_back(v / "include-fixed");
      }
    }
    return out;
  }();
  return dirs;
}

// Whether byte `offset` of C/C++ `text` sits inside a preprocessor
// conditional (`#if`, `#ifdef`, `#ifndef`, `#else`...) other than the file's
// include guard: an include there may be meant for another platform or
// configuration, or exist only when a generated config says so.
bool insidePreprocessorConditional(std::string_view text, std::size_t offset) {
  std::vector<bool> guards;  // one per open conditional: is it an include guard?
  auto directiveOf = [](std::string_view line, std::string_view& rest) {
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line[i] != '#') return std::string_view();
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string_view::npos) return std::string_view();
    std::size_t j = i;
    while (j < line.size() && std::isalpha(static_cast<unsigned char>(line[j]))) ++j;
    rest = line.substr(j);
    return line.substr(i, j - i);
  };
  auto firstWord = [](std::string_view s) {
    std::size_t i = s.find_first_not_of(" \t(!");
    if (i == std::string_view::npos) return std::string_view();
    std::size_t j = i;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    return s.substr(i, j - i);
  };
  std::size_t pos = 0;
  while (pos < offset && pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view rest;
    const std::string_view d = directiveOf(text.substr(pos, eol - pos), rest);
    if (d == "if" || d == "ifdef" || d == "ifndef") {
      bool guard = false;
      if (guards.empty() && (d == "ifndef" || (d == "if" && rest.find("!") != std::string_view::npos))) {
        std::string_view macro = firstWord(rest);
        if (macro == "defined") macro = firstWord(rest.substr(rest.find("defined") + 7));
        // The next non-blank line defines the same macro.
        std::size_t next = eol + 1;
        while (next < text.size()) {
          std::size_t e = text.find('\n', next);
          if (e == std::string_view::npos) e = text.size();
          std::string_view line = text.substr(next, e - next);
          if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
            std::string_view defRest;
            guard = !macro.empty() && directiveOf(line, defRest) == "define" && firstWord(defRest) == macro;
            break;
          }
          next = e + 1;
        }
      }
      guards.push_back(guard);
    } else if (d == "endif") {
      if (!guards.empty()) guards.pop_back();
    } else if (d == "else" || d == "elif" || d == "elifdef" || d == "elifndef") {
      if (!guards.empty()) guards.back() = false;
    }
    pos = eol + 1;
  }
  return std::any_of(guards.begin(), guards.end(), [](bool g) { return !g; });
}

// --- Rust ----------------------------------------------------------------

// Whether the `mod` item at `offset` carries a `#[path = "..."]` attribute
// (or a `#[cfg_attr(..., path = ...)]`), which names its file explicitly: the
// attributes and comments between the previous item's end and this one.
bool rustModHasPathAttribute(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t from = 0;
  if (offset > 0) {
    const std::size_t boundary = text.find_last_of(";{}", offset - 1);
    if (boundary != std::string_view::npos) from = boundary + 1;
  }
  const std::string_view head = text.substr(from, offset - from);
  return head.find("#[path") != std::string_view::npos || head.find("cfg_attr") != std::string_view::npos;
}

// --- Java ----------------------------------------------------------------

// Class names that code generators put into a project's own packages: Android
// resources and build config, annotation processors (AutoValue, Dagger,
// Immutables, MapStruct, JPA metamodel), protobuf and gRPC.
bool looksGenerated(const std::string& name) {
  static const std::set<std::string> exact = {"R", "BR", "BuildConfig", "Manifest", "DataBinderMapperImpl"};
  if (exact.count(name)) return true;
  for (const char* prefix : {"AutoValue_", "AutoOneOf_", "Dagger", "Immutable", "Modifiable"}) {
    if (startsWith(name, prefix)) return true;
  }
  for (const char* suffix : {"_", "_Factory", "_MembersInjector", "Impl", "Binding", "Grpc", "OuterClass", "Proto", "Protos"}) {
    if (endsWith(name, suffix)) return true;
  }
  return false;
}

}  // namespace

std::string normalizePath(const std::string& path) {
  std::string out;
  return foldPath(path, out) ? out : std::string();
}

Resolver::Resolver(const ProjectIndex& index) : index_(index) {
  for (const auto& f : index.files()) {
    for (std::string d = dirOf(f.path); !d.empty() && dirs_.insert(d).second; d = dirOf(d)) {
    }
  }
  // Python source roots: the parent of each file's outermost package.
  std::set<std::string> roots = {""};
  for (const auto& f : index.files()) {
    if (f.language != "python") continue;
    std::string d = dirOf(f.path);
    while (!d.empty() && index.file(d + "/__init__.py")) d = dirOf(d);
    roots.insert(d);
  }
  pythonRoots_.assign(roots.begin(), roots.end());
  for (const auto& f : index.files()) {
    if (f.language != "python") continue;
    for (const auto& r : pythonRoots_) {
      if (!r.empty() && f.path.compare(0, r.size() + 1, r + "/") != 0) continue;
      std::string rest = r.empty() ? f.path : f.path.substr(r.size() + 1);
      auto slash = rest.find('/');
      std::string first = slash == std::string::npos ? rest.substr(0, rest.rfind('.')) : rest.substr(0, slash);
      if (!first.empty()) pythonTopLevel_.insert(first);
    }
  }
  loadTsConfig();
  loadCompileCommands();
  loadGoModules();
  buildRustModuleTree();
  for (const auto& f : index.files()) {
    if (f.language != "java") continue;
    javaFilesByName_.emplace(baseName(f.path), f.path);
    for (std::string d = dirOf(f.path); !d.empty(); d = dirOf(d)) {
      if (!javaDirs_.insert(d).second) break;
      javaDirsByName_.emplace(baseName(d), d);
    }
  }
}

bool Resolver::exists(const std::string& path) const {
  if (path.empty()) return false;
  if (index_.file(path)) return true;
  std::error_code ec;
  return fs::is_regular_file(index_.root() / path, ec);
}

bool Resolver::isDirOnDisk(const std::string& path) const {
  if (path.empty() || dirs_.count(path)) return true;
  std::error_code ec;
  return fs::is_directory(index_.root() / path, ec);
}

std::string Resolver::readProjectFile(const std::string& path) const { return readText(index_.root() / path); }

std::string Resolver::firstExisting(const std::vector<std::string>& candidates) const {
  for (const auto& c : candidates) {
    if (exists(c)) return c;
  }
  return {};
}

std::string Resolver::pythonModule(const std::string& dotted) const {
  const std::string rel = dotsToSlashes(dotted);
  for (const auto& r : pythonRoots_) {
    const std::string base = join(r, rel);
    if (index_.file(base + ".py")) return base + ".py";
    if (index_.file(base + ".pyi")) return base + ".pyi";
    if (index_.file(base + "/__init__.py")) return base + "/__init__.py";
    if (isDirectory(base)) return base + "/";  // a namespace package
  }
  return {};
}

bool Resolver::pythonBinds(const IndexedFile& target, const std::string& name) {
  static const std::set<std::string> implicit = {"__doc__",    "__name__",   "__file__",    "__spec__",   "__loader__",
                                                 "__package__", "__path__",  "__builtins__", "__cached__", "__dict__"};
  if (implicit.count(name)) return true;
  for (const auto& d : target.symbols().definitions) {
    if (d.parent < 0 && d.name == name) return true;
  }
  for (const auto& imp : target.symbols().imports) {
    for (const auto& n : imp.names) {
      if ((n.alias.empty() ? n.name : n.alias) == name) return true;
    }
    if (imp.names.empty()) {
      // `import a.b` binds a; `import a as b` binds b.
      const std::string bound = imp.namespaceAlias.empty() ? imp.module.substr(0, imp.module.find('.')) : imp.namespaceAlias;
      if (bound == name) return true;
    }
  }
  return false;
}

Resolution Resolver::resolve(const IndexedFile& from, const Import& imp) const {
  // Only Rust looks at the importing file's other symbols (inline modules):
  // the others need not decode them.
  static const FileSymbols kNone;
  return resolve(from, imp, from.language == "rust" ? from.symbols() : kNone);
}

Resolution Resolver::resolve(const IndexedFile& from, const Import& imp, const FileSymbols& symbols, const std::string* text) const {
  if (imp.module.empty()) return unknown();
  const std::string& lang = from.language;
  if (lang == "python") return resolvePython(from, imp, text);
  if (lang == "javascript" || lang == "typescript" || lang == "tsx") return resolveScript(from, imp);
  if (lang == "c" || lang == "cpp") return resolveInclude(from, imp, text);
  if (lang == "go") return resolveGo(from, imp);
  if (lang == "rust") return resolveRust(from, imp, symbols, text);
  if (lang == "java") return resolveJava(imp);
  if (lang == "lua") return resolveLua(imp);
  return unknown();
}

Resolution Resolver::resolvePython(const IndexedFile& from, const Import& imp, const std::string* text) const {
  const std::string& m = imp.module;
  if (m[0] == '.') {
    std::size_t dots = m.find_first_not_of('.');
    if (dots == std::string::npos) dots = m.size();
    std::string dir = dirOf(from.path);
    for (std::size_t k = 1; k < dots; ++k) {
      if (dir.empty()) return unresolved("`" + m + "` climbs above the project root from " + from.path);
      dir = dirOf(dir);
    }
    const std::string base = join(dir, dotsToSlashes(m.substr(dots)));
    if (dots == m.size()) {  // `from . import x`: the package itself
      if (index_.file(join(base, "__init__.py"))) return project(join(base, "__init__.py"));
      return project({});
    }
    for (const auto& c : {base + ".py", base + ".pyi", base + "/__init__.py"}) {
      if (index_.file(c)) return project(c);
    }
    if (isDirectory(base)) return project({});
    // `from .six.moves import x`: a module on the way binds the next name.
    std::string at = dir;
    const std::string rest = m.substr(dots);
    for (std::size_t i = 0, dot; (dot = rest.find('.', i)) != std::string::npos; i = dot + 1) {
      at = join(at, rest.substr(i, dot - i));
      const std::string next = rest.substr(dot + 1, rest.find('.', dot + 1) - dot - 1);
      for (const auto& c : {at + ".py", at + ".pyi", at + "/__init__.py"}) {
        if (const IndexedFile* f = index_.file(c); f && (pythonBinds(*f, next) || pythonExtendsPath(*f))) return unknown();
      }
    }
    if (pythonMissIsUnsure(from, imp, {base}, text)) return unknown();
    return unresolved("no module " + base + ".py or package " + base + "/ next to " + from.path);
  }
  const std::string first = m.substr(0, m.find('.'));
  if (!pythonTopLevel_.count(first)) return external();
  const std::string found = pythonModule(m);
  if (found.empty()) {
    for (std::size_t dot = m.find('.'); dot != std::string::npos; dot = m.find('.', dot + 1)) {
      const std::string prefix = pythonModule(m.substr(0, dot));
      if (prefix.empty()) continue;
      // A namespace package (no __init__.py, or one that extends its
      // __path__): other distributions add to it.
      if (prefix.back() == '/') return unknown();
      const IndexedFile* f = index_.file(prefix);
      if (!f) continue;
      if (endsWith(prefix, "/__init__.py") && pythonExtendsPath(*f)) return unknown();
      // `import os.path`: os binds `path` and registers it as a submodule at
      // run time (sys.modules); six's package does the same for six.moves.
      const std::string next = m.substr(dot + 1, m.find('.', dot + 1) - dot - 1);
      if (pythonBinds(*f, next)) return unknown();
    }
    std::vector<std::string> bases;
    for (const auto& r : pythonRoots_) bases.push_back(join(r, dotsToSlashes(m)));
    if (pythonMissIsUnsure(from, imp, bases, text)) return unknown();
    return unresolved("`" + first + "` is a module of this project, but it has no " + dotsToSlashes(m) + ".py or " + dotsToSlashes(m) + "/");
  }
  if (found.back() == '/') return project({});
  return project(found);
}

bool Resolver::pythonExtendsPath(const IndexedFile& init) {
  for (const auto& r : init.symbols().references) {
    if (r.name == "extend_path" || r.name == "declare_namespace") return true;
  }
  return false;
}

bool Resolver::pythonMissIsUnsure(const IndexedFile& from, const Import& imp, const std::vector<std::string>& bases,
                                  const std::string* text) const {
  // A compiled extension module: x.cpython-311-x86_64-linux-gnu.so, x.pyd.
  for (const auto& base : bases) {
    if (pythonExtensionModule(base)) return true;
  }
  return pythonOptionalImport(from.path, imp, text);
}

bool Resolver::pythonExtensionModule(const std::string& base) const {
  const std::string name = baseName(base) + ".";
  std::error_code ec;
  for (fs::directory_iterator it(index_.root() / dirOf(base), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (startsWith(entry, name) && (endsWith(entry, ".so") || endsWith(entry, ".pyd"))) return true;
  }
  return false;
}

bool Resolver::pythonOptionalImport(const std::string&, const Import& imp, const std::string*) const {
  // An optional import: in a `try:` (or its `except ImportError:` fallback),
  // or under `with suppress(ImportError):`. Failing there is planned for (a
  // C speedup, a backport, a module a trimmed distribution leaves out). The
  // extractor marks it from the syntax tree, so it holds for unsaved text too.
  return imp.optional;
}

// --- JavaScript / TypeScript ---------------------------------------------

void Resolver::loadTsConfig() {
  // tsconfig.json (or a JavaScript project's jsconfig.json) at the root, and
  // the local configs it extends: compilerOptions.baseUrl and paths, each
  // from the nearest config that sets it. A config extended from a package
  // (`"extends": "@tsconfig/node20"`) is not followed.
  fs::path file;
  for (const char* name : {"tsconfig.json", "jsconfig.json"}) {
    if (fs::exists(index_.root() / name)) {
      file = name;
      break;
    }
  }
  bool havePaths = false;
  for (int depth = 0; !file.empty() && depth < 8; ++depth) {
    std::string rel;
    std::error_code ec;
    if (!foldPath(file.generic_string(), rel) || !fs::is_regular_file(index_.root() / rel, ec)) break;
    auto j = parseJsonc(readText(index_.root() / rel));
    if (!j || !j->is_object()) break;
    const std::string dir = dirOf(rel);
    const auto opts = j->value("compilerOptions", nlohmann::json::object());
    if (opts.is_object()) {
      if (!tsHasBaseUrl_ && opts.contains("baseUrl") && opts["baseUrl"].is_string()) {
        tsHasBaseUrl_ = true;
        tsBaseUrl_ = normalizePath(join(dir, opts["baseUrl"].get<std::string>()));
      }
      if (!havePaths && opts.contains("paths") && opts["paths"].is_object()) {
        havePaths = true;
        tsPathsBase_ = dir;
        for (const auto& [pattern, targets] : opts["paths"].items()) {
          TsPath p{pattern, {}};
          if (targets.is_array()) {
            for (const auto& t : targets) {
              if (t.is_string()) p.targets.push_back(t.get<std::string>());
            }
          }
          tsPaths_.push_back(std::move(p));
        }
      }
    }
    file.clear();
    if (j->contains("extends")) {
      const auto& ext = (*j)["extends"];
      // TypeScript 5 takes an array; the last one wins, so it is the nearest.
      const nlohmann::json* e = ext.is_array() && !ext.empty() ? &ext.back() : &ext;
      if (e->is_string()) {
        std::string target = e->get<std::string>();
        if (startsWith(target, "./") || startsWith(target, "../")) {
          if (!endsWith(target, ".json")) target += ".json";
          file = join(dir, target);
        }
      }
    }
  }
  if (tsHasBaseUrl_) tsPathsBase_ = tsBaseUrl_;
  // TypeScript uses the pattern with the longest prefix before its `*`; an
  // exact pattern beats them all.
  std::stable_sort(tsPaths_.begin(), tsPaths_.end(), [](const TsPath& a, const TsPath& b) {
    const auto sa = a.pattern.find('*'), sb = b.pattern.find('*');
    if ((sa == std::string::npos) != (sb == std::string::npos)) return sa == std::string::npos;
    return (sa == std::string::npos ? a.pattern.size() : sa) > (sb == std::string::npos ? b.pattern.size() : sb);
  });
}

Resolver::ScriptTarget Resolver::scriptFile(const std::string& base, bool fromTypeScript, bool followPackageJson) const {
  // TypeScript's ESM convention: `./x.js` names the source `x.ts` (or its
  // declarations, `x.d.ts`); TypeScript looks there before at x.js itself.
  static const std::pair<const char*, std::vector<const char*>> swaps[] = {
      {".js", {".ts", ".tsx", ".d.ts"}}, {".jsx", {".tsx", ".d.ts"}}, {".mjs", {".mts", ".d.mts"}}, {".cjs", {".cts", ".d.cts"}}};
  auto swapped = [&]() -> std::string {
    for (const auto& [js, tss] : swaps) {
      if (!endsWith(base, js)) continue;
      const std::string stem = base.substr(0, base.size() - std::string_view(js).size());
      for (const char* ts : tss) {
        if (exists(stem + ts)) return stem + ts;
      }
    }
    return {};
  };
  if (fromTypeScript) {
    if (auto hit = swapped(); !hit.empty()) return {hit};
  }
  if (exists(base)) return {base};
  for (const char* e : kScriptExts) {
    if (exists(base + e)) return {base + e};
  }
  if (!fromTypeScript) {
    if (auto hit = swapped(); !hit.empty()) return {hit};
  }
  if (!isDirOnDisk(base)) return {};
  // A directory: its package.json entry point, else its index file.
  if (followPackageJson && exists(join(base, "package.json"))) {
    auto pkg = parseJsonc(readProjectFile(join(base, "package.json")));
    const auto entries = pkg ? packageEntryPoints(*pkg) : std::vector<std::string>{};
    for (const auto& entry : entries) {
      std::string target;
      if (!foldPath(join(base, entry), target) || target == base) continue;
      if (auto hit = scriptFile(target, fromTypeScript, false); !hit.file.empty()) return hit;
    }
    // The entry point is a build product that does not exist yet.
    if (!entries.empty()) return {{}, true};
  }
  for (const char* e : kScriptExts) {
    const std::string index = join(base, std::string("index") + e);
    if (exists(index)) return {index};
  }
  return {};
}

bool Resolver::scriptMissIsUnsure(const std::string& base) const {
  const std::string name = baseName(base);
  // Native addons and WebAssembly: build products.
  if (endsWith(name, ".node") || endsWith(name, ".wasm")) return true;
  // A directory on the way that does not exist and is named like build output.
  std::string prefix;
  for (std::size_t i = 0; i <= base.size();) {
    std::size_t j = base.find('/', i);
    if (j == std::string::npos) break;  // the last segment is the file
    prefix = base.substr(0, j);
    if (!isDirOnDisk(prefix)) {
      if (isBuildOutputDir(base.substr(i, j - i))) return true;
      break;
    }
    i = j + 1;
  }
  // A sibling named like it with more after a dot (x.vue, x.svelte, x.css,
  // React Native's x.ios.ts and x.native.js): a bundler's resolve.extensions
  // or platform suffixes find it.
  std::error_code ec;
  const fs::path dir = index_.root() / dirOf(base);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (entry.size() > name.size() + 1 && startsWith(entry, name) && entry[name.size()] == '.') return true;
  }
  return false;
}

bool Resolver::nodeModulesHas(const std::string& fromDir, const std::string& specifier) const {
  const std::string pkg = packageName(specifier);
  if (pkg.empty()) return false;
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(index_.root() / fromDir, ec);
  if (ec) return false;
  for (int depth = 0; depth < 64; ++depth) {
    if (fs::exists(dir / "node_modules" / pkg, ec)) return true;
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return false;
}

Resolution Resolver::resolveScript(const IndexedFile& from, const Import& imp) const {
  std::string s = imp.module;
  const bool fromTypeScript = from.language != "javascript";
  if (s == "." || s == ".." || startsWith(s, "./") || startsWith(s, "../")) {
    // Bundler queries and loaders' suffixes: `./worker.js?worker`, `./a.svg?raw`.
    if (auto q = s.find('?'); q != std::string::npos) s.erase(q);
    std::string base;
    // Above the root: outside what cadre was asked to look at.
    if (!foldPath(join(dirOf(from.path), s), base)) return unknown();
    const ScriptTarget hit = scriptFile(base, fromTypeScript);
    if (!hit.file.empty()) return project(hit.file);
    if (hit.unsure || scriptMissIsUnsure(base)) return unknown();
    return unresolved("no file " + (base.empty() ? std::string(".") : base) + " (with .ts, .tsx, .d.ts, .js, ... or /index.*)");
  }
  if (s[0] == '/') return unknown();
  for (const auto& [pattern, targets] : tsPaths_) {
    std::string captured;
    const auto star = pattern.find('*');
    if (star == std::string::npos) {
      if (s != pattern) continue;
    } else {
      const std::string pre = pattern.substr(0, star), post = pattern.substr(star + 1);
      if (s.size() < pre.size() + post.size() || !startsWith(s, pre) || !endsWith(s, post)) continue;
      captured = s.substr(pre.size(), s.size() - pre.size() - post.size());
    }
    bool unsure = false;
    for (std::string t : targets) {
      if (auto st = t.find('*'); st != std::string::npos) t.replace(st, 1, captured);
      std::string base;
      // `${configDir}` (TypeScript 5.5), a target above the root or in
      // node_modules (installed, or not yet): not cadre's to judge.
      if (t.find("${") != std::string::npos || t.find("node_modules") != std::string::npos || !foldPath(join(tsPathsBase_, t), base)) {
        unsure = true;
        continue;
      }
      const ScriptTarget hit = scriptFile(base, fromTypeScript);
      if (!hit.file.empty()) return project(hit.file);
      unsure = unsure || hit.unsure || scriptMissIsUnsure(base);
    }
    // Only the most specific pattern is tried; when none of its targets
    // exists TypeScript goes on to node_modules. A catch-all `*` says nothing
    // about where the module should be.
    if (star != std::string::npos && pattern == "*") break;
    if (unsure) return unknown();
    if (nodeModulesHas(dirOf(from.path), s)) return external();
    return unresolved("`" + s + "` matches tsconfig paths \"" + pattern + "\" but none of its targets exists");
  }
  if (tsHasBaseUrl_) {
    std::string base;
    if (foldPath(join(tsBaseUrl_, s), base)) {
      if (const ScriptTarget hit = scriptFile(base, fromTypeScript); !hit.file.empty()) return project(hit.file);
    }
  }
  return external();
}

// --- C / C++ -------------------------------------------------------------

void Resolver::loadCompileCommands() {
  // compile_commands.json (at the root or in build/): the include directories
  // (-I, -iquote, -isystem, -idirafter) and the files it compiles.
  const fs::path root = index_.root();
  std::error_code ec;
  const fs::path canonicalRoot = fs::weakly_canonical(root, ec);
  for (const fs::path& db : {root / "compile_commands.json", root / "build" / "compile_commands.json"}) {
    if (!fs::exists(db)) continue;
    auto j = parseJsonc(readText(db));
    if (!j || !j->is_array()) continue;
    knowsIncludeDirs_ = true;
    std::set<std::string> dirs, outside;
    auto relative = [&](const fs::path& p, std::string& out) {
      std::error_code e;
      fs::path rel = fs::weakly_canonical(p, e).lexically_relative(canonicalRoot);
      if (e || rel.empty() || rel.native().rfind("..", 0) == 0) return false;
      out = rel == "." ? std::string() : rel.generic_string();
      return true;
    };
    for (const auto& entry : *j) {
      if (!entry.is_object()) continue;
      // A relative "directory" is taken from the database's own directory.
      fs::path directory = entry.value("directory", std::string());
      if (directory.is_relative()) directory = db.parent_path() / directory;
      std::vector<std::string> args;
      if (entry.contains("arguments") && entry["arguments"].is_array()) {
        for (const auto& a : entry["arguments"]) {
          if (a.is_string()) args.push_back(a.get<std::string>());
        }
      } else if (entry.contains("command") && entry["command"].is_string()) {
        args = splitCommand(entry["command"].get<std::string>());
      }
      // MSVC-style drivers also take /I.
      const std::string driver = args.empty() ? std::string() : fs::path(args[0]).stem().string();
      const bool msvc = driver == "cl" || driver == "clang-cl";
      bool incomplete = false;
      for (std::size_t k = 0; k < args.size(); ++k) {
        // A response file holds flags cadre does not read.
        if (k > 0 && !args[k].empty() && args[k][0] == '@') incomplete = true;
        std::string dir;
        for (const char* flag : {"-I", "-iquote", "-isystem", "-idirafter", "--include-directory", "/I"}) {
          if (flag[0] == '/' && !msvc) continue;
          const std::string f = flag;
          if (args[k] == f && k + 1 < args.size()) dir = args[k + 1];
          else if (args[k].compare(0, f.size(), f) == 0 && args[k].size() > f.size()) dir = args[k].substr(args[k][f.size()] == '=' ? f.size() + 1 : f.size());
          if (!dir.empty()) break;
        }
        if (dir.empty()) continue;
        const fs::path p = fs::path(dir).is_absolute() ? fs::path(dir) : directory / dir;
        std::string rel;
        if (relative(p, rel)) dirs.insert(rel);
        else outside.insert(p.lexically_normal().string());
        // An include directory the build has not made yet (generated headers).
        std::error_code e;
        if (!fs::is_directory(p, e)) incomplete = true;
      }
      if (entry.contains("file") && entry["file"].is_string()) {
        fs::path file = entry["file"].get<std::string>();
        if (file.is_relative()) file = directory / file;
        // Compiled twice (two configurations): one complete entry is enough.
        if (std::string rel; relative(file, rel) && !rel.empty()) {
          auto [it, added] = compiled_.emplace(rel, incomplete);
          if (!added) it->second = it->second && incomplete;
        }
      }
    }
    includeDirs_.assign(dirs.begin(), dirs.end());
    outsideIncludeDirs_.assign(outside.begin(), outside.end());
    break;
  }
  if (!knowsIncludeDirs_) return;
  // Headers take the include path of the files that include them: walk the
  // includes out from the compiled files.
  // A header is checked with the include path of a complete file that
  // reaches it; reached only from incomplete ones, it is incomplete too.
  for (const bool fromComplete : {true, false}) {
    std::deque<std::string> queue;
    for (const auto& [file, incomplete] : compiled_) {
      if (incomplete != fromComplete) queue.push_back(file);
    }
    while (!queue.empty()) {
      const IndexedFile* f = index_.file(queue.front());
      queue.pop_front();
      if (!f || (f->language != "c" && f->language != "cpp")) continue;
      for (const auto& imp : f->symbols().imports) {
        const std::string hit = findInclude(f->path, imp);
        if (!hit.empty() && index_.file(hit) && compiled_.emplace(hit, !fromComplete).second) queue.push_back(hit);
      }
    }
  }
}

std::string Resolver::findInclude(const std::string& fromPath, const Import& imp) const {
  std::vector<std::string> candidates;
  if (!imp.system) candidates.push_back(normalizePath(join(dirOf(fromPath), imp.module)));
  candidates.push_back(normalizePath(imp.module));
  for (const auto& d : includeDirs_) candidates.push_back(normalizePath(join(d, imp.module)));
  return firstExisting(candidates);
}

bool Resolver::foundOutsideProject(const std::string& header) const {
  std::error_code ec;
  for (const auto& d : outsideIncludeDirs_) {
    if (fs::exists(fs::path(d) / header, ec)) return true;
  }
  for (const auto& d : systemIncludeDirs()) {
    if (fs::exists(d / header, ec)) return true;
  }
  return false;
}

Resolution Resolver::resolveInclude(const IndexedFile& from, const Import& imp, const std::string* given) const {
  if (auto hit = findInclude(from.path, imp); !hit.empty()) return project(hit);
  // Without compile_commands.json the include path is unknown: a header that
  // is not found may well be generated or installed; say nothing. The same
  // for a file it does not compile (nor reach): a test snippet, another
  // platform's source.
  if (imp.system || !knowsIncludeDirs_) return external();
  const auto compiled = compiled_.find(from.path);
  if (compiled == compiled_.end()) return unknown();
  // A quoted include falls back to the system's directories.
  if (foundOutsideProject(imp.module)) return external();
  // The build has not run (the header may be generated into a directory
  // that does not exist yet), or the flags are in a response file.
  if (compiled->second) return unknown();
  const std::string text = given ? *given : readProjectFile(from.path);
  const Span& at = imp.moduleSpan;
  if (at.startByte + 1 + imp.module.size() > text.size() || text.compare(at.startByte + 1, imp.module.size(), imp.module) != 0) {
    return unknown();  // not the text the import came from: whether it is conditional is unknown
  }
  if (insidePreprocessorConditional(text, at.startByte)) return unknown();
  return unresolved("no " + imp.module + " next to " + from.path + ", at the root, or in the include directories of compile_commands.json");
}

// --- Go --------------------------------------------------------------------

void Resolver::loadGoModules() {
  std::vector<std::string> candidates = {""};
  for (const auto& f : index_.files()) {
    if (f.language == "go") goPackageDirs_.insert(dirOf(f.path));
  }
  if (goPackageDirs_.empty()) return;
  candidates.insert(candidates.end(), dirs_.begin(), dirs_.end());
  for (const auto& dir : candidates) {
    const fs::path mod = index_.root() / join(dir, "go.mod");
    std::error_code ec;
    if (!fs::is_regular_file(mod, ec)) continue;
    std::istringstream in(readText(mod));
    for (std::string line; std::getline(in, line);) {
      if (auto c = line.find("//"); c != std::string::npos) line.erase(c);
      std::istringstream words(line);
      std::string keyword, path;
      if (!(words >> keyword >> path) || keyword != "module") continue;
      if (path.size() >= 2 && (path.front() == '"' || path.front() == '`')) path = path.substr(1, path.size() - 2);
      goModules_[dir] = path;
      break;
    }
  }
}

Resolution Resolver::resolveGo(const IndexedFile& from, const Import& imp) const {
  // The go tool ignores testdata/ and directories starting with _ or .
  for (std::string d = dirOf(from.path); !d.empty(); d = dirOf(d)) {
    const std::string name = baseName(d);
    if (name == "testdata" || name[0] == '_' || name[0] == '.') return unknown();
  }
  // The module the file belongs to: its nearest go.mod. Only that module's
  // own packages can be checked; another module's come from its required
  // version, which may differ from the tree here.
  const std::string* modDir = nullptr;
  const std::string* modPath = nullptr;
  for (std::string d = dirOf(from.path);; d = dirOf(d)) {
    if (auto it = goModules_.find(d); it != goModules_.end()) {
      modDir = &it->first;
      modPath = &it->second;
      break;
    }
    if (d.empty()) break;
  }
  if (!modPath) return external();
  const std::string& m = imp.module;
  if (m == *modPath) return project({});
  if (m.compare(0, modPath->size() + 1, *modPath + "/") != 0) return external();
  const std::string dir = join(*modDir, m.substr(modPath->size() + 1));
  if (goPackageDirs_.count(dir)) return project({});
  std::error_code ec;
  for (fs::directory_iterator it(index_.root() / dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".go") return project({});
  }
  // A directory on the way that is a module of its own: not this module's.
  for (std::string d = dir; d.size() > modDir->size(); d = dirOf(d)) {
    if (goModules_.count(d)) return unknown();
    if (d.empty()) break;
  }
  return unresolved("module " + *modPath + " (" + join(*modDir, "go.mod") + ") has no package directory " + dir + "/");
}

// --- Rust ------------------------------------------------------------------

std::vector<std::string> Resolver::rustChildDirs(const std::string& path) const {
  // Children of a crate root or a mod.rs live beside it; of src/a.rs, in src/a/.
  std::vector<std::string> out;
  auto it = rustTree_.find(path);
  const std::string name = baseName(path);
  const bool besideIt = name == "mod.rs" || (it != rustTree_.end() && it->second.root);
  const bool inOwnDir = name != "mod.rs" && (it == rustTree_.end() || it->second.child);
  if (besideIt) out.push_back(dirOf(path));
  if (inOwnDir) out.push_back(join(dirOf(path), name.substr(0, name.size() - 3)));
  return out;
}

void Resolver::buildRustModuleTree() {
  // Crate roots: cargo's conventional targets, and any file a Cargo.toml
  // names with `path = "..."`.
  std::deque<std::string> queue;
  auto addRoot = [&](const std::string& path) {
    if (!index_.file(path)) return;
    auto& entry = rustTree_[path];
    if (!entry.root) queue.push_back(path);
    entry.root = true;
    entry.crate = path;
  };
  bool anyRust = false;
  for (const auto& f : index_.files()) {
    if (f.language != "rust") continue;
    anyRust = true;
    const std::string name = baseName(f.path), parent = baseName(dirOf(f.path));
    if (name == "lib.rs" || name == "main.rs" || name == "build.rs" || parent == "bin" || parent == "tests" || parent == "examples" ||
        parent == "benches") {
      addRoot(f.path);
    }
  }
  if (!anyRust) return;
  std::vector<std::string> crateDirs = {""};
  crateDirs.insert(crateDirs.end(), dirs_.begin(), dirs_.end());
  for (const auto& dir : crateDirs) {
    std::error_code ec;
    if (!fs::is_regular_file(index_.root() / join(dir, "Cargo.toml"), ec)) continue;
    std::istringstream in(readText(index_.root() / join(dir, "Cargo.toml")));
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string key, eq, value;
      if (!(words >> key >> eq) || key != "path" || eq != "=" || !std::getline(words, value)) continue;
      const auto open = value.find('"'), close = value.rfind('"');
      if (open == std::string::npos || close <= open) continue;
      const std::string target = value.substr(open + 1, close - open - 1);
      if (endsWith(target, ".rs")) addRoot(normalizePath(join(dir, target)));
    }
  }
  while (!queue.empty()) {
    const std::string path = queue.front();
    queue.pop_front();
    const IndexedFile* f = index_.file(path);
    if (!f) continue;
    for (const auto& imp : f->symbols().imports) {
      if (imp.statement != "mod_item") continue;
      for (const auto& dir : rustChildDirs(path)) {
        for (const std::string& c : {join(dir, imp.module + ".rs"), join(dir, imp.module + "/mod.rs")}) {
          if (!index_.file(c)) continue;
          auto& entry = rustTree_[c];
          const std::string& crate = rustTree_[path].crate;
          if (!entry.child) {
            entry.child = true;
            entry.parent = path;
            // A crate root by its place (src/tests/x.rs looks like cargo's
            // tests/x.rs) that is also some module: which crate it is in is unsure.
            if (entry.root) entry.ambiguous = true;
            if (entry.crate.empty()) entry.crate = crate;
            queue.push_back(c);
          } else if (entry.parent != path || entry.crate != crate) {
            entry.ambiguous = true;
          }
        }
      }
    }
  }
}

std::string Resolver::rustChildModule(const std::string& path, const std::string& name) const {
  const IndexedFile* f = index_.file(path);
  if (!f) return {};
  for (const auto& imp : f->symbols().imports) {
    if (imp.statement != "mod_item" || imp.module != name) continue;
    for (const auto& dir : rustChildDirs(path)) {
      for (const std::string& c : {join(dir, name + ".rs"), join(dir, name + "/mod.rs")}) {
        if (rustTree_.count(c)) return c;
      }
    }
  }
  return {};
}

static bool rustNamesUnsure(const IndexedFile& f) {
  if (!f.skipReason.empty() || f.symbols().timedOut || f.symbols().syntaxErrors > 0) return true;
  for (const auto& imp : f.symbols().imports) {
    if (imp.wildcard) return true;
  }
  // A macro invoked outside any function (`bitflags! { ... }`,
  // `include!(...)`) may define items no query sees.
  for (const auto& r : f.symbols().references) {
    if (r.kind != ReferenceKind::Macro) continue;
    const bool inBody = std::any_of(f.symbols().definitions.begin(), f.symbols().definitions.end(), [&](const Definition& d) {
      return (d.kind == SymbolKind::Function || d.kind == SymbolKind::Method) && d.span.startByte <= r.span.startByte &&
             r.span.endByte <= d.span.endByte;
    });
    if (!inBody) return true;
  }
  return false;
}

static bool rustBinds(const IndexedFile& f, const std::string& name) {
  for (const auto& d : f.symbols().definitions) {
    if (d.parent < 0 && d.name == name) return true;
  }
  auto lastSegment = [](const std::string& path) {
    const auto colons = path.rfind("::");
    return colons == std::string::npos ? path : path.substr(colons + 2);
  };
  for (const auto& imp : f.symbols().imports) {
    if (imp.namespaceAlias == name) return true;
    if (imp.names.empty() && imp.namespaceAlias.empty() && lastSegment(imp.module) == name) return true;  // `use a::b;`, `mod b;`
    for (const auto& n : imp.names) {
      if ((!n.alias.empty() ? n.alias : n.name == "self" ? lastSegment(imp.module) : n.name) == name) return true;
    }
  }
  return false;
}

bool Resolver::rustNameAvailable(const IndexedFile& target, const std::string& name) const {
  if (rustNamesUnsure(target) || rustBinds(target, name)) return true;
  // `#[macro_export]` puts a macro at its crate's root, whichever file defines it.
  for (const auto& f : index_.files()) {
    if (f.language != "rust") continue;
    for (const auto& d : f.symbols().definitions) {
      if (d.kind == SymbolKind::Macro && d.name == name) return true;
    }
  }
  return false;
}

Resolution Resolver::resolveRustUse(const IndexedFile& from, const Import& imp, const FileSymbols& symbols) const {
  // Inside an inline `mod m { ... }`, `self` and `super` are relative to m,
  // which has no file of its own.
  for (const auto& d : symbols.definitions) {
    if (d.kind == SymbolKind::Module && d.span.startByte < imp.span.startByte && imp.span.endByte <= d.span.endByte) return unknown();
  }
  std::vector<std::string> segs;
  for (std::size_t at = 0;;) {
    const std::size_t colons = imp.module.find("::", at);
    segs.push_back(imp.module.substr(at, colons == std::string::npos ? std::string::npos : colons - at));
    if (colons == std::string::npos) break;
    at = colons + 2;
  }
  static const std::set<std::string> toolchainCrates = {"std", "core", "alloc", "proc_macro", "test"};
  if (segs.front().empty() || toolchainCrates.count(segs.front())) return external();  // `::dep::x` names an extern crate
  auto self = rustTree_.find(from.path);
  if (self == rustTree_.end()) return unknown();  // not compiled by any crate cadre can see
  std::string module = from.path;
  std::size_t i = 0;
  if (segs.front() == "crate") {
    // Up the declaring modules to the root; any file reached two ways on the
    // way (or a "root" that is also a module) leaves the crate unsure.
    for (int hops = 0;; ++hops) {
      auto it = rustTree_.find(module);
      if (it == rustTree_.end() || it->second.ambiguous || hops > 64) return unknown();
      if (it->second.parent.empty()) break;
      module = it->second.parent;
    }
    if (self->second.crate != module) return unknown();
    i = 1;
  } else if (segs.front() != "self" && segs.front() != "super") {
    // A bare first segment is an extern crate, an item in scope, or (2015
    // edition) a path from the crate root. Only a crate root's own module
    // reads the same in every edition.
    if (!self->second.root || rustChildModule(from.path, segs.front()).empty()) return unknown();
  }
  for (; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg == "self") continue;
    if (seg == "super") {
      auto it = rustTree_.find(module);
      if (it == rustTree_.end() || it->second.ambiguous || it->second.parent.empty()) return unknown();
      module = it->second.parent;
      continue;
    }
    const std::string child = rustChildModule(module, seg);
    if (!child.empty()) {
      module = child;
      continue;
    }
    // Not a file module: an inline module, a type (`Enum::Variant`), a
    // re-export, or missing.
    const IndexedFile* f = index_.file(module);
    if (!f || rustNamesUnsure(*f) || rustBinds(*f, seg)) return unknown();
    return unresolved(module + " declares no module `" + seg + "` and defines no `" + seg + "`");
  }
  return project(module);
}

bool Resolver::rustNestedName(const std::string& path, const Import& imp, const ImportedName& name, const std::string* text) const {
  const std::string owned = text ? std::string() : readProjectFile(path);
  const std::string& t = text ? *text : owned;
  std::size_t at = name.span.startByte;
  if (at > t.size() || imp.span.startByte > at) return true;  // not the text the import came from: unsure
  int depth = 0;  // of `{` lists at the name
  for (std::size_t i = imp.span.startByte; i < at; ++i) depth += t[i] == '{' ? 1 : t[i] == '}' ? -1 : 0;
  if (depth >= 2) return true;  // `use a::{b::{C}}`
  while (at > 0 && std::isspace(static_cast<unsigned char>(t[at - 1]))) --at;
  return depth == 1 && at >= 2 && t.compare(at - 2, 2, "::") == 0;  // `use a::{b::C}`
}

Resolution Resolver::resolveRust(const IndexedFile& from, const Import& imp, const FileSymbols& symbols, const std::string* given) const {
  if (imp.statement == "use_declaration") return resolveRustUse(from, imp, symbols);
  if (imp.statement != "mod_item") return unknown();  // `extern crate`: outside the project
  // A file outside every crate's module tree is not compiled (a snippet, a
  // fixture): where its children would live is unknown.
  if (!rustTree_.count(from.path)) return unknown();
  std::vector<std::string> tried;
  for (const auto& dir : rustChildDirs(from.path)) {
    const std::string a = join(dir, imp.module + ".rs"), b = join(dir, imp.module + "/mod.rs");
    if (index_.file(a)) return project(a);
    if (index_.file(b)) return project(b);
    tried.push_back(a);
    tried.push_back(b);
  }
  // `mod a { mod b; }` puts b in a/: not followed.
  for (const auto& d : symbols.definitions) {
    if (d.kind == SymbolKind::Module && d.span.startByte < imp.span.startByte && imp.span.endByte <= d.span.endByte) return unknown();
  }
  const std::string text = given ? *given : readProjectFile(from.path);
  if (imp.moduleSpan.startByte + imp.module.size() > text.size() || text.compare(imp.moduleSpan.startByte, imp.module.size(), imp.module) != 0) {
    return unknown();  // not the text the import came from: whether it has a #[path] is unknown
  }
  if (rustModHasPathAttribute(text, imp.span.startByte)) return unknown();
  std::string needs;
  for (std::size_t i = 0; i < tried.size(); ++i) needs += (i == 0 ? "" : i + 1 == tried.size() ? " or " : ", ") + tried[i];
  return unresolved("`mod " + imp.module + ";` needs " + needs);
}

// --- Java ------------------------------------------------------------------

bool Resolver::javaSourceOnDisk(const std::string& pkg, const std::string& name) const {
  std::call_once(jvmOnce_, [&] {
    std::error_code ec;
    std::size_t budget = 500000;  // entries: a bound on the walk of a huge tree
    for (fs::recursive_directory_iterator it(index_.root(), fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end && budget > 0; it.increment(ec), --budget) {
      const std::string fname = it->path().filename().string();
      if (it->is_directory(ec) && (fname == ".git" || fname == "node_modules")) {
        it.disable_recursion_pending();
        continue;
      }
      const std::string ext = it->path().extension().string();
      if (ext != ".java" && ext != ".kt" && ext != ".scala" && ext != ".groovy") continue;
      std::string rel = it->path().lexically_relative(index_.root()).generic_string();
      jvmSources_.insert(rel.substr(0, rel.size() - ext.size()));
    }
  });
  const std::string suffix = pkg + "/" + name;
  for (const auto& s : jvmSources_) {
    if (s == suffix || endsWith(s, "/" + suffix)) return true;
  }
  return false;
}

Resolution Resolver::resolveJava(const Import& imp) const {
  const std::string pkg = dotsToSlashes(imp.module);
  // Source roots are unknown (src/main/java/, module directories...): a
  // package is any directory path that ends with it.
  auto inProject = [&](const std::string& rel) {
    auto [lo, hi] = javaDirsByName_.equal_range(baseName(rel));
    for (auto it = lo; it != hi; ++it) {
      if (it->second == rel || endsWith(it->second, "/" + rel)) return true;
    }
    return false;
  };
  auto projectFile = [&](const std::string& rel) -> std::string {
    auto [lo, hi] = javaFilesByName_.equal_range(baseName(rel));
    for (auto it = lo; it != hi; ++it) {
      if (it->second == rel || endsWith(it->second, "/" + rel)) return it->second;
    }
    return {};
  };
  if (imp.wildcard || imp.names.empty()) return inProject(pkg) ? project({}) : external();
  const std::string& name = imp.names.front().name;
  if (auto hit = projectFile(pkg + "/" + name + ".java"); !hit.empty()) return project(hit);
  // A nested class or a static import's member: `a.b.C` is the class.
  if (auto hit = projectFile(pkg + ".java"); !hit.empty()) return project(hit);
  if (!inProject(pkg)) return external();
  // Generated into the package (annotation processors, Android, protobuf)
  // or written in another JVM language.
  if (looksGenerated(name) || javaSourceOnDisk(pkg, name)) return unknown();
  return unresolved("package " + imp.module + " of this project has no " + name + ".java");
}

Resolution Resolver::resolveLua(const Import& imp) const {
  const std::string base = dotsToSlashes(imp.module);
  if (auto hit = firstExisting({base + ".lua", base + "/init.lua"}); !hit.empty()) return project(hit);
  return external();
}

}  // namespace cadre::analysis
