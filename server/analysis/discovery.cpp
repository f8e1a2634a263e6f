// Project file discovery; see discovery.hpp.
#include "server/analysis/discovery.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

// The file `name` in the directory `dir` (an open descriptor), whole, or
// false when it cannot be opened (most often: there is none).
bool readFileAt(int dir, const char* name, std::string& out) {
  const int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[16384];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

// Directories that hold other tools' state, never project sources.
bool isVcsDir(const std::string& name) { return name == ".git" || name == ".hg" || name == ".svn" || name == ".cadre"; }

// Walks with descriptors: entries are read with readdir (whose d_type says
// what most are) and looked at relative to their directory, so neither a
// stat nor an open walks the whole path again, and no std::filesystem path
// is built per entry (a warm restart is mostly this walk).
struct Walker {
  const DiscoveryLimits& limits;
  Discovery& out;
  IgnoreRules rules;

  // `fd`: the directory, open (closed here); `rel`: its path from the root.
  void walk(int fd, const std::string& rel) {
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      ::close(fd);
      return;
    }
    std::string gitignore;
    if (readFileAt(fd, ".gitignore", gitignore)) rules.add(rel, gitignore);
    struct Entry {
      std::string name;
      unsigned char type;
    };
    std::vector<Entry> entries;
    while (const dirent* e = ::readdir(dir)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      entries.push_back({std::string(name), e->d_type});
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
    for (Entry& entry : entries) {
      if (out.truncated) break;
      struct stat st {};
      bool statted = false;
      if (entry.type == DT_UNKNOWN) {
        if (::fstatat(fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        statted = true;
        entry.type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      const std::string path = rel.empty() ? entry.name : rel + "/" + entry.name;
      // Symlinks are not followed: they can loop, and can point outside the root.
      if (entry.type == DT_DIR) {
        if (isVcsDir(entry.name) || rules.ignored(path, true)) continue;
        if (limits.exclude && limits.exclude(path, true, 0)) continue;
        // Each directory on the path holds a descriptor until its walk ends:
        // a tree nested deeper than the process may open is reported, not
        // silently cut short.
        const int child = ::openat(fd, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child >= 0) walk(child, path);
        else if (errno == EMFILE || errno == ENFILE) out.skipped.push_back({path + "/", "not walked: too many open files (nested too deep)"});
        continue;
      }
      if (entry.type != DT_REG) continue;
      const Language* lang = languageForFileName(entry.name);
      if (!lang || rules.ignored(path, false)) continue;
      if (!statted && ::fstatat(fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!S_ISREG(st.st_mode)) continue;
      if (limits.exclude && limits.exclude(path, false, static_cast<unsigned>(st.st_nlink))) continue;
      const auto size = static_cast<std::uint64_t>(st.st_size);
      if (size > limits.maxFileBytes) {
        out.skipped.push_back({path, "larger than " + std::to_string(limits.maxFileBytes) + " bytes"});
        continue;
      }
      if (out.files.size() >= limits.maxFiles) {
        out.truncated = true;
        break;
      }
      out.files.push_back({path, std::string(lang->id), size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
    }
    ::closedir(dir);
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
  Walker w{limits, out, {}};
  if (fs::exists(root / ".git" / "info" / "exclude")) w.rules.add("", readSmallFile(root / ".git" / "info" / "exclude"));
  // The root itself may be a symlink (a project opened through one).
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) w.walk(fd, "");
  std::sort(out.files.begin(), out.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace cadre::analysis
