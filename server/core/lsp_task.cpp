// cadre/task.start and cadre/task.cancel: the agent loop on a worker thread,
// its progress streamed as cadre/task.event notifications. The result is a
// diff in the task's shadow workspace; the user lands it with
// cadre/shadow.apply (which asks for approval).
#include <spdlog/spdlog.h>

#include "server/agent/task.hpp"
#include "server/analysis/repo_map.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"
#include "server/core/task_resources.hpp"
#include "support/files.hpp"

namespace cadre::core {

using protocol::json;

void LspSession::bindTasks() {
  dispatcher_.bind("cadre/task.start", this, &LspSession::onTaskStart);
  dispatcher_.bind("cadre/task.cancel", this, &LspSession::onTaskCancel);
}

void LspSession::onTaskStart(const lsp::TaskStartParams& p, protocol::Callback<json> reply) {
  TaskRequest request;
  request.prompt = p.prompt;
  request.task = p.task;
  request.mapTokens = p.mapTokens;
  request.planOnly = p.mode == "plan";
  startTask(std::move(request), std::move(reply));
}

void LspSession::startTask(TaskRequest request, protocol::Callback<json> reply) {
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  auto router = modelRouter();
  if (!router) return reply(router.error());
  const std::string task = request.task.empty() ? "task-" + std::to_string(++taskCounter_) : request.task;
  if (tasks_.count(task) && !tasks_[task]->load())
    return reply(makeError(ErrorCode::InvalidRequest, "task '" + task + "' is already running"));
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  tasks_[task] = cancel;

  agent::TaskOptions options;
  options.id = task;
  options.prompt = request.prompt;
  options.answerOnly = request.answerOnly;
  options.planOnly = request.planOnly;
  auto roots = rootPaths();
  if (!roots.empty()) readWholeFile(roots.front() / ".cadre" / "MEMORY.md", options.memory);
  options.hooks = config_.config.hooks;
  if (project_.ready() && !project_.indexes().empty()) {
    const auto& index = *project_.indexes().front();
    analysis::RepoMapOptions mo;
    mo.tokenBudget = request.mapTokens;
    for (const auto& f : request.focus) {
      auto rel = f.lexically_relative(index.root());
      if (!rel.empty() && rel.native().rfind("..", 0) != 0) mo.focusFiles.push_back(rel.generic_string());
    }
    options.repoMap = analysis::buildRepoMap(index, mo).text;
  }
  std::vector<std::string> problems;
  auto linters = projectLinters(problems);
  auto shadow = shadowFor(task, true);
  auto emit = taskEvents(task);
  // The id first, so a client knows the task before its first event.
  reply(json{{"task", task}});
  auto consistency = consistencyCheck();
  toolThreads_.start([ctx = *ctx, router = *router, options, linters, shadow, dir = shadowDirFor(task), cancel, emit, consistency,
                      editOnly = request.editOnly, config = config_.config, index = indexSource()]() {
    agent::ToolContext tc{*ctx->gate, security::Actor{}, cancel.get(), {}, shadow.get(), dir, linters, consistency, editOnly};
    TaskResources taskResources(config, *ctx, emit);  // processes and MCP servers end with the task
    taskResources.attach(tc, index);
    for (const auto& problem : taskResources.problems()) spdlog::warn("task {}: {}", options.id, problem);
    agent::TaskRunner runner(*router, taskResources.registry(), tc, emit);
    auto result = runner.run(options, cancel.get());
    if (!result) spdlog::warn("task {}: {}", options.id, result.error().message);
    cancel->store(true);  // finished: the name may be reused
  });
}

agent::IndexSource LspSession::indexSource() {
  std::weak_ptr<LspSession> weak = weak_from_this();
  return [weak](const std::atomic<bool>*) -> Expected<std::shared_ptr<const analysis::ProjectIndex>> {
    auto self = pin(weak);
    if (!self) return makeError(ErrorCode::Unavailable, "the session has ended");
    if (!self->project_.ready() || self->project_.indexes().empty())
      return makeError(ErrorCode::Unavailable, "the project index is still being built; try again in a moment");
    return self->project_.indexes().front();
  };
}

std::function<void(const agent::TaskEvent&)> LspSession::taskEvents(const std::string& task) {
  std::weak_ptr<LspSession> weak = weak_from_this();
  // Events go out as notifications, numbered so a client can tell a gap.
  auto seq = std::make_shared<std::atomic<std::int64_t>>(0);
  return [weak, task, seq](const agent::TaskEvent& e) {
    if (auto self = pin(weak))
      self->dispatcher_.notify("cadre/task.event", {{"task", task}, {"seq", ++*seq}, {"kind", e.kind}, {"data", e.data}});
  };
}

void LspSession::onTaskCancel(const lsp::TaskIdParams& p, protocol::Callback<json> reply) {
  auto it = tasks_.find(p.task);
  if (it == tasks_.end()) return reply(makeError(ErrorCode::InvalidParams, "no task named '" + p.task + "'"));
  const bool wasRunning = !it->second->exchange(true);
  reply(json{{"task", p.task}, {"cancelled", wasRunning}});
}

}  // namespace cadre::core
