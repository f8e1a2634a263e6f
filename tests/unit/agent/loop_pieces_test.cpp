// The agent loop's pieces that need no model: file claims between workers,
// the worker split of a plan, compaction's cut and summary note, lifecycle
// hooks run for real through the Gate and the sandbox, and the memory append
// the user approves or declines.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/agent/claims.hpp"
#include "server/agent/context.hpp"
#include "server/agent/coordinator.hpp"
#include "server/agent/hooks.hpp"
#include "server/agent/memory.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::agent;
using nlohmann::json;

namespace {

struct Project {
  fs::path dir;
  std::vector<std::pair<std::string, json>> audit;
  std::unique_ptr<security::Gate> gate;

  explicit Project(std::shared_ptr<security::Approver> approver = nullptr, security::ApprovalMode mode = security::ApprovalMode::Ask) {
    char tmpl[] = "/tmp/cadre-loop-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    std::ofstream(dir / "app.py") << "x = 1\n";
    auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{dir}, {}, dir / "nohome"});
    security::GateConfig config;
    config.mode = mode;
    gate = std::make_unique<security::Gate>(config, policy, nullptr, std::move(approver),
                                            [this](std::string_view k, json f) { audit.emplace_back(k, std::move(f)); });
  }
  ~Project() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::vector<json> entries(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& [k, e] : audit)
      if (k == kind) out.push_back(e);
    return out;
  }
};

class ScriptedApprover : public security::Approver {
 public:
  explicit ScriptedApprover(security::ApprovalChoice choice) : choice_(choice) {}
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& r, const std::atomic<bool>*) override {
    asked.push_back(r);
    return security::ApprovalAnswer{choice_, choice_ == security::ApprovalChoice::Deny ? "not this one" : ""};
  }
  std::vector<security::ApprovalRequest> asked;

 private:
  security::ApprovalChoice choice_;
};

models::ChatMessage msg(models::Role role, std::string text, std::vector<models::ToolCall> calls = {}) {
  models::ChatMessage m;
  m.role = role;
  m.content = std::move(text);
  m.toolCalls = std::move(calls);
  if (role == models::Role::Tool) m.toolName = "read_file";
  return m;
}

}  // namespace

TEST_CASE("claims: a file is one worker's; a conflicting claim names the holder", "[agent][claims]") {
  FileClaims claims;
  claims.setNamer([](const fs::path& p) { return p.filename().string(); });
  REQUIRE(claims.claim("implementation", {"/p/calc.py"}));
  REQUIRE(claims.claim("tests", {"/p/test_calc.py"}));
  CHECK(claims.claim("implementation", {"/p/calc.py"}).ok());  // again: fine
  auto conflict = claims.claim("tests", {"/p/README.md", "/p/calc.py"});
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().message.find("calc.py is claimed by the worker 'implementation'") == 0);
  CHECK_FALSE(claims.holder("/p/README.md"));  // all or nothing
  CHECK(claims.checkWrite("tests", "/p/test_calc.py"));
  CHECK(claims.checkWrite("tests", "/p/calc.py").error().message.find("claimed by the worker 'implementation'") != std::string::npos);
  CHECK(claims.checkWrite("docs", "/p/README.md").error().message.find("call claim_files") != std::string::npos);
  CHECK(claims.byWorker()["tests"] == std::vector<std::string>{"test_calc.py"});
}

TEST_CASE("claims: the files a shadow edit would change", "[agent][claims]") {
  CHECK(*pathsWritten("write_file", {{"path", "a.py"}, {"content", ""}}) == std::vector<std::string>{"a.py"});
  CHECK(*pathsWritten("rename_file", {{"from", "a.py"}, {"to", "b.py"}}) == std::vector<std::string>{"a.py", "b.py"});
  auto edits = pathsWritten("edit_file", {{"edits", "src/a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
                                                     "b.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"}});
  CHECK(*edits == std::vector<std::string>{"src/a.py", "b.py"});
  CHECK_FALSE(pathsWritten("some_new_writer", json::object()));
}

TEST_CASE("coordinator: steps grouped by worker kind; one kind means no workers", "[agent][coordinator]") {
  json plan = {{"steps",
                {{{"title", "add mul"}, {"files", {"calc.py"}}, {"worker", "implementation"}},
                 {{"title", "test mul"}, {"files", {"test_calc.py"}}, {"worker", "Tests"}},
                 {{"title", "export mul"}, {"files", {"calc.py", "__init__.py"}}}}}};
  auto w = assignWorkers(plan, 3);
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "implementation");
  CHECK(w[0].steps.size() == 2);  // a step without a worker is implementation's
  CHECK(w[0].files == std::vector<std::string>{"calc.py", "__init__.py"});
  CHECK(w[1].name == "tests");
  CHECK(assignWorkers({{"steps", {{{"title", "a"}}, {{"title", "b"}, {"worker", "implementation"}}}}}, 3).empty());
  auto capped = assignWorkers({{"steps", {{{"worker", "a"}}, {{"worker", "b"}}, {{"worker", "c"}}}}}, 2);
  REQUIRE(capped.size() == 2);
  CHECK(capped[0].steps.size() == 2);  // beyond maxWorkers: to the first
}

