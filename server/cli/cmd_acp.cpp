// `cadre acp`: option parsing and logging; the agent itself is server/acp.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <string>

#include "server/acp/serve.hpp"
#include "server/cli/args.hpp"
#include "server/core/config.hpp"
#include "server/core/logging.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kAcpUsage = R"(Usage: cadre acp [--log-file FILE] [--log-level LEVEL]

Runs cadre as an Agent Client Protocol (ACP v1) agent on stdin/stdout, for
editors that speak ACP (Zed's agent panel, avante.nvim, codecompanion.nvim):
the editor starts `cadre acp` and sends newline-delimited JSON-RPC. Each
session works in the directory the editor gives as cwd; each prompt runs a
cadre task (plan, execute in a shadow copy, checks, review) with its progress
streamed to the editor, commands asked through the editor's permission
prompt, and the change applied to your files only when you allow the edit
(atomically, with a checkpoint to undo, audited in <cwd>/.cadre/audit.jsonl).
stdout carries ACP messages only. See docs/acp.md.

Options:
  --log-file FILE          log to FILE instead of stderr
  --log-level LEVEL        trace, debug, info, warn, error, off (default: log.level)
  --max-message-bytes N    skip (and answer with an error) lines longer than N bytes
                           (default: server.maxMessageBytes)
)";

}  // namespace

int runAcp(Args& args) {
  std::string logFile, logLevel;
  std::optional<std::size_t> maxMessage;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kAcpUsage, stdout);
      return 0;
    } else if (a == "--log-file") {
      auto v = args.value();
      if (!v) return usageError("--log-file needs a path", kAcpUsage);
      logFile = *v;
    } else if (a == "--log-level") {
      auto v = args.value();
      if (!isLogLevel(v)) return usageError(kLogLevelProblem, kAcpUsage);
      logLevel = *v;
    } else if (a == "--max-message-bytes") {
      maxMessage = messageBytes(args.value());
      if (!maxMessage) return usageError(kMessageBytesProblem, kAcpUsage);
    } else {
      return usageError("unknown option for acp: " + a, kAcpUsage);
    }
  }
  // Startup settings (logging, limits) from the user file and the current
  // directory; each session loads its own cwd's configuration.
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  core::LoadedConfig config = core::loadConfig(ec ? std::vector<std::filesystem::path>{} : std::vector{cwd});
  if (auto ok = core::setupLogging(logLevel.empty() ? config.config.log.level : logLevel,
                                   logFile.empty() ? config.config.log.file : logFile);
      !ok) {
    std::fprintf(stderr, "cadre: %s\n", ok.error().message.c_str());
    return 2;
  }
  for (const auto& d : config.diagnostics) spdlog::warn("config: {}", d.format());
  acp::ServeOptions options;
  options.limits.maxLineBytes = maxMessage.value_or(config.config.server.maxMessageBytes);
  options.agent.dispatcher.maxOutstandingCalls = config.config.server.maxOutstandingCalls;
  options.agent.dispatcher.callTimeout = std::chrono::seconds(config.config.server.callTimeoutSeconds);
  return acp::serveStdio(std::move(options));
}

}  // namespace cadre::cli
