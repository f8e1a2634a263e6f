// `cadre run "TASK" [DIR]`: the whole plan/execute/review loop in a terminal.
// The change is made in a shadow of the project; approvals for commands are
// asked on the terminal; at the end the diff is shown and, once approved,
// applied atomically and audited. With --yes nothing is asked: commands the
// user allow-listed before still run, everything else is refused, and the
// final diff is applied.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>

#include "server/agent/task.hpp"
#include "server/analysis/repo_map.hpp"
#include "server/cli/args.hpp"
#include "server/cli/index_loader.hpp"
#include "server/cli/terminal_approver.hpp"
#include "server/core/config.hpp"
#include "server/core/project.hpp"
#include "server/core/security_context.hpp"
#include "server/core/shadow_tree_check.hpp"
#include "server/core/state_paths.hpp"
#include "server/core/task_resources.hpp"
#include "server/security/audit.hpp"
#include "server/workspace/apply.hpp"
#include "support/files.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunUsage = R"(Usage: cadre run "TASK" [DIR] [--yes] [--quiet]

Runs a task headless on the project in DIR (default: the current directory):
the planner model plans, the executor model changes files in a shadow copy
with tools (commands sandboxed, each asked on this terminal unless you
allow-listed it), the linters and cadre's consistency checks judge the
change, a different model reviews it. Then the diff is shown and applied to
your files only if you approve (atomically, audited in DIR/.cadre/audit.jsonl).

Options:
  --yes     ask nothing: allow-listed commands run, any other command is
            refused, and the final diff is applied
  --quiet   do not stream the models' text

Exit status: 0 applied (or nothing to change); 1 the task failed or the
diff was not applied; 2 usage or setup error.
)";

// --yes: what was not allow-listed before is refused, never asked.
class RefuseApprover : public security::Approver {
 public:
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& r, const std::atomic<bool>*) override {
    std::string what = r.command;
    if (what.empty() && r.kind == security::ApprovalKind::Edit && !r.paths.empty()) what = "an edit of " + r.paths.front();
    if (what.empty()) what = "an edit or read outside the workspace";
    std::fprintf(stderr, "  refused (--yes approves nothing new): %s\n", what.c_str());
    return security::ApprovalAnswer{security::ApprovalChoice::Deny, "not in the allow-list; cadre run --yes asks nothing"};
  }
};

const bool kColor = ::isatty(STDERR_FILENO) != 0;
const char* dim() { return kColor ? "\033[2m" : ""; }
const char* bold() { return kColor ? "\033[1m" : ""; }
const char* reset() { return kColor ? "\033[0m" : ""; }

}  // namespace

