// The plan → execute → check → review loop; see task.hpp.
#include "server/agent/task.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace cadre::agent {

using nlohmann::json;

namespace {

constexpr const char* kPlannerPrompt =
    "You are the planner of cadre, a coding agent working on the user's project. Read what you need with the tools "
    "(they are read-only). Then answer with the plan as one JSON object and nothing else:\n"
    "{\"steps\": [{\"title\": \"what to do\", \"files\": [\"path\", ...]}], \"criteria\": [\"how a reviewer can tell it is "
    "done right\", ...]}\nDo not write the code yourself.";

constexpr const char* kExecutorPrompt =
    "You are the executor of cadre, a coding agent. Carry out the plan with the tools. Change files only with edit_file "
    "(SEARCH/REPLACE blocks: a line with the path, <<<<<<< SEARCH, the exact current lines, =======, the new lines, "
    ">>>>>>> REPLACE), write_file, delete_file and rename_file: your changes go to a shadow copy of the project that the "
    "user approves before any real file changes. run_command runs in a sandbox that sees your changes. When the work is "
    "done, answer with a short summary of what you changed and make no tool call.";

constexpr const char* kReviewerPrompt =
    "You are the reviewer of cadre. Another model wrote the change below to carry out a plan. Check the diff against the "
    "plan's acceptance criteria (read files with the tools if you need to). Answer with one JSON object and nothing else:\n"
    "{\"approved\": true or false, \"findings\": [\"a concrete problem the author must fix\", ...]}";

std::string capped(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return text.substr(0, cut) + "\n[truncated: " + std::to_string(cut) + " of " + std::to_string(text.size()) +
         " bytes shown]";
}

}  // namespace

json extractJsonObject(std::string_view text) {
  // A fenced block first, then the first balanced object.
  for (std::size_t at = text.find("```"); at != std::string_view::npos; at = text.find("```", at + 3)) {
    std::size_t nl = text.find('\n', at);
    std::size_t end = nl == std::string_view::npos ? nl : text.find("```", nl);
    if (end == std::string_view::npos) break;
    json j = json::parse(text.substr(nl + 1, end - nl - 1), nullptr, false);
    if (j.is_object()) return j;
    at = end;
  }
  for (std::size_t start = text.find('{'); start != std::string_view::npos; start = text.find('{', start + 1)) {
    int depth = 0;
    bool inString = false;
    for (std::size_t i = start; i < text.size(); ++i) {
      char c = text[i];
      if (inString) {
        if (c == '\\') ++i;
        else if (c == '"') inString = false;
        continue;
      }
      if (c == '"') inString = true;
      else if (c == '{') ++depth;
      else if (c == '}' && --depth == 0) {
        json j = json::parse(text.substr(start, i - start + 1), nullptr, false);
        if (j.is_object()) return j;
        break;
      }
    }
  }
  return nullptr;
}

TaskRunner::TaskRunner(models::Router& router, const ToolRegistry& tools, ToolContext context,
                       std::function<void(const TaskEvent&)> emit)
    : router_(router), tools_(tools), context_(std::move(context)), emit_(std::move(emit)) {}

std::vector<models::ToolDefinition> TaskRunner::toolsFor(bool readOnly) const {
  std::vector<models::ToolDefinition> out;
  for (const auto& s : tools_.specs()) {
    const bool writes = s.needs.writesShadow || s.needs.writesRealFiles || s.needs.runsProcess;
    if (readOnly && (writes || s.name == "lint_changes")) continue;
    out.push_back({s.name, s.description, s.inputSchema});
  }
  return out;
}

