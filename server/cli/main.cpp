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

#include "server/cli/args.hpp"
#include "server/core/logging.hpp"

namespace {

using namespace cadre;
using cli::Args;
using cli::usageError;

constexpr const char* kUsage = R"(cadre — a local-first AI coding backend for editors

Usage: cadre <command> [options]

Commands:
  serve [--stdio | --tcp HOST:PORT]   the editor backend (LSP framing, JSON-RPC 2.0)
  index [DIR]                         build or refresh the project index, print counts
  map [DIR] [--tokens N] [--focus F]  print the ranked repo map within a token budget
  check [DIR]                         import consistency diagnostics; exit 1 on errors
  tools list|call NAME [JSON]         run an agent tool through the security gate
  run "TASK" [DIR] [--yes]            plan/execute/review headless, approvals on the terminal
  models list|health|bench [--json]   configured models, their reachability, speed and memory
  eval [--model NAME] [--suite DIR]   tool-use evaluation of a model: a score, a verdict the router honours
  checkpoints list|diff|restore       the project's checkpoints (also create, prune, gc)
  audit verify|show                   the audit trail
  mcp serve|list|call                 cadre's tools over MCP; the configured MCP servers
  acp                                 cadre as an Agent Client Protocol agent on stdio (Zed, avante.nvim, ...)

Options:
  --version       print the version
  --help          this text; `cadre <command> --help` for a command

Configuration: $XDG_CONFIG_HOME/cadre/config.json and <project>/.cadre/config.json
(see docs/configuration.md).
)";

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
  if (command == "serve") return cli::runServe(args);
  if (command == "index") return cli::runIndex(args);
  if (command == "map") return cli::runMap(args);
  if (command == "check") return cli::runCheck(args);
  if (command == "tools") return cli::runTools(args);
  if (command == "checkpoints") return cli::runCheckpoints(args);
  if (command == "models") return cli::runModels(args);
  if (command == "audit") return cli::runAudit(args);
  if (command == "run") return cli::runRun(args);
  if (command == "acp") return cli::runAcp(args);
  if (command == "mcp") return cli::runMcp(args);
  if (command == "eval") return cli::runEval(args);
  return usageError("unknown command: " + command, kUsage);
}
