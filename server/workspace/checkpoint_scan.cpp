// The checkpoint scanner; see checkpoint_scan.hpp.
#include "server/workspace/checkpoint_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>

#include "server/workspace/checkpoint_ignore.hpp"
#include "support/files.hpp"
#include "support/parallel_for.hpp"

namespace cadre::workspace {
namespace {

namespace fs = std::filesystem;

// Rule files are small; one bigger than this is not a .gitignore anyone wrote.
constexpr std::size_t kMaxIgnoreFileBytes = 1u << 20;

bool readSmall(int dirFd, const char* name, std::string& out) {
  const int fd = ::openat(dirFd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > kMaxIgnoreFileBytes) {
    ::close(fd);
    return false;
  }
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  ::close(fd);
  return true;
}

// The directory holding a repository's info/exclude, given its `.git`
// (a directory, or a file "gitdir: …" for worktrees and submodules, whose
// shared files live in the "commondir"). Read only: nothing is ever written
// under a .git.
fs::path commonGitDir(const fs::path& dotGit) {
  std::error_code ec;
  fs::path gitDir = dotGit;
  if (fs::is_regular_file(dotGit, ec)) {
    std::string text;
    if (!readWholeFile(dotGit, text) || text.rfind("gitdir:", 0) != 0) return {};
    std::string target = text.substr(7);
    while (!target.empty() && (target.front() == ' ')) target.erase(0, 1);
    while (!target.empty() && (target.back() == '\n' || target.back() == '\r' || target.back() == ' ')) target.pop_back();
    gitDir = fs::path(target).is_absolute() ? fs::path(target) : dotGit.parent_path() / target;
  }
  std::string common;
  if (readWholeFile(gitDir / "commondir", common)) {
    while (!common.empty() && (common.back() == '\n' || common.back() == '\r')) common.pop_back();
    return fs::path(common).is_absolute() ? fs::path(common) : gitDir / common;
  }
  return gitDir;
}

struct Entry {
  std::string name;
  bool dir = false;
  unsigned char type = DT_UNKNOWN;
};

// Folders this shallow are walked as tasks of their own, on all cores; below
// that a task recurses by itself. Two levels spread even a project whose
// files all sit under src/ over the cores.
constexpr int kParallelDepth = 2;

// One folder walked (and, below kParallelDepth, everything under it). Its
// output is in walk order: files, and placeholders for the folders given to
// tasks of their own, spliced in when the scan is assembled.
struct Task {
  std::string prefix;  // "" for the root, else "a/b/"
  int fd = -1;
  int depth = 0;
  IgnoreStack stack;  // the frames of the folders above (their rules owned by their tasks)
  struct Item {
    ScannedFile file;
    std::size_t child = 0;  // when a placeholder: index into `children` + 1
  };
  std::vector<Item> items;
  std::vector<std::unique_ptr<Task>> children;
  std::vector<SkippedFile> skipped;
  std::size_t directories = 0, ignored = 0, excluded = 0, nested = 0;
  std::deque<IgnoreFile> rules;  // kept to the end of the scan: children point at them
};

class Walker {
 public:
  Walker(const fs::path& root, const ScanOptions& options) : root_(root), options_(options) {
    std::error_code ec;
    for (const auto& skip : options.skipDirs) {
      const fs::path rel = fs::weakly_canonical(skip, ec).lexically_relative(root);
      if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0 && rel != ".") skipRel_.push_back(rel.generic_string());
    }
    threads_ = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  }

  ScanResult run() {
    ScanResult out;
    Task root;
    root.fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root.fd < 0) return out;
    pushAncestorRules(root);
    walkTask(root);
    // Level by level: every task of one depth runs in parallel.
    std::vector<Task*> level;
    for (auto& c : root.children) level.push_back(c.get());
    while (!level.empty()) {
      cadre::parallelFor(level.size(), threads_, [&](std::size_t k) { walkTask(*level[k]); });
      std::vector<Task*> next;
      for (Task* t : level)
        for (auto& c : t->children) next.push_back(c.get());
      level = std::move(next);
    }
    assemble(root, out);
    return out;
  }