Expected<models::ChatResponse> TaskRunner::ask(const std::string& role, models::ChatRequest request,
                                               const models::RouteOptions& route, const std::atomic<bool>* cancel) {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Expected<models::ChatResponse>> result;
  };
  auto wait = std::make_shared<Wait>();
  models::StreamCallbacks callbacks;
  auto emit = emit_;
  callbacks.onText = [emit, role](std::string_view text) { emit({"token", {{"role", role}, {"text", std::string(text)}}}); };
  auto handle = router_.chat(std::move(request), route, callbacks, [wait](Expected<models::ChatResponse> r) {
    std::lock_guard lock(wait->mu);
    wait->result.emplace(std::move(r));
    wait->cv.notify_all();
  });
  std::unique_lock lock(wait->mu);
  bool cancelled = false;
  while (!wait->result) {
    if (!cancelled && cancel && cancel->load()) {
      cancelled = true;
      if (handle) handle->cancel();
    }
    wait->cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  Expected<models::ChatResponse> r = std::move(*wait->result);
  json audit = {{"actor", "agent"}, {"role", role}, {"task", options_.id}};
  if (r) {
    audit["model"] = r->model;
    audit["endpoint"] = r->endpoint;
    audit["inputTokens"] = r->usage.promptTokens;
    audit["outputTokens"] = r->usage.completionTokens;
    audit["durationMs"] = r->durationMs;
    audit["toolCalls"] = r->toolCalls.size();
  } else {
    audit["error"] = r.error().message;
  }
  context_.gate.record("model_request", std::move(audit));
  if (cancelled) return makeError(ErrorCode::RequestCancelled, "the task was cancelled");
  return r;
}

Expected<models::ChatResponse> TaskRunner::toolLoop(const std::string& role, std::vector<models::ChatMessage>& messages,
                                                    const std::vector<models::ToolDefinition>& tools, int maxTurns,
                                                    const std::atomic<bool>* cancel, const models::RouteOptions& route) {
  // Offering tools that write or run makes the request mutating: the router
  // keeps models that cadre eval restricted off it (docs/eval.md).
  models::RouteOptions routed = route;
  for (const auto& t : tools) {
    const ToolSpec* s = tools_.find(t.name);
    if (s && (s->needs.writesShadow || s->needs.writesRealFiles || s->needs.runsProcess)) routed.mutating = true;
  }
  for (int turn = 0; turn < maxTurns; ++turn) {
    if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "the task was cancelled");
    models::ChatRequest req;
    req.messages = messages;
    req.tools = tools;
    auto r = ask(role, std::move(req), routed, cancel);
    if (!r) return r;
    models::ChatMessage assistant;
    assistant.role = models::Role::Assistant;
    assistant.content = r->text;
    assistant.toolCalls = r->toolCalls;
    messages.push_back(assistant);
    if (r->toolCalls.empty()) return r;
    for (const auto& call : r->toolCalls) {
      if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "the task was cancelled");
      emit_({"toolCall", {{"role", role}, {"model", r->model}, {"id", call.id}, {"name", call.name}, {"arguments", call.arguments}}});
      std::string result;
      bool ok = false;
      json args = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
      if (args.is_discarded()) {
        result = "error: the arguments are not valid JSON: " + call.arguments.substr(0, 200);
      } else {
        ToolContext ctx = context_;
        ctx.actor = security::Actor{r->model, role};
        ctx.cancel = cancel;
        auto out = tools_.call(call.name, args, ctx);
        if (out) {
          ok = !out->isError;
          result = out->text;
        } else {
          result = "error: " + out.error().message;
        }
      }
      emit_({"toolResult", {{"role", role}, {"id", call.id}, {"name", call.name}, {"ok", ok}, {"text", capped(result, 4000)}}});
      models::ChatMessage tool;
      tool.role = models::Role::Tool;
      tool.toolCallId = call.id;
      tool.toolName = call.name;
      tool.content = capped(result, options_.maxToolResultBytes);
      messages.push_back(tool);
    }
  }
  return makeError(ErrorCode::RequestFailed, "the " + role + " used its " + std::to_string(maxTurns) +
                                                 " turns without finishing");
}

