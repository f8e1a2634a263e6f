// The one way cadre starts a process for an agent: bubblewrap around it (a
// read-only system, only the paths the caller binds, deny-listed files masked,
// no network, a clean environment) and limits on time, CPU, memory, processes
// and output, with the whole process tree gone when the call returns.
// DESIGN.md: no sandbox available → refuse, unless the user opts out.
//
// Thread safety: every function may be called from any thread, and several
// runs may proceed at once. runSandboxed blocks its caller until the run and
// every process it started are gone; it reaps only the pid it forked, so no
// other code in cadre may wait for "any child" (waitpid(-1)).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/expected.hpp"

namespace cadre::security {

struct SandboxLimits {
  int wallTimeoutMs = 120000;  // whole run; then the process tree is killed
  int cpuSeconds = 120;        // RLIMIT_CPU, per process: SIGXCPU, then SIGKILL a second later
  std::uint64_t memoryBytes = 2ull << 30;  // memory cgroup for the whole run, else RLIMIT_DATA per process
  int maxProcesses = 256;                  // pids cgroup for the whole run (fork-bomb guard), else RLIMIT_NPROC
  // Per stream. Beyond it output is read and dropped (the process is not
  // stopped and never blocks on a full pipe) and outputTruncated is set.
  std::size_t maxOutputBytes = 1 << 20;
};

struct SandboxSpec {
  std::vector<std::string> argv;  // argv[0] looked up on the sandbox PATH
  // Absolute, inside a bound path (writable, read-only, a system directory
  // or /tmp). Empty: the first writable path, else /tmp.
  std::string cwd;
  std::vector<std::string> writablePaths;  // bound read-write (shadow workspace, scratch dir)
  std::vector<std::string> readOnlyPaths;  // extra read-only binds (e.g. the project)
  // Deny-listed files and directories (PathPolicy::maskedPaths): a file is
  // hidden behind an empty read-only file, a directory behind an empty
  // read-only tmpfs, even when it lies under a writable or read-only bind.
  // Symlinks are resolved first; paths that do not exist are skipped.
  std::vector<std::string> maskedPaths;
  bool network = false;  // no network unless an approval granted it
  // Added to the clean base environment (PATH, HOME, LANG, LC_ALL, TERM, PWD),
  // replacing a base variable of the same name.
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdinData;  // written to the command's stdin, then EOF
  SandboxLimits limits;
  // The user opted out in config (security.sandbox = "off"): same limits and
  // clean environment, no bwrap, no masking; the result says sandboxed=false.
  bool unsandboxed = false;
  // Empty: the bwrap probeSandbox() found. Set by tests and by a configured
  // path; such a run skips the cached probe.
  std::string bwrapPath;
  // spawnSandboxed only: stdin, stdout and stderr are one pseudo-terminal
  // (120x40) instead of pipes, for programs that act differently on a
  // terminal (REPLs, test watchers, dev servers' colour and line buffering).
  // stdoutFd() is then the terminal's master side and stderrFd() is -1.
  bool pty = false;
};

struct SandboxResult {
  int exitCode = -1;   // 128 + signal when the command died of a signal (the shell's convention)
  int termSignal = 0;  // the signal, or 0
  bool timedOut = false, cancelled = false, outputTruncated = false, sandboxed = true;
  // The limit that ended or marred the run, most telling first: "memory"
  // (OOM kill in the memory cgroup), "processes" (the pids cgroup refused a
  // fork), "cpu" (SIGXCPU, or SIGKILL after the CPU budget), "time",
  // "output", or "".
  std::string limitHit;
  std::string stdoutData, stderrData;
  std::int64_t wallMs = 0;
  // How the limits were enforced on this run: "cgroup", "rlimit" or "none".
  std::string processLimit, memoryLimit;
};

struct SandboxProbe {
  bool available = false;  // bwrap found and a trial sandbox ran here
  std::string bwrapPath;
  std::string message;  // why not, or what works and how limits are enforced
  // How runs on this machine enforce maxProcesses / memoryBytes: "cgroup",
  // "rlimit" or "none" (then the limit is not enforced; docs/security.md).
  std::string processLimit, memoryLimit;
};

// bwrap on PATH (else /usr/bin, /usr/local/bin) and a trial run of it
// succeeds here. Computed once per process; later calls return the copy.
SandboxProbe probeSandbox();
// The same check, uncached, of a given bwrap (empty: look it up on PATH).
SandboxProbe probeSandboxAt(const std::string& bwrapPath);

// Runs spec.argv and returns once it and every process it started are gone.
// A command that fails, is killed or hits a limit is a result, not an error.
// Errors: InvalidParams for a bad spec; Unavailable when bwrap is missing or
// cannot build the sandbox (with bwrap's own message); IoError when the OS
// refuses pipes, fork or the cgroup. `cancel` is polled every ≤ 50 ms.
Expected<SandboxResult> runSandboxed(const SandboxSpec& spec, const std::atomic<bool>* cancel = nullptr);

// A long-lived process in the same sandbox (MCP servers): its stdin, stdout
// and stderr are pipes the owner reads and writes while it runs. It has no
// wall-clock or CPU limit — it lives as long as the session that started it —
// but the memory and process limits hold, and its environment is the same
// clean one. Destroying it (or kill()) takes the whole process tree down.
//
// Thread safety: writeInput, kill and exitStatus may be called from different
// threads; one thread reads stdout and one stderr (the fds are the caller's
// to poll and read, never to close).
class SandboxedProcess {
 public:
  struct Impl;
  explicit SandboxedProcess(std::unique_ptr<Impl> impl);
  ~SandboxedProcess();
  SandboxedProcess(const SandboxedProcess&) = delete;
  SandboxedProcess& operator=(const SandboxedProcess&) = delete;

  int stdoutFd() const;
  int stderrFd() const;
  bool sandboxed() const;
  // Writes all of `data` to the process's stdin, waiting at most `timeoutMs`
  // for it to read: Timeout when it stopped reading, IoError once it closed
  // its stdin or exited. Never raises SIGPIPE.
  Expected<void> writeInput(std::string_view data, int timeoutMs);
  void closeInput();
  // Kills the process tree (process group, cgroup, pid namespace) and reaps it.
  void kill();
  // Non-blocking: the exit code (128 + signal when killed) once the process
  // has ended, nullopt while it runs. Reaps it.
  std::optional<int> exitStatus();

 private:
  std::unique_ptr<Impl> impl_;
};

// Starts spec.argv as a SandboxedProcess. spec.limits.wallTimeoutMs and
// cpuSeconds are ignored (see above); stdinData must be empty. Errors as for
// runSandboxed; unsandboxed, a command not found on PATH is InvalidParams
// (sandboxed, bwrap looks it up inside: the process exits 127 at once with
// bwrap's message on its stderr).
Expected<std::unique_ptr<SandboxedProcess>> spawnSandboxed(const SandboxSpec& spec);

}  // namespace cadre::security
