// Checkpoints: snapshots of a project taken per agent step and on request, to
// list, diff and restore. They live in a bare git repository of cadre's own
// under the per-user state directory (the caller passes its path: workspace
// knows nothing of where state lives), whose work tree is the project. The
// user's .git is never opened, and nothing is ever written into the work
// tree except by a restore, through a writer the caller provides (real files
// change only through security's Gate and an approval).
//
// Fast on big trees (docs/checkpoints.md): the repository keeps its own
// index as a stat cache, so a checkpoint re-hashes only files whose lstat
// changed and "nothing changed" costs one walk; only the trees on the paths
// of changed files are rebuilt; new objects go into one pack per checkpoint,
// compressed on all cores when there are many; packs are merged and old
// checkpoints pruned as they accumulate, so the disk stays bounded.
//
// Not thread-safe: one CheckpointStore per thread at a time. Processes
// (the server and a `cadre checkpoints` command) serialize on a lock file
// in the repository.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/workspace/checkpoint_scan.hpp"
#include "support/expected.hpp"

namespace cadre::workspace {

// Which checkpoints prune keeps. Every checkpoint of the task in progress
// stays, and so does the latest. Of the others, each finished task keeps only
// its last checkpoint (its steps collapse into its outcome), those older than
// `maxAgeSeconds` go, and of the rest the newest `keepLast` stay.
struct PrunePolicy {
  std::size_t keepLast = 50;
  std::int64_t maxAgeSeconds = 14 * 24 * 3600;  // 0: no age limit
  std::string currentTask;                      // metadata "task" of the task in progress; empty: the latest checkpoint's
  bool onePerFinishedTask = true;
};

struct CheckpointOptions {
  std::uint64_t maxFileBytes = 5u << 20;  // bigger files are skipped and reported
  CheckpointExclude exclude;              // deny-listed paths: never stored, never written
  // Maintenance (maintain()): prune by `prune`; each checkpoint writes one
  // small pack, and once there are more than `mergePacksAt` they are merged
  // (and repacked whole with deltas once the merged ones weigh more than
  // half the biggest). `autoMaintain` runs it after each new checkpoint; a
  // server that would rather do it when idle turns it off and calls
  // maintain() itself.
  bool autoMaintain = true;
  PrunePolicy prune;
  std::size_t mergePacksAt = 16;
  unsigned threads = 0;  // hashing and compression; 0: all cores
};

struct Checkpoint {
  std::string id;  // the commit's id, 40 hex digits
  std::uint64_t seq = 0;
  std::int64_t timeMs = 0;  // Unix time in milliseconds
  std::string message;
  std::map<std::string, std::string> metadata;  // "task", "step", … (single-line values)
  std::string tree;                             // the snapshot's tree id
  std::size_t filesChanged = 0;                 // added + modified + deleted since the previous checkpoint
  std::uint64_t bytesChanged = 0;               // size of the added and modified files
  std::size_t files = 0;                        // in the snapshot
  std::uint64_t bytes = 0;
  std::size_t skipped = 0;  // files left out as too large, unreadable or special
};

// What one checkpoint's work cost: how much the stat cache saved.
struct ScanStats {
  std::size_t filesScanned = 0;  // files the snapshot holds
  std::size_t filesHashed = 0;   // read and hashed (new, or lstat changed)
  std::uint64_t bytesHashed = 0;
  std::size_t objectsWritten = 0;  // blobs, trees and commits new to the store
  std::size_t treesWritten = 0;
  bool packed = false;  // new objects were stored (in one pack)
  std::size_t ignored = 0;
  std::size_t excluded = 0;
  std::size_t nestedRepositories = 0;
  double seconds = 0;
};

struct CreateResult {
  Checkpoint checkpoint;  // the new one; when nothing changed, the latest
  bool created = false;   // false: the tree equals the latest checkpoint's
  std::vector<SkippedFile> skipped;
  ScanStats stats;
};

struct FileDiffStat {
  std::string path;
  char status = 'M';  // A added, D deleted, M modified, T type changed (file ↔ symlink)
  std::size_t additions = 0;
  std::size_t deletions = 0;
  bool binary = false;
};

struct DiffResult {
  std::string fromLabel, toLabel;  // checkpoint ids, or "work tree"
  std::string patch;               // unified diff, git's format
  std::vector<FileDiffStat> files;
  std::size_t additions = 0;
  std::size_t deletions = 0;
};

struct DiffOptions {
  std::vector<std::string> paths;  // files or folders (relative); empty: all
  unsigned contextLines = 3;
  bool patch = true;  // false: only the per-file stats
};

// A file a restore writes or deletes.
struct RestoreFile {
  std::string path;                    // '/'-separated, relative to the work tree
  std::optional<std::string> content;  // nullopt: delete the file
  enum class Kind { Regular, Executable, Symlink } kind = Kind::Regular;
  // What the file held when the restore was planned (nullopt: absent), so a
  // writer can refuse or merge when it changed since.
  std::optional<std::string> base;
};

struct RestorePlan {
  std::vector<RestoreFile> files;       // deletions first, then writes, each by path
  std::vector<std::string> emptyDirs;   // folders the deletions may leave empty that the checkpoint lacks, deepest first
  std::vector<SkippedFile> kept;        // on disk now but skipped by the scan (ignored, too large, …): left alone
  std::vector<std::string> refused;     // the checkpoint has them but the exclude predicate denies them
};

// Where restored bytes go. The store computes what to change; the caller's
// writer changes it (through the Gate, after an approval).
class RestoreWriter {
 public:
  virtual ~RestoreWriter() = default;
  // Returns the paths it changed; an Error stops the restore with what it says.
  virtual Expected<std::vector<std::string>> apply(const RestorePlan& plan) = 0;
};

// Writes straight to disk under `root`: each file through a temp file and a
// rename, mode set, symlinks as symlinks; never through a symlinked folder.
// For tests and for the CLI to wrap.
class PlainRestoreWriter : public RestoreWriter {
 public:
  explicit PlainRestoreWriter(std::filesystem::path root) : root_(std::move(root)) {}
  Expected<std::vector<std::string>> apply(const RestorePlan& plan) override;

