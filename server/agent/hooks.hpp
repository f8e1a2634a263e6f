// Lifecycle hooks: commands the user configures (`hooks` in config.json,
// docs/configuration.md) that run when a task starts and ends and before and
// after each tool call, with the call (and its result) as JSON on stdin. A
// preTool hook can stop the call: the model gets a tool error with the
// hook's reason and the client an event. Hooks are processes like any other:
// they run through the Gate (sandboxed, time-limited, audited); the user's
// own hooks are pre-approved, a project's are put to the user before they run.
#pragma once

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/agent/hook_settings.hpp"
#include "server/security/gate.hpp"

namespace cadre::agent {

// What the hooks of one event decided.
struct HookOutcome {
  bool blocked = false;  // preTool only
  std::string reason;    // why it was blocked, as the model will read it
  std::string command;   // the hook that blocked
  nlohmann::json runs = nlohmann::json::array();  // {command, exitCode?, error?, blocked, ms} per hook that ran
};

// How a preTool hook's finished run reads: blocked when it exited non-zero
// or printed {"block": "reason"}; the reason from that JSON, else its stderr,
// else its stdout, else the exit code. Pure, for tests.
HookOutcome judgePreToolRun(const std::string& command, int exitCode, const std::string& stdoutData,
                            const std::string& stderrData);

class Hooks {
 public:
  Hooks(security::Gate& gate, HookSettings settings, std::string task);

  bool empty() const { return settings_.commands.empty(); }
  // Runs the event's hooks in config order with `payload` (plus "event" and
  // "task") on stdin. For preTool the first hook that blocks ends the run; a
  // hook that cannot run (sandbox missing, timed out) blocks too — a guard
  // that failed must not let the call through — except a project's hook the
  // user declined to run, which is skipped. Every run is audited ("hook").
  HookOutcome run(const std::string& event, nlohmann::json payload, const std::string& tool,
                  const std::atomic<bool>* cancel);

 private:
  security::Gate& gate_;
  HookSettings settings_;
  std::string task_;
};

}  // namespace cadre::agent
