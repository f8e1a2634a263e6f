// Where eval and bench results live and how the router learns of them. Each
// model's last results are kept per user, under
// $XDG_STATE_HOME/cadre/models/<name>/{eval,bench}.json; core applies the
// eval's verdict to the router's configuration (restricted or not, native or
// text tool calls) every time it builds one, so the CLI, the editor session
// and every other caller honour it the same way.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/models/model_config.hpp"
#include "support/expected.hpp"

namespace cadre::eval {

struct ModelVerdict {
  std::string model;    // config name
  std::string modelId;  // the id it was evaluated as
  bool restricted = false;
  models::ToolCallMode toolCalls = models::ToolCallMode::Native;
  double score = 0;
  int passed = 0, total = 0;
  std::string evaluatedAt;
};

// <stateHome>/models/<name>/ (the name with anything outside [A-Za-z0-9._-]
// replaced, so a model name never escapes the directory).
std::filesystem::path modelStateDir(const std::filesystem::path& stateHome, const std::string& name);

// Writes JSON to a file through a temp file and a rename: a reader sees the
// old result or the new one, never half of one.
Expected<void> writeJsonFile(const std::filesystem::path& file, const nlohmann::json& j);

// The verdict in <dir>/eval.json; nullopt when there is none, it does not
// read back, or it drew no verdict (the model never answered).
std::optional<ModelVerdict> loadVerdict(const std::filesystem::path& stateHome, const std::string& name);

// Drops a model's verdict (`cadre eval --forget`): it is trusted as
// configured again until the next eval.
Expected<void> forgetVerdict(const std::filesystem::path& stateHome, const std::string& name);

// For every model with a verdict for its configured id: the tool-call
// protocol the eval chose, and the restriction when it failed. A verdict for
// another id is stale (models.<name>.model changed since) and ignored.
void applyVerdicts(models::RouterConfig& config, const std::filesystem::path& stateHome);

// The current UTC time as eval and bench reports stamp it (2026-11-22T05:01:49Z).
std::string nowIso();

}  // namespace cadre::eval
