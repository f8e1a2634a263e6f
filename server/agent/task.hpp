// One task, end to end: the planner reads the project and writes a plan,
// the executor works it step by step with tools in the task's shadow
// workspace, the linters' delta after each step goes back to the executor
// until it is clean (bounded), a different model reviews the diff against
// the plan's criteria (bounded rounds of findings), and the result is a diff
// that has passed its checks, waiting for the user's approval. Nothing here
// touches the user's files — except .cadre/MEMORY.md, and only through the
// Gate once the user approves the decisions the task proposed.
//
// A plan whose steps name workers of two or more kinds (implementation,
// tests, docs) is run by the coordinator (coordinator.cpp): one worker per
// kind, concurrently, each with its own conversation, on the task's shadow
// under file claims (claims.hpp); then the diff of all of them is checked and
// reviewed together. Conversations that outgrow the model's window are
// compacted (task_context.cpp); lifecycle hooks run around the task and its
// tool calls (hooks.hpp). docs/agent.md describes the whole loop.
//
// Every step is reported as a TaskEvent as it happens (plan, streamed
// tokens, tool calls and results, diagnostics, review, diff, status, …);
// events from a worker carry its name. Blocking: run() is called on a worker
// thread; `cancel` stops it at the next token or tool boundary.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/agent/claims.hpp"
#include "server/agent/hooks.hpp"
#include "server/agent/tools.hpp"
#include "server/models/router.hpp"

namespace cadre::agent {

struct TaskEvent {
  // status, plan, token, toolCall, toolResult, diagnostics, review, diff,
  // error, workers, compaction, hook, memory (docs/protocol.md)
  std::string kind;
  nlohmann::json data;
};

struct TaskOptions {
  std::string id;
  std::string prompt;
  std::string repoMap;  // the ranked map; cut further to fit the window
  std::string memory;   // .cadre/MEMORY.md
  int maxPlannerTurns = 8;
  int maxExecutorTurns = 24;   // model calls per execution round
  int maxLintRounds = 2;       // "you introduced these problems" rounds, per step
  int maxReviewRounds = 2;     // reviewer findings sent back
  std::size_t maxToolResultBytes = 16 * 1024;  // what a model reads of one tool result
  // Context: the window is the role's first model's contextTokens unless set
  // here; compaction starts when a conversation's estimate passes
  // compactAt × window and keeps the last `keepTurns` turns word for word.
  std::int64_t contextTokens = 0;
  double compactAt = 0.75;
  std::size_t keepTurns = 2;
  int maxWorkers = 3;  // implementation, tests, docs
  HookSettings hooks;
  // Ask the user (through the Gate) to append the proposed decisions to
  // .cadre/MEMORY.md before the task ends. Off: only the memory event.
  bool recordMemory = true;
  // A question, not a change (the Explain code action): one model (role
  // `executor`) answers with read-only tools; no plan, no shadow edit, no
  // review. The answer arrives as an `answer` event; the task ends `answered`.
  bool answerOnly = false;
  // Plan-first: stop after the plan (event `plan`), ending `planned`; no edits.
  bool planOnly = false;
};

struct TaskResult {
  std::string status;  // "ready" (a diff awaits approval), "no-change", "cancelled", "failed"
  std::string diff;
  nlohmann::json plan;
  bool reviewApproved = false;
  std::string summary;  // the executor's last words
  std::vector<std::string> decisions;  // proposed for project memory
  bool memoryAppended = false;
};

// One conversation with one model: the planner's, the executor's, the
// reviewer's or a worker's. The first `pinned` messages (system prompt, the
// task with memory and map, the plan) survive compaction word for word.
struct Conversation {
  std::string role;    // router role and event label: planner, executor, reviewer, worker
  std::string worker;  // a worker's name (implementation, tests, docs); empty otherwise
  std::vector<models::ChatMessage> messages;
  std::size_t pinned = 2;
  models::RouteOptions route;
};

class TaskRunner {
 public:
  // `context` carries the Gate, the shadow, its directory and the linters;
  // its actor is replaced per role.
  TaskRunner(models::Router& router, const ToolRegistry& tools, ToolContext context,
             std::function<void(const TaskEvent&)> emit);

  Expected<TaskResult> run(const TaskOptions& options, const std::atomic<bool>* cancel);

 private:
  // One model call, streamed and cancellable; audited as model_request.
  // `label` names the call in events and the audit (a role, or "compaction").
  Expected<models::ChatResponse> ask(const std::string& label, const std::string& worker, models::ChatRequest request,
                                     const models::RouteOptions& route, const std::atomic<bool>* cancel);
  // Calls tools until the model answers without one (or the turn budget
  // ends), compacting the conversation when it outgrows the window.
  Expected<models::ChatResponse> toolLoop(Conversation& conv, const std::vector<models::ToolDefinition>& tools,
                                          int maxTurns, const std::atomic<bool>* cancel);
  // One tool call with its hooks, claims and the loop's own tools; the text
  // the model reads and whether it succeeded.
  std::pair<std::string, bool> callTool(Conversation& conv, const models::ToolCall& call, const std::string& model,
                                        const std::atomic<bool>* cancel);
  std::vector<models::ToolDefinition> toolsFor(bool readOnly, bool worker) const;
  // Lint the shadow; the introduced problems as text for the model, or
  // empty when there are none (or no linter ran).
  std::string checkChanges(const std::string& worker, const std::atomic<bool>* cancel);

  // task_context.cpp
  std::int64_t windowFor(const std::string& role) const;
  void maybeCompact(Conversation& conv, const std::vector<models::ToolDefinition>& tools, const std::atomic<bool>* cancel);
  std::string taskContext(const std::string& role) const;
  std::string relevantFiles(const nlohmann::json& plan, std::int64_t tokens);

  // coordinator.cpp: the workers of a plan that names them, concurrently;
  // nullopt when the plan names fewer than two kinds. The text is what they
  // report, for the executor and the reviewer.
  std::optional<Expected<std::string>> runWorkers(const nlohmann::json& plan, const std::atomic<bool>* cancel);

  // Events, serialized: workers emit from their own threads.
  void emit(const std::string& kind, nlohmann::json data, const std::string& worker = {});
  void setStatus(const std::string& status, const std::string& message = {});
  void addDecisions(const std::vector<std::string>& decisions);
  std::vector<std::string> decisions() const;
  // Ask the Gate to append the decisions to .cadre/MEMORY.md; the memory event.
  void recordDecisions(TaskResult& result, const std::atomic<bool>* cancel);

  models::Router& router_;
  const ToolRegistry& tools_;
  ToolContext context_;
  std::function<void(const TaskEvent&)> emit_;
  std::mutex emitMu_;
  TaskOptions options_;
  std::optional<Hooks> hooks_;
  FileClaims claims_;
  mutable std::mutex decisionsMu_;
  std::vector<std::string> decisions_;
  std::string authorModel_, authorServed_;
};

// The JSON object in a model's answer (a fenced ```json block, or the first
// balanced {...}); null when there is none.
nlohmann::json extractJsonObject(std::string_view text);

}  // namespace cadre::agent
