// cadre/shadow.*: what a task changed (status, diff), landing it on the
// user's files (apply: the user's approval through the Gate, a checkpoint of
// every root it touches, then one atomic transaction for the files on disk
// and a workspace/applyEdit for the files open in the editor, then the
// audit), or dropping it (discard). And, at startup, rolling back an apply a
// crash interrupted.
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "server/core/checkpoint_access.hpp"
#include "server/core/client_call.hpp"
#include "server/core/editor_edit.hpp"
#include "server/core/lint_report.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"
#include "server/core/shadow_apply.hpp"
#include "server/core/shadow_check.hpp"
#include "server/core/shadow_tree_check.hpp"
#include "server/core/state_paths.hpp"
#include "server/core/uri.hpp"
#include "server/agent/tools.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/workspace/apply.hpp"
#include "server/workspace/checkpoints.hpp"
#include "server/workspace/git_branch.hpp"

namespace cadre::core {

using protocol::json;

namespace {

std::filesystem::path journalDir(const std::filesystem::path& root) { return projectStateDir(root) / "apply-journal"; }

json changesJson(const workspace::ShadowWorkspace& s) {
  json files = json::array();
  for (const auto& c : s.changes())
    files.push_back({{"uri", pathToUri(c.path)}, {"path", s.relativeName(c.path)}, {"change", workspace::toString(c.kind)}});
  return files;
}

}  // namespace

void LspSession::bindShadow() {
  dispatcher_.bind("cadre/shadow.status", this, &LspSession::onShadowStatus);
  dispatcher_.bind("cadre/shadow.diff", this, &LspSession::onShadowDiff);
  dispatcher_.bind("cadre/shadow.apply", this, &LspSession::onShadowApply);
  dispatcher_.bind("cadre/shadow.discard", this, &LspSession::onShadowDiscard);
  dispatcher_.bind("cadre/shadow.lint", this, &LspSession::onShadowLint);
  dispatcher_.bind("cadre/shadow.commitBranch", this, &LspSession::onShadowCommitBranch);
}

std::vector<workspace::LinterSpec> LspSession::projectLinters(std::vector<std::string>& problems) const {
  std::vector<workspace::LinterSpec> out;
  auto roots = rootPaths();
  if (roots.empty()) return out;
  for (const auto& j : config_.config.lint.linters) {
    auto l = workspace::linterFromJson(j);
    if (l) out.push_back(std::move(*l));
    else problems.push_back("lint.linters: " + l.error().message);
  }
  if (config_.config.lint.autodetect) {
    for (auto& l : workspace::detectLinters(roots.front(), workspace::whichOnPath)) {
      // A configured linter of the same name replaces the detected one.
      if (std::none_of(out.begin(), out.end(), [&](const workspace::LinterSpec& c) { return c.name == l.name; }))
        out.push_back(std::move(l));
    }
  }
  return out;
}

void LspSession::onShadowLint(const lsp::ShadowParams& p, protocol::Callback<json> reply) {
  auto s = shadowFor(p.task, false);
  if (!s || s->empty()) return reply(json{{"task", p.task}, {"diagnostics", json::array()}, {"ran", json::array()}, {"problems", json::array()}});
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  std::vector<std::string> problems;
  auto linters = projectLinters(problems);
  auto roots = rootPaths();
  auto consistency = consistencyCheck();
  toolThreads_.start([ctx = *ctx, s, p, reply, linters, problems, dir = shadowDirFor(p.task), consistency]() mutable {
    agent::ToolContext tc{*ctx->gate, security::Actor{"", "linter"}, reply.token().flag(), {}, s.get(), dir, linters, consistency};
    auto report = lintShadowReport(ctx->tools, tc, problems);
    if (!report) return reply(report.error());
    (*report)["task"] = p.task;
    reply(*report);
  });
}

std::shared_ptr<workspace::ShadowWorkspace> LspSession::shadowFor(const std::string& task, bool create) {
  std::lock_guard lock(shadowsMu_);
  auto it = shadows_.find(task);
  if (it != shadows_.end()) return it->second;
  if (!create) return nullptr;
  auto roots = rootPaths();
  for (auto& r : roots) {
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(r, ec);
    if (!ec) r = c;
  }
  auto s = std::make_shared<workspace::ShadowWorkspace>(task, roots);
  shadows_.emplace(task, s);
  return s;
}

std::filesystem::path LspSession::shadowDirFor(const std::string& task) const {
  auto roots = rootPaths();
  if (roots.empty()) return {};
  return projectStateDir(roots.front()) / "shadows" / task;
}

void LspSession::recoverInterruptedApplies() {
  for (const auto& root : rootPaths()) {
    auto report = workspace::recoverApplies(journalDir(root));
    if (!report) {
      spdlog::error("apply recovery in {}: {}", root.string(), report.error().message);
      continue;
    }
    for (const auto& note : report->notes) spdlog::warn("apply recovery: {}", note);
    if (report->rolledBack)
      showMessage(lsp::MessageType::Warning,
                  "cadre: an apply was interrupted (cadre stopped mid-way); it was rolled back and your files are as "
                  "they were before it");
  }
}

void LspSession::onShadowStatus(const protocol::NoParams&, protocol::Callback<json> reply) {
  json tasks = json::array();
  std::lock_guard lock(shadowsMu_);
  for (const auto& [task, s] : shadows_)
    if (!s->empty()) tasks.push_back({{"task", task}, {"files", changesJson(*s)}});
  reply(json{{"tasks", tasks}});
}

void LspSession::onShadowDiff(const lsp::ShadowParams& p, protocol::Callback<json> reply) {
  auto s = shadowFor(p.task, false);
  if (!s) return reply(json{{"task", p.task}, {"diff", ""}, {"files", json::array()}});
  reply(json{{"task", p.task}, {"diff", s->diff()}, {"files", changesJson(*s)}});
}

void LspSession::onShadowDiscard(const lsp::ShadowParams& p, protocol::Callback<json> reply) {
  auto s = shadowFor(p.task, false);
  std::size_t n = 0;
  if (s) {
    n = s->changes().size();
    s->discard();
  }
  reply(json{{"task", p.task}, {"discarded", n}});
}

namespace {

// cadre/shadow.apply's EditorHandOff: the files the editor has open, rebased
// onto its text, sent as one workspace/applyEdit (editor_edit.hpp).
class LspEditorHandOff : public EditorHandOff {
 public:
  LspEditorHandOff(std::weak_ptr<LspSession> weak, std::string task, bool documentChanges,
                   std::function<Expected<void>(const std::weak_ptr<LspSession>&, json, const std::atomic<bool>*)> send,
                   std::function<std::map<std::filesystem::path, workspace::Document>()> openDocuments,
                   workspace::PositionEncoding encoding)
      : weak_(std::move(weak)), task_(std::move(task)), documentChanges_(documentChanges), send_(std::move(send)),
        openDocuments_(std::move(openDocuments)), encoding_(encoding) {}

