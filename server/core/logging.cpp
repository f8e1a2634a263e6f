// spdlog sinks for cadre; see logging.hpp.
#include "server/core/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace cadre::core {

Expected<void> setLogLevel(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return makeError(ErrorCode::Config, "unknown log level \"" + level + "\" (trace, debug, info, warn, error, off)");
  }
  spdlog::set_level(parsed);
  return {};
}

Expected<void> setupLogging(const std::string& level, const std::string& file) {
  std::shared_ptr<spdlog::logger> logger;
  spdlog::drop("cadre");
  try {
    if (file.empty()) {
      logger = spdlog::stderr_color_mt("cadre");
    } else {
      logger = spdlog::basic_logger_mt("cadre", file);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return makeError(ErrorCode::IoError, std::string("cannot open log: ") + e.what());
  }
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  // A crash must not eat the last lines; log volume is small enough to flush each.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return setLogLevel(level);
}

}  // namespace cadre::core
