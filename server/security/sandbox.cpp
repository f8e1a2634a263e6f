// Runs agent commands inside bubblewrap with limits, and makes sure that once
// runSandboxed returns, no process the command started is still alive. The kill
// relies on three layers because each can fail alone: the process group (what
// the shell started), the pid namespace (bwrap's init takes every descendant
// with it, even ones that left the group), and a cgroup (pids and memory
// limits, and a list of every process left when the run ends).
#include "server/security/sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "support/files.hpp"

namespace cadre::security {
namespace {

using Clock = std::chrono::steady_clock;

// The cancel flag and the wall clock are looked at least this often.
constexpr int kPollTickMs = 50;
// After the main process exits, its descendants are killed; pipes still held
// by something that escaped every kill stop being read after this.
constexpr int kDrainAfterExitMs = 500;
// Bound on waiting for killed processes to vanish from the cgroup and the pid
// namespace: SIGKILL is not instant, but it is not slow either.
constexpr int kReapWaitMs = 2000;
constexpr int kProbeTimeoutMs = 10000;
constexpr std::size_t kReadChunk = 64 * 1024;
// bwrap's own processes (the outside monitor and the namespace's init) count
// against pids.max; the command still gets maxProcesses of its own.
constexpr int kBwrapHelperProcesses = 2;

constexpr const char* kSandboxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kBwrapMissing =
    "bubblewrap (bwrap) not found: install the bubblewrap package, or set security.sandbox = \"off\" in "
    "config to run commands unsandboxed (not recommended)";
constexpr const char* kCgroupPrefix = "cadre-sandbox-";

// Read-only system directories: enough for shells, compilers, interpreters
// and package managers. Symlinks among them (merged /usr) are recreated as
// symlinks. /home, /root, /var, /run, /srv, /mnt and /media are not bound, so
// the user's files and sockets are absent unless the caller binds them.
const char* const kSystemDirs[] = {"/usr",   "/bin", "/sbin", "/lib",      "/lib32", "/lib64",
                                   "/libx32", "/etc", "/opt",  "/nix/store"};
// Readable by root in /etc and worth nothing to a build: masked always, with
// the SSH host keys (/etc/ssh/ssh_host_*_key).
const char* const kSystemMasks[] = {"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-"};
// A writable bind here would let a command change what every later one runs.
const char* const kNeverWritable[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                                      "/etc", "/proc", "/dev",  "/sys",  "/boot"};
const char* const kNeverBound[] = {"/proc", "/dev", "/sys"};

// --- small helpers --------------------------------------------------------

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

Error osError(const std::string& what) {
  return makeError(ErrorCode::IoError, what + ": " + std::strerror(errno));
}

std::int64_t msSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool isWithin(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

std::size_t depthOf(const std::string& path) { return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')); }

std::optional<std::string> realPath(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return std::nullopt;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv[0] as execvp would find it, so a missing command is reported before
// anything is started (unsandboxed runs; bwrap does its own lookup inside).
std::string findExecutable(const std::string& name, const std::string& pathVar, const std::string& cwd) {
  if (name.find('/') != std::string::npos) {
    std::string full = name[0] == '/' ? name : cwd + "/" + name;
    return isExecutableFile(full) ? full : std::string();
  }
  std::size_t start = 0;
  while (start <= pathVar.size()) {
    std::size_t end = pathVar.find(':', start);
    if (end == std::string::npos) end = pathVar.size();
    std::string dir = pathVar.substr(start, end - start);
    if (dir.empty()) dir = cwd;
    std::string full = dir + "/" + name;
    if (isExecutableFile(full)) return full;
    start = end + 1;
  }
  return {};
}

bool writeSmallFile(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return false;
  return ::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

// The number after `key ` in a flat-keyed cgroup file (pids.events,
// memory.events, memory.oom_control); -1 when absent.
long long cgroupCounter(const std::string& file, const std::string& key) {
  std::string text;
  if (!readWholeFile(file, text)) return -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ' ')
      return std::atoll(line.c_str() + key.size() + 1);
    pos = eol + 1;
  }
  return -1;
}

std::vector<pid_t> pidsIn(const std::string& procsFile) {
  std::vector<pid_t> pids;
  std::string text;
  if (!readWholeFile(procsFile, text)) return pids;
  const char* p = text.c_str();
  while (*p) {
    char* end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) pids.push_back(static_cast<pid_t>(v));
    p = end;
    while (*p == '\n' || *p == ' ') ++p;
  }
  return pids;
}

int pidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Waits until a pidfd reports its process gone, at most `ms`.
void waitPidfd(int pidfd, int ms) {
  if (pidfd < 0) return;
  auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
    pollfd p{pidfd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count());
    int rc = ::poll(&p, 1, std::max(left, 1));
    if (rc > 0 || (rc < 0 && errno != EINTR)) return;
  }
}

// --- cgroups --------------------------------------------------------------

// Where this process may create cgroups for its runs, per controller. Found
// once: the mount table and our own membership do not change under us.
struct CgroupSupport {
  std::string pidsParent;    // directory to create run cgroups in, or empty
  std::string memoryParent;  // likewise
  bool pidsV2 = false, memoryV2 = false;
};

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescapeMountField(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      bool octal = true;
      int v = 0;
      for (std::size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        octal = octal && c >= '0' && c <= '7';
        v = v * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

struct CgroupMount {
  std::string root, mountPoint;
  bool v2 = false;
  std::vector<std::string> controllers;  // v1 only
};

std::vector<CgroupMount> cgroupMounts() {
  std::vector<CgroupMount> mounts;
  std::string text;
  if (!readWholeFile("/proc/self/mountinfo", text)) return mounts;
  for (const std::string& line : splitOn(text, '\n')) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> head = splitOn(line.substr(0, dash), ' ');
    std::vector<std::string> tail = splitOn(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    CgroupMount m;
    m.root = unescapeMountField(head[3]);
    m.mountPoint = unescapeMountField(head[4]);
    if (tail[0] == "cgroup2") {
      m.v2 = true;
    } else if (tail[0] == "cgroup") {
      m.controllers = splitOn(tail[2], ',');
    } else {
      continue;
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

// Our own cgroup in a hierarchy, as a directory under its mount.
std::string ownCgroupDir(const CgroupMount& mount, const std::string& controller) {
  std::string text;
  if (!readWholeFile("/proc/self/cgroup", text)) return {};
  for (const std::string& line : splitOn(text, '\n')) {
    std::size_t c1 = line.find(':');
    std::size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    std::vector<std::string> names = splitOn(controllers, ',');
    bool matches = mount.v2 ? (line.compare(0, c1, "0") == 0 && controllers.empty())
                            : std::find(names.begin(), names.end(), controller) != names.end();
    if (!matches) continue;
    if (mount.root != "/") {
      if (!isWithin(path, mount.root)) return {};
      path = path.substr(mount.root.size());
    }
    std::string dir = mount.mountPoint + (path == "/" ? "" : path);
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
  }
  return {};
}

bool pidAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// Run cgroups of cadre processes that died mid-run would pile up; remove the
// empty ones (rmdir refuses the rest).
void removeStaleCgroups(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  std::string prefix = kCgroupPrefix;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
    if (owner <= 0 || owner == ::getpid() || pidAlive(owner)) continue;
    ::rmdir((parent + "/" + name).c_str());
  }
  ::closedir(d);
}

// True when a child cgroup made in `parent` gets the controller (its control
// file appears) and can be removed again.
bool canCreateWith(const std::string& parent, const std::string& controlFile) {
  std::string probe = parent + "/" + kCgroupPrefix + std::to_string(::getpid()) + "-probe";
  if (::mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) return false;
  bool ok = ::access((probe + "/" + controlFile).c_str(), W_OK) == 0;
  ::rmdir(probe.c_str());
  return ok;
}

// The directory to create run cgroups in for one controller, or empty. The
// controller's file (v1 name, v2 name) must appear in a trial child.
std::string findCgroupParent(const std::vector<CgroupMount>& mounts, const std::string& controller,
                             const std::string& v1File, const std::string& v2File, bool& v2) {
  // cgroup v1 first: on hybrid machines the v2 tree usually has no controllers.
  for (const CgroupMount& m : mounts) {
    if (m.v2 || std::find(m.controllers.begin(), m.controllers.end(), controller) == m.controllers.end()) continue;
    std::string own = ownCgroupDir(m, controller);
    if (!own.empty() && canCreateWith(own, v1File)) {
      v2 = false;
      return own;
    }
  }
  for (const CgroupMount& m : mounts) {
    if (!m.v2) continue;
    std::string own = ownCgroupDir(m, controller);
    if (own.empty()) continue;
    // v2 forbids processes in a cgroup that hands controllers to children,
    // so a populated cgroup (ours) can rarely get children with controllers;
    // a sibling under our parent can, when that parent was delegated to us.
    std::vector<std::string> candidates{own};
    if (own != m.mountPoint) candidates.push_back(own.substr(0, own.rfind('/')));
    for (const std::string& c : candidates) {
      if (canCreateWith(c, v2File)) {
        v2 = true;
        return c;
      }
    }
  }
  return {};
}

const CgroupSupport& cgroupSupport() {
  static const CgroupSupport support = [] {
    CgroupSupport s;
    std::vector<CgroupMount> mounts = cgroupMounts();
    s.pidsParent = findCgroupParent(mounts, "pids", "pids.max", "pids.max", s.pidsV2);
    s.memoryParent = findCgroupParent(mounts, "memory", "memory.limit_in_bytes", "memory.max", s.memoryV2);
    if (!s.pidsParent.empty()) removeStaleCgroups(s.pidsParent);
    if (!s.memoryParent.empty() && s.memoryParent != s.pidsParent) removeStaleCgroups(s.memoryParent);
    return s;
  }();
  return support;
}

std::string processLimitKind(const CgroupSupport& cg) {
  if (!cg.pidsParent.empty()) return "cgroup";
  // RLIMIT_NPROC does not bind root (nor CAP_SYS_RESOURCE / CAP_SYS_ADMIN).
  return ::getuid() == 0 ? "none" : "rlimit";
}

std::string memoryLimitKind(const CgroupSupport& cg) { return cg.memoryParent.empty() ? "rlimit" : "cgroup"; }

// One run's cgroups: created before the fork, joined by the child before it
// execs, emptied and removed when the run ends.
class RunCgroups {
 public:
  RunCgroups() = default;
  RunCgroups(const RunCgroups&) = delete;
  RunCgroups& operator=(const RunCgroups&) = delete;
  ~RunCgroups() { destroy(); }

  void setup(const CgroupSupport& cg, int maxProcesses, std::uint64_t memoryBytes) {
    static std::atomic<unsigned> counter{0};
    std::string name = std::string(kCgroupPrefix) + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    if (!cg.pidsParent.empty()) {
      std::string dir = cg.pidsParent + "/" + name;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (writeSmallFile(dir + "/pids.max", std::to_string(maxProcesses))) {
          pids_ = dir;
        } else {
          ::rmdir(dir.c_str());
        }
      }
    }
    if (!cg.memoryParent.empty()) {
      // In one v2 tree a single cgroup carries both controllers.
      std::string dir = cg.memoryParent + "/" + name;
      bool shared = dir == pids_;
      if (shared || ::mkdir(dir.c_str(), 0755) == 0) {
        std::string bytes = std::to_string(memoryBytes);
        bool ok;
        if (cg.memoryV2) {
          ok = writeSmallFile(dir + "/memory.max", bytes);
          // Swap would turn the limit into slowness instead of a clear stop.
          writeSmallFile(dir + "/memory.swap.max", "0");
        } else {
          ok = writeSmallFile(dir + "/memory.limit_in_bytes", bytes);
          writeSmallFile(dir + "/memory.memsw.limit_in_bytes", bytes);
        }
        if (ok) {
          memory_ = dir;
          memoryV2_ = cg.memoryV2;
        } else if (!shared) {
          ::rmdir(dir.c_str());
        }
      }
    }
  }

  bool hasPids() const { return !pids_.empty(); }
  bool hasMemory() const { return !memory_.empty(); }

  // cgroup.procs of each cgroup, opened now so the child only has to write.
  std::vector<UniqueFd> openProcsFiles() const {
    std::vector<UniqueFd> fds;
    for (const std::string* dir : {&pids_, &memory_}) {
      if (dir->empty() || (dir == &memory_ && memory_ == pids_)) continue;
      fds.emplace_back(::open((*dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    }
    return fds;
  }

  // SIGKILL to every member until none is left (bounded). v1 has no
  // cgroup.kill, so members are listed and killed in rounds; forks racing
  // the kill are bounded by pids.max and fail once their parent is dying.
  void killAll() {
    const std::string& dir = !pids_.empty() ? pids_ : memory_;
    if (dir.empty()) return;
    if (writeSmallFile(dir + "/cgroup.kill", "1")) {
      waitEmpty(dir);
      return;
    }
    auto until = Clock::now() + std::chrono::milliseconds(kReapWaitMs);
    int emptyReads = 0;
    // Empty twice, a moment apart: a child whose fork was finishing while
    // its parent died joins the cgroup just after the parent leaves it.
    while (Clock::now() < until && emptyReads < 2) {
      std::vector<pid_t> pids = pidsIn(dir + "/cgroup.procs");
      emptyReads = pids.empty() ? emptyReads + 1 : 0;
      for (pid_t p : pids) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(pids.empty() ? 2 : 1));
    }
  }

  long long forkRefusals() const { return pids_.empty() ? -1 : cgroupCounter(pids_ + "/pids.events", "max"); }
  long long oomKills() const {
    if (memory_.empty()) return -1;
    return memoryV2_ ? cgroupCounter(memory_ + "/memory.events", "oom_kill")
                     : cgroupCounter(memory_ + "/memory.oom_control", "oom_kill");
  }

  void destroy() {
    for (std::string* dir : {&memory_, &pids_}) {
      if (dir->empty()) continue;
      if (dir == &memory_ && memory_ == pids_) {
        memory_.clear();
        continue;
      }
      waitEmpty(*dir);
      // A v1 cgroup can stay busy for a moment after its last task exits.
      for (int i = 0; i < 100 && ::rmdir(dir->c_str()) != 0 && errno == EBUSY; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      dir->clear();
    }
  }

 private:
  static void waitEmpty(const std::string& dir) {
    auto until = Clock::now() + std::chrono::milliseconds(kReapWaitMs);
    while (Clock::now() < until && !pidsIn(dir + "/cgroup.procs").empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  std::string pids_, memory_;
  bool memoryV2_ = false;
};

// --- launching ------------------------------------------------------------

// The parent blocks SIGPIPE in its own thread while it writes the command's
// stdin, so a command that exits without reading cannot kill cadre; a
// SIGPIPE raised meanwhile is consumed before the mask is restored.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

struct LaunchPlan {
  std::string executable;  // absolute
  std::vector<std::string> argv;
  std::vector<std::string> envp;  // "KEY=value"
  std::string chdirTo;            // unsandboxed runs; bwrap does its own --chdir
  bool bwrapStatusFd = false;     // give bwrap's --json-status-fd as fd 3
  bool dieWithParent = false;     // unsandboxed runs; bwrap has --die-with-parent
  int cpuSeconds = 0;             // 0: leave as is
  std::uint64_t dataBytes = 0;    // RLIMIT_DATA; 0: leave as is
  std::uint64_t nproc = 0;        // RLIMIT_NPROC; 0: leave as is
};

struct LaunchOutcome {
  int waitStatus = 0;
  bool failedToExec = false;  // exec of plan.executable failed: execErrno
  int execErrno = 0;
  std::string out, err, status;
  bool outTruncated = false, errTruncated = false;
  bool timedOut = false, cancelled = false, killedByUs = false;
  double cpuSeconds = 0;
  std::int64_t wallMs = 0;
};

enum ChildStage : int { kStageCgroup = 1, kStageChdir, kStageExec };

struct ChildFailure {
  int stage;
  int error;
};

// Everything the child needs, prepared before fork: between fork and exec
// only async-signal-safe calls are allowed in a threaded process.
struct ChildPlan {
  const char* executable;
  char* const* argv;
  char* const* envp;
  const char* chdirTo;
  int stdinFd, stdoutFd, stderrFd, statusFd, errFd;
  const int* cgroupFds;
  std::size_t cgroupFdCount;
  rlimit cpu, data, nproc;
  bool setCpu, setData, setNproc, dieWithParent;
  bool controllingTty;  // stdin is a terminal's slave side: make it the session's terminal
  pid_t parentPid;
};

[[noreturn]] void childFail(const ChildPlan& p, int stage) {
  ChildFailure f{stage, errno};
  ssize_t ignored = ::write(p.errFd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void runChild(const ChildPlan& p) {
  ::setsid();  // own session and process group: killpg reaches the whole job
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored signals survive exec; cadre may ignore SIGPIPE, which would make
  // `yes | head` spin instead of ending.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);

  for (std::size_t i = 0; i < p.cgroupFdCount; ++i)
    if (::write(p.cgroupFds[i], "0", 1) != 1) childFail(p, kStageCgroup);

  rlimit noCore{0, 0};
  ::setrlimit(RLIMIT_CORE, &noCore);  // SIGXCPU dumps core by default; not into the workspace
  if (p.setCpu) ::setrlimit(RLIMIT_CPU, &p.cpu);
  if (p.setData) ::setrlimit(RLIMIT_DATA, &p.data);
  if (p.setNproc) ::setrlimit(RLIMIT_NPROC, &p.nproc);

  if (p.dieWithParent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != p.parentPid) ::_exit(127);
  }
  if (p.chdirTo && ::chdir(p.chdirTo) != 0) childFail(p, kStageChdir);

  ::dup2(p.stdinFd, 0);
  ::dup2(p.stdoutFd, 1);
  ::dup2(p.stderrFd, 2);
  // Best effort: bwrap's --new-session drops it again inside the sandbox,
  // where programs still see a terminal on 0..2 (isatty) but get no job control.
  if (p.controllingTty) ::ioctl(0, TIOCSCTTY, 0);
  int next = 3;
  if (p.statusFd >= 0) ::dup2(p.statusFd, next++);
  int errFd = next;
  ::dup2(p.errFd, errFd);
  ::fcntl(errFd, F_SETFD, FD_CLOEXEC);
  ChildPlan q = p;
  q.errFd = errFd;
  // Nothing of cadre's (sockets, files, other runs' pipes) reaches the command.
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, errFd + 1, ~0U, 0) != 0)
#endif
  {
    for (int fd = errFd + 1; fd < 65536; ++fd) ::close(fd);
  }
  ::execve(q.executable, q.argv, q.envp);
  childFail(q, kStageExec);
}

Expected<std::pair<UniqueFd, UniqueFd>> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return osError("pipe");
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// The child's ends move above the standard numbers, so that putting them in
// place as 0..3 in the child never overwrites one not yet placed.
void moveHigh(UniqueFd& fd) {
  int high = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
  if (high >= 0) fd.reset(high);
}

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::vector<char*> cStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// bwrap reports its child (the namespace's init) as {"child-pid": N} and
// the command's end as {"exit-code": N}.
std::optional<long> statusField(const std::string& status, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  std::size_t pos = status.find(needle);
  if (pos == std::string::npos) return std::nullopt;
  return std::strtol(status.c_str() + pos + needle.size(), nullptr, 10);
}

// The plan's rlimits (never above the current hard limits) and parent-death
// rule, for the child to apply after fork.
void setChildLimits(const LaunchPlan& plan, ChildPlan& child) {
  auto clampLimit = [](int resource, rlim_t want, rlimit& out) {
    rlimit cur{};
    ::getrlimit(resource, &cur);
    out.rlim_max = std::min(cur.rlim_max, want);
    out.rlim_cur = out.rlim_max;
  };
  if (plan.cpuSeconds > 0) {
    // SIGXCPU at the budget, SIGKILL a second later for a command that catches it.
    clampLimit(RLIMIT_CPU, static_cast<rlim_t>(plan.cpuSeconds) + 1, child.cpu);
    child.cpu.rlim_cur = std::min(child.cpu.rlim_max, static_cast<rlim_t>(plan.cpuSeconds));
    child.setCpu = true;
  }
  if (plan.dataBytes > 0) {
    clampLimit(RLIMIT_DATA, static_cast<rlim_t>(plan.dataBytes), child.data);
    child.setData = true;
  }
  if (plan.nproc > 0) {
    clampLimit(RLIMIT_NPROC, static_cast<rlim_t>(plan.nproc), child.nproc);
    child.setNproc = true;
  }
  child.dieWithParent = plan.dieWithParent;
  child.parentPid = ::getpid();
}

// Starts the plan, feeds stdin, collects output under the cap and enforces
// wall time and cancellation. On every way out the process group and the
// cgroup are killed, and the namespace's init (when bwrap reported it) is
// waited for, so no process of the run outlives this call.
Expected<LaunchOutcome> launch(LaunchPlan plan, const std::string& stdinData, const SandboxLimits& limits,
                               RunCgroups* cgroups, const std::atomic<bool>* cancel) {
  LaunchOutcome outcome;
  auto start = Clock::now();

  UniqueFd stdinChild, stdinParent;
  if (stdinData.empty()) {
    stdinChild.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdinChild) return osError("open /dev/null");
  } else {
    auto p = makePipe();
    if (!p) return p.error();
    stdinChild = std::move(p->first);
    stdinParent = std::move(p->second);
  }
  auto outPipe = makePipe();
  if (!outPipe) return outPipe.error();
  auto errPipe = makePipe();
  if (!errPipe) return errPipe.error();
  auto execPipe = makePipe();
  if (!execPipe) return execPipe.error();
  std::optional<std::pair<UniqueFd, UniqueFd>> statusPipe;
  if (plan.bwrapStatusFd) {
    auto p = makePipe();
    if (!p) return p.error();
    statusPipe = std::move(*p);
    moveHigh(statusPipe->second);
  }
  moveHigh(stdinChild);
  moveHigh(outPipe->second);
  moveHigh(errPipe->second);
  moveHigh(execPipe->second);

  std::vector<UniqueFd> cgroupFiles = cgroups ? cgroups->openProcsFiles() : std::vector<UniqueFd>{};
  std::vector<int> cgroupFds;
  for (const UniqueFd& fd : cgroupFiles) {
    if (!fd) return osError("open cgroup.procs");
    cgroupFds.push_back(fd.get());
  }

  std::vector<char*> argv = cStrings(plan.argv);
  std::vector<char*> envp = cStrings(plan.envp);
  ChildPlan child{};
  child.executable = plan.executable.c_str();
  child.argv = argv.data();
  child.envp = envp.data();
  child.chdirTo = plan.chdirTo.empty() ? nullptr : plan.chdirTo.c_str();
  child.stdinFd = stdinChild.get();
  child.stdoutFd = outPipe->second.get();
  child.stderrFd = errPipe->second.get();
  child.statusFd = statusPipe ? statusPipe->second.get() : -1;
  child.errFd = execPipe->second.get();
  child.cgroupFds = cgroupFds.data();
  child.cgroupFdCount = cgroupFds.size();
  setChildLimits(plan, child);

  SigpipeBlock sigpipeBlock;
  pid_t pid = ::fork();
  if (pid < 0) return osError("fork");
  if (pid == 0) runChild(child);

  stdinChild.reset();
  outPipe->second.reset();
  errPipe->second.reset();
  execPipe->second.reset();
  if (statusPipe) statusPipe->second.reset();
  cgroupFiles.clear();

  // The child either execs (the pipe closes: EOF) or reports why not.
  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(execPipe->first.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (failure.stage == kStageExec) {
      outcome.failedToExec = true;
      outcome.execErrno = failure.error;
      return outcome;
    }
    errno = failure.error;
    return osError(failure.stage == kStageCgroup ? "joining the run's cgroup" : "chdir to " + plan.chdirTo);
  }

  UniqueFd pidfd(pidfdOpen(pid));
  UniqueFd innerInit;  // bwrap's init in the new pid namespace
  UniqueFd& outFd = outPipe->first;
  UniqueFd& errFd = errPipe->first;
  UniqueFd statusFd = statusPipe ? std::move(statusPipe->first) : UniqueFd();
  setNonBlocking(outFd.get());
  setNonBlocking(errFd.get());
  if (statusFd) setNonBlocking(statusFd.get());
  if (stdinParent) setNonBlocking(stdinParent.get());
  std::size_t stdinOffset = 0;

  auto deadline = start + std::chrono::milliseconds(limits.wallTimeoutMs);
  bool exited = false;
  Clock::time_point drainDeadline{};
  bool killedTree = false;

  auto killTree = [&] {
    ::kill(-pid, SIGKILL);  // the group; pid is ours and not yet reaped, so its id cannot be reused
    if (cgroups) cgroups->killAll();
    killedTree = true;
  };

  auto readInto = [&](UniqueFd& fd, std::string& sink, bool& truncated, std::size_t cap) {
    char buf[kReadChunk];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        std::size_t room = sink.size() < cap ? cap - sink.size() : 0;
        std::size_t take = std::min(room, static_cast<std::size_t>(n));
        sink.append(buf, take);
        if (take < static_cast<std::size_t>(n)) truncated = true;
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) fd.reset();
      return;
    }
  };
  auto readStatus = [&] {
    bool ignored = false;
    readInto(statusFd, outcome.status, ignored, 64 * 1024);
    if (!innerInit) {
      if (auto child = statusField(outcome.status, "child-pid"); child && *child > 0)
        innerInit.reset(pidfdOpen(static_cast<pid_t>(*child)));
    }
  };

  while (true) {
    auto now = Clock::now();
    if (!exited) {
      siginfo_t info{};
      int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
      // ECHILD: someone set SIGCHLD to SIG_IGN and the kernel reaped it for us.
      if ((rc == 0 && info.si_pid == pid) || (rc < 0 && errno == ECHILD)) {
        exited = true;
        // Whatever the command left behind (`sleep 100 &`) goes with it.
        killTree();
        drainDeadline = now + std::chrono::milliseconds(kDrainAfterExitMs);
      }
    }
    if (!exited && !outcome.cancelled && cancel && cancel->load()) {
      outcome.cancelled = true;
      outcome.killedByUs = true;
      killTree();
    }
    if (!exited && !outcome.timedOut && !outcome.cancelled && now >= deadline) {
      outcome.timedOut = true;
      outcome.killedByUs = true;
      killTree();
    }
    if (exited && ((!outFd && !errFd) || now >= drainDeadline)) break;

    std::vector<pollfd> fds;
    auto add = [&](const UniqueFd& fd, short events) {
      if (fd) fds.push_back(pollfd{fd.get(), events, 0});
    };
    add(outFd, POLLIN);
    add(errFd, POLLIN);
    add(statusFd, POLLIN);
    add(stdinParent, POLLOUT);
    if (!exited) add(pidfd, POLLIN);
    int timeout = kPollTickMs;
    if (!pidfd) timeout = 10;  // no pidfd: exit is noticed by polling waitid
    auto until = exited ? drainDeadline : (outcome.timedOut || outcome.cancelled ? now + std::chrono::milliseconds(timeout) : deadline);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    timeout = static_cast<int>(std::clamp<long long>(left, 0, timeout));
    int rc = ::poll(fds.data(), fds.size(), timeout);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    for (const pollfd& p : fds) {
      if (!p.revents) continue;
      if (p.fd == outFd.get()) {
        readInto(outFd, outcome.out, outcome.outTruncated, limits.maxOutputBytes);
      } else if (p.fd == errFd.get()) {
        readInto(errFd, outcome.err, outcome.errTruncated, limits.maxOutputBytes);
      } else if (statusFd && p.fd == statusFd.get()) {
        readStatus();
      } else if (stdinParent && p.fd == stdinParent.get()) {
        if (p.revents & (POLLERR | POLLHUP)) {
          stdinParent.reset();  // the command closed its stdin; the rest is not wanted
          continue;
        }
        ssize_t n = ::write(stdinParent.get(), stdinData.data() + stdinOffset, stdinData.size() - stdinOffset);
        if (n > 0) stdinOffset += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdinOffset == stdinData.size()) stdinParent.reset();
      }
    }
  }
  if (statusFd) readStatus();
  // Only when poll itself failed: the loop kills on every other way out.
  if (!killedTree) killTree();

  rusage usage{};
  int status = 0;
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  outcome.waitStatus = status;
  outcome.cpuSeconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  // bwrap's init takes the whole namespace down when it dies; wait for that.
  waitPidfd(innerInit.get(), kReapWaitMs);
  outcome.wallMs = msSince(start);
  return outcome;
}

// --- building the sandbox -------------------------------------------------

std::vector<std::string> baseEnvironment(const SandboxSpec& spec, const std::string& cwd) {
  std::vector<std::pair<std::string, std::string>> env;
  if (spec.unsandboxed) {
    // The user opted out: their own toolchains and dotfiles are expected,
    // but still no variable beyond these (API keys stay with cadre).
    const char* path = std::getenv("PATH");
    const char* home = std::getenv("HOME");
    env.emplace_back("PATH", path && *path ? path : kSandboxPath);
    env.emplace_back("HOME", home && *home ? home : "/tmp");
  } else {
    env.emplace_back("PATH", kSandboxPath);
    // The fresh tmpfs: tools may write dotfiles and caches there, and they
    // vanish with the run instead of landing in the shadow workspace.
    env.emplace_back("HOME", "/tmp");
  }
  env.emplace_back("LANG", "C.UTF-8");
  env.emplace_back("LC_ALL", "C.UTF-8");
  env.emplace_back("TERM", "dumb");
  env.emplace_back("PWD", cwd);  // bwrap's --chdir sets it anyway; unsandboxed runs match
  for (const auto& [key, value] : spec.env) {
    const std::string& name = key;  // clang before 16 cannot capture a structured binding
    auto it = std::find_if(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; });
    if (it != env.end()) {
      it->second = value;
    } else {
      env.emplace_back(key, value);
    }
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

struct MountOp {
  std::string path;
  std::vector<std::string> args;
};

// Canonical, validated view of a spec: what to bind where, what to mask.
struct Layout {
  std::vector<std::string> writable, readOnly, masks;
  std::string cwd;
};

bool hasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

Expected<Layout> checkSpec(const SandboxSpec& spec) {
  auto bad = [](std::string m) { return makeError(ErrorCode::InvalidParams, "sandbox: " + std::move(m)); };
  if (spec.argv.empty() || spec.argv[0].empty()) return bad("argv is empty");
  for (const std::string& a : spec.argv)
    if (hasNul(a)) return bad("argv contains a NUL byte");
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || hasNul(key) || hasNul(value))
      return bad("bad environment variable name: '" + key + "'");
  }
  const SandboxLimits& l = spec.limits;
  if (l.wallTimeoutMs <= 0) return bad("limits.wallTimeoutMs must be positive");
  if (l.cpuSeconds <= 0) return bad("limits.cpuSeconds must be positive");
  if (l.memoryBytes < (1u << 20)) return bad("limits.memoryBytes must be at least 1 MiB");
  if (l.maxProcesses <= 0) return bad("limits.maxProcesses must be positive");

  std::string home;
  if (const char* h = std::getenv("HOME"); h && *h) home = realPath(h).value_or(h);

  Layout layout;
  auto canonicalBind = [&](const std::string& p, bool writable) -> Expected<std::string> {
    if (p.empty() || p[0] != '/' || hasNul(p)) return bad("bind path must be absolute: '" + p + "'");
    auto real = realPath(p);
    if (!real) return bad("bind path does not exist: " + p);
    if (*real == "/") return bad("the root directory cannot be bound");
    for (const char* sys : kNeverBound)
      if (isWithin(*real, sys)) return bad(*real + " cannot be bound (the sandbox has its own)");
    if (writable)
      for (const char* sys : kNeverWritable)
        if (isWithin(*real, sys)) return bad("system directory cannot be writable: " + *real);
    // Binding $HOME or above would show ~/.ssh, ~/.aws and every token file.
    if (!home.empty() && home != "/" && isWithin(home, *real))
      return bad(*real + " contains the user's home directory; bind the project instead");
    return *real;
  };
  for (const std::string& p : spec.writablePaths) {
    auto c = canonicalBind(p, true);
    if (!c) return c.error();
    layout.writable.push_back(*c);
  }
  for (const std::string& p : spec.readOnlyPaths) {
    auto c = canonicalBind(p, false);
    if (!c) return c.error();
    layout.readOnly.push_back(*c);
  }
  for (const std::string& p : spec.maskedPaths) {
    if (p.empty() || p[0] != '/' || hasNul(p)) return bad("masked path must be absolute: '" + p + "'");
    if (auto real = realPath(p)) layout.masks.push_back(*real);
  }

  std::string cwd = spec.cwd;
  if (cwd.empty()) cwd = layout.writable.empty() ? "/tmp" : layout.writable.front();
  if (cwd[0] != '/' || hasNul(cwd)) return bad("cwd must be absolute: '" + cwd + "'");
  if (spec.unsandboxed || cwd != "/tmp") {
    auto real = realPath(cwd);
    struct stat st {};
    if (!real || ::stat(real->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return bad("cwd is not a directory: " + cwd);
    cwd = *real;
  }
  if (!spec.unsandboxed) {
    bool inside = cwd == "/tmp";
    for (const auto* list : {&layout.writable, &layout.readOnly})
      for (const std::string& b : *list) inside = inside || isWithin(cwd, b);
    for (const char* sys : kSystemDirs) inside = inside || isWithin(cwd, sys);
    if (!inside) return bad("cwd " + cwd + " is not inside a path bound into the sandbox");
  }
  layout.cwd = cwd;
  return layout;
}

// A private directory holding one empty, read-only file that every masked
// file is bound to; removed with the run.
class MaskFile {
 public:
  MaskFile() = default;
  MaskFile(const MaskFile&) = delete;
  MaskFile& operator=(const MaskFile&) = delete;
  ~MaskFile() {
    if (!dir_.empty()) {
      ::unlink(file_.c_str());
      ::rmdir(dir_.c_str());
    }
  }
  Expected<std::string> path() {
    if (!file_.empty()) return file_;
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/cadre-mask-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return osError("creating the mask directory");
    dir_ = tmpl;
    std::string file = dir_ + "/empty";
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!fd) return osError("creating the mask file");
    file_ = file;
    return file_;
  }

 private:
  std::string dir_, file_;
};

void addSystemMounts(std::vector<MountOp>& ops) {
  for (const char* dir : kSystemDirs) {
    struct stat st {};
    if (::lstat(dir, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlink(dir, target, sizeof target - 1);
      if (n <= 0) continue;
      ops.push_back({dir, {"--symlink", std::string(target, static_cast<std::size_t>(n)), dir}});
    } else if (S_ISDIR(st.st_mode)) {
      ops.push_back({dir, {"--ro-bind", dir, dir}});
    }
  }
}

Expected<std::vector<std::string>> bwrapArguments(const SandboxSpec& spec, const Layout& layout,
                                                  const std::vector<std::string>& env, MaskFile& maskFile) {
  std::vector<std::string> args{"--unshare-all"};
  if (spec.network) args.push_back("--share-net");
  for (const char* a : {"--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"}) args.push_back(a);
  for (const std::string& kv : env) {
    std::size_t eq = kv.find('=');
    args.insert(args.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }

  // Parents are mounted before children: a sort by depth, stable so that a
  // path bound both read-only and writable ends up as listed last.
  std::vector<MountOp> ops;
  addSystemMounts(ops);
  ops.push_back({"/tmp", {"--tmpfs", "/tmp"}});
  for (const std::string& p : layout.readOnly) ops.push_back({p, {"--ro-bind", p, p}});
  for (const std::string& p : layout.writable) ops.push_back({p, {"--bind", p, p}});
  if (spec.network) {
    // resolv.conf is often a symlink into /run, which is not bound.
    if (auto r = realPath("/etc/resolv.conf"); r && !isWithin(*r, "/etc")) ops.push_back({*r, {"--ro-bind", *r, *r}});
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const MountOp& a, const MountOp& b) { return depthOf(a.path) < depthOf(b.path); });
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev"});
  for (const MountOp& op : ops) args.insert(args.end(), op.args.begin(), op.args.end());

  // Masks go last, over whatever bind holds them. Only what the sandbox can
  // see needs one; inside a masked directory nothing more is needed.
  std::vector<std::string> masks = layout.masks;
  for (const char* m : kSystemMasks)
    if (::access(m, F_OK) == 0) masks.emplace_back(m);
  if (DIR* d = ::opendir("/etc/ssh")) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("ssh_host_", 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, "_key") == 0)
        masks.push_back("/etc/ssh/" + name);
    }
    ::closedir(d);
  }
  std::sort(masks.begin(), masks.end());
  masks.erase(std::unique(masks.begin(), masks.end()), masks.end());
  std::vector<std::string> maskedDirs;
  for (const std::string& m : masks) {
    bool visible = false;
    for (const auto* list : {&layout.writable, &layout.readOnly})
      for (const std::string& b : *list) visible = visible || isWithin(m, b);
    for (const char* sys : kSystemDirs) visible = visible || isWithin(m, sys);
    if (!visible) continue;
    // Sorted, so a masked directory comes before anything inside it.
    if (std::any_of(maskedDirs.begin(), maskedDirs.end(), [&](const std::string& d) { return isWithin(m, d); }))
      continue;
    struct stat st {};
    if (::lstat(m.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      args.insert(args.end(), {"--tmpfs", m, "--remount-ro", m});
      maskedDirs.push_back(m);
    } else {
      auto empty = maskFile.path();
      if (!empty) return empty.error();
      args.insert(args.end(), {"--ro-bind", *empty, m});
    }
  }
  // Nothing outside the binds is writable: not even the empty root, where a
  // command could otherwise pretend to have written to $HOME.
  args.insert(args.end(), {"--remount-ro", "/", "--chdir", layout.cwd, "--json-status-fd", "3", "--"});
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  return args;
}

std::string findBwrap() {
  const char* path = std::getenv("PATH");
  std::string found = findExecutable("bwrap", path && *path ? path : kSandboxPath, "/");
  if (found.empty()) found = findExecutable("bwrap", "/usr/bin:/usr/local/bin", "/");
  return found;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// How many processes the real uid owns now: RLIMIT_NPROC counts them all,
// so the limit is set that far above the current count.
std::uint64_t processesOfUser(uid_t uid) {
  std::uint64_t count = 0;
  DIR* d = ::opendir("/proc");
  if (!d) return 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st {};
    if (::stat((std::string("/proc/") + e->d_name).c_str(), &st) == 0 && st.st_uid == uid) ++count;
  }
  ::closedir(d);
  return count;
}

// Process and memory limits: the run's cgroups when this machine lets us
// make them, else rlimits on the plan. Says which in the two strings.
void setProcessLimits(const SandboxSpec& spec, const CgroupSupport& cg, RunCgroups& cgroups, LaunchPlan& plan,
                      std::string& processLimit, std::string& memoryLimit) {
  cgroups.setup(cg, spec.limits.maxProcesses + (spec.unsandboxed ? 0 : kBwrapHelperProcesses),
                spec.limits.memoryBytes);
  if (cgroups.hasPids()) {
    processLimit = "cgroup";
  } else if (::getuid() != 0) {
    plan.nproc = processesOfUser(::getuid()) + static_cast<std::uint64_t>(spec.limits.maxProcesses) +
                 kBwrapHelperProcesses;
    processLimit = "rlimit";
  } else {
    processLimit = "none";
  }
  if (cgroups.hasMemory()) {
    memoryLimit = "cgroup";
  } else {
    // RLIMIT_AS would count address space V8, the JVM and Go reserve but
    // never touch (node wants tens of GiB); RLIMIT_DATA counts only what
    // becomes writable, which is close to what a process can really use.
    plan.dataBytes = spec.limits.memoryBytes;
    memoryLimit = "rlimit";
  }
}

}  // namespace

SandboxProbe probeSandboxAt(const std::string& bwrapPath) {
  SandboxProbe probe;
  const CgroupSupport& cg = cgroupSupport();
  probe.processLimit = processLimitKind(cg);
  probe.memoryLimit = memoryLimitKind(cg);
  probe.bwrapPath = bwrapPath.empty() ? findBwrap() : bwrapPath;
  if (probe.bwrapPath.empty() || !isExecutableFile(probe.bwrapPath)) {
    probe.message = kBwrapMissing;
    if (!bwrapPath.empty()) probe.message += " (looked for " + bwrapPath + ")";
    return probe;
  }
  // A trial run with the same namespaces and mounts a real run uses: bwrap
  // being installed does not mean this kernel or container lets it work.
  SandboxSpec trial;
  trial.argv = {"true"};
  Layout layout;
  layout.cwd = "/";
  MaskFile maskFile;
  auto args = bwrapArguments(trial, layout, baseEnvironment(trial, layout.cwd), maskFile);
  if (!args) {
    probe.message = args.error().message;
    return probe;
  }
  LaunchPlan plan;
  plan.executable = probe.bwrapPath;
  plan.argv = {probe.bwrapPath};
  plan.argv.insert(plan.argv.end(), args->begin(), args->end());
  plan.bwrapStatusFd = true;
  SandboxLimits limits;
  limits.wallTimeoutMs = kProbeTimeoutMs;
  limits.maxOutputBytes = 64 * 1024;
  auto outcome = launch(std::move(plan), "", limits, nullptr, nullptr);
  if (!outcome) {
    probe.message = "bubblewrap at " + probe.bwrapPath + " could not be started: " + outcome.error().message;
    return probe;
  }
  if (outcome->failedToExec) {
    probe.message = "bubblewrap at " + probe.bwrapPath + " could not be started: " + std::strerror(outcome->execErrno);
    return probe;
  }
  bool ran = WIFEXITED(outcome->waitStatus) && WEXITSTATUS(outcome->waitStatus) == 0 &&
             statusField(outcome->status, "exit-code").value_or(-1) == 0;
  if (!ran) {
    std::string why = trimmed(outcome->err);
    if (outcome->timedOut) why = "the trial run did not finish in time";
    probe.message = "bubblewrap at " + probe.bwrapPath + " cannot create a sandbox here: " +
                    (why.empty() ? "it failed without saying why" : why);
    return probe;
  }
  probe.available = true;
  probe.message = "sandbox available (" + probe.bwrapPath + "); processes limited by " +
                  (probe.processLimit == "cgroup" ? std::string("a pids cgroup")
                   : probe.processLimit == "rlimit" ? std::string("RLIMIT_NPROC")
                                                    : std::string("nothing (root without a writable pids cgroup)")) +
                  ", memory by " + (probe.memoryLimit == "cgroup" ? "a memory cgroup" : "RLIMIT_DATA per process");
  return probe;
}

SandboxProbe probeSandbox() {
  static const SandboxProbe probe = probeSandboxAt("");
  return probe;
}

Expected<SandboxResult> runSandboxed(const SandboxSpec& spec, const std::atomic<bool>* cancel) {
  auto layout = checkSpec(spec);
  if (!layout) return layout.error();

  SandboxResult result;
  result.sandboxed = !spec.unsandboxed;
  const CgroupSupport& cg = cgroupSupport();
  std::vector<std::string> env = baseEnvironment(spec, layout->cwd);

  LaunchPlan plan;
  plan.cpuSeconds = spec.limits.cpuSeconds;
  plan.envp = env;
  MaskFile maskFile;
  if (spec.unsandboxed) {
    std::string pathVar;
    for (const std::string& kv : env)
      if (kv.compare(0, 5, "PATH=") == 0) pathVar = kv.substr(5);
    plan.executable = findExecutable(spec.argv[0], pathVar, layout->cwd);
    if (plan.executable.empty()) {
      result.exitCode = 127;
      result.stderrData = spec.argv[0] + ": command not found\n";
      return result;
    }
    plan.argv = spec.argv;
    plan.chdirTo = layout->cwd;
    plan.dieWithParent = true;
  } else {
    std::string bwrap = spec.bwrapPath;
    if (bwrap.empty()) {
      SandboxProbe probe = probeSandbox();
      if (!probe.available) return makeError(ErrorCode::Unavailable, probe.message);
      bwrap = probe.bwrapPath;
    } else if (!isExecutableFile(bwrap)) {
      return makeError(ErrorCode::Unavailable, std::string(kBwrapMissing) + " (looked for " + bwrap + ")");
    }
    auto args = bwrapArguments(spec, *layout, env, maskFile);
    if (!args) return args.error();
    plan.executable = bwrap;
    plan.argv = {bwrap};
    plan.argv.insert(plan.argv.end(), args->begin(), args->end());
    plan.envp.clear();  // bwrap itself needs nothing; the command gets --setenv
    plan.bwrapStatusFd = true;
  }

  RunCgroups cgroups;
  setProcessLimits(spec, cg, cgroups, plan, result.processLimit, result.memoryLimit);

  auto outcome = launch(std::move(plan), spec.stdinData, spec.limits, &cgroups, cancel);
  if (!outcome) return outcome.error();
  if (outcome->failedToExec) {
    if (!spec.unsandboxed) {
      return makeError(ErrorCode::Unavailable, std::string(kBwrapMissing) + " (" + std::strerror(outcome->execErrno) + ")");
    }
    result.exitCode = outcome->execErrno == ENOENT ? 127 : 126;
    result.stderrData = spec.argv[0] + ": " + std::strerror(outcome->execErrno) + "\n";
    return result;
  }

  result.timedOut = outcome->timedOut;
  result.cancelled = outcome->cancelled;
  result.outputTruncated = outcome->outTruncated || outcome->errTruncated;
  result.wallMs = outcome->wallMs;
  int ws = outcome->waitStatus;
  if (spec.unsandboxed) {
    if (WIFEXITED(ws)) {
      result.exitCode = WEXITSTATUS(ws);
    } else if (WIFSIGNALED(ws)) {
      result.termSignal = WTERMSIG(ws);
      result.exitCode = 128 + result.termSignal;
    }
  } else if (auto code = statusField(outcome->status, "exit-code")) {
    // bwrap reports a command killed by signal N as 128 + N, like a shell.
    result.exitCode = static_cast<int>(*code);
    if (result.exitCode > 128 && result.exitCode < 128 + NSIG) result.termSignal = result.exitCode - 128;
  } else if (WIFSIGNALED(ws)) {
    // bwrap itself was killed (by us on timeout or cancel) before the command ended.
    result.termSignal = WTERMSIG(ws);
    result.exitCode = 128 + result.termSignal;
  } else if (!outcome->killedByUs) {
    // bwrap gave up before or instead of running the command.
    std::string err = trimmed(outcome->err);
    const std::string execPrefix = "bwrap: execvp ";
    if (err.compare(0, execPrefix.size(), execPrefix) == 0) {
      bool missing = err.find("No such file or directory") != std::string::npos;
      result.exitCode = missing ? 127 : 126;
      result.stderrData = spec.argv[0] + (missing ? ": command not found in the sandbox (PATH=" +
                                                        std::string(kSandboxPath) + " unless spec.env sets it)\n"
                                                  : ": cannot execute in the sandbox: " + err + "\n");
      return result;
    }
    return makeError(ErrorCode::Unavailable,
                     "bubblewrap could not create the sandbox: " + (err.empty() ? std::string("no reason given") : err));
  } else {
    result.exitCode = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  }
  result.stdoutData = std::move(outcome->out);
  result.stderrData = std::move(outcome->err);

  bool byOurKill = outcome->killedByUs;
  if (cgroups.oomKills() > 0) {
    result.limitHit = "memory";
  } else if (cgroups.forkRefusals() > 0) {
    result.limitHit = "processes";
  } else if (result.termSignal == SIGXCPU ||
             (result.termSignal == SIGKILL && !byOurKill && outcome->cpuSeconds >= spec.limits.cpuSeconds)) {
    result.limitHit = "cpu";
  } else if (result.timedOut) {
    result.limitHit = "time";
  } else if (result.outputTruncated) {
    result.limitHit = "output";
  }
  return result;
}

// --- long-lived processes ---------------------------------------------------

// The parent-death signal (bwrap's --die-with-parent, PR_SET_PDEATHSIG) fires
// when the *thread* that forked dies, not the process. A long-lived process
// is therefore forked from this one thread, which lives as long as cadre:
// the process dies with cadre, never with whichever worker started it.
class SpawnThread {
 public:
  static SpawnThread& instance() {
    static SpawnThread* s = new SpawnThread();  // never destroyed: its thread runs until exit
    return *s;
  }
  template <class R>
  R run(std::function<R()> job) {
    std::packaged_task<R()> task(std::move(job));
    auto result = task.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back([&task] { task(); });
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  SpawnThread() {
    std::thread([this] {
      std::unique_lock lock(mu_);
      while (true) {
        cv_.wait(lock, [this] { return !queue_.empty(); });
        auto job = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        job();
        lock.lock();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

struct SandboxedProcess::Impl {
  pid_t pid = -1;
  bool sandboxed = true;
  UniqueFd in, out, err, status;
  RunCgroups cgroups;
  MaskFile maskFile;  // the masks' empty file must outlive the mounts' setup; kept for the whole run
  std::mutex writeMu;  // one writer at a time; guards `in`
  std::mutex reapMu;   // guards reaped and exitCode
  bool reaped = false;
  int exitCode = -1;

  // With reapMu held. Reads bwrap's report of the command's exit.
  void recordExit(int waitStatus) {
    reaped = true;
    if (sandboxed && status) {
      setNonBlocking(status.get());
      std::string report;
      char buf[4096];
      ssize_t n;
      while ((n = ::read(status.get(), buf, sizeof buf)) > 0) report.append(buf, static_cast<std::size_t>(n));
      if (auto code = statusField(report, "exit-code")) {
        exitCode = static_cast<int>(*code);
        return;
      }
    }
    exitCode = WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : WIFSIGNALED(waitStatus) ? 128 + WTERMSIG(waitStatus) : -1;
  }
};

SandboxedProcess::SandboxedProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SandboxedProcess::~SandboxedProcess() {
  if (impl_) kill();
}

int SandboxedProcess::stdoutFd() const { return impl_->out.get(); }
int SandboxedProcess::stderrFd() const { return impl_->err.get(); }
bool SandboxedProcess::sandboxed() const { return impl_->sandboxed; }

Expected<void> SandboxedProcess::writeInput(std::string_view data, int timeoutMs) {
  std::lock_guard lock(impl_->writeMu);
  if (!impl_->in) return makeError(ErrorCode::IoError, "the process's input is closed");
  SigpipeBlock sigpipeBlock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(impl_->in.get(), data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      const int e = errno;
      impl_->in.reset();
      return makeError(ErrorCode::IoError, std::string("the process stopped reading its input: ") + std::strerror(e));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return makeError(ErrorCode::Timeout, "the process has not read its input for " + std::to_string(timeoutMs) + " ms");
    pollfd p{impl_->in.get(), POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left, kPollTickMs)));
  }
  return {};
}

void SandboxedProcess::closeInput() {
  std::lock_guard lock(impl_->writeMu);
  impl_->in.reset();
}

void SandboxedProcess::kill() {
  std::lock_guard lock(impl_->reapMu);
  if (impl_->reaped) return;
  // The group (what the command started); bwrap's init dies with its parent
  // and takes the pid namespace along; the cgroup catches whatever left both.
  ::kill(-impl_->pid, SIGKILL);
  ::kill(impl_->pid, SIGKILL);
  impl_->cgroups.killAll();
  int status = 0;
  while (::waitpid(impl_->pid, &status, 0) < 0 && errno == EINTR) {
  }
  impl_->recordExit(status);
}

std::optional<int> SandboxedProcess::exitStatus() {
  std::lock_guard lock(impl_->reapMu);
  if (impl_->reaped) return impl_->exitCode;
  int status = 0;
  pid_t r = ::waitpid(impl_->pid, &status, WNOHANG);
  if (r == 0 || (r < 0 && errno != ECHILD)) return std::nullopt;
  // Whatever the command left behind goes with it, as for runSandboxed.
  ::kill(-impl_->pid, SIGKILL);
  impl_->cgroups.killAll();
  impl_->recordExit(status);
  return impl_->exitCode;
}

namespace {
Expected<std::unique_ptr<SandboxedProcess>> spawnOnThisThread(const SandboxSpec& spec);
}  // namespace

Expected<std::unique_ptr<SandboxedProcess>> spawnSandboxed(const SandboxSpec& spec) {
  return SpawnThread::instance().run<Expected<std::unique_ptr<SandboxedProcess>>>([&spec] { return spawnOnThisThread(spec); });
}

namespace {

Expected<std::unique_ptr<SandboxedProcess>> spawnOnThisThread(const SandboxSpec& spec) {
  if (!spec.stdinData.empty())
    return makeError(ErrorCode::InvalidParams, "sandbox: a long-lived process takes its input through writeInput");
  SandboxSpec checked = spec;
  checked.limits.wallTimeoutMs = std::max(checked.limits.wallTimeoutMs, 1);
  checked.limits.cpuSeconds = std::max(checked.limits.cpuSeconds, 1);
  auto layout = checkSpec(checked);
  if (!layout) return layout.error();

  auto impl = std::make_unique<SandboxedProcess::Impl>();
  impl->sandboxed = !spec.unsandboxed;
  std::vector<std::string> env = baseEnvironment(spec, layout->cwd);
  LaunchPlan plan;
  plan.envp = env;
  if (spec.unsandboxed) {
    std::string pathVar;
    for (const std::string& kv : env)
      if (kv.compare(0, 5, "PATH=") == 0) pathVar = kv.substr(5);
    plan.executable = findExecutable(spec.argv[0], pathVar, layout->cwd);
    if (plan.executable.empty())
      return makeError(ErrorCode::InvalidParams, spec.argv[0] + ": command not found (PATH=" + pathVar + ")");
    plan.argv = spec.argv;
    plan.chdirTo = layout->cwd;
    plan.dieWithParent = true;  // forked on the SpawnThread: "parent" means cadre
  } else {
    std::string bwrap = spec.bwrapPath;
    if (bwrap.empty()) {
      SandboxProbe probe = probeSandbox();
      if (!probe.available) return makeError(ErrorCode::Unavailable, probe.message);
      bwrap = probe.bwrapPath;
    } else if (!isExecutableFile(bwrap)) {
      return makeError(ErrorCode::Unavailable, std::string(kBwrapMissing) + " (looked for " + bwrap + ")");
    }
    auto args = bwrapArguments(spec, *layout, env, impl->maskFile);
    if (!args) return args.error();
    plan.executable = bwrap;
    plan.argv = {bwrap};
    plan.argv.insert(plan.argv.end(), args->begin(), args->end());
    plan.envp.clear();
    plan.bwrapStatusFd = true;
  }
  std::string processLimit, memoryLimit;
  setProcessLimits(spec, cgroupSupport(), impl->cgroups, plan, processLimit, memoryLimit);

  // A terminal replaces the three pipes: the child gets the slave side on
  // 0..2, cadre keeps the master (reads output, writes input).
  UniqueFd ptyMaster, ptySlave;
  if (spec.pty) {
    ptyMaster.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!ptyMaster || ::grantpt(ptyMaster.get()) != 0 || ::unlockpt(ptyMaster.get()) != 0) return osError("posix_openpt");
    char name[128];
    if (::ptsname_r(ptyMaster.get(), name, sizeof name) != 0) return osError("ptsname");
    ptySlave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!ptySlave) return osError(std::string("open ") + name);
    winsize size{40, 120, 0, 0};
    ::ioctl(ptySlave.get(), TIOCSWINSZ, &size);
    moveHigh(ptySlave);
  }
  std::optional<std::pair<UniqueFd, UniqueFd>> inPipe, outPipe, errPipe;
  if (!spec.pty) {
    for (auto* p : {&inPipe, &outPipe, &errPipe}) {
      auto made = makePipe();
      if (!made) return made.error();
      p->emplace(std::move(*made));
    }
    moveHigh(inPipe->first);
    moveHigh(outPipe->second);
    moveHigh(errPipe->second);
  }
  auto execPipe = makePipe();
  if (!execPipe) return execPipe.error();
  auto statusPipe = makePipe();
  if (!statusPipe) return statusPipe.error();
  moveHigh(execPipe->second);
  moveHigh(statusPipe->second);

  std::vector<UniqueFd> cgroupFiles = impl->cgroups.openProcsFiles();
  std::vector<int> cgroupFds;
  for (const UniqueFd& fd : cgroupFiles) {
    if (!fd) return osError("open cgroup.procs");
    cgroupFds.push_back(fd.get());
  }
  std::vector<char*> argv = cStrings(plan.argv);
  std::vector<char*> envp = cStrings(plan.envp);
  ChildPlan child{};
  child.executable = plan.executable.c_str();
  child.argv = argv.data();
  child.envp = envp.data();
  child.chdirTo = plan.chdirTo.empty() ? nullptr : plan.chdirTo.c_str();
  child.stdinFd = spec.pty ? ptySlave.get() : inPipe->first.get();
  child.stdoutFd = spec.pty ? ptySlave.get() : outPipe->second.get();
  child.stderrFd = spec.pty ? ptySlave.get() : errPipe->second.get();
  child.controllingTty = spec.pty;
  child.statusFd = plan.bwrapStatusFd ? statusPipe->second.get() : -1;
  child.errFd = execPipe->second.get();
  child.cgroupFds = cgroupFds.data();
  child.cgroupFdCount = cgroupFds.size();
  setChildLimits(plan, child);

  pid_t pid = ::fork();
  if (pid < 0) return osError("fork");
  if (pid == 0) runChild(child);
  if (spec.pty) {
    ptySlave.reset();
  } else {
    inPipe->first.reset();
    outPipe->second.reset();
    errPipe->second.reset();
  }
  execPipe->second.reset();
  statusPipe->second.reset();
  cgroupFiles.clear();

  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(execPipe->first.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    errno = failure.error;
    if (failure.stage == kStageExec)
      return spec.unsandboxed ? osError("cannot execute " + plan.executable)
                              : makeError(ErrorCode::Unavailable, std::string(kBwrapMissing) + " (" + std::strerror(failure.error) + ")");
    return osError(failure.stage == kStageCgroup ? "joining the run's cgroup" : "chdir to " + plan.chdirTo);
  }
  impl->pid = pid;
  if (spec.pty) {
    // Input and output share the master (and so its O_NONBLOCK flag).
    impl->in.reset(::fcntl(ptyMaster.get(), F_DUPFD_CLOEXEC, 0));
    impl->out = std::move(ptyMaster);
  } else {
    impl->in = std::move(inPipe->second);
    impl->out = std::move(outPipe->first);
    impl->err = std::move(errPipe->first);
  }
  impl->status = std::move(statusPipe->first);
  setNonBlocking(impl->in.get());
  return std::make_unique<SandboxedProcess>(std::move(impl));
}

}  // namespace

}  // namespace cadre::security
