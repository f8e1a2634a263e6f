// Linting a shadow the way the user sees it: the project's linters and
// cadre's consistency checks on the changed files, only what the change
// introduced, each diagnostic with its file's uri. cadre/shadow.lint answers
// with it and every refactor command checks its result with it before the
// user sees the diff.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/agent/tools.hpp"

namespace cadre::core {

// {diagnostics, ran, problems} — `problems` starts with `known` (bad linter
// configuration found earlier). Runs the linters: call it off the main loop.
Expected<nlohmann::json> lintShadowReport(const agent::ToolRegistry& tools, agent::ToolContext& context, std::vector<std::string> known);

// Whether a report holds an error (not just warnings) the change introduced.
bool reportHasErrors(const nlohmann::json& report);

}  // namespace cadre::core
