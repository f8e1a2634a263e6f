// Cross-file rename planning; see rename.hpp.
#include "server/analysis/rename.hpp"

#include <algorithm>
#include <set>

namespace cadre::analysis {
namespace {

bool defines(const FileSymbols& s, const std::string& name) {
  return std::any_of(s.definitions.begin(), s.definitions.end(), [&](const Definition& d) { return d.name == name; });
}

const FileSymbols& symbolsOf(const IndexedFile& f, const std::string& currentPath, const FileSymbols& current) {
  return f.path == currentPath ? current : f.symbols();
}

}  // namespace

bool isIdentifier(std::string_view name) {
  if (name.empty()) return false;
  auto head = [](unsigned char c) { return c == '_' || c == '$' || std::isalpha(c) || c >= 0x80; };
  if (!head(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return head(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); });
}

Expected<RenameSymbol> renameTarget(const ProjectIndex& index, const Resolver& resolver, const std::string& path,
                                    const FileSymbols& symbols, const std::string& name) {
  if (defines(symbols, name)) return RenameSymbol{path, name};
  IndexedFile from;
  from.path = path;
  from.language = symbols.language;
  for (const auto& imp : symbols.imports) {
    for (const auto& n : imp.names) {
      if (n.name != name && n.alias != name) continue;
      Resolution r = resolver.resolve(from, imp);
      if (r.kind != Resolution::Kind::Project || r.files.empty()) {
        return makeError(ErrorCode::RequestFailed, "`" + name + "` comes from outside the project (" + imp.module + ")");
      }
      const IndexedFile* target = index.file(r.files.front());
      if (target && defines(target->symbols(), n.name)) return RenameSymbol{target->path, n.name};
      return makeError(ErrorCode::RequestFailed, "`" + n.name + "` is not defined in " + r.files.front());
    }
  }
  const auto& all = index.definitionsNamed(name);
  std::set<std::string> files;
  for (const auto& [file, def] : all) files.insert(index.files()[file].path);
  if (files.size() == 1) return RenameSymbol{*files.begin(), name};
  if (files.empty()) return makeError(ErrorCode::RequestFailed, "`" + name + "` is not defined in this project");
  return makeError(ErrorCode::RequestFailed, "`" + name + "` is defined in " + std::to_string(files.size()) +
                                                 " files; rename it from its definition or from a file that imports it");
}

Expected<std::vector<RenameEdit>> planRename(const ProjectIndex& index, const Resolver& resolver, const RenameSymbol& symbol,
                                             const std::string& newName, const std::string& currentPath, const FileSymbols& current) {
  if (!isIdentifier(newName)) return makeError(ErrorCode::InvalidParams, "`" + newName + "` is not a valid identifier");
  if (newName == symbol.name) return std::vector<RenameEdit>{};
  std::vector<RenameEdit> edits;
  auto add = [&](const std::string& path, const Span& span) {
    for (const auto& e : edits) {
      if (e.path == path && e.span.startByte == span.startByte) return;
    }
    edits.push_back({path, span, newName});
  };

  const IndexedFile* definingFile = index.file(symbol.definingPath);
  const FileSymbols& defining = symbol.definingPath == currentPath || !definingFile ? current : definingFile->symbols();
  if (std::any_of(defining.definitions.begin(), defining.definitions.end(),
                  [&](const Definition& d) { return d.name == newName && d.parent < 0; })) {
    return makeError(ErrorCode::RequestFailed, symbol.definingPath + " already defines `" + newName + "`");
  }
  for (const auto& d : defining.definitions) {
    if (d.name == symbol.name) add(symbol.definingPath, d.nameSpan);
  }
  for (const auto& r : defining.references) {
    if (r.name == symbol.name) add(symbol.definingPath, r.span);
  }

  // Every other file that imports the symbol from the defining file.
  std::vector<const IndexedFile*> files;
  index.decodeAll();
  for (const auto& f : index.files()) files.push_back(&f);
  IndexedFile currentFile;
  if (!index.file(currentPath)) {
    currentFile.path = currentPath;
    currentFile.language = current.language;
    currentFile.setSymbols(current);
    files.push_back(&currentFile);
  }
  for (const IndexedFile* f : files) {
    if (f->path == symbol.definingPath) continue;
    const FileSymbols& s = symbolsOf(*f, currentPath, current);
    IndexedFile from;
    from.path = f->path;
    from.language = s.language.empty() ? f->language : s.language;
    bool usesUnaliased = false, importsModule = false;
    for (const auto& imp : s.imports) {
      const bool named = std::any_of(imp.names.begin(), imp.names.end(), [&](const ImportedName& n) { return n.name == symbol.name; });
      if (!named && !imp.names.empty()) continue;
      Resolution r = resolver.resolve(from, imp);
      if (r.kind != Resolution::Kind::Project || r.files.empty() || r.files.front() != symbol.definingPath) continue;
      if (imp.names.empty()) importsModule = true;
      for (const auto& n : imp.names) {
        if (n.name != symbol.name) continue;
        add(f->path, n.span);
        if (n.alias.empty()) usesUnaliased = true;
      }
    }
    // Uses by the imported name; through `import module` only the attribute
    // uses can mean it, and the file must not define the name itself.
    if (usesUnaliased || (importsModule && !defines(s, symbol.name))) {
      for (const auto& r : s.references) {
        if (r.name == symbol.name) add(f->path, r.span);
      }
    }
  }
  std::sort(edits.begin(), edits.end(), [](const RenameEdit& a, const RenameEdit& b) {
    return a.path != b.path ? a.path < b.path : a.span.startByte < b.span.startByte;
  });
  return edits;
}

}  // namespace cadre::analysis
