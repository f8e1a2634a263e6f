// Glob matching for the deny-list and approval patterns. security depends on
// nothing above it, so it keeps its own matcher rather than borrowing
// analysis' .gitignore engine; the deny-list needs different semantics anyway
// (unanchored, case-insensitive, matched against every component).
#pragma once

#include <string_view>

namespace cadre::security {

// `*` and `?` stop at '/', `**` spans directories, `[...]` classes with `!`
// or `^` negation. ASCII case folded when `foldCase` (secrets named `.ENV`
// on a case-insensitive volume are the same file).
bool globMatch(std::string_view pattern, std::string_view text, bool foldCase = true);

}  // namespace cadre::security
