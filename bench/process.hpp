// A child process on pipes, for benchmarks that talk to cadre or a reference
// tool through stdin/stdout.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cadre::bench {

class Child {
 public:
  // argv[0] is looked up on PATH. stderr goes to /dev/null unless `keepStderr`.
  explicit Child(const std::vector<std::string>& argv, bool keepStderr = false);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void write(const std::string& bytes);
  // Reads what is available (blocking until at least one byte); "" on EOF.
  std::string readSome();
  void closeStdin();
  int wait();

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
};

}  // namespace cadre::bench
