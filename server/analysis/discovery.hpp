// Which files of a project get indexed: the files under a root that have a
// grammar, minus what .gitignore excludes, version-control folders, and files
// that would cost much and tell little (huge, binary, generated/minified).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

namespace cadre::analysis {

// Named limits, with their reasons.
struct DiscoveryLimits {
  // Larger source files are nearly always generated (amalgamations, parser
  // tables); parsing one costs more than the rest of a typical project.
  std::uint64_t maxFileBytes = 1u << 20;
  // A safety stop for roots like $HOME; the index says it stopped.
  std::size_t maxFiles = 200000;
  // What the caller's policy keeps out (security's deny-list: a secret must
  // never reach the index, the repo map or a prompt). Asked for every
  // directory before it is walked and every file before it is listed, with
  // the path relative to the root and, for files, the link count (a hard
  // link may be a secret under another name). Empty: nothing excluded.
  std::function<bool(std::string_view path, bool directory, unsigned links)> exclude;
};

struct DiscoveredFile {
  std::string path;  // relative to the root, '/' separators
  std::string language;
  std::uint64_t size = 0;
  std::int64_t mtimeNs = 0;
};

struct SkippedFile {
  std::string path;
  std::string reason;  // "larger than 1048576 bytes", ...
};

struct Discovery {
  std::vector<DiscoveredFile> files;  // sorted by path
  std::vector<SkippedFile> skipped;
  bool truncated = false;  // maxFiles was reached
};

Discovery discoverFiles(const std::filesystem::path& root, const DiscoveryLimits& limits = {});

// Whether the head of a file says it is binary or machine-written (a NUL
// byte; a minified line; an "@generated" / "DO NOT EDIT" marker).
std::string contentSkipReason(std::string_view head);

}  // namespace cadre::analysis
