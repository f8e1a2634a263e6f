// Extract function and move symbol through their public functions, on
// fixture text: the exact rewritten files, and the refusals with reasons.
// `[[` and `]]` in a fixture mark the selection (removed before the run).
#include <filesystem>
#include <map>

#include "server/analysis/extract_function.hpp"
#include "server/analysis/move_symbol.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;
using namespace cadre::analysis;

namespace {

Expected<ExtractResult> extractMarked(const std::string& path, std::string text, const std::string& name) {
  const auto s = text.find("[[");
  text.erase(s, 2);
  const auto e = text.find("]]");
  text.erase(e, 2);
  return extractFunction({path, text, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(e), name});
}

}  // namespace

TEST_CASE("extract function (Python): reads become parameters, later reads of writes become returns") {
  auto r = extractMarked("m.py",
                         "def report(r):\n"
                         "    total = r * 2\n"
                         "    [[scale = 2\n"
                         "    doubled = total * scale]]\n"
                         "    return doubled\n",
                         "scaled");
  REQUIRE(r);
  CHECK(r->parameters == std::vector<std::string>{"total"});
  CHECK(r->returns == std::vector<std::string>{"doubled"});
  CHECK(r->text ==
        "def scaled(total):\n"
        "    scale = 2\n"
        "    doubled = total * scale\n"
        "    return doubled\n"
        "\n"
        "\n"
        "def report(r):\n"
        "    total = r * 2\n"
        "    doubled = scaled(total)\n"
        "    return doubled\n");
}

TEST_CASE("extract function (Python): an expression, and a method's self") {
  auto r = extractMarked("m.py",
                         "class A:\n"
                         "    def f(self, x):\n"
                         "        return [[self.k * x + 1]]\n",
                         "calc");
  REQUIRE(r);
  CHECK(r->expression);
  CHECK(r->parameters == std::vector<std::string>{"self", "x"});
  CHECK(r->text ==
        "def calc(self, x):\n"
        "    return self.k * x + 1\n"
        "\n"
        "\n"
        "class A:\n"
        "    def f(self, x):\n"
        "        return calc(self, x)\n");
}

TEST_CASE("extract function refuses control flow that leaves the range, and half statements") {
  auto r = extractMarked("m.py", "def f(x):\n    [[if x:\n        return 1]]\n    return 2\n", "g");
  REQUIRE(!r);
  CHECK(r.error().message.find("`return`") != std::string::npos);
  r = extractMarked("m.py", "def f(xs):\n    for x in xs:\n        [[break]]\n", "g");
  REQUIRE(!r);
  CHECK(r.error().message.find("break") != std::string::npos);
  r = extractMarked("m.py", "def f(x):\n    y = [[x + 1\n    z = y]]\n", "g");
  REQUIRE(!r);
  CHECK(r.error().message.find("whole statements") != std::string::npos);
  r = extractMarked("m.rs", "fn f() { [[let x = 1;]] }\n", "g");
  REQUIRE(!r);
  CHECK(r.error().message.find("Python, JavaScript and TypeScript") != std::string::npos);
}

TEST_CASE("extract function (TypeScript): declarations move to the call, types come along") {
  auto r = extractMarked("m.ts",
                         "export function f(items: number[]): number {\n"
                         "  [[const n = items.length;\n"
                         "  let sum = 0;\n"
                         "  for (const i of items) sum += i;]]\n"
                         "  return sum / n;\n"
                         "}\n",
                         "totals");
  REQUIRE(r);
  CHECK(r->parameters == std::vector<std::string>{"items"});
  CHECK(r->returns == std::vector<std::string>{"n", "sum"});
  CHECK(r->text ==
        "function totals(items: number[]) {\n"
        "  const n = items.length;\n"
        "  let sum = 0;\n"
        "  for (const i of items) sum += i;\n"
        "  return { n, sum };\n"
        "}\n"
        "\n"
        "export function f(items: number[]): number {\n"
        "  let { n, sum } = totals(items);\n"
        "  return sum / n;\n"
        "}\n");
}

TEST_CASE("move symbol (Python): imports follow the function, importers are rewritten") {
  testing::FixtureDir project(testing::parseFixture(
      "//- pkg/__init__.py\n"
      "//- pkg/a.py\n"
      "import os\n"
      "import math\n"
      "\n"
      "\n"
      "def keep():\n"
      "    return os.sep\n"
      "\n"
      "\n"
      "def moved(r):\n"
      "    return math.pi * r\n"
      "//- main.py\n"
      "from pkg.a import keep, moved\n"
      "print(keep(), moved(1))\n"));
  auto index = ProjectIndex::build(project.path());
  REQUIRE(index);
  Resolver resolver(*index);
  const std::string source = testing::readFileText(project.path() / "pkg/a.py");
  auto r = moveSymbol(*index, resolver, {"pkg/a.py", source, static_cast<std::uint32_t>(source.find("moved")), "pkg/b.py", std::nullopt},
                      [&](const std::string& p) { return std::optional<std::string>(testing::readFileText(project.path() / p)); });
  REQUIRE(r);
  std::map<std::string, std::string> files(r->files.begin(), r->files.end());
  CHECK(files["pkg/b.py"] == "import math\n\n\ndef moved(r):\n    return math.pi * r\n");
  CHECK(files["pkg/a.py"] == "import os\n\n\ndef keep():\n    return os.sep\n");
  CHECK(files["main.py"] == "from pkg.a import keep\nfrom pkg.b import moved\nprint(keep(), moved(1))\n");
  CHECK(r->warnings.empty());
}

TEST_CASE("move symbol refuses what it cannot do, with the reason") {
  testing::FixtureDir project(testing::parseFixture("//- a.py\nx = 1\n\n\ndef f():\n    return x\n//- b.py\ndef f():\n    pass\n"));
  auto index = ProjectIndex::build(project.path());
  REQUIRE(index);
  Resolver resolver(*index);
  const std::string source = testing::readFileText(project.path() / "a.py");
  auto load = [&](const std::string& p) { return std::optional<std::string>(testing::readFileText(project.path() / p)); };
  auto r = moveSymbol(*index, resolver, {"a.py", source, 0, "c.py", std::nullopt}, load);
  REQUIRE(!r);
  CHECK(r.error().message.find("top-level function or class") != std::string::npos);
  r = moveSymbol(*index, resolver, {"a.py", source, static_cast<std::uint32_t>(source.find("f()")), "b.py", testing::readFileText(project.path() / "b.py")},
                 load);
  REQUIRE(!r);
  CHECK(r.error().message.find("already defines `f`") != std::string::npos);
}
