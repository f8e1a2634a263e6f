// The index cache file: every file's symbols in a compact binary form, stamped
// with a fingerprint of what produced them (format version, query texts, and
// the executable's size and mtime), so a changed cadre never serves stale
// symbols. Written atomically (temp file + rename); read through a read-only
// mapping whose records are checked (length and checksum) at load and decoded
// when first used. A cache that does not read back whole is ignored, a
// damaged record means that file is parsed again: never trusted.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/analysis/project_index.hpp"

namespace cadre::analysis {

std::uint64_t queriesFingerprint();

// One file's symbols as the cache encodes them, inside the mapped cache file
// (kept mapped while any file refers to it) or a buffer of their own.
struct EncodedSymbols {
  std::shared_ptr<const void> storage;  // the mapping, or the buffer
  std::string_view bytes;
  std::string language;
  std::once_flag once;
  FileSymbols decoded;
};

// The symbols, decoded on the first call (thread-safe). A record that passed
// its checksum but does not decode (a writer bug) reads as partial: no
// symbols, timedOut set, so checks stay silent about the file.
const FileSymbols& decodedSymbols(EncodedSymbols& encoded);

// The names and imports of encoded symbols, without decoding the rest (views
// into `encoded`). False when the record does not read back whole.
bool readSymbolNames(const EncodedSymbols& encoded, SymbolNames& out);

// `symbols` in the cache's encoding, held in memory: how the indexer keeps
// what it parsed (about a third of the decoded size), so a cold index of a
// large tree holds compact records rather than millions of strings.
std::shared_ptr<EncodedSymbols> encodeSymbols(const FileSymbols& symbols);

Expected<void> saveIndexCache(const std::filesystem::path& file, const std::vector<IndexedFile>& files);
// The cached files, in the order they were saved, symbols still encoded;
// empty when the file is absent, unreadable, from another build, or corrupt.
// Records are checked on all cores.
std::vector<IndexedFile> loadIndexCache(const std::filesystem::path& file);

}  // namespace cadre::analysis
