// Reading a whole file into memory, the one way cadre's parts and tools do it
// (open + read loop, no stream copies).
#pragma once

#include <filesystem>
#include <string>

namespace cadre {

// Replaces `out` with the file's bytes; false when it cannot be opened.
bool readWholeFile(const std::filesystem::path& path, std::string& out);

}  // namespace cadre
