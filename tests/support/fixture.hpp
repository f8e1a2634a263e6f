// Multi-file fixtures and snapshots for data-driven tests (rust-analyzer's
// style). One text holds several files, each opened by a `//- path` line:
//     //- pkg/util.py
//     def helper(): ...
//     //- main.py
//     from pkg.util import helper
// Snapshots are compared as text; CADRE_UPDATE_SNAPSHOTS=1 rewrites them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace cadre::testing {

struct FixtureFile {
  std::string path;
  std::string text;
};

inline std::vector<FixtureFile> parseFixture(const std::string& text) {
  std::vector<FixtureFile> files;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("//- ", 0) == 0) {
      files.push_back({line.substr(4), {}});
    } else if (!files.empty()) {
      files.back().text += line + "\n";
    }
  }
  return files;
}

inline std::string readFileText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// A temporary directory holding the fixture's files; removed on destruction.
class FixtureDir {
 public:
  explicit FixtureDir(const std::vector<FixtureFile>& files) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() / ("cadre-fixture-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
    for (const auto& f : files) {
      std::filesystem::create_directories((path_ / f.path).parent_path());
      std::ofstream(path_ / f.path, std::ios::binary) << f.text;
    }
  }
  ~FixtureDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Compares `actual` with the snapshot file; with CADRE_UPDATE_SNAPSHOTS=1
// writes it instead. Returns the expected text (for the test's CHECK).
inline std::string snapshot(const std::filesystem::path& file, const std::string& actual) {
  if (const char* update = std::getenv("CADRE_UPDATE_SNAPSHOTS"); update && std::string(update) == "1") {
    std::ofstream(file, std::ios::binary) << actual;
    return actual;
  }
  return std::filesystem::exists(file) ? readFileText(file) : std::string("<missing snapshot ") + file.string() + ">";
}

}  // namespace cadre::testing
