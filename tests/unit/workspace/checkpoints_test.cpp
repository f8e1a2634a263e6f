// Checkpoints on real libgit2 repositories: the user's .git stays byte for
// byte what it was, restore brings back contents, modes and symlinks and
// removes files created since while never touching ignored, deny-listed or
// oversized files, the stat cache really skips unchanged files, .gitignore is
// read exactly as git reads it (checked against git itself), nested
// repositories and submodules are plain folders, and prune keeps its policy.
#include "server/workspace/checkpoints.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "server/security/audit.hpp"
#include "server/workspace/checkpoint_ignore.hpp"
#include "server/workspace/checkpoint_objects.hpp"
#include "support/files.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::workspace;

namespace {

struct CheckpointTree {
  fs::path dir;
  CheckpointTree() {
    char tmpl[] = "/tmp/cadre-checkpoints-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(dir / "proj");
  }
  ~CheckpointTree() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path root() const { return dir / "proj"; }
  fs::path repo() const { return dir / "state" / "checkpoints.git"; }
  fs::path p(const std::string& rel) const { return root() / rel; }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories(p(rel).parent_path());
    std::ofstream(p(rel), std::ios::binary | std::ios::trunc) << text;
  }
  std::string get(const std::string& rel) const {
    std::string s;
    readWholeFile(p(rel), s);
    return s;
  }
  bool has(const std::string& rel) const {
    struct stat st;
    return ::lstat(p(rel).c_str(), &st) == 0;
  }
  // Shell commands run in the project (git, chmod): real tools, real repos.
  int sh(const std::string& command) const {
    const std::string full = "cd '" + root().string() + "' && (" + command + ") >/dev/null 2>&1";
    return std::system(full.c_str());
  }
  // Every file's mtime pushed into the past, so the racy-clean rule (files
  // modified in the same clock tick as the scan are re-hashed next time)
  // does not blur what a test counts.
  void age() const {
    const timespec past[2] = {{1600000000, 0}, {1600000000, 0}};
    for (auto it = fs::recursive_directory_iterator(root()); it != fs::recursive_directory_iterator(); ++it) {
      ::utimensat(AT_FDCWD, it->path().c_str(), past, AT_SYMLINK_NOFOLLOW);
    }
    // utimensat sets ctime to "now" on the kernel's coarse clock; a scan that
    // starts within the same tick sees every file as racily clean (rightly)
    // and re-hashes them all next time. Let the tick pass (a clean-clone run
    // under load caught this).
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
};

CheckpointExclude denyEnv() {
  return [](std::string_view rel, bool, unsigned) {
    const auto slash = rel.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    return base == ".env" || base.rfind(".env.", 0) == 0 || base.size() > 4 && base.substr(base.size() - 4) == ".pem";
  };
}

CheckpointStore open(const CheckpointTree& t, CheckpointOptions options = {}) {
  if (!options.exclude) options.exclude = denyEnv();
  auto store = CheckpointStore::open(t.repo(), t.root(), std::move(options));
  REQUIRE(store);
  return std::move(*store);
}

// Path → content hash (and mode) of every file under `dir`.
std::map<std::string, std::string> fingerprint(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    struct stat st;
    ::lstat(it->path().c_str(), &st);
    std::string content;
    if (S_ISREG(st.st_mode)) readWholeFile(it->path(), content);
    out[it->path().lexically_relative(dir).string()] = security::sha256Hex(content) + " " + std::to_string(st.st_mode);
  }
  return out;
}

mode_t modeOf(const fs::path& p) {
  struct stat st;
  ::lstat(p.c_str(), &st);
  return st.st_mode;
}

}  // namespace

