// Linters: their outputs parsed, and the delta of a real change linted by
// real linters (pyflakes, shellcheck, gcc, tsc) in the sandbox: only the
// problems the change introduced, with the project's paths.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/security/gate.hpp"
#include "server/workspace/lint_runner.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::workspace;

TEST_CASE("lint: output parsers", "[lint]") {
  LinterSpec gcc{"gcc", {}, {}, LintFormat::Gcc};
  auto d = parseLintOutput(gcc,
                           "c.c: In function 'main':\n"
                           "c.c:1:20: error: 'x' undeclared (first use in this function)\n"
                           "    1 | int main(){ return x; }\n"
                           "./s.sh:3:8: warning: dir is referenced but not assigned. [SC2154]\n"
                           "a.py:2:5: undefined name 'undefined_name'\n");
  REQUIRE(d.size() == 3);
  CHECK(d[0] == LintDiagnostic{"c.c", 1, 20, "error", "", "'x' undeclared (first use in this function)", "gcc"});
  CHECK(d[1].path == "s.sh");
  CHECK(d[1].code == "SC2154");
  CHECK(d[1].severity == "warning");
  CHECK(d[2].message == "undefined name 'undefined_name'");
  LinterSpec tsc{"tsc", {}, {}, LintFormat::Tsc};
  auto t = parseLintOutput(tsc, "src/t.ts(1,5): error TS2322: Type 'string' is not assignable to type 'number'.\n");
  REQUIRE(t.size() == 1);
  CHECK(t[0] == LintDiagnostic{"src/t.ts", 1, 5, "error", "TS2322", "Type 'string' is not assignable to type 'number'.", "tsc"});
  LinterSpec eslint{"eslint", {}, {}, LintFormat::EslintJson};
  auto e = parseLintOutput(eslint, R"([{"filePath":"a.js","messages":[{"ruleId":"no-undef","severity":2,"message":"'x' is not defined.","line":3,"column":1}]}])");
  REQUIRE(e.size() == 1);
  CHECK(e[0].code == "no-undef");
  LinterSpec ruff{"ruff", {}, {}, LintFormat::RuffJson};
  auto r = parseLintOutput(ruff, R"([{"code":"F401","message":"`os` imported but unused","filename":"a.py","location":{"row":1,"column":8}}])");
  REQUIRE(r.size() == 1);
  CHECK(r[0].line == 1);
  auto custom = linterFromJson(nlohmann::json::parse(R"({"name":"mylint","command":["mylint","{files}"],"format":"regex","regex":"^(\\S+) line (\\d+): (.*)$"})"));
  REQUIRE(custom);
  auto c = parseLintOutput(*custom, "x.txt line 7: too long\n");
  REQUIRE(c.size() == 1);
  CHECK(c[0].line == 7);
  CHECK(c[0].message == "too long");
  CHECK_FALSE(linterFromJson(nlohmann::json::parse(R"({"name":"x","command":[],"format":"gcc"})")));
  CHECK_FALSE(linterFromJson(nlohmann::json::parse(R"({"name":"x","command":["x"],"format":"yaml"})")));
}

TEST_CASE("lint: the delta ignores what moved and what was there before", "[lint]") {
  std::vector<LintDiagnostic> before = {{"a.py", 3, 1, "error", "", "undefined name 'x'", "pyflakes"}};
  std::vector<LintDiagnostic> after = {{"a.py", 5, 1, "error", "", "undefined name 'x'", "pyflakes"},
                                       {"a.py", 9, 1, "error", "", "undefined name 'y'", "pyflakes"}};
  auto delta = lintDelta(before, after);
  REQUIRE(delta.size() == 1);
  CHECK(delta[0].message == "undefined name 'y'");
}

namespace {
struct Project {
  fs::path dir;
  Project() {
    char tmpl[] = "/tmp/cadre-lint-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(dir / "src");
    put("src/app.py", "import os\nprint(undefined_before)\n");  // two problems already there
    put("tool.sh", "#!/bin/sh\necho \"$1\"\n");
    put("main.c", "int main(void) { return 0; }\n");
    put("tsconfig.json", "{\"compilerOptions\": {\"strict\": true, \"noEmit\": true}, \"include\": [\"src\"]}\n");
    put("src/t.ts", "export const n: number = 1;\n");
  }
  ~Project() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void put(const std::string& rel, const std::string& text) { std::ofstream(dir / rel) << text; }
};
}  // namespace

TEST_CASE("lint: real linters report only what a change introduced", "[lint]") {
  if (!security::probeSandbox().available) FAIL("bubblewrap is not available: " << security::probeSandbox().message);
  Project p;
  auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{p.dir}, {}, p.dir / "nohome"});
  std::vector<std::string> audit;
  security::Gate gate(security::GateConfig{}, policy, nullptr, nullptr,
                      [&](std::string_view kind, nlohmann::json f) { audit.push_back(std::string(kind) + " " + f.dump()); });
  // tsc comes from the npm tree the bootstrap installs for the benchmarks.
  const std::string tsc = fs::path(CADRE_SOURCE_DIR) / "bench/corpora/node_modules/.bin/tsc";
  auto linters = detectLinters(p.dir, [&](std::string_view prog) { return prog == "tsc" ? tsc : whichOnPath(prog); });
  std::vector<std::string> names;
  for (auto& l : linters) names.push_back(l.name);
  INFO("detected: " << nlohmann::json(names).dump());
  for (const char* want : {"pyflakes", "gcc", "shellcheck", "tsc"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());

  ShadowWorkspace s("lint", {p.dir});
  REQUIRE(s.write(p.dir / "src/app.py", "import os\nprint(undefined_before)\nprint(new_mistake)\n"));
  REQUIRE(s.write(p.dir / "tool.sh", "#!/bin/sh\necho $1\n"));
  REQUIRE(s.write(p.dir / "main.c", "int main(void) { return missing; }\n"));
  REQUIRE(s.write(p.dir / "src/t.ts", "export const n: number = 'one';\n"));
  auto report = lintChanges(gate, security::Actor{"", "linter"}, s, p.dir / "build/.cadre-work", linters);
  INFO((report ? std::string() : report.error().message));
  REQUIRE(report);
  INFO("problems: " << nlohmann::json(report->problems).dump());
  CHECK(report->problems.empty());
  std::vector<std::string> got;
  for (auto& d : report->introduced) got.push_back(d.source + " " + d.path + ":" + std::to_string(d.line) + " " + d.code);
  std::sort(got.begin(), got.end());
  INFO(nlohmann::json(got).dump());
  CHECK(got == std::vector<std::string>{"gcc main.c:1 ", "pyflakes src/app.py:3 ", "shellcheck tool.sh:2 SC2086",
                                        "tsc src/t.ts:1 TS2322"});
  // The real files were linted read-only and not changed.
  std::ifstream in(p.dir / "src/app.py");
  std::string real((std::istreambuf_iterator<char>(in)), {});
  CHECK(real == "import os\nprint(undefined_before)\n");
  CHECK(std::any_of(audit.begin(), audit.end(), [](const std::string& a) { return a.find("command ") == 0 && a.find("pyflakes3") != std::string::npos; }));
}