 private:
  void assemble(Task& t, ScanResult& out) {
    out.directories += t.directories;
    out.ignored += t.ignored;
    out.excluded += t.excluded;
    out.nestedRepositories += t.nested;
    for (auto& s : t.skipped) out.skipped.push_back(std::move(s));
    for (auto& item : t.items) {
      if (item.child) assemble(*t.children[item.child - 1], out);
      else out.files.push_back(std::move(item.file));
    }
  }

  // The work tree may be a subfolder of a repository: the .gitignore files
  // between the repository's top and the root, and its info/exclude, apply
  // as git would apply them.
  void pushAncestorRules(Task& t) {
    std::error_code ec;
    if (fs::exists(root_ / ".git", ec)) {
      pushExclude(t, root_ / ".git", 0, {});
      return;
    }
    std::vector<fs::path> chain;
    for (fs::path d = root_.parent_path(); !d.empty(); d = d.parent_path()) {
      chain.push_back(d);
      if (fs::exists(d / ".git", ec)) {
        pushExclude(t, d / ".git", 0, root_.lexically_relative(d).generic_string() + "/");
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          std::string text;
          const int dfd = ::open(it->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (dfd < 0) continue;
          if (readSmall(dfd, ".gitignore", text)) pushRules(t, text, 0, root_.lexically_relative(*it).generic_string() + "/");
          ::close(dfd);
        }
        return;
      }
      if (d == d.root_path()) break;
    }
  }

  bool pushExclude(Task& t, const fs::path& dotGit, std::size_t baseLen, std::string lead) {
    const fs::path common = commonGitDir(dotGit);
    if (common.empty()) return false;
    std::string text;
    const int dfd = ::open((common / "info").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return false;
    const bool pushed = readSmall(dfd, "exclude", text) && pushRules(t, text, baseLen, std::move(lead));
    ::close(dfd);
    return pushed;
  }

  bool pushRules(Task& t, std::string_view text, std::size_t baseLen, std::string lead = {}) {
    IgnoreFile file;
    file.parse(text);
    if (file.empty()) return false;
    t.rules.push_back(std::move(file));
    t.stack.push(&t.rules.back(), baseLen, std::move(lead));
    return true;
  }

  bool skipped(const std::string& rel) const { return std::find(skipRel_.begin(), skipRel_.end(), rel) != skipRel_.end(); }

  void walkTask(Task& t) {
    std::string prefix = t.prefix;
    walk(t, t.fd, prefix, t.depth);
    t.fd = -1;  // walk closed it
  }

  void walk(Task& t, int fd, std::string& prefix, int depth) {
    const bool isRoot = depth == 0;
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return;
    }
    ++t.directories;
    std::vector<Entry> entries;
    bool hasGit = false, hasIgnore = false;
    while (const dirent* e = ::readdir(d)) {
      const char* n = e->d_name;
      if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
      if (std::strcmp(n, ".git") == 0) {
        hasGit = true;
        continue;
      }
      if (std::strcmp(n, ".gitignore") == 0) hasIgnore = true;
      if (isRoot && std::strcmp(n, ".cadre") == 0) continue;
      Entry entry;
      entry.name = n;
      entry.type = e->d_type;
      if (entry.type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(::dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0) {
          entry.type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
      }
      entry.dir = entry.type == DT_DIR;
      entries.push_back(std::move(entry));
    }
    const int dfd = ::dirfd(d);

    // A nested repository (or submodule) follows its own rules, not ours.
    std::size_t savedFloor = 0, pushed = 0;
    const bool nested = hasGit && !isRoot;
    if (nested) {
      ++t.nested;
      savedFloor = t.stack.raiseFloor();
      pushed += pushExclude(t, root_ / prefix / ".git", prefix.size(), {});
    }
    if (hasIgnore) {
      std::string text;
      if (readSmall(dfd, ".gitignore", text)) pushed += pushRules(t, text, prefix.size());
    }

    // Directories sort as "name/": the walk then yields git's index order.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      const std::size_t n = std::min(a.name.size(), b.name.size());
      if (int c = std::memcmp(a.name.data(), b.name.data(), n); c != 0) return c < 0;
      const unsigned char ca = a.name.size() > n ? static_cast<unsigned char>(a.name[n]) : (a.dir ? '/' : 0);
      const unsigned char cb = b.name.size() > n ? static_cast<unsigned char>(b.name[n]) : (b.dir ? '/' : 0);
      return ca < cb;
    });

