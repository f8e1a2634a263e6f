// The protocol probe, the suite's runs, scoring and the verdict; see evaluator.hpp.
#include "server/eval/evaluator.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "server/agent/tools.hpp"
#include "server/eval/episode.hpp"
#include "server/eval/verdicts.hpp"

namespace cadre::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

RunReport judge(const EvalTask& task, const Episode& ep) {
  RunReport r;
  r.turns = ep.turns;
  r.calls = static_cast<int>(ep.calls.size());
  r.toolCalls = r.calls;
  r.ms = ep.ms;
  r.modelError = ep.modelError;
  r.answered = ep.turns > 1 || ep.modelError.empty();
  for (const auto& c : ep.calls)
    if (c.outcome == CallOutcome::UnknownTool || c.outcome == CallOutcome::BadArguments) r.wellFormed = false;
  r.passed = true;
  for (const auto& c : runChecks(task.checks, ep)) {
    if (c.passed) continue;
    r.passed = false;
    r.failures.push_back(c.message);
  }
  return r;
}

}  // namespace

std::string nowIso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const char* modeName(models::ToolCallMode mode) { return mode == models::ToolCallMode::Text ? "text" : "native"; }

int TaskReport::passes() const {
  return static_cast<int>(std::count_if(runs.begin(), runs.end(), [](const RunReport& r) { return r.passed; }));
}

double TaskReport::rate() const { return runs.empty() ? 0 : static_cast<double>(passes()) / static_cast<double>(runs.size()); }

std::string TaskReport::commonFailure() const {
  // The most frequent; among equals the one seen first, which is the
  // earlier check — task authors put the check that names the judgment
  // first and the consequences (file contents, call counts) after.
  std::vector<std::pair<std::string, int>> count;
  for (const auto& r : runs)
    for (const auto& f : r.failures) {
      auto it = std::find_if(count.begin(), count.end(), [&](const auto& e) { return e.first == f; });
      if (it == count.end()) count.emplace_back(f, 1);
      else ++it->second;
    }
  std::string best;
  int n = 0;
  for (const auto& [f, c] : count)
    if (c > n) best = f, n = c;
  return best;
}

Expected<models::RouterConfig> soloRouterConfig(const models::RouterConfig& base, const std::string& name,
                                                std::optional<models::ToolCallMode> mode) {
  auto it = std::find_if(base.models.begin(), base.models.end(), [&](const models::ModelSpec& m) { return m.name == name; });
  if (it == base.models.end()) {
    std::string names;
    for (const auto& m : base.models) names += (names.empty() ? "" : ", ") + m.name;
    return makeError(ErrorCode::Config, "no model named '" + name + "' is configured (models: " + names + ")");
  }
  models::RouterConfig c;
  c.models = {*it};
  c.models[0].restricted = false;  // the eval is how a restriction is lifted
  c.models[0].restriction.clear();
  if (mode) c.models[0].toolCalls = *mode;
  for (const auto& role : models::roleNames()) c.roles[role] = {name};
  c.roles.erase("reviewer");  // one model: no reviewer ≠ author check to fail at load
  c.settings = base.settings;
  c.localOnly = base.localOnly;
  c.userConfigPath = base.userConfigPath;
  c.defaulted = base.defaulted;
  return c;
}

models::ToolCallMode chooseProtocol(const std::vector<ProbeReport>& probes, models::ToolCallMode configured, std::string* reason) {
  const ProbeReport* native = nullptr;
  const ProbeReport* text = nullptr;
  for (const auto& p : probes) (p.mode == models::ToolCallMode::Native ? native : text) = &p;
  auto describe = [](const ProbeReport* p) {
    return std::to_string(p->wellFormed) + "/" + std::to_string(p->runs) + " well-formed, " + std::to_string(p->passed) + " passed";
  };
  if (!native || !text) {
    const ProbeReport* only = native ? native : text;
    if (reason) *reason = only ? std::string(modeName(only->mode)) + " only was probed" : "no probe";
    return only ? only->mode : configured;
  }
  auto key = [](const ProbeReport* p) { return std::make_pair(p->wellFormed, p->passed); };
  models::ToolCallMode pick = configured;
  if (key(native) > key(text)) pick = models::ToolCallMode::Native;
  else if (key(text) > key(native)) pick = models::ToolCallMode::Text;
  if (reason) {
    *reason = "native " + describe(native) + "; text " + describe(text) + " → " + modeName(pick);
    if (key(native) == key(text)) *reason += std::string(" (a tie keeps the configured ") + modeName(configured) + ")";
  }
  return pick;
}

void scoreReport(EvalReport& report) {
  report.passed = report.total = 0;
  for (const auto& t : report.tasks) {
    report.passed += t.passes();
    report.total += static_cast<int>(t.runs.size());
  }
  report.score = report.total ? static_cast<double>(report.passed) / report.total : 0;
  report.restricted = report.score < kRestrictBelow;
  report.verdict = report.restricted ? "restricted" : report.score >= kGoodScore ? "good" : "usable";
}

