// Builds the project index for a CLI command: cache in the state directory,
// progress bar on the terminal. Shared by index, map and check.
#pragma once

#include <string>

#include "server/analysis/project_index.hpp"

namespace cadre::cli {

Expected<analysis::ProjectIndex> loadIndex(const std::string& dir, bool useCache = true);

}  // namespace cadre::cli
