// The plan → execute (per step, checked) → review loop; see task.hpp.
// Tool dispatch lives in task_tools.cpp, context and compaction in
// task_context.cpp, workers in coordinator.cpp.
#include "server/agent/task.hpp"

#include <condition_variable>
#include <ctime>

#include "server/agent/context.hpp"
#include "server/agent/memory.hpp"
#include "server/agent/processes.hpp"

namespace cadre::agent {

using nlohmann::json;

namespace {

constexpr const char* kPlannerPrompt =
    "You are the planner of cadre, a coding agent working on the user's project. Read what you need with the tools "
    "(they are read-only). Then answer with the plan as one JSON object and nothing else:\n"
    "{\"steps\": [{\"title\": \"what to do\", \"files\": [\"path\", ...], \"worker\": \"implementation|tests|docs "
    "(optional)\"}], \"criteria\": [\"how a reviewer can tell it is done right\", ...], \"decisions\": [\"a lasting "
    "project decision worth remembering (optional)\"]}\n"
    "Give steps a worker only when the work splits into independent parts on different files (e.g. the code and its "
    "tests): each kind of worker then runs at the same time as the others. Do not write the code yourself.";

constexpr const char* kExecutorPrompt =
    "You are the executor of cadre, a coding agent. Carry out the plan with the tools. Change files only with edit_file "
    "(SEARCH/REPLACE blocks: a line with the path, <<<<<<< SEARCH, the exact current lines, =======, the new lines, "
    ">>>>>>> REPLACE), write_file, delete_file and rename_file: your changes go to a shadow copy of the project that the "
    "user approves before any real file changes. run_command runs in a sandbox that sees your changes. When you take a "
    "decision the project should remember (a convention, a library choice), record it with propose_memory. When the "
    "work asked of you is done, answer with a short summary of what you changed and make no tool call.";

constexpr const char* kAnswerPrompt =
    "You are cadre, a coding assistant answering a question about the user's project. Read what you need with the tools "
    "(they are read-only; you cannot change files here). Answer in plain prose with short code references.";

constexpr const char* kReviewerPrompt =
    "You are the reviewer of cadre. Another model wrote the change below to carry out a plan. Check the diff against the "
    "plan's acceptance criteria (read files with the tools if you need to). Answer with one JSON object and nothing else:\n"
    "{\"approved\": true or false, \"findings\": [\"a concrete problem the author must fix\", ...]}";

std::string stepText(const json& step, std::size_t index, std::size_t count) {
  std::string text = "Step " + std::to_string(index + 1) + " of " + std::to_string(count) + ": " +
                     (step.is_object() ? step.value("title", std::string()) : step.dump());
  if (step.is_object() && step.contains("files") && step["files"].is_array() && !step["files"].empty())
    text += " (files: " + step["files"].dump() + ")";
  return text + "\nDo this step now; answer without a tool call when it is done.";
}

std::string today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
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

void TaskRunner::emit(const std::string& kind, json data, const std::string& worker) {
  if (!worker.empty() && data.is_object()) data["worker"] = worker;
  std::lock_guard lock(emitMu_);
  emit_({kind, std::move(data)});
}

void TaskRunner::setStatus(const std::string& status, const std::string& message) {
  json d = {{"status", status}};
  if (!message.empty()) d["message"] = message;
  emit("status", std::move(d));
}

void TaskRunner::addDecisions(const std::vector<std::string>& decisions) {
  std::lock_guard lock(decisionsMu_);
  for (const auto& d : decisions)
    if (std::find(decisions_.begin(), decisions_.end(), d) == decisions_.end()) decisions_.push_back(d);
}

std::vector<std::string> TaskRunner::decisions() const {
  std::lock_guard lock(decisionsMu_);
  return decisions_;
}

Expected<models::ChatResponse> TaskRunner::ask(const std::string& label, const std::string& worker,
                                               models::ChatRequest request, const models::RouteOptions& route,
                                               const std::atomic<bool>* cancel) {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Expected<models::ChatResponse>> result;
  };
  auto wait = std::make_shared<Wait>();
  models::StreamCallbacks callbacks;
  callbacks.onText = [this, label, worker](std::string_view text) {
    emit("token", {{"role", label}, {"text", std::string(text)}}, worker);
  };
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
  json audit = {{"actor", "agent"}, {"role", label}, {"task", options_.id}};
  if (!worker.empty()) audit["worker"] = worker;
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

Expected<models::ChatResponse> TaskRunner::toolLoop(Conversation& conv, const std::vector<models::ToolDefinition>& tools,
                                                    int maxTurns, const std::atomic<bool>* cancel) {
  // Offering tools that write or run makes the request mutating: the router
  // keeps models that cadre eval restricted off it (docs/eval.md).
  models::RouteOptions routed = conv.route;
  for (const auto& t : tools) {
    const ToolSpec* s = tools_.find(t.name);
    if (s && (s->needs.writesShadow || s->needs.writesRealFiles || s->needs.runsProcess)) routed.mutating = true;
  }
  for (int turn = 0; turn < maxTurns; ++turn) {
    if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "the task was cancelled");
    maybeCompact(conv, tools, cancel);
    models::ChatRequest req;
    req.messages = conv.messages;
    req.tools = tools;
    auto r = ask(conv.role, conv.worker, std::move(req), routed, cancel);
    if (!r) return r;
    models::ChatMessage assistant;
    assistant.role = models::Role::Assistant;
    assistant.content = r->text;
    assistant.toolCalls = r->toolCalls;
    conv.messages.push_back(assistant);
    if (r->toolCalls.empty()) {
      // A watched process (test watcher, dev server) printed something new:
      // the executor reacts to it before it may finish (processes.hpp).
      if (conv.role == "executor" && context_.processes)
        if (auto news = context_.processes->wakeMessage(cancel); !news.empty()) {
          conv.messages.push_back({models::Role::User, news, {}, {}, {}});
          continue;
        }
      return r;
    }
    for (const auto& call : r->toolCalls) {
      if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "the task was cancelled");
      emit("toolCall", {{"role", conv.role}, {"model", r->model}, {"id", call.id}, {"name", call.name}, {"arguments", call.arguments}},
           conv.worker);
      auto [result, ok] = callTool(conv, call, r->model, cancel);
      emit("toolResult", {{"role", conv.role}, {"id", call.id}, {"name", call.name}, {"ok", ok}, {"text", fitToTokens(result, 1000, "the result")}},
           conv.worker);
      models::ChatMessage tool;
      tool.role = models::Role::Tool;
      tool.toolCallId = call.id;
      tool.toolName = call.name;
      tool.content = fitToTokens(result, static_cast<std::int64_t>(options_.maxToolResultBytes / 4), "the result");
      conv.messages.push_back(tool);
    }
  }
  return makeError(ErrorCode::RequestFailed, "the " + (conv.worker.empty() ? conv.role : conv.worker + " worker") +
                                                 " used its " + std::to_string(maxTurns) + " turns without finishing");
}

