// Configuration files as users write them (JSON with comments): parseJsonc,
// then the layering that validates every key, for a user and a project file,
// then the router's configuration. Bad files are the user's mistake, not a
// crash: they must give an error or diagnostics. Text that is strict JSON must
// read as nlohmann reads it (comments and trailing commas are the only
// extensions).
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>
#include <string_view>

#include "server/core/config.hpp"
#include "support/jsonc.hpp"

using namespace cadre;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseJsonc(text);
  const std::string copy(text);
  if (!nestsDeeperThan(text, kMaxJsonNesting) && nlohmann::json::accept(copy)) {
    if (!parsed || *parsed != nlohmann::json::parse(copy)) std::abort();
  }
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  core::LoadedConfig loaded;
  core::applyConfigJson(*parsed, "user.json", core::ConfigScope::User, loaded);
  core::applyConfigJson(*parsed, "project.json", core::ConfigScope::Project, loaded);
  for (const auto& d : loaded.diagnostics) {
    if (d.format().empty()) std::abort();
  }
  (void)core::routerConfig(loaded.config);
  return 0;
}
