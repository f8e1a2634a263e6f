// The checkpoint scanner: one walk of a project that lists the files a
// checkpoint holds, with the lstat data its stat cache compares. It is the
// part of every checkpoint that runs even when nothing changed, so it costs
// what `git status` costs and no more: readdir with d_type, one fstatat per
// candidate file, .gitignore decided per entry on the way down (an ignored
// directory is never opened), nothing read, the folders near the root on all
// cores (as git's preloaded index lstats on several threads).
// Left out: every `.git` (the user's, nested repositories', submodules'),
// `.cadre/` (config, memory and the audit trail are not project content,
// and a restore must never rewrite the audit log), ignored paths,
// deny-listed paths (the caller's predicate), files over the size cap and
// special files (the last three reported). Symlinks are recorded as links,
// never followed. Nested repositories and submodules are walked as plain
// folders under their own .gitignore rules.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::workspace {

// True for a path the checkpoint must never hold or write: the caller builds
// it from security's PathPolicy (core::indexExclusion). `relPath` is
// '/'-separated from the work tree; `links` is the file's link count (a hard
// link to a secret has more than one), 0 for directories. On big trees it is
// called from several threads at once.
using CheckpointExclude = std::function<bool(std::string_view relPath, bool isDirectory, unsigned links)>;

struct ScanOptions {
  std::uint64_t maxFileBytes = 5u << 20;
  CheckpointExclude exclude;
  // Absolute paths the walk must not enter (the checkpoint repository itself
  // when the state directory happens to lie inside the project).
  std::vector<std::filesystem::path> skipDirs;
  // Folders near the root are walked in parallel; 0: all cores.
  unsigned threads = 0;
};

struct ScannedFile {
  std::string path;  // '/'-separated, relative to the work tree
  mode_t mode = 0;   // st_mode (regular file or symlink)
  std::uint64_t size = 0;
  struct timespec mtime {};
  struct timespec ctime {};
  std::uint64_t ino = 0;
  std::uint64_t dev = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  unsigned nlink = 1;
};

// Ignored: only in a restore plan's `kept` (on disk, left out by .gitignore or
// the exclude predicate).
enum class SkipReason { TooLarge, Unreadable, Special, Ignored };
const char* toString(SkipReason reason);

struct SkippedFile {
  std::string path;
  SkipReason reason = SkipReason::TooLarge;
  std::uint64_t size = 0;
};

struct ScanResult {
  std::vector<ScannedFile> files;  // in git's index order (bytewise by path)
  std::vector<SkippedFile> skipped;
  std::size_t directories = 0;
  std::size_t ignored = 0;   // files and directories left out by .gitignore
  std::size_t excluded = 0;  // by the exclude predicate
  std::size_t nestedRepositories = 0;
};

ScanResult scanWorkTree(const std::filesystem::path& root, const ScanOptions& options);

}  // namespace cadre::workspace
