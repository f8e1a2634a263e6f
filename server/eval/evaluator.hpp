// Evaluating one model on a suite: which tool-call protocol it handles
// (native function calling or cadre's text protocol), then every task run
// several times for a pass rate, an overall score and a verdict. A model
// that passes fewer than half the runs is restricted: the router then gives
// it only requests without tools that change files or run commands
// (docs/eval.md).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/eval/checks.hpp"
#include "server/eval/suite.hpp"
#include "server/models/model_config.hpp"
#include "server/models/router.hpp"

namespace cadre::eval {

// Below this share of passed runs a model is restricted; from kGoodScore
// on it is "good", in between "usable".
constexpr double kRestrictBelow = 0.5;
constexpr double kGoodScore = 0.8;

struct RunReport {
  bool passed = false;
  std::vector<std::string> failures;  // the failed checks' messages
  int turns = 0;
  int calls = 0;
  double ms = 0;
  std::string modelError;
  bool answered = false;  // at least one model request got an answer
  bool wellFormed = true;  // every call named an offered tool with valid arguments
  int toolCalls = 0;
};

struct TaskReport {
  std::string id, title;
  std::vector<RunReport> runs;
  int passes() const;
  double rate() const;
  std::string commonFailure() const;  // the most frequent failure message, "" when none
};

// How well a model formed tool calls in one protocol, on the probe tasks.
struct ProbeReport {
  models::ToolCallMode mode = models::ToolCallMode::Native;
  int runs = 0;
  int wellFormed = 0;  // runs with at least one call, every call to an offered tool with valid arguments, no model error
  int passed = 0;      // runs that also passed the task's checks
  int answered = 0;    // runs where the model answered at all
  std::string firstError;  // a model error or malformed call, for the report
};

struct EvalReport {
  std::string model;    // config name
  std::string modelId;  // the configured id ("auto" stays "auto")
  std::string api;
  std::vector<std::string> suites;
  int runsPerTask = 0;
  std::vector<ProbeReport> probes;  // empty when the protocol was forced
  models::ToolCallMode protocol = models::ToolCallMode::Native;
  std::string protocolReason;
  std::vector<TaskReport> tasks;
  int passed = 0, total = 0;
  double score = 0;
  bool restricted = false;
  std::string verdict;  // good | usable | restricted
  bool evaluated = false;  // false: the model never answered; no verdict is drawn
  std::string evaluatedAt;  // ISO 8601, UTC
};

struct EvalOptions {
  int runs = 3;
  int probeRuns = 2;  // per protocol
  std::optional<models::ToolCallMode> protocol;  // forced; otherwise probed
  const std::atomic<bool>* cancel = nullptr;
  // Called after every run (phase "probe-native", "probe-text" or "suite").
  std::function<void(const std::string& phase, const EvalTask& task, int run, const RunReport& report)> onRun;
};

// The router configuration that reaches exactly `name` in `mode`, bypassing
// roles and any earlier verdict (an eval must be able to re-evaluate a
// restricted model).
Expected<models::RouterConfig> soloRouterConfig(const models::RouterConfig& base, const std::string& name,
                                                std::optional<models::ToolCallMode> mode);

// Builds a router for `mode` (the caller decides how: the real one makes a
// solo router; tests may count).
using RouterFactory = std::function<Expected<std::unique_ptr<models::Router>>(models::ToolCallMode mode)>;

EvalReport evaluateModel(const models::ModelSpec& spec, const std::vector<EvalTask>& tasks, const RouterFactory& routers,
                         const EvalOptions& options, const std::filesystem::path& scratch);

// The protocol choice from the probes: the mode with more well-formed runs,
// then more passed runs; a tie goes to `configured` (the user's setting,
// native by default), since either works as well and the user chose it.
models::ToolCallMode chooseProtocol(const std::vector<ProbeReport>& probes, models::ToolCallMode configured, std::string* reason);

// Sets passed, total, score, restricted and verdict from the tasks' runs.
void scoreReport(EvalReport& report);

nlohmann::json toJson(const EvalReport& report);
const char* modeName(models::ToolCallMode mode);

}  // namespace cadre::eval
