// Long-running processes on a real terminal in the real sandbox: a REPL
// answers what send_input types, stop_process and the task's end take the
// whole process tree down, a watcher's new output wakes the agent once, and
// deny-listed files stay out of reach.
#include <dirent.h>

#include <chrono>
#include <thread>

#include "server/agent/processes.hpp"
#include "server/security/sandbox.hpp"
#include "tests/support/catch.hpp"
#include "tests/unit/agent/tool_world.hpp"

using namespace cadre;
using namespace cadre::agent;
using cadre::agent::testing::ToolWorld;
using json = nlohmann::json;

namespace {

bool sandboxHere() { return security::probeSandbox().available; }

// Host processes running `sleep SECONDS` (the sandbox's pid namespace
// hides nothing from the host's /proc).
int sleepers(const std::string& seconds) {
  const std::string marker = std::string("sleep") + '\0' + seconds + '\0';
  int n = 0;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd == marker) ++n;
  }
  if (d) ::closedir(d);
  return n;
}

struct Events {
  std::mutex mu;
  std::vector<json> seen;
  std::string text() {
    std::lock_guard lock(mu);
    std::string all;
    for (const auto& e : seen) all += e.value("text", "");
    return all;
  }
};

}  // namespace

TEST_CASE("processes: send_input to a REPL on a terminal and read the answer", "[agent][processes]") {
  REQUIRE(sandboxHere());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  auto events = std::make_shared<Events>();
  auto ctx = w.context();
  ctx.processes = std::make_shared<ProcessTable>([events](const json& e) {
    std::lock_guard lock(events->mu);
    events->seen.push_back(e);
  });
  auto started = w.tools.call("start_process", {{"command", "python3 -q -i"}, {"watch", false}, {"waitSeconds", 5}}, ctx);
  REQUIRE(started);
  INFO(started->text);
  CHECK(started->data["process"] == "p1");
  CHECK(started->data["running"] == true);
  CHECK(started->text.find(">>>") != std::string::npos);  // python sees a terminal: interactive prompt
  auto answer = w.tools.call("send_input", {{"process", "p1"}, {"text", "print(6 * 7, __import__('os').isatty(0))"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(answer);
  INFO(answer->text);
  CHECK(answer->text.find("42 True") != std::string::npos);
  CHECK(events->text().find("42 True") != std::string::npos);  // streamed to the client too
  REQUIRE(w.person->asked.size() == 1);                         // approved like run_command
  CHECK(w.person->asked[0].command == "python3 -q -i");
  auto quit = w.tools.call("send_input", {{"process", "p1"}, {"text", "raise SystemExit(4)"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(quit);
  auto end = w.tools.call("read_output", {{"process", "p1"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(end);
  CHECK(end->data["running"] == false);
  CHECK(end->data["exitCode"] == 4);
  auto late = w.tools.call("send_input", {{"process", "p1"}, {"text", "1"}}, ctx);
  REQUIRE_FALSE(late);
  CHECK(late.error().message.find("has ended") != std::string::npos);
}

TEST_CASE("processes: stop_process and the task's end kill the whole tree", "[agent][processes]") {
  REQUIRE(sandboxHere());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  auto ctx = w.context();
  ctx.processes = std::make_shared<ProcessTable>();
  const std::string a = "9871" + std::to_string(::getpid() % 1000), b = "9872" + std::to_string(::getpid() % 1000);
  auto one = w.tools.call("start_process", {{"command", "sleep " + a + " & sleep " + a + " & echo up; wait"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(one);
  CHECK(one->text.find("up") != std::string::npos);
  CHECK(sleepers(a) == 2);
  auto stopped = w.tools.call("stop_process", {{"process", "p1"}}, ctx);
  REQUIRE(stopped);
  CHECK(sleepers(a) == 0);
  CHECK(stopped->text.find("stopped process p1") == 0);

  auto two = w.tools.call("start_process", {{"command", "sleep " + b + " & echo up; wait"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(two);
  CHECK(sleepers(b) == 1);
  ctx.processes.reset();  // the task ends
  CHECK(sleepers(b) == 0);
}

TEST_CASE("processes: a watcher's new failure wakes the agent once, with the output", "[agent][processes]") {
  REQUIRE(sandboxHere());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  w.write("calc.py", "def add(a, b):\n    return a + b\n");
  w.write("watch.sh",
          "last=''\n"
          "while true; do\n"
          "  cur=$(cat calc.py)\n"
          "  if [ \"$cur\" != \"$last\" ]; then\n"
          "    last=$cur\n"
          "    if python3 -c 'from calc import add; assert add(2, 3) == 5'; then echo 'tests: all passed'; else echo 'tests: 1 FAILED (add)'; fi\n"
          "  fi\n"
          "  sleep 0.1\n"
          "done\n");
  workspace::ShadowWorkspace shadow("t", {w.dir});
  const auto state = std::filesystem::path(w.dir.string() + "-state");
  auto ctx = w.context();
  ctx.shadow = &shadow;
  ctx.shadowDir = state;
  ctx.processes = std::make_shared<ProcessTable>(nullptr, ProcessLimits{.settleQuietMs = 1500, .settleMaxMs = 10000});
  auto started = w.tools.call("start_process", {{"command", "sh watch.sh"}, {"waitSeconds", 5}}, ctx);
  REQUIRE(started);
  CHECK(started->text.find("tests: all passed") != std::string::npos);
  CHECK(ctx.processes->wakeMessage(nullptr).empty());  // nothing new since the agent read

  // The agent breaks the code in the shadow: the watcher (in the shadow's
  // copy, kept current) re-runs and fails; the user's file is untouched.
  REQUIRE(w.tools.call("write_file", {{"path", "calc.py"}, {"content", "def add(a, b):\n    return a - b\n"}}, ctx));
  const std::string wake = ctx.processes->wakeMessage(nullptr);
  INFO(wake);
  CHECK(wake.find("Process p1 (`sh watch.sh`) printed new output") != std::string::npos);
  CHECK(wake.find("tests: 1 FAILED (add)") != std::string::npos);
  CHECK(ctx.processes->wakeMessage(nullptr).empty());  // told once
  auto read = w.tools.call("read_output", {{"process", "p1"}, {"waitSeconds", 0}}, ctx);
  REQUIRE(read);
  CHECK(read->text.find("tests: 1 FAILED (add)") != std::string::npos);  // still there to read
  std::ifstream file(w.dir / "calc.py");
  const std::string real((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK(real.find("a + b") != std::string::npos);

  REQUIRE(w.tools.call("edit_file", {{"edits", "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"}}, ctx));
  CHECK(ctx.processes->wakeMessage(nullptr).find("tests: all passed") != std::string::npos);
  ctx.processes.reset();
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
}

TEST_CASE("processes: refused without a task, for deny-listed files, and when declined", "[agent][processes]") {
  ToolWorld w;
  w.write(".env", "API_KEY=sk-secret\n");
  auto ctx = w.context();
  auto none = w.tools.call("start_process", {{"command", "sleep 1"}}, ctx);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("belong to a task") != std::string::npos);
  ctx.processes = std::make_shared<ProcessTable>();
  auto secret = w.tools.call("start_process", {{"command", "tail -f .env"}}, ctx);
  REQUIRE_FALSE(secret);
  CHECK(secret.error().code == ErrorCode::Unauthorized);
  CHECK(w.person->asked.empty());  // refused before anyone is asked
  w.person->answers.push_back(security::ApprovalChoice::Deny);
  auto declined = w.tools.call("start_process", {{"command", "sleep 5"}}, ctx);
  REQUIRE_FALSE(declined);
  CHECK(declined.error().code == ErrorCode::Unauthorized);
  auto unknown = w.tools.call("read_output", {{"process", "p9"}}, ctx);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("no process 'p9'") != std::string::npos);
}

TEST_CASE("terminalText: escapes stripped, \\r\\n and progress rewrites resolved", "[agent][processes]") {
  CHECK(terminalText("\x1b[31mFAIL\x1b[0m test_x\r\n") == "FAIL test_x\n");
  CHECK(terminalText("10%\r50%\r100%\r\ndone\n") == "100%\ndone\n");
  CHECK(terminalText("\x1b]0;title\x07ok\n") == "ok\n");
}
