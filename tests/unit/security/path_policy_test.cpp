// The deny-list and roots on a real directory tree: symlinks, `..`, aliases
// through /proc, hard links and case variants must all be refused.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/security/glob.hpp"
#include "server/security/path_policy.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre::security;

namespace {

struct Tree {
  fs::path dir;
  Tree() {
    char tmpl[] = "/tmp/cadre-policy-XXXXXX";
    dir = ::mkdtemp(tmpl);
    fs::create_directories(dir / "project/src");
    fs::create_directories(dir / "home/.ssh");
    write("project/src/app.py", "print('hi')\n");
    write("project/.env", "API_KEY=hunter2\n");
    write("home/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    write("outside.txt", "not in the project\n");
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << text;
  }
  fs::path project() const { return dir / "project"; }
  PathPolicy policy(std::vector<std::string> extra = {}) const {
    return PathPolicy({{project()}, std::move(extra), dir / "home"});
  }
};

}  // namespace

TEST_CASE("glob: wildcards, classes, case folding", "[policy]") {
  CHECK(globMatch("*.pem", "server.PEM"));
  CHECK(globMatch(".env.*", ".env.local"));
  CHECK_FALSE(globMatch(".env.*", ".env"));
  CHECK(globMatch("id_rsa*", "id_rsa.pub"));
  CHECK_FALSE(globMatch("*.key", "a/b.key"));
  CHECK(globMatch("**/*.key", "a/b/c.key"));
  CHECK(globMatch("**/c.key", "c.key"));
  CHECK(globMatch("[a-c]x", "Bx"));
  CHECK_FALSE(globMatch("[!a-c]x", "bx"));
  CHECK_FALSE(globMatch("a*b*c*d*e*f*g", std::string(200, 'a')));
}

TEST_CASE("policy: ordinary project files are allowed", "[policy]") {
  Tree t;
  auto p = t.policy();
  auto c = p.check("src/app.py", PathAccess::Read);
  CHECK(c.ok());
  CHECK(c.canonical == fs::canonical(t.project() / "src/app.py"));
  CHECK(p.check("src/new_file.py", PathAccess::Write).ok());
}

TEST_CASE("policy: the default deny-list, case-insensitively", "[policy]") {
  Tree t;
  auto p = t.policy();
  for (const char* path : {".env", ".ENV", ".Env.production", "src/.env", "certs/server.pem", "deploy/prod.KEY",
                           ".ssh/config", ".aws/credentials", "x/.docker/config.json", ".kube/config", ".netrc",
                           ".gnupg/pubring.kbx", "keys/id_ed25519", "id_rsa.pub", ".git-credentials"}) {
    INFO(path);
    auto c = p.check(path, PathAccess::Read);
    CHECK(c.refusal == PathRefusal::Denied);
    CHECK(c.message.find("deny-listed") != std::string::npos);
  }
  CHECK(p.check("environment.py", PathAccess::Read).ok());
  CHECK(p.check("docs/keys.md", PathAccess::Read).ok());
}

TEST_CASE("policy: project additions extend the defaults", "[policy]") {
  Tree t;
  auto p = t.policy({"secrets/", "*.tfstate"});
  CHECK(p.check("secrets/db.txt", PathAccess::Read).refusal == PathRefusal::Denied);
  CHECK(p.check("infra/prod.tfstate", PathAccess::Read).refusal == PathRefusal::Denied);
  CHECK(p.check(".env", PathAccess::Read).refusal == PathRefusal::Denied);
}

TEST_CASE("policy: symlinks resolve before matching", "[policy]") {
  Tree t;
  fs::create_symlink(t.dir / "home/.ssh/id_rsa", t.project() / "notes.txt");
  fs::create_symlink(".env", t.project() / "config.txt");
  fs::create_symlink(t.dir / "home/.ssh", t.project() / "keys");
  fs::create_symlink(t.dir / "home/.ssh/authorized_keys", t.project() / "dangling.txt");
  auto p = t.policy();
  auto c = p.check("notes.txt", PathAccess::Read);
  CHECK(c.refusal == PathRefusal::Denied);
  CHECK(c.message.find("resolves to") != std::string::npos);
  CHECK(p.check("config.txt", PathAccess::Read).refusal == PathRefusal::Denied);
  CHECK(p.check("keys/id_rsa", PathAccess::Read).refusal == PathRefusal::Denied);
  // A write through a dangling link would create the file in ~/.ssh.
  CHECK(p.check("dangling.txt", PathAccess::Write).refusal == PathRefusal::Denied);
}

TEST_CASE("policy: escapes out of the roots", "[policy]") {
  Tree t;
  auto p = t.policy();
  auto c = p.check("../outside.txt", PathAccess::Read);
  CHECK(c.refusal == PathRefusal::OutsideRoots);
  CHECK(c.canonical == fs::canonical(t.dir / "outside.txt"));
  CHECK(p.check("src/../../outside.txt", PathAccess::Write).refusal == PathRefusal::OutsideRoots);
  CHECK(p.check("../../../../../../etc/passwd", PathAccess::Read).refusal == PathRefusal::OutsideRoots);
  CHECK(p.check("/etc/passwd", PathAccess::Read).refusal == PathRefusal::OutsideRoots);
  // /proc aliases resolve to what they point at.
  std::string viaProc = "/proc/self/root" + (t.project() / ".env").string();
  CHECK(p.check(viaProc, PathAccess::Read).refusal == PathRefusal::Denied);
  std::string viaProcOk = "/proc/self/root" + (t.project() / "src/app.py").string();
  CHECK(p.check(viaProcOk, PathAccess::Read).ok());
  // `..` after a symlink climbs out of the link's target, as the kernel does.
  fs::create_symlink(t.dir / "home/.ssh", t.project() / "deep");
  CHECK(p.check("deep/../../outside.txt", PathAccess::Read).refusal == PathRefusal::OutsideRoots);
}

TEST_CASE("policy: hard links to secrets are refused under any name", "[policy]") {
  Tree t;
  std::error_code ec;
  fs::create_hard_link(t.project() / ".env", t.project() / "src/settings.txt", ec);
  REQUIRE_FALSE(ec);
  fs::create_hard_link(t.dir / "home/.ssh/id_rsa", t.project() / "src/data.bin", ec);
  REQUIRE_FALSE(ec);
  auto p = t.policy();
  auto c = p.check("src/settings.txt", PathAccess::Read);
  CHECK(c.refusal == PathRefusal::Denied);
  CHECK(c.rule.find(".env") != std::string::npos);
  CHECK(p.check("src/data.bin", PathAccess::Read).refusal == PathRefusal::Denied);
  auto masked = p.maskedPaths();
  CHECK(std::find(masked.begin(), masked.end(), fs::canonical(t.project()) / "src/settings.txt") != masked.end());
  CHECK(std::find(masked.begin(), masked.end(), fs::canonical(t.project()) / ".env") != masked.end());
}

TEST_CASE("policy: .git and .cadre are never written by tools", "[policy]") {
  Tree t;
  auto p = t.policy();
  CHECK(p.check(".git/hooks/pre-commit", PathAccess::Write).refusal == PathRefusal::Denied);
  CHECK(p.check("vendor/lib/.git/config", PathAccess::Write).refusal == PathRefusal::Denied);
  CHECK(p.check(".cadre/audit.jsonl", PathAccess::Write).refusal == PathRefusal::Denied);
  CHECK(p.check(".git/HEAD", PathAccess::Read).ok());
}

TEST_CASE("policy: invalid paths", "[policy]") {
  Tree t;
  auto p = t.policy();
  CHECK(p.check("", PathAccess::Read).refusal == PathRefusal::Invalid);
  CHECK(p.check(std::string("a\0b", 3), PathAccess::Read).refusal == PathRefusal::Invalid);
  fs::create_symlink("loop2", t.project() / "loop1");
  fs::create_symlink("loop1", t.project() / "loop2");
  CHECK(p.check("loop1", PathAccess::Read).refusal == PathRefusal::Invalid);
}
