// State directory layout; see state_paths.hpp.
#include "server/core/state_paths.hpp"

#include "server/analysis/project_index.hpp"

#include <cstdio>
#include <cstdlib>

namespace cadre::core {

std::filesystem::path stateHome() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "cadre";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".local" / "state" / "cadre";
  return std::filesystem::temp_directory_path() / "cadre-state";
}

std::filesystem::path projectStateDir(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(root, ec);
  if (ec) canonical = root;
  const std::uint64_t h = analysis::contentHash(canonical.string());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string name = canonical.filename().string();
  if (name.empty()) name = "root";
  return stateHome() / (name + "-" + hex);
}

std::filesystem::path indexCachePath(const std::filesystem::path& root) { return projectStateDir(root) / "index.bin"; }

}  // namespace cadre::core
