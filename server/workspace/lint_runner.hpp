// Runs a project's linters over a task's change: once on the real files
// (the baseline) and once on the materialized shadow, both sandboxed through
// the Gate with the linter's timeout, and reports only what the change
// introduced, with paths mapped back to the project.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "server/security/gate.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::workspace {

struct LintReport {
  std::vector<LintDiagnostic> introduced;  // in the change, not in the baseline
  std::vector<std::string> ran;            // linters that ran
  std::vector<std::string> problems;       // "tsc: timed out after 120 s", "eslint: exit 2 with no diagnostics: …"
};

// Lints the changes of `shadow` under its first root. `workDir` is the
// task's scratch directory (the shadow is materialized in it).
Expected<LintReport> lintChanges(security::Gate& gate, const security::Actor& actor, const ShadowWorkspace& shadow,
                                 const std::filesystem::path& workDir, const std::vector<LinterSpec>& linters,
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace cadre::workspace
