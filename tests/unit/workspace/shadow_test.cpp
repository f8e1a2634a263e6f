// The shadow overlay on a real tree: reads see the change, the real files do
// not; materialization mirrors the tree with the change applied and never
// writes through to the user's files.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/workspace/shadow.hpp"
#include "support/files.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::workspace;

namespace {

struct Tree {
  fs::path dir;
  Tree() {
    char tmpl[] = "/tmp/cadre-shadow-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(dir / "proj/src");
    fs::create_directories(dir / "proj/node_modules/lib");
    put("proj/src/a.py", "def f():\n    return 1\n");
    put("proj/src/b.py", "from a import f\n");
    put("proj/node_modules/lib/index.js", "module.exports = 1;\n");
    put("proj/.env", "SECRET=1\n");
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void put(const std::string& rel, const std::string& text) { std::ofstream(dir / rel) << text; }
  std::string get(const fs::path& p) {
    std::string s;
    readWholeFile(p, s);
    return s;
  }
  fs::path proj() const { return dir / "proj"; }
};

}  // namespace

TEST_CASE("shadow: an overlay that leaves the real files alone", "[shadow]") {
  Tree t;
  ShadowWorkspace s("task-1", {t.proj()});
  CHECK(s.empty());
  REQUIRE(s.write(t.proj() / "src/a.py", "def f():\n    return 2\n"));
  REQUIRE(s.write(t.proj() / "src/new.py", "x = 1\n"));
  REQUIRE(s.remove(t.proj() / "src/b.py"));
  CHECK(*s.read(t.proj() / "src/a.py") == "def f():\n    return 2\n");
  CHECK_FALSE(s.exists(t.proj() / "src/b.py"));
  CHECK(t.get(t.proj() / "src/a.py") == "def f():\n    return 1\n");
  CHECK(fs::exists(t.proj() / "src/b.py"));
  CHECK_FALSE(fs::exists(t.proj() / "src/new.py"));
  auto changes = s.changes();
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].kind == ShadowChange::Kind::Modified);
  CHECK(changes[0].base == std::optional<std::string>("def f():\n    return 1\n"));
  CHECK(changes[1].kind == ShadowChange::Kind::Deleted);
  CHECK(changes[2].kind == ShadowChange::Kind::Created);
  std::string diff = s.diff();
  CHECK(diff.find("--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n") != std::string::npos);
  CHECK(diff.find("--- a/src/b.py\n+++ /dev/null\n") != std::string::npos);
  CHECK(diff.find("--- /dev/null\n+++ b/src/new.py\n") != std::string::npos);
  // Writing the original content back is no change at all.
  REQUIRE(s.write(t.proj() / "src/a.py", "def f():\n    return 1\n"));
  CHECK(s.changes().size() == 2);
  s.discard();
  CHECK(s.empty());
}

TEST_CASE("shadow: edits apply all or nothing across files", "[shadow]") {
  Tree t;
  ShadowWorkspace s("task-2", {t.proj()});
  auto edits = parseEdits(
      "src/a.py\n<<<<<<< SEARCH\n    return 1\n=======\n    return 3\n>>>>>>> REPLACE\n"
      "src/b.py\n<<<<<<< SEARCH\nfrom nowhere import g\n=======\nfrom a import g\n>>>>>>> REPLACE\n");
  REQUIRE(edits);
  auto r = s.applyEdits(*edits, t.proj());
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("src/b.py") != std::string::npos);
  CHECK(s.empty());  // the first file's edit was not kept either
  auto good = parseEdits("--- a/src/a.py\n+++ b/src/c.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 4\n");
  REQUIRE(good);
  REQUIRE(s.applyEdits(*good, t.proj()));
  CHECK_FALSE(s.exists(t.proj() / "src/a.py"));
  CHECK(*s.read(t.proj() / "src/c.py") == "def f():\n    return 4\n");
}

TEST_CASE("shadow: materialized tree mirrors the change and shares nothing writable", "[shadow]") {
  Tree t;
  ShadowWorkspace s("task-3", {t.proj()});
  REQUIRE(s.write(t.proj() / "src/a.py", "changed\n"));
  REQUIRE(s.remove(t.proj() / "src/b.py"));
  REQUIRE(s.write(t.proj() / "pkg/new/mod.py", "new\n"));
  const fs::path out = t.dir / "shadow";
  auto stats = s.materialize(out, [](std::string_view rel) { return rel == ".env"; });
  REQUIRE(stats);
  CHECK(t.get(out / "src/a.py") == "changed\n");
  CHECK(t.get(out / "pkg/new/mod.py") == "new\n");
  CHECK_FALSE(fs::exists(out / "src/b.py"));
  CHECK_FALSE(fs::exists(out / ".env"));
  CHECK(fs::is_symlink(out / "node_modules"));
  CHECK(t.get(out / "node_modules/lib/index.js") == "module.exports = 1;\n");
  // The changed file is a file of its own, not a link to the user's.
  struct stat real {}, shadow {};
  ::stat((t.proj() / "src/a.py").c_str(), &real);
  ::stat((out / "src/a.py").c_str(), &shadow);
  CHECK(real.st_ino != shadow.st_ino);
  CHECK(t.get(t.proj() / "src/a.py") == "def f():\n    return 1\n");
  CHECK(stats->written == 2);
}
