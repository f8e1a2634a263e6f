// One run of one eval task: the model works the request with tools in a
// shadow of the task's fixture, single role, no planner or reviewer — the
// eval measures one model's tool-use judgment, not cadre's whole loop. The
// record of the run (every call, how it ended, the final files) is plain data
// so the checks (checks.hpp) are pure functions of it.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/agent/tools.hpp"
#include "server/eval/suite.hpp"
#include "server/models/router.hpp"

namespace cadre::eval {

// How a tool call ended, from the model's point of view.
enum class CallOutcome {
  Ok,            // the tool ran and succeeded
  ToolError,     // the tool ran and reported a failure (a command's exit code, a lint finding)
  Failed,        // the tool refused the arguments' content: no such file, a SEARCH block that does not match
  Refused,       // the Gate refused: a deny-listed path, outside the workspace, a command not approved
  UnknownTool,   // a tool that was not offered (hallucinated, or one of cadre's that this task does not offer)
  BadArguments,  // not valid JSON, or not what the tool's schema asks for
};
const char* toString(CallOutcome outcome);
bool parseCallOutcome(std::string_view text, CallOutcome& out);

struct CallRecord {
  int turn = 0;  // the model call that made it, from 0
  std::string name;
  std::string rawArguments;
  nlohmann::json arguments;  // null when rawArguments is not JSON
  CallOutcome outcome = CallOutcome::Ok;
  std::string message;              // the error the model was shown
  std::vector<std::string> paths;   // workspace-relative paths the call names (edit blocks included)
  bool mutating = false;            // changes files (shadow edits) or runs a process
};

struct Episode {
  std::vector<CallRecord> calls;
  std::string finalText;
  bool finished = false;   // ended with an answer and no tool call
  bool turnLimit = false;  // still calling tools when the turn budget ran out
  std::string modelError;  // a request failed (unreachable, HTTP error, broken stream)
  int turns = 0;
  double ms = 0;
  std::int64_t promptTokens = 0, completionTokens = 0;
  // The fixture's text files before and after (after: with the shadow's
  // changes), workspace-relative; `changed` lists what the shadow changed.
  std::map<std::string, std::string> before, after;
  std::vector<std::string> changed;
};

struct EpisodeOptions {
  std::string actorModel;  // the model's config name, for the Gate's actor
  std::size_t maxToolResultBytes = 16 * 1024;
  const std::atomic<bool>* cancel = nullptr;
};

// The system prompt a task gets unless it sets its own.
const char* defaultSystemPrompt();

// Runs `task` once on a fixture already materialized at `root`. Never fails:
// a model error ends the episode and is recorded in it.
Episode runEpisode(models::Router& router, const agent::ToolRegistry& tools, const EvalTask& task,
                   const std::filesystem::path& root, const EpisodeOptions& options);

// A path a model wrote, relative to the workspace root: "./a/b.py",
// "a//b.py" and "<root>/a/b.py" are all "a/b.py"; the root itself is ".".
std::string normalizePath(const std::string& path, const std::filesystem::path& root);

// The workspace paths a call names: `path`, `from`/`to`, and every file an
// edit_file batch touches.
std::vector<std::string> pathsOfCall(const std::string& tool, const nlohmann::json& args, const std::filesystem::path& root);

}  // namespace cadre::eval
