#include "server/core/config.hpp"

#include <filesystem>
#include <fstream>

#include "tests/support/catch.hpp"

using namespace cadre::core;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("cadre-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
  static inline int counter = 0;
};

std::vector<std::string> formatted(const LoadedConfig& c) {
  std::vector<std::string> out;
  for (const auto& d : c.diagnostics) out.push_back(d.format());
  return out;
}

}  // namespace

TEST_CASE("no files: built-in defaults") {
  TempDir dir;
  LoadedConfig c = loadConfig({dir.path}, dir.path / "absent.json");
  CHECK(c.diagnostics.empty());
  CHECK(c.sources.empty());
  CHECK(c.config.server.maxMessageBytes == 64u << 20);
  CHECK(c.config.log.level == "info");
}

TEST_CASE("project settings layer over user settings") {
  TempDir dir;
  dir.write("user.json", R"({"log": {"level": "debug"}, "server": {"maxOutstandingCalls": 5}})");
  dir.write("proj/.cadre/config.json", "{\n // comment\n \"server\": {\"maxOutstandingCalls\": 9,},\n}");
  LoadedConfig c = loadConfig({dir.path / "proj"}, dir.path / "user.json");
  CHECK(c.diagnostics.empty());
  CHECK(c.sources.size() == 2);
  CHECK(c.config.log.level == "debug");
  CHECK(c.config.server.maxOutstandingCalls == 9);
}

TEST_CASE("unknown keys are warned, bad values are errors naming the key and keep the lower layer") {
  TempDir dir;
  dir.write("user.json", R"({"server": {"maxMessageBytes": 4096}})");
  dir.write("proj/.cadre/config.json",
            R"({"modles": {}, "server": {"maxMessageBytes": "big", "colour": 1}, "log": {"level": "loud"}})");
  LoadedConfig c = loadConfig({dir.path / "proj"}, dir.path / "user.json");
  const std::string file = (dir.path / "proj/.cadre/config.json").string();
  CHECK(formatted(c) == std::vector<std::string>{
                            file + ": log.level: expected one of debug, error, info, off, trace, warn, got string \"loud\"",
                            file + ": server.maxMessageBytes: expected an integer, got string \"big\"",
                            file + ": server.colour: unknown setting (ignored)",
                            file + ": modles: unknown setting (ignored)",
                        });
  CHECK(c.hasErrors());
  CHECK(c.config.server.maxMessageBytes == 4096);
  CHECK(c.config.log.level == "info");
}

TEST_CASE("a file that is not JSONC is one error with its position") {
  TempDir dir;
  dir.write("proj/.cadre/config.json", "{\n  \"log\": {\n    \"level\": info\n  }\n}");
  LoadedConfig c = loadConfig({dir.path / "proj"}, "");
  REQUIRE(c.diagnostics.size() == 1);
  CHECK(c.diagnostics[0].severity == ConfigDiagnostic::Severity::Error);
  CHECK(c.diagnostics[0].message.rfind("3:", 0) == 0);
}

TEST_CASE("range checks name the allowed range") {
  LoadedConfig c;
  applyConfigJson(nlohmann::json::parse(R"({"server": {"maxOutstandingCalls": 0}})"), "editor settings", ConfigScope::Project, c);
  CHECK(formatted(c) == std::vector<std::string>{"editor settings: server.maxOutstandingCalls: expected an integer from 1 to 100000, got 0"});
}

TEST_CASE("a project cannot set where cadre writes logs or which variable holds the token") {
  TempDir dir;
  dir.write("user.json", R"({"log": {"file": "/tmp/user-chosen.log"}})");
  dir.write("proj/.cadre/config.json", R"({"log": {"file": "/home/u/.bashrc"}, "server": {"tokenEnv": "HOME"}})");
  LoadedConfig c = loadConfig({dir.path / "proj"}, dir.path / "user.json");
  CHECK(c.config.log.file == "/tmp/user-chosen.log");
  CHECK(c.config.server.tokenEnv == "CADRE_TOKEN");
  REQUIRE(c.diagnostics.size() == 2);
  CHECK(c.diagnostics[0].key == "log.file");
  CHECK(c.diagnostics[0].message.find("may only be set in the user config") == 0);
  CHECK(c.diagnostics[1].key == "server.tokenEnv");
}

