// File discovery on a real directory tree: what is listed (sorted, with
// language, size and mtime as stat has them), what .gitignore files and
// .git/info/exclude keep out, that symlinks are never followed, and the
// limits (size, count, the caller's deny-list with link counts).
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "server/analysis/discovery.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> paths(const Discovery& d) {
  std::vector<std::string> out;
  for (const auto& f : d.files) out.push_back(f.path);
  return out;
}

testing::FixtureDir project() {
  return testing::FixtureDir(testing::parseFixture(
      "//- .gitignore\n"
      "build/\n"
      "*.gen.py\n"
      "//- .git/info/exclude\n"
      "local_only.py\n"
      "//- .git/config.py\n"
      "x = 1\n"
      "//- main.py\n"
      "import lib.util\n"
      "//- local_only.py\n"
      "y = 2\n"
      "//- schema.gen.py\n"
      "z = 3\n"
      "//- build/out.py\n"
      "w = 4\n"
      "//- lib/util.py\n"
      "def f(): pass\n"
      "//- lib/.gitignore\n"
      "scratch.ts\n"
      "!keep.gen.py\n"
      "//- lib/scratch.ts\n"
      "let a = 1;\n"
      "//- lib/keep.gen.py\n"
      "k = 5\n"
      "//- lib/index.ts\n"
      "export const b = 2;\n"
      "//- web/app.js\n"
      "console.log(1);\n"
      "//- notes.txt\n"
      "not code\n"
      "//- .hidden/tool.py\n"
      "h = 6\n"));
}

}  // namespace

TEST_CASE("discovery lists the project's source files in path order, minus what git ignores") {
  auto dir = project();
  const Discovery d = discoverFiles(dir.path());
  // .git is never walked; build/ and *.gen.py by the root .gitignore,
  // local_only.py by .git/info/exclude, lib/scratch.ts by lib/.gitignore,
  // which re-includes lib/keep.gen.py; notes.txt has no grammar.
  CHECK(paths(d) == std::vector<std::string>{".hidden/tool.py", "lib/index.ts", "lib/keep.gen.py", "lib/util.py", "main.py", "web/app.js"});
  CHECK_FALSE(d.truncated);
  CHECK(d.skipped.empty());
  std::map<std::string, std::string> languages;
  for (const auto& f : d.files) languages[f.path] = f.language;
  CHECK(languages["lib/index.ts"] == "typescript");
  CHECK(languages["web/app.js"] == "javascript");
  CHECK(languages["main.py"] == "python");
  for (const auto& f : d.files) {
    struct stat st {};
    REQUIRE(::stat((dir.path() / f.path).c_str(), &st) == 0);
    CHECK(f.size == static_cast<std::uint64_t>(st.st_size));
    CHECK(f.mtimeNs == static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  }
}

TEST_CASE("discovery never follows a symlink, but a root reached through one is walked") {
  auto dir = project();
  const fs::path outside = dir.path().parent_path() / ("cadre-discovery-outside-" + std::to_string(::getpid()));
  fs::create_directories(outside);
  std::ofstream(outside / "secret.py") << "token = 'x'\n";
  fs::create_directory_symlink(outside, dir.path() / "linked_dir");
  fs::create_symlink(outside / "secret.py", dir.path() / "linked_file.py");
  fs::create_symlink(dir.path() / "main.py", dir.path() / "alias.py");
  const Discovery d = discoverFiles(dir.path());
  for (const auto& p : paths(d)) {
    CHECK(p.find("linked") == std::string::npos);
    CHECK(p != "alias.py");
  }
  const fs::path viaLink = outside / "project_link";
  fs::create_directory_symlink(dir.path(), viaLink);
  CHECK(paths(discoverFiles(viaLink)) == paths(d));
  fs::remove_all(outside);
}

TEST_CASE("discovery's limits: size, count, and the caller's deny-list") {
  auto dir = project();
  SECTION("a file over the size limit is reported as skipped, with the reason") {
    std::ofstream(dir.path() / "big.py") << std::string(4096, '#') << "\n";
    DiscoveryLimits limits;
    limits.maxFileBytes = 1024;
    const Discovery d = discoverFiles(dir.path(), limits);
    REQUIRE(d.skipped.size() == 1);
    CHECK(d.skipped[0].path == "big.py");
    CHECK(d.skipped[0].reason == "larger than 1024 bytes");
    for (const auto& p : paths(d)) CHECK(p != "big.py");
  }
  SECTION("the file count stops the walk and says so") {
    DiscoveryLimits limits;
    limits.maxFiles = 2;
    const Discovery d = discoverFiles(dir.path(), limits);
    CHECK(d.truncated);
    CHECK(d.files.size() == 2);
  }
  SECTION("the deny-list sees every directory before its walk and every file with its link count") {
    fs::create_hard_link(dir.path() / "main.py", dir.path() / "lib" / "main_again.py");
    std::vector<std::string> dirs;
    std::map<std::string, unsigned> links;
    DiscoveryLimits limits;
    limits.exclude = [&](std::string_view path, bool directory, unsigned n) {
      if (directory) dirs.emplace_back(path);
      else links[std::string(path)] = n;
      return path == "web" || n > 1;
    };
    const Discovery d = discoverFiles(dir.path(), limits);
    CHECK(dirs == std::vector<std::string>{".hidden", "lib", "web"});
    CHECK(links["main.py"] == 2);
    CHECK(links["lib/main_again.py"] == 2);
    CHECK(links["lib/util.py"] == 1);
    CHECK(paths(d) == std::vector<std::string>{".hidden/tool.py", "lib/index.ts", "lib/keep.gen.py", "lib/util.py"});
  }
}

TEST_CASE("a tree nested deeper than the process may open is reported, not cut short silently") {
  testing::FixtureDir dir(testing::parseFixture("//- top.py\nx = 1\n"));
  fs::path deep = dir.path();
  for (int i = 0; i < 40; ++i) deep /= "d" + std::to_string(i);
  fs::create_directories(deep);
  std::ofstream(deep / "bottom.py") << "y = 2\n";
  REQUIRE(discoverFiles(dir.path()).files.size() == 2);
  // Room for what is open now and about a dozen directories more.
  std::size_t open = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) (void)e, ++open;
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = open + 12;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  const Discovery d = discoverFiles(dir.path());
  ::setrlimit(RLIMIT_NOFILE, &saved);
  CHECK(paths(d) == std::vector<std::string>{"top.py"});
  REQUIRE(d.skipped.size() == 1);
  CHECK(d.skipped[0].path.rfind("d0/d1/", 0) == 0);
  CHECK(d.skipped[0].reason == "not walked: too many open files (nested too deep)");
}
