// The approve → checkpoint → apply → audit sequence; see shadow_apply.hpp.
#include "server/core/shadow_apply.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/core/checkpoint_access.hpp"
#include "server/workspace/apply.hpp"
#include "server/workspace/checkpoints.hpp"
#include "server/workspace/edit_format.hpp"

namespace cadre::core {

namespace {

bool under(const std::filesystem::path& p, const std::filesystem::path& root) {
  auto rel = p.lexically_relative(root).generic_string();
  return !rel.empty() && rel.rfind("..", 0) != 0;
}

}  // namespace

Expected<ShadowApplyOutcome> applyShadowChanges(const SecurityContext& ctx, workspace::ShadowWorkspace& shadow,
                                                const std::vector<workspace::ShadowChange>& chosen,
                                                const ShadowApplyRequest& request) {
  std::vector<std::string> paths;
  std::string diff;
  for (const auto& c : chosen) {
    paths.push_back(c.path.string());
    diff += workspace::unifiedDiff(shadow.relativeName(c.path), c.base.value_or(""), c.content.value_or(""),
                                   c.base.has_value(), c.content.has_value());
  }
  // The user approves the diff (the front end's Approver), unless auto-edit mode.
  auto ok = ctx.gate->authorizeRealEdit(security::Actor{"", ""}, paths, diff,
                                        request.why.empty() ? "apply task " + request.task : request.why, request.cancel);
  if (!ok) return ok.error();
  // Disk or editor, per file; a conflict with the editor's text stops the
  // apply before anything changed.
  std::vector<std::filesystem::path> claimed;
  if (request.editor) {
    auto c = request.editor->claim(chosen);
    if (!c) return c.error();
    claimed = std::move(*c);
  }
  auto toEditor = [&](const workspace::ShadowChange& c) { return std::find(claimed.begin(), claimed.end(), c.path) != claimed.end(); };
  std::vector<workspace::ApplyFile> files;
  for (const auto& c : chosen)
    if (!toEditor(c)) files.push_back({c.path, c.base, c.content, c.mode});
  ShadowApplyOutcome outcome;
  // A checkpoint of every root the change touches, as the files are, so the
  // apply can be undone (cadre/checkpoint.restore, cadre checkpoints
  // restore). Not having one does not block the apply.
  const Config defaults;
  const Config& config = request.config ? *request.config : defaults;
  for (const auto& root : shadow.roots()) {
    if (std::none_of(chosen.begin(), chosen.end(), [&](const workspace::ShadowChange& c) { return under(c.path, root); })) continue;
    auto store = openCheckpointStore(root, config, false);
    auto made = store ? store->create("before applying task " + request.task, {{"task", request.task}, {"step", "before-apply"}})
                      : Expected<workspace::CreateResult>(store.error());
    if (!made) {
      spdlog::warn("no checkpoint of {} before applying task {}: {}", root.string(), request.task, made.error().message);
      continue;
    }
    outcome.checkpoints.emplace_back(root, made->checkpoint.id);
    if (!outcome.undo) outcome.undo = made->checkpoint.id;
  }
  nlohmann::json audit = editAppliedEntry(request.task, chosen);
  if (!files.empty()) {
    auto applied = workspace::applyAtomically(files, {request.journal, request.pauseMs});
    if (!applied) {
      audit["error"] = applied.error().message;
      ctx.gate->record("edit_applied", audit);
      return applied.error();
    }
    outcome.written = applied->written;
    outcome.deleted = applied->deleted;
    outcome.merged = applied->merged;
  }
  // Then the open buffers. If the editor refuses, those files keep their
  // change in the shadow (apply them again, or save and retry).
  if (!claimed.empty()) {
    if (auto delivered = request.editor->deliver(request.cancel); delivered) {
      outcome.edited = claimed;
    } else {
      outcome.notApplied = claimed;
      outcome.editorError = delivered.error().message;
    }
  }
  for (const auto& m : outcome.merged) audit["merged"].push_back(m.string());
  for (const auto& e : outcome.edited) audit["editor"].push_back(e.string());
  if (!outcome.editorError.empty()) audit["editorError"] = outcome.editorError;
  ctx.gate->record("edit_applied", audit);
  std::vector<std::filesystem::path> done;
  for (const auto& c : chosen) {
    if (std::find(outcome.notApplied.begin(), outcome.notApplied.end(), c.path) != outcome.notApplied.end()) continue;
    done.push_back(c.path);
    outcome.landed.push_back(c);
  }
  shadow.forget(done);
  return outcome;
}

}  // namespace cadre::core
