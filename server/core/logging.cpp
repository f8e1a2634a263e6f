// spdlog sinks for cadre; see logging.hpp.
#include "server/core/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/security/redact.hpp"

namespace cadre::core {
namespace {

constexpr const char* kPattern = "[%H:%M:%S.%e] [%^%l%$] %v";

// Wraps the pattern formatter and redacts the message before it is laid out.
// A formatter rather than a sink wrapper: spdlog clones it into every sink,
// the stderr and the file sink alike, and only the payload (the text cadre
// logged) is scanned, not the timestamp and level around it. The common case
// costs one scan and no copy.
class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!security::containsSecret(payload)) {
      inner_->format(msg, dest);
      return;
    }
    const std::string clean = security::redact(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(clean.data(), clean.size());
    inner_->format(copy, dest);
    // The color sink reads the level's color range from the message it passed in.
    msg.color_range_start = copy.color_range_start;
    msg.color_range_end = copy.color_range_end;
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

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
  logger->set_formatter(std::make_unique<RedactingFormatter>(std::make_unique<spdlog::pattern_formatter>(kPattern)));
  // A crash must not eat the last lines; log volume is small enough to flush each.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return setLogLevel(level);
}

}  // namespace cadre::core
