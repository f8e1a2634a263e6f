// Repacking a checkpoint repository: what keeps 100 checkpoints of a project
// smaller than the project. Objects are grouped by the path they live at,
// and each version is stored as a delta against the next newer version of
// the same path (the newest whole, as git does) — one delta attempt per
// object, where a generic packer (libgit2's packbuilder) tries a window of
// ten unrelated neighbours and took seconds for a few hundred objects.
// Deltas and compression run on all cores; the pack is written by
// git::PackWriter and verified by `git fsck` in the tests.
#pragma once

#include <git2.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "server/workspace/checkpoint_objects.hpp"
#include "support/expected.hpp"

namespace cadre::workspace {

struct RepackRequest {
  git_repository* repo = nullptr;
  std::filesystem::path packDir;
  std::vector<git::ObjectId> commits;  // newest first: their versions become the delta bases
  std::vector<git::ObjectId> trees;    // more roots (the tree the stat cache describes)
  // Only these objects go into the pack (the rest of what is reachable is
  // walked, not written). Null: everything reachable.
  const std::unordered_set<git::ObjectId, git::ObjectIdHash>* only = nullptr;
  unsigned threads = 1;
  std::size_t maxDepth = 16;  // delta chain length: reads of old versions stay cheap
};

struct RepackResult {
  std::string packName;  // empty when there was nothing to pack
  std::size_t objects = 0;
  std::size_t deltas = 0;
  std::uint64_t bytes = 0;
  std::unordered_set<git::ObjectId, git::ObjectIdHash> reachable;  // every object the walk reached
};

Expected<RepackResult> repack(const RepackRequest& request);

}  // namespace cadre::workspace
