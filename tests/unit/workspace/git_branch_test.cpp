// Committing an applied change to a new branch of the user's repository:
// the branch holds exactly the change on top of HEAD; HEAD, the index and
// the working tree are untouched (checked with the git CLI).
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "server/workspace/git_branch.hpp"
#include "support/files.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::workspace;

namespace {

std::string sh(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  std::array<char, 4096> buf;
  while (p && std::fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  return out;
}

std::string slurp(const fs::path& p) {
  std::string s;
  readWholeFile(p, s);
  return s;
}

}  // namespace

TEST_CASE("git branch: the applied change on a new branch, nothing else touched", "[git]") {
  char tmpl[] = "/tmp/cadre-branch-XXXXXX";
  const fs::path dir = fs::canonical(::mkdtemp(tmpl));
  const std::string git = "cd " + dir.string() +
                          " && GIT_AUTHOR_NAME=u GIT_AUTHOR_EMAIL=u@x GIT_COMMITTER_NAME=u GIT_COMMITTER_EMAIL=u@x HOME=" +
                          dir.string() + " git ";
  std::ofstream(dir / "a.py") << "a = 1\n";
  std::ofstream(dir / "b.py") << "b = 1\n";
  std::ofstream(dir / "keep.txt") << "keep\n";
  sh(git + "init -q && " + git + "add -A && " + git + "commit -qm base");
  const std::string head = sh(git + "rev-parse HEAD");
  // The apply changed a.py, deleted b.py and created sub/c.py; the user also
  // has an unrelated uncommitted edit in keep.txt.
  std::ofstream(dir / "a.py") << "a = 2\n";
  fs::remove(dir / "b.py");
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub/c.py") << "c = 3\n";
  ::chmod((dir / "sub/c.py").c_str(), 0755);
  std::ofstream(dir / "keep.txt") << "user's own edit\n";
  const std::string status = sh(git + "status --porcelain");
  const std::string index = slurp(dir / ".git/index");

  auto r = commitToNewBranch(dir, "cadre/task-1", "cadre: task 1\n\nChanged by cadre.", {dir / "a.py", dir / "b.py", dir / "sub/c.py"});
  if (!r) FAIL(r.error().message);
  CHECK(r->branch == "cadre/task-1");
  CHECK(r->base + "\n" == head);
  CHECK(sh(git + "rev-parse HEAD") == head);
  CHECK(slurp(dir / ".git/index") == index);
  CHECK(sh(git + "status --porcelain") == status);
  CHECK(sh(git + "diff --name-status HEAD cadre/task-1") == "M\ta.py\nD\tb.py\nA\tsub/c.py\n");
  CHECK(sh(git + "show cadre/task-1:a.py") == "a = 2\n");
  CHECK(sh(git + "ls-tree cadre/task-1 sub/c.py").rfind("100755", 0) == 0);
  CHECK(sh(git + "log -1 --format=%s cadre/task-1") == "cadre: task 1\n");
  CHECK(sh(git + "fsck --no-progress 2>&1").find("error") == std::string::npos);

  auto again = commitToNewBranch(dir, "cadre/task-1", "x", {dir / "a.py"});
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("already exists") != std::string::npos);
  CHECK_FALSE(commitToNewBranch(dir, "bad..name", "x", {dir / "a.py"}));
  CHECK_FALSE(commitToNewBranch(dir, "ok", "x", {"/etc/passwd"}));
  CHECK_FALSE(commitToNewBranch(dir, "ok2", "x", {dir / "keep.txt.missing"}));
  std::error_code ec;
  fs::remove_all(dir, ec);
}
