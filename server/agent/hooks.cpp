// Running hooks through the Gate and reading what they say; see hooks.hpp.
#include "server/agent/hooks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace cadre::agent {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxReasonBytes = 2000;  // what a model reads of a hook's reason

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t start = s.find_first_not_of(" \t\r\n");
  s = start == std::string::npos ? "" : s.substr(start);
  if (s.size() > kMaxReasonBytes) s = s.substr(0, kMaxReasonBytes) + " [truncated]";
  return s;
}

// A user's hook named by absolute or ~ path is bound read-only into the
// sandbox (it usually lives outside the project). Only the file itself.
std::string scriptOf(const std::string& command) {
  std::size_t start = command.find_first_not_of(" \t");
  if (start == std::string::npos) return {};
  std::size_t end = command.find_first_of(" \t;|&<>", start);
  std::string word = command.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (word.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) return {};
    word = std::string(home) + word.substr(1);
  }
  if (word.empty() || word[0] != '/') return {};
  std::error_code ec;
  return fs::is_regular_file(word, ec) ? word : std::string();
}

}  // namespace

const std::vector<std::string>& hookEvents() {
  static const std::vector<std::string> events = {"taskStart", "taskEnd", "preTool", "postTool"};
  return events;
}

HookOutcome judgePreToolRun(const std::string& command, int exitCode, const std::string& stdoutData,
                            const std::string& stderrData) {
  HookOutcome out;
  out.command = command;
  json said = json::parse(trimmed(stdoutData), nullptr, false);
  std::string fromJson;
  if (said.is_object() && said.contains("block")) {
    const json& b = said["block"];
    if (b.is_string()) fromJson = b.get<std::string>();
    else if (b.is_boolean() && !b.get<bool>()) said = nullptr;  // {"block": false}: explicitly fine
    else fromJson = said.value("reason", std::string());
    if (said.is_object()) out.blocked = true;
  }
  if (exitCode != 0) out.blocked = true;
  if (!out.blocked) return out;
  out.reason = trimmed(fromJson);
  if (out.reason.empty()) out.reason = trimmed(stderrData);
  if (out.reason.empty() && !said.is_object()) out.reason = trimmed(stdoutData);
  if (out.reason.empty()) out.reason = "the preTool hook exited with " + std::to_string(exitCode);
  return out;
}

Hooks::Hooks(security::Gate& gate, HookSettings settings, std::string task)
    : gate_(gate), settings_(std::move(settings)), task_(std::move(task)) {}

HookOutcome Hooks::run(const std::string& event, json payload, const std::string& tool, const std::atomic<bool>* cancel) {
  HookOutcome outcome;
  payload["event"] = event;
  payload["task"] = task_;
  const std::string input = payload.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  for (const auto& h : settings_.commands) {
    if (h.event != event) continue;
    if (!tool.empty() && !h.tools.empty() && std::find(h.tools.begin(), h.tools.end(), tool) == h.tools.end()) continue;
    if (cancel && cancel->load()) break;
    security::CommandRequest req;
    req.line = h.command;
    req.why = event + " hook from " + h.source;
    req.timeoutMs = settings_.timeoutSeconds * 1000;
    req.stdinData = input;
    req.preApproved = !h.fromProject;
    if (!h.fromProject)
      if (auto script = scriptOf(h.command); !script.empty()) req.readOnlyPaths.push_back(script);
    const auto started = std::chrono::steady_clock::now();
    auto r = gate_.runCommand(security::Actor{"", "hook"}, req, cancel);
    json run = {{"command", h.command}, {"event", event}, {"source", h.source}};
    if (!tool.empty()) run["tool"] = tool;
    HookOutcome verdict;
    if (r) {
      run["exitCode"] = r->exitCode;
      if (r->timedOut) run["timedOut"] = true;
      if (event == "preTool") {
        verdict = r->timedOut ? HookOutcome{true, "the preTool hook timed out after " + std::to_string(settings_.timeoutSeconds) + " s", h.command}
                              : judgePreToolRun(h.command, r->exitCode, r->stdoutData, r->stderrData);
      }
    } else {
      run["error"] = r.error().message;
      const bool declined = h.fromProject && r.error().code == ErrorCode::Unauthorized;
      if (declined) run["skipped"] = true;
      if (event == "preTool" && !declined && r.error().code != ErrorCode::RequestCancelled)
        verdict = {true, "the preTool hook could not run: " + r.error().message, h.command};
    }
    run["blocked"] = verdict.blocked;
    if (verdict.blocked) run["reason"] = verdict.reason;
    run["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    json audit = run;
    audit["task"] = task_;
    gate_.record("hook", std::move(audit));
    outcome.runs.push_back(std::move(run));
    if (verdict.blocked) {
      outcome.blocked = true;
      outcome.reason = verdict.reason;
      outcome.command = h.command;
      break;
    }
  }
  return outcome;
}

}  // namespace cadre::agent