TEST_CASE("checkpoints: create, list, nothing changed, stat cache", "[checkpoints]") {
  CheckpointTree t;
  for (int i = 0; i < 50; ++i) t.put("src/m" + std::to_string(i) + ".py", "x = " + std::to_string(i) + "\n");
  t.put("README.md", "# project\n");
  t.age();
  auto store = open(t);

  auto first = store.create("first", {{"task", "t1"}, {"step", "1"}});
  REQUIRE(first);
  CHECK(first->created);
  CHECK(first->checkpoint.seq == 1);
  CHECK(first->checkpoint.files == 51);
  CHECK(first->checkpoint.filesChanged == 51);
  CHECK(first->checkpoint.message == "first");
  CHECK(first->checkpoint.metadata.at("task") == "t1");
  CHECK(first->stats.filesHashed == 51);

  SECTION("nothing changed: nothing hashed, nothing created") {
    auto again = store.create("again");
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(again->stats.filesHashed == 0);
    CHECK(again->stats.objectsWritten == 0);
    CHECK(again->checkpoint.id == first->checkpoint.id);
  }

  SECTION("one file changed: one file hashed") {
    t.put("src/m7.py", "x = 'seven'\n");
    auto second = store.create("second");
    REQUIRE(second);
    CHECK(second->created);
    CHECK(second->stats.filesHashed == 1);
    CHECK(second->checkpoint.filesChanged == 1);
    CHECK(second->checkpoint.seq == 2);
    // Blob + src tree + root tree + commit.
    CHECK(second->stats.treesWritten == 2);

    auto list = store.list();
    REQUIRE(list);
    REQUIRE(list->size() == 2);
    CHECK((*list)[0].seq == 2);
    CHECK((*list)[1].seq == 1);
    CHECK(store.resolve("latest")->seq == 2);
    CHECK(store.resolve("latest~1")->seq == 1);
    CHECK(store.resolve("#1")->seq == 1);
    CHECK(store.resolve(first->checkpoint.id.substr(0, 8))->seq == 1);
    CHECK_FALSE(store.resolve("#9"));
  }

  SECTION("touched but unchanged: re-hashed once, then trusted again") {
    const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    ::utimensat(AT_FDCWD, t.p("README.md").c_str(), now, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    auto second = store.create("touch");
    REQUIRE(second);
    CHECK_FALSE(second->created);
    CHECK(second->stats.filesHashed == 1);
    auto third = store.create("again");
    REQUIRE(third);
    CHECK(third->stats.filesHashed == 0);
  }

  SECTION("a reopened store keeps its stat cache") {
    auto reopened = open(t);
    auto again = reopened.create("again");
    REQUIRE(again);
    CHECK(again->stats.filesHashed == 0);
  }
}

TEST_CASE("checkpoints: a same-size rewrite right after a checkpoint is seen (racy clean)", "[checkpoints]") {
  CheckpointTree t;
  auto store = open(t);
  for (int round = 0; round < 20; ++round) {
    t.put("f.txt", round % 2 ? "bbbb" : "aaaa");
    auto a = store.create("a");
    REQUIRE(a);
    t.put("f.txt", round % 2 ? "cccc" : "dddd");
    auto b = store.create("b");
    REQUIRE(b);
    REQUIRE(b->created);
    auto d = store.diff("latest~1", "latest");
    REQUIRE(d);
    REQUIRE(d->files.size() == 1);
  }
}

TEST_CASE("checkpoints: the user's .git is byte-identical after create, list, diff and restore", "[checkpoints]") {
  CheckpointTree t;
  t.put("a.py", "print('a')\n");
  t.put("lib/b.py", "def b(): pass\n");
  t.put(".gitignore", "*.log\n");
  REQUIRE(t.sh("git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@t commit -qm init") == 0);
  t.put("a.py", "print('a2')\n");  // a dirty work tree, as users have
  REQUIRE(t.sh("git add a.py") == 0);  // and something staged
  const auto before = fingerprint(t.p(".git"));
  const auto headBefore = t.get(".git/HEAD");

  auto store = open(t);
  auto c1 = store.create("one");
  REQUIRE(c1);
  t.put("lib/c.py", "c = 1\n");
  t.put("a.py", "print('a3')\n");
  auto c2 = store.create("two");
  REQUIRE(c2);
  REQUIRE(store.list());
  REQUIRE(store.diff("#1", "#2"));
  REQUIRE(store.diff("#1"));
  PlainRestoreWriter writer(t.root());
  auto r = store.restore("#1", writer);
  REQUIRE(r);
  REQUIRE(store.gc(true));

  CHECK(fingerprint(t.p(".git")) == before);
  CHECK(t.get(".git/HEAD") == headBefore);
  CHECK(t.get("a.py") == "print('a2')\n");
  CHECK_FALSE(t.has("lib/c.py"));
  // The user's repository still agrees with itself.
  CHECK(t.sh("git fsck --strict") == 0);
}

TEST_CASE("checkpoints: nothing is written into the work tree", "[checkpoints]") {
  CheckpointTree t;
  t.put("a.txt", "a\n");
  const auto before = fingerprint(t.root());
  auto store = open(t);
  REQUIRE(store.create("one"));
  t.put("b.txt", "b\n");
  const auto middle = fingerprint(t.root());
  REQUIRE(store.create("two"));
  REQUIRE(store.diff("#1"));
  REQUIRE(store.gc(false));
  CHECK(fingerprint(t.root()) == middle);
  CHECK(before.size() + 1 == middle.size());
}

TEST_CASE("checkpoints: restore brings back contents, modes and symlinks, and deletes new files", "[checkpoints]") {
  CheckpointTree t;
  t.put("a.txt", "alpha\n");
  t.put("bin/run.sh", "#!/bin/sh\necho hi\n");
  ::chmod(t.p("bin/run.sh").c_str(), 0755);
  REQUIRE(::symlink("a.txt", t.p("link").c_str()) == 0);
  t.put(".gitignore", "*.log\nbuild/\n");
  t.put("small.bin", std::string(100, 'x'));
  t.put("deep/nested/only.txt", "only\n");
  CheckpointOptions options;
  options.maxFileBytes = 1000;
  auto store = open(t, options);
  auto c1 = store.create("base");
  REQUIRE(c1);

  t.put("a.txt", "changed\n");
  ::chmod(t.p("bin/run.sh").c_str(), 0644);
  fs::remove(t.p("link"));
  t.put("new.txt", "new\n");
  t.put("newdir/sub/x.txt", "x\n");
  t.put("debug.log", "ignored\n");
  t.put("build/out.o", "ignored dir\n");
  t.put(".env", "SECRET=1\n");
  t.put("small.bin", std::string(5000, 'y'));  // now over the cap
  fs::remove_all(t.p("deep"));

  SECTION("dry run plans and changes nothing") {
    RestoreOptions o;
    o.dryRun = true;
    PlainRestoreWriter writer(t.root());
    auto r = store.restore("#1", writer, o);
    REQUIRE(r);
    CHECK(r->changed.empty());
    CHECK_FALSE(r->beforeCreated);
    CHECK(t.get("a.txt") == "changed\n");
    std::set<std::string> planned;
    for (const auto& f : r->plan.files) planned.insert(f.path + (f.content ? "" : " (delete)"));
    CHECK(planned == std::set<std::string>{"a.txt", "bin/run.sh", "link", "deep/nested/only.txt", "new.txt (delete)",
                                           "newdir/sub/x.txt (delete)"});
    REQUIRE(r->plan.kept.size() == 1);
    CHECK(r->plan.kept[0].path == "small.bin");
    CHECK(r->plan.kept[0].reason == SkipReason::TooLarge);
  }

  SECTION("restore") {
    PlainRestoreWriter writer(t.root());
    auto r = store.restore("#1", writer);
    REQUIRE(r);
    REQUIRE(r->before);  // the state before the restore is a checkpoint too
    CHECK(r->beforeCreated);
    CHECK(r->before->seq == 2);
    CHECK(t.get("a.txt") == "alpha\n");
    CHECK((modeOf(t.p("bin/run.sh")) & 0777) == 0755);
    CHECK(S_ISLNK(modeOf(t.p("link"))));
    CHECK(fs::read_symlink(t.p("link")) == "a.txt");
    CHECK(t.get("deep/nested/only.txt") == "only\n");
    CHECK_FALSE(t.has("new.txt"));
    CHECK_FALSE(t.has("newdir"));  // emptied folders the checkpoint lacks go too
    // Never touched: ignored, deny-listed, oversized.
    CHECK(t.get("debug.log") == "ignored\n");
    CHECK(t.get("build/out.o") == "ignored dir\n");
    CHECK(t.get(".env") == "SECRET=1\n");
    CHECK(t.get("small.bin") == std::string(5000, 'y'));

    // Nothing differs from #1 now but the file restore had to leave alone.
    auto d = store.diff("#1");
    REQUIRE(d);
    REQUIRE(d->files.size() == 1);
    CHECK(d->files[0].path == "small.bin");

    // And the restore can be undone from the checkpoint it took first.
    auto undo = store.restore(r->before->id, writer);
    REQUIRE(undo);
    CHECK(t.get("a.txt") == "changed\n");
    CHECK(t.get("newdir/sub/x.txt") == "x\n");
    CHECK_FALSE(t.has("link"));
  }

  SECTION("restore within a scope") {
    PlainRestoreWriter writer(t.root());
    RestoreOptions o;
    o.paths = {"bin", "new.txt"};
    auto r = store.restore("#1", writer, o);
    REQUIRE(r);
    CHECK((modeOf(t.p("bin/run.sh")) & 0777) == 0755);
    CHECK_FALSE(t.has("new.txt"));
    CHECK(t.get("a.txt") == "changed\n");
    CHECK(t.has("newdir/sub/x.txt"));
    CHECK_FALSE(t.has("link"));
  }
}

TEST_CASE("checkpoints: deny-listed files are never stored, nor written by a restore", "[checkpoints]") {
  CheckpointTree t;
  t.put("app.py", "ok\n");
  t.put(".env", "SECRET=1\n");
  t.put("conf/.env.local", "SECRET=2\n");
  t.put("certs/server.pem", "KEY\n");
  auto store = open(t);
  auto c = store.create("one");
  REQUIRE(c);
  CHECK(c->checkpoint.files == 1);
  CHECK(c->stats.excluded == 3);

  // Even a checkpoint that somehow holds a secret (taken without the
  // predicate) is not restored onto one.
  {
    CheckpointOptions loose;
    loose.exclude = [](std::string_view, bool, unsigned) { return false; };
    auto unguarded = open(t, loose);
    REQUIRE(unguarded.create("with secrets"));
  }
  fs::remove(t.p(".env"));
  PlainRestoreWriter writer(t.root());
  auto r = store.restore("latest", writer);
  REQUIRE(r);
  CHECK_FALSE(t.has(".env"));
  CHECK(std::count(r->plan.refused.begin(), r->plan.refused.end(), ".env") == 1);
}

TEST_CASE("checkpoints: files over the size cap are skipped and reported", "[checkpoints]") {
  CheckpointTree t;
  t.put("small.txt", "small\n");
  t.put("data/big.bin", std::string(4096, 'b'));
  CheckpointOptions options;
  options.maxFileBytes = 1024;
  auto store = open(t, options);
  auto c = store.create("one");
  REQUIRE(c);
  CHECK(c->checkpoint.files == 1);
  REQUIRE(c->skipped.size() == 1);
  CHECK(c->skipped[0].path == "data/big.bin");
  CHECK(c->skipped[0].reason == SkipReason::TooLarge);
  CHECK(c->skipped[0].size == 4096);
  CHECK(c->checkpoint.skipped == 1);
}

TEST_CASE("checkpoints: nested repositories and submodules are folders; their .git is never stored", "[checkpoints]") {
  CheckpointTree t;
  t.put("top.txt", "top\n");
  t.put(".gitignore", "*.tmp\n");
  REQUIRE(t.sh("git init -q -b main .") == 0);
  // A nested repository with its own rules.
  t.put("vendor/lib/lib.c", "int x;\n");
  t.put("vendor/lib/.gitignore", "*.o\n");
  t.put("vendor/lib/lib.o", "obj\n");
  t.put("vendor/lib/keep.tmp", "the parent's *.tmp does not reach into another repository\n");
  REQUIRE(t.sh("cd vendor/lib && git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@t commit -qm lib") == 0);
  // A submodule-style folder: .git is a file pointing into the parent's .git.
  t.put("mod/code.py", "m = 1\n");
  t.put("mod/.git", "gitdir: ../.git/modules/mod\n");
  t.put("other.tmp", "ignored\n");
  const auto libGit = fingerprint(t.p("vendor/lib/.git"));

  auto store = open(t);
  auto c = store.create("one");
  REQUIRE(c);
  CHECK(c->stats.nestedRepositories == 2);

  t.put("mod/code.py", "m = 2\n");
  fs::remove(t.p("vendor/lib/lib.c"));
  PlainRestoreWriter writer(t.root());
  REQUIRE(store.restore("#1", writer));
  CHECK(t.get("mod/code.py") == "m = 1\n");
  CHECK(t.get("vendor/lib/lib.c") == "int x;\n");
  CHECK(fingerprint(t.p("vendor/lib/.git")) == libGit);

  // No path of the checkpoint is inside a .git; each repository's own rules applied.
  REQUIRE(t.sh("test -z \"$(git --git-dir='" + t.repo().string() + "' ls-tree -r --name-only HEAD | grep -E '(^|/)\\.git(/|$)')\"") == 0);
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' ls-tree -r --name-only HEAD | grep -qx vendor/lib/keep.tmp") == 0);
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' ls-tree -r --name-only HEAD | grep -qx vendor/lib/lib.o") != 0);
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' ls-tree -r --name-only HEAD | grep -qx other.tmp") != 0);
}

TEST_CASE("checkpoints: the scan ignores exactly what git ignores", "[checkpoints][ignore]") {
  CheckpointTree t;
  const std::vector<std::string> files = {
      "a.py",          "a.pyc",         "b.log",          "keep.log",        "build/out.txt",     "src/build/x.c",  "src/main.c",
      "src/gen/g.c",   "src/gen/k.c",   "doc/frotz/a",    "x/doc/frotz/b",   "deep/a/b/c.txt",    "deep/a/b/c.md",  "foo/bar/baz.txt",
      "foo/baz.txt",   "n/x.tmp",       "n/y.tmp",        "sp ace.txt",      "hash#.txt",         "#literal",       "!bang",
      "Makefile",      "lib/one.a",     "lib/two.a",      "only/dir/f",      "only/file",         "star/a/z/q.txt", "star/q.txt",
      "cls/a1",        "cls/b2",        "cls/c3",         "q/ab",            "q/abc",             "tail/x/y",       "tail/z",
      "abc/def/gh.js", "abc/gh.js",     "node_modules/m", "sub/node_modules/n", "sub/.gitignore",  "sub/s.txt",      "sub/t.txt",
      "sub/deeper/s.txt", "sub/deeper/u.txt", "trail/a ", "esc\\ape"};
  for (const auto& f : files) t.put(f, "x\n");
  t.put(".gitignore",
        "# comment\n*.pyc\n*.log\n!keep.log\nbuild/\n/src/gen/*\n!/src/gen/k.c\ndoc/frotz/\ndeep/**/c.txt\nfoo/**/baz.txt\n"
        "n/*.tmp\n!n/y.tmp\nsp\\ ace.txt\n\\#literal\n\\!bang\nlib/*.a\n!lib/two.a\nonly/dir/\nstar/*/q.txt\ncls/[ab][0-9]\n"
        "q/a?\ntail/**\n!tail/z\nabc/**/gh.js\nnode_modules\n");
  t.put("sub/.gitignore", "s.txt\n/t.txt\n!deeper/s.txt\n");
  REQUIRE(t.sh("git init -q -b main .") == 0);
  t.put(".git/info/exclude", "*.md\n");

  auto store = open(t);
  REQUIRE(store.create("scan"));
  const std::string list = t.dir.string() + "/list";
  REQUIRE(t.sh("git -c core.excludesFile=/dev/null ls-files -o --exclude-standard | LC_ALL=C sort > '" + list + ".git'") == 0);
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' ls-tree -r --name-only -z HEAD | tr '\\0' '\\n' | LC_ALL=C sort > '" + list +
               ".cadre'") == 0);
  std::string fromGit, fromCadre;
  readWholeFile(list + ".git", fromGit);
  readWholeFile(list + ".cadre", fromCadre);
  // git ls-files quotes unusual names ("esc\\ape", "trail/a "): compare with
  // core.quotePath-free -z output instead when they differ only there.
  REQUIRE(t.sh("git -c core.excludesFile=/dev/null ls-files -z -o --exclude-standard | tr '\\0' '\\n' | LC_ALL=C sort > '" + list +
               ".git'") == 0);
  readWholeFile(list + ".git", fromGit);
  CHECK(fromCadre == fromGit);

  // The walk on several threads (used on big trees) yields the same, in the same order.
  ScanOptions one, many;
  one.threads = 1;
  many.threads = 4;
  const ScanResult a = scanWorkTree(t.root(), one), b = scanWorkTree(t.root(), many);
  REQUIRE(a.files.size() == b.files.size());
  for (std::size_t i = 0; i < a.files.size(); ++i) CHECK(a.files[i].path == b.files[i].path);
  CHECK(a.ignored == b.ignored);
  CHECK(a.directories == b.directories);
}

