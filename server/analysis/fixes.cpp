// Import quick fixes; see fixes.hpp.
#include "server/analysis/paths.hpp"
#include "server/analysis/fixes.hpp"

#include <algorithm>
#include <filesystem>

namespace cadre::analysis {
namespace {

std::string stem(const std::string& path) {
  std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".d.ts") == 0) return name.substr(0, name.size() - 5);
  return name.substr(0, name.rfind('.'));
}



// How `from` would name `target` in an import.
std::string specifierFor(const Resolver& resolver, const IndexedFile& from, const IndexedFile& target) {
  if (from.language == "python") {
    std::string rel = target.path;
    if (rel.size() > 12 && rel.compare(rel.size() - 12, 12, "/__init__.py") == 0) rel = rel.substr(0, rel.size() - 12);
    else rel = rel.substr(0, rel.rfind('.'));
    std::string dotted = rel;
    std::replace(dotted.begin(), dotted.end(), '/', '.');
    // Shortest suffix that resolves back to the target under a source root.
    for (std::size_t dot = 0;; dot = dotted.find('.', dot) + 1) {
      const std::string candidate = dotted.substr(dot);
      if (resolver.pythonModule(candidate) == target.path) return candidate;
      if (dotted.find('.', dot) == std::string::npos) break;
    }
    return {};
  }
  if (isScript(from.language)) {
    std::string noExt = target.path;
    for (const char* ext : {".d.ts", ".tsx", ".ts", ".jsx", ".mjs", ".cjs", ".js"}) {
      const std::string e = ext;
      if (noExt.size() > e.size() && noExt.compare(noExt.size() - e.size(), e.size(), e) == 0) {
        noExt = noExt.substr(0, noExt.size() - e.size());
        break;
      }
    }
    std::string rel = std::filesystem::path(noExt).lexically_relative(dirOf(from.path).empty() ? "." : dirOf(from.path)).generic_string();
    if (rel.rfind("../", 0) != 0) rel = "./" + rel;
    return rel;
  }
  return {};
}

bool sameLanguageFamily(const std::string& a, const std::string& b) { return a == b || (isScript(a) && isScript(b)); }

}  // namespace

std::vector<FixedDiagnostic> diagnoseWithFixes(const ProjectIndex& index, const Resolver& resolver, const std::string& path,
                                               const FileSymbols& symbols, const std::string* text) {
  std::vector<FixedDiagnostic> out;
  IndexedFile from;
  from.path = path;
  from.language = symbols.language;
  for (auto& d : checkFile(index, resolver, path, symbols, text)) {
    FixedDiagnostic fd{d, {}};
    // The import statement the diagnostic points into.
    const Import* imp = nullptr;
    const ImportedName* name = nullptr;
    for (const auto& i : symbols.imports) {
      if (i.moduleSpan.startByte == d.span.startByte) imp = &i;
      for (const auto& n : i.names) {
        if (n.span.startByte == d.span.startByte) imp = &i, name = &n;
      }
    }
    std::vector<const IndexedFile*> candidates;
    if (imp && d.code == "unresolved-import") {
      std::string last = imp->module;
      if (from.language == "python") last = last.substr(last.rfind('.') == std::string::npos ? 0 : last.rfind('.') + 1);
      else last = stem(last);
      for (const auto& f : index.files()) {
        if (f.path == path || !sameLanguageFamily(f.language, from.language)) continue;
        const bool init = from.language == "python" && f.path.size() > 12 && stem(f.path) == "__init__" && stem(dirOf(f.path) + ".x") == last;
        if (stem(f.path) == last || init) candidates.push_back(&f);
      }
    } else if (imp && name && d.code == "unknown-import-name" && imp->names.size() == 1) {
      for (const auto& [file, def] : index.definitionsNamed(name->name)) {
        const IndexedFile& f = index.files()[file];
        if (f.path != path && f.symbols().definitions[def].parent < 0 && sameLanguageFamily(f.language, from.language) &&
            std::find(candidates.begin(), candidates.end(), &f) == candidates.end()) {
          candidates.push_back(&f);
        }
      }
    }
    if (candidates.size() == 1) {
      const std::string spec = specifierFor(resolver, from, *candidates.front());
      if (!spec.empty() && spec != imp->module) {
        // The specifier's span may include its quotes (JS strings): keep them.
        Span span = imp->moduleSpan;
        if (span.endByte - span.startByte == imp->module.size() + 2 && span.start.row == span.end.row) {
          ++span.startByte, ++span.start.column;
          --span.endByte, --span.end.column;
        }
        fd.fixes.push_back({"Import from `" + spec + "` (" + candidates.front()->path + ")", {{path, span, spec}}});
      }
    }
    out.push_back(std::move(fd));
  }
  return out;
}

}  // namespace cadre::analysis
