// Logging setup. Logs go to stderr or a file, never stdout: in stdio mode
// stdout is the protocol stream. Every message passes through
// security::redact before any sink sees it, so a key that reaches a log call
// (a config dump, a failed request echoed back) is written as
// [REDACTED:<kind>].
#pragma once

#include <string>

#include "support/expected.hpp"

namespace cadre::core {

// `file` empty → stderr. `level` is one of trace, debug, info, warn, error, off.
// Installs the redacting formatter on the "cadre" logger, which becomes the
// default one; code elsewhere must not call spdlog::set_pattern or
// set_formatter, which would replace it.
Expected<void> setupLogging(const std::string& level, const std::string& file);
Expected<void> setLogLevel(const std::string& level);

}  // namespace cadre::core
