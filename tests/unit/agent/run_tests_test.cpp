// run_tests on real tiny projects, in the real sandbox: the failure count
// read from the runner's summary, the command approved like any other, the
// task's unapplied edits tested, and a configured command honoured.
#include "server/security/sandbox.hpp"
#include "tests/support/catch.hpp"
#include "tests/unit/agent/tool_world.hpp"

using namespace cadre;
using namespace cadre::agent;
using cadre::agent::testing::ToolWorld;

namespace {

bool sandboxAvailable() { return security::probeSandbox().available; }

void writeCalcProject(ToolWorld& w) {
  w.write("calc.py", "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n");
  w.write("test_calc.py",
          "import unittest\n"
          "from calc import add, mul\n\n\n"
          "class CalcTest(unittest.TestCase):\n"
          "    def test_add(self):\n"
          "        self.assertEqual(add(2, 3), 5)\n\n"
          "    def test_mul(self):\n"
          "        self.assertEqual(mul(2, 3), 6)\n\n"
          "    def test_mul_zero(self):\n"
          "        self.assertEqual(mul(0, 3), 0)\n");
}

}  // namespace

TEST_CASE("run_tests: a Python project's failure count, approved and sandboxed", "[agent][run_tests]") {
  REQUIRE(sandboxAvailable());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  writeCalcProject(w);
  auto ctx = w.context();
  auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
  REQUIRE(r);
  INFO(r->text);
  CHECK(r->isError);
  CHECK(r->data["failed"] == 1);
  CHECK(r->data["passed"] == 2);
  CHECK(r->text.find("tests: 1 failed, 2 passed") != std::string::npos);
  CHECK(r->text.find("test_add") != std::string::npos);
  REQUIRE(w.person->asked.size() == 1);  // put to the user like run_command
  CHECK(w.person->asked[0].command.find("unittest") != std::string::npos);
}

TEST_CASE("run_tests: the task's shadow edits are what gets tested", "[agent][run_tests]") {
  REQUIRE(sandboxAvailable());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  writeCalcProject(w);
  workspace::ShadowWorkspace shadow("t", {w.dir});
  REQUIRE(shadow.write(w.dir / "calc.py", "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"));
  auto ctx = w.context();
  ctx.shadow = &shadow;
  const auto state = std::filesystem::path(w.dir.string() + "-state");  // outside the project, like the real one
  ctx.shadowDir = state;
  auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
  REQUIRE(r);
  INFO(r->text);
  CHECK_FALSE(r->isError);
  CHECK(r->data["failed"] == 0);
  CHECK(r->data["passed"] == 3);
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
}

TEST_CASE("run_tests: the configured command, its output's end kept, counts it cannot read said", "[agent][run_tests]") {
  REQUIRE(sandboxAvailable());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  w.write("check.sh", "for i in $(seq 1 3000); do echo \"line $i of noise\"; done\necho 'FINAL: 2 broken'\nexit 3\n");
  auto ctx = w.context();
  ctx.testCommand = "sh check.sh";
  auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
  REQUIRE(r);
  CHECK(r->isError);
  CHECK(r->data["exitCode"] == 3);
  CHECK(r->data["truncated"] == true);
  CHECK(r->text.find("[truncated: the first ") != std::string::npos);
  CHECK(r->text.find("FINAL: 2 broken") != std::string::npos);
  CHECK(r->text.find("line 1 of noise") == std::string::npos);
  CHECK(r->text.find("counts not recognised") != std::string::npos);
  CHECK(r->text.size() < 14 * 1024);
}

TEST_CASE("run_tests: no test command is a clear tool error", "[agent][run_tests]") {
  ToolWorld w;
  w.write("README.md", "nothing to test\n");
  auto ctx = w.context();
  auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("no test command found") != std::string::npos);
}

TEST_CASE("run_tests: declined by the user, nothing runs", "[agent][run_tests]") {
  REQUIRE(sandboxAvailable());  // the sandbox is a requirement of cadre (scripts/bootstrap installs it)
  ToolWorld w;
  writeCalcProject(w);
  w.person->answers.push_back(security::ApprovalChoice::Deny);
  auto ctx = w.context();
  auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Unauthorized);
}

TEST_CASE("run_tests: counts read from each runner's own summary line", "[agent][run_tests]") {
  REQUIRE(sandboxAvailable());
  struct Case {
    const char* output;
    const char* format;
    int failed, passed;
  };
  const Case cases[] = {
      {"FAILED test_x.py::test_a\n===== 2 failed, 5 passed, 1 skipped in 0.31s =====", "pytest", 2, 5},
      {"Ran 4 tests in 0.002s\n\nFAILED (failures=1, errors=1)", "unittest", 1, 2},
      {"75% tests passed, 1 tests failed out of 4", "ctest", 1, 3},
      {"test result: FAILED. 3 passed; 1 failed; 0 ignored\ntest result: ok. 2 passed; 0 failed; 0 ignored", "cargo", 1, 5},
      {"Tests:       2 failed, 7 passed, 9 total", "jest", 2, 7},
      {"  3 passing (12ms)\n  1 failing", "mocha", 1, 3},
  };
  for (const auto& c : cases) {
    ToolWorld w;
    w.write("out.txt", std::string(c.output) + "\n");
    auto ctx = w.context();
    ctx.testCommand = "cat out.txt; exit 1";
    auto r = w.tools.call("run_tests", nlohmann::json::object(), ctx);
    REQUIRE(r);
    INFO(c.format << ": " << r->text);
    CHECK(r->data["format"] == c.format);
    CHECK(r->data["failed"] == c.failed);
    CHECK(r->data["passed"] == c.passed);
    CHECK(r->isError);
  }
}