TEST_CASE("checkpoints: wildmatch agrees with git on the tricky cases", "[checkpoints][ignore]") {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Case cases[] = {
      {"foo", "foo", true},          {"foo", "bar", false},           {"*", "foo", true},          {"*", "foo/bar", false},
      {"**", "foo/bar", true},       {"**/foo", "foo", true},         {"**/foo", "a/b/foo", true}, {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},   {"a/**", "a/x/y", true},         {"a/**", "a", false},        {"a**b", "a/b", false},
      {"*.c", "x.c", true},          {"*.c", "d/x.c", false},         {"?", "/", false},           {"[a-c]x", "bx", true},
      {"[!a-c]x", "bx", false},      {"[^a-c]x", "dx", true},         {"[[:digit:]]", "7", true},  {"[[:alpha:]]", "7", false},
      {"\\*", "*", true},            {"\\*", "x", false},             {"a[/]b", "a/b", false},     {"*/b", "a/b", true},
      {"foo*bar", "foo/bar", false}, {"foo**bar", "fooxbar", true},   {"[]]", "]", true},          {"[a-]", "-", true},
  };
  for (const auto& c : cases) {
    INFO(c.pattern << " vs " << c.text);
    CHECK(wildmatch(c.pattern, c.text) == c.match);
  }
}