TEST_CASE("context: compaction keeps the pinned head and the last turns whole", "[agent][context]") {
  std::vector<models::ChatMessage> m = {
      msg(models::Role::System, "system"), msg(models::Role::User, "task and plan"),
      msg(models::Role::Assistant, "", {{"c1", "read_file", "{\"path\":\"a.py\"}"}}), msg(models::Role::Tool, std::string(4000, 'a')),
      msg(models::Role::Assistant, "", {{"c2", "read_file", "{\"path\":\"b.py\"}"}}), msg(models::Role::Tool, std::string(4000, 'b')),
      msg(models::Role::Assistant, "", {{"c3", "read_file", "{\"path\":\"c.py\"}"}}), msg(models::Role::Tool, "short"),
      msg(models::Role::Assistant, "", {{"c4", "read_file", "{\"path\":\"d.py\"}"}}), msg(models::Role::Tool, "short")};
  auto range = compactionRange(m, 2, 2);
  REQUIRE(range);
  CHECK(range->first == 2);
  CHECK(range->second == 6);  // the tail starts at the second-last assistant turn
  CHECK_FALSE(compactionRange(m, 2, 4));  // nothing left between head and tail
  const auto before = estimateTokens(m);
  std::string d = digest(m, range->first, range->second);
  CHECK(d.find("- called read_file {\"path\":\"a.py\"}") != std::string::npos);
  replaceWithSummary(m, range->first, range->second, d, {"use pytest"});
  REQUIRE(m.size() == 7);
  CHECK(m[1].content == "task and plan");
  CHECK(m[2].role == models::Role::User);
  CHECK(m[2].content.find("Decisions proposed so far (keep them):\n- use pytest") != std::string::npos);
  CHECK(m[3].toolCalls[0].id == "c3");
  CHECK(estimateTokens(m) < before / 3);
}

TEST_CASE("context: text cut to a token budget says so", "[agent][context]") {
  std::string map;
  for (int i = 0; i < 100; ++i) map += "def function_" + std::to_string(i) + "(): ...\n";
  std::string cut = fitToTokens(map, 50, "the map");
  CHECK(estimateTokens(cut) < 80);
  CHECK(cut.find("[the map cut to fit the model's context window:") != std::string::npos);
  CHECK(cut.find("def function_0(): ...\n") == 0);
  CHECK(fitToTokens("short\n", 50, "x") == "short\n");
}

TEST_CASE("hooks: a preTool hook's verdict", "[agent][hooks]") {
  CHECK_FALSE(judgePreToolRun("h", 0, "", "").blocked);
  CHECK_FALSE(judgePreToolRun("h", 0, "{\"block\": false}", "").blocked);
  auto code = judgePreToolRun("h", 2, "", "no deletes here\n");
  CHECK(code.blocked);
  CHECK(code.reason == "no deletes here");
  auto said = judgePreToolRun("h", 0, "{\"block\": \"tests are frozen\"}", "noise");
  CHECK(said.blocked);
  CHECK(said.reason == "tests are frozen");
  CHECK(judgePreToolRun("h", 1, "", "").reason == "the preTool hook exited with 1");
}

TEST_CASE("hooks: run sandboxed with the call on stdin, block, and are audited", "[agent][hooks]") {
  if (!security::probeSandbox().available) FAIL("bubblewrap is not available: " << security::probeSandbox().message);
  Project p;
  HookSettings settings;
  // Blocks delete_file, reading the tool name from the JSON on stdin.
  settings.commands.push_back({"preTool",
                               "python3 -c 'import json,sys; c=json.load(sys.stdin); "
                               "print(json.dumps({\"block\": \"no deleting \" + c[\"arguments\"][\"path\"]}) "
                               "if c[\"tool\"] == \"delete_file\" else \"\")'",
                               {}, false, "user config"});
  settings.commands.push_back({"postTool", "cat > /dev/null; exit 3", {"write_file"}, false, "user config"});
  Hooks hooks(*p.gate, settings, "t1");
  auto allowed = hooks.run("preTool", {{"tool", "read_file"}, {"arguments", {{"path", "app.py"}}}}, "read_file", nullptr);
  CHECK_FALSE(allowed.blocked);
  REQUIRE(allowed.runs.size() == 1);
  auto blocked = hooks.run("preTool", {{"tool", "delete_file"}, {"arguments", {{"path", "app.py"}}}}, "delete_file", nullptr);
  CHECK(blocked.blocked);
  CHECK(blocked.reason == "no deleting app.py");
  // postTool never blocks; its filter keeps it to write_file.
  CHECK(hooks.run("postTool", {{"tool", "read_file"}}, "read_file", nullptr).runs.empty());
  auto post = hooks.run("postTool", {{"tool", "write_file"}, {"result", {{"ok", true}}}}, "write_file", nullptr);
  CHECK_FALSE(post.blocked);
  CHECK(post.runs[0]["exitCode"] == 3);
  auto audited = p.entries("hook");
  REQUIRE(audited.size() == 3);
  CHECK(audited[1]["blocked"] == true);
  CHECK(audited[1]["task"] == "t1");
  CHECK(audited[1]["reason"] == "no deleting app.py");
  CHECK(p.entries("command").size() == 3);  // each ran through the Gate's sandboxed runCommand
  CHECK(p.entries("command")[0]["sandboxed"] == true);
}

