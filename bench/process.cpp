// posix_spawn-based child process for benchmarks; see process.hpp.
#include "bench/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace cadre::bench {

namespace {

constexpr const char* kHelperFlag = "--bench-measure-helper";
constexpr int kReportFd = 3;  // where the helper writes its Report

struct Report {
  struct rusage rusage;
  double wallSeconds;
};

double now() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

int exitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// The inherited environment with `extra` ("NAME=value") replacing or adding entries.
std::vector<std::string> mergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    const std::size_t nameLen = eq ? static_cast<std::size_t>(eq - *e) + 1 : std::strlen(*e);
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.compare(0, nameLen, *e, nameLen) == 0;
    if (!replaced) out.emplace_back(*e);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

bool readFully(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, bool keepStderr) : Child(argv, SpawnOptions{keepStderr, {}, false}) {}

Child::Child(const std::vector<std::string>& argv, const SpawnOptions& options) {
  int toChild[2], fromChild[2], report[2] = {-1, -1};
  if (::pipe2(toChild, O_CLOEXEC) != 0 || ::pipe2(fromChild, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (options.measure && ::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, toChild[0], 0);
  posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1);
  if (!options.keepStderr) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  if (options.measure) posix_spawn_file_actions_adddup2(&actions, report[1], kReportFd);
  std::vector<std::string> all;
  if (options.measure) all = {"/proc/self/exe", kHelperFlag};
  all.insert(all.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : all) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> envStrings;
  std::vector<char*> envp;
  if (!options.env.empty()) {
    envStrings = mergedEnvironment(options.env);
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  startedAt_ = now();
  const int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(toChild[0]);
  ::close(fromChild[1]);
  if (options.measure) ::close(report[1]);
  if (rc != 0) {
    ::close(toChild[1]);
    ::close(fromChild[0]);
    if (options.measure) ::close(report[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  in_ = toChild[1];
  out_ = fromChild[0];
  report_ = report[0];
}

Child::~Child() {
  closeStdin();
  if (out_ >= 0) ::close(out_);
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    wait();
  }
  if (report_ >= 0) ::close(report_);
}

void Child::write(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(in_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("write to child failed");
    done += static_cast<std::size_t>(n);
  }
}

std::string Child::readSome() {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
  }
}

std::string Child::readAll() {
  std::string all;
  for (std::string chunk = readSome(); !chunk.empty(); chunk = readSome()) all += chunk;
  return all;
}

void Child::closeStdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

int Child::wait(Usage* usage) {
  if (pid_ <= 0) return -1;
  int status = 0;
  struct rusage own {};
  while (::wait4(pid_, &status, 0, &own) < 0 && errno == EINTR) {
  }
  const double ended = now();
  pid_ = -1;
  int code = exitCode(status);
  if (report_ >= 0) {
    Report r{};
    const bool reported = readFully(report_, &r, sizeof r);
    ::close(report_);
    report_ = -1;
    if (!reported && code == 0) code = 127;  // the helper failed before it could measure
    if (usage) *usage = {r.rusage, r.wallSeconds};
  } else if (usage) {
    *usage = {own, ended - startedAt_};
  }
  return code;
}

std::optional<int> runMeasureHelper(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], kHelperFlag) != 0) return std::nullopt;
  ::fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
  const double started = now();
  // fork, not posix_spawn: the command must not outlive the helper, which is
  // what the parent kills; PR_SET_PDEATHSIG needs code between fork and exec.
  const pid_t helper = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != helper) ::_exit(127);
    ::execvp(argv[2], argv + 2);
    ::_exit(127);
  }
  int status = 0;
  Report r{};
  while (::wait4(pid, &status, 0, &r.rusage) < 0 && errno == EINTR) {
  }
  r.wallSeconds = now() - started;
  const char* p = reinterpret_cast<const char*>(&r);
  for (std::size_t left = sizeof r; left > 0;) {
    ssize_t n = ::write(kReportFd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return exitCode(status);
}

}  // namespace cadre::bench
