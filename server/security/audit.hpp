// The audit trail (DESIGN.md: per project `.cadre/audit.jsonl`): an append-only,
// hash-chained record of what models, tools and people did to the project, and
// the verifier that says which entry was edited, removed, inserted or moved.
//
// Format: one JSON object per line,
//   {"seq":N,"ts":"2026-11-21T22:50:12.345Z","kind":"command","prev":"<hex>",...fields}
// seq counts from 1; ts is UTC with milliseconds; prev is the SHA-256 (lowercase
// hex) of the previous line's exact bytes without its newline, 64 zeros for the
// first line. The four header keys come first and in this order; the kind's
// fields follow. Only the bytes are hashed, so readers need not care about order.
//
// A chain proves order and integrity inside the file, not that its tail is all
// there: cutting the last lines leaves a valid chain. Hence the anchor, a small
// file outside the project (the CLI keeps it in the per-user state directory)
// holding the last seq and its line's hash; verify compares against it. Appending
// well-formed forged entries at the end is not detectable by a hash chain alone.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace cadre::security {

// Entry kinds. The list is closed so that `cadre audit show --kind` can refuse a
// typo; a new kind is added here (and in docs/cli.md).
namespace audit_kind {
inline constexpr std::string_view kModelRequest = "model_request";
inline constexpr std::string_view kToolCall = "tool_call";
inline constexpr std::string_view kApproval = "approval";
inline constexpr std::string_view kCommand = "command";
inline constexpr std::string_view kEditApplied = "edit_applied";
inline constexpr std::string_view kCheckpointRestore = "checkpoint_restore";
inline constexpr std::string_view kPolicyDenied = "policy_denied";
inline constexpr std::string_view kSession = "session";
inline constexpr std::string_view kGitCommit = "git_commit";  // a commit cadre made in the user's repository
inline constexpr std::string_view kHook = "hook";                        // a lifecycle hook ran (docs/agent.md)
inline constexpr std::string_view kMemoryAppended = "memory_appended";  // approved decisions added to .cadre/MEMORY.md
}  // namespace audit_kind

inline constexpr std::array<std::string_view, 11> kAuditKinds = {
    audit_kind::kModelRequest, audit_kind::kToolCall,          audit_kind::kApproval,     audit_kind::kCommand,
    audit_kind::kEditApplied,  audit_kind::kCheckpointRestore, audit_kind::kPolicyDenied, audit_kind::kSession,
    audit_kind::kGitCommit,    audit_kind::kHook,              audit_kind::kMemoryAppended};

bool isAuditKind(std::string_view kind);

// Applied to every string value of an entry's fields (keys are left alone)
// before the line is written, e.g. to mask secrets in a command line.
using AuditRedactor = std::function<std::string(std::string_view)>;

struct AuditOptions {
  AuditRedactor redactor;
  // fdatasync after each line. Off only where losing the last entries in a
  // power cut is acceptable (tests, benchmarks).
  bool sync = true;
};

// The writer. Thread-safe: one instance may be shared by all threads. Several
// processes (two `cadre` sessions on one project) may append to the same file:
// each append holds flock(LOCK_EX) on it while it reads the tail and writes its
// line with one O_APPEND write, so the chain stays linear. An existing file is
// never rewritten or truncated; a broken tail (a torn line, garbage) is kept and
// chained over, and verify reports it.
//
// Recommended field names, so that `cadre audit show` can summarize any kind:
// actor, model, role, inputTokens, outputTokens, tool, command, exitCode, cwd,
// files: [{path, sha256Before, sha256After}], path, paths, decision, reason,
// checkpoint, event, content (only when configured to record content).
class AuditLog {
 public:
  // Creates the file's parent directories and the file when missing, and reads
  // the tail to pick up seq and prev. anchorFile may be empty (no anchor kept).
  static Expected<AuditLog> open(std::filesystem::path file, std::filesystem::path anchorFile = {},
                                 AuditOptions options = {});

  AuditLog(AuditLog&&) noexcept;
  AuditLog& operator=(AuditLog&&) noexcept;
  ~AuditLog();

  // Appends one entry. kind must be one of kAuditKinds; fields must be a JSON
  // object (or null) without the keys seq, ts, kind and prev. Strings that are
  // not valid UTF-8 are written with U+FFFD in place of the bad bytes.
  // After the line is written the anchor is advanced; if only that fails, the
  // error says so and the entry is in the log (do not append it again).
  Expected<void> append(std::string_view kind, nlohmann::json fields = nlohmann::json::object());

  // For when the redaction rules are loaded after the log is opened.
  void setRedactor(AuditRedactor redactor);

  const std::filesystem::path& file() const;
  // The seq of the last entry this instance wrote or found at open (other
  // processes may have appended since).
  std::int64_t lastSeq() const;

 private:
  struct State;
  explicit AuditLog(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// One finding of verifyAuditLog. kind is one of: edited, removed, inserted,
// reordered, malformed, truncated. line is 1-based; for "removed" it is the line
// after the gap and seq the first missing seq; for "truncated" line is 0 and seq
// the anchor's. seq is -1 when the line has none (malformed).
struct AuditProblem {
  std::size_t line = 0;
  std::int64_t seq = -1;
  std::string kind;
  std::string message;
};

struct AuditReport {
  std::size_t entries = 0;  // lines read, malformed ones included
  std::vector<AuditProblem> problems;  // in line order, "truncated" last
  bool ok() const { return problems.empty(); }
};

// Checks the whole chain and reports every problem, not just the first. With an
// anchor file (when it exists) also detects a cut tail and an edited last entry.
// A missing log is an error unless the anchor says entries were written, which
// is then reported as truncation. Holds flock(LOCK_SH) while reading, so a
// concurrent append is seen whole or not at all.
Expected<AuditReport> verifyAuditLog(const std::filesystem::path& file, const std::filesystem::path& anchorFile = {});

// since/until: an ISO-8601 UTC time or any prefix of one ("2026-11-21",
// "2026-11-21T22:50", a space instead of the T and a trailing Z are accepted),
// compared with the entry's ts: since is inclusive, until includes everything
// the prefix covers. Or a duration back from now: "90s", "30m", "2h", "7d".
// kinds: empty for all. file: entries whose files[].path, path or paths[]
// equal it or lie under it (as a directory), compared after lexical
// normalization.
struct AuditFilter {
  std::optional<std::string> since, until;
  std::vector<std::string> kinds;
  std::optional<std::string> file;
};

// The entries that pass the filter, in log order. Malformed lines are skipped
// (verify reports them). Fails on an unreadable log or an invalid filter.
Expected<std::vector<nlohmann::json>> readAuditLog(const std::filesystem::path& file, const AuditFilter& filter = {});

// The SHA-256 of data as lowercase hex: how prev is computed, exposed for tests
// and for writers of `files[].sha256Before/After`.
std::string sha256Hex(std::string_view data);

}  // namespace cadre::security