int runRun(Args& args) {
  std::string prompt, dir = ".";
  bool yes = false, quiet = false;
  std::vector<std::string> positional;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kRunUsage, stdout);
      return 0;
    } else if (a == "--yes" || a == "-y") {
      yes = true;
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for run: " + a, kRunUsage);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty() || positional.size() > 2) return usageError("run needs \"TASK\" [DIR]", kRunUsage);
  prompt = positional[0];
  if (positional.size() == 2) dir = positional[1];
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root)) {
    std::fprintf(stderr, "cadre run: %s is not a directory\n", dir.c_str());
    return 2;
  }
  core::LoadedConfig config = core::loadConfig({root});
  for (const auto& d : config.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  if (config.hasErrors()) return 2;

  std::shared_ptr<security::Approver> approver;
  if (yes) approver = std::make_shared<RefuseApprover>();
  else approver = std::make_shared<TerminalApprover>();
  auto ctx = core::buildSecurityContext(config.config, {root}, approver);
  if (!ctx) {
    std::fprintf(stderr, "cadre run: %s\n", ctx.error().message.c_str());
    return 2;
  }
  auto router = models::Router::create(core::routerConfig(config.config));
  if (!router) {
    std::fprintf(stderr, "cadre run: models: %s\n", router.error().message.c_str());
    return 2;
  }

  agent::TaskOptions options;
  options.id = "run-" + std::to_string(::getpid());
  options.prompt = prompt;
  readWholeFile(root / ".cadre" / "MEMORY.md", options.memory);
  options.hooks = config.config.hooks;
  std::shared_ptr<const analysis::ProjectIndex> projectIndex;  // also for find_symbol, references, repo_map
  if (auto index = loadIndex(root.string())) {
    analysis::RepoMapOptions mo;
    mo.tokenBudget = 2048;
    options.repoMap = analysis::buildRepoMap(*index, mo).text;
    projectIndex = std::make_shared<const analysis::ProjectIndex>(std::move(*index));
  }
  auto shadow = std::make_shared<workspace::ShadowWorkspace>(options.id, std::vector<fs::path>{root});
  const fs::path shadowDir = core::projectStateDir(root) / "shadows" / options.id;
  // cadre's consistency checks gate the change beside the linters, judged
  // against the shadow as a whole (as in editor tasks); the index load above
  // left the cache warm, so this indexing reads it back.
  auto project = std::make_shared<core::Project>();
  {
    std::promise<void> indexed;
    project->index({root}, nullptr, [&indexed](Expected<std::size_t>) { indexed.set_value(); }, config.config.security.deny);
    indexed.get_future().wait();
  }
  std::vector<workspace::LinterSpec> linters;
  for (const auto& j : config.config.lint.linters)
    if (auto l = workspace::linterFromJson(j)) linters.push_back(*l);
  if (config.config.lint.autodetect)
    for (auto& l : workspace::detectLinters(root, workspace::whichOnPath)) linters.push_back(l);

  std::string lastRole;
  auto print = [&](const agent::TaskEvent& e) {
    const auto& d = e.data;
    if (e.kind == "status") {
      std::fprintf(stderr, "%s%s▸ %s%s%s\n", lastRole.empty() ? "" : "\n", bold(), d.value("status", "").c_str(),
                   d.contains("message") ? (": " + d["message"].get<std::string>()).c_str() : "", reset());
      lastRole.clear();
    } else if (e.kind == "token" && !quiet) {
      const std::string who = d.value("worker", d.value("role", ""));
      if (who != lastRole) {
        std::fprintf(stderr, "%s%s[%s] ", lastRole.empty() ? "" : "\n", dim(), who.c_str());
        lastRole = who;
      }
      std::fprintf(stderr, "%s%s%s", dim(), d.value("text", "").c_str(), reset());
    } else if (e.kind == "toolCall") {
      std::string args = d.value("arguments", "");
      if (args.size() > 160) args = args.substr(0, 157) + "...";
      std::fprintf(stderr, "\n  → %s %s\n", d.value("name", "").c_str(), args.c_str());
      lastRole.clear();
    } else if (e.kind == "toolResult" && !d.value("ok", false)) {
      std::string text = d.value("text", "");
      if (text.size() > 300) text = text.substr(0, 297) + "...";
      std::fprintf(stderr, "    ✗ %s\n", text.c_str());
    } else if (e.kind == "process_output") {
      // From the processes' reader thread: one fprintf per event, never interleaved mid-line.
      std::string text = d.contains("text") ? d.value("text", "") : "(exited with code " + std::to_string(d.value("exitCode", -1)) + ")\n";
      std::fprintf(stderr, "%s  [%s] %s%s", dim(), d.value("process", "").c_str(), text.c_str(), reset());
    } else if (e.kind == "plan") {
      std::fprintf(stderr, "\n%splan%s\n", bold(), reset());
      lastRole.clear();
      for (const auto& s : d.value("steps", nlohmann::json::array()))
        std::fprintf(stderr, "  • %s\n", s.value("title", "").c_str());
    } else if (e.kind == "diagnostics") {
      for (const auto& p : d.value("introduced", nlohmann::json::array()))
        std::fprintf(stderr, "  ! %s:%d: %s (%s)\n", p.value("path", "").c_str(), p.value("line", 0),
                     p.value("message", "").c_str(), p.value("source", "").c_str());
    } else if (e.kind == "review") {
      std::fprintf(stderr, "\n%sreview by %s: %s%s\n", bold(), d.value("model", "").c_str(),
                   d.value("approved", false) ? "approved" : "changes requested", reset());
      for (const auto& f : d.value("findings", nlohmann::json::array()))
        std::fprintf(stderr, "  - %s\n", f.is_string() ? f.get<std::string>().c_str() : f.dump().c_str());
    } else if (e.kind == "workers") {
      std::fprintf(stderr, "\n%sworkers%s\n", bold(), reset());
      for (const auto& w : d.value("workers", nlohmann::json::array()))
        std::fprintf(stderr, "  • %s: %s\n", w.value("name", "").c_str(), w.value("files", nlohmann::json::array()).dump().c_str());
      lastRole.clear();
    } else if (e.kind == "compaction") {
      std::fprintf(stderr, "\n  (%s conversation compacted: ~%lld → ~%lld tokens of %lld, summary by %s)\n",
                   d.value("worker", d.value("role", "")).c_str(), d.value("beforeTokens", 0LL), d.value("afterTokens", 0LL),
                   d.value("window", 0LL), d.value("summary", "").c_str());
      lastRole.clear();
    } else if (e.kind == "hook" && d.value("blocked", false)) {
      std::fprintf(stderr, "    ✗ blocked by a preTool hook: %s\n", d.value("reason", "").c_str());
    } else if (e.kind == "memory") {
      std::fprintf(stderr, "\n%sdecisions%s%s\n", bold(), reset(),
                   d.value("appended", false) ? " (added to .cadre/MEMORY.md)" : " (not recorded)");
      for (const auto& m : d.value("decisions", nlohmann::json::array()))
        std::fprintf(stderr, "  - %s\n", m.is_string() ? m.get<std::string>().c_str() : m.dump().c_str());
      if (d.contains("message")) std::fprintf(stderr, "  %s\n", d.value("message", "").c_str());
    } else if (e.kind == "error") {
      std::fprintf(stderr, "cadre run: %s\n", d.value("message", "").c_str());
    }
  };
  agent::ToolContext tc{*(*ctx)->gate, security::Actor{}, nullptr, {}, shadow.get(), shadowDir, linters};
  tc.consistency = [project, shadowDir, security = *ctx, deny = config.config.security.deny](const workspace::ShadowWorkspace& sh) {
    return core::shadowTreeConsistency(*project, sh, shadowDir, security->gate->policy(), deny, nullptr);
  };
  // The task's processes and MCP servers; gone once the loop ends (before the apply).
  auto taskResources = std::make_unique<core::TaskResources>(config.config, **ctx, print);
  for (const auto& problem : taskResources->problems()) std::fprintf(stderr, "cadre run: %s\n", problem.c_str());
  taskResources->attach(tc, [projectIndex](const std::atomic<bool>*) -> Expected<std::shared_ptr<const analysis::ProjectIndex>> {
    if (!projectIndex) return makeError(ErrorCode::Unavailable, "the project could not be indexed");
    return projectIndex;
  });
  agent::TaskRunner runner(**router, taskResources->registry(), tc, print);
  auto result = runner.run(options, nullptr);
  taskResources.reset();
  if (!result) {
    std::fprintf(stderr, "%s\n", (*router)->configureHint().c_str());
    return 1;
  }
  if (result->status == "no-change") {
    std::printf("no change was needed\n");
    return 0;
  }
  if (result->status != "ready") return 1;
  std::fputs(result->diff.c_str(), stdout);
  std::fflush(stdout);

  std::vector<std::string> paths;
  std::vector<workspace::ApplyFile> files;
  for (const auto& c : shadow->changes()) {
    paths.push_back(c.path.string());
    files.push_back({c.path, c.base, c.content, c.mode});
  }
  if (!yes) {
    // The user approves the diff on the terminal (the Gate asks; auto-edit mode skips).
    auto ok = (*ctx)->gate->authorizeRealEdit(security::Actor{}, paths, result->diff, "apply the task's change");
    if (!ok) {
      std::fprintf(stderr, "not applied: %s\n", ok.error().message.c_str());
      return 1;
    }
  }
  auto applied = workspace::applyAtomically(files, {core::projectStateDir(root) / "apply-journal", 0});
  nlohmann::json audit = core::editAppliedEntry(options.id, shadow->changes());
  if (!applied) {
    audit["error"] = applied.error().message;
    (*ctx)->gate->record("edit_applied", audit);
    std::fprintf(stderr, "cadre run: %s\n", applied.error().message.c_str());
    return 1;
  }
  (*ctx)->gate->record("edit_applied", audit);
  std::fprintf(stderr, "%sapplied%s: %zu written, %zu deleted%s\n", bold(), reset(), applied->written.size(),
               applied->deleted.size(), applied->merged.empty() ? "" : " (some merged with your edits)");
  return 0;
}

}  // namespace cadre::cli