TEST_CASE("checkpoints: the user switching branches or stashing underneath changes nothing", "[checkpoints]") {
  CheckpointTree t;
  t.put("a.txt", "one\n");
  REQUIRE(t.sh("git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@t commit -qm one") == 0);
  auto store = open(t);
  REQUIRE(store.create("main"));
  REQUIRE(t.sh("git checkout -q -b feature && echo two > a.txt && echo b > b.txt && git add -A && "
               "git -c user.name=t -c user.email=t@t commit -qm two") == 0);
  auto feature = store.create("feature");
  REQUIRE(feature);
  CHECK(feature->created);
  CHECK(feature->checkpoint.filesChanged == 2);
  REQUIRE(t.sh("git checkout -q main") == 0);
  auto back = store.create("main again");
  REQUIRE(back);
  CHECK(back->created);  // same tree as #1, but a new state after #2
  REQUIRE(t.sh("echo dirty >> a.txt && git stash -q") == 0);
  auto stashed = store.create("after stash");
  REQUIRE(stashed);
  CHECK_FALSE(stashed->created);  // the stash put the tree back as it was
  auto d = store.diff("#1", "#2");
  REQUIRE(d);
  CHECK(d->files.size() == 2);
}

TEST_CASE("checkpoints: diff shows a unified patch and per-file stats", "[checkpoints]") {
  CheckpointTree t;
  t.put("a.py", "one\ntwo\nthree\n");
  t.put("gone.py", "bye\n");
  auto store = open(t);
  REQUIRE(store.create("one"));
  t.put("a.py", "one\nTWO\nthree\nfour\n");
  fs::remove(t.p("gone.py"));
  t.put("new.py", "hi\n");
  auto d = store.diff("#1");
  REQUIRE(d);
  CHECK(d->toLabel == "work tree");
  REQUIRE(d->files.size() == 3);
  std::map<std::string, FileDiffStat> byPath;
  for (const auto& f : d->files) byPath[f.path] = f;
  CHECK(byPath["a.py"].status == 'M');
  CHECK(byPath["a.py"].additions == 2);
  CHECK(byPath["a.py"].deletions == 1);
  CHECK(byPath["gone.py"].status == 'D');
  CHECK(byPath["new.py"].status == 'A');
  CHECK(d->patch.find("-two\n+TWO\n") != std::string::npos);
  CHECK(d->patch.find("+++ b/new.py") != std::string::npos);

  DiffOptions scoped;
  scoped.paths = {"a.py"};
  auto one = store.diff("#1", "", scoped);
  REQUIRE(one);
  CHECK(one->files.size() == 1);
}

