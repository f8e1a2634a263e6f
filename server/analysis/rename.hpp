// Renaming a project symbol across files: its definition, its uses in the
// defining file, and in every file that imports it from there — the import
// statement included (`from m import old` becomes `from m import new`; an
// aliased import keeps its alias, so only the imported name changes).
// Resolution is by name within a file and by import across files: a method
// called through an object in another file is not followed.
#pragma once

#include <string>
#include <vector>

#include "server/analysis/resolve.hpp"

namespace cadre::analysis {

struct RenameEdit {
  std::string path;  // relative to the root
  Span span;
  std::string newText;
};

struct RenameSymbol {
  std::string definingPath;  // where the definition lives
  std::string name;
};

// Which project definition the identifier `name` in `path` means, or an
// error saying why it cannot be renamed (`symbols` are the file's current ones).
Expected<RenameSymbol> renameTarget(const ProjectIndex& index, const Resolver& resolver, const std::string& path,
                                    const FileSymbols& symbols, const std::string& name);

// Every edit of the rename; `current` is the fresher symbol set of
// `currentPath` (an open document), used instead of the index's for that file.
Expected<std::vector<RenameEdit>> planRename(const ProjectIndex& index, const Resolver& resolver, const RenameSymbol& symbol,
                                             const std::string& newName, const std::string& currentPath, const FileSymbols& current);

bool isIdentifier(std::string_view name);

}  // namespace cadre::analysis
