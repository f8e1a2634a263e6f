// Parallel indexing with a validated cache; see project_index.hpp.
#include "server/analysis/project_index.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "server/analysis/index_cache.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "support/files.hpp"
#include "support/parallel_for.hpp"

namespace cadre::analysis {
namespace fs = std::filesystem;

namespace {
SymbolCounts countsOf(const FileSymbols& s) { return {s.definitions.size(), s.references.size(), s.imports.size(), s.syntaxErrors}; }
}  // namespace

const FileSymbols& IndexedFile::symbols() const { return encoded_ ? decodedSymbols(*encoded_) : symbols_; }

void IndexedFile::setSymbols(FileSymbols symbols) {
  symbols_ = std::move(symbols);
  encoded_.reset();
}

void IndexedFile::setEncoded(std::shared_ptr<EncodedSymbols> encoded, SymbolCounts counts) {
  encoded_ = std::move(encoded);
  encodedCounts_ = counts;
  symbols_ = {};
}

SymbolCounts IndexedFile::counts() const { return encoded_ ? encodedCounts_ : countsOf(symbols_); }

SymbolNames IndexedFile::symbolNames() const {
  SymbolNames out;
  if (encoded_ && readSymbolNames(*encoded_, out)) return out;
  // Decoded symbols (an edited file, or a record that does not read back:
  // then partial, as everywhere else). A name per use; the caller interns.
  out = {};
  const FileSymbols& s = symbols();
  for (const auto& d : s.definitions) {
    out.definitions.push_back(static_cast<std::uint32_t>(out.names.size()));
    out.names.push_back(d.name);
    out.topLevel.push_back(d.parent < 0);
  }
  for (const auto& r : s.references) {
    out.references.push_back(static_cast<std::uint32_t>(out.names.size()));
    out.names.push_back(r.name);
  }
  out.imports = s.imports;
  return out;
}

bool IndexedFile::hasSymbols() const { return encoded_ || !symbols_.language.empty(); }

std::uint64_t fileContentHash(std::string_view text) {
  // Two lanes of 8-byte words, each step (xor, rotate, multiply by an odd
  // constant) invertible, so no input is forgotten; then a final avalanche.
  constexpr std::uint64_t kWord = 0xd6e8feb86659fd93ull, kStep = 0x9e3779b97f4a7c15ull, kLaneB = 0xc2b2ae3d27d4eb4full;
  auto rotl = [](std::uint64_t x, int r) { return x << r | x >> (64 - r); };
  auto word = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + at, sizeof w);
    return w;
  };
  std::uint64_t a = text.size(), b = text.size() ^ kLaneB;
  std::size_t i = 0;
  for (; i + 16 <= text.size(); i += 16) {
    a = rotl(a ^ word(i) * kWord, 29) * kStep;
    b = rotl(b ^ word(i + 8) * kWord, 29) * kStep;
  }
  std::uint64_t tail = 0;
  std::size_t k = 0;
  for (; i + 8 <= text.size(); i += 8) a = rotl(a ^ word(i) * kWord, 29) * kStep;
  for (; i < text.size(); ++i, k += 8) tail |= std::uint64_t{static_cast<unsigned char>(text[i])} << k;
  std::uint64_t h = rotl(a ^ tail * kWord, 29) * kStep ^ rotl(b, 31);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

