// Which arguments of an MCP tool call name files. cadre cannot see inside an
// outside server, so it reads the call's arguments the way a reviewer
// would: values under keys that say "path" (path, file, dir, uri, source,
// destination, *Path, *File …) are paths; a whole value that looks like an
// absolute, home or file:// path is one too; and the words of other free
// text are looked at for deny-listed names (`cat .env`). Text meant as
// content (content, text, newText, body …) is left alone: a README that
// mentions .env is not an attempt to read it. docs/mcp.md lists the rules.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cadre::mcp {

struct PathArgument {
  enum class Kind {
    Named,     // under a path-like key: checked fully (deny-list, roots, write rules)
    Absolute,  // a whole value that is an absolute, ~ or file:// path: checked fully
    Word,      // a word of free text: checked against the deny-list only
  };
  std::string where;  // JSON pointer of the value, e.g. /edits/0/path
  std::string value;  // as a path: file:// decoded, ~ expanded
  Kind kind = Kind::Named;
};

// At most kMaxWords words are looked at per call (a huge argument is not a
// reason to stat a million strings); Named and Absolute values are all kept.
inline constexpr std::size_t kMaxWords = 4096;

std::vector<PathArgument> pathArguments(const nlohmann::json& arguments);

}  // namespace cadre::mcp
