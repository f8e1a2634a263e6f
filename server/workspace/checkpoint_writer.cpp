// PlainRestoreWriter: a restore plan written straight to disk. Used by tests
// and wrapped by the CLI; the editor session puts the Gate in front of it.
// Every path is walked component by component with O_NOFOLLOW, so a folder
// swapped for a symlink since the scan cannot redirect a write outside the
// project; each file lands through a temp file and a rename.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "server/workspace/checkpoints.hpp"

namespace cadre::workspace {
namespace {

Error fail(const std::string& path, const std::string& what) {
  return makeError(ErrorCode::IoError, "cannot restore " + path + ": " + what + (errno ? std::string(" (") + std::strerror(errno) + ")" : ""));
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool validPath(const std::vector<std::string>& parts) {
  if (parts.empty()) return false;
  for (const auto& p : parts)
    if (p.empty() || p == "." || p == ".." || p == ".git") return false;
  return true;
}

// An fd of the folder holding the path's last component; -1 when missing
// (and not created) or not a real folder.
int openParent(int rootFd, const std::vector<std::string>& parts, bool create) {
  int fd = ::dup(rootFd);
  for (std::size_t i = 0; i + 1 < parts.size() && fd >= 0; ++i) {
    int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(fd, parts[i].c_str(), 0755) == 0 || errno == EEXIST)
        next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    ::close(fd);
    fd = next;
  }
  return fd;
}

std::string tempName(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  return "." + name + ".cadre-restore-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

Expected<std::vector<std::string>> PlainRestoreWriter::apply(const RestorePlan& plan) {
  std::vector<std::string> changed;
  const int rootFd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return makeError(ErrorCode::IoError, "cannot open " + root_.string());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closeRoot{rootFd};

  for (const RestoreFile& f : plan.files) {
    errno = 0;
    const auto parts = components(f.path);
    if (!validPath(parts)) return makeError(ErrorCode::InvalidParams, "refusing to restore an unsafe path: " + f.path);
    const int dir = openParent(rootFd, parts, f.content.has_value());
    if (dir < 0) {
      if (!f.content) continue;  // already gone with its folder
      return fail(f.path, "its folder is not a real folder");
    }
    Closer closeDir{dir};
    const std::string& name = parts.back();
    if (!f.content) {
      if (::unlinkat(dir, name.c_str(), 0) == 0) changed.push_back(f.path);
      else if (errno != ENOENT) return fail(f.path, "cannot delete");
      continue;
    }
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      // A folder where the checkpoint has a file: only an empty one goes.
      if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) return fail(f.path, "a folder of that name is in the way");
    }
    const std::string tmp = tempName(name);
    if (f.kind == RestoreFile::Kind::Symlink) {
      if (::symlinkat(f.content->c_str(), dir, tmp.c_str()) != 0) return fail(f.path, "cannot create the symlink");
    } else {
      const mode_t mode = f.kind == RestoreFile::Kind::Executable ? 0755 : 0644;
      const int fd = ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      if (fd < 0) return fail(f.path, "cannot create a temporary file");
      const char* p = f.content->data();
      std::size_t left = f.content->size();
      bool ok = true;
      while (left > 0) {
        const ssize_t w = ::write(fd, p, left);
        if (w < 0) {
          if (errno == EINTR) continue;
          ok = false;
          break;
        }
        p += w;
        left -= static_cast<std::size_t>(w);
      }
      // The umask may have narrowed the mode; the checkpoint's bits win.
      ok = ok && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
      ::close(fd);
      if (!ok) {
        ::unlinkat(dir, tmp.c_str(), 0);
        return fail(f.path, "cannot write");
      }
    }
    if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
      ::unlinkat(dir, tmp.c_str(), 0);
      return fail(f.path, "cannot move into place");
    }
    changed.push_back(f.path);
  }
  for (const auto& d : plan.emptyDirs) {
    const auto parts = components(d);
    if (!validPath(parts)) continue;
    const int dir = openParent(rootFd, parts, false);
    if (dir < 0) continue;
    ::unlinkat(dir, parts.back().c_str(), AT_REMOVEDIR);  // fails, harmlessly, unless empty
    ::close(dir);
  }
  return changed;
}

}  // namespace cadre::workspace