TEST_CASE("key names from files are escaped before they reach a log line") {
  LoadedConfig c;
  applyConfigJson(nlohmann::json::parse(R"({"x\n[error] forged": 1})"), "f", ConfigScope::Project, c);
  REQUIRE(c.diagnostics.size() == 1);
  CHECK(c.diagnostics[0].format() == "f: x\\n[error] forged: unknown setting (ignored)");
}

TEST_CASE("security settings: a project may tighten, never loosen") {
  LoadedConfig c;
  applyConfigJson(nlohmann::json::parse(R"({"security": {"approvalMode": "auto-edit", "deny": ["secrets/"], "commandTimeoutSeconds": 600}})"),
                  "user.json", ConfigScope::User, c);
  CHECK(c.config.security.approvalMode == "auto-edit");
  CHECK(c.config.security.commandTimeoutSeconds == 600);
  CHECK_FALSE(c.hasErrors());
  // The project may ask for more questions, a shorter timeout, more denials.
  applyConfigJson(nlohmann::json::parse(R"({"security": {"approvalMode": "ask", "deny": ["*.tfstate"], "commandTimeoutSeconds": 60, "localOnly": true}})"),
                  "project.json", ConfigScope::Project, c);
  CHECK(c.config.security.approvalMode == "ask");
  CHECK(c.config.security.commandTimeoutSeconds == 60);
  CHECK(c.config.security.deny == std::vector<std::string>{"secrets/", "*.tfstate"});
  CHECK(c.config.security.localOnly);
  CHECK_FALSE(c.hasErrors());
  // …but not fewer, nor switch the sandbox off, nor leave local-only.
  applyConfigJson(nlohmann::json::parse(R"({"security": {"approvalMode": "auto-edit", "sandbox": "off", "localOnly": false, "commandMaxProcesses": 100000}})"),
                  "evil/.vscode/settings.json", ConfigScope::Project, c);
  CHECK(c.config.security.approvalMode == "ask");
  CHECK(c.config.security.sandbox == "on");
  CHECK(c.config.security.localOnly);
  CHECK(c.config.security.commandMaxProcesses == 256);
  std::size_t errors = 0;
  for (const auto& d : c.diagnostics) errors += d.severity == ConfigDiagnostic::Severity::Error;
  CHECK(errors == 4);
}

TEST_CASE("hooks: layers add; a project's are asked, may only shorten the timeout, and bad entries are errors") {
  LoadedConfig c;
  applyConfigJson(nlohmann::json::parse(R"({"hooks": {"preTool": ["~/guard.sh", {"command": "fmt-check", "tools": ["edit_file"]}],
                                                       "timeoutSeconds": 20}})"),
                  "user.json", ConfigScope::User, c);
  CHECK_FALSE(c.hasErrors());
  REQUIRE(c.config.hooks.commands.size() == 2);
  CHECK(c.config.hooks.commands[1].tools == std::vector<std::string>{"edit_file"});
  CHECK_FALSE(c.config.hooks.commands[0].fromProject);
  applyConfigJson(nlohmann::json::parse(R"({"hooks": {"taskEnd": ["make notify"], "timeoutSeconds": 5}})"), "project.json",
                  ConfigScope::Project, c);
  CHECK_FALSE(c.hasErrors());
  REQUIRE(c.config.hooks.commands.size() == 3);  // added, the user's kept
  CHECK(c.config.hooks.commands[2].fromProject);
  CHECK(c.config.hooks.commands[2].event == "taskEnd");
  CHECK(c.config.hooks.timeoutSeconds == 5);
  applyConfigJson(nlohmann::json::parse(R"({"hooks": {"timeoutSeconds": 600, "postTool": [{"command": "x", "when": "always"}], "preTool": [3]}})"),
                  "evil.json", ConfigScope::Project, c);
  CHECK(c.config.hooks.timeoutSeconds == 5);
  CHECK(c.config.hooks.commands.size() == 3);
  CHECK(formatted(c) == std::vector<std::string>{
                           "evil.json: hooks.timeoutSeconds: a project or the editor may make this stricter, not looser; set it in the user config (" +
                               userConfigPath().string() + ")",
                           "evil.json: hooks.preTool: each hook is a command line or {\"command\": \"...\", \"tools\": [...]}",
                           "evil.json: hooks.postTool: unknown key 'when' in a hook (expected command, tools)"});
}