EvalReport evaluateModel(const models::ModelSpec& spec, const std::vector<EvalTask>& tasks, const RouterFactory& routers,
                         const EvalOptions& options, const fs::path& scratch) {
  EvalReport report;
  report.model = spec.name;
  report.modelId = spec.model;
  report.api = models::apiName(spec.api);
  report.runsPerTask = options.runs;
  report.evaluatedAt = nowIso();
  const agent::ToolRegistry tools = agent::builtinTools();

  // One copy of each fixture: runs change only their own shadow, never the copy.
  std::map<std::string, fs::path> roots;
  auto rootOf = [&](const EvalTask& t) -> Expected<fs::path> {
    if (auto it = roots.find(t.id); it != roots.end()) return it->second;
    fs::path root = scratch / "fixtures" / t.id;
    if (auto ok = materializeFixture(t, root); !ok) return ok.error();
    roots[t.id] = root;
    return root;
  };
  auto runOnce = [&](models::Router& router, const EvalTask& t) -> RunReport {
    auto root = rootOf(t);
    if (!root) {
      RunReport r;
      r.modelError = root.error().message;
      r.failures.push_back(r.modelError);
      return r;
    }
    EpisodeOptions eo;
    eo.actorModel = spec.name;
    eo.cancel = options.cancel;
    return judge(t, runEpisode(router, tools, t, *root, eo));
  };
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };

  // 1. The protocol. The probe asks only whether the model forms calls that
  // work in each protocol — the judgment is measured once, below, in the
  // chosen one — so it costs a few requests, not a second suite.
  if (options.protocol) {
    report.protocol = *options.protocol;
    report.protocolReason = std::string("forced with --protocol ") + modeName(*options.protocol);
  } else {
    std::vector<const EvalTask*> probeTasks;
    for (const auto& t : tasks)
      if (t.probe) probeTasks.push_back(&t);
    if (probeTasks.empty() && !tasks.empty()) probeTasks.push_back(&tasks.front());
    for (models::ToolCallMode mode : {models::ToolCallMode::Native, models::ToolCallMode::Text}) {
      ProbeReport p;
      p.mode = mode;
      auto router = routers(mode);
      if (!router) {
        p.firstError = router.error().message;
        report.probes.push_back(p);
        continue;
      }
      for (int run = 0; run < options.probeRuns && !cancelled(); ++run) {
        for (const EvalTask* t : probeTasks) {
          RunReport r = runOnce(**router, *t);
          ++p.runs;
          const bool formed = r.modelError.empty() && r.wellFormed && r.toolCalls > 0;
          p.wellFormed += formed ? 1 : 0;
          p.passed += r.passed ? 1 : 0;
          p.answered += r.answered ? 1 : 0;
          if (p.firstError.empty() && !formed)
            p.firstError = !r.modelError.empty() ? r.modelError : r.toolCalls == 0 ? "made no tool call" : r.failures.empty() ? "malformed call" : r.failures.front();
          if (options.onRun) options.onRun(std::string("probe-") + modeName(mode), *t, run, r);
          if (p.answered == 0 && p.runs >= 2) break;  // unreachable in this protocol: no point in more
        }
        if (p.answered == 0 && p.runs >= 2) break;
      }
      report.probes.push_back(p);
    }
    report.protocol = chooseProtocol(report.probes, spec.toolCalls, &report.protocolReason);
  }

  // 2. The suite, in the chosen protocol — unless the model never answered
  // the probe in either protocol, or stops answering at the start: then it
  // is unreachable, and running the rest would only repeat that.
  auto router = routers(report.protocol);
  bool anyAnswer = false;
  int unanswered = 0;
  const bool probesSilent = !report.probes.empty() && std::all_of(report.probes.begin(), report.probes.end(), [](const ProbeReport& p) {
    return p.runs > 0 && p.wellFormed == 0 && p.passed == 0 && p.answered == 0;
  });
  auto unreachable = [&] { return probesSilent || (!anyAnswer && unanswered >= 2); };
  for (const auto& t : tasks) {
    TaskReport tr;
    tr.id = t.id;
    tr.title = t.title;
    for (int run = 0; run < options.runs && !cancelled() && !unreachable(); ++run) {
      RunReport r;
      if (!router) {
        r.modelError = router.error().message;
        r.failures.push_back(r.modelError);
      } else {
        r = runOnce(**router, t);
      }
      anyAnswer = anyAnswer || r.answered;
      unanswered += r.answered ? 0 : 1;
      if (options.onRun) options.onRun("suite", t, run, r);
      tr.runs.push_back(std::move(r));
    }
    report.tasks.push_back(std::move(tr));
  }
  scoreReport(report);
  // A model that never answered was not evaluated: an unreachable server
  // says nothing about judgment, so no verdict is drawn from it.
  report.evaluated = anyAnswer && !cancelled();
  return report;
}

json toJson(const EvalReport& r) {
  json tasks = json::array();
  for (const auto& t : r.tasks) {
    json runs = json::array();
    for (const auto& run : t.runs) {
      json j = {{"passed", run.passed}, {"turns", run.turns}, {"toolCalls", run.calls}, {"ms", run.ms}, {"failures", run.failures}};
      if (!run.modelError.empty()) j["modelError"] = run.modelError;
      runs.push_back(std::move(j));
    }
    tasks.push_back({{"id", t.id}, {"title", t.title}, {"passed", t.passes()}, {"runs", t.runs.size()}, {"rate", t.rate()},
                     {"commonFailure", t.commonFailure()}, {"results", runs}});
  }
  json probes = json::array();
  for (const auto& p : r.probes)
    probes.push_back({{"mode", modeName(p.mode)}, {"runs", p.runs}, {"wellFormed", p.wellFormed}, {"passed", p.passed}, {"firstError", p.firstError}});
  return {{"model", r.model},
          {"modelId", r.modelId},
          {"api", r.api},
          {"suites", r.suites},
          {"runsPerTask", r.runsPerTask},
          {"probes", probes},
          {"toolCalls", modeName(r.protocol)},
          {"protocolReason", r.protocolReason},
          {"tasks", tasks},
          {"passed", r.passed},
          {"total", r.total},
          {"score", r.score},
          {"evaluated", r.evaluated},
          {"restricted", r.restricted},
          {"verdict", r.evaluated ? r.verdict : "not evaluated"},
          {"evaluatedAt", r.evaluatedAt}};
}

}  // namespace cadre::eval
