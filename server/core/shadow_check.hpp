// cadre's own consistency checks on a task's shadow: for each changed file,
// the diagnostics of analysis' checks (imports that stop resolving, names that
// do not exist, call arity) after the change minus those before it, in the
// linters' shape so the agent's check step merges both. Shared by the LSP
// session and `cadre acp`, whichever holds the project index.
#pragma once

#include <vector>

#include "server/core/project.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::core {

// Empty until `project` has an index for the shadow's first root.
std::vector<workspace::LintDiagnostic> shadowConsistencyDelta(const Project& project, const workspace::ShadowWorkspace& shadow);

}  // namespace cadre::core
