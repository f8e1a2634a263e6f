// Quick fixes for consistency diagnostics: when an import names a module that
// does not exist, or a name its module does not define, and exactly one
// project module fits (same file name, or the one that defines the name), the
// fix rewrites the module specifier in the language's own syntax. Several
// candidates: no fix (cadre does not guess).
#pragma once

#include <string>
#include <vector>

#include "server/analysis/check.hpp"
#include "server/analysis/rename.hpp"

namespace cadre::analysis {

struct Fix {
  std::string title;
  std::vector<RenameEdit> edits;  // paths relative to the root
};

struct FixedDiagnostic {
  Diagnostic diagnostic;
  std::vector<Fix> fixes;
};

// The file's diagnostics, each with the fixes cadre can offer for it.
std::vector<FixedDiagnostic> diagnoseWithFixes(const ProjectIndex& index, const Resolver& resolver, const std::string& path,
                                               const FileSymbols& symbols, const std::string* text = nullptr);

}  // namespace cadre::analysis
