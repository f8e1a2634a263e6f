// `cadre serve`: option parsing and startup settings; the serving itself is
// core/server.cpp.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <string>

#include "server/cli/args.hpp"
#include "server/core/config.hpp"
#include "server/core/logging.hpp"
#include "server/core/server.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kServeUsage = R"(Usage: cadre serve [--stdio | --tcp HOST:PORT] [options]

Runs the editor backend. stdio (the default) serves one client on stdin/stdout;
stdout carries the protocol only. --tcp serves many clients; a host other than
loopback needs a token in the environment variable named by server.tokenEnv
(default CADRE_TOKEN), which clients send as initializationOptions.token.

Options:
  --stdio                  serve on stdin/stdout (default)
  --tcp HOST:PORT          serve on TCP (port 0 picks a free port; it is logged)
  --log-file FILE          log to FILE instead of stderr
  --log-level LEVEL        trace, debug, info, warn, error, off (default: info, or log.level)
  --max-message-bytes N    refuse messages larger than N bytes (default: server.maxMessageBytes)
)";

}  // namespace

int runServe(Args& args) {
  std::optional<std::string> tcp;
  std::string logFile, logLevel;
  std::optional<std::size_t> maxMessage;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kServeUsage, stdout);
      return 0;
    } else if (a == "--stdio") {
      tcp.reset();
    } else if (a == "--tcp") {
      tcp = args.value();
      if (!tcp) return usageError("--tcp needs HOST:PORT", kServeUsage);
    } else if (a == "--log-file") {
      auto v = args.value();
      if (!v) return usageError("--log-file needs a path", kServeUsage);
      logFile = *v;
    } else if (a == "--log-level") {
      auto v = args.value();
      if (!isLogLevel(v)) return usageError(kLogLevelProblem, kServeUsage);
      logLevel = *v;
    } else if (a == "--max-message-bytes") {
      maxMessage = messageBytes(args.value());
      if (!maxMessage) return usageError(kMessageBytesProblem, kServeUsage);
    } else {
      return usageError("unknown option for serve: " + a, kServeUsage);
    }
  }

  // Startup settings come from the user file and the current directory's
  // project file; each session reloads with its workspace roots.
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  core::LoadedConfig config = core::loadConfig(ec ? std::vector<std::filesystem::path>{} : std::vector{cwd});
  const std::string level = logLevel.empty() ? config.config.log.level : logLevel;
  const std::string file = logFile.empty() ? config.config.log.file : logFile;
  if (auto ok = core::setupLogging(level, file); !ok) {
    std::fprintf(stderr, "cadre: %s\n", ok.error().message.c_str());
    return 2;
  }
  for (const auto& d : config.diagnostics) spdlog::warn("config: {}", d.format());

  core::ServeOptions options;
  options.limits.maxContentLength = maxMessage.value_or(config.config.server.maxMessageBytes);
  options.session.dispatcher.maxOutstandingCalls = config.config.server.maxOutstandingCalls;
  options.session.dispatcher.callTimeout = std::chrono::seconds(config.config.server.callTimeoutSeconds);
  options.session.controlsLogLevel = logLevel.empty();
  options.tokenEnv = config.config.server.tokenEnv;
  return tcp ? core::serveTcp(*tcp, std::move(options)) : core::serveStdio(std::move(options));
}

}  // namespace cadre::cli