TEST_CASE("checkpoints: prune keeps the newest, the current task, and one per finished task", "[checkpoints]") {
  CheckpointTree t;
  auto store = open(t, [] {
    CheckpointOptions o;
    o.autoMaintain = false;
    return o;
  }());
  // t1: steps 1-3 (finished); t2: steps 1-3 (finished); t3: steps 1-2 (current); then two untagged.
  int n = 0;
  auto make = [&](const std::string& task, int step) {
    t.put("f.txt", std::to_string(++n));
    std::map<std::string, std::string> meta;
    if (!task.empty()) meta = {{"task", task}, {"step", std::to_string(step)}};
    auto c = store.create("c" + std::to_string(n), meta);
    REQUIRE(c);
    REQUIRE(c->created);
  };
  for (int s = 1; s <= 3; ++s) make("t1", s);
  for (int s = 1; s <= 3; ++s) make("t2", s);
  make("", 0);
  for (int s = 1; s <= 2; ++s) make("t3", s);
  make("", 0);
  // seq: 1-3 t1, 4-6 t2, 7 untagged, 8-9 t3, 10 untagged.
  PrunePolicy policy;
  policy.keepLast = 4;
  policy.currentTask = "t3";
  policy.maxAgeSeconds = 0;
  auto r = store.prune(policy);
  REQUIRE(r);
  std::set<std::uint64_t> left;
  auto listed = store.list();
  REQUIRE(listed);
  for (const auto& c : *listed) left.insert(c.seq);
  CHECK(left == std::set<std::uint64_t>{3, 6, 7, 8, 9, 10});
  CHECK(r->removed.size() == 4);

  SECTION("a cap") {
    PrunePolicy capped;
    capped.keepLast = 1;
    capped.currentTask = "t3";
    REQUIRE(store.prune(capped));
    auto after = store.list();
    REQUIRE(after);
    std::set<std::uint64_t> now;
    for (const auto& c : *after) now.insert(c.seq);
    CHECK(now == std::set<std::uint64_t>{8, 9, 10});
  }

  SECTION("without a current task, the latest checkpoint's task is the current one") {
    make("t3", 3);
    PrunePolicy byLatest;
    byLatest.keepLast = 1;
    REQUIRE(store.prune(byLatest));
    auto after = store.list();
    REQUIRE(after);
    std::set<std::uint64_t> now;
    for (const auto& c : *after) now.insert(c.seq);
    CHECK(now == std::set<std::uint64_t>{8, 9, 10, 11});
  }

  SECTION("age") {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    make("", 0);
    PrunePolicy aged;
    aged.keepLast = 10;
    aged.maxAgeSeconds = 1;
    aged.currentTask = "t3";
    REQUIRE(store.prune(aged));
    std::set<std::uint64_t> now;
    auto after = store.list();
    REQUIRE(after);
    for (const auto& c : *after) now.insert(c.seq);
    CHECK(now == std::set<std::uint64_t>{8, 9, 11});
  }

  SECTION("gc after prune keeps every checkpoint whole and drops the rest") {
    auto g = store.gc(true);
    REQUIRE(g);
    CHECK(g->full);
    const DiskUsage u = store.diskUsage();
    CHECK(u.looseObjects == 0);
    CHECK(u.packs == 1);
    auto all = store.list();
    REQUIRE(all);
    for (const auto& c : *all) {
      auto d = store.diff("#" + std::to_string(c.seq), "latest");
      REQUIRE(d);
    }
    REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' fsck --full --strict --no-dangling") == 0);
  }
}

