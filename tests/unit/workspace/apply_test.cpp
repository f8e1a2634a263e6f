// Landing changes on real files: atomic per file and per transaction, modes
// kept, user edits merged or refused, and a SIGKILL at any moment leaves
// every file all old or all new after recovery.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "server/workspace/apply.hpp"
#include "support/files.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::workspace;

namespace {

struct ApplyTree {
  fs::path dir;
  ApplyTree() {
    char tmpl[] = "/tmp/cadre-apply-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(dir / "proj");
    fs::create_directories(dir / "journal");
  }
  ~ApplyTree() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path p(const std::string& rel) const { return dir / "proj" / rel; }
  void put(const std::string& rel, const std::string& text) { std::ofstream(p(rel)) << text; }
  std::string get(const std::string& rel) const {
    std::string s;
    readWholeFile(p(rel), s);
    return s;
  }
  ApplyOptions options(int pause = 0) const { return {dir / "journal", pause}; }
};

std::string oldText(int i) { return "old content of file " + std::to_string(i) + "\n"; }
std::string newText(int i) { return "NEW content of file " + std::to_string(i) + "\nwith a second line\n"; }

}  // namespace

TEST_CASE("apply: writes, creates, deletes; keeps modes; leaves no temp behind", "[apply]") {
  ApplyTree t;
  t.put("run.sh", "echo old\n");
  ::chmod(t.p("run.sh").c_str(), 0755);
  t.put("gone.txt", "bye\n");
  std::vector<ApplyFile> files = {
      {t.p("run.sh"), "echo old\n", "echo new\n", 0644},
      {t.p("gone.txt"), "bye\n", std::nullopt, 0644},
      {t.p("sub/new.txt"), std::nullopt, "hello\n", 0640},
  };
  auto r = applyAtomically(files, t.options());
  REQUIRE(r);
  CHECK(t.get("run.sh") == "echo new\n");
  struct stat st {};
  ::stat(t.p("run.sh").c_str(), &st);
  CHECK((st.st_mode & 0777) == 0755);
  CHECK_FALSE(fs::exists(t.p("gone.txt")));
  CHECK(t.get("sub/new.txt") == "hello\n");
  CHECK(r->written.size() == 2);
  CHECK(r->deleted.size() == 1);
  std::size_t entries = 0;
  for (auto& e : fs::recursive_directory_iterator(t.dir)) entries += e.path().filename().string().find(".cadre-") == 0;
  CHECK(entries == 0);
  CHECK(fs::is_empty(t.dir / "journal"));
}

TEST_CASE("apply: a user edit since the fork is merged, or refuses the whole apply", "[apply]") {
  ApplyTree t;
  const std::string base = "a\nb\nc\nd\ne\nf\ng\n";
  t.put("x.txt", "a\nb\nc\nd\ne\nf\nUSER\n");  // the user changed the last line meanwhile
  t.put("y.txt", "1\n");
  auto r = applyAtomically({{t.p("x.txt"), base, "TASK\nb\nc\nd\ne\nf\ng\n", 0644}, {t.p("y.txt"), "1\n", "2\n", 0644}},
                           t.options());
  REQUIRE(r);
  CHECK(t.get("x.txt") == "TASK\nb\nc\nd\ne\nf\nUSER\n");
  CHECK(r->merged.size() == 1);
  // Overlapping: nothing of the batch lands, and the message names the file.
  t.put("x.txt", "USER2\nb\nc\nd\ne\nf\nUSER\n");
  auto c = applyAtomically({{t.p("y.txt"), "2\n", "3\n", 0644},
                            {t.p("x.txt"), "TASK\nb\nc\nd\ne\nf\nUSER\n", "TASK2\nb\nc\nd\ne\nf\nUSER\n", 0644}},
                           t.options());
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("x.txt: changed on disk since the task started, and the changes overlap") != std::string::npos);
  CHECK(t.get("y.txt") == "2\n");
  CHECK(t.get("x.txt") == "USER2\nb\nc\nd\ne\nf\nUSER\n");
}

TEST_CASE("apply: SIGKILL mid-apply, then recovery: every file all old or all new", "[apply]") {
  constexpr int kFiles = 8;
  // Kill at many moments: before the journal says prepared, between renames,
  // after the last one.
  for (int killAfterMs : {1, 5, 20, 60, 110, 160, 260, 420}) {
    ApplyTree t;
    std::vector<ApplyFile> files;
    for (int i = 0; i < kFiles; ++i) {
      t.put("f" + std::to_string(i) + ".txt", oldText(i));
      files.push_back({t.p("f" + std::to_string(i) + ".txt"), oldText(i), newText(i), 0644});
    }
    files.push_back({t.p("created.txt"), std::nullopt, "created\n", 0644});
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto r = applyAtomically(files, t.options(50));
      ::_exit(r ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(killAfterMs));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const bool finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;

    auto report = recoverApplies(t.dir / "journal");
    REQUIRE(report);
    int olds = 0, news = 0;
    for (int i = 0; i < kFiles; ++i) {
      const std::string now = t.get("f" + std::to_string(i) + ".txt");
      INFO("killed after " << killAfterMs << " ms, file " << i << ": " << now);
      CHECK((now == oldText(i) || now == newText(i)));
      olds += now == oldText(i);
      news += now == newText(i);
    }
    INFO("killed after " << killAfterMs << " ms; finished=" << finished << " rolledBack=" << report->rolledBack);
    // Not a mix: the transaction landed whole or not at all.
    CHECK((olds == kFiles || news == kFiles));
    CHECK(fs::exists(t.p("created.txt")) == (news == kFiles));
    CHECK(fs::is_empty(t.dir / "journal"));
    for (auto& e : fs::directory_iterator(t.dir / "proj")) CHECK(e.path().filename().string().find(".cadre-") != 0);
  }
}
