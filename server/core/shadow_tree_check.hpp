// cadre's consistency checks on a shadow judged against the shadow itself:
// the project as it would be after the change (materialized, hard links) is
// indexed, and each changed file — and each unchanged file importing one —
// is checked against that index, minus what the same check found before
// the change. A multi-file refactor that creates a module or renames an
// export is then judged as a whole: the index of the real project does not
// know the new module or the new name, and would call correct imports
// broken. Used by the refactor commands (lsp_commands.cpp).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "server/core/project.hpp"
#include "server/security/path_policy.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::core {

// `dir` is the shadow's scratch directory (a "check" tree is written under
// it). Empty when the project has no ready index for the shadow's first root.
std::vector<workspace::LintDiagnostic> shadowTreeConsistency(const Project& project, const workspace::ShadowWorkspace& shadow,
                                                             const std::filesystem::path& dir, const security::PathPolicy& policy,
                                                             const std::vector<std::string>& extraDeny,
                                                             const std::atomic<bool>* cancel);

}  // namespace cadre::core
