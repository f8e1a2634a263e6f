// The real MCP servers from npm (pinned in tests/e2e/package.json, installed
// by scripts/bootstrap): @modelcontextprotocol/server-everything over stdio
// and over Streamable HTTP, and @modelcontextprotocol/server-filesystem,
// each listed and called through the Gate from cadre's sandbox.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "server/mcp/tool_bridge.hpp"
#include "tests/unit/mcp/world.hpp"

extern char** environ;

using namespace cadre;
using namespace cadre::mcp;
using namespace cadre::mcp::testing;
using json = nlohmann::json;

namespace {

fs::path package(const std::string& name) {
  fs::path p = nodeModules() / "@modelcontextprotocol" / name / "dist/index.js";
  if (!fs::exists(p)) FAIL("missing " << p << ": run scripts/bootstrap (npm ci in tests/e2e)");
  return p;
}

ServerConfig npmServer(const std::string& name, const std::string& pkg, std::vector<std::string> args) {
  ServerConfig c;
  c.name = name;
  c.command = "node";
  c.args = {package(pkg).string()};
  c.args.insert(c.args.end(), args.begin(), args.end());
  c.paths = {nodeModules().string()};
  c.callTimeoutMs = 10000;
  c.startupTimeoutMs = 15000;
  return c;
}

std::vector<std::string> toolNames(const ServerStatus& s) {
  std::vector<std::string> names;
  for (const auto& t : s.tools) names.push_back(t.name);
  return names;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string firstText(const json& result) { return result["content"][0].value("text", ""); }

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// server-everything's Streamable HTTP transport, run by the test itself.
class HttpServer {
 public:
  HttpServer() : port_(freePort()) {
    std::string script = package("server-everything").string();
    std::string portEnv = "PORT=" + std::to_string(port_);
    std::vector<char*> env;
    for (char** e = environ; *e; ++e) env.push_back(*e);
    env.push_back(portEnv.data());
    env.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);  // it logs every request on stdout
    const char* argv[] = {"node", script.c_str(), "streamableHttp", nullptr};
    REQUIRE(posix_spawnp(&pid_, "node", &actions, nullptr, const_cast<char* const*>(argv), env.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(eventually([&] { return accepts(port_); }, 15000));
  }
  ~HttpServer() {
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/mcp"; }

 private:
  int port_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("server-everything over stdio: lists tools, resources and prompts; calls with progress", "[mcp][npm]") {
  World w;
  auto m = w.manager({npmServer("everything", "server-everything", {"stdio"})});
  auto s = m->client("everything")->status();
  INFO(s.error);
  REQUIRE(s.state == ServerState::Ready);
  CHECK(s.protocolVersion == "2025-11-25");
  auto names = toolNames(s);
  CHECK(has(names, "echo"));
  CHECK(has(names, "get-sum"));
  CHECK(has(names, "trigger-long-running-operation"));
  CHECK(s.resources.size() > 0);
  CHECK(s.prompts.size() > 0);

  auto c = m->client("everything");
  auto echo = c->callTool("echo", {{"message", "hello cadre"}});
  REQUIRE(echo);
  CHECK(firstText(*echo) == "Echo: hello cadre");
  auto sum = c->callTool("get-sum", {{"a", 2}, {"b", 3}});
  REQUIRE(sum);
  CHECK(firstText(*sum).find("5") != std::string::npos);
  int progress = 0;
  CallOptions options;
  options.onProgress = [&](const json&) { ++progress; };
  auto slow = c->callTool("trigger-long-running-operation", {{"duration", 0.4}, {"steps", 2}}, options);
  REQUIRE(slow);
  CHECK(progress == 2);

  // Through the agent's registry and the Gate.
  agent::ToolRegistry registry;
  registerTools(registry, m);
  REQUIRE(registry.find("everything__get-sum"));
  agent::ToolContext ctx{*w.gate, security::Actor{"model", "executor"}};
  w.person->answers = {security::ApprovalChoice::AllowOnce};
  auto viaGate = registry.call("everything__echo", {{"message", "via the gate"}}, ctx);
  REQUIRE(viaGate);
  CHECK(viaGate->text == "Echo: via the gate");
  CHECK(w.person->count() == 1);
  CHECK(w.audited("tool_call", "everything__echo"));
}

TEST_CASE("server-filesystem: reads inside the roots; .env and paths outside never reach it", "[mcp][npm]") {
  World w;
  auto config = npmServer("fs", "server-filesystem", {w.project.string()});
  config.readOnlyTools = {"read_text_file", "read_multiple_files", "list_directory"};
  auto m = w.manager({config});
  auto s = m->client("fs")->status();
  INFO(s.error);
  REQUIRE(s.state == ServerState::Ready);
  auto names = toolNames(s);
  CHECK(has(names, "read_text_file"));
  CHECK(has(names, "write_file"));
  CHECK(has(names, "list_directory"));

  agent::ToolRegistry registry;
  registerTools(registry, m);
  agent::ToolContext ctx{*w.gate, security::Actor{"model", "executor"}};

  w.person->answers = {security::ApprovalChoice::AllowOnce};
  auto ok = registry.call("fs__read_text_file", {{"path", (w.project / "src/app.py").string()}}, ctx);
  REQUIRE(ok);
  CHECK(ok->text.find("hello from the project") != std::string::npos);
  CHECK(w.person->count() == 1);

  // Deny-listed: refused before anyone is asked or the server sees it.
  auto secret = registry.call("fs__read_text_file", {{"path", (w.project / ".env").string()}}, ctx);
  REQUIRE_FALSE(secret);
  CHECK(secret.error().code == ErrorCode::Unauthorized);
  auto several = registry.call("fs__read_multiple_files", {{"paths", {(w.project / "src/app.py").string(), ".env"}}}, ctx);
  REQUIRE_FALSE(several);
  CHECK(several.error().message.find("/paths/1") != std::string::npos);
  CHECK(w.person->count() == 1);

  // Outside the roots: a read is put to the user (declined here) …
  w.person->answers = {security::ApprovalChoice::Deny};
  auto outside = registry.call("fs__read_text_file", {{"path", (w.dir / "outside.txt").string()}}, ctx);
  REQUIRE_FALSE(outside);
  CHECK(outside.error().code == ErrorCode::Unauthorized);
  REQUIRE(w.person->count() == 2);
  CHECK(w.person->asked[1].kind == security::ApprovalKind::OutsidePath);
  // … and a write is refused outright, as are writes into .git/.
  auto write = registry.call("fs__write_file", {{"path", (w.dir / "new.txt").string()}, {"content", "x"}}, ctx);
  REQUIRE_FALSE(write);
  CHECK(write.error().message.find("never write there") != std::string::npos);
  auto hook = registry.call("fs__write_file", {{"path", (w.project / ".git/hooks/pre-commit").string()}, {"content", "x"}}, ctx);
  REQUIRE_FALSE(hook);
  CHECK(w.person->count() == 2);
  CHECK_FALSE(fs::exists(w.dir / "new.txt"));
  CHECK(w.audited("policy_denied", ".env"));
}

TEST_CASE("server-everything over Streamable HTTP: session, SSE answers, progress", "[mcp][npm][http]") {
  HttpServer server;
  World w;
  ServerConfig config;
  config.name = "remote";
  config.transport = TransportKind::Http;
  config.url = server.url();
  config.startupTimeoutMs = 10000;
  config.callTimeoutMs = 10000;
  auto m = w.manager({config});
  auto c = m->client("remote");
  auto s = c->status();
  INFO(s.error);
  REQUIRE(s.state == ServerState::Ready);
  CHECK(s.protocolVersion == "2025-11-25");
  CHECK(has(toolNames(s), "echo"));
  auto echo = c->callTool("echo", {{"message", "over http"}});
  REQUIRE(echo);
  CHECK(firstText(*echo) == "Echo: over http");
  int progress = 0;
  CallOptions options;
  options.onProgress = [&](const json&) { ++progress; };
  REQUIRE(c->callTool("trigger-long-running-operation", {{"duration", 0.4}, {"steps", 2}}, options));
  CHECK(progress == 2);
  REQUIRE(c->ping(2000));
}

TEST_CASE("security.localOnly refuses a non-loopback MCP server before connecting", "[mcp][http]") {
  World w;
  ServerConfig config;
  config.name = "far";
  config.transport = TransportKind::Http;
  config.url = "https://mcp.example.com/mcp";
  auto options = World::fast();
  options.localOnly = true;
  auto m = w.manager({config}, options);
  auto s = m->client("far")->status();
  CHECK(s.state == ServerState::Failed);
  CHECK(s.error.find("localOnly") != std::string::npos);
}
