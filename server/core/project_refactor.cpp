// Project's deterministic refactors that need the index and the resolver of
// the root holding a file (move symbol); paths converted to and from the
// root-relative ones analysis works with.
#include "server/core/project.hpp"

#include <sys/stat.h>

namespace cadre::core {

Expected<analysis::MoveResult> Project::moveSymbol(const std::filesystem::path& file, const std::string& text, std::uint32_t offset,
                                                   const std::filesystem::path& target, std::optional<std::string> targetText,
                                                   const std::function<std::optional<std::string>(const std::filesystem::path&)>& load) const {
  auto [root, rel] = rootOf(file);
  if (!root) return makeError(ErrorCode::RequestFailed, ready() ? "the file is outside the workspace folders" : "the project index is still being built");
  auto [targetRoot, targetRel] = rootOf(target);
  if (targetRoot != root) return makeError(ErrorCode::InvalidParams, "the target must be in the same workspace folder as the symbol");
  const auto base = root->index->root();
  analysis::MoveRequest request{rel, text, offset, targetRel, std::move(targetText)};
  auto moved = analysis::moveSymbol(*root->index, *root->resolver, request,
                                    [&](const std::string& path) { return load(base / path); });
  if (!moved) return moved;
  for (auto& [path, content] : moved->files) path = (base / path).string();
  return moved;
}

bool Project::stale() const {
  for (const auto& index : indexes()) {
    for (const auto& f : index->files()) {
      struct stat st {};
      if (::stat((index->root() / f.path).c_str(), &st) != 0) return true;
      const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      if (static_cast<std::uint64_t>(st.st_size) != f.size || mtime != f.mtimeNs) return true;
    }
  }
  return false;
}

}  // namespace cadre::core