  Expected<std::vector<std::filesystem::path>> claim(const std::vector<workspace::ShadowChange>& chosen) override {
    // The editor's text as it is now, after the user's approval.
    open_ = openDocuments_();
    std::vector<std::filesystem::path> claimed;
    std::string conflicts;
    for (const auto& c : chosen) {
      auto doc = c.content ? open_.find(c.path) : open_.end();
      if (doc == open_.end()) continue;
      auto rebased = rebaseOnBuffer(c.base, doc->second.text, *c.content);
      if (!rebased) {
        conflicts += "\n  " + c.path.string() + ": changed in the editor since the task started, and the changes overlap";
        continue;
      }
      edits_.push_back({doc->second.uri, doc->second.version, doc->second.text, *rebased});
      claimed.push_back(c.path);
    }
    if (!conflicts.empty()) return makeError(ErrorCode::RequestFailed, "nothing was applied; these files conflict:" + conflicts);
    return claimed;
  }

  Expected<void> deliver(const std::atomic<bool>* cancel) override {
    return send_(weak_, applyEditParams("cadre: apply task " + task_, edits_, encoding_, documentChanges_), cancel);
  }

 private:
  std::weak_ptr<LspSession> weak_;
  std::string task_;
  bool documentChanges_;
  std::function<Expected<void>(const std::weak_ptr<LspSession>&, json, const std::atomic<bool>*)> send_;
  std::function<std::map<std::filesystem::path, workspace::Document>()> openDocuments_;
  std::map<std::filesystem::path, workspace::Document> open_;
  workspace::PositionEncoding encoding_;
  std::vector<EditorEdit> edits_;
};

}  // namespace

void LspSession::onShadowApply(const lsp::ShadowParams& p, protocol::Callback<json> reply) {
  auto s = shadowFor(p.task, false);
  if (!s || s->empty()) return reply(makeError(ErrorCode::InvalidRequest, "task '" + p.task + "' has no changes to apply"));
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  auto roots = rootPaths();
  // Pick the changes to land.
  std::vector<workspace::ShadowChange> chosen;
  for (auto& c : s->changes()) {
    if (p.uris.empty() || std::find(p.uris.begin(), p.uris.end(), pathToUri(c.path)) != p.uris.end()) chosen.push_back(c);
  }
  if (chosen.empty()) return reply(makeError(ErrorCode::InvalidParams, "none of the given uris has a change in task '" + p.task + "'"));
  int pause = 0;
  if (const char* f = std::getenv("CADRE_FAULT_APPLY_PAUSE_MS"); f && *f) pause = std::atoi(f);
  // Files open in the editor go to its buffers when it can take a
  // workspace/applyEdit (editor_edit.hpp); otherwise to disk, and the editor reloads.
  const json& ws = clientCapabilities_.is_object() ? clientCapabilities_.value("workspace", json::object()) : json::object();
  const bool editorApplies = ws.is_object() && ws.value("applyEdit", false);
  const json& we = ws.is_object() ? ws.value("workspaceEdit", json::object()) : json::object();
  const bool documentChanges = we.is_object() && we.value("documentChanges", false);
  std::weak_ptr<LspSession> weak = weak_from_this();
  toolThreads_.start([ctx = *ctx, s, chosen, p, reply, journal = journalDir(roots.front()), pause, weak, editorApplies,
                      documentChanges, config = config_.config]() {
    std::optional<LspEditorHandOff> editor;
    if (editorApplies)
      editor.emplace(weak, p.task, documentChanges, &LspSession::applyInEditor, [weak] { return openDocumentsByPath(weak); },
                     editorEncoding(weak));
    ShadowApplyRequest request{p.task, p.why, journal, reply.token().flag(), pause, &config, editor ? &*editor : nullptr};
    auto applied = applyShadowChanges(*ctx, *s, chosen, request);
    if (!applied) return reply(applied.error());
    if (auto self = pin(weak)) {
      AppliedChange record;
      record.why = p.why;
      for (const auto& c : applied->landed) record.files.emplace_back(c.path, workspace::toString(c.kind));
      std::lock_guard lock(self->shadowsMu_);
      self->applied_[p.task] = std::move(record);
    }
    auto uris = [](const std::vector<std::filesystem::path>& paths) {
      json out = json::array();
      for (const auto& x : paths) out.push_back(pathToUri(x));
      return out;
    };
    json result = {{"task", p.task}, {"written", uris(applied->written)}, {"deleted", uris(applied->deleted)},
                   {"merged", uris(applied->merged)}, {"edited", json::array()}};
    // The editor's own URIs for what it took (they may name the file another way).
    for (const auto& e : applied->edited) result["edited"].push_back(pathToUri(e));
    if (applied->undo) result["undo"] = *applied->undo;
    std::vector<std::filesystem::path> touched;
    for (const auto& [root, id] : applied->checkpoints) {
      result["checkpoints"].push_back({{"root", pathToUri(root)}, {"id", id}});
      touched.push_back(root);
    }
    if (!applied->notApplied.empty()) {
      result["notApplied"] = uris(applied->notApplied);
      result["editorError"] = applied->editorError;
    }
    reply(result);
    // Pruning and pack merging after the reply, off the request's path.
    maintainCheckpoints(touched, config);
  });
}

// The documents the editor has open, by canonical path (a shadow's paths are
// canonical; the editor's URIs may reach the same file another way).
std::map<std::filesystem::path, workspace::Document> LspSession::openDocumentsByPath(const std::weak_ptr<LspSession>& weak) {
  std::map<std::filesystem::path, workspace::Document> out;
  auto self = pin(weak);
  if (!self) return out;
  for (const auto& uri : self->documents_.uris()) {
    auto path = uriToPath(uri);
    auto doc = self->documents_.get(uri);
    if (!path || !doc) continue;
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(*path, ec);
    out.emplace(ec ? *path : canonical, std::move(*doc));
  }
  return out;
}

workspace::PositionEncoding LspSession::editorEncoding(const std::weak_ptr<LspSession>& weak) {
  auto self = pin(weak);
  return self ? self->documents_.encoding() : workspace::PositionEncoding::Utf16;
}

// Sends workspace/applyEdit and waits; an answer with applied: false is an
// error carrying the editor's failureReason.
Expected<void> LspSession::applyInEditor(const std::weak_ptr<LspSession>& weak, json params, const std::atomic<bool>* cancel) {
  ClientCaller caller = [weak](json params, std::function<void(Expected<json>)> done) {
    auto self = pin(weak);
    if (!self) return done(makeError(ErrorCode::Unavailable, "the session has ended"));
    self->dispatcher_.call("workspace/applyEdit", std::move(params), std::move(done));
  };
  auto answer = callClientAndWait(caller, std::move(params), cancel, "the editor to apply the edit");
  if (!answer) return answer.error();
  if (!answer->is_object() || !answer->value("applied", false)) {
    std::string why = answer->is_object() && answer->contains("failureReason") && (*answer)["failureReason"].is_string()
                          ? (*answer)["failureReason"].get<std::string>()
                          : "no reason given";
    return makeError(ErrorCode::RequestFailed, "the editor did not apply the edit: " + why);
  }
  return {};
}

}  // namespace cadre::core

