// `cadre eval`: measures a model's tool-use judgment on the user's own
// endpoint before cadre trusts it with edits — which tool-call protocol it
// handles, and how often it passes each task of a suite — then saves the
// verdict that the router honours from then on (docs/eval.md).
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/cli/args.hpp"
#include "server/cli/table.hpp"
#include "server/core/config.hpp"
#include "server/core/state_paths.hpp"
#include "server/eval/evaluator.hpp"
#include "server/eval/verdicts.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kEvalUsage = R"(Usage: cadre eval [--model NAME]... [--suite DIR]... [--runs N] [--protocol auto|native|text]
                  [--json] [DIR]
       cadre eval --forget --model NAME... [DIR]

Measures how well a model uses cadre's tools on your own endpoint: it works
each task of a suite (read before edit, search before guessing a path, find
the definition, recover from a tool error, respect a deny-listed file, ask
when the request is ambiguous, stop when done, edit the right file first) in
a throw-away copy of the task's small project, several times, and the checks
of each task judge the sequence of tool calls and the files at the end.

First a probe decides the tool-call protocol: the probe tasks run with
native function calling and with cadre's text protocol, and the one whose
calls come out well-formed more often is kept for the model.

The verdict is saved per model ($XDG_STATE_HOME/cadre/models/NAME/eval.json)
and the router honours it: a model passing fewer than half the runs is
restricted to read-only work (no request offering tools that edit files or
run commands) until it is evaluated again. Models come from the user config
and DIR/.cadre/config.json (DIR defaults to the current directory).

Options:
  --model NAME      the model to evaluate (repeatable; default: every configured model)
  --suite DIR       a suite of your own: DIR/<task>/task.json (+ fixture/); repeatable;
                    `--suite default` is cadre's own, used when no --suite is given
  --runs N          runs of each task (default 3)
  --protocol MODE   auto (default: probe both), native or text (skip the probe)
  --json            the report as JSON on stdout
  --forget          drop the saved verdict of the --model(s): trusted as configured again

Exit status: 0 every model evaluated and not restricted; 1 a model is
restricted or could not be evaluated; 2 usage or setup error.
See docs/eval.md.
)";

std::string percent(double x) { return std::to_string(static_cast<int>(x * 100 + 0.5)) + "%"; }

std::string fixed1(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", x);
  return b;
}

std::string homeShort(const fs::path& p) {
  const char* home = std::getenv("HOME");
  std::string s = p.string();
  if (home && *home && s.rfind(home, 0) == 0) return "~" + s.substr(std::strlen(home));
  return s;
}

void printReport(const eval::EvalReport& r, const fs::path& saved) {
  std::printf("model %s (%s, %s): %zu tasks × %d runs\n", r.model.c_str(), r.modelId.c_str(), r.api.c_str(), r.tasks.size(), r.runsPerTask);
  if (!r.evaluated) {
    // No table of empty rows: say why, once.
    std::string why;
    for (const auto& p : r.probes)
      if (why.empty()) why = p.firstError;
    for (const auto& t : r.tasks)
      for (const auto& run : t.runs)
        if (why.empty()) why = run.modelError;
    std::printf("verdict: not evaluated — the model never answered; nothing was saved\n");
    if (!why.empty()) std::printf("  %s\n", why.c_str());
    return;
  }
  std::printf("tool calls: %s (%s)\n\n", eval::modeName(r.protocol), r.protocolReason.c_str());
  std::vector<std::vector<std::string>> rows = {{"TASK", "PASSED", "RATE", "TURNS", "CALLS", "MOST COMMON FAILURE"}};
  for (const auto& t : r.tasks) {
    double turns = 0, calls = 0;
    for (const auto& run : t.runs) turns += run.turns, calls += run.calls;
    const double n = t.runs.empty() ? 1 : static_cast<double>(t.runs.size());
    std::string failure = t.commonFailure();
    if (failure.size() > 90) failure = failure.substr(0, 87) + "...";
    rows.push_back({t.id, std::to_string(t.passes()) + "/" + std::to_string(t.runs.size()), percent(t.rate()), fixed1(turns / n),
                    fixed1(calls / n), failure});
  }
  rows.push_back({"overall", std::to_string(r.passed) + "/" + std::to_string(r.total), percent(r.score), "", "", ""});
  printTable(rows);
  std::puts("");
  if (r.restricted) {
    std::printf("verdict: restricted — %s of runs passed, under %s: the router now gives %s read-only work only\n"
                "         (no tools that edit files or run commands) until `cadre eval --model %s` passes it\n",
                percent(r.score).c_str(), percent(eval::kRestrictBelow).c_str(), r.model.c_str(), r.model.c_str());
  } else {
    std::printf("verdict: %s — %s of runs passed: all tools; tool calls %s\n", r.verdict.c_str(), percent(r.score).c_str(),
                eval::modeName(r.protocol));
  }
  if (!saved.empty()) std::printf("saved: %s\n", homeShort(saved).c_str());
}

}  // namespace

