// `cadre check` on fixture projects: each tests/fixtures/check/<name>.txt is a
// multi-file project; <name>.expected is the snapshot of its diagnostics.
// Projects named ok_* must have none; broken_* hold planted breaks, each of
// which must be found.
#include <filesystem>

#include "server/analysis/check.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

std::string render(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += d.path + ":" + std::to_string(d.span.start.row + 1) + ":" + std::to_string(d.span.start.column + 1) + ": " + d.code + ": " +
           d.message + "\n";
    for (const auto& r : d.related) out += "  related " + r.path + ":" + std::to_string(r.span.start.row + 1) + ": " + r.message + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("consistency diagnostics on fixture projects match their snapshots") {
  const fs::path dir = fs::path(CADRE_SOURCE_DIR) / "tests/fixtures/check";
  std::size_t fixtures = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    ++fixtures;
    const std::string name = entry.path().stem().string();
    INFO("fixture " << name);
    testing::FixtureDir project(testing::parseFixture(testing::readFileText(entry.path())));
    auto index = ProjectIndex::build(project.path());
    REQUIRE(index);
    const std::string actual = render(checkProject(*index));
    const std::string expected = testing::snapshot(dir / (name + ".expected"), actual);
    CHECK(actual == expected);
    if (name.rfind("ok_", 0) == 0) CHECK(actual.empty());
    if (name.rfind("broken_", 0) == 0) CHECK_FALSE(actual.empty());
  }
  CHECK(fixtures > 0);
}
