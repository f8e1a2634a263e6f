// Moving a top-level function or class (Python; JavaScript/TypeScript also
// const/let declarations, interfaces, type aliases and enums) to another
// file, deterministically, and fixing every import that referred to it:
//
// - the definition (with its decorators and the comments right above it)
//   leaves the source file and is appended to the target (created if need
//   be; exported there in JS/TS);
// - imports the moved code needs come along, their specifiers rewritten for
//   the target's directory; names it used from the source file are imported
//   from there (exported in JS/TS);
// - the source imports it back from the target when it still uses it, and
//   drops imports only the moved code used;
// - every project file importing it from the source file (`from m import x`,
//   `import { x } from "./m"`, `export { x } from "./m"`, Python's
//   `import m` … `m.x`) imports it from the target instead.
//
// Not followed (reported as warnings): JS namespace imports (`ns.x`),
// CommonJS `require`, dynamic imports, and uses through a re-export.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/analysis/resolve.hpp"

namespace cadre::analysis {

struct MoveRequest {
  std::string sourcePath;  // relative to the root
  std::string sourceText;
  std::uint32_t offset = 0;  // a byte inside the definition to move (its name, usually)
  std::string targetPath;    // relative to the root
  std::optional<std::string> targetText;  // nullopt: the file does not exist yet
};

struct MoveResult {
  std::string name;  // what moved
  std::vector<std::pair<std::string, std::string>> files;  // path (relative) → new content
  std::vector<std::string> warnings;
};

// A file's current text (an open document's, else the disk's); nullopt
// when it cannot be read.
using TextLoader = std::function<std::optional<std::string>(const std::string& path)>;

Expected<MoveResult> moveSymbol(const ProjectIndex& index, const Resolver& resolver, const MoveRequest& request,
                                const TextLoader& load);

}  // namespace cadre::analysis
