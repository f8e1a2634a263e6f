// The repo map on a project larger than one worker's share of files: what
// many files use ranks first, a name defined in too many files links
// nothing, a focus file's own definitions stay out while what it uses comes
// first, the budget holds, and the same index always gives the same text.
#include "server/analysis/repo_map.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;
using namespace cadre::analysis;

namespace {

constexpr int kUsers = 150;   // well over the map's 64 files per parallel task
constexpr int kCommon = 45;   // files defining `shared_handler`: over the map's limit of 40

std::vector<testing::FixtureFile> project() {
  std::vector<testing::FixtureFile> files;
  files.push_back({"core.py", "def compute_total_price(items, tax):\n    return sum(items) * tax\n\ndef never_called_anywhere():\n    return 0\n"});
  files.push_back({"rates.py", "def current_tax_rate():\n    return 1.2\n"});
  for (int k = 0; k < kCommon; ++k) {
    files.push_back({"plugins/p" + std::to_string(k) + ".py", "def shared_handler(event):\n    return event\n"});
  }
  for (int u = 0; u < kUsers; ++u) {
    std::string text = "from core import compute_total_price\n";
    if (u % 10 == 0) text += "from rates import current_tax_rate\n";
    text += "def report_" + std::to_string(u) + "(items):\n";
    text += "    shared_handler(items)\n";
    text += u % 10 == 0 ? "    return compute_total_price(items, current_tax_rate())\n" : "    return compute_total_price(items, 1)\n";
    files.push_back({"users/u" + std::to_string(u) + ".py", text});
  }
  return files;
}

const RepoMapEntry* entryFor(const RepoMap& map, std::string_view path, std::string_view signaturePrefix) {
  for (const auto& e : map.entries) {
    if (e.path == path && e.signature.rfind(signaturePrefix, 0) == 0) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the repo map ranks what many files use and links nothing through a name every plugin defines") {
  testing::FixtureDir dir(project());
  auto index = ProjectIndex::build(dir.path());
  REQUIRE(index);
  REQUIRE(index->files().size() == static_cast<std::size_t>(2 + kCommon + kUsers));

  RepoMapOptions options;
  options.tokenBudget = 400;
  const RepoMap map = buildRepoMap(*index, options);
  REQUIRE_FALSE(map.entries.empty());
  CHECK(map.tokens <= options.tokenBudget);
  // Used by all 150 reports: first, and ranked above the tax rate 15 of them use.
  CHECK(map.entries[0].path == "core.py");
  CHECK(map.entries[0].signature.rfind("def compute_total_price", 0) == 0);
  const RepoMapEntry* rate = entryFor(map, "rates.py", "def current_tax_rate");
  REQUIRE(rate);
  CHECK(rate->rank > 0);
  CHECK(rate->rank < map.entries[0].rank);
  // 45 files define shared_handler: every report calls it, yet no use flows to them.
  for (const auto& e : map.entries) {
    if (e.path.rfind("plugins/", 0) == 0) CHECK(e.rank == 0);
  }
  // Nothing uses never_called_anywhere.
  if (const RepoMapEntry* unused = entryFor(map, "core.py", "def never_called_anywhere")) CHECK(unused->rank == 0);

  // Deterministic: the same index gives the same text.
  CHECK(buildRepoMap(*index, options).text == map.text);
}

TEST_CASE("a focus file's definitions stay out of the map and what it uses comes first") {
  testing::FixtureDir dir(project());
  auto index = ProjectIndex::build(dir.path());
  REQUIRE(index);

  RepoMapOptions options;
  options.tokenBudget = 200;
  options.focusFiles = {"users/u20.py"};
  const RepoMap map = buildRepoMap(*index, options);
  REQUIRE(map.entries.size() >= 2);
  CHECK(map.tokens <= options.tokenBudget);
  for (const auto& e : map.entries) CHECK(e.path != "users/u20.py");
  // u20 uses both; its rank flows to them before anything else.
  CHECK(entryFor(map, "core.py", "def compute_total_price"));
  CHECK(entryFor(map, "rates.py", "def current_tax_rate"));

  options.focusFiles = {"core.py"};
  const RepoMap core = buildRepoMap(*index, options);
  CHECK_FALSE(entryFor(core, "core.py", "def compute_total_price"));

  // A budget too small for any entry gives an empty map, not an overflow.
  options.tokenBudget = 1;
  const RepoMap tiny = buildRepoMap(*index, options);
  CHECK(tiny.tokens <= 1);
  CHECK(tiny.entries.empty());
}
