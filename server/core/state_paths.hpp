// Where cadre keeps per-user state for a project (DESIGN.md "Files cadre
// keeps"): $XDG_STATE_HOME/cadre/<name>-<hash>/ (default ~/.local/state),
// never inside the project and never in the user's .git.
#pragma once

#include <filesystem>

namespace cadre::core {

std::filesystem::path stateHome();
// The project's state directory (not created here). <name> is the root's
// folder name, for people browsing the directory; <hash> makes it unique.
std::filesystem::path projectStateDir(const std::filesystem::path& root);
std::filesystem::path indexCachePath(const std::filesystem::path& root);

}  // namespace cadre::core
