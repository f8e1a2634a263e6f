// Helpers the benchmarks share: a temporary directory that cleans up after
// itself. (Reading files: support/files.hpp.)
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace cadre::bench {

// A directory under $TMPDIR, removed with everything in it when done.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/cadre-bench-XXXXXX";
    if (!::mkdtemp(templ.data())) {
      std::fprintf(stderr, "bench: cannot create a temporary directory\n");
      std::exit(1);
    }
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace cadre::bench
