// start_process, read_output, send_input, stop_process: long-running
// processes (dev servers, test watchers, REPLs) for the agent. A process is
// approved exactly like run_command (Gate::approveCommand), started by the
// Gate in the sandbox on a pseudo-terminal, in the task's materialized
// shadow (kept current as the agent edits), and held by the task's
// ProcessTable, which kills it when the task ends.
#include "server/agent/processes.hpp"
#include "server/agent/shadow_exec.hpp"
#include "server/agent/tool_args.hpp"
#include "server/agent/tools.hpp"

namespace cadre::agent {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxReadBytes = 16 * 1024;  // one read_output's worth for a model
constexpr int kMaxWaitSeconds = 60;

Expected<ProcessTable*> tableOf(ToolContext& ctx, const char* tool) {
  if (!ctx.processes)
    return makeError(ErrorCode::InvalidRequest,
                     std::string(tool) + ": long-running processes belong to a task (they end with it), and this call has none");
  return ctx.processes.get();
}

ToolOutput outputOf(const ProcessOutput& o, const std::string& intro) {
  ToolOutput out;
  out.text = intro;
  if (o.dropped) out.text += "[" + std::to_string(o.dropped) + " earlier bytes not shown]\n";
  out.text += o.text.empty() ? "(no new output)\n" : o.text + (o.text.back() == '\n' ? "" : "\n");
  out.text += o.running ? "[process " + o.id + " running]\n" : "[process " + o.id + " exited with code " + std::to_string(o.exitCode.value_or(-1)) + "]\n";
  out.data = {{"process", o.id}, {"output", o.text}, {"running", o.running}, {"droppedBytes", o.dropped}, {"truncated", o.truncated}};
  if (o.exitCode) out.data["exitCode"] = *o.exitCode;
  return out;
}

Expected<ToolOutput> startProcessTool(const json& args, ToolContext& ctx) {
  auto table = tableOf(ctx, "start_process");
  if (!table) return table.error();
  if ((*table)->full()) return makeError(ErrorCode::RequestFailed, "start_process: too many processes running in this task; stop one first");
  security::CommandRequest req;
  req.line = stringArg(args, "command");
  req.cwd = stringArg(args, "cwd");
  req.why = stringArg(args, "why");
  req.network = args.value("network", false);
  const auto& policy = ctx.gate.policy();
  // In the task's shadow, made once and then kept current in place: a
  // watcher started now sees the edits the agent makes later.
  if (ctx.shadow && !ctx.shadowDir.empty()) {
    auto tree = (*table)->tree(*ctx.shadow, ctx.shadowDir / "processes", policy);
    if (!tree) return tree.error();
    auto cwd = cwdInTree(*ctx.shadow, *tree, policy, req.cwd);
    if (!cwd) return cwd.error();
    req.cwd = *cwd;
    req.readOnlyPaths.push_back(tree->string());
  }
  auto cwd = ctx.gate.approveCommand(ctx.actor, req, ctx.cancel);
  if (!cwd) return cwd.error();
  security::ProcessRequest preq;
  preq.argv = {"bash", "-c", req.line};
  preq.cwd = cwd->string();
  preq.readOnlyPaths = req.readOnlyPaths;
  preq.network = req.network;
  preq.why = req.why.empty() ? "start_process" : req.why;
  preq.pty = true;
  auto process = ctx.gate.startProcess(ctx.actor, preq);
  if (!process) return process.error();
  auto id = (*table)->add(std::move(*process), req.line, args.value("watch", true));
  if (!id) return id.error();
  const int wait = static_cast<int>(intArg(args, "waitSeconds", 2, 0, kMaxWaitSeconds));
  auto first = (*table)->read(*id, wait * 1000, 300, kMaxReadBytes, ctx.cancel);
  if (!first) return first.error();
  ToolOutput out = outputOf(*first, "started process " + *id + " on a terminal in the sandbox; output so far:\n");
  out.data["command"] = req.line;
  return out;
}

Expected<ToolOutput> readOutputTool(const json& args, ToolContext& ctx) {
  auto table = tableOf(ctx, "read_output");
  if (!table) return table.error();
  const int wait = static_cast<int>(intArg(args, "waitSeconds", 1, 0, kMaxWaitSeconds));
  const auto maxBytes = static_cast<std::size_t>(intArg(args, "maxBytes", kMaxReadBytes, 256, kMaxReadBytes));
  auto o = (*table)->read(stringArg(args, "process"), wait * 1000, 300, maxBytes, ctx.cancel);
  if (!o) return o.error();
  return outputOf(*o, "");
}

Expected<ToolOutput> sendInputTool(const json& args, ToolContext& ctx) {
  auto table = tableOf(ctx, "send_input");
  if (!table) return table.error();
  const std::string id = stringArg(args, "process");
  std::string text = stringArg(args, "text");
  if (args.value("newline", true)) text += "\n";
  if (auto ok = (*table)->send(id, text); !ok) return ok.error();
  const int wait = static_cast<int>(intArg(args, "waitSeconds", 1, 0, kMaxWaitSeconds));
  auto o = (*table)->read(id, wait * 1000, 300, kMaxReadBytes, ctx.cancel);
  if (!o) return o.error();
  return outputOf(*o, "sent " + std::to_string(text.size()) + " bytes; output since:\n");
}

Expected<ToolOutput> stopProcessTool(const json& args, ToolContext& ctx) {
  auto table = tableOf(ctx, "stop_process");
  if (!table) return table.error();
  const std::string id = stringArg(args, "process");
  auto code = (*table)->stop(id);
  if (!code) return code.error();
  // What it printed before it went, so nothing it said is lost.
  auto last = (*table)->read(id, 0, 0, kMaxReadBytes, ctx.cancel);
  ToolOutput out;
  out.text = "stopped process " + id + " and everything it started (exit status " + std::to_string(*code) + ")\n";
  if (last && !last->text.empty()) out.text += "its last output:\n" + last->text;
  out.data = {{"process", id}, {"exitCode", *code}};
  return out;
}

}  // namespace

