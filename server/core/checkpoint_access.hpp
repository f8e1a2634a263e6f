// One way to open a workspace root's checkpoint store, for the editor
// session and `cadre checkpoints` alike: where it lives (the per-user state
// directory, never the project), what it may not store (the deny-list), and
// the limits the user configured (checkpoints.* keys).
#pragma once

#include <filesystem>
#include <vector>

#include "server/core/config.hpp"
#include "server/workspace/checkpoints.hpp"
#include "support/expected.hpp"

namespace cadre::core {

workspace::PrunePolicy checkpointPrunePolicy(const CheckpointSettings& settings);

// `autoMaintain` false: the caller runs maintain() itself once its reply is
// out (the server), so pruning and packing never delay a request.
Expected<workspace::CheckpointStore> openCheckpointStore(const std::filesystem::path& root, const Config& config,
                                                         bool autoMaintain);

// Prune and merge packs by the configured policy in each root's store; for
// a server after its reply (never on a request's path). Failures are logged.
void maintainCheckpoints(const std::vector<std::filesystem::path>& roots, const Config& config);

}  // namespace cadre::core