    const bool spawn = threads_ > 1 && depth < kParallelDepth;
    const std::size_t prefixLen = prefix.size();
    for (const Entry& e : entries) {
      prefix.resize(prefixLen);
      prefix += e.name;
      if (e.dir) {
        if (t.stack.ignored(prefix, true)) {
          ++t.ignored;
          continue;
        }
        if (options_.exclude && options_.exclude(prefix, true, 0)) {
          ++t.excluded;
          continue;
        }
        if (!skipRel_.empty() && skipped(prefix)) continue;
        const int child = ::openat(dfd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          t.skipped.push_back({prefix + "/", SkipReason::Unreadable, 0});
          continue;
        }
        prefix += '/';
        if (spawn) {
          auto task = std::make_unique<Task>();
          task->prefix = prefix;
          task->fd = child;
          task->depth = depth + 1;
          task->stack = t.stack;
          t.children.push_back(std::move(task));
          Task::Item item;
          item.child = t.children.size();
          t.items.push_back(std::move(item));
        } else {
          walk(t, child, prefix, depth + 1);
        }
        continue;
      }
      if (t.stack.ignored(prefix, false)) {
        ++t.ignored;
        continue;
      }
      struct stat st;
      if (::fstatat(dfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      if (S_ISDIR(st.st_mode)) continue;  // replaced by a directory meanwhile: the next scan sees it
      if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        t.skipped.push_back({prefix, SkipReason::Special, 0});
        continue;
      }
      if (options_.exclude && options_.exclude(prefix, false, static_cast<unsigned>(st.st_nlink))) {
        ++t.excluded;
        continue;
      }
      if (static_cast<std::uint64_t>(st.st_size) > options_.maxFileBytes) {
        t.skipped.push_back({prefix, SkipReason::TooLarge, static_cast<std::uint64_t>(st.st_size)});
        continue;
      }
      Task::Item item;
      ScannedFile& f = item.file;
      f.path = prefix;
      f.mode = st.st_mode;
      f.size = static_cast<std::uint64_t>(st.st_size);
      f.mtime = st.st_mtim;
      f.ctime = st.st_ctim;
      f.ino = st.st_ino;
      f.dev = st.st_dev;
      f.uid = st.st_uid;
      f.gid = st.st_gid;
      f.nlink = static_cast<unsigned>(st.st_nlink);
      t.items.push_back(std::move(item));
    }
    prefix.resize(prefixLen);

    // Rules of this folder stop applying; the files stay owned by the task
    // (child tasks point at them).
    for (std::size_t k = 0; k < pushed; ++k) t.stack.pop();
    if (nested) t.stack.restoreFloor(savedFloor);
    ::closedir(d);
  }

  fs::path root_;
  const ScanOptions& options_;
  std::vector<std::string> skipRel_;
  unsigned threads_ = 1;
};

}  // namespace

const char* toString(SkipReason reason) {
  switch (reason) {
    case SkipReason::TooLarge:
      return "too large";
    case SkipReason::Unreadable:
      return "unreadable";
    case SkipReason::Special:
      return "not a regular file or symlink";
    case SkipReason::Ignored:
      return "ignored";
  }
  return "skipped";
}

ScanResult scanWorkTree(const fs::path& root, const ScanOptions& options) { return Walker(root, options).run(); }

}  // namespace cadre::workspace
