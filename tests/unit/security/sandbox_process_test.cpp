// Long-lived sandboxed processes (spawnSandboxed): what MCP servers run in.
// Real bwrap, real pipes: a conversation over stdin/stdout, the clean
// environment, and a tree that is gone after kill().
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "server/security/sandbox.hpp"
#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::security;
namespace fs = std::filesystem;

namespace {

// Reads from fd until `needle` appears or `ms` pass.
std::string readUntil(int fd, const std::string& needle, int ms) {
  std::string got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

bool markerRunning(const std::string& marker) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(marker) != std::string::npos && std::to_string(::getpid()) != e.path().filename().string()) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a spawned process talks over its pipes and sees a clean environment", "[sandbox][spawn]") {
  ::setenv("CADRE_TEST_SECRET_KEY", "sk-should-not-leak", 1);
  SandboxSpec spec;
  spec.argv = {"bash", "-c", "while read line; do echo \"got:$line:${CADRE_TEST_SECRET_KEY:-none}:$EXTRA\"; done"};
  spec.env = {{"EXTRA", "given"}};
  auto proc = spawnSandboxed(spec);
  REQUIRE(proc);
  CHECK((*proc)->sandboxed());
  REQUIRE((*proc)->writeInput("hello\n", 1000));
  CHECK(readUntil((*proc)->stdoutFd(), "\n", 5000) == "got:hello:none:given\n");
  REQUIRE((*proc)->writeInput("again\n", 1000));
  CHECK(readUntil((*proc)->stdoutFd(), "\n", 5000) == "got:again:none:given\n");
  CHECK_FALSE((*proc)->exitStatus());
  (*proc)->closeInput();
  for (int i = 0; i < 100 && !(*proc)->exitStatus(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE((*proc)->exitStatus());
  CHECK(*(*proc)->exitStatus() == 0);
}

TEST_CASE("kill takes the spawned tree down, background children included", "[sandbox][spawn]") {
  const std::string marker = "cadre-spawn-marker-" + std::to_string(::getpid());
  SandboxSpec spec;
  spec.argv = {"bash", "-c", "(exec -a " + marker + " sleep 300) & echo started; sleep 300"};
  auto proc = spawnSandboxed(spec);
  REQUIRE(proc);
  CHECK(readUntil((*proc)->stdoutFd(), "started", 5000) == "started\n");
  CHECK(markerRunning(marker));
  (*proc)->kill();
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !markerRunning(marker);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gone);
  REQUIRE((*proc)->exitStatus());
}

TEST_CASE("writing to a process that stopped reading times out; to one that exited fails", "[sandbox][spawn]") {
  SandboxSpec spec;
  spec.argv = {"sleep", "30"};
  auto proc = spawnSandboxed(spec);
  REQUIRE(proc);
  std::string big(1 << 20, 'x');
  auto w = (*proc)->writeInput(big, 200);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == ErrorCode::Timeout);
  (*proc)->kill();
  auto again = (*proc)->writeInput("x\n", 200);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::IoError);
}

TEST_CASE("a missing sandboxed command exits 127; unsandboxed it is refused", "[sandbox][spawn]") {
  SandboxSpec spec;
  spec.argv = {"no-such-command-cadre"};
  auto proc = spawnSandboxed(spec);
  REQUIRE(proc);
  for (int i = 0; i < 250 && !(*proc)->exitStatus(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE((*proc)->exitStatus());
  CHECK(*(*proc)->exitStatus() != 0);
  spec.unsandboxed = true;
  auto refused = spawnSandboxed(spec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::InvalidParams);
}
