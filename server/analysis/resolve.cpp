// Per-language import resolution; see resolve.hpp.
#include "server/analysis/resolve.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/jsonc.hpp"

namespace cadre::analysis {
namespace fs = std::filesystem;

namespace {

std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string dotsToSlashes(std::string s) {
  std::replace(s.begin(), s.end(), '.', '/');
  return s;
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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

}  // namespace

std::string normalizePath(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return {};
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out = join(out, p);
  return out;
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

  const fs::path root = index.root();
  // tsconfig.json: compilerOptions.baseUrl and paths.
  if (fs::exists(root / "tsconfig.json")) {
    if (auto j = parseJsonc(readText(root / "tsconfig.json")); j && j->is_object()) {
      const auto opts = j->value("compilerOptions", nlohmann::json::object());
      if (opts.is_object()) {
        if (opts.contains("baseUrl") && opts["baseUrl"].is_string()) tsBaseUrl_ = normalizePath(opts["baseUrl"].get<std::string>());
        if (opts.contains("paths") && opts["paths"].is_object()) {
          for (const auto& [pattern, targets] : opts["paths"].items()) {
            std::vector<std::string> list;
            if (targets.is_array()) {
              for (const auto& t : targets) {
                if (t.is_string()) list.push_back(t.get<std::string>());
              }
            }
            tsPaths_.emplace_back(pattern, std::move(list));
          }
        }
      }
    }
  }
  // compile_commands.json (at the root or in build/): -I, -iquote, -isystem directories.
  for (const fs::path& db : {root / "compile_commands.json", root / "build" / "compile_commands.json"}) {
    if (!fs::exists(db)) continue;
    auto j = parseJsonc(readText(db));
    if (!j || !j->is_array()) continue;
    knowsIncludeDirs_ = true;
    std::set<std::string> dirs;
    for (const auto& entry : *j) {
      if (!entry.is_object()) continue;
      const std::string directory = entry.value("directory", std::string());
      std::vector<std::string> args;
      if (entry.contains("arguments") && entry["arguments"].is_array()) {
        for (const auto& a : entry["arguments"]) {
          if (a.is_string()) args.push_back(a.get<std::string>());
        }
      } else if (entry.contains("command") && entry["command"].is_string()) {
        std::istringstream words(entry["command"].get<std::string>());
        for (std::string w; words >> w;) args.push_back(w);
      }
      for (std::size_t k = 0; k < args.size(); ++k) {
        std::string dir;
        for (const char* flag : {"-I", "-iquote", "-isystem"}) {
          const std::string f = flag;
          if (args[k] == f && k + 1 < args.size()) dir = args[k + 1];
          else if (args[k].compare(0, f.size(), f) == 0 && args[k].size() > f.size()) dir = args[k].substr(f.size());
          if (!dir.empty()) break;
        }
        if (dir.empty()) continue;
        fs::path p = fs::path(dir).is_absolute() ? fs::path(dir) : fs::path(directory) / dir;
        std::error_code ec;
        fs::path rel = fs::weakly_canonical(p, ec).lexically_relative(root);
        if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) dirs.insert(rel == "." ? std::string() : rel.generic_string());
      }
    }
    includeDirs_.assign(dirs.begin(), dirs.end());
    break;
  }
  if (fs::exists(root / "go.mod")) {
    std::istringstream in(readText(root / "go.mod"));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("module ", 0) == 0) {
        goModule_ = line.substr(7);
        while (!goModule_.empty() && (goModule_.back() == '\r' || goModule_.back() == ' ')) goModule_.pop_back();
        break;
      }
    }
  }
}

