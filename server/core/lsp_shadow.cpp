// cadre/shadow.*: what a task changed (status, diff), landing it on the
// user's files (apply: the user's approval through the Gate, then one atomic
// transaction, then the audit), or dropping it (discard). And, at startup,
// rolling back an apply a crash interrupted.
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"
#include "server/core/shadow_apply.hpp"
#include "server/core/shadow_check.hpp"
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
  toolThreads_.start([ctx = *ctx, s, p, reply, linters, problems, dir = shadowDirFor(p.task), root = s->roots().front(), consistency]() mutable {
    agent::ToolContext tc{*ctx->gate, security::Actor{"", "linter"}, reply.token().flag(), {}, s.get(), dir, linters, consistency};
    auto out = ctx->tools.call("lint_changes", json::object(), tc);
    if (!out) return reply(out.error());
    json diags = json::array();
    for (const auto& d : out->data.value("introduced", json::array())) {
      json e = d;
      e["uri"] = pathToUri(root / d.value("path", ""));
      diags.push_back(e);
    }
    for (const auto& q : out->data.value("problems", json::array())) problems.push_back(q.get<std::string>());
    reply(json{{"task", p.task}, {"diagnostics", diags}, {"ran", out->data.value("ran", json::array())}, {"problems", problems}});
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
  std::weak_ptr<LspSession> weak = weak_from_this();
  toolThreads_.start([ctx = *ctx, s, chosen, p, reply, journal = journalDir(roots.front()), pause, weak]() {
    auto applied = applyShadowChanges(*ctx, *s, chosen, {p.task, p.why, journal, reply.token().flag(), pause});
    if (!applied) return reply(applied.error());
    if (auto self = pin(weak)) {
      AppliedChange record;
      record.why = p.why;
      for (const auto& c : chosen) record.files.emplace_back(c.path, workspace::toString(c.kind));
      std::lock_guard lock(self->shadowsMu_);
      self->applied_[p.task] = std::move(record);
    }
    json result = {{"task", p.task}, {"written", json::array()}, {"deleted", json::array()}, {"merged", json::array()}};
    if (applied->undo) result["undo"] = *applied->undo;
    for (const auto& w : applied->written) result["written"].push_back(pathToUri(w));
    for (const auto& d : applied->deleted) result["deleted"].push_back(pathToUri(d));
    for (const auto& m : applied->merged) result["merged"].push_back(pathToUri(m));
    reply(result);
  });
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
  return [weak](const workspace::ShadowWorkspace& shadow) {
    auto self = pin(weak);
    if (!self) return std::vector<workspace::LintDiagnostic>{};
    return shadowConsistencyDelta(self->project_, shadow);
  };
}

}  // namespace cadre::core
