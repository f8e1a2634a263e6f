// Misbehaving MCP servers (tests/fixtures/mcp/): each failure gives the
// caller a clear error within its timeout, the server is restarted with
// backoff, and cadre neither hangs nor crashes nor leaves processes behind.
#include <fstream>

#include "tests/unit/mcp/world.hpp"

using namespace cadre;
using namespace cadre::mcp;
using namespace cadre::mcp::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  UNSCOPED_INFO("'" << text << "' does not contain '" << part << "'");
  return false;
}

bool running(const std::string& script) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(script) != std::string::npos && cmd.find("python") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a server that crashes mid-call: the caller hears why, the server comes back", "[mcp][robust]") {
  World w;
  auto m = w.manager({World::fixture("crashy", "crash.py")});
  auto c = m->client("crashy");
  REQUIRE(c->status().state == ServerState::Ready);
  auto r = c->callTool("boom", json::object());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Unavailable);
  CHECK(contains(r.error().message, "stopped during the call"));
  CHECK(contains(r.error().message, "exited with code 3"));
  CHECK(contains(r.error().message, "crashing on purpose"));
  REQUIRE(eventually([&] { return c->status().state == ServerState::Ready; }));
  CHECK(c->status().restarts == 1);
  auto again = c->callTool("echo", json::object());
  REQUIRE(again);
  CHECK((*again)["content"][0]["text"] == "still here");
}

TEST_CASE("a server that is down answers at once with its reason and the next attempt", "[mcp][robust]") {
  World w;
  auto options = World::fast();
  options.client.restartBaseMs = 5000;  // no restart during this test
  auto m = w.manager({World::fixture("crashy", "crash.py")}, options);
  auto c = m->client("crashy");
  REQUIRE_FALSE(c->callTool("boom", json::object()));
  auto start = Clock::now();
  auto r = c->callTool("echo", json::object());
  REQUIRE_FALSE(r);
  CHECK(Clock::now() - start < std::chrono::milliseconds(200));
  CHECK(contains(r.error().message, "is not available: MCP server 'crashy' exited with code 3"));
  CHECK(contains(r.error().message, "cadre restarts it automatically (next attempt in"));
}

TEST_CASE("a server printing garbage on stdout is stopped and says why; a few lines are tolerated", "[mcp][robust]") {
  World w;
  auto m = w.manager({World::fixture("noisy", "garbage.py"), World::fixture("banner", "garbage.py", {"--lines", "5"})});
  auto noisy = m->client("noisy")->status();
  CHECK(noisy.state == ServerState::Failed);
  CHECK(contains(noisy.error, "lines that are not JSON-RPC on stdout"));
  CHECK(contains(noisy.error, "this is not JSON-RPC"));
  auto banner = m->client("banner");
  REQUIRE(banner->status().state == ServerState::Ready);
  CHECK(banner->callTool("echo", json::object()));
}

TEST_CASE("a server that never answers initialize fails within its startup timeout", "[mcp][robust]") {
  World w;
  auto config = World::fixture("mute", "hang_init.py");
  config.startupTimeoutMs = 800;
  auto start = Clock::now();
  auto m = w.manager({config});
  CHECK(Clock::now() - start < std::chrono::milliseconds(2500));
  auto s = m->client("mute")->status();
  // Failed, or already restarting after its 200 ms backoff (a slow build,
  // e.g. under TSan, gets here later): either way the failure is recorded.
  CHECK((s.state == ServerState::Failed || s.failures >= 1));
  CHECK(contains(s.error, "did not answer initialize within 0.8 s"));
  // Restarted with backoff, failing again each time, without piling up.
  REQUIRE(eventually([&] { return m->client("mute")->status().failures >= 2; }));
  auto r = m->client("mute")->callTool("anything", json::object());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Unavailable);
  m.reset();
  CHECK(eventually([] { return !running("hang_init.py"); }, 3000));
}

TEST_CASE("a server that hangs mid-call: timeout, cancelled, restarted when it stops answering ping", "[mcp][robust]") {
  World w;
  auto config = World::fixture("stuck", "hang_call.py");
  config.callTimeoutMs = 500;
  auto m = w.manager({config});
  auto c = m->client("stuck");

  // Still alive (answers ping): cancelled, kept.
  auto start = Clock::now();
  auto stalled = c->callTool("stall", json::object());
  REQUIRE_FALSE(stalled);
  CHECK(stalled.error().code == ErrorCode::Timeout);
  CHECK(contains(stalled.error().message, "did not answer stall within 0.5 s; the call was cancelled (the server still answers ping)"));
  CHECK(Clock::now() - start < std::chrono::milliseconds(2000));
  // The server was told (notifications/cancelled, with the reason).
  CHECK(eventually([&] { return c->stderrTail().find(": no answer to tools/call within 0.5 s") != std::string::npos; }));
  CHECK(c->status().state == ServerState::Ready);
  REQUIRE(c->callTool("echo", json::object()));

  // Frozen: stopped and restarted.
  auto frozen = c->callTool("hang", json::object());
  REQUIRE_FALSE(frozen);
  CHECK(frozen.error().code == ErrorCode::Timeout);
  CHECK(contains(frozen.error().message, "no longer answers ping: cadre stopped it and restarts it automatically"));
  REQUIRE(eventually([&] { return c->status().state == ServerState::Ready; }));
  CHECK(c->callTool("echo", json::object()));
  m.reset();
  CHECK(eventually([] { return !running("hang_call.py"); }, 3000));
}

TEST_CASE("a server flooding its output is stopped: an endless line, a storm of messages", "[mcp][robust]") {
  World w;
  auto options = World::fast();
  options.stdio.maxMessageBytes = 1u << 20;
  options.stdio.maxMessagesPerSecond = 2000;
  auto m = w.manager({World::fixture("flood", "flood.py")}, options);
  auto c = m->client("flood");
  auto line = c->callTool("line", json::object());
  REQUIRE_FALSE(line);
  CHECK(contains(line.error().message, "wrote more than 1 MiB on stdout without ending the line"));
  REQUIRE(eventually([&] { return c->status().state == ServerState::Ready; }));
  auto storm = c->callTool("messages", json::object());
  REQUIRE_FALSE(storm);
  CHECK(contains(storm.error().message, "messages in one second (flooding)"));
  REQUIRE(eventually([&] { return c->status().state == ServerState::Ready; }));
}

TEST_CASE("a server that cannot start says why", "[mcp][robust]") {
  World w;
  ServerConfig missing;
  missing.name = "missing";
  missing.command = "no-such-mcp-server-cadre";
  missing.startupTimeoutMs = 3000;
  auto m = w.manager({missing});
  auto s = m->client("missing")->status();
  CHECK(s.state == ServerState::Failed);
  CHECK(contains(s.error, "MCP server 'missing' exited with code 1"));
  CHECK(contains(s.error, "no-such-mcp-server-cadre: No such file or directory"));
}
