// The per-project store of "allow always" rules: survives restarts, never
// half-written, and a broken file is a clear error rather than silent trust.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/security/approvals.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::security;

namespace {
struct ApprovalsDir {
  fs::path dir;
  ApprovalsDir() {
    char tmpl[] = "/tmp/cadre-approvals-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~ApprovalsDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
}  // namespace

TEST_CASE("approvals: rules persist and reload", "[approvals]") {
  ApprovalsDir t;
  auto file = t.dir / "state/approvals.json";
  auto store = ApprovalStore::load(file);
  REQUIRE(store);
  CHECK(store->commandRules().empty());
  CommandRule git{"git", "status", std::nullopt};
  CommandRule py{"python3", "", std::vector<std::string>{"-c", "print(1)"}};
  REQUIRE(store->addCommandRules({git, py, git}));
  CHECK(store->commandRules().size() == 2);
  auto again = ApprovalStore::load(file);
  REQUIRE(again);
  REQUIRE(again->commandRules().size() == 2);
  CHECK(again->commandRules()[0] == git);
  CHECK(again->commandRules()[1] == py);
  // No temp file is left beside it.
  std::size_t files = 0;
  for (auto& e : fs::directory_iterator(file.parent_path())) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("approvals: a broken file is an error naming it", "[approvals]") {
  ApprovalsDir t;
  auto file = t.dir / "approvals.json";
  std::ofstream(file) << "{\"commands\": [ {\"program\": ";
  auto store = ApprovalStore::load(file);
  REQUIRE_FALSE(store);
  CHECK(store.error().code == ErrorCode::Config);
  CHECK(store.error().message.find(file.string()) != std::string::npos);
}

TEST_CASE("approvals: modes", "[approvals]") {
  ApprovalMode m = ApprovalMode::Ask;
  CHECK(parseApprovalMode("read-only", m));
  CHECK(m == ApprovalMode::ReadOnly);
  CHECK(parseApprovalMode("auto-edit", m));
  CHECK(std::string(toString(m)) == "auto-edit");
  CHECK_FALSE(parseApprovalMode("yolo", m));
  CHECK(m == ApprovalMode::AutoEdit);
}
