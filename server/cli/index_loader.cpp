// See index_loader.hpp.
#include "server/cli/index_loader.hpp"

#include <vector>

#include "server/cli/progress_bar.hpp"
#include "server/core/config.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"

namespace cadre::cli {

Expected<analysis::ProjectIndex> loadIndex(const std::string& dir, bool useCache) {
  ProgressBar bar;
  analysis::IndexOptions options;
  if (useCache) options.cacheFile = core::indexCachePath(dir);
  // The deny-list of the project's config (and the user's) applies here too.
  core::LoadedConfig config = core::loadConfig({dir});
  options.limits.exclude = core::indexExclusion(dir, config.config.security.deny);
  options.progress = [&](const analysis::IndexProgress& p) { bar.update(p.done, p.total, std::string(p.phase)); };
  auto index = analysis::ProjectIndex::build(dir, options);
  bar.finish();
  return index;
}

KeepIndexUntilExit::~KeepIndexUntilExit() {
  if (!index_) return;
  static auto* const kept = new std::vector<analysis::ProjectIndex>();
  kept->push_back(std::move(*index_));
}

}  // namespace cadre::cli
