// JSON with comments (the format of .cadre/config.json, like VS Code's
// settings): // and /* */ comments and trailing commas are allowed. Errors
// give line and column in the original text.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::core {

Expected<nlohmann::json> parseJsonc(std::string_view text);

}  // namespace cadre::core
