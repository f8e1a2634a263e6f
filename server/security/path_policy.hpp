// Which paths an agent, a tool or an MCP call may touch. Every read, list,
// search, edit, rename target and command argument is checked here on its
// canonical real path — symlinks, `..`, /proc/self/root-style aliases and
// hard links resolved — against the deny-list (DESIGN.md defaults plus the
// project's additions, matched case-insensitively) and the workspace roots.
// Being a pure function of the file system, it never asks anyone: the Gate
// decides what a refusal means (report, or ask for an approval when a path is
// merely outside the roots).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cadre::security {

struct PathPolicyConfig {
  std::vector<std::filesystem::path> roots;  // workspace roots; canonicalized on construction
  // Added to the defaults, never replacing them: a project can deny more, not less.
  std::vector<std::string> extraDeny;
  // Whose secret files (~/.ssh, ~/.aws/credentials, …) hard links are checked
  // against. Empty: $HOME.
  std::filesystem::path home;
};

enum class PathAccess { Read, List, Write };

enum class PathRefusal {
  None,
  Denied,        // deny-listed (or a write into .git/ or .cadre/): never allowed, not even by approval
  OutsideRoots,  // outside every workspace root: allowed only by an explicit user approval
  Invalid,       // empty, NUL bytes, too many symlink hops
};

struct PathCheck {
  PathRefusal refusal = PathRefusal::None;
  std::filesystem::path canonical;  // absolute, symlinks resolved (for a missing file: its resolved parent + name)
  std::string rule;                 // the deny pattern that matched, or what the path aliases
  std::string message;              // for the user and the model: what was refused and why
  bool ok() const { return refusal == PathRefusal::None; }
};

class PathPolicy {
 public:
  explicit PathPolicy(PathPolicyConfig config);

  // `path` is absolute or relative to `base` (default: the first root).
  PathCheck check(std::string_view path, PathAccess access, const std::filesystem::path& base = {}) const;

  // The deny pattern matching an already canonical path, if any (for
  // filtering directory listings and search results without re-resolving).
  std::optional<std::string> deniedBy(const std::filesystem::path& canonical) const;

  // Deny-listed files and directories that exist under the roots, plus hard
  // links to the user's secret files found there: the sandbox masks them so a
  // command cannot read them either.
  std::vector<std::filesystem::path> maskedPaths() const;

  const std::vector<std::filesystem::path>& roots() const { return roots_; }
  std::optional<std::filesystem::path> rootOf(const std::filesystem::path& canonical) const;
  const std::vector<std::string>& denyPatterns() const { return patterns_; }

  // Forget what the last scan of the roots found (files appear and vanish).
  void refresh();

  static const std::vector<std::string>& defaultDenyPatterns();

 private:
  struct Scan {
    std::vector<std::filesystem::path> denied;         // deny-listed entries under the roots
    std::set<std::pair<dev_t, ino_t>> secretInodes;    // deny-listed files here and in $HOME
    std::vector<std::pair<std::pair<dev_t, ino_t>, std::string>> inodeNames;
  };
  const Scan& scan() const;
  std::optional<std::string> matchDeny(const std::vector<std::string>& components) const;

  std::vector<std::filesystem::path> roots_;
  std::vector<std::string> patterns_;
  std::filesystem::path home_;
  mutable std::mutex mu_;
  mutable std::optional<Scan> scan_;
};

// Resolves symlinks the way the kernel would (a `..` after a symlink climbs
// out of its target), following dangling links to where they would create a
// file. Relative `path` is taken against `base`. Empty on a loop (> 40 hops).
std::optional<std::filesystem::path> resolvePath(std::string_view path, const std::filesystem::path& base);

// Whether `p` is `dir` or lies below it, comparing whole components of two
// already-resolved paths (no filesystem access).
bool isUnder(const std::filesystem::path& p, const std::filesystem::path& dir);

}  // namespace cadre::security
