// The tool dispatcher: argument checks, the Gate before every tool, one
// audit entry per call; and the built-in tools' output on a real tree.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/agent/tools.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::agent;

namespace {

struct Fixture {
  fs::path dir;
  std::vector<std::pair<std::string, nlohmann::json>> audit;
  std::unique_ptr<security::Gate> gate;
  ToolRegistry tools = builtinTools();

  Fixture() {
    char tmpl[] = "/tmp/cadre-tools-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(dir / "src");
    fs::create_directories(dir / "build");
    std::ofstream(dir / "src/app.py") << "TOKEN_NAME = 'API_KEY'\n";
    std::ofstream(dir / ".env") << "API_KEY=sk-secret-value-123456\n";
    std::ofstream(dir / "build/out.txt") << "API_KEY in a build artefact\n";
    std::ofstream(dir / ".gitignore") << "build/\n";
    auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{dir}, {}, dir / "nohome"});
    gate = std::make_unique<security::Gate>(security::GateConfig{}, policy, nullptr, nullptr,
                                            [this](std::string_view k, nlohmann::json f) { audit.emplace_back(k, std::move(f)); });
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Expected<ToolOutput> call(const std::string& name, nlohmann::json args, std::string role = "executor") {
    ToolContext ctx{*gate, security::Actor{"test-model", role}, nullptr, {}};
    return tools.call(name, args, ctx);
  }
};

}  // namespace

TEST_CASE("tools: arguments are checked against the schema", "[tools]") {
  Fixture f;
  CHECK(f.call("nope", nlohmann::json::object()).error().code == ErrorCode::MethodNotFound);
  CHECK(f.call("read_file", nlohmann::json::object()).error().message == "read_file: missing argument 'path'");
  CHECK(f.call("read_file", {{"path", 3}}).error().message == "read_file: argument 'path' must be a string");
  CHECK(f.call("read_file", {{"path", "src/app.py"}, {"approved", true}}).error().message ==
        "read_file: unknown argument 'approved'");
  CHECK(f.call("read_file", nlohmann::json::array()).error().code == ErrorCode::InvalidParams);
}

TEST_CASE("tools: every call is audited, refused or not", "[tools]") {
  Fixture f;
  REQUIRE(f.call("read_file", {{"path", "src/app.py"}}));
  REQUIRE_FALSE(f.call("read_file", {{"path", ".env"}}));
  REQUIRE_FALSE(f.call("run_command", {{"command", "ls"}}, "reviewer"));
  std::vector<std::string> kinds;
  for (auto& [k, e] : f.audit) kinds.push_back(k);
  CHECK(kinds == std::vector<std::string>{"tool_call", "policy_denied", "tool_call", "policy_denied", "tool_call"});
  CHECK(f.audit[0].second["ok"] == true);
  CHECK(f.audit[0].second["model"] == "test-model");
  CHECK(f.audit[2].second["ok"] == false);
  CHECK(f.audit[4].second["role"] == "reviewer");
}

TEST_CASE("tools: list and search leave out secrets and ignored files", "[tools]") {
  Fixture f;
  auto list = f.call("list_files", nlohmann::json::object());
  REQUIRE(list);
  CHECK(list->text.find(".env") == std::string::npos);
  CHECK(list->text.find("(1 deny-listed entry not shown)") != std::string::npos);
  CHECK(list->text.find("src/\n") != std::string::npos);
  auto search = f.call("search_files", {{"query", "API_KEY"}});
  REQUIRE(search);
  CHECK(search->text == "src/app.py:1: TOKEN_NAME = 'API_KEY'\n");
  CHECK(f.call("search_files", {{"query", "zzz-not-there"}})->text == "no matches\n");
}