bool Resolver::exists(const std::string& path) const {
  if (path.empty()) return false;
  if (index_.file(path)) return true;
  std::error_code ec;
  return fs::is_regular_file(index_.root() / path, ec);
}

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
  for (const auto& d : target.symbols.definitions) {
    if (d.parent < 0 && d.name == name) return true;
  }
  for (const auto& imp : target.symbols.imports) {
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
  if (imp.module.empty()) return unknown();
  const std::string& lang = from.language;
  if (lang == "python") return resolvePython(from, imp);
  if (lang == "javascript" || lang == "typescript" || lang == "tsx") return resolveScript(from, imp);
  if (lang == "c" || lang == "cpp") return resolveInclude(from, imp);
  if (lang == "go") return resolveGo(imp);
  if (lang == "rust") return resolveRust(from, imp);
  if (lang == "java") return resolveJava(imp);
  if (lang == "lua") return resolveLua(imp);
  return unknown();
}

Resolution Resolver::resolvePython(const IndexedFile& from, const Import& imp) const {
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
    return unresolved("no module " + base + ".py or package " + base + "/ next to " + from.path);
  }
  const std::string first = m.substr(0, m.find('.'));
  if (!pythonTopLevel_.count(first)) return external();
  const std::string found = pythonModule(m);
  if (found.empty()) {
    // `import os.path`: os is a plain module that binds `path` and registers
    // it as a submodule at run time (sys.modules). Stay silent there.
    for (std::size_t dot = m.find('.'); dot != std::string::npos; dot = m.find('.', dot + 1)) {
      const std::string prefix = pythonModule(m.substr(0, dot));
      if (prefix.empty() || prefix.back() == '/' || prefix.find("__init__.py") != std::string::npos) continue;
      const std::string next = m.substr(dot + 1, m.find('.', dot + 1) - dot - 1);
      if (const IndexedFile* f = index_.file(prefix); f && pythonBinds(*f, next)) return unknown();
    }
    return unresolved("`" + first + "` is a module of this project, but it has no " + dotsToSlashes(m) + ".py or " + dotsToSlashes(m) + "/");
  }
  if (found.back() == '/') return project({});
  return project(found);
}

Resolution Resolver::resolveScript(const IndexedFile& from, const Import& imp) const {
  const std::string& s = imp.module;
  auto candidates = [](const std::string& base) {
    std::vector<std::string> c = {base};
    static const char* exts[] = {".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json"};
    for (const char* e : exts) c.push_back(base + e);
    for (const char* e : exts) c.push_back(base + "/index" + e);
    // TypeScript's ESM convention: `./x.js` names the source `x.ts`.
    for (const auto& [js, ts] : {std::pair{".js", ".ts"}, {".js", ".tsx"}, {".jsx", ".tsx"}, {".mjs", ".mts"}, {".cjs", ".cts"}}) {
      if (endsWith(base, js)) c.push_back(base.substr(0, base.size() - std::string_view(js).size()) + ts);
    }
    return c;
  };
  auto tryBase = [&](const std::string& base) -> std::string { return base.empty() ? std::string() : firstExisting(candidates(base)); };

  if (s == "." || s == ".." || s.rfind("./", 0) == 0 || s.rfind("../", 0) == 0) {
    const std::string base = normalizePath(join(dirOf(from.path), s));
    if (base.empty() && s.find("..") != std::string::npos && dirOf(from.path).empty()) return unresolved("`" + s + "` climbs above the project root");
    if (auto hit = tryBase(base); !hit.empty()) return project(hit);
    return unresolved("no file " + base + " (with .ts, .tsx, .d.ts, .js, ... or /index.*)");
  }
  if (s[0] == '/') return unknown();
  for (const auto& [pattern, targets] : tsPaths_) {
    std::string captured;
    const auto star = pattern.find('*');
    if (star == std::string::npos) {
      if (s != pattern) continue;
    } else {
      const std::string pre = pattern.substr(0, star), post = pattern.substr(star + 1);
      if (s.size() < pre.size() + post.size() || s.compare(0, pre.size(), pre) != 0 || !endsWith(s, post)) continue;
      captured = s.substr(pre.size(), s.size() - pre.size() - post.size());
    }
    for (std::string t : targets) {
      if (auto st = t.find('*'); st != std::string::npos) t.replace(st, 1, captured);
      if (auto hit = tryBase(normalizePath(join(tsBaseUrl_, t))); !hit.empty()) return project(hit);
    }
    return unresolved("`" + s + "` matches tsconfig paths \"" + pattern + "\" but none of its targets exists");
  }
  if (!tsBaseUrl_.empty() || fs::exists(index_.root() / "tsconfig.json")) {
    if (auto hit = tryBase(normalizePath(join(tsBaseUrl_, s))); !hit.empty() && !tsBaseUrl_.empty()) return project(hit);
  }
  return external();
}

