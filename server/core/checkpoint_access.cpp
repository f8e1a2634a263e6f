// Opening checkpoint stores with the configured limits (checkpoint_access.hpp).
#include "server/core/checkpoint_access.hpp"

#include <spdlog/spdlog.h>

#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"

namespace cadre::core {

workspace::PrunePolicy checkpointPrunePolicy(const CheckpointSettings& settings) {
  workspace::PrunePolicy policy;
  policy.keepLast = settings.keepLast;
  policy.maxAgeSeconds = settings.maxAgeDays * 24 * 3600;
  return policy;
}

Expected<workspace::CheckpointStore> openCheckpointStore(const std::filesystem::path& root, const Config& config,
                                                         bool autoMaintain) {
  workspace::CheckpointOptions options;
  auto exclude = indexExclusion(root, config.security.deny);
  options.exclude = [exclude](std::string_view rel, bool isDirectory, unsigned links) { return exclude(rel, isDirectory, links); };
  options.maxFileBytes = config.checkpoints.maxFileBytes;
  options.prune = checkpointPrunePolicy(config.checkpoints);
  options.autoMaintain = autoMaintain;
  return workspace::CheckpointStore::open(projectStateDir(root) / "checkpoints.git", root, std::move(options));
}

void maintainCheckpoints(const std::vector<std::filesystem::path>& roots, const Config& config) {
  for (const auto& root : roots) {
    auto store = openCheckpointStore(root, config, false);
    auto done = store ? store->maintain() : Expected<void>(store.error());
    if (!done) spdlog::warn("checkpoint maintenance in {}: {}", root.string(), done.error().message);
  }
}

}  // namespace cadre::core
