// Where the agent's commands run: in the task's shadow workspace,
// materialized on disk, so they see the task's edits (run_command,
// run_tests, start_process share this).
#pragma once

#include <filesystem>
#include <string>

#include "server/agent/tools.hpp"

namespace cadre::agent {

// `cwd` (relative to the first root, or absolute under a root) mapped into
// the materialized `tree`.
Expected<std::string> cwdInTree(const workspace::ShadowWorkspace& shadow, const std::filesystem::path& tree,
                                const security::PathPolicy& policy, const std::string& cwd);

// Runs `request` through the Gate (approval, sandbox, audit); with pending
// edits, in the task's materialized shadow (read-only: its unchanged files
// are hard links to the user's).
Expected<security::SandboxResult> runInShadow(ToolContext& ctx, security::CommandRequest request);

}  // namespace cadre::agent
