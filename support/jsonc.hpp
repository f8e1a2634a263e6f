// JSON with comments (the format of .cadre/config.json, like VS Code's
// settings): // and /* */ comments and trailing commas are allowed. Errors
// give line and column in the original text.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "support/expected.hpp"

namespace cadre {

Expected<nlohmann::json> parseJsonc(std::string_view text);

// nlohmann parses and prints recursively: a few hundred KB of brackets
// overflow the stack. Anything cadre reads from outside (messages, config) is
// checked against this depth before it is parsed.
inline constexpr std::size_t kMaxJsonNesting = 512;
// True when `text` opens more than `limit` arrays/objects at once (a cheap
// scan that skips strings; it does not validate).
bool nestsDeeperThan(std::string_view text, std::size_t limit);

}  // namespace cadre