TEST_CASE("checkpoints: a first checkpoint writes one pack that git itself verifies", "[checkpoints]") {
  CheckpointTree t;
  for (int i = 0; i < 300; ++i) t.put("d" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".txt", std::string(i * 13, 'a' + i % 26) + "\n");
  t.put("same1.txt", "dup\n");
  t.put("same2.txt", "dup\n");  // one blob, two names
  t.put("empty.txt", "");
  auto store = open(t);
  auto c = store.create("first");
  REQUIRE(c);
  CHECK(c->stats.packed);
  const DiskUsage u = store.diskUsage();
  CHECK(u.packs == 1);
  CHECK(u.looseObjects == 0);  // the commit went into the same pack
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' fsck --full --strict") == 0);
  REQUIRE(t.sh("test \"$(git --git-dir='" + t.repo().string() + "' ls-tree -r HEAD | wc -l)\" = 303") == 0);
  // The tree is the one git builds from the same files.
  REQUIRE(t.sh("git init -q -b main . && git add -A && test \"$(git write-tree)\" = " + c->checkpoint.tree) == 0);
}

TEST_CASE("checkpoints: one pack per checkpoint, merged as they pile up; the disk stays bounded", "[checkpoints]") {
  CheckpointTree t;
  std::string text;
  for (int line = 0; line < 200; ++line) text += "line " + std::to_string(line) + " of a file that changes a little each time\n";
  for (int i = 0; i < 40; ++i) t.put("f" + std::to_string(i) + ".txt", std::to_string(i) + text);
  CheckpointOptions o;
  o.mergePacksAt = 4;
  auto store = open(t, o);
  REQUIRE(store.create("base"));
  std::map<std::uint64_t, std::string> f3;  // what f3.txt held at each checkpoint
  f3[1] = t.get("f3.txt");
  for (int round = 0; round < 60; ++round) {
    t.put("f" + std::to_string(round % 7) + ".txt", std::to_string(round) + text + "edit " + std::to_string(round) + "\n");
    auto c = store.create("r" + std::to_string(round));
    REQUIRE(c);
    CHECK(c->stats.objectsWritten == 3);  // blob, root tree, commit: all in one pack
    f3[c->checkpoint.seq] = t.get("f3.txt");
  }
  const DiskUsage u = store.diskUsage();
  CHECK(u.looseObjects == 0);
  CHECK(u.packs <= 5);
  // Everything, 61 snapshots and the stat cache, in less than the files' own bytes.
  CHECK(u.bytes < 40 * text.size());
  auto list = store.list();
  REQUIRE(list);
  CHECK(list->size() == 50);  // the default policy keeps the last 50
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' fsck --full --strict --no-dangling") == 0);
  // Every kept checkpoint still restores whole.
  PlainRestoreWriter writer(t.root());
  REQUIRE(store.restore(list->back().id, writer));
  CHECK(t.get("f3.txt") == f3[list->back().seq]);
}