std::string TaskRunner::checkChanges(const std::string& worker, const std::atomic<bool>* cancel) {
  ToolContext ctx = context_;
  ctx.actor = security::Actor{"", "linter"};
  ctx.cancel = cancel;
  auto lint = tools_.call("lint_changes", json::object(), ctx);
  if (!lint) return {};
  emit("diagnostics", lint->data, worker);
  if (lint->data.value("introduced", json::array()).empty()) return {};
  return "Your change introduced these problems; fix them:\n" + lint->text;
}

void TaskRunner::recordDecisions(TaskResult& result, const std::atomic<bool>* cancel) {
  result.decisions = decisions();
  if (result.decisions.empty()) return;
  json event = {{"decisions", result.decisions}, {"appended", false}};
  if (options_.recordMemory) {
    setStatus("remembering");
    auto ok = context_.gate.appendProjectMemory(security::Actor{authorModel_, "executor"},
                                                memoryEntry(options_.id, options_.prompt, result.decisions, today()),
                                                "record the decisions this task took in the project memory", cancel);
    result.memoryAppended = ok.ok();
    event["appended"] = result.memoryAppended;
    if (!ok) event["message"] = ok.error().message;
  }
  emit("memory", std::move(event));
}

Expected<TaskResult> TaskRunner::run(const TaskOptions& options, const std::atomic<bool>* cancel) {
  options_ = options;
  if (!options.hooks.commands.empty()) hooks_.emplace(context_.gate, options.hooks, options.id);
  claims_.setNamer([this](const std::filesystem::path& p) {
    return context_.shadow ? context_.shadow->relativeName(p) : p.string();
  });
  TaskResult result;
  auto hook = [&](const std::string& event, json payload) {
    if (!hooks_) return;
    auto out = hooks_->run(event, std::move(payload), "", cancel);
    if (!out.runs.empty()) emit("hook", {{"event", event}, {"blocked", false}, {"runs", out.runs}});
  };
  auto finish = [&](const std::string& s, const std::string& message = {}) {
    result.status = s;
    hook("taskEnd", {{"status", s}, {"diff", result.diff}});
    setStatus(s, message);
    return result;
  };
  auto failed = [&](const Error& e) -> Expected<TaskResult> {
    if (e.code == ErrorCode::RequestCancelled) return finish("cancelled");
    emit("error", {{"message", e.message}});
    finish("failed", e.message);
    return e;
  };
  hook("taskStart", {{"prompt", options.prompt}});

  if (options.answerOnly) {
    setStatus("answering");
    Conversation answerer{"executor", "", {{models::Role::System, kAnswerPrompt, {}, {}, {}},
                                           {models::Role::User, taskContext("executor"), {}, {}, {}}}};
    answerer.route.role = "executor";
    auto answer = toolLoop(answerer, toolsFor(true, false), options.maxPlannerTurns, cancel);
    if (!answer) return failed(answer.error());
    result.summary = answer->text;
    emit("answer", {{"model", answer->model}, {"text", answer->text}});
    return finish("answered");
  }

  // 1. Plan.
  setStatus("planning");
  Conversation planner{"planner", "", {{models::Role::System, kPlannerPrompt, {}, {}, {}},
                                       {models::Role::User, taskContext("planner"), {}, {}, {}}}};
  planner.route.role = "planner";
  auto plan = toolLoop(planner, toolsFor(true, false), options.maxPlannerTurns, cancel);
  if (!plan) return failed(plan.error());
  result.plan = extractJsonObject(plan->text);
  if (!result.plan.is_object() || !result.plan.contains("steps") || !result.plan["steps"].is_array())
    result.plan = {{"steps", json::array({{{"title", plan->text}, {"files", json::array()}}})}, {"criteria", json::array()}};
  if (result.plan.contains("decisions")) addDecisions(decisionsFrom(result.plan["decisions"]));
  emit("plan", result.plan);
  if (options.planOnly) return finish("planned");

  // 2. Execute: the coordinator's workers, or the executor step by step.
  Conversation exec{"executor", "", {{models::Role::System, kExecutorPrompt, {}, {}, {}},
                                     {models::Role::User, taskContext("executor") + "\nPlan:\n" + result.plan.dump(2) +
                                                              relevantFiles(result.plan, windowFor("executor") / 4),
                                      {}, {}, {}}}};
  exec.route.role = "executor";
  auto execute = [&]() -> Expected<void> {
    auto done = toolLoop(exec, toolsFor(false, false), options.maxExecutorTurns, cancel);
    if (!done) return done.error();
    result.summary = done->text;
    authorModel_ = done->model;
    authorServed_ = done->servedModel;
    return {};
  };
  // Problems the change introduced go back to the executor, bounded.
  auto fixRounds = [&]() -> Expected<void> {
    for (int round = 0; round < options.maxLintRounds; ++round) {
      if (!context_.shadow || context_.shadow->empty()) return {};
      setStatus("checking");
      std::string problems = checkChanges("", cancel);
      if (problems.empty()) return {};
      setStatus("executing");
      exec.messages.push_back({models::Role::User, problems, {}, {}, {}});
      if (auto ok = execute(); !ok) return ok.error();
    }
    return {};
  };
  if (auto workers = runWorkers(result.plan, cancel)) {
    if (!*workers) return failed(workers->error());
    result.summary = **workers;
    exec.messages.push_back({models::Role::User,
                             "The workers have done the plan's steps in the shadow workspace:\n" + **workers +
                                 "\nFix what the checks or the reviewer report next; when asked, answer with a summary.",
                             {}, {}, {}});
    if (auto ok = fixRounds(); !ok) return failed(ok.error());
  } else {
    const json& steps = result.plan["steps"];
    for (std::size_t i = 0; i < std::max<std::size_t>(1, steps.size()); ++i) {  // an empty plan still gets one turn
      setStatus("executing", steps.size() > 1 ? "step " + std::to_string(i + 1) + " of " + std::to_string(steps.size()) : "");
      if (steps.size() > 1) exec.messages.push_back({models::Role::User, stepText(steps[i], i, steps.size()), {}, {}, {}});
      if (auto ok = execute(); !ok) return failed(ok.error());
      if (auto ok = fixRounds(); !ok) return failed(ok.error());
    }
  }
  if (!context_.shadow || context_.shadow->empty()) return finish("no-change");

  // 3. Review, findings back to the executor (bounded).
  for (int reviewRound = 0;; ++reviewRound) {
    result.diff = context_.shadow->diff();
    emit("diff", {{"diff", result.diff}});
    setStatus("reviewing");
    Conversation review{"reviewer", "", {{models::Role::System, kReviewerPrompt, {}, {}, {}},
                                         {models::Role::User,
                                          "Task: " + options.prompt + "\n\nPlan:\n" + result.plan.dump(2) +
                                              "\n\nThe author's summary:\n" + result.summary + "\n\nDiff:\n" +
                                              fitToTokens(result.diff, windowFor("reviewer") / 2, "the diff"),
                                          {}, {}, {}}}};
    review.route.role = "reviewer";
    review.route.author = authorModel_;
    review.route.authorServedModel = authorServed_;
    auto verdict = toolLoop(review, toolsFor(true, false), 6, cancel);
    if (!verdict) return failed(verdict.error());
    json v = extractJsonObject(verdict->text);
    const bool approved = v.is_object() && v.value("approved", false);
    json findings = v.is_object() && v.contains("findings") && v["findings"].is_array() ? v["findings"] : json::array();
    if (v.is_object() && v.contains("decisions")) addDecisions(decisionsFrom(v["decisions"]));
    emit("review", {{"model", verdict->model}, {"approved", approved}, {"findings", findings}});
    result.reviewApproved = approved;
    if (approved || reviewRound >= options.maxReviewRounds) break;
    std::string text = "The reviewer asks for changes:\n";
    for (const auto& f : findings) text += "- " + (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
    if (findings.empty()) text += verdict->text + "\n";
    exec.messages.push_back({models::Role::User, text, {}, {}, {}});
    setStatus("executing");
    if (auto ok = execute(); !ok) return failed(ok.error());
    if (auto ok = fixRounds(); !ok) return failed(ok.error());
  }
  result.diff = context_.shadow->diff();
  recordDecisions(result, cancel);
  return finish("ready");
}

}  // namespace cadre::agent
