// The index cache file: every file's symbols in a compact binary form, stamped
// with a fingerprint of what produced them (format version, query texts, and
// the executable's size and mtime), so a changed cadre never serves stale
// symbols. Written atomically (temp file
// + rename); a cache that does not read back whole is ignored, never trusted.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/analysis/project_index.hpp"

namespace cadre::analysis {

std::uint64_t queriesFingerprint();

Expected<void> saveIndexCache(const std::filesystem::path& file, const std::vector<IndexedFile>& files);
// The cached files, in the order they were saved; empty when the file is
// absent, unreadable, from another build, or corrupt. Decoded on all cores.
std::vector<IndexedFile> loadIndexCache(const std::filesystem::path& file);

}  // namespace cadre::analysis
