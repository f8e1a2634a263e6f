// Import and imported-name checks; see check.hpp.
#include "server/analysis/check.hpp"

#include <algorithm>

#include "server/analysis/arity.hpp"
#include "server/analysis/paths.hpp"
#include <cctype>

namespace cadre::analysis {
namespace {

bool isPython(const std::string& lang) { return lang == "python"; }


bool isPackageInit(const std::string& path) { return path == "__init__.py" || (path.size() > 12 && path.compare(path.size() - 12, 12, "/__init__.py") == 0); }

// Reasons to stay silent about a target's names.
bool pythonUnsure(const IndexedFile& target) {
  if (!target.skipReason.empty() || target.symbols().timedOut || target.symbols().syntaxErrors > 0) return true;
  for (const auto& imp : target.symbols().imports) {
    if (imp.wildcard) return true;
  }
  // A module-level __getattr__ makes any name importable (PEP 562).
  for (const auto& d : target.symbols().definitions) {
    if (d.parent < 0 && d.name == "__getattr__") return true;
  }
  // A module that writes its own namespace (`globals().update(...)`,
  // `globals()[name] = ...`, `setattr(sys.modules[__name__], ...)`) defines
  // names no query can see.
  for (const auto& r : target.symbols().references) {
    if ((r.name == "globals" || r.name == "setattr") && r.kind == ReferenceKind::Call) return true;
  }
  return false;
}

// An export name that is not an identifier says the module's exports are
// built at run time or cannot be listed: CommonJS (`module.exports`,
// `exports.f`), TypeScript's `export =` ("="), a destructuring
// `export const { a, b } = ...`, a string name.
bool opaqueExport(const std::string& name) {
  if (name.empty()) return true;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '_' || c == '$' || c >= 0x80)) return true;
  }
  return std::isdigit(static_cast<unsigned char>(name[0])) != 0;
}

bool scriptUnsure(const IndexedFile& target) {
  if (!target.skipReason.empty() || target.symbols().timedOut || target.symbols().syntaxErrors > 0) return true;
  // No ES exports at all: CommonJS (module.exports) or a script; and `export *`
  // re-exports names cadre would have to chase.
  if (target.symbols().exports.empty()) return true;
  if (std::any_of(target.symbols().exports.begin(), target.symbols().exports.end(), opaqueExport)) return true;
  for (const auto& imp : target.symbols().imports) {
    if (imp.reexport && imp.wildcard) return true;
  }
  return false;
}

bool isDeclarationFile(const std::string& path) {
  for (std::string_view ext : {".d.ts", ".d.mts", ".d.cts"}) {
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) return true;
  }
  return false;
}

bool scriptExports(const IndexedFile& target, const std::string& name) {
  if (std::binary_search(target.symbols().exports.begin(), target.symbols().exports.end(), name)) return true;
  // A declaration file's top-level declarations are exported without
  // `export` unless it has an `export {...}` (TypeScript's export context);
  // cadre does not tell the two apart, so any of them counts.
  if (isDeclarationFile(target.path)) {
    for (const auto& d : target.symbols().definitions) {
      if (d.parent < 0 && d.name == name) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<Diagnostic> checkFile(const ProjectIndex& index, const Resolver& resolver, const std::string& path, const FileSymbols& symbols,
                                  const std::string* text) {
  std::vector<Diagnostic> out;
  const IndexedFile* self = index.file(path);
  IndexedFile from;
  from.path = path;
  from.language = symbols.language.empty() && self ? self->language : symbols.language;
  for (const auto& imp : symbols.imports) {
    Resolution r = resolver.resolve(from, imp, symbols, text);
    if (r.kind == Resolution::Kind::Unresolved) {
      // Java's module is the package; the import names a class in it.
      const std::string shown = from.language == "java" && !imp.wildcard && !imp.names.empty() ? imp.module + "." + imp.names.front().name : imp.module;
      out.push_back({path, imp.moduleSpan, Diagnostic::Severity::Error, "unresolved-import", "unresolved import `" + shown + "`: " + r.detail, {}});
      continue;
    }
    if (r.kind != Resolution::Kind::Project || r.files.empty() || imp.names.empty()) continue;
    const IndexedFile* target = index.file(r.files.front());
    if (!target || target->path == path) continue;
    for (const auto& n : imp.names) {
      if (isPython(from.language) && isPython(target->language)) {
        if (pythonUnsure(*target) || Resolver::pythonBinds(*target, n.name)) continue;
        // Defined in the module below its top level (a class attribute that a
        // decorator like enum.global_enum lifts into the module): unsure.
        if (std::any_of(target->symbols().definitions.begin(), target->symbols().definitions.end(),
                        [&](const Definition& d) { return d.name == n.name; })) {
          continue;
        }
        // `from pkg import sub` also imports the submodule pkg/sub.py or pkg/sub/
        // (or a compiled pkg/sub.*.so).
        if (isPackageInit(target->path)) {
          const std::string sub = join(dirOf(target->path), n.name);
          if (resolver.exists(sub + ".py") || resolver.exists(sub + ".pyi") || resolver.isDirectory(sub) || resolver.pythonExtensionModule(sub)) continue;
        }
        // `try: from m import new_name / except ImportError: ...`: allowed to fail.
        if (resolver.pythonOptionalImport(path, imp, text)) continue;
        out.push_back({path, n.span, Diagnostic::Severity::Error, "unknown-import-name",
                       "`" + n.name + "` is not defined in " + target->path,
                       {{target->path, Span{}, "the module `" + imp.module + "` resolves here"}}});
      } else if (isScript(from.language) && isScript(target->language)) {
        if (scriptUnsure(*target) || scriptExports(*target, n.name)) continue;
        out.push_back({path, n.span, Diagnostic::Severity::Error, "unknown-import-name",
                       n.name == "default" ? target->path + " has no default export"
                                           : "`" + n.name + "` is not exported by " + target->path,
                       {{target->path, Span{}, "`" + imp.module + "` resolves here"}}});
      } else if (from.language == "rust" && target->language == "rust" && imp.statement == "use_declaration") {
        if (n.name == "self" || resolver.rustNameAvailable(*target, n.name) || resolver.rustNestedName(path, imp, n, text)) continue;
        out.push_back({path, n.span, Diagnostic::Severity::Error, "unknown-import-name",
                       "`" + n.name + "` is not defined in " + target->path,
                       {{target->path, Span{}, "`" + imp.module + "` resolves here"}}});
      }
    }
  }
  checkCallArity(index, resolver, path, symbols, out);
  std::sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.span.startByte != b.span.startByte ? a.span.startByte < b.span.startByte : a.message < b.message;
  });
  return out;
}

std::vector<Diagnostic> checkProject(const ProjectIndex& index) {
  index.decodeAll();
  Resolver resolver(index);
  std::vector<Diagnostic> out;
  for (const auto& f : index.files()) {
    if (!f.skipReason.empty()) continue;
    auto diags = checkFile(index, resolver, f.path, f.symbols());
    out.insert(out.end(), std::make_move_iterator(diags.begin()), std::make_move_iterator(diags.end()));
  }
  return out;
}

}  // namespace cadre::analysis
