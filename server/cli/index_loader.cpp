// See index_loader.hpp.
#include "server/cli/index_loader.hpp"

#include "server/cli/progress_bar.hpp"
#include "server/core/state_paths.hpp"

namespace cadre::cli {

Expected<analysis::ProjectIndex> loadIndex(const std::string& dir, bool useCache) {
  ProgressBar bar;
  analysis::IndexOptions options;
  if (useCache) options.cacheFile = core::indexCachePath(dir);
  options.progress = [&](const analysis::IndexProgress& p) { bar.update(p.done, p.total, std::string(p.phase)); };
  auto index = analysis::ProjectIndex::build(dir, options);
  bar.finish();
  return index;
}

}  // namespace cadre::cli