 private:
  std::filesystem::path root_;
};

struct RestoreOptions {
  std::vector<std::string> paths;  // files or folders to restore (relative); empty: the whole tree
  bool dryRun = false;             // compute the plan only
  bool checkpointFirst = true;     // take a checkpoint of the current state first (undo)
};

struct RestoreResult {
  Checkpoint target;
  // The checkpoint holding the files as they were: taken first
  // (beforeCreated) unless the latest one already matched them.
  std::optional<Checkpoint> before;
  bool beforeCreated = false;
  RestorePlan plan;
  std::vector<std::string> changed;  // what the writer changed
};

struct PruneResult {
  std::vector<Checkpoint> removed;
  std::size_t kept = 0;
};

struct GcResult {
  std::size_t objectsPacked = 0;
  std::size_t looseRemoved = 0;
  std::size_t packsRemoved = 0;
  bool full = false;
};

struct DiskUsage {
  std::uint64_t bytes = 0;      // apparent size of every file in the repository
  std::uint64_t allocated = 0;  // blocks on disk
  std::size_t looseObjects = 0;
  std::size_t packs = 0;
};

class CheckpointStore {
 public:
  // Creates the repository at `repoPath` when missing. `workTree` must exist.
  static Expected<CheckpointStore> open(const std::filesystem::path& repoPath, const std::filesystem::path& workTree,
                                        CheckpointOptions options = {});
  CheckpointStore(CheckpointStore&&) noexcept;
  CheckpointStore& operator=(CheckpointStore&&) noexcept;
  ~CheckpointStore();

  // Snapshots the work tree. When it equals the latest checkpoint nothing is
  // created (created = false) and only the stat cache may be refreshed.
  Expected<CreateResult> create(std::string_view message, const std::map<std::string, std::string>& metadata = {});

  // Newest first.
  Expected<std::vector<Checkpoint>> list();
  // "latest", "latest~N", a sequence number ("12" or "#12"), or a prefix of
  // an id (4+ hex digits).
  Expected<Checkpoint> resolve(std::string_view spec);

  // From a checkpoint to another one, or to the work tree as it is now (`to`
  // empty).
  Expected<DiffResult> diff(std::string_view from, std::string_view to = {}, const DiffOptions& options = {});

  // Brings files back to a checkpoint's content: modified and deleted files
  // are written, files created since are deleted (within `paths`); ignored,
  // deny-listed and oversized files are never touched.
  Expected<RestoreResult> restore(std::string_view spec, RestoreWriter& writer, const RestoreOptions& options = {});

  // Prune by the options' policy and merge packs when due; cheap otherwise.
  Expected<void> maintain();
  Expected<PruneResult> prune(const PrunePolicy& policy);
  // Merges every pack but the biggest (and any loose objects) into one;
  // `full`: everything reachable into one pack with deltas, the rest (what
  // only pruned checkpoints held) dropped.
  Expected<GcResult> gc(bool full);
  DiskUsage diskUsage() const;

  const std::filesystem::path& repositoryPath() const;
  const std::filesystem::path& workTree() const;

 private:
  struct Impl;
  explicit CheckpointStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cadre::workspace