TEST_CASE("checkpoints: deltas round-trip", "[checkpoints]") {
  std::string base;
  for (int i = 0; i < 3000; ++i) base += "int f" + std::to_string(i) + "(void) { return " + std::to_string(i * 7) + "; }\n";
  const std::vector<std::string> targets = {
      base + "appended\n",
      "prepended\n" + base,
      base.substr(0, 20000) + "a change in the middle\n" + base.substr(20050),
      base.substr(5000, 30000) + base.substr(0, 5000),
      std::string(100000, 'x'),
  };
  for (const auto& target : targets) {
    const std::string delta = git::deltaEncode(base, target, target.size());
    std::string back;
    if (delta.empty()) {
      CHECK(target == std::string(100000, 'x'));  // nothing in common: no delta
      continue;
    }
    CHECK(delta.size() < target.size() / 4);
    REQUIRE(git::deltaApply(base, delta, back));
    CHECK(back == target);
  }
}

TEST_CASE("checkpoints: files replaced by folders and back", "[checkpoints]") {
  CheckpointTree t;
  t.put("x", "file\n");
  t.put("y/inner.txt", "dir\n");
  auto store = open(t);
  REQUIRE(store.create("one"));
  fs::remove(t.p("x"));
  t.put("x/inside.txt", "now a dir\n");
  fs::remove_all(t.p("y"));
  t.put("y", "now a file\n");
  auto two = store.create("two");
  REQUIRE(two);
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' fsck --strict") == 0);
  PlainRestoreWriter writer(t.root());
  REQUIRE(store.restore("#1", writer));
  CHECK(t.get("x") == "file\n");
  CHECK(t.get("y/inner.txt") == "dir\n");
  REQUIRE(store.restore("#2", writer));
  CHECK(t.get("x/inside.txt") == "now a dir\n");
  CHECK(t.get("y") == "now a file\n");
}