Resolution Resolver::resolveInclude(const IndexedFile& from, const Import& imp) const {
  std::vector<std::string> candidates;
  if (!imp.system) candidates.push_back(normalizePath(join(dirOf(from.path), imp.module)));
  candidates.push_back(normalizePath(imp.module));
  for (const auto& d : includeDirs_) candidates.push_back(normalizePath(join(d, imp.module)));
  if (auto hit = firstExisting(candidates); !hit.empty()) return project(hit);
  // Without compile_commands.json the include path is unknown: a header that
  // is not found may well be generated or installed; say nothing.
  if (imp.system || !knowsIncludeDirs_) return external();
  return unresolved("no " + imp.module + " next to " + from.path + ", at the root, or in the include directories of compile_commands.json");
}

Resolution Resolver::resolveGo(const Import& imp) const {
  if (goModule_.empty()) return external();
  const std::string& m = imp.module;
  if (m == goModule_) return project({});
  if (m.compare(0, goModule_.size() + 1, goModule_ + "/") != 0) return external();
  const std::string dir = m.substr(goModule_.size() + 1);
  for (const auto& f : index_.files()) {
    if (f.language == "go" && dirOf(f.path) == dir) return project({});
  }
  return unresolved("module " + goModule_ + " (go.mod) has no package directory " + dir + "/");
}

Resolution Resolver::resolveRust(const IndexedFile& from, const Import& imp) const {
  if (imp.statement != "mod_item") return unknown();  // `use` paths: not resolved yet
  // Children of src/a.rs live in src/a/; of mod.rs, lib.rs and main.rs, beside them.
  std::string dir = dirOf(from.path);
  const std::string name = from.path.substr(from.path.rfind('/') == std::string::npos ? 0 : from.path.rfind('/') + 1);
  if (name != "mod.rs" && name != "lib.rs" && name != "main.rs") dir = join(dir, name.substr(0, name.size() - 3));
  const std::string a = join(dir, imp.module + ".rs"), b = join(dir, imp.module + "/mod.rs");
  if (index_.file(a)) return project(a);
  if (index_.file(b)) return project(b);
  return unresolved("`mod " + imp.module + ";` needs " + a + " or " + b);
}

Resolution Resolver::resolveJava(const Import& imp) const {
  const std::string pkg = dotsToSlashes(imp.module);
  auto inProject = [&](const std::string& rel) {
    for (const auto& d : dirs_) {
      if (d == rel || endsWith(d, "/" + rel)) return true;
    }
    return false;
  };
  if (imp.wildcard || imp.names.empty()) return inProject(pkg) ? project({}) : external();
  const std::string file = pkg + "/" + imp.names.front().name + ".java";
  for (const auto& f : index_.files()) {
    if (f.path == file || endsWith(f.path, "/" + file)) return project(f.path);
  }
  // A static import names a member: its class is the last package segment.
  if (imp.statement == "import_declaration" && inProject(dirOf(pkg)) && exists(pkg + ".java")) return project(pkg + ".java");
  if (inProject(pkg)) return unresolved("package " + imp.module + " of this project has no " + imp.names.front().name + ".java");
  return external();
}

Resolution Resolver::resolveLua(const Import& imp) const {
  const std::string base = dotsToSlashes(imp.module);
  if (auto hit = firstExisting({base + ".lua", base + "/init.lua"}); !hit.empty()) return project(hit);
  return external();
}

}  // namespace cadre::analysis