namespace cadre::core {

void LspSession::onShadowCommitBranch(const lsp::ShadowParams& p, protocol::Callback<json> reply) {
  AppliedChange change;
  {
    std::lock_guard lock(shadowsMu_);
    auto it = applied_.find(p.task);
    if (it == applied_.end())
      return reply(makeError(ErrorCode::InvalidRequest, "task '" + p.task + "' has applied nothing to commit (apply it first)"));
    change = it->second;
  }
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  const std::string branch = p.branch.empty() ? "cadre/" + p.task : p.branch;
  std::string message = p.message;
  if (message.empty()) {
    message = "cadre: " + (change.why.empty() ? "task " + p.task : change.why) + "\n\n";
    for (const auto& [path, kind] : change.files)
      message += "- " + kind + " " + path.filename().string() + "\n";
  }
  auto roots = rootPaths();
  toolThreads_.start([ctx = *ctx, change, branch, message, p, reply, root = roots.front()]() {
    std::vector<std::string> paths;
    std::vector<std::filesystem::path> files;
    for (const auto& [path, kind] : change.files) {
      paths.push_back(path.string());
      files.push_back(path);
    }
    // The user sees the branch and message before cadre writes to their .git.
    auto ok = ctx->gate->authorizeRealEdit(security::Actor{"", ""}, paths,
                                           "commit to a new branch '" + branch + "' of the repository at " + root.string() +
                                               " (HEAD, the index and your working tree stay as they are):\n\n" + message,
                                           "commit task " + p.task + " to a branch", reply.token().flag());
    if (!ok) return reply(ok.error());
    auto made = workspace::commitToNewBranch(root, branch, message, files);
    json audit = {{"actor", "user"}, {"task", p.task}, {"branch", branch}, {"paths", paths}};
    if (!made) {
      audit["error"] = made.error().message;
      ctx->gate->record(security::audit_kind::kGitCommit, audit);
      return reply(made.error());
    }
    audit["commit"] = made->commit;
    audit["base"] = made->base;
    ctx->gate->record(security::audit_kind::kGitCommit, audit);
    reply(json{{"task", p.task}, {"branch", made->branch}, {"commit", made->commit}, {"base", made->base}, {"files", made->files},
               {"message", message}});
  });
}

}  // namespace cadre::core

namespace cadre::core {

std::function<std::vector<workspace::LintDiagnostic>(const workspace::ShadowWorkspace&)> LspSession::consistencyCheck() {
  std::weak_ptr<LspSession> weak = weak_from_this();
  // Judged against the shadow as a whole when the security context is there
  // (an agent's change that adds a function in one file and imports it in
  // another is not broken, and a file it leaves untouched may be); the
  // changed files alone against the real index otherwise.
  auto ctx = securityContext();
  auto roots = rootPaths();
  if (!ctx || roots.empty()) {
    return [weak](const workspace::ShadowWorkspace& shadow) {
      auto self = pin(weak);
      if (!self) return std::vector<workspace::LintDiagnostic>{};
      return shadowConsistencyDelta(self->project_, shadow);
    };
  }
  return [weak, ctx = *ctx, shadows = projectStateDir(roots.front()) / "shadows", deny = config_.config.security.deny](
             const workspace::ShadowWorkspace& shadow) {
    auto self = pin(weak);
    if (!self) return std::vector<workspace::LintDiagnostic>{};
    return shadowTreeConsistency(self->project_, shadow, shadows / shadow.id(), ctx->gate->policy(), deny, nullptr);
  };
}

}  // namespace cadre::core
