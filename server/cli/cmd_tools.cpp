// `cadre tools list|call`: cadre's agent tools from the shell, through the
// same Gate as the editor and the agent (policy, approvals asked on the
// terminal, sandbox, audit). For scripts, for trying a tool by hand, and for
// seeing what a model would see.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "server/cli/args.hpp"
#include "server/cli/index_loader.hpp"
#include "server/cli/terminal_approver.hpp"
#include "server/core/config.hpp"
#include "server/core/security_context.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kToolsUsage = R"(Usage: cadre tools list [--json]
       cadre tools call NAME [ARGUMENTS] [--dir DIR] [--model NAME] [--role ROLE] [--json]

Runs one of cadre's agent tools (read_file, list_files, search_files,
run_command) on the project in DIR (default: the current directory), through
the same checks as a model's call: the deny-list, the role's permissions,
approvals (asked on this terminal), the bubblewrap sandbox and the audit log
(DIR/.cadre/audit.jsonl).

ARGUMENTS is a JSON object, e.g. '{"path": "src/main.py"}'.

Options:
  --dir DIR      the workspace root
  --model NAME   whom the call is attributed to (default "cli")
  --role ROLE    router role whose permissions apply (default "executor")
  --json         print the result as JSON

Exit status: 0 the tool succeeded; 1 it ran and failed (e.g. a command's
non-zero exit); 2 it was refused or could not run (the reason on stderr).
)";

int list(bool json) {
  const auto registry = agent::builtinTools();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : registry.specs())
      out.push_back({{"name", s.name}, {"description", s.description}, {"inputSchema", s.inputSchema}});
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& s : registry.specs()) std::printf("%-14s %s\n", s.name.c_str(), s.description.c_str());
  return 0;
}

}  // namespace

int runTools(Args& args) {
  if (args.done()) return usageError("tools needs list or call", kToolsUsage);
  const std::string sub = args.take();
  if (sub == "--help" || sub == "-h") {
    std::fputs(kToolsUsage, stdout);
    return 0;
  }
  std::string dir = ".", model = "cli", role = "executor", name, arguments = "{}";
  bool json = false;
  std::vector<std::string> positional;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kToolsUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--dir" || a == "--model" || a == "--role") {
      auto v = args.value();
      if (!v) return usageError(a + " needs a value", kToolsUsage);
      (a == "--dir" ? dir : a == "--model" ? model : role) = *v;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for tools: " + a, kToolsUsage);
    } else {
      positional.push_back(a);
    }
  }
  if (sub == "list") return positional.empty() ? list(json) : usageError("tools list takes no arguments", kToolsUsage);
  if (sub != "call") return usageError("unknown tools command: " + sub, kToolsUsage);
  if (positional.empty() || positional.size() > 2) return usageError("tools call needs NAME [ARGUMENTS]", kToolsUsage);
  name = positional[0];
  if (positional.size() == 2) arguments = positional[1];
  nlohmann::json parsed = nlohmann::json::parse(arguments, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return usageError("ARGUMENTS must be a JSON object", kToolsUsage);

  std::error_code ec;
  auto root = std::filesystem::canonical(dir, ec);
  if (ec || !std::filesystem::is_directory(root)) {
    std::fprintf(stderr, "cadre tools: %s is not a directory\n", dir.c_str());
    return 2;
  }
  core::LoadedConfig config = core::loadConfig({root});
  for (const auto& d : config.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  auto ctx = core::buildSecurityContext(config.config, {root}, std::make_shared<TerminalApprover>());
  if (!ctx) {
    std::fprintf(stderr, "cadre tools: %s\n", ctx.error().message.c_str());
    return 2;
  }
  agent::ToolContext tc{*(*ctx)->gate, security::Actor{model, role}, nullptr, {}};
  tc.testCommand = config.config.tests.command;
  tc.index = [dir = root.string()](const std::atomic<bool>*) -> Expected<std::shared_ptr<const analysis::ProjectIndex>> {
    auto index = loadIndex(dir);  // only when an analysis tool asks
    if (!index) return index.error();
    return std::shared_ptr<const analysis::ProjectIndex>(std::make_shared<analysis::ProjectIndex>(std::move(*index)));
  };
  auto out = (*ctx)->tools.call(name, parsed, tc);
  nlohmann::json entry = {{"tool", name}, {"actor", "model"}, {"model", model}, {"role", role},
                          {"arguments", parsed},  {"ok", out.ok()}};
  if (!out) entry["error"] = out.error().message;
  if (auto logged = (*ctx)->audit->append(security::audit_kind::kToolCall, entry); !logged)
    std::fprintf(stderr, "cadre tools: audit: %s\n", logged.error().message.c_str());
  if (!out) {
    std::fprintf(stderr, "cadre tools: %s\n", out.error().message.c_str());
    return 2;
  }
  if (json) {
    std::printf("%s\n", nlohmann::json({{"content", out->text}, {"data", out->data}, {"isError", out->isError}}).dump(2).c_str());
  } else {
    std::fwrite(out->text.data(), 1, out->text.size(), stdout);
  }
  return out->isError ? 1 : 0;
}

}  // namespace cadre::cli
