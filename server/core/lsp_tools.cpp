// cadre/tools.list and cadre/tools.call, and approvals over the wire
// (cadre/approval.request, server → client). Tool calls run on worker
// threads: a call may wait minutes for the user's answer or a command, and
// the main loop must keep serving the editor meanwhile.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/core/client_call.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"

namespace cadre::core {

using protocol::json;

namespace {

// At most this many tool calls run at once per session; more are refused
// rather than queued behind a command that may run for minutes.
constexpr int kMaxConcurrentTools = 4;

json requestToJson(const security::ApprovalRequest& r) {
  json j = {{"kind", security::toString(r.kind)}, {"why", r.why},           {"model", r.model},
            {"role", r.role},                     {"sandboxed", r.sandboxed}, {"network", r.network}};
  if (!r.command.empty()) j["command"] = r.command;
  if (!r.cwd.empty()) j["cwd"] = r.cwd;
  if (!r.diff.empty()) j["diff"] = r.diff;
  if (!r.paths.empty()) j["paths"] = r.paths;
  j["alwaysRules"] = r.alwaysRules;
  // What the client may answer: "always" only when a rule can be scoped.
  j["choices"] = r.alwaysRules.empty() ? json{"allowOnce", "deny"} : json{"allowOnce", "allowAlways", "deny"};
  return j;
}

}  // namespace

// Approvals asked through the editor. Blocking (worker threads only): the
// request goes out through the dispatcher, which is thread-safe, and this
// waits for the answer, the call's timeout, the connection's end or cancel.
class LspApprover : public security::Approver {
 public:
  using Caller = ClientCaller;
  LspApprover(Caller caller, bool supported) : caller_(std::move(caller)), supported_(supported) {}

  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& request,
                                         const std::atomic<bool>* cancel) override {
    if (!supported_)
      return makeError(ErrorCode::Unavailable,
                       "this needs the user's approval, and the editor did not declare "
                       "capabilities.experimental.cadre.approvals (it cannot show cadre/approval.request)");
    auto result = callClientAndWait(caller_, requestToJson(request), cancel, "approval");
    if (!result) return result.error();
    // Anything but a well-formed allow is a denial.
    security::ApprovalAnswer answer;
    if (result->is_object()) {
      const std::string decision = result->value("decision", "");
      if (decision == "allowOnce") answer.choice = security::ApprovalChoice::AllowOnce;
      else if (decision == "allowAlways" && !request.alwaysRules.empty()) answer.choice = security::ApprovalChoice::AllowAlways;
      else if (decision == "allowAlways") answer.choice = security::ApprovalChoice::AllowOnce;
      if (auto note = result->find("note"); note != result->end() && note->is_string()) answer.note = *note;
    }
    return answer;
  }

 private:
  Caller caller_;
  bool supported_;
};

void LspSession::bindTools() {
  dispatcher_.bind("cadre/tools.list", this, &LspSession::onToolsList);
  dispatcher_.bind("cadre/tools.call", this, &LspSession::onToolsCall);
}

Expected<std::shared_ptr<SecurityContext>> LspSession::securityContext() {
  std::lock_guard lock(securityMu_);
  if (security_) return security_;
  const json& exp = clientCapabilities_.is_object() ? clientCapabilities_.value("experimental", json::object()) : json::object();
  const bool approvals = exp.is_object() && exp.contains("cadre") && exp["cadre"].is_object() &&
                         exp["cadre"].value("approvals", false);
  std::weak_ptr<LspSession> weak = weak_from_this();
  auto approver = std::make_shared<LspApprover>(
      [weak](json params, std::function<void(Expected<json>)> done) {
        auto self = pin(weak);
        if (!self) return done(makeError(ErrorCode::Unavailable, "the session has ended"));
        self->dispatcher_.call("cadre/approval.request", std::move(params), std::move(done));
      },
      approvals);
  auto ctx = buildSecurityContext(config_.config, rootPaths(), std::move(approver));
  if (!ctx) return ctx.error();
  security_ = *ctx;
  return security_;
}

void LspSession::resetSecurityContext() {
  std::lock_guard lock(securityMu_);
  security_.reset();
}

void LspSession::onToolsList(const protocol::NoParams&, protocol::Callback<json> reply) {
  json tools = json::array();
  const agent::ToolRegistry registry = agent::builtinTools();
  for (const auto& spec : registry.specs()) {
    json needs = json::array();
    if (spec.needs.readsFiles) needs.push_back("readsFiles");
    if (spec.needs.writesShadow) needs.push_back("writesShadow");
    if (spec.needs.writesRealFiles) needs.push_back("writesRealFiles");
    if (spec.needs.runsProcess) needs.push_back("runsProcess");
    if (spec.needs.network) needs.push_back("network");
    tools.push_back({{"name", spec.name}, {"description", spec.description}, {"inputSchema", spec.inputSchema}, {"needs", needs}});
  }
  reply(json{{"tools", tools}});
}

void LspSession::onToolsCall(const lsp::ToolCallParams& params, protocol::Callback<json> reply) {
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  if (toolThreads_.running() >= kMaxConcurrentTools)
    return reply(makeError(ErrorCode::RequestFailed, "too many tool calls running (" + std::to_string(kMaxConcurrentTools) +
                                                         "); try again when one has finished"));
  auto shadow = shadowFor(params.task, true);
  auto shadowDir = shadowDirFor(params.task);
  std::vector<workspace::LinterSpec> linters;
  if (params.name == "lint_changes" || params.name == "check") {
    std::vector<std::string> ignored;  // configuration problems surface in cadre/shadow.lint
    linters = projectLinters(ignored);
  }
  auto consistency = consistencyCheck();
  toolThreads_.start([ctx = *ctx, params, reply, shadow, shadowDir, linters, consistency, index = indexSource(),
                      testCommand = config_.config.tests.command]() {
    agent::ToolContext tc{*ctx->gate, security::Actor{params.model, params.role}, reply.token().flag(), {}, shadow.get(), shadowDir, linters, consistency};
    tc.index = index;
    tc.testCommand = testCommand;
    auto out = ctx->tools.call(params.name, params.arguments, tc);
    if (!out) return reply(out.error());
    reply(json{{"content", out->text}, {"data", out->data}, {"isError", out->isError}});
  });
}

void ToolThreads::start(std::function<void()> work) {
  std::lock_guard lock(mu_);
  // Reap finished threads so the list stays as long as the running ones.
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  running_.fetch_add(1);
  threads_.push_back({std::thread([this, done, work = std::move(work)] {
                        work();
                        running_.fetch_sub(1);
                        done->store(true);
                      }),
                      done});
}

ToolThreads::~ToolThreads() {
  std::list<Entry> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& e : threads) e.thread.join();
}

}  // namespace cadre::core