Expected<TaskResult> TaskRunner::run(const TaskOptions& options, const std::atomic<bool>* cancel) {
  options_ = options;
  TaskResult result;
  auto status = [&](const std::string& s, const std::string& message = {}) {
    json d = {{"status", s}};
    if (!message.empty()) d["message"] = message;
    emit_({"status", d});
  };
  auto finish = [&](const std::string& s) {
    result.status = s;
    status(s);
    return result;
  };
  auto failed = [&](const Error& e) -> Expected<TaskResult> {
    if (e.code == ErrorCode::RequestCancelled) return finish("cancelled");
    emit_({"error", {{"message", e.message}}});
    status("failed", e.message);
    return e;
  };

  std::string context = "Task: " + options.prompt + "\n";
  if (!options.memory.empty()) context += "\nProject memory (decisions taken before):\n" + options.memory + "\n";
  if (!options.repoMap.empty()) context += "\nRepository map (most important definitions):\n" + options.repoMap + "\n";

  // 1. Plan.
  status("planning");
  std::vector<models::ChatMessage> planMsgs = {{models::Role::System, kPlannerPrompt, {}, {}, {}},
                                               {models::Role::User, context, {}, {}, {}}};
  models::RouteOptions planRoute;
  planRoute.role = "planner";
  auto plan = toolLoop("planner", planMsgs, toolsFor(true), options.maxPlannerTurns, cancel, planRoute);
  if (!plan) return failed(plan.error());
  result.plan = extractJsonObject(plan->text);
  if (!result.plan.is_object() || !result.plan.contains("steps"))
    result.plan = {{"steps", json::array({{{"title", plan->text}, {"files", json::array()}}})}, {"criteria", json::array()}};
  emit_({"plan", result.plan});

  // 2–4. Execute, check, review.
  std::vector<models::ChatMessage> exec = {
      {models::Role::System, kExecutorPrompt, {}, {}, {}},
      {models::Role::User, context + "\nPlan:\n" + result.plan.dump(2), {}, {}, {}}};
  models::RouteOptions execRoute;
  execRoute.role = "executor";
  int lintRounds = 0, reviewRounds = 0;
  while (true) {
    status("executing");
    auto done = toolLoop("executor", exec, toolsFor(false), options.maxExecutorTurns, cancel, execRoute);
    if (!done) return failed(done.error());
    result.summary = done->text;
    authorModel_ = done->model;
    authorServed_ = done->servedModel;
    if (!context_.shadow || context_.shadow->empty()) {
      result.diff.clear();
      return finish("no-change");
    }
    // Only the problems this change introduced go back to the executor.
    if (lintRounds < options.maxLintRounds) {
      status("checking");
      ToolContext ctx = context_;
      ctx.actor = security::Actor{"", "linter"};
      ctx.cancel = cancel;
      auto lint = tools_.call("lint_changes", json::object(), ctx);
      if (lint) {
        emit_({"diagnostics", lint->data});
        if (!lint->data.value("introduced", json::array()).empty()) {
          ++lintRounds;
          exec.push_back({models::Role::User,
                          "Your change introduced these problems; fix them:\n" + lint->text, {}, {}, {}});
          continue;
        }
      }
    }
    result.diff = context_.shadow->diff();
    emit_({"diff", {{"diff", result.diff}}});
    status("reviewing");
    std::vector<models::ChatMessage> review = {
        {models::Role::System, kReviewerPrompt, {}, {}, {}},
        {models::Role::User,
         "Task: " + options.prompt + "\n\nPlan:\n" + result.plan.dump(2) + "\n\nThe author's summary:\n" + result.summary +
             "\n\nDiff:\n" + result.diff,
         {}, {}, {}}};
    models::RouteOptions reviewRoute;
    reviewRoute.role = "reviewer";
    reviewRoute.author = authorModel_;
    reviewRoute.authorServedModel = authorServed_;
    auto verdict = toolLoop("reviewer", review, toolsFor(true), 6, cancel, reviewRoute);
    if (!verdict) return failed(verdict.error());
    json v = extractJsonObject(verdict->text);
    const bool approved = v.is_object() && v.value("approved", false);
    json findings = v.is_object() && v.contains("findings") && v["findings"].is_array() ? v["findings"] : json::array();
    emit_({"review", {{"model", verdict->model}, {"approved", approved}, {"findings", findings}}});
    result.reviewApproved = approved;
    if (approved || reviewRounds >= options.maxReviewRounds) break;
    ++reviewRounds;
    std::string text = "The reviewer asks for changes:\n";
    for (const auto& f : findings) text += "- " + (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
    if (findings.empty()) text += verdict->text + "\n";
    exec.push_back({models::Role::User, text, {}, {}, {}});
  }
  result.diff = context_.shadow->diff();
  return finish("ready");
}

}  // namespace cadre::agent
