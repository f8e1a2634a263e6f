// The checkpoint store; see checkpoints.hpp and docs/checkpoints.md.
//
// Layout of the repository (bare; nothing of it lives in the project):
//   objects/pack/      one small pack per checkpoint (its new blobs, trees
//                      and commit: two files, where loose objects would be
//                      dozens), merged as they pile up, repacked with deltas
//   refs/checkpoints/  one ref per checkpoint, named by its sequence number
//   HEAD               detached at the latest checkpoint
//   index              the stat cache: one entry per file of the snapshot the
//                      last scan produced, with its lstat data and blob id
//   cadre-state        the tree that index describes, and the index's
//                      checksum (to tell whether it is still that index)
//   cadre.lock         flock'd by whoever changes any of the above
//
// Order of writes, so that a crash anywhere leaves a usable store: objects
// (pack) → index → cadre-state → ref → HEAD. An index never names a blob
// that is not stored; a ref never names a commit that is not stored.
#include "server/workspace/checkpoints.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "server/workspace/checkpoint_objects.hpp"
#include "server/workspace/checkpoint_repack.hpp"
#include "server/workspace/git_handles.hpp"
#include "server/workspace/git_oid.hpp"
#include "support/parallel_for.hpp"
#include "support/files.hpp"

namespace cadre::workspace {
namespace {

namespace fs = std::filesystem;
using git::EntryMode;
using git::ObjectId;
using git::fromGit;
using git::toGit;
using git::ObjectType;

constexpr const char* kRefPrefix = "refs/checkpoints/";
// From this many files to hash on, reading, hashing and compressing run on
// all cores; below it, threads cost more than they save.
constexpr std::size_t kParallelThreshold = 64;
constexpr std::size_t kParallelScanFiles = 10000;
// Files are hashed and compressed in batches of about this many bytes, so a
// first checkpoint of a huge tree does not hold it all in memory.
constexpr std::uint64_t kBatchBytes = 64u << 20;


EntryMode gitMode(mode_t mode) {
  if (S_ISLNK(mode)) return EntryMode::Symlink;
  return (mode & S_IXUSR) ? EntryMode::Executable : EntryMode::Blob;
}

bool statMatches(const git_index_entry& e, const ScannedFile& f) {
  return e.mtime.seconds == static_cast<std::int32_t>(f.mtime.tv_sec) &&
         e.mtime.nanoseconds == static_cast<std::uint32_t>(f.mtime.tv_nsec) &&
         e.ctime.seconds == static_cast<std::int32_t>(f.ctime.tv_sec) &&
         e.ctime.nanoseconds == static_cast<std::uint32_t>(f.ctime.tv_nsec) && e.ino == static_cast<std::uint32_t>(f.ino) &&
         e.file_size == static_cast<std::uint32_t>(f.size) && e.mode == static_cast<std::uint32_t>(gitMode(f.mode)) && e.uid == f.uid &&
         e.gid == f.gid;
}

bool notBefore(const timespec& a, const timespec& b) { return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec); }

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


// flock on the repository's lock file for the scope.
class Lock {
 public:
  explicit Lock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~Lock() { ::flock(fd_, LOCK_UN); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  int fd_;
};

enum class ReadResult { Ok, Failed, TooLarge };

// A worker's read buffer: grown, never shrunk, never zero-filled (filling
// fresh pages for every file showed up as a tenth of a first checkpoint).
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  std::size_t capacity = 0;
  void reserve(std::size_t n, std::size_t keep = 0) {
    if (n <= capacity) return;
    std::unique_ptr<char[]> bigger(new char[n]);
    if (keep) std::memcpy(bigger.get(), data.get(), keep);
    data = std::move(bigger);
    capacity = n;
  }
};

// The file's bytes (a symlink's target) into `buffer`, never more than
// `cap`: a file that grew past it since its lstat is not read whole.
ReadResult readFileAt(int rootFd, const ScannedFile& f, std::uint64_t cap, ReadBuffer& buffer, std::size_t& size) {
  if (S_ISLNK(f.mode)) {
    buffer.reserve(std::max<std::size_t>(f.size, 64) + 1);
    for (;;) {
      const ssize_t n = ::readlinkat(rootFd, f.path.c_str(), buffer.data.get(), buffer.capacity);
      if (n < 0) return ReadResult::Failed;
      if (static_cast<std::size_t>(n) < buffer.capacity) {
        size = static_cast<std::size_t>(n);
        return ReadResult::Ok;
      }
      if (buffer.capacity > cap) return ReadResult::TooLarge;
      buffer.reserve(buffer.capacity * 2);
    }
  }
  const int fd = ::openat(rootFd, f.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ReadResult::Failed;
  // One byte more than the lstat said, to see the end of file in one read.
  buffer.reserve(static_cast<std::size_t>(f.size) + 1);
  std::size_t got = 0;
  for (;;) {
    if (got == buffer.capacity) {
      if (got > cap) {
        ::close(fd);
        return ReadResult::TooLarge;
      }
      buffer.reserve(buffer.capacity + 65536, got);  // grew since the lstat
    }
    const ssize_t r = ::read(fd, buffer.data.get() + got, buffer.capacity - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return ReadResult::Failed;
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  size = got;
  return got > cap ? ReadResult::TooLarge : ReadResult::Ok;
}

// Metadata keys and values go into commit trailers: one line each.
std::string cleanKey(std::string_view key) {
  std::string out;
  for (char c : key) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '-';
  return out;
}

std::string cleanValue(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

std::string padSeq(std::uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010llu", static_cast<unsigned long long>(seq));
  return buf;
}

template <class T>
bool parseNumber(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// A commit of ours: the message, then "Cadre-…" trailers.
Checkpoint parseCommit(const std::string& id, git_commit* commit) {
  Checkpoint c;
  c.id = id;
  c.tree = fromGit(*git::api().commit_tree_id(commit)).hex();
  c.timeMs = static_cast<std::int64_t>(git::api().commit_time(commit)) * 1000;
  std::string_view msg = git::api().commit_message(commit) ? git::api().commit_message(commit) : "";
  const std::size_t trailers = msg.rfind("\n\nCadre-Seq: ");
  std::string_view body = trailers == std::string_view::npos ? msg : msg.substr(0, trailers);
  while (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  c.message = std::string(body);
  if (trailers == std::string_view::npos) return c;
  std::string_view rest = msg.substr(trailers + 2);
  while (!rest.empty()) {
    const std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "Cadre-Seq") parseNumber(value, c.seq);
    else if (key == "Cadre-Time-Ms") parseNumber(value, c.timeMs);
    else if (key == "Cadre-Files-Changed") parseNumber(value, c.filesChanged);
    else if (key == "Cadre-Bytes-Changed") parseNumber(value, c.bytesChanged);
    else if (key == "Cadre-Files") parseNumber(value, c.files);
    else if (key == "Cadre-Bytes") parseNumber(value, c.bytes);
    else if (key == "Cadre-Skipped") parseNumber(value, c.skipped);
    else if (key.rfind("Cadre-Meta-", 0) == 0) c.metadata[std::string(key.substr(11))] = std::string(value);
  }
  return c;
}

bool underAny(std::string_view path, const std::vector<std::string>& scopes) {
  if (scopes.empty()) return true;
  for (const auto& s : scopes) {
    if (s.empty() || s == ".") return true;
    if (path.size() >= s.size() && path.compare(0, s.size(), s) == 0 && (path.size() == s.size() || path[s.size()] == '/')) return true;
  }
  return false;
}

// Scopes as the caller wrote them ("src/", "./a.py") in the form paths take.
std::vector<std::string> normalizeScopes(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::string s = fs::path(p).lexically_normal().generic_string();
    while (!s.empty() && s.back() == '/') s.pop_back();
    if (s.rfind("./", 0) == 0) s.erase(0, 2);
    out.push_back(s.empty() ? "." : s);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

struct CheckpointStore::Impl {
  fs::path repoPath, workTree;
  CheckpointOptions options;
  git::RepositoryPtr repo;
  git::IndexPtr index;
  int lockFd = -1;
  int rootFd = -1;
  unsigned threads = 1;

  struct State {
    ObjectId indexTree;      // the tree the index describes (zero: unknown)
    ObjectId indexChecksum;  // of the index file that tree belongs to
  } state;
  // Commits never change: each is parsed once per store.
  std::unordered_map<std::string, Checkpoint> parsed;

  // The caller's deny predicate, remembered per (path, folder?, has other
  // links?): it is a pure function of those for the store's lifetime, and
  // asking it about every file on every scan cost a fifth of a "nothing
  // changed" on a big tree. (A file gaining a hard link changes its nlink,
  // hence its key.) Scans call it from several threads.
  CheckpointExclude cachedExclude;
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Verdicts {
    std::shared_mutex mu;
    std::unordered_map<std::string, bool, KeyHash, std::equal_to<>> byKey;
  };
  std::shared_ptr<Verdicts> verdicts = std::make_shared<Verdicts>();

  void cacheExclude() {
    if (!options.exclude) return;
    cachedExclude = [inner = options.exclude, cache = verdicts](std::string_view rel, bool isDirectory, unsigned links) {
      thread_local std::string key;
      key.assign(rel);
      key += isDirectory ? '/' : links > 1 ? '+' : '.';
      {
        std::shared_lock read(cache->mu);
        if (auto it = cache->byKey.find(std::string_view(key)); it != cache->byKey.end()) return it->second;
      }
      const bool denied = inner(rel, isDirectory, links);
      std::unique_lock write(cache->mu);
      cache->byKey.emplace(key, denied);
      return denied;
    };
  }

  ~Impl() {
    if (lockFd >= 0) ::close(lockFd);
    if (rootFd >= 0) ::close(rootFd);
  }

  fs::path objectsDir() const { return repoPath / "objects"; }

  Expected<void> openRepository() {
    git_repository* r = nullptr;
    if (git::api().repository_open_ext(&r, repoPath.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr) != 0)
      return git::lastError("cannot open the checkpoint repository " + repoPath.string());
    repo.reset(r);
    // Only the repository's own config: a user's global settings (filters,
    // compression, hooks paths) must not change what a checkpoint stores.
    git_config* cfg = nullptr;
    if (git::api().config_new(&cfg) != 0) return git::lastError("cannot create a config");
    git::ConfigPtr owned(cfg);
    if (git::api().config_add_file_ondisk(cfg, (repoPath / "config").c_str(), GIT_CONFIG_LEVEL_LOCAL, repo.get(), 0) != 0)
      return git::lastError("cannot read " + (repoPath / "config").string());
    if (git::api().repository_set_config(repo.get(), cfg) != 0) return git::lastError("cannot set the repository's config");
    return {};
  }

  // --- state file ------------------------------------------------------------

  void readState() {
    state = State{};
    std::string text;
    if (!readWholeFile(repoPath / "cadre-state", text)) return;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string_view line(text.data() + pos, eol - pos);
      pos = eol + 1;
      const std::size_t sp = line.find(' ');
      if (sp == std::string_view::npos) continue;
      const std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
      if (key == "index-tree") ObjectId::fromHex(value, state.indexTree);
      else if (key == "index-checksum") ObjectId::fromHex(value, state.indexChecksum);
    }
  }

  Expected<void> writeState() {
    const std::string text = "index-tree " + state.indexTree.hex() + "\nindex-checksum " + state.indexChecksum.hex() + "\n";
    const fs::path tmp = repoPath / "cadre-state.tmp", target = repoPath / "cadre-state";
    {
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (!f) return makeError(ErrorCode::IoError, "cannot write " + tmp.string());
      const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
      if (std::fclose(f) != 0 || !ok) return makeError(ErrorCode::IoError, "cannot write " + tmp.string());
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) return makeError(ErrorCode::IoError, "cannot rename " + tmp.string());
    return {};
  }

  ObjectId indexChecksum() {
    const git_oid* sum = git::api().index_checksum(index.get());
    return sum ? fromGit(*sum) : ObjectId{};
  }

  // Takes the lock's view of the world: another process may have changed
  // the index or the state since this store last looked.
  Expected<void> refresh() {
    if (git::api().index_read(index.get(), 0) != 0) return git::lastError("cannot read the checkpoint index");
    readState();
    return {};
  }

  git_odb* odb() {
    git_odb* o = nullptr;
    git::api().repository_odb(&o, repo.get());
    git::api().odb_free(o);  // the repository keeps its own reference
    return o;
  }

  bool exists(const ObjectId& id) {
    const git_oid o = toGit(id);
    return git::api().odb_exists_ext(odb(), &o, GIT_ODB_LOOKUP_NO_REFRESH) == 1;
  }

  // --- object sink -------------------------------------------------------------

  // Where one operation's new objects go: one pack, written when finished.
  class Sink {
   public:
    explicit Sink(Impl& s) : s_(s), pack_(s.objectsDir() / "pack") {}

    // True when `id` is already stored or queued.
    bool have(const ObjectId& id) { return pack_.contains(id) || s_.exists(id); }

    Expected<void> add(const git::DeflatedObject& object) {
      if (pack_.contains(object.id)) return {};
      ++written_;
      return pack_.add(object);
    }

    Expected<void> write(ObjectType type, std::string_view data, const ObjectId& id) {
      if (have(id)) return {};
      return add(git::deflateObject(type, data, id));
    }

    // Writes the pack (when anything was added) and lets libgit2 see it.
    Expected<void> finish() {
      auto name = pack_.finish();
      if (!name) return name.error();
      if (!name->empty() && git::api().odb_refresh(s_.odb()) != 0) return git::lastError("cannot load the new pack");
      return {};
    }

    std::size_t written() const { return written_; }

   private:
    Impl& s_;
    git::PackWriter pack_;
    std::size_t written_ = 0;
  };

  // --- trees -------------------------------------------------------------------

  struct TreeChange {
    std::string path;
    bool remove = false;
    EntryMode mode = EntryMode::Blob;
    ObjectId id;
  };

  // The tree `base` with `changes` (sorted by path, all under the directory
  // whose path prefix has length `prefixLen`) applied. Reads only the trees
  // on the changed paths; writes only trees that are new. `empty`: the
  // result has no entries (a folder whose files all went).
  Expected<ObjectId> buildTree(const ObjectId* base, const TreeChange* begin, const TreeChange* end, std::size_t prefixLen, Sink& sink,
                               std::size_t& treesWritten, bool& empty) {
    std::vector<git::TreeEntry> entries;
    if (base) {
      git_tree* t = nullptr;
      const git_oid o = toGit(*base);
      if (git::api().tree_lookup(&t, repo.get(), &o) != 0) return git::lastError("cannot read tree " + base->hex());
      git::TreePtr tree(t);
      const git::Api& lib = git::api();
      const std::size_t n = lib.tree_entrycount(t);
      entries.reserve(n + 4);
      for (std::size_t i = 0; i < n; ++i) {
        const git_tree_entry* e = lib.tree_entry_byindex(t, i);
        entries.push_back({lib.tree_entry_name(e), static_cast<EntryMode>(lib.tree_entry_filemode_raw(e)), fromGit(*lib.tree_entry_id(e))});
      }
    }
    // Name → position; removed entries keep their slot with a zero mode.
    std::unordered_map<std::string, std::size_t> byName;
    byName.reserve(entries.size() + static_cast<std::size_t>(end - begin));
    for (std::size_t i = 0; i < entries.size(); ++i) byName.emplace(entries[i].name, i);
    constexpr auto kRemoved = static_cast<EntryMode>(0);
    auto find = [&](const std::string& name) -> git::TreeEntry* {
      auto it = byName.find(name);
      return it == byName.end() || entries[it->second].mode == kRemoved ? nullptr : &entries[it->second];
    };
    auto put = [&](const std::string& name, EntryMode mode, const ObjectId& id) {
      auto it = byName.find(name);
      if (it != byName.end()) {
        entries[it->second].mode = mode;
        entries[it->second].id = id;
      } else {
        byName.emplace(name, entries.size());
        entries.push_back({name, mode, id});
      }
    };
    // Folders first, then files: a file replacing a folder of the same name
    // (or the reverse) then lands whichever way the changes are ordered.
    std::vector<const TreeChange*> files;
    for (const TreeChange* c = begin; c != end;) {
      const std::string& p = c->path;
      const std::size_t slash = p.find('/', prefixLen);
      if (slash == std::string::npos) {
        files.push_back(c++);
        continue;
      }
      const std::string name = p.substr(prefixLen, slash - prefixLen);
      const std::string_view dirPrefix(p.data(), slash + 1);
      const TreeChange* groupEnd = c;
      while (groupEnd != end && std::string_view(groupEnd->path).substr(0, dirPrefix.size()) == dirPrefix) ++groupEnd;
      const git::TreeEntry* existing = find(name);
      std::optional<ObjectId> subBase;
      if (existing && existing->mode == EntryMode::Tree) subBase = existing->id;
      bool subEmpty = false;
      auto sub = buildTree(subBase ? &*subBase : nullptr, c, groupEnd, slash + 1, sink, treesWritten, subEmpty);
      if (!sub) return sub;
      git::TreeEntry* now = find(name);
      if (subEmpty) {
        if (now && now->mode == EntryMode::Tree) now->mode = kRemoved;
      } else {
        put(name, EntryMode::Tree, *sub);
      }
      c = groupEnd;
    }
    for (const TreeChange* c : files) {
      const std::string name = c->path.substr(prefixLen);
      git::TreeEntry* now = find(name);
      if (c->remove) {
        if (now && now->mode != EntryMode::Tree) now->mode = kRemoved;
      } else {
        put(name, c->mode, c->id);
      }
    }
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const git::TreeEntry& e) { return e.mode == kRemoved; }), entries.end());
    std::sort(entries.begin(), entries.end(), git::treeOrderLess);
    empty = entries.empty();
    const std::string data = git::serializeTree(entries);
    const ObjectId id = git::hashObject(ObjectType::Tree, data);
    if (base && *base == id) return id;
    if (!sink.have(id)) {
      if (auto ok = sink.write(ObjectType::Tree, data, id); !ok) return ok.error();
      ++treesWritten;
    }
    return id;
  }

  // --- the scan ------------------------------------------------------------------

  struct Staged {
    ObjectId tree;
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    std::vector<SkippedFile> skipped;
    ScanStats stats;
    // Content changes against the tree the index described before this scan
    // (valid when `baseTree` is that tree).
    ObjectId baseTree;
    std::size_t changed = 0;
    std::uint64_t changedBytes = 0;
    bool indexChanged = false;  // the in-memory index differs from the file
    bool baseValid = false;
  };

  // Walks the work tree, hashes what the stat cache cannot vouch for, queues
  // new objects in `sink`, updates the in-memory index and returns the tree
  // of what is there now. The caller finishes the sink, then persist()s.
  Expected<Staged> stage(Sink& sink) {
    const auto t0 = std::chrono::steady_clock::now();
    Staged out;
    // Taken before any lstat, on the clock file times come from: a file
    // modified at or after it may change again within the same tick without
    // its lstat showing it, so its entry is not trusted next time.
    timespec scanStart{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &scanStart);

    ScanOptions scanOptions;
    scanOptions.maxFileBytes = options.maxFileBytes;
    scanOptions.exclude = cachedExclude;
    scanOptions.skipDirs = {repoPath};
    // A walk on several threads pays only on big trees (the last scan's size
    // tells); on small ones starting the threads costs more than it saves.
    scanOptions.threads = git::api().index_entrycount(index.get()) >= kParallelScanFiles ? threads : 1;
    ScanResult scan = scanWorkTree(workTree, scanOptions);
    out.skipped = std::move(scan.skipped);
    out.stats.ignored = scan.ignored;
    out.stats.excluded = scan.excluded;
    out.stats.nestedRepositories = scan.nestedRepositories;

    const bool baseValid = !state.indexTree.isZero() && state.indexChecksum == indexChecksum() && exists(state.indexTree);
    out.baseValid = baseValid;

    // Merge the scan (sorted) with the index (sorted the same way).
    struct Candidate {
      std::size_t file;
      bool hadEntry = false;
      ObjectId oldId;
      std::uint32_t oldMode = 0;
      ObjectId id;
      ReadResult read = ReadResult::Failed;
      bool ok = false;
      bool contentChanged = false;
      std::size_t size = 0;
      std::optional<git::DeflatedObject> deflated;  // new to the store
    };
    std::vector<Candidate> candidates;
    std::vector<std::string> deletions;
    std::vector<char> unchanged(scan.files.size(), 0);
    {
      const std::size_t n = git::api().index_entrycount(index.get());
      std::size_t i = 0, j = 0;
      while (i < n || j < scan.files.size()) {
        const git_index_entry* e = i < n ? git::api().index_get_byindex(index.get(), i) : nullptr;
        if (e && GIT_INDEX_ENTRY_STAGE(e) != 0) {
          ++i;
          continue;
        }
        const int cmp = !e ? 1 : j >= scan.files.size() ? -1 : std::strcmp(e->path, scan.files[j].path.c_str());
        if (cmp < 0) {
          deletions.emplace_back(e->path);
          ++i;
        } else if (cmp > 0) {
          candidates.push_back({j, false, {}, 0, {}, ReadResult::Failed, false, false, 0, std::nullopt});
          ++j;
        } else {
          if (statMatches(*e, scan.files[j])) {
            unchanged[j] = 1;
          } else {
            candidates.push_back({j, true, fromGit(e->id), e->mode, {}, ReadResult::Failed, false, false, 0, std::nullopt});
          }
          ++i;
          ++j;
        }
      }
    }

    // Read, hash and (when new to the store) compress the candidates on the
    // workers, batch by batch; the pack is written in order on this thread.
    // The object store is safe to ask from several threads (libgit2's
    // threading notes); each worker reuses one read buffer.
    const unsigned workers = candidates.size() >= kParallelThreshold ? threads : 1;
    git_odb* store = odb();
    std::vector<std::string> unreadable;
    for (std::size_t first = 0; first < candidates.size();) {
      std::size_t last = first;
      std::uint64_t batchBytes = 0;
      while (last < candidates.size() && (last == first || batchBytes + scan.files[candidates[last].file].size <= kBatchBytes)) {
        batchBytes += scan.files[candidates[last].file].size;
        ++last;
      }
      parallelFor(last - first, workers, [&](std::size_t k) {
        Candidate& c = candidates[first + k];
        const ScannedFile& f = scan.files[c.file];
        thread_local ReadBuffer buffer;
        std::size_t size = 0;
        c.read = readFileAt(rootFd, f, options.maxFileBytes, buffer, size);
        c.ok = c.read == ReadResult::Ok;
        if (!c.ok) return;
        const std::string_view content(buffer.data.get(), size);
        c.size = size;
        c.id = git::hashObject(ObjectType::Blob, content);
        c.contentChanged = !c.hadEntry || c.oldId != c.id || c.oldMode != static_cast<std::uint32_t>(gitMode(f.mode));
        const git_oid o = toGit(c.id);
        if (c.contentChanged && git::api().odb_exists_ext(store, &o, GIT_ODB_LOOKUP_NO_REFRESH) != 1)
          c.deflated = git::deflateObject(ObjectType::Blob, content, c.id);
      });
      for (std::size_t k = first; k < last; ++k) {
        Candidate& c = candidates[k];
        const ScannedFile& f = scan.files[c.file];
        if (!c.ok) {
          unreadable.push_back(f.path);
          out.skipped.push_back({f.path, c.read == ReadResult::TooLarge ? SkipReason::TooLarge : SkipReason::Unreadable, f.size});
          continue;
        }
        ++out.stats.filesHashed;
        out.stats.bytesHashed += c.size;
        if (c.deflated) {
          if (auto ok = sink.add(*c.deflated); !ok) return ok.error();  // a second copy in this batch is dropped there
          c.deflated.reset();
        }
      }
      first = last;
    }

    // Update the stat cache; collect the tree changes.
    std::vector<TreeChange> changes;
    bool indexChanged = !deletions.empty();
    for (const auto& c : candidates) {
      const ScannedFile& f = scan.files[c.file];
      if (!c.ok) {
        if (c.hadEntry) deletions.push_back(f.path);
        continue;
      }
      git_index_entry e{};
      e.ctime.seconds = static_cast<std::int32_t>(f.ctime.tv_sec);
      e.ctime.nanoseconds = static_cast<std::uint32_t>(f.ctime.tv_nsec);
      e.mtime.seconds = static_cast<std::int32_t>(f.mtime.tv_sec);
      e.mtime.nanoseconds = static_cast<std::uint32_t>(f.mtime.tv_nsec);
      // Racily clean: see scanStart. A zero mtime never matches again.
      if (notBefore(f.mtime, scanStart) || notBefore(f.ctime, scanStart)) e.mtime = {};
      e.dev = static_cast<std::uint32_t>(f.dev);
      e.ino = static_cast<std::uint32_t>(f.ino);
      e.mode = static_cast<std::uint32_t>(gitMode(f.mode));
      e.uid = f.uid;
      e.gid = f.gid;
      e.file_size = static_cast<std::uint32_t>(f.size);
      e.id = toGit(c.id);
      e.path = f.path.c_str();
      if (git::api().index_add(index.get(), &e) != 0) {
        // A name git cannot hold in an index (".git" in a path component on
        // some file system): leave it out and say so.
        out.skipped.push_back({f.path, SkipReason::Unreadable, f.size});
        if (c.hadEntry) deletions.push_back(f.path);
        continue;
      }
      indexChanged = true;
      if (c.contentChanged) {
        changes.push_back({f.path, false, gitMode(f.mode), c.id});
        ++out.changed;
        out.changedBytes += f.size;
      }
    }
    for (const auto& d : deletions) {
      git::api().index_remove(index.get(), d.c_str(), 0);
      changes.push_back({d, true, EntryMode::Blob, {}});
      ++out.changed;
    }
    std::sort(changes.begin(), changes.end(), [](const TreeChange& a, const TreeChange& b) { return a.path < b.path; });

    // Totals of the snapshot.
    std::unordered_set<std::string_view> gone(unreadable.begin(), unreadable.end());
    for (const auto& f : scan.files) {
      if (!gone.empty() && gone.count(f.path)) continue;
      ++out.files;
      out.bytes += f.size;
    }

    // The tree: incrementally from the one the index described, or (first
    // checkpoint, or an index the state does not vouch for) from scratch.
    std::size_t treesWritten = 0;
    bool empty = false;
    Expected<ObjectId> tree = ObjectId{};
    if (baseValid) {
      out.baseTree = state.indexTree;
      tree = changes.empty() ? Expected<ObjectId>(state.indexTree)
                             : buildTree(&state.indexTree, changes.data(), changes.data() + changes.size(), 0, sink, treesWritten, empty);
    } else {
      std::vector<TreeChange> all;
      const std::size_t n = git::api().index_entrycount(index.get());
      all.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        const git_index_entry* e = git::api().index_get_byindex(index.get(), i);
        if (GIT_INDEX_ENTRY_STAGE(e) == 0) all.push_back({e->path, false, static_cast<EntryMode>(e->mode), fromGit(e->id)});
      }
      tree = buildTree(nullptr, all.data(), all.data() + all.size(), 0, sink, treesWritten, empty);
    }
    if (!tree) return tree.error();
    out.tree = *tree;
    out.indexChanged = indexChanged;
    out.stats.treesWritten = treesWritten;
    out.stats.filesScanned = out.files;
    out.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }

  // After the sink is finished (every object the index names is stored):
  // the index, then the state that vouches for it.
  Expected<void> persist(const Staged& staged) {
    if (!staged.indexChanged && staged.baseValid && state.indexTree == staged.tree) return {};
    if (staged.indexChanged && git::api().index_write(index.get()) != 0) return git::lastError("cannot write the checkpoint index");
    state.indexTree = staged.tree;
    state.indexChecksum = indexChecksum();
    return writeState();
  }

  // Finishes what stage() started when no commit follows.
  Expected<void> settle(Staged& staged, Sink& sink) {
    if (auto ok = sink.finish(); !ok) return ok;
    staged.stats.objectsWritten = sink.written();
    staged.stats.packed = sink.written() > 0;
    return persist(staged);
  }

  // --- commits and refs ------------------------------------------------------------

  // The latest checkpoint: HEAD, detached at it.
  std::optional<Checkpoint> latest() {
    git_oid o;
    if (git::api().reference_name_to_id(&o, repo.get(), "HEAD") != 0) return std::nullopt;
    git_commit* c = nullptr;
    if (git::api().commit_lookup(&c, repo.get(), &o) != 0) return std::nullopt;
    git::CommitPtr commit(c);
    return parseCommit(fromGit(o).hex(), c);
  }

  // A checkpoint of `staged`: its commit goes into the sink with the rest,
  // then objects, index, state and ref land in that order.
  Expected<Checkpoint> commit(Staged& staged, Sink& sink, std::string_view message, const std::map<std::string, std::string>& metadata,
                              const std::optional<Checkpoint>& previous) {
    Checkpoint cp;
    cp.seq = previous ? previous->seq + 1 : 1;
    // Refs may be ahead of HEAD (a crash between the two): never reuse a number.
    while (true) {
      git_oid o;
      if (git::api().reference_name_to_id(&o, repo.get(), (kRefPrefix + padSeq(cp.seq)).c_str()) != 0) break;
      ++cp.seq;
    }
    cp.timeMs = nowMs();
    cp.message = std::string(message);
    for (const auto& [k, v] : metadata) cp.metadata[cleanKey(k)] = cleanValue(v);
    cp.tree = staged.tree.hex();
    cp.files = staged.files;
    cp.bytes = staged.bytes;
    cp.skipped = staged.skipped.size();
    if (!previous) {
      cp.filesChanged = staged.files;
      cp.bytesChanged = staged.bytes;
    } else if (!staged.baseTree.isZero() && staged.baseTree.hex() == previous->tree) {
      cp.filesChanged = staged.changed;
      cp.bytesChanged = staged.changedBytes;
    } else {
      auto counted = countChanges(previous ? previous->tree : std::string(), staged.tree);
      if (!counted) return counted.error();
      cp.filesChanged = counted->first;
      cp.bytesChanged = counted->second;
    }

    std::string body = "tree " + cp.tree + "\n";
    const std::string who = "cadre <cadre@localhost> " + std::to_string(cp.timeMs / 1000) + " +0000\n";
    body += "author " + who + "committer " + who + "\n";
    std::string msg = cp.message.empty() ? std::string("checkpoint") : cp.message;
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    body += msg + "\n\n";
    body += "Cadre-Seq: " + std::to_string(cp.seq) + "\n";
    body += "Cadre-Time-Ms: " + std::to_string(cp.timeMs) + "\n";
    body += "Cadre-Files-Changed: " + std::to_string(cp.filesChanged) + "\n";
    body += "Cadre-Bytes-Changed: " + std::to_string(cp.bytesChanged) + "\n";
    body += "Cadre-Files: " + std::to_string(cp.files) + "\n";
    body += "Cadre-Bytes: " + std::to_string(cp.bytes) + "\n";
    body += "Cadre-Skipped: " + std::to_string(cp.skipped) + "\n";
    for (const auto& [k, v] : cp.metadata) body += "Cadre-Meta-" + k + ": " + v + "\n";
    const ObjectId id = git::hashObject(ObjectType::Commit, body);
    if (auto ok = sink.write(ObjectType::Commit, body, id); !ok) return ok.error();
    if (auto ok = settle(staged, sink); !ok) return ok.error();
    cp.id = id.hex();
    if (cp.message.empty()) cp.message = "checkpoint";

    const git_oid o = toGit(id);
    git_reference* ref = nullptr;
    if (git::api().reference_create(&ref, repo.get(), (kRefPrefix + padSeq(cp.seq)).c_str(), &o, 0, nullptr) != 0)
      return git::lastError("cannot record checkpoint " + std::to_string(cp.seq));
    git::api().reference_free(ref);
    if (git::api().repository_set_head_detached(repo.get(), &o) != 0) return git::lastError("cannot move the checkpoint HEAD");
    parsed[cp.id] = cp;
    return cp;
  }

  // Files changed and bytes of the new versions between two trees ("" for none).
  Expected<std::pair<std::size_t, std::uint64_t>> countChanges(const std::string& fromTree, const ObjectId& toTree) {
    git::TreePtr a, b;
    if (!fromTree.empty()) {
      git_oid o;
      git_tree* t = nullptr;
      if (git::api().oid_fromstr(&o, fromTree.c_str()) == 0 && git::api().tree_lookup(&t, repo.get(), &o) == 0) a.reset(t);
    }
    {
      const git_oid o = toGit(toTree);
      git_tree* t = nullptr;
      if (git::api().tree_lookup(&t, repo.get(), &o) != 0) return git::lastError("cannot read tree " + toTree.hex());
      b.reset(t);
    }
    git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
    opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
    git_diff* d = nullptr;
    if (git::api().diff_tree_to_tree(&d, repo.get(), a.get(), b.get(), &opts) != 0) return git::lastError("cannot compare trees");
    git::DiffPtr diff(d);
    std::pair<std::size_t, std::uint64_t> out{0, 0};
    const std::size_t n = git::api().diff_num_deltas(d);
    out.first = n;
    for (std::size_t i = 0; i < n; ++i) {
      const git_diff_delta* delta = git::api().diff_get_delta(d, i);
      std::size_t size = 0;
      git_object_t type;
      if (delta->status != GIT_DELTA_DELETED && git::api().odb_read_header(&size, &type, odb(), &delta->new_file.id) == 0)
        out.second += size;
    }
    return out;
  }

  Expected<std::vector<Checkpoint>> listAll() {
    std::vector<Checkpoint> out;
    git_reference_iterator* it = nullptr;
    if (git::api().reference_iterator_glob_new(&it, repo.get(), "refs/checkpoints/*") != 0) return git::lastError("cannot list checkpoints");
    git::ReferenceIteratorPtr iter(it);
    git_reference* ref = nullptr;
    while (git::api().reference_next(&ref, it) == 0) {
      git::ReferencePtr owned(ref);
      const git_oid* target = git::api().reference_target(ref);
      if (!target) continue;
      const std::string id = fromGit(*target).hex();
      if (auto hit = parsed.find(id); hit != parsed.end()) {
        out.push_back(hit->second);
        continue;
      }
      git_commit* c = nullptr;
      if (git::api().commit_lookup(&c, repo.get(), target) != 0) {
        spdlog::warn("checkpoints: {} points at a missing commit; skipped", git::api().reference_name(ref));
        continue;
      }
      git::CommitPtr commit(c);
      Checkpoint cp = parseCommit(id, c);
      if (cp.seq == 0) parseNumber(std::string_view(git::api().reference_name(ref)).substr(std::strlen(kRefPrefix)), cp.seq);
      parsed.emplace(id, cp);
      out.push_back(std::move(cp));
    }
    std::sort(out.begin(), out.end(), [](const Checkpoint& a, const Checkpoint& b) { return a.seq > b.seq; });
    return out;
  }

  Expected<Checkpoint> resolve(std::string_view spec) {
    auto all = listAll();
    if (!all) return all.error();
    const std::string s(spec);
    auto none = [&] { return makeError(ErrorCode::InvalidParams, "no checkpoint matches '" + s + "'"); };
    if (all->empty()) return makeError(ErrorCode::InvalidParams, "there are no checkpoints yet");
    if (s == "latest" || s == "last" || s == "HEAD") return all->front();
    if (s.rfind("latest~", 0) == 0 || s.rfind("HEAD~", 0) == 0) {
      std::size_t back = 0;
      if (!parseNumber(std::string_view(s).substr(s.find('~') + 1), back)) return none();
      if (back >= all->size()) return none();
      return (*all)[back];
    }
    std::string_view digits = s;
    if (!digits.empty() && digits[0] == '#') digits.remove_prefix(1);
    std::uint64_t seq = 0;
    if (!digits.empty() && digits.size() <= 10 && parseNumber(digits, seq)) {
      for (const auto& c : *all)
        if (c.seq == seq) return c;
      if (s[0] == '#' || digits.size() < 4) return none();
    }
    if (s.size() >= 4 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
      std::string lower = s;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const Checkpoint* found = nullptr;
      for (const auto& c : *all) {
        if (c.id.rfind(lower, 0) == 0) {
          if (found) return makeError(ErrorCode::InvalidParams, "'" + s + "' matches more than one checkpoint");
          found = &c;
        }
      }
      if (found) return *found;
    }
    return none();
  }

  Expected<git::TreePtr> lookupTree(const std::string& hex) {
    git_oid o;
    git_tree* t = nullptr;
    if (git::api().oid_fromstr(&o, hex.c_str()) != 0 || git::api().tree_lookup(&t, repo.get(), &o) != 0)
      return git::lastError("cannot read tree " + hex);
    return git::TreePtr(t);
  }

  // --- maintenance -------------------------------------------------------------------

  std::vector<std::pair<ObjectId, fs::path>> looseObjects() const {
    std::vector<std::pair<ObjectId, fs::path>> out;
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      const char dirName[3] = {hex[i >> 4], hex[i & 15], 0};
      const fs::path dir = objectsDir() / dirName;
      DIR* d = ::opendir(dir.c_str());
      if (!d) continue;
      while (const dirent* e = ::readdir(d)) {
        if (std::strlen(e->d_name) != 38) continue;
        ObjectId id;
        if (ObjectId::fromHex(std::string(dirName) + e->d_name, id)) out.emplace_back(id, dir / e->d_name);
      }
      ::closedir(d);
    }
    return out;
  }

  std::vector<std::string> packNames() const {
    std::vector<std::string> out;
    DIR* d = ::opendir((objectsDir() / "pack").c_str());
    if (!d) return out;
    while (const dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n.size() > 4 && n.substr(n.size() - 4) == ".idx" && n.rfind("pack-", 0) == 0) out.emplace_back(n.substr(0, n.size() - 4));
    }
    ::closedir(d);
    return out;
  }

