// run_tests: the project's test command, run like run_command (approved,
// sandboxed, in the task's materialized shadow so it tests the change), with
// the pass/fail counts read from the runner's own summary where its format
// is known, and the output's end (where runners put failures) kept.
#include <regex>

#include "server/agent/shadow_exec.hpp"
#include "server/agent/tool_args.hpp"
#include "server/agent/tools.hpp"
#include "server/workspace/lint.hpp"
#include "support/files.hpp"

namespace cadre::agent {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Runners print the failures and the summary last: that end is kept.
constexpr std::size_t kMaxOutputBytes = 12 * 1024;

struct TestCommand {
  std::string command;
  std::string how;  // "config", or what it was detected from
};

bool pathExists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

bool hasPythonTests(const fs::path& root) {
  std::error_code ec;
  for (const fs::path& dir : {root, root / "tests", root / "test"}) {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (it->path().extension() == ".py" && (name.rfind("test_", 0) == 0 || (name.size() > 8 && name.ends_with("_test.py")))) return true;
    }
    ec.clear();
  }
  return false;
}

// The test command for the project at `root`: configured, else what its
// files say (and what is installed).
Expected<TestCommand> testCommandFor(const fs::path& root, const std::string& configured,
                                     const std::function<std::string(std::string_view)>& which) {
  if (!configured.empty()) return TestCommand{configured, "config tests.command"};
  std::string text;
  if (readWholeFile(root / "package.json", text)) {
    json pkg = json::parse(text, nullptr, false);
    if (pkg.is_object() && pkg.contains("scripts") && pkg["scripts"].is_object() && pkg["scripts"].contains("test"))
      return TestCommand{"npm test --silent", "package.json scripts.test"};
  }
  if (pathExists(root / "Cargo.toml")) return TestCommand{"cargo test --offline", "Cargo.toml"};
  if (pathExists(root / "go.mod")) return TestCommand{"go test ./...", "go.mod"};
  for (const char* dir : {"build", "out", "cmake-build-debug"})
    if (pathExists(root / dir / "CTestTestfile.cmake"))
      return TestCommand{std::string("ctest --test-dir ") + dir + " --output-on-failure", std::string(dir) + "/CTestTestfile.cmake"};
  const bool pyConfig = pathExists(root / "pytest.ini") || pathExists(root / "conftest.py") || pathExists(root / "tox.ini") ||
                        (readWholeFile(root / "pyproject.toml", text) && text.find("[tool.pytest") != std::string::npos);
  if (pyConfig || hasPythonTests(root)) {
    if (!which("pytest").empty()) return TestCommand{"pytest -q", "Python tests, pytest installed"};
    return TestCommand{"python3 -m unittest discover -v", "Python tests, pytest not installed"};
  }
  return makeError(ErrorCode::InvalidRequest,
                   "run_tests: no test command found (none configured as tests.command in .cadre/config.json, and no "
                   "package.json test script, Cargo.toml, go.mod, CTest build directory or Python tests); use run_command");
}

struct Counts {
  std::string format;
  long passed = -1, failed = -1, errors = -1, skipped = -1;
};

long sumAll(const std::string& text, const std::regex& re, int group = 1) {
  long total = -1;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    total = (total < 0 ? 0 : total) + std::stol((*it)[group].str());
  return total;
}

// The counts in a runner's summary, by the formats runners print.
Counts parseCounts(const std::string& out) {
  Counts c;
  std::smatch m;
  // pytest: "==== 1 failed, 2 passed, 1 skipped in 0.12s ====" (or -q's bare line).
  static const std::regex pytestLine(R"((?:^|\n)=*\s*((?:\d+ (?:failed|passed|skipped|errors?|xfailed|xpassed|warnings?|deselected)(?:, )?)+) in [\d.]+s)");
  if (std::regex_search(out, m, pytestLine)) {
    c.format = "pytest";
    const std::string s = m[1].str();
    auto count = [&](const char* word) {
      std::smatch n;
      return std::regex_search(s, n, std::regex(std::string(R"((\d+) )") + word + R"(\b)")) ? std::stol(n[1].str()) : 0L;
    };
    c.passed = count("passed");
    c.failed = count("failed");
    c.errors = count("errors?");
    c.skipped = count("skipped");
    return c;
  }
  // unittest: "Ran 3 tests in 0.001s" then "OK" or "FAILED (failures=1, errors=1, skipped=1)".
  static const std::regex unittestRan(R"(Ran (\d+) tests? in)");
  if (std::regex_search(out, m, unittestRan)) {
    c.format = "unittest";
    const long ran = std::stol(m[1].str());
    auto field = [&](const char* name) {
      std::smatch n;
      return std::regex_search(out, n, std::regex(std::string(name) + R"(=(\d+))")) ? std::stol(n[1].str()) : 0L;
    };
    c.failed = field("failures");
    c.errors = field("errors");
    c.skipped = field("skipped");
    c.passed = ran - c.failed - c.errors - c.skipped;
    return c;
  }
  // ctest: "80% tests passed, 1 tests failed out of 5".
  static const std::regex ctestLine(R"(\d+% tests passed, (\d+) tests? failed out of (\d+))");
  if (std::regex_search(out, m, ctestLine)) {
    c.format = "ctest";
    c.failed = std::stol(m[1].str());
    c.passed = std::stol(m[2].str()) - c.failed;
    return c;
  }
  // cargo: "test result: FAILED. 1 passed; 1 failed; 0 ignored" per test binary.
  static const std::regex cargoLine(R"(test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored)");
  if (std::regex_search(out, cargoLine)) {
    c.format = "cargo";
    c.passed = sumAll(out, cargoLine, 1);
    c.failed = sumAll(out, cargoLine, 2);
    c.skipped = sumAll(out, cargoLine, 3);
    return c;
  }
  // jest: "Tests:       1 failed, 2 passed, 3 total".
  static const std::regex jestLine(R"(Tests:\s+(?:(\d+) failed, )?(?:(\d+) skipped, )?(?:(\d+) passed, )?\d+ total)");
  if (std::regex_search(out, m, jestLine)) {
    c.format = "jest";
    c.failed = m[1].matched ? std::stol(m[1].str()) : 0;
    c.skipped = m[2].matched ? std::stol(m[2].str()) : 0;
    c.passed = m[3].matched ? std::stol(m[3].str()) : 0;
    return c;
  }
  // mocha: "2 passing (5ms)" / "1 failing".
  static const std::regex mochaPassing(R"((\d+) passing \()");
  if (std::regex_search(out, m, mochaPassing)) {
    c.format = "mocha";
    c.passed = std::stol(m[1].str());
    static const std::regex failing(R"((\d+) failing)");
    c.failed = std::regex_search(out, m, failing) ? std::stol(m[1].str()) : 0;
    return c;
  }
  // go test: "--- FAIL: TestX" / "--- PASS: TestY" (the latter with -v only).
  static const std::regex goFail(R"(--- FAIL: )"), goPass(R"(--- PASS: )"), goPkg(R"((?:^|\n)(ok|FAIL)\s+\S+)");
  if (std::regex_search(out, goPkg)) {
    c.format = "go";
    c.failed = std::distance(std::sregex_iterator(out.begin(), out.end(), goFail), std::sregex_iterator());
    const long passed = std::distance(std::sregex_iterator(out.begin(), out.end(), goPass), std::sregex_iterator());
    if (passed > 0) c.passed = passed;
    return c;
  }
  return c;
}

