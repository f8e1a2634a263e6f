// Builds the project index for a CLI command: cache in the state directory,
// progress bar on the terminal. Shared by index, map and check.
#pragma once

#include <string>

#include "server/analysis/project_index.hpp"

namespace cadre::cli {

Expected<analysis::ProjectIndex> loadIndex(const std::string& dir, bool useCache = true);

// For a command that ends the process once it is done with the index: at the
// end of the scope the index moves to the heap and is left to the OS instead
// of being freed string by string (a fifth of a warm `cadre index` on the
// Python stdlib, ~0.3 s of `cadre map` on /usr/include). It stays reachable,
// so leak checkers stay quiet.
class KeepIndexUntilExit {
 public:
  explicit KeepIndexUntilExit(Expected<analysis::ProjectIndex>& index) : index_(index) {}
  ~KeepIndexUntilExit();
  KeepIndexUntilExit(const KeepIndexUntilExit&) = delete;
  KeepIndexUntilExit& operator=(const KeepIndexUntilExit&) = delete;

 private:
  Expected<analysis::ProjectIndex>& index_;
};

}  // namespace cadre::cli