std::uint64_t contentHash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Expected<ProjectIndex> ProjectIndex::build(const fs::path& root, const IndexOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return makeError(ErrorCode::InvalidParams, "not a directory: " + root.string());

  ProjectIndex index;
  index.root_ = fs::weakly_canonical(root, ec);
  if (ec) index.root_ = root;

  std::mutex progressMu;
  auto report = [&](std::size_t done, std::size_t total, std::string_view phase) {
    if (!options.progress) return;
    std::lock_guard lock(progressMu);
    options.progress(IndexProgress{done, total, phase});
  };
  report(0, 0, "discovering");
  Discovery found = discoverFiles(index.root_, options.limits);
  index.skipped_ = std::move(found.skipped);
  index.truncated_ = found.truncated;

  std::vector<IndexedFile> cachedFiles = options.cacheFile.empty() ? std::vector<IndexedFile>{} : loadIndexCache(options.cacheFile);
  // Keys are copies: entries are moved out (paths included) as they are reused.
  std::unordered_map<std::string, IndexedFile*> cached;
  cached.reserve(cachedFiles.size());
  for (auto& f : cachedFiles) cached.emplace(f.path, &f);

  index.files_.resize(found.files.size());
  std::vector<std::size_t> toParse;
  for (std::size_t i = 0; i < found.files.size(); ++i) {
    const DiscoveredFile& d = found.files[i];
    IndexedFile& f = index.files_[i];
    auto hit = cached.find(d.path);
    if (hit != cached.end() && hit->second->size == d.size && hit->second->mtimeNs == d.mtimeNs && hit->second->language == d.language) {
      f = std::move(*hit->second);
      ++index.stats_.fromCache;
      continue;
    }
    // Same size, other mtime: decided by the content hash in the worker
    // (the cached hash and symbols come along, still encoded).
    if (hit != cached.end() && hit->second->size == d.size) {
      f = std::move(*hit->second);
      f.skipReason.clear();
    }
    f.path = d.path;
    f.language = d.language;
    f.size = d.size;
    f.mtimeNs = d.mtimeNs;
    toParse.push_back(i);
  }

  // Largest first: a large file taken last keeps one thread busy while the
  // others have nothing left (TypeScript's lib.webworker.d.ts and
  // typescript.d.ts are a quarter of the TypeScript corpus). Which thread
  // parses what does not change the result.
  std::stable_sort(toParse.begin(), toParse.end(), [&](std::size_t a, std::size_t b) { return index.files_[a].size > index.files_[b].size; });
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, toParse.size())));
  std::atomic<std::size_t> next{0}, done{0}, parsed{0}, skipped{0};
  auto work = [&] {
    TreeArena arena;
    std::string text;
    // The symbols are kept encoded (decoded again on first use): /usr/include's
    // 1.3 million definitions and 3.7 million references take ~170 MB that
    // way against ~600 MB as strings and vectors.
    for (std::size_t k = next++; k < toParse.size(); k = next++) {
      if (options.cancel && options.cancel->load()) return;
      IndexedFile& f = index.files_[toParse[k]];
      if (!readWholeFile(index.root_ / f.path, text)) {
        f.skipReason = "unreadable";
        f.setSymbols({});
        ++skipped;
      } else if (std::string why = contentSkipReason(std::string_view(text).substr(0, 64 * 1024)); !why.empty()) {
        f.skipReason = std::move(why);
        f.setSymbols({});
        ++skipped;
      } else if (const std::uint64_t h = fileContentHash(text); h != f.hash || !f.hasSymbols()) {
        f.hash = h;
        ParseLimits limits;
        limits.cancel = options.cancel;
        const FileSymbols symbols = summarize(arena, *languageById(f.language), text, limits);
        f.setEncoded(encodeSymbols(symbols), countsOf(symbols));
        ++parsed;
      }
      const std::size_t n = ++done;
      if (n % 64 == 0 || n == toParse.size()) report(n, toParse.size(), "parsing");
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (options.cancel && options.cancel->load()) return makeError(ErrorCode::RequestCancelled, "indexing was cancelled");

  index.stats_.parsed = parsed;
  index.stats_.skipped = skipped + index.skipped_.size();
  for (const auto& f : index.files_) {
    if (!f.skipReason.empty()) index.skipped_.push_back({f.path, f.skipReason});
  }
  if (!options.cacheFile.empty() && (parsed > 0 || skipped > 0 || cached.size() != index.stats_.fromCache)) {
    report(0, 0, "saving");
    // A cache that cannot be written costs the next start time, not correctness.
    (void)saveIndexCache(options.cacheFile, index.files_);
  }
  index.buildNameTable();
  index.stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return index;
}

void ProjectIndex::buildNameTable() {
  byPath_.clear();
  for (std::uint32_t i = 0; i < files_.size(); ++i) byPath_.emplace(files_[i].path, i);
}

const IndexedFile* ProjectIndex::file(std::string_view path) const {
  auto it = byPath_.find(std::string(path));
  return it == byPath_.end() ? nullptr : &files_[it->second];
}

void ProjectIndex::decodeAll() const {
  std::call_once(*decodeAllOnce_, [this] {
    parallelFor(files_.size(), std::thread::hardware_concurrency(), [&](std::size_t i) { (void)files_[i].symbols(); });
  });
}

const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ProjectIndex::definitionsNamed(std::string_view name) const {
  static const std::vector<std::pair<std::uint32_t, std::uint32_t>> none;
  std::call_once(*byNameOnce_, [this] {
    decodeAll();
    for (std::uint32_t i = 0; i < files_.size(); ++i) {
      const auto& defs = files_[i].symbols().definitions;
      for (std::uint32_t d = 0; d < defs.size(); ++d) byName_[std::string_view(defs[d].name)].emplace_back(i, d);
    }
  });
  auto it = byName_.find(name);
  return it == byName_.end() ? none : it->second;
}

}  // namespace cadre::analysis
