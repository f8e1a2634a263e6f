// Project file discovery; see discovery.hpp.
#include "server/analysis/discovery.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "server/analysis/ignore.hpp"
#include "server/analysis/language.hpp"

namespace cadre::analysis {
namespace fs = std::filesystem;

namespace {

std::string readSmallFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Directories that hold other tools' state, never project sources.
bool isVcsDir(const std::string& name) { return name == ".git" || name == ".hg" || name == ".svn" || name == ".cadre"; }

struct Walker {
  const fs::path& root;
  const DiscoveryLimits& limits;
  Discovery& out;
  IgnoreRules rules;

  void walk(const fs::path& dir, const std::string& rel) {
    if (out.truncated) return;
    if (fs::exists(dir / ".gitignore")) rules.add(rel, readSmallFile(dir / ".gitignore"));
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end; it.increment(ec)) {
      entries.push_back(*it);
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      const std::string path = rel.empty() ? name : rel + "/" + name;
      std::error_code sec;
      // Symlinks are not followed: they can loop, and can point outside the root.
      if (entry.is_symlink(sec)) continue;
      if (entry.is_directory(sec)) {
        if (isVcsDir(name) || rules.ignored(path, true)) continue;
        if (limits.exclude && limits.exclude(path, true, 0)) continue;
        walk(entry.path(), path);
        if (out.truncated) return;
        continue;
      }
      if (!entry.is_regular_file(sec)) continue;
      const Language* lang = languageForPath(entry.path());
      if (!lang || rules.ignored(path, false)) continue;
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) != 0) continue;
      if (limits.exclude && limits.exclude(path, false, static_cast<unsigned>(st.st_nlink))) continue;
      const auto size = static_cast<std::uint64_t>(st.st_size);
      if (size > limits.maxFileBytes) {
        out.skipped.push_back({path, "larger than " + std::to_string(limits.maxFileBytes) + " bytes"});
        continue;
      }
      if (out.files.size() >= limits.maxFiles) {
        out.truncated = true;
        return;
      }
      out.files.push_back({path, std::string(lang->id), size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
    }
  }
};

}  // namespace

std::string contentSkipReason(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return "binary (contains NUL bytes)";
  // Minified bundles put whole programs on one line.
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i <= head.size(); ++i) {
    if (i == head.size() || head[i] == '\n') {
      if (i - lineStart > 5000) return "minified (a line longer than 5000 bytes)";
      lineStart = i + 1;
    }
  }
  std::string_view top = head.substr(0, 512);
  if (top.find("@generated") != std::string_view::npos || top.find("DO NOT EDIT") != std::string_view::npos) {
    return "generated (marked in its first lines)";
  }
  return {};
}

Discovery discoverFiles(const fs::path& root, const DiscoveryLimits& limits) {
  Discovery out;
  Walker w{root, limits, out, {}};
  if (fs::exists(root / ".git" / "info" / "exclude")) w.rules.add("", readSmallFile(root / ".git" / "info" / "exclude"));
  w.walk(root, "");
  std::sort(out.files.begin(), out.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace cadre::analysis
