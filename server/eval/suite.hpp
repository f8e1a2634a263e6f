// A tool-use evaluation suite as data: one directory per task holding a
// task.json (the request, the tools offered, the checks) and a fixture/
// project the model works on. cadre ships a default suite (evals/suite,
// embedded in the binary); users add their own with `cadre eval --suite DIR`.
// The format is documented in docs/eval.md.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/expected.hpp"

namespace cadre::eval {

struct EvalTask {
  std::string id;     // the task's directory name unless task.json says otherwise
  std::string title;  // one line for the table
  std::string request;
  std::string system;  // replaces the default system prompt when set
  std::vector<std::string> tools;  // offered tools; empty: the read and shadow-edit tools
  int maxTurns = 10;               // model calls before the run counts as looping
  bool probe = false;              // used to choose native vs text tool calls
  nlohmann::json checks = nlohmann::json::array();
  std::filesystem::path fixture;              // the task's fixture/ directory (may be absent)
  std::map<std::string, std::string> files;   // more fixture files, inline (relative path → content)
  std::filesystem::path source;               // the task.json, for messages
};

// The tools a task gets when it names none: reading, searching and the
// shadow edits. run_command is left out: an eval runs no commands.
const std::vector<std::string>& defaultTaskTools();

// Loads DIR/*/task.json (or DIR/task.json: a suite of one task), sorted by
// id. Every check is validated here, so a typo in a user's suite is an error
// naming the file and the check, not a task that silently always passes.
Expected<std::vector<EvalTask>> loadSuite(const std::filesystem::path& dir);

// Parses one task.json's content (`source` names it in errors).
Expected<EvalTask> parseTask(const nlohmann::json& j, const std::filesystem::path& source);

// Writes the default suite (embedded at build time from evals/suite) under
// `dir` and returns the suite's directory there.
Expected<std::filesystem::path> writeDefaultSuite(const std::filesystem::path& dir);

// Copies a task's fixture (directory and inline files) to `root`, which must
// not exist yet.
Expected<void> materializeFixture(const EvalTask& task, const std::filesystem::path& root);

}  // namespace cadre::eval
