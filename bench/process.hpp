// A child process on pipes, for benchmarks that talk to cadre or a reference
// tool through stdin/stdout, or that time one run of it and read its peak
// memory and CPU time.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cadre::bench {

struct SpawnOptions {
  bool keepStderr = false;  // otherwise stderr goes to /dev/null
  // "NAME=value" entries that replace or add to the inherited environment.
  std::vector<std::string> env;
  // Start argv through a small helper (this executable re-run, see
  // runMeasureHelper) so that wait()'s usage is argv's own. Linux charges a
  // process, in ru_maxrss, the peak RSS of the address space it exec'd from:
  // spawned straight from a benchmark that has parsed a corpus, a 7 MiB tool
  // reads as the benchmark's size. The helper's own peak (a few MiB) remains
  // the resolution.
  bool measure = false;
};

struct Usage {
  struct rusage rusage {};  // ru_maxrss: peak RSS in KiB
  double wallSeconds = 0;   // from spawn to exit (timed by the helper when measured)
};

class Child {
 public:
  // argv[0] is looked up on PATH.
  Child(const std::vector<std::string>& argv, const SpawnOptions& options);
  explicit Child(const std::vector<std::string>& argv, bool keepStderr = false);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void write(const std::string& bytes);
  // Reads what is available (blocking until at least one byte); "" on EOF.
  std::string readSome();
  // Reads until the child closes its stdout.
  std::string readAll();
  void closeStdin();
  // The exit code (128 + signal when killed), and with `usage` what it used.
  int wait(Usage* usage = nullptr);

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int report_ = -1;  // the measuring helper's report, when measured
  double startedAt_ = 0;
};

// A benchmark whose children use SpawnOptions::measure calls this first in
// main(): in the helper it runs the command and returns its exit code;
// otherwise it returns nothing and main goes on.
std::optional<int> runMeasureHelper(int argc, char** argv);

}  // namespace cadre::bench