TEST_CASE("hooks: a guard that cannot run blocks; a project's declined hook is skipped", "[agent][hooks]") {
  if (!security::probeSandbox().available) FAIL("bubblewrap is not available: " << security::probeSandbox().message);
  auto approver = std::make_shared<ScriptedApprover>(security::ApprovalChoice::Deny);
  Project p(approver);
  HookSettings settings;
  settings.timeoutSeconds = 1;
  settings.commands.push_back({"preTool", "sleep 5", {}, false, "user config"});
  auto slow = Hooks(*p.gate, settings, "t").run("preTool", {{"tool", "read_file"}}, "read_file", nullptr);
  CHECK(slow.blocked);
  CHECK(slow.reason == "the preTool hook timed out after 1 s");
  settings.commands = {{"preTool", "exit 1", {}, true, "project config"}};
  auto declined = Hooks(*p.gate, settings, "t").run("preTool", {{"tool", "read_file"}}, "read_file", nullptr);
  CHECK_FALSE(declined.blocked);
  CHECK(declined.runs[0]["skipped"] == true);
  REQUIRE(approver->asked.size() == 1);  // a project's hook is put to the user
  CHECK(approver->asked[0].command == "exit 1");
}

TEST_CASE("memory: decisions shaped into one MEMORY.md entry", "[agent][memory]") {
  auto d = decisionsFrom(json::array({"Use pytest", {{"decision", "Money is Decimal"}, {"why", "no float rounding"}}, "  ", 3}));
  CHECK(d == std::vector<std::string>{"Use pytest", "Money is Decimal (why: no float rounding)"});
  CHECK(decisionsFrom(std::string(600, 'x')).empty());
  CHECK(memoryEntry("t1", "Add mul\nand tests", d, "2026-01-02") ==
        "\n## 2026-01-02 — t1: Add mul and tests\n\n- Use pytest\n- Money is Decimal (why: no float rounding)\n");
}

TEST_CASE("memory: appended only once the user approves, audited", "[agent][memory]") {
  auto no = std::make_shared<ScriptedApprover>(security::ApprovalChoice::Deny);
  Project declined(no);
  fs::create_directories(declined.dir / ".cadre");
  std::ofstream(declined.dir / ".cadre/MEMORY.md") << "# Memory\n- tabs\n";
  auto refused = declined.gate->appendProjectMemory({"m", "executor"}, "- use pytest\n", "why");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::Unauthorized);
  CHECK(cadre::testing::readFileText(declined.dir / ".cadre/MEMORY.md") == "# Memory\n- tabs\n");
  REQUIRE(no->asked.size() == 1);
  CHECK(no->asked[0].diff.find("@@ -2,0 +3,1 @@\n+- use pytest\n") != std::string::npos);
  CHECK(declined.entries("memory_appended").empty());

  auto yes = std::make_shared<ScriptedApprover>(security::ApprovalChoice::AllowOnce);
  Project approved(yes);
  REQUIRE(approved.gate->appendProjectMemory({"m", "executor"}, "- use pytest\n", "why"));
  CHECK(cadre::testing::readFileText(approved.dir / ".cadre/MEMORY.md") == "- use pytest\n");  // created
  REQUIRE(approved.entries("memory_appended").size() == 1);
  CHECK(approved.entries("memory_appended")[0]["model"] == "m");

  Project readOnly(yes, security::ApprovalMode::ReadOnly);
  CHECK_FALSE(readOnly.gate->appendProjectMemory({"m", "executor"}, "- x\n", "why"));
  CHECK_FALSE(fs::exists(readOnly.dir / ".cadre/MEMORY.md"));
}
