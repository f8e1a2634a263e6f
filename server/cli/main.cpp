// The `cadre` executable: parses the command line and hands off to a part.
// Each subcommand has --help; commands whose part has not landed yet say so and
// exit 2 rather than pretending.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/core/config.hpp"
#include "server/core/logging.hpp"
#include "server/core/server.hpp"

namespace {

using namespace cadre;

constexpr const char* kUsage = R"(cadre — a local-first AI coding backend for editors

Usage: cadre <command> [options]

Commands:
  serve [--stdio | --tcp HOST:PORT]   the editor backend (LSP framing, JSON-RPC 2.0)
  index [DIR]                         build or refresh the project index      (not yet available)
  map [DIR] [--tokens N]              print the ranked repo map               (not yet available)
  check [DIR]                         import/type consistency diagnostics     (not yet available)
  run "TASK" [DIR]                    plan/execute/review headless            (not yet available)
  models list|health|bench            configured models and their state       (not yet available)
  eval [--model NAME]                 tool-use evaluation of a model          (not yet available)
  checkpoints list|diff|restore       the project's checkpoints               (not yet available)
  audit verify|show                   the audit trail                         (not yet available)
  mcp serve                           cadre's tools over MCP                  (not yet available)
  acp                                 cadre as an Agent Client Protocol agent (not yet available)

Options:
  --version       print the version
  --help          this text; `cadre <command> --help` for a command

Configuration: $XDG_CONFIG_HOME/cadre/config.json and <project>/.cadre/config.json
(see docs/configuration.md).
)";

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

struct Args {
  std::vector<std::string> items;
  std::size_t pos = 0;
  bool done() const { return pos >= items.size(); }
  const std::string& peek() const { return items[pos]; }
  std::string take() { return items[pos++]; }
};

int usageError(const std::string& message, const char* usage) {
  std::fprintf(stderr, "cadre: %s\n\n%s", message.c_str(), usage);
  return 2;
}

int notYet(const std::string& command, int issue) {
  std::fprintf(stderr, "cadre %s: not available in this build yet (tracked as issue %d)\n", command.c_str(), issue);
  return 2;
}

int runServe(Args& args) {
  std::optional<std::string> tcp;
  std::string logFile, logLevel;
  std::optional<std::size_t> maxMessage;
  while (!args.done()) {
    std::string a = args.take();
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (args.done()) return std::nullopt;
      return args.take();
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kServeUsage, stdout);
      return 0;
    } else if (a == "--stdio") {
      tcp.reset();
    } else if (a == "--tcp") {
      tcp = value("--tcp");
      if (!tcp) return usageError("--tcp needs HOST:PORT", kServeUsage);
    } else if (a == "--log-file") {
      auto v = value("--log-file");
      if (!v) return usageError("--log-file needs a path", kServeUsage);
      logFile = *v;
    } else if (a == "--log-level") {
      auto v = value("--log-level");
      if (!v || (*v != "trace" && *v != "debug" && *v != "info" && *v != "warn" && *v != "error" && *v != "off")) {
        return usageError("--log-level needs one of trace, debug, info, warn, error, off", kServeUsage);
      }
      logLevel = *v;
    } else if (a == "--max-message-bytes") {
      auto v = value("--max-message-bytes");
      // The same range as server.maxMessageBytes: 1 KiB to 4 GiB.
      const bool digits = v && !v->empty() && v->size() <= 10 && v->find_first_not_of("0123456789") == std::string::npos;
      const unsigned long long n = digits ? std::stoull(*v) : 0;
      if (n < 1024 || n > (1ull << 32)) return usageError("--max-message-bytes needs a number from 1024 to 4294967296", kServeUsage);
      maxMessage = n;
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

}  // namespace

int main(int argc, char** argv) {
  // A peer that closes its end must not kill cadre with SIGPIPE; writes fail
  // with EPIPE instead and the connection closes.
  ::signal(SIGPIPE, SIG_IGN);
  // spdlog's default logger writes to stdout; replace it before anything logs.
  if (auto ok = core::setupLogging("warn", ""); !ok) return 2;

  Args args;
  for (int i = 1; i < argc; ++i) args.items.emplace_back(argv[i]);
  if (args.done()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args.take();
  if (command == "--version" || command == "version") {
    std::printf("cadre %s\n", CADRE_VERSION);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "serve") return runServe(args);
  if (command == "index" || command == "map" || command == "check") return notYet(command, 3);
  if (command == "checkpoints") return notYet(command, 4);
  if (command == "models") return notYet(command, 5);
  if (command == "audit") return notYet(command, 6);
  if (command == "run") return notYet(command, 7);
  if (command == "acp") return notYet(command, 8);
  if (command == "mcp") return notYet(command, 9);
  if (command == "eval") return notYet(command, 10);
  return usageError("unknown command: " + command, kUsage);
}
