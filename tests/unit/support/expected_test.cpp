#include "support/expected.hpp"

#include <memory>

#include "tests/support/catch.hpp"

using namespace cadre;

namespace {
Expected<int> half(int n) {
  if (n % 2) return makeError(ErrorCode::InvalidParams, "odd");
  return n / 2;
}
}  // namespace

TEST_CASE("Expected carries a value or an error") {
  auto ok = half(4);
  REQUIRE(ok);
  CHECK(*ok == 2);
  auto bad = half(3);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::InvalidParams);
  CHECK(bad.error().message == "odd");
}

TEST_CASE("Expected holds move-only values and Expected<void> reports errors") {
  Expected<std::unique_ptr<int>> p(std::make_unique<int>(7));
  REQUIRE(p);
  std::unique_ptr<int> taken = std::move(p).value();
  CHECK(*taken == 7);
  Expected<void> fine;
  CHECK(fine.ok());
  Expected<void> failed = makeError(ErrorCode::IoError, "disk");
  CHECK_FALSE(failed);
  CHECK(static_cast<int>(failed.error().code) == -32010);
}