void addProcessTools(ToolRegistry& registry) {
  const security::ToolNeeds runs{.runsProcess = true};
  const json processId = {{"type", "string"}, {"description", "the id start_process returned, e.g. p1"}};
  registry.add({"start_process",
                "Start a long-running command (dev server, test watcher, REPL) on a terminal in the sandbox, in the task's "
                "shadow workspace (it sees your later edits). Approved like run_command. Returns its id and first output. "
                "With watch (default true), new output it prints after you finish (a failing test, a stack trace) is "
                "handed back to you. Processes end with the task.",
                objectSchema({{"command", {{"type", "string"}}},
                              {"cwd", {{"type", "string"}}},
                              {"why", {{"type", "string"}, {"description", "shown to the user in the approval prompt"}}},
                              {"watch", {{"type", "boolean"}, {"description", "wake you on new output (default true)"}}},
                              {"network", {{"type", "boolean"}}},
                              {"waitSeconds", {{"type", "integer"}, {"description", "how long to wait for first output (default 2)"}}}},
                             {"command"}),
                runs},
               startProcessTool);
  registry.add({"read_output",
                "The output a process printed since you last read it (waiting up to waitSeconds for some), and whether it "
                "is still running.",
                objectSchema({{"process", processId},
                              {"waitSeconds", {{"type", "integer"}, {"description", "default 1"}}},
                              {"maxBytes", {{"type", "integer"}, {"description", "default and at most 16384: the newest output"}}}},
                             {"process"}),
                runs},
               readOutputTool);
  registry.add({"send_input",
                "Type text into a process's terminal (a REPL, a prompt), followed by Enter unless newline is false; "
                "returns the output that follows.",
                objectSchema({{"process", processId},
                              {"text", {{"type", "string"}}},
                              {"newline", {{"type", "boolean"}, {"description", "default true"}}},
                              {"waitSeconds", {{"type", "integer"}, {"description", "default 1"}}}},
                             {"process", "text"}),
                runs},
               sendInputTool);
  registry.add({"stop_process", "Stop a process and everything it started.", objectSchema({{"process", processId}}, {"process"}), runs},
               stopProcessTool);
}

}  // namespace cadre::agent