TEST_CASE("checkpoints: random edits, each checkpoint's tree equals the one git writes for the same files", "[checkpoints]") {
  CheckpointTree t;
  auto store = open(t);
  const fs::path gitDir = t.dir / "oracle.git";
  REQUIRE(std::system(("git init -q --bare '" + gitDir.string() + "' >/dev/null 2>&1").c_str()) == 0);
  auto gitTree = [&]() {
    // git's own add + write-tree over the same work tree, in a repository of its own.
    const std::string env = "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_DIR='" + gitDir.string() + "' GIT_WORK_TREE='" +
                            t.root().string() + "' ";
    const std::string out = (t.dir / "tree-id").string();
    REQUIRE(std::system((env + "git add -A >/dev/null 2>&1 && " + env + "git write-tree > '" + out + "'").c_str()) == 0);
    std::string id;
    readWholeFile(out, id);
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  };
  // CADRE_CHECKPOINTS_SEED / _ROUNDS run other or longer sequences (5 seeds
  // of 150 rounds passed when this was written).
  std::uint32_t seed = static_cast<std::uint32_t>(std::getenv("CADRE_CHECKPOINTS_SEED") ? std::atoi(std::getenv("CADRE_CHECKPOINTS_SEED")) : 12345);
  auto rnd = [&](std::uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
  };
  const std::vector<std::string> names = {"a", "b", "c.txt", "d/e", "d/f.py", "d/g/h", "d/g/i", "j/k", "l", "m/n/o/p"};
  const int rounds = std::getenv("CADRE_CHECKPOINTS_ROUNDS") ? std::atoi(std::getenv("CADRE_CHECKPOINTS_ROUNDS")) : 40;
  for (int round = 0; round < rounds; ++round) {
    for (int op = 0, ops = 1 + static_cast<int>(rnd(4)); op < ops; ++op) {
      const std::string& name = names[rnd(static_cast<std::uint32_t>(names.size()))];
      const fs::path p = t.p(name);
      std::error_code ec;
      switch (rnd(6)) {
        case 0:  // delete (a file, or a folder in its way)
          fs::remove_all(p, ec);
          break;
        case 1:  // same size, new bytes: only mtime tells (or the racy rule)
          if (fs::is_regular_file(p, ec) && !fs::is_symlink(p, ec)) {
            std::string text = t.get(name);
            if (!text.empty()) text[0] = static_cast<char>('A' + rnd(26));
            t.put(name, text);
            break;
          }
          [[fallthrough]];
        case 2:
        case 3: {  // write (replacing whatever is in the way)
          for (fs::path up = p.parent_path(); up != t.root(); up = up.parent_path()) {
            if (fs::exists(up, ec) && !fs::is_directory(fs::symlink_status(up, ec))) fs::remove(up, ec);
          }
          if (fs::is_directory(fs::symlink_status(p, ec))) fs::remove_all(p, ec);
          t.put(name, "round " + std::to_string(round) + " " + std::string(rnd(50), 'x') + "\n");
          break;
        }
        case 4:  // executable bit
          if (fs::is_regular_file(fs::symlink_status(p, ec))) ::chmod(p.c_str(), rnd(2) ? 0755 : 0644);
          break;
        case 5:  // a symlink
          if (!fs::exists(fs::symlink_status(p, ec)) || !fs::is_directory(fs::symlink_status(p, ec))) {
            fs::create_directories(p.parent_path(), ec);
            fs::remove(p, ec);
            fs::create_symlink("target-" + std::to_string(rnd(3)), p, ec);
          }
          break;
      }
    }
    auto c = store.create("round " + std::to_string(round));
    REQUIRE(c);
    INFO("round " << round);
    CHECK(c->checkpoint.tree == gitTree());
    auto again = store.create("again");
    REQUIRE(again);
    CHECK_FALSE(again->created);
  }
  // And the store agrees with itself.
  REQUIRE(t.sh("git --git-dir='" + t.repo().string() + "' fsck --full --strict --no-dangling") == 0);
}

