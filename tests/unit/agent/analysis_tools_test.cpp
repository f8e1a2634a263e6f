// find_symbol, references and repo_map on a real multi-file project, indexed
// by tree-sitter; a file the policy denies never shows up, even when the
// index was built without the exclusion.
#include "server/analysis/project_index.hpp"
#include "tests/support/catch.hpp"
#include "tests/unit/agent/tool_world.hpp"

using namespace cadre;
using namespace cadre::agent;
using cadre::agent::testing::ToolWorld;

namespace {

struct Project : ToolWorld {
  ToolContext ctx = context();
  Project() : ToolWorld({"secret_*.py"}) {
    write("geometry.py",
          "class Square:\n"
          "    def __init__(self, side):\n"
          "        self.side = side\n"
          "\n"
          "    def area(self):\n"
          "        return self.side * self.side\n"
          "\n"
          "\n"
          "def make_square(side):\n"
          "    return Square(side)\n");
    write("app.py",
          "from geometry import make_square\n"
          "\n"
          "\n"
          "def main():\n"
          "    sq = make_square(3)\n"
          "    print(sq.area())\n");
    write("report.py",
          "from geometry import make_square\n"
          "\n"
          "def report():\n"
          "    return make_square(2).area()\n");
    write("secret_keys.py",
          "from geometry import make_square\n"
          "\n"
          "def make_secret_token():\n"
          "    return make_square(99)\n");
    auto built = analysis::ProjectIndex::build(dir);  // no exclusion: the Gate alone must hide secret_keys.py
    REQUIRE(built);
    auto index = std::make_shared<const analysis::ProjectIndex>(std::move(*built));
    REQUIRE(index->file("secret_keys.py"));
    ctx.index = [index](const std::atomic<bool>*) -> Expected<std::shared_ptr<const analysis::ProjectIndex>> { return index; };
  }
};

}  // namespace

TEST_CASE("find_symbol: definitions by name or prefix with kind, file, range and signature", "[agent][analysis]") {
  Project p;
  auto exact = p.tools.call("find_symbol", {{"query", "make_square"}}, p.ctx);
  REQUIRE(exact);
  const auto& first = exact->data["matches"][0];
  CHECK(first["name"] == "make_square");
  CHECK(first["kind"] == "function");
  CHECK(first["path"] == "geometry.py");
  CHECK(first["range"]["start"]["line"] == 9);
  CHECK(first["range"]["end"]["line"] == 10);
  CHECK(first["signature"].get<std::string>().find("def make_square(side)") != std::string::npos);
  CHECK(exact->text.rfind("geometry.py:9: function make_square", 0) == 0);
  CHECK(exact->text.find("(lines 9-10)") != std::string::npos);

  auto prefix = p.tools.call("find_symbol", {{"query", "make"}}, p.ctx);
  REQUIRE(prefix);
  CHECK(prefix->data["total"] == 1);  // make_secret_token lives in a deny-listed file
  CHECK(prefix->text.find("secret") == std::string::npos);

  auto method = p.tools.call("find_symbol", {{"query", "area"}, {"kind", "method"}}, p.ctx);
  REQUIRE(method);
  CHECK(method->data["matches"][0]["container"] == "Square");

  auto none = p.tools.call("find_symbol", {{"query", "zzqx"}}, p.ctx);
  REQUIRE(none);
  CHECK(none->text == "no definition matches 'zzqx'\n");
}

TEST_CASE("references: every site of a name, none in a deny-listed file", "[agent][analysis]") {
  Project p;
  auto refs = p.tools.call("references", {{"name", "make_square"}}, p.ctx);
  REQUIRE(refs);
  std::vector<std::string> sites;
  for (const auto& l : refs->data["locations"]) sites.push_back(l["path"].get<std::string>() + ":" + std::to_string(l["line"].get<int>()));
  std::sort(sites.begin(), sites.end());
  CHECK(sites == std::vector<std::string>{"app.py:1", "app.py:5", "geometry.py:9", "report.py:1", "report.py:4"});
  CHECK(refs->text.find("secret_keys.py") == std::string::npos);
}

TEST_CASE("repo_map: within the budget, focus honoured, deny-listed files left out", "[agent][analysis]") {
  Project p;
  auto map = p.tools.call("repo_map", {{"tokens", 512}}, p.ctx);
  REQUIRE(map);
  CHECK(map->text.find("geometry.py:") != std::string::npos);
  CHECK(map->text.find("make_square") != std::string::npos);
  CHECK(map->text.find("secret") == std::string::npos);
  CHECK(map->data["tokens"].get<int>() <= 512);
  // The focus file's own definitions are left out: the reader has it open.
  auto focused = p.tools.call("repo_map", {{"tokens", 512}, {"focus", {"geometry.py"}}}, p.ctx);
  REQUIRE(focused);
  CHECK(focused->text.find("geometry.py:") == std::string::npos);
}

TEST_CASE("analysis tools without an index say so", "[agent][analysis]") {
  ToolWorld w;
  auto ctx = w.context();
  auto r = w.tools.call("find_symbol", {{"query", "x"}}, ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("no project index") != std::string::npos);
}
