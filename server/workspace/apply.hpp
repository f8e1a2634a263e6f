// Landing an approved change on the user's files: each file atomically
// (temp file beside it, fsync, rename, mode kept) and the set of files as one
// transaction through a journal, so a crash (kill -9, power cut) mid-apply is
// rolled back on the next start — every file all old or all new, never half.
// A file the user changed since the task started is merged three-way (base =
// what the task saw, ours = the user's, theirs = the task's); overlapping
// changes are a conflict and nothing is applied.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace {

struct ApplyFile {
  std::filesystem::path path;          // absolute, authorized by the Gate
  std::optional<std::string> base;     // the content the task started from; nullopt: the file did not exist
  std::optional<std::string> content;  // the new content; nullopt: delete the file
  unsigned mode = 0644;                // for new files; existing files keep theirs
};

struct ApplyOutcome {
  std::vector<std::filesystem::path> written, deleted;
  std::vector<std::filesystem::path> merged;  // changed on disk meanwhile, merged cleanly
};

struct ApplyOptions {
  std::filesystem::path journalDir;  // per-user state; one subdirectory per transaction
  // Fault injection for the crash test: pause this long after each file is
  // renamed into place (CADRE_FAULT_APPLY_PAUSE_MS sets it in the binary).
  int pauseAfterEachFileMs = 0;
};

// Conflicts → Error{RequestFailed} naming every conflicting file; nothing is
// written then.
Expected<ApplyOutcome> applyAtomically(std::vector<ApplyFile> files, const ApplyOptions& options);

struct RecoveryReport {
  std::size_t rolledBack = 0;  // transactions undone (they had not finished)
  std::size_t finished = 0;    // transactions that had finished; only cleaned up
  std::vector<std::string> notes;
};

// Run at start, before anything else touches the journal directory.
Expected<RecoveryReport> recoverApplies(const std::filesystem::path& journalDir);

// Three-way merge of texts; nullopt on overlapping changes.
std::optional<std::string> mergeThreeWay(const std::string& base, const std::string& ours, const std::string& theirs);

}  // namespace cadre::workspace