  std::vector<std::pair<std::string, std::uint64_t>> packSizes() const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const auto& name : packNames()) {
      struct stat st;
      if (::stat((objectsDir() / "pack" / (name + ".pack")).c_str(), &st) == 0) out.emplace_back(name, static_cast<std::uint64_t>(st.st_size));
    }
    return out;
  }

  // The ids a pack holds, from its index (v2: after the 8-byte header and
  // the 256 fan-out counts, the sorted ids).
  std::vector<ObjectId> packObjects(const std::string& name) const {
    std::vector<ObjectId> out;
    std::string idx;
    if (!readWholeFile(objectsDir() / "pack" / (name + ".idx"), idx) || idx.size() < 8 + 1024 || idx.compare(0, 4, "\377tOc") != 0) return out;
    auto be32 = [&](std::size_t at) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(idx[at])) << 24 | static_cast<std::uint32_t>(static_cast<unsigned char>(idx[at + 1])) << 16 |
             static_cast<std::uint32_t>(static_cast<unsigned char>(idx[at + 2])) << 8 | static_cast<std::uint32_t>(static_cast<unsigned char>(idx[at + 3]));
    };
    const std::uint32_t n = be32(8 + 255 * 4);
    if (idx.size() < 8 + 1024 + static_cast<std::size_t>(n) * 20) return out;
    out.resize(n);
    for (std::uint32_t k = 0; k < n; ++k) std::memcpy(out[k].bytes.data(), idx.data() + 8 + 1024 + k * 20, 20);
    return out;
  }

  // Incremental: loose objects and every pack but the biggest merged into
  // one new pack (deltas within it). Full: everything reachable into one
  // pack, the rest dropped. An incremental merge becomes a full repack once
  // what lies beside the biggest pack weighs more than half of it: then
  // deltas across all of them win most of that back.
  Expected<GcResult> gc(bool full) {
    GcResult result;
    const auto loose = looseObjects();
    auto sizes = packSizes();
    std::sort(sizes.begin(), sizes.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (!full) {
      std::uint64_t others = 0;
      for (std::size_t k = 1; k < sizes.size(); ++k) others += sizes[k].second;
      if (!sizes.empty() && others > sizes[0].second / 2) full = true;
      else if (loose.empty() && sizes.size() <= 1) return result;
    }
    auto all = listAll();
    if (!all) return all.error();
    RepackRequest request;
    request.repo = repo.get();
    request.packDir = objectsDir() / "pack";
    request.threads = threads;
    for (const auto& c : *all) {
      ObjectId id;
      if (ObjectId::fromHex(c.id, id)) request.commits.push_back(id);
    }
    // The index's tree is the base of the next checkpoint: kept (with its
    // blobs) even when no checkpoint holds it.
    if (!state.indexTree.isZero() && exists(state.indexTree)) request.trees.push_back(state.indexTree);
    std::unordered_set<ObjectId, git::ObjectIdHash> merged;
    std::vector<std::string> replaced;  // packs the new one takes the place of
    if (full) {
      for (const auto& [name, size] : sizes) replaced.push_back(name);
    } else {
      for (const auto& [id, path] : loose) merged.insert(id);
      for (std::size_t k = 1; k < sizes.size(); ++k) {
        for (const auto& id : packObjects(sizes[k].first)) merged.insert(id);
        replaced.push_back(sizes[k].first);
      }
      request.only = &merged;
    }
    auto packed = repack(request);
    if (!packed) return packed.error();
    result.full = full;
    result.objectsPacked = packed->objects;
    if (git::api().odb_refresh(odb()) != 0) return git::lastError("cannot load the new pack");

    // What the replaced packs and loose objects held that is reachable is in
    // the new pack now; the rest belongs to nothing (pruned checkpoints,
    // abandoned scans).
    for (const auto& [id, path] : loose) {
      if (::unlink(path.c_str()) == 0) ++result.looseRemoved;
    }
    for (int i = 0; i < 256; ++i) {
      static const char* hex = "0123456789abcdef";
      const char dirName[3] = {hex[i >> 4], hex[i & 15], 0};
      ::rmdir((objectsDir() / dirName).c_str());  // only when empty
    }
    for (const auto& name : replaced) {
      if (name == packed->packName) continue;
      const fs::path base = objectsDir() / "pack" / name;
      // The index first: without it, no reader opens the pack.
      ::unlink((base.string() + ".idx").c_str());
      ::unlink((base.string() + ".pack").c_str());
      ::unlink((base.string() + ".rev").c_str());
      ++result.packsRemoved;
    }
    if (full) {
      git_refdb* db = nullptr;
      if (git::api().repository_refdb(&db, repo.get()) == 0) {
        git::RefdbPtr refdb(db);
        git::api().refdb_compress(db);
      }
    }
    // Drop the handles (and maps) of the packs just deleted.
    if (result.packsRemoved > 0) {
      if (auto ok = openRepository(); !ok) return ok.error();
    }
    return result;
  }

  Expected<PruneResult> prune(const PrunePolicy& policy) {
    auto all = listAll();
    if (!all) return all.error();
    PruneResult result;
    const std::int64_t now = nowMs();
    const std::size_t keepLast = std::max<std::size_t>(1, policy.keepLast);
    std::set<std::string> lastOfTask;  // ids of each task's newest checkpoint
    {
      std::set<std::string> seenTasks;
      for (const auto& c : *all) {  // newest first
        auto it = c.metadata.find("task");
        if (it != c.metadata.end() && seenTasks.insert(it->second).second) lastOfTask.insert(c.id);
      }
    }
    // The task in progress: as given, else the latest checkpoint's.
    std::string currentTask = policy.currentTask;
    if (currentTask.empty() && !all->empty()) {
      if (auto t = all->front().metadata.find("task"); t != all->front().metadata.end()) currentTask = t->second;
    }
    std::size_t others = 0;  // kept so far outside the current task
    for (std::size_t i = 0; i < all->size(); ++i) {
      const Checkpoint& c = (*all)[i];
      auto task = c.metadata.find("task");
      const bool current = !currentTask.empty() && task != c.metadata.end() && task->second == currentTask;
      bool keep = true;
      if (i == 0 || current) {
        keep = true;  // the latest is the base of the next checkpoint's numbers and of undo
      } else if (policy.onePerFinishedTask && task != c.metadata.end() && !lastOfTask.count(c.id)) {
        keep = false;
      } else if (policy.maxAgeSeconds > 0 && now - c.timeMs > policy.maxAgeSeconds * 1000) {
        keep = false;
      } else if (others >= keepLast) {
        keep = false;
      }
      if (keep && !current) ++others;
      if (keep) {
        ++result.kept;
        continue;
      }
      const std::string name = kRefPrefix + padSeq(c.seq);
      git_reference* ref = nullptr;
      if (git::api().reference_lookup(&ref, repo.get(), name.c_str()) == 0) {
        git::ReferencePtr owned(ref);
        if (git::api().reference_delete(ref) != 0) return git::lastError("cannot delete checkpoint " + std::to_string(c.seq));
      }
      result.removed.push_back(c);
    }
    return result;
  }

  // Prune by the policy; merge packs once more than mergePacksAt pile up.
  Expected<void> maintain() {
    if (auto pruned = prune(options.prune); !pruned) return pruned.error();
    if (packNames().size() > options.mergePacksAt) {
      auto done = gc(false);
      if (!done) return done.error();
    }
    return {};
  }

  // --- diff ------------------------------------------------------------------------

  Expected<DiffResult> diffTrees(git_tree* a, git_tree* b, const DiffOptions& options) {
    git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
    opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
    opts.context_lines = options.contextLines;
    const std::vector<std::string> scopes = normalizeScopes(options.paths);
    git_diff* d = nullptr;
    if (git::api().diff_tree_to_tree(&d, repo.get(), a, b, &opts) != 0) return git::lastError("cannot compare checkpoints");
    git::DiffPtr diff(d);
    DiffResult out;
    const std::size_t n = git::api().diff_num_deltas(d);
    for (std::size_t i = 0; i < n; ++i) {
      const git_diff_delta* delta = git::api().diff_get_delta(d, i);
      const char* path = delta->new_file.path ? delta->new_file.path : delta->old_file.path;
      if (!underAny(path, scopes)) continue;
      git_patch* p = nullptr;
      if (git::api().patch_from_diff(&p, d, i) != 0) return git::lastError("cannot diff " + std::string(path));
      git::PatchPtr patch(p);
      FileDiffStat st;
      st.path = path;
      switch (delta->status) {
        case GIT_DELTA_ADDED:
          st.status = 'A';
          break;
        case GIT_DELTA_DELETED:
          st.status = 'D';
          break;
        case GIT_DELTA_TYPECHANGE:
          st.status = 'T';
          break;
        default:
          st.status = 'M';
      }
      st.binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
      if (p) {
        std::size_t context = 0;
        git::api().patch_line_stats(&context, &st.additions, &st.deletions, p);
        if (options.patch) {
          git_buf buf = GIT_BUF_INIT;
          if (git::api().patch_to_buf(&buf, p) == 0) out.patch.append(buf.ptr, buf.size);
          git::api().buf_dispose(&buf);
        }
      }
      out.additions += st.additions;
      out.deletions += st.deletions;
      out.files.push_back(std::move(st));
    }
    return out;
  }
};

