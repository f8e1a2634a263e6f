// The project index: every discovered file's symbols, built in parallel on all
// cores and kept in a cache file so a restart on an unchanged project parses
// nothing. No syntax trees are kept: files are parsed, summarized and dropped
// (open documents are parsed on demand by core).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/analysis/discovery.hpp"
#include "server/analysis/symbols.hpp"
#include "support/expected.hpp"

namespace cadre::analysis {

// How many symbols a file has, known without decoding them.
struct SymbolCounts {
  std::size_t definitions = 0;
  std::size_t references = 0;
  std::size_t imports = 0;
  std::uint32_t syntaxErrors = 0;
};

// A file's symbols still in the index cache's encoding: decoded on first use
// (index_cache.hpp).
struct EncodedSymbols;

// What whole-project rankings (the repo map) need of a file, without
// decoding the rest of its symbols: its names, which of them each definition
// and reference uses, which definitions are top-level, and its imports.
// The views point into the file's encoded or decoded symbols: valid while
// the file is neither moved nor given new symbols.
struct SymbolNames {
  std::vector<std::string_view> names;
  std::vector<std::uint32_t> definitions;  // per definition: an index into names
  std::vector<bool> topLevel;              // per definition: no enclosing definition
  std::vector<std::uint32_t> references;   // per reference: an index into names
  std::vector<Import> imports;
};

class IndexedFile {
 public:
  std::string path;  // relative to the root, '/' separators
  std::string language;
  std::uint64_t size = 0;
  std::int64_t mtimeNs = 0;
  std::uint64_t hash = 0;  // of the content (fileContentHash)
  std::string skipReason;  // non-empty: not parsed (binary, generated, ...)

  // The file's symbols. Read back from the index cache, they are decoded on
  // the first call (from any thread, once; copies share the result): a warm
  // start maps the cache and decodes only what is used.
  const FileSymbols& symbols() const;
  void setSymbols(FileSymbols symbols);
  SymbolCounts counts() const;
  // Names, definitions' and references' names, imports: read straight from
  // the encoding when the symbols are still encoded (no decoding).
  SymbolNames symbolNames() const;
  // Whether there are symbols at all (parsed, or in the cache).
  bool hasSymbols() const;

  // For the cache: the encoded symbols when they have not been replaced.
  const EncodedSymbols* encoded() const { return encoded_.get(); }
  void setEncoded(std::shared_ptr<EncodedSymbols> encoded, SymbolCounts counts);

 private:
  FileSymbols symbols_;
  std::shared_ptr<EncodedSymbols> encoded_;
  SymbolCounts encodedCounts_;
};

struct IndexProgress {
  std::size_t done = 0;
  std::size_t total = 0;
  std::string_view phase;  // "discovering", "parsing", "saving"
};

struct IndexOptions {
  unsigned threads = 0;                // 0: all cores
  std::filesystem::path cacheFile;     // empty: no cache
  DiscoveryLimits limits;
  std::function<void(const IndexProgress&)> progress;  // called from worker threads, serialized
  const std::atomic<bool>* cancel = nullptr;
};

struct IndexStats {
  std::size_t parsed = 0;     // files read and parsed this time
  std::size_t fromCache = 0;  // files whose cached symbols were still valid
  std::size_t skipped = 0;
  double seconds = 0;
};

class ProjectIndex {
 public:
  static Expected<ProjectIndex> build(const std::filesystem::path& root, const IndexOptions& options = {});

  // Move-only: the name table views strings owned by files_ (a move keeps
  // them where they are; a copy would not).
  ProjectIndex(ProjectIndex&&) = default;
  ProjectIndex& operator=(ProjectIndex&&) = default;
  ProjectIndex(const ProjectIndex&) = delete;
  ProjectIndex& operator=(const ProjectIndex&) = delete;

  const std::filesystem::path& root() const { return root_; }
  const std::vector<IndexedFile>& files() const { return files_; }
  const std::vector<SkippedFile>& skipped() const { return skipped_; }
  const IndexStats& stats() const { return stats_; }
  bool truncated() const { return truncated_; }

  const IndexedFile* file(std::string_view path) const;
  // Decodes every file's symbols still encoded from the cache, on all cores:
  // for the users of every file (the name table, the repo map, a project
  // check, workspace symbols), instead of one file at a time on first use.
  // Later calls return at once.
  void decodeAll() const;
  // Definitions named `name` anywhere in the project: (file index, definition index).
  const std::vector<std::pair<std::uint32_t, std::uint32_t>>& definitionsNamed(std::string_view name) const;

 private:
  ProjectIndex() = default;
  void buildNameTable();

  std::filesystem::path root_;
  std::vector<IndexedFile> files_;
  std::vector<SkippedFile> skipped_;
  std::unordered_map<std::string, std::uint32_t> byPath_;
  // Keys view the names inside files_ (never resized after build), so names
  // are not copied a second time. Built on the first definitionsNamed call
  // (any thread): `cadre index` and a warm restart that only counts never
  // pay for it (~15% of a warm restart's CPU on the Python stdlib).
  mutable std::unique_ptr<std::once_flag> byNameOnce_ = std::make_unique<std::once_flag>();
  mutable std::unique_ptr<std::once_flag> decodeAllOnce_ = std::make_unique<std::once_flag>();
  mutable std::unordered_map<std::string_view, std::vector<std::pair<std::uint32_t, std::uint32_t>>> byName_;
  IndexStats stats_;
  bool truncated_ = false;
};

// FNV-1a 64, a byte a step: the same in every build (it names a project's
// state directory, see core/state_paths).
std::uint64_t contentHash(std::string_view text);

// A file's content as the index cache remembers it, 16 bytes a step (FNV-1a
// took 2% of a cold index). Only the build that wrote a cache reads it, so
// this may change between builds.
std::uint64_t fileContentHash(std::string_view text);

}  // namespace cadre::analysis
