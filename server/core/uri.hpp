// file:// URIs ↔ filesystem paths (RFC 8089 as editors use it: percent-encoded
// UTF-8, empty or "localhost" authority). Anything else is refused, not guessed.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::core {

Expected<std::filesystem::path> uriToPath(std::string_view uri);
std::string pathToUri(const std::filesystem::path& path);

}  // namespace cadre::core
