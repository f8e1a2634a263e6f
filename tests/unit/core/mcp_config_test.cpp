// `mcpServers` in config: the shape other MCP hosts write, cadre's own keys,
// and the trust rules for a project's file.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/core/config.hpp"
#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::core;
namespace fs = std::filesystem;

namespace {

struct Files {
  fs::path path;
  Files() {
    char tmpl[] = "/tmp/cadre-mcp-config-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Files() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
  LoadedConfig load() { return loadConfig({path / "proj"}, path / "user.json"); }
};

std::vector<std::string> errors(const LoadedConfig& c) {
  std::vector<std::string> out;
  for (const auto& d : c.diagnostics) out.push_back(d.key + ": " + d.message);
  return out;
}

bool mentions(const std::vector<std::string>& list, const std::string& part) {
  for (const auto& s : list)
    if (s.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("mcpServers: stdio and HTTP servers as other MCP hosts write them", "[config][mcp]") {
  Files f;
  f.write("user.json", R"({
    "mcpServers": {
      "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/w"],
             "env": {"TOKEN": "${GITHUB_TOKEN}"}, "sandbox": false, "autoApprove": ["read_file"], "timeoutSeconds": 5},
      "remote": {"type": "http", "url": "http://127.0.0.1:3001/mcp", "headers": {"Authorization": "Bearer ${MCP_TOKEN}"}}
    }})");
  auto c = f.load();
  CHECK(c.diagnostics.empty());
  REQUIRE(c.config.mcpServers.size() == 2);
  const auto& fs0 = c.config.mcpServers[0];
  CHECK(fs0.name == "fs");
  CHECK(fs0.transport == mcp::TransportKind::Stdio);
  CHECK(fs0.args.size() == 3);
  CHECK(fs0.env[0].second == "${GITHUB_TOKEN}");  // expanded when the server starts
  CHECK_FALSE(fs0.sandbox);
  CHECK(fs0.autoApprove == std::vector<std::string>{"read_file"});
  CHECK(fs0.callTimeoutMs == 5000);
  CHECK_FALSE(fs0.fromProject);
  const auto& remote = c.config.mcpServers[1];
  CHECK(remote.transport == mcp::TransportKind::Http);
  CHECK(remote.headers[0].first == "Authorization");
}

TEST_CASE("mcpServers: a project may add sandboxed servers, not loosen or redefine", "[config][mcp]") {
  Files f;
  f.write("user.json", R"({"mcpServers": {"fs": {"command": "mine"}}})");
  f.write("proj/.cadre/config.json", R"({"mcpServers": {
      "fs": {"command": "theirs"},
      "tool": {"command": "./bin/server", "args": ["--x"], "sandbox": false, "network": true, "autoApprove": ["*"],
               "env": {"K": "${OPENAI_API_KEY}"}},
      "web": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${SECRET}"}}
  }})");
  auto c = f.load();
  auto e = errors(c);
  CHECK(mentions(e, "mcpServers.fs.command: the MCP server 'fs' is already defined by"));
  CHECK(mentions(e, "mcpServers.tool.sandbox: may only be set in the user config"));
  CHECK(mentions(e, "mcpServers.tool.network: may only be set in the user config"));
  CHECK(mentions(e, "mcpServers.tool.autoApprove: may only be set in the user config"));
  CHECK(mentions(e, "mcpServers.tool.env: a project's config may not read the user's environment"));
  CHECK(mentions(e, "mcpServers.web.headers: a project's config may not read the user's environment"));
  REQUIRE(c.config.mcpServers.size() == 3);
  CHECK(c.config.mcpServers[0].command == "mine");
  const auto& tool = c.config.mcpServers[1];
  CHECK(tool.fromProject);
  CHECK(tool.sandbox);  // the refused keys kept their defaults
  CHECK_FALSE(tool.network);
  CHECK(tool.autoApprove.empty());
}

TEST_CASE("mcpServers: shapes that cannot work are errors naming the key", "[config][mcp]") {
  Files f;
  f.write("user.json", R"({"mcpServers": {
      "both": {"command": "a", "url": "http://127.0.0.1/mcp"},
      "none": {"args": []},
      "old": {"type": "sse", "url": "http://127.0.0.1/sse"},
      "bad env": {"command": "a"},
      "e": {"command": "a", "env": {"1X": "y"}, "extra": 1}
  }})");
  auto e = errors(f.load());
  CHECK(mentions(e, "mcpServers.both.url: a server has either a command"));
  CHECK(mentions(e, "mcpServers.none.command: a server needs a command"));
  CHECK(mentions(e, "mcpServers.old.type: the older HTTP+SSE transport"));
  CHECK(mentions(e, "mcpServers.bad env.command: server names are letters"));
  CHECK(mentions(e, "mcpServers.e.env: '1X' is not an environment variable name"));
  CHECK(mentions(e, "mcpServers.e.extra: unknown setting"));
}
