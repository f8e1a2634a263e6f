// Logging setup. Logs go to stderr or a file, never stdout: in stdio mode
// stdout is the protocol stream.
#pragma once

#include <string>

#include "support/expected.hpp"

namespace cadre::core {

// `file` empty → stderr. `level` is one of trace, debug, info, warn, error, off.
Expected<void> setupLogging(const std::string& level, const std::string& file);
Expected<void> setLogLevel(const std::string& level);

}  // namespace cadre::core