int runEval(Args& args) {
  std::vector<std::string> names, suites;
  std::string dir = ".";
  int runs = 3;
  std::optional<models::ToolCallMode> protocol;
  bool asJson = false, forget = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kEvalUsage, stdout);
      return 0;
    } else if (a == "--model") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--model needs a model name", kEvalUsage);
      names.push_back(*v);
    } else if (a == "--suite") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--suite needs a directory", kEvalUsage);
      suites.push_back(*v);
    } else if (a == "--runs") {
      auto v = args.value();
      char* end = nullptr;
      long n = v ? std::strtol(v->c_str(), &end, 10) : 0;
      if (!v || *end != '\0' || n < 1 || n > 100) return usageError("--runs needs a number from 1 to 100", kEvalUsage);
      runs = static_cast<int>(n);
    } else if (a == "--protocol") {
      auto v = args.value();
      if (!v || (*v != "auto" && *v != "native" && *v != "text")) return usageError("--protocol is auto, native or text", kEvalUsage);
      if (*v == "native") protocol = models::ToolCallMode::Native;
      if (*v == "text") protocol = models::ToolCallMode::Text;
    } else if (a == "--json") {
      asJson = true;
    } else if (a == "--forget") {
      forget = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for eval: " + a, kEvalUsage);
    } else {
      dir = a;
    }
  }

  // Every failed request is reported in the run lines and the table; the
  // router's own warnings about them would say it all twice.
  spdlog::set_level(spdlog::level::err);
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root)) {
    std::fprintf(stderr, "cadre eval: %s is not a directory\n", dir.c_str());
    return 2;
  }
  core::LoadedConfig config = core::loadConfig({root});
  for (const auto& d : config.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  if (config.hasErrors()) return 2;
  const models::RouterConfig base = core::routerConfig(config.config);
  const fs::path state = core::stateHome();

  if (names.empty()) {
    if (forget) return usageError("--forget needs --model NAME", kEvalUsage);
    for (const auto& m : base.models) names.push_back(m.name);
  }
  for (const auto& n : names) {
    if (auto solo = eval::soloRouterConfig(base, n, std::nullopt); !solo) {
      std::fprintf(stderr, "cadre eval: %s\n", solo.error().message.c_str());
      return 2;
    }
  }
  if (forget) {
    for (const auto& n : names) {
      if (auto ok = eval::forgetVerdict(state, n); !ok) {
        std::fprintf(stderr, "cadre eval: %s\n", ok.error().message.c_str());
        return 2;
      }
      std::printf("%s: verdict dropped; the router trusts it as configured until it is evaluated again\n", n.c_str());
    }
    return 0;
  }

  // The tasks: cadre's suite (written out of the binary) unless --suite
  // names others. Fixtures are copied into a scratch directory removed at the end.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = (tmpdir && *tmpdir ? std::string(tmpdir) : std::string("/tmp")) + "/cadre-eval-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char* made = ::mkdtemp(buf.data());
  if (!made) {
    std::fprintf(stderr, "cadre eval: cannot create a scratch directory\n");
    return 2;
  }
  const fs::path scratch = made;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{scratch};

  if (suites.empty()) suites.push_back("default");
  std::vector<eval::EvalTask> tasks;
  std::vector<std::string> suiteNames;
  std::set<std::string> ids;
  for (const auto& s : suites) {
    fs::path suiteDir;
    if (s == "default") {
      auto written = eval::writeDefaultSuite(scratch);
      if (!written) {
        std::fprintf(stderr, "cadre eval: %s\n", written.error().message.c_str());
        return 2;
      }
      suiteDir = *written;
      suiteNames.push_back("default");
    } else {
      suiteDir = fs::absolute(s);
      suiteNames.push_back(suiteDir.string());
    }
    auto loaded = eval::loadSuite(suiteDir);
    if (!loaded) {
      std::fprintf(stderr, "cadre eval: %s\n", loaded.error().message.c_str());
      return 2;
    }
    for (auto& t : *loaded) {
      if (!ids.insert(t.id).second) {
        std::fprintf(stderr, "cadre eval: two suites have a task '%s'; rename one (task.json \"id\")\n", t.id.c_str());
        return 2;
      }
      tasks.push_back(std::move(t));
    }
  }

  json all = json::array();
  bool allTrusted = true;
  for (const auto& name : names) {
    auto solo = eval::soloRouterConfig(base, name, std::nullopt);
    models::ModelSpec spec = solo->models.front();
    // The tie-break of the probe is the user's own setting, not an earlier verdict.
    spec.toolCalls = models::ToolCallMode::Native;
    for (const auto& m : config.config.models.models)
      if (m.name == name) spec.toolCalls = m.toolCalls;
    eval::RouterFactory routers = [&](models::ToolCallMode mode) -> Expected<std::unique_ptr<models::Router>> {
      auto c = eval::soloRouterConfig(base, name, mode);
      if (!c) return c.error();
      return models::Router::create(std::move(*c));
    };
    eval::EvalOptions options;
    options.runs = runs;
    options.protocol = protocol;
    options.onRun = [](const std::string& phase, const eval::EvalTask& t, int run, const eval::RunReport& r) {
      std::string why = r.passed ? "" : r.failures.empty() ? "" : "  " + r.failures.front();
      if (why.size() > 120) why = why.substr(0, 117) + "...";
      std::fprintf(stderr, "  %-13s %-24s run %d  %s%s\n", phase.c_str(), t.id.c_str(), run + 1, r.passed ? "pass" : "FAIL", why.c_str());
    };
    std::fprintf(stderr, "cadre eval: %s — %zu tasks × %d runs\n", name.c_str(), tasks.size(), runs);
    eval::EvalReport report = eval::evaluateModel(spec, tasks, routers, options, scratch / ("model-" + name));
    report.suites = suiteNames;
    fs::path saved;
    if (report.evaluated) {
      saved = eval::modelStateDir(state, name) / "eval.json";
      if (auto ok = eval::writeJsonFile(saved, eval::toJson(report)); !ok) {
        std::fprintf(stderr, "cadre eval: %s\n", ok.error().message.c_str());
        saved.clear();
      }
    }
    allTrusted = allTrusted && report.evaluated && !report.restricted;
    if (asJson) {
      json j = eval::toJson(report);
      j["savedTo"] = saved.empty() ? json(nullptr) : json(saved.string());
      all.push_back(std::move(j));
    } else {
      printReport(report, saved);
      if (&name != &names.back()) std::puts("");
    }
  }
  if (asJson) std::puts(json({{"models", all}}).dump(2).c_str());
  return allTrusted ? 0 : 1;
}

}  // namespace cadre::cli
