// How the loop calls a tool for a model: the preTool hooks may block it, a
// worker may only change files it claimed, the loop's own tools
// (propose_memory, claim_files) are answered here, everything else goes to
// the ToolRegistry (which checks and audits it), then the postTool hooks.
#include <algorithm>

#include "server/agent/memory.hpp"
#include "server/agent/task.hpp"

namespace cadre::agent {

using nlohmann::json;

namespace {

const models::ToolDefinition kProposeMemory{
    "propose_memory",
    "Propose a decision for the project's memory (.cadre/MEMORY.md), which every future task reads: a convention, a "
    "library choice, a rule the user stated. The user approves it at the end of the task.",
    {{"type", "object"},
     {"properties",
      {{"decision", {{"type", "string"}, {"description", "one line"}}},
       {"why", {{"type", "string"}, {"description", "the reason, briefly"}}}}},
     {"required", {"decision"}},
     {"additionalProperties", false}}};

const models::ToolDefinition kClaimFiles{
    "claim_files",
    "Claim files before you change them: other workers change the same project at the same time, and a file only one "
    "worker holds cannot be clobbered. Your step's files are already yours. A file another worker holds is refused with "
    "its name.",
    {{"type", "object"},
     {"properties", {{"paths", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
     {"required", {"paths"}},
     {"additionalProperties", false}}};

}  // namespace

std::vector<models::ToolDefinition> TaskRunner::toolsFor(bool readOnly, bool worker) const {
  std::vector<models::ToolDefinition> out;
  for (const auto& s : tools_.specs()) {
    const bool writes = s.needs.writesShadow || s.needs.writesRealFiles || s.needs.runsProcess;
    if (readOnly && (writes || s.name == "check")) continue;
    out.push_back({s.name, s.description, s.inputSchema});
  }
  if (!readOnly) out.push_back(kProposeMemory);
  if (worker) out.push_back(kClaimFiles);
  return out;
}

std::pair<std::string, bool> TaskRunner::callTool(Conversation& conv, const models::ToolCall& call, const std::string& model,
                                                  const std::atomic<bool>* cancel) {
  json args = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
  if (args.is_discarded()) return {"error: the arguments are not valid JSON: " + call.arguments.substr(0, 200), false};
  ToolContext ctx = context_;
  ctx.actor = security::Actor{model, conv.role};
  ctx.cancel = cancel;
  auto audit = [&](bool ok, const std::string& error) {
    json entry = {{"tool", call.name}, {"actor", "model"}, {"model", model}, {"role", conv.role}, {"arguments", args}, {"ok", ok}};
    if (!conv.worker.empty()) entry["worker"] = conv.worker;
    if (!error.empty()) entry["error"] = error;
    context_.gate.record("tool_call", std::move(entry));
  };

  if (hooks_) {
    json payload = {{"tool", call.name}, {"arguments", args}, {"role", conv.role}, {"model", model}};
    if (!conv.worker.empty()) payload["worker"] = conv.worker;
    auto pre = hooks_->run("preTool", payload, call.name, cancel);
    if (!pre.runs.empty())
      emit("hook", {{"event", "preTool"}, {"tool", call.name}, {"blocked", pre.blocked}, {"reason", pre.reason}, {"runs", pre.runs}},
           conv.worker);
    if (pre.blocked) {
      audit(false, "blocked by a preTool hook: " + pre.reason);
      return {"error: this call was blocked by the user's preTool hook (" + pre.command + "): " + pre.reason, false};
    }
  }

  std::string text;
  bool ok = false;
  if (call.name == kProposeMemory.name) {
    auto found = decisionsFrom(args);
    if (found.empty()) {
      text = "error: 'decision' must be one non-empty line (at most 500 bytes)";
    } else {
      addDecisions(found);
      text = "noted; the user will be asked to add it to the project memory when the task ends";
      ok = true;
    }
    audit(ok, ok ? "" : text);
  } else if (call.name == kClaimFiles.name && !conv.worker.empty()) {
    std::vector<std::filesystem::path> paths;
    for (const auto& p : args.value("paths", json::array())) {
      if (!p.is_string()) continue;
      auto c = context_.gate.authorizePath(ctx.actor, p.get<std::string>(), security::PathAccess::Write, {}, cancel);
      if (!c) {
        text = "error: " + c.error().message;
        break;
      }
      paths.push_back(c->canonical);
    }
    if (text.empty()) {
      if (auto claimed = claims_.claim(conv.worker, paths); !claimed) text = "error: " + claimed.error().message;
      else {
        text = "claimed:";
        for (const auto& p : paths) text += " " + (context_.shadow ? context_.shadow->relativeName(p) : p.string());
        ok = true;
      }
    }
    audit(ok, ok ? "" : text);
  } else {
    // A worker writes only what it holds.
    const ToolSpec* spec = tools_.find(call.name);
    if (!conv.worker.empty() && spec && spec->needs.writesShadow) {
      auto written = pathsWritten(call.name, args);
      if (!written)
        text = "error: workers change files only with write_file, edit_file, delete_file and rename_file";
      for (const auto& p : written.value_or(std::vector<std::string>{})) {
        auto c = context_.gate.authorizePath(ctx.actor, p, security::PathAccess::Write, {}, cancel);
        if (!c) break;  // the tool reports the refusal itself
        if (auto mine = claims_.checkWrite(conv.worker, c->canonical); !mine) {
          text = "error: " + mine.error().message;
          break;
        }
      }
      if (!text.empty()) audit(false, text);
    }
    if (text.empty()) {
      auto out = tools_.call(call.name, args, ctx);
      if (out) {
        ok = !out->isError;
        text = out->text;
      } else {
        text = "error: " + out.error().message;
      }
    }
  }

  if (hooks_) {
    json payload = {{"tool", call.name}, {"arguments", args}, {"role", conv.role}, {"model", model},
                    {"result", {{"ok", ok}, {"text", text.substr(0, 16 * 1024)}}}};
    if (!conv.worker.empty()) payload["worker"] = conv.worker;
    auto post = hooks_->run("postTool", payload, call.name, cancel);
    if (!post.runs.empty())
      emit("hook", {{"event", "postTool"}, {"tool", call.name}, {"blocked", false}, {"runs", post.runs}}, conv.worker);
  }
  return {text, ok};
}

}  // namespace cadre::agent
