// How a cadre task looks in an ACP client: each agent::TaskEvent becomes zero
// or more `session/update` payloads (the `update` object). The executor's
// streamed text is the agent's message; the planner's and reviewer's text is
// its thought; tool calls and their results are tool_call / tool_call_update;
// the plan's steps and acceptance criteria are plan entries whose status
// follows the task. Stateful (tool call ids, plan entries), one per prompt
// turn, used from one thread at a time; no I/O.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/agent/task.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::acp {

using json = nlohmann::json;

class TaskUpdates {
 public:
  // `turn` makes tool call ids unique across the prompts of a session;
  // `root` turns the tools' relative paths into the absolute ones ACP wants.
  TaskUpdates(std::string turn, std::filesystem::path root) : turn_(std::move(turn)), root_(std::move(root)) {}

  std::vector<json> map(const agent::TaskEvent& event);

  // The ACP id of the tool call a model made last (what an approval the
  // tool asks for refers to); empty before the first.
  const std::string& lastToolCallId() const { return lastToolCall_; }
  // The tool name behind that id.
  const std::string& lastToolName() const { return lastToolName_; }

  // The plan with every entry completed (the turn ended with a change or
  // nothing to change); null when there was no plan.
  json finishPlan();

 private:
  json planUpdate() const;
  std::vector<json> locations(const json& args) const;

  std::string turn_;
  std::filesystem::path root_;
  int calls_ = 0;
  // "<worker>/<the model's call id>" → ACP toolCallId: concurrent workers'
  // models may reuse each other's ids.
  std::map<std::string, std::string> ids_;
  std::string lastToolCall_, lastToolName_;
  json entries_ = json::array();
  std::size_t stepCount_ = 0;
};

// ACP's tool kind for a cadre tool (the icon a client shows).
std::string toolKind(const std::string& tool);
// A short human title: the tool and its main argument.
std::string toolTitle(const std::string& tool, const json& args);

// ToolCallContent `diff` blocks (absolute path, old and new text) for shadow
// changes; a deletion is shown as the file emptied.
json diffContent(const std::vector<workspace::ShadowChange>& changes);

// A text ToolCallContent / ContentChunk body.
json textContent(const std::string& text);

}  // namespace cadre::acp
