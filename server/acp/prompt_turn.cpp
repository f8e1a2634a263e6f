// One ACP prompt turn: the prompt's content blocks become a task's request
// (text, files the client links or embeds, the conversation so far), the
// task runs with its events streamed as session/update, and a finished
// change is offered as an edit tool call whose permission decides whether
// it lands on the user's files. Runs on the session's worker thread.
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "server/acp/agent_server.hpp"
#include "server/acp/permission_approver.hpp"
#include "server/acp/session.hpp"
#include "server/acp/task_updates.hpp"
#include "server/agent/task.hpp"
#include "server/analysis/repo_map.hpp"
#include "server/core/shadow_apply.hpp"
#include "server/core/shadow_tree_check.hpp"
#include "server/core/uri.hpp"
#include "server/mcp/tool_bridge.hpp"
#include "support/files.hpp"

namespace cadre::acp {

using protocol::Callback;
using protocol::json;
namespace fs = std::filesystem;

namespace {

// What a model reads of one file the prompt names: enough for context; the
// tools read the rest.
constexpr std::size_t kMaxFileBytes = 32 * 1024;
// The conversation carried into the next task, newest last.
constexpr std::size_t kMaxHistoryBytes = 6 * 1024;
// How long a prompt waits for the session's first index (for the repo map).
constexpr auto kIndexWait = std::chrono::seconds(5);

std::string capped(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\n[… " + std::to_string(text.size() - cut) + " more bytes]";
}

bool writesShadow(const std::string& tool) {
  return tool == "write_file" || tool == "edit_file" || tool == "delete_file" || tool == "rename_file";
}

std::string fenced(const std::string& label, const std::string& text) {
  return "\nFile " + label + ":\n```\n" + capped(text, kMaxFileBytes) + "\n```\n";
}

}  // namespace

std::string AgentServer::promptText(Session& s, const std::vector<ContentBlock>& blocks, const std::atomic<bool>* cancel) {
  std::string text;
  for (const auto& b : blocks) {
    if (b.type == "text") {
      text += b.text + "\n";
      continue;
    }
    auto path = core::uriToPath(b.uri);
    if (!path) {
      text += "\n[Referenced: " + b.uri + "]\n";
      continue;
    }
    // The deny-list holds for what the client hands over, too: a secret
    // attached to a prompt does not reach a model.
    const auto check = s.security->gate->policy().check(path->string(), security::PathAccess::Read);
    const std::string label = check.ok() ? check.canonical.lexically_relative(s.root).generic_string() : path->string();
    if (check.refusal == security::PathRefusal::Denied) {
      text += "\n[" + path->string() + " left out: " + check.message + "]\n";
      continue;
    }
    if (b.type == "resource") {
      text += fenced(label + " (as the editor has it)", b.text);
      continue;
    }
    if (!check.ok()) {
      text += "\n[Referenced: " + path->string() + "]\n";
      continue;
    }
    // A linked file: the editor's buffer when the client offers it (it may
    // hold unsaved changes), else the file through the Gate.
    if (clientReadsFiles_) {
      auto read = awaitClient(
          [&](std::function<void(Expected<json>)> done) {
            dispatcher_.call("fs/read_text_file", {{"sessionId", s.id}, {"path", check.canonical.string()}}, std::move(done));
          },
          cancel, closed_.get(), "fs/read_text_file");
      if (read && read->is_object() && read->contains("content") && (*read)["content"].is_string()) {
        text += fenced(label + " (as the editor has it)", (*read)["content"].get<std::string>());
        continue;
      }
      if (!read) spdlog::info("acp: fs/read_text_file {}: {}", check.canonical.string(), read.error().message);
    }
    if (auto content = s.security->gate->readFile(security::Actor{}, check.canonical.string(), cancel))
      text += fenced(label, *content);
    else
      text += "\n[Referenced: " + label + " (" + content.error().message + ")]\n";
  }
  return text;
}

void AgentServer::runTurn(const std::shared_ptr<Session>& session, const PromptParams& p, Callback<json> reply) {
  Session& s = *session;
  std::shared_ptr<std::atomic<bool>> cancel;
  {
    std::lock_guard lock(s.mu);
    cancel = s.cancel;
  }
  const int turn = ++s.turns;
  const std::string task = "acp-" + s.id.substr(s.id.rfind('-') + 1) + "-" + std::to_string(turn);
  const fs::path shadowDir = core::projectStateDir(s.root) / "shadows" / task;
  std::string outcome;  // for the conversation history
  auto finish = [&](Expected<json> result) {
    std::error_code ec;
    fs::remove_all(shadowDir, ec);
    {
      std::lock_guard lock(s.mu);
      s.cancel.reset();
      s.approvalCall.clear();
      s.approvalContent = nullptr;
    }
    // Replied last: every update of this turn is on the wire before it.
    reply(std::move(result));
  };
  auto stop = [&](const char* reason) { finish(json{{"stopReason", reason}}); };
  auto say = [&](const std::string& text) {
    update(s.id, {{"sessionUpdate", "agent_message_chunk"}, {"content", {{"type", "text"}, {"text", text}}}});
  };

  // The client's MCP servers start with the first prompt: starting one is
  // put to the user, who must be able to answer.
  if (s.mcp && !s.mcpStarted) {
    s.mcpStarted = true;
    s.mcp->startAll();
    mcp::registerTools(s.security->tools, s.mcp);
  }

  const std::string request = promptText(s, p.prompt, cancel.get());
  if (cancel->load()) return stop("cancelled");
  agent::TaskOptions options;
  options.id = task;
  options.prompt = s.history.empty() ? request : "Earlier in this conversation:\n" + s.history + "\nThe user now asks:\n" + request;
  readWholeFile(s.root / ".cadre" / "MEMORY.md", options.memory);
  for (auto waited = std::chrono::milliseconds(0); !s.project->ready() && waited < kIndexWait && !cancel->load();
       waited += std::chrono::milliseconds(50))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (s.project->ready() && !s.project->indexes().empty()) {
    analysis::RepoMapOptions mo;
    mo.tokenBudget = 2048;
    options.repoMap = analysis::buildRepoMap(*s.project->indexes().front(), mo).text;
  }

  auto shadow = std::make_shared<workspace::ShadowWorkspace>(task, std::vector<fs::path>{s.root});
  TaskUpdates updates("t" + std::to_string(turn), s.root);
  std::mutex updatesMu;  // token events arrive on the HTTP thread, the rest on this one
  std::map<fs::path, std::optional<std::string>> shown;  // shadow contents already sent as diffs
  auto emit = [&](const agent::TaskEvent& e) {
    std::lock_guard lock(updatesMu);
    for (auto& u : updates.map(e)) {
      // A shadow edit shows as the diff it made, not only the tool's words.
      if (e.kind == "toolResult" && u.value("status", "") == "completed" && writesShadow(e.data.value("name", ""))) {
        for (const auto& c : shadow->changes()) {
          auto it = shown.find(c.path);
          if (it != shown.end() && it->second == c.content) continue;
          shown[c.path] = c.content;
          u["content"].push_back(diffContent({c})[0]);
        }
      }
      update(s.id, std::move(u));
    }
    if (e.kind == "toolCall") {
      std::lock_guard sl(s.mu);
      s.approvalCall = updates.lastToolCallId();
    }
  };
  std::weak_ptr<core::Project> project = s.project;
  agent::ToolContext tc{*s.security->gate, security::Actor{}, cancel.get(), {}, shadow.get(), shadowDir, s.linters,
                        // Judged against the shadow as a whole, as in editor tasks.
                        [project, shadowDir, security = s.security, deny = s.config.security.deny](const workspace::ShadowWorkspace& sh) {
                          auto p = project.lock();
                          if (!p) return std::vector<workspace::LintDiagnostic>{};
                          return core::shadowTreeConsistency(*p, sh, shadowDir, security->gate->policy(), deny, nullptr);
                        }};
  agent::TaskRunner runner(*s.router, s.security->tools, tc, emit);
  auto result = runner.run(options, cancel.get());

  auto remember = [&](const std::string& what) {
    s.history += "- The user asked: " + capped(request, 600) + "\n  " + what + "\n";
    if (s.history.size() > kMaxHistoryBytes) s.history.erase(0, s.history.size() - kMaxHistoryBytes);
  };
  if (cancel->load() || (result && result->status == "cancelled")) {
    remember("(cancelled; nothing was changed)");
    return stop("cancelled");
  }
  if (!result) {
    remember("(failed: " + result.error().message + ")");
    const std::string message = result.error().message + "\n" + s.router->configureHint();
    say("\n" + message);
    return finish(makeError(result.error().code, message));
  }
  json plan = updates.finishPlan();
  if (result->status != "ready") {
    if (!plan.is_null()) update(s.id, plan);
    remember("cadre answered (no change): " + capped(result->summary, 600));
    return stop("end_turn");
  }

  // The change, as an edit the client can look at; its permission decides.
  const auto changes = shadow->changes();
  const std::string applyCall = "t" + std::to_string(turn) + "-apply";
  const json diffs = diffContent(changes);
  json call = {{"sessionUpdate", "tool_call"}, {"toolCallId", applyCall},
               {"title", "Apply the change to " + std::to_string(changes.size()) + (changes.size() == 1 ? " file" : " files")},
               {"kind", "edit"}, {"status", "pending"}, {"content", diffs}, {"locations", json::array()}};
  for (const auto& c : changes) call["locations"].push_back({{"path", c.path.string()}});
  update(s.id, call);
  {
    std::lock_guard lock(s.mu);
    s.approvalCall = applyCall;
    s.approvalContent = diffs;
  }
  core::ShadowApplyRequest apply{task, "apply the change cadre made for: " + capped(request, 200),
                                 core::projectStateDir(s.root) / "apply-journal", cancel.get()};
  auto applied = core::applyShadowChanges(*s.security, *shadow, changes, apply);
  if (!applied) {
    const bool cancelled = cancel->load() || applied.error().code == ErrorCode::RequestCancelled;
    update(s.id, {{"sessionUpdate", "tool_call_update"}, {"toolCallId", applyCall}, {"status", "failed"},
                  {"content", json::array({textContent("Not applied: " + applied.error().message + ". Your files are unchanged.")})}});
    shadow->discard();
    remember("cadre proposed a change; it was not applied (" + applied.error().message + ")");
    if (cancelled) return stop("cancelled");
    if (applied.error().code == ErrorCode::Unauthorized) {
      say("\n\nThe change was not applied: " + applied.error().message + ".");
      return stop("end_turn");
    }
    return finish(applied.error());
  }
  std::string done = "Applied: " + std::to_string(applied->written.size()) + " written, " +
                     std::to_string(applied->deleted.size()) + " deleted";
  if (!applied->merged.empty()) done += " (" + std::to_string(applied->merged.size()) + " merged with your edits)";
  if (applied->undo) done += ". Undo: cadre checkpoints restore " + *applied->undo;
  json content = diffs;
  content.push_back(textContent(done));
  update(s.id, {{"sessionUpdate", "tool_call_update"}, {"toolCallId", applyCall}, {"status", "completed"}, {"content", content}});
  if (!plan.is_null()) update(s.id, plan);
  say("\n\n" + done + ".");
  remember("cadre changed the files (applied): " + capped(result->summary, 600));
  stop("end_turn");
}

}  // namespace cadre::acp
