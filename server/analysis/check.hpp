// Consistency diagnostics across files: imports that do not resolve to the
// project file they must name, and imported names their target does not
// define or export. Broken user code is data: these are results, not errors.
// When unsure (a wildcard re-export, a module-level __getattr__, a target with
// syntax errors, CommonJS), say nothing: a false alarm is a bug.
#pragma once

#include <string>
#include <vector>

#include "server/analysis/resolve.hpp"

namespace cadre::analysis {

struct RelatedLocation {
  std::string path;  // relative to the root
  Span span;
  std::string message;
};

struct Diagnostic {
  enum class Severity { Error, Warning };
  std::string path;  // relative to the root
  Span span;
  Severity severity = Severity::Error;
  std::string code;  // "unresolved-import", "unknown-import-name"
  std::string message;
  std::vector<RelatedLocation> related;
};

// `symbols` may be fresher than the index (an open, edited document); pass
// `text`, the text they came from, then: a few checks look at the source
// around an import (`#ifdef`, `try:`, `#[path]`), and read the file on disk
// when it is null.
std::vector<Diagnostic> checkFile(const ProjectIndex& index, const Resolver& resolver, const std::string& path,
                                  const FileSymbols& symbols, const std::string* text = nullptr);
std::vector<Diagnostic> checkProject(const ProjectIndex& index);

}  // namespace cadre::analysis