// ---------------------------------------------------------------------------

CheckpointStore::CheckpointStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CheckpointStore::CheckpointStore(CheckpointStore&&) noexcept = default;
CheckpointStore& CheckpointStore::operator=(CheckpointStore&&) noexcept = default;
CheckpointStore::~CheckpointStore() = default;

const fs::path& CheckpointStore::repositoryPath() const { return impl_->repoPath; }
const fs::path& CheckpointStore::workTree() const { return impl_->workTree; }

Expected<CheckpointStore> CheckpointStore::open(const fs::path& repoPath, const fs::path& workTree, CheckpointOptions options) {
  if (const auto& loaded = git::load(); !loaded) return loaded.error();
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  impl->workTree = fs::canonical(workTree, ec);
  if (ec || !fs::is_directory(impl->workTree)) return makeError(ErrorCode::InvalidParams, "not a directory: " + workTree.string());
  fs::create_directories(repoPath, ec);
  impl->repoPath = fs::canonical(repoPath, ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create " + repoPath.string() + ": " + ec.message());
  // The store must never be, or live in, a repository of the user's.
  for (fs::path p = impl->repoPath; !p.empty(); p = p.parent_path()) {
    if (p.filename() == ".git") return makeError(ErrorCode::InvalidParams, "refusing to keep checkpoints inside a .git: " + impl->repoPath.string());
    if (p == p.root_path()) break;
  }
  impl->options = std::move(options);
  impl->cacheExclude();
  impl->threads = impl->options.threads ? impl->options.threads : std::max(1u, std::thread::hardware_concurrency());

  if (!fs::exists(impl->repoPath / "HEAD", ec)) {
    git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    git_repository* r = nullptr;
    if (git::api().repository_init_ext(&r, impl->repoPath.c_str(), &init) != 0)
      return git::lastError("cannot create the checkpoint repository " + impl->repoPath.string());
    git::RepositoryPtr created(r);
    git_config* cfg = nullptr;
    if (git::api().config_open_ondisk(&cfg, (impl->repoPath / "config").c_str()) == 0) {
      git::ConfigPtr owned(cfg);
      git::api().config_set_bool(cfg, "core.logallrefupdates", 0);  // no reflogs: they would keep pruned checkpoints alive
      git::api().config_set_int32(cfg, "gc.auto", 0);               // cadre packs on its own schedule
      git::api().config_set_string(cfg, "cadre.worktree", impl->workTree.c_str());
      git::api().config_set_string(cfg, "cadre.about", "cadre's checkpoints of cadre.worktree; never the project's own repository");
    }
    // What a store does not use, at a block each: the samples, templates and
    // folders git init leaves for people.
    for (const char* extra : {"hooks/README.sample", "info/exclude", "description"}) ::unlink((impl->repoPath / extra).c_str());
    for (const char* extra : {"hooks", "info", "refs/heads", "refs/tags", "objects/info"}) ::rmdir((impl->repoPath / extra).c_str());
  }
  if (auto ok = impl->openRepository(); !ok) return ok.error();
  git_index* idx = nullptr;
  if (git::api().index_open(&idx, (impl->repoPath / "index").c_str()) != 0) return git::lastError("cannot open the checkpoint index");
  impl->index.reset(idx);
  // Version 4 prefix-compresses paths: a fifth less to hash and write on
  // every checkpoint of a big tree.
  git::api().index_set_version(idx, 4);
  impl->lockFd = ::open((impl->repoPath / "cadre.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lockFd < 0) return makeError(ErrorCode::IoError, "cannot open " + (impl->repoPath / "cadre.lock").string());
  impl->rootFd = ::open(impl->workTree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (impl->rootFd < 0) return makeError(ErrorCode::IoError, "cannot open " + impl->workTree.string());
  return CheckpointStore(std::move(impl));
}

Expected<CreateResult> CheckpointStore::create(std::string_view message, const std::map<std::string, std::string>& metadata) {
  Impl& s = *impl_;
  Lock lock(s.lockFd);
  if (auto ok = s.refresh(); !ok) return ok.error();
  Impl::Sink sink(s);
  auto staged = s.stage(sink);
  if (!staged) return staged.error();
  CreateResult result;
  const std::optional<Checkpoint> previous = s.latest();
  if (previous && previous->tree == staged->tree.hex()) {
    if (auto ok = s.settle(*staged, sink); !ok) return ok.error();
    result.checkpoint = *previous;
  } else {
    auto cp = s.commit(*staged, sink, message, metadata, previous);
    if (!cp) return cp.error();
    result.checkpoint = *cp;
    result.created = true;
  }
  result.stats = staged->stats;
  result.skipped = staged->skipped;
  if (result.created && s.options.autoMaintain) {
    if (auto ok = s.maintain(); !ok) spdlog::warn("checkpoints: maintenance failed: {}", ok.error().message);
  }
  return result;
}

Expected<void> CheckpointStore::maintain() {
  Lock lock(impl_->lockFd);
  if (auto ok = impl_->refresh(); !ok) return ok.error();
  return impl_->maintain();
}

Expected<std::vector<Checkpoint>> CheckpointStore::list() { return impl_->listAll(); }

Expected<Checkpoint> CheckpointStore::resolve(std::string_view spec) { return impl_->resolve(spec); }

Expected<DiffResult> CheckpointStore::diff(std::string_view from, std::string_view to, const DiffOptions& options) {
  Impl& s = *impl_;
  auto a = s.resolve(from);
  if (!a) return a.error();
  std::string toTree, toLabel;
  if (to.empty()) {
    Lock lock(s.lockFd);
    if (auto ok = s.refresh(); !ok) return ok.error();
    Impl::Sink sink(s);
    auto staged = s.stage(sink);
    if (!staged) return staged.error();
    if (auto ok = s.settle(*staged, sink); !ok) return ok.error();
    toTree = staged->tree.hex();
    toLabel = "work tree";
  } else {
    auto b = s.resolve(to);
    if (!b) return b.error();
    toTree = b->tree;
    toLabel = b->id;
  }
  auto ta = s.lookupTree(a->tree);
  if (!ta) return ta.error();
  auto tb = s.lookupTree(toTree);
  if (!tb) return tb.error();
  auto out = s.diffTrees(ta->get(), tb->get(), options);
  if (!out) return out;
  out->fromLabel = a->id;
  out->toLabel = toLabel;
  return out;
}

Expected<RestoreResult> CheckpointStore::restore(std::string_view spec, RestoreWriter& writer, const RestoreOptions& options) {
  Impl& s = *impl_;
  Lock lock(s.lockFd);
  if (auto ok = s.refresh(); !ok) return ok.error();
  auto target = s.resolve(spec);
  if (!target) return target.error();
  RestoreResult result;
  result.target = *target;

  Impl::Sink sink(s);
  auto staged = s.stage(sink);
  if (!staged) return staged.error();
  const std::optional<Checkpoint> previous = s.latest();
  if (options.checkpointFirst && !options.dryRun && (!previous || previous->tree != staged->tree.hex())) {
    auto before = s.commit(*staged, sink, "before restoring #" + std::to_string(target->seq), {{"restore-of", target->id}}, previous);
    if (!before) return before.error();
    result.before = *before;
    result.beforeCreated = true;
  } else {
    if (auto ok = s.settle(*staged, sink); !ok) return ok.error();
    if (options.checkpointFirst && !options.dryRun) result.before = previous;
  }

  auto current = s.lookupTree(staged->tree.hex());
  if (!current) return current.error();
  auto wanted = s.lookupTree(target->tree);
  if (!wanted) return wanted.error();
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
  git_diff* d = nullptr;
  if (git::api().diff_tree_to_tree(&d, s.repo.get(), current->get(), wanted->get(), &opts) != 0)
    return git::lastError("cannot compare trees");
  git::DiffPtr diff(d);

  const std::vector<std::string> scopes = normalizeScopes(options.paths);
  auto blobText = [&](const git_oid& id) -> std::optional<std::string> {
    git_blob* b = nullptr;
    if (git::api().blob_lookup(&b, s.repo.get(), &id) != 0) return std::nullopt;
    git::BlobPtr blob(b);
    return std::string(static_cast<const char*>(git::api().blob_rawcontent(b)), static_cast<std::size_t>(git::api().blob_rawsize(b)));
  };
  std::vector<RestoreFile> deletes, writes;
  std::set<std::string> dirsOfDeleted;
  const std::size_t n = git::api().diff_num_deltas(d);
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* delta = git::api().diff_get_delta(d, i);
    const std::string path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
    if (!underAny(path, scopes)) continue;
    if (s.options.exclude && s.options.exclude(path, false, 1)) {
      result.plan.refused.push_back(path);
      continue;
    }
    if (delta->status == GIT_DELTA_DELETED) {
      RestoreFile f;
      f.path = path;
      f.base = blobText(delta->old_file.id);
      deletes.push_back(std::move(f));
      for (std::size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1)) {
        dirsOfDeleted.insert(path.substr(0, slash));
        if (slash == 0) break;
      }
      continue;
    }
    if (delta->status == GIT_DELTA_ADDED) {
      // Absent from the scan but present on disk: ignored, too large,
      // unreadable or special now. Never touched.
      // (A folder the current tree has is not such a thing: its files are
      // deleted above and the file takes its place.)
      struct stat st;
      git_tree_entry* inCurrent = nullptr;
      const bool tracked = git::api().tree_entry_bypath(&inCurrent, current->get(), path.c_str()) == 0;
      git::api().tree_entry_free(inCurrent);
      if (!tracked && ::fstatat(s.rootFd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        const SkipReason why = static_cast<std::uint64_t>(st.st_size) > s.options.maxFileBytes ? SkipReason::TooLarge
                               : (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) ? SkipReason::Special
                                                                                 : SkipReason::Ignored;
        result.plan.kept.push_back({path, why, static_cast<std::uint64_t>(st.st_size)});
        continue;
      }
    }
    RestoreFile f;
    f.path = path;
    f.content = blobText(delta->new_file.id);
    if (!f.content) return git::lastError("cannot read " + path + " from checkpoint " + target->id);
    f.kind = delta->new_file.mode == GIT_FILEMODE_LINK              ? RestoreFile::Kind::Symlink
             : delta->new_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? RestoreFile::Kind::Executable
                                                                   : RestoreFile::Kind::Regular;
    if (delta->status != GIT_DELTA_ADDED) f.base = blobText(delta->old_file.id);
    writes.push_back(std::move(f));
  }
  // Folders the deletions may empty and the checkpoint does not have.
  for (const auto& dir : dirsOfDeleted) {
    git_tree_entry* e = nullptr;
    if (git::api().tree_entry_bypath(&e, wanted->get(), dir.c_str()) == 0) {
      git::api().tree_entry_free(e);
      continue;
    }
    result.plan.emptyDirs.push_back(dir);
  }
  std::sort(result.plan.emptyDirs.begin(), result.plan.emptyDirs.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  result.plan.files = std::move(deletes);
  for (auto& w : writes) result.plan.files.push_back(std::move(w));
  if (options.dryRun) return result;

  auto changed = writer.apply(result.plan);
  if (!changed) return changed.error();
  result.changed = std::move(*changed);
  return result;
}

Expected<PruneResult> CheckpointStore::prune(const PrunePolicy& policy) {
  Lock lock(impl_->lockFd);
  if (auto ok = impl_->refresh(); !ok) return ok.error();
  return impl_->prune(policy);
}

Expected<GcResult> CheckpointStore::gc(bool full) {
  Lock lock(impl_->lockFd);
  if (auto ok = impl_->refresh(); !ok) return ok.error();
  return impl_->gc(full);
}

DiskUsage CheckpointStore::diskUsage() const {
  DiskUsage u;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(impl_->repoPath, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    u.allocated += static_cast<std::uint64_t>(st.st_blocks) * 512;
    if (S_ISREG(st.st_mode)) u.bytes += static_cast<std::uint64_t>(st.st_size);
  }
  u.looseObjects = impl_->looseObjects().size();
  u.packs = impl_->packNames().size();
  return u;
}

}  // namespace cadre::workspace
