// One task, end to end: the planner reads the project and writes a plan,
// the executor works it with tools in the task's shadow workspace, the
// linters' delta goes back to the executor until it is clean (bounded), a
// different model reviews the diff against the plan's criteria (bounded
// rounds of findings), and the result is a diff that has passed its checks,
// waiting for the user's approval. Nothing here touches the user's files.
//
// Every step is reported as a TaskEvent as it happens (plan, streamed
// tokens, tool calls and results, diagnostics, review, diff, status).
// Blocking: run() is called on a worker thread; `cancel` stops it at the
// next token or tool boundary.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "server/agent/tools.hpp"
#include "server/models/router.hpp"

namespace cadre::agent {

struct TaskEvent {
  std::string kind;  // status, plan, token, toolCall, toolResult, diagnostics, review, diff, error
  nlohmann::json data;
};

struct TaskOptions {
  std::string id;
  std::string prompt;
  std::string repoMap;  // the ranked map, already within budget
  std::string memory;   // .cadre/MEMORY.md
  int maxPlannerTurns = 8;
  int maxExecutorTurns = 24;   // model calls per execution round
  int maxLintRounds = 2;       // "you introduced these problems" rounds
  int maxReviewRounds = 2;     // reviewer findings sent back
  std::size_t maxToolResultBytes = 16 * 1024;  // what a model reads of one tool result
};

struct TaskResult {
  std::string status;  // "ready" (a diff awaits approval), "no-change", "cancelled", "failed"
  std::string diff;
  nlohmann::json plan;
  bool reviewApproved = false;
  std::string summary;  // the executor's last words
};

class TaskRunner {
 public:
  // `context` carries the Gate, the shadow, its directory and the linters;
  // its actor is replaced per role.
  TaskRunner(models::Router& router, const ToolRegistry& tools, ToolContext context,
             std::function<void(const TaskEvent&)> emit);

  Expected<TaskResult> run(const TaskOptions& options, const std::atomic<bool>* cancel);

 private:
  struct Turn {
    models::ChatResponse response;
  };
  // One model call, streamed and cancellable; audited as model_request.
  Expected<models::ChatResponse> ask(const std::string& role, models::ChatRequest request, const models::RouteOptions& route,
                                     const std::atomic<bool>* cancel);
  // Calls tools until the model answers without one (or the turn budget ends).
  Expected<models::ChatResponse> toolLoop(const std::string& role, std::vector<models::ChatMessage>& messages,
                                          const std::vector<models::ToolDefinition>& tools, int maxTurns,
                                          const std::atomic<bool>* cancel, const models::RouteOptions& route);
  std::vector<models::ToolDefinition> toolsFor(bool readOnly) const;

  models::Router& router_;
  const ToolRegistry& tools_;
  ToolContext context_;
  std::function<void(const TaskEvent&)> emit_;
  TaskOptions options_;
  std::string authorModel_, authorServed_;
};

// The JSON object in a model's answer (a fenced ```json block, or the first
// balanced {...}); null when there is none.
nlohmann::json extractJsonObject(std::string_view text);

}  // namespace cadre::agent