Expected<ToolOutput> runTestsTool(const json& args, ToolContext& ctx) {
  const fs::path root = ctx.gate.policy().roots().front();
  auto test = testCommandFor(root, ctx.testCommand, workspace::whichOnPath);
  if (!test) return test.error();
  security::CommandRequest req;
  req.line = test->command;
  const std::string filter = stringArg(args, "args");
  if (!filter.empty()) req.line += " " + filter;
  req.why = "run the project's tests (" + test->how + ")";
  req.timeoutMs = static_cast<int>(intArg(args, "timeoutSeconds", 0, 0, 3600) * 1000);
  auto r = runInShadow(ctx, std::move(req));
  if (!r) return r.error();
  std::string output = r->stdoutData;
  if (!r->stderrData.empty()) output += (output.empty() ? "" : "\n") + r->stderrData;
  const Counts counts = parseCounts(output);
  const std::size_t total = output.size();
  if (output.size() > kMaxOutputBytes) {
    std::size_t cut = output.size() - kMaxOutputBytes;
    while (cut < output.size() && (static_cast<unsigned char>(output[cut]) & 0xC0) == 0x80) ++cut;
    output = "[truncated: the first " + std::to_string(cut) + " of " + std::to_string(total) + " bytes not shown]\n" + output.substr(cut);
  }
  ToolOutput out;
  const bool failed = r->exitCode != 0 || counts.failed > 0 || counts.errors > 0;
  std::string summary = "$ " + test->command + (filter.empty() ? "" : " " + filter) + "  (" + test->how + ")\n";
  if (!counts.format.empty()) {
    auto part = [](long n, const char* word) { return n >= 0 ? std::to_string(n) + " " + word : std::string(); };
    std::string parts;
    for (const std::string& p : {part(counts.failed, "failed"), part(counts.errors, "errors"), part(counts.passed, "passed"), part(counts.skipped, "skipped")})
      if (!p.empty() && p[0] != '0') parts += (parts.empty() ? "" : ", ") + p;
    summary += "tests: " + (parts.empty() ? std::string("none ran") : parts) + " (" + counts.format + " format)\n";
  } else {
    summary += "tests: counts not recognised in this runner's output; see the exit code\n";
  }
  out.text = summary + output + (output.empty() || output.back() == '\n' ? "" : "\n") + "[exit code " + std::to_string(r->exitCode) +
             (r->timedOut ? ", timed out" : "") + (r->outputTruncated ? ", output truncated by the sandbox" : "") + "]\n";
  out.isError = failed;
  out.data = {{"command", test->command}, {"detectedFrom", test->how}, {"exitCode", r->exitCode}, {"timedOut", r->timedOut},
              {"format", counts.format},   {"passed", counts.passed},  {"failed", counts.failed},  {"errors", counts.errors},
              {"skipped", counts.skipped}, {"outputBytes", total},     {"truncated", total > kMaxOutputBytes}};
  return out;
}

}  // namespace

void addTestTools(ToolRegistry& registry) {
  registry.add({"run_tests",
                "Run the project's tests (tests.command from the config, else detected: npm test, cargo test, go test, ctest, "
                "pytest or unittest) in the sandbox on your changed files, approved like run_command. Reports the failed and "
                "passed counts and the end of the output.",
                objectSchema({{"args", {{"type", "string"}, {"description", "appended to the test command, e.g. a test file or filter"}}},
                              {"timeoutSeconds", {{"type", "integer"}}}},
                             {}),
                {.runsProcess = true}},
               runTestsTool);
}

}  // namespace cadre::agent
