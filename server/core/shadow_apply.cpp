// The approve → checkpoint → apply → audit sequence; see shadow_apply.hpp.
#include "server/core/shadow_apply.hpp"

#include <spdlog/spdlog.h>

#include "server/workspace/apply.hpp"
#include "server/workspace/checkpoints.hpp"
#include "server/workspace/edit_format.hpp"

namespace cadre::core {

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
  std::vector<workspace::ApplyFile> files;
  for (const auto& c : chosen) files.push_back({c.path, c.base, c.content, c.mode});
  ShadowApplyOutcome outcome;
  // A checkpoint of the files as they are, so the apply can be undone
  // (cadre/checkpoint.restore, cadre checkpoints restore). Not having one
  // does not block the apply.
  const auto root = shadow.roots().front();
  workspace::CheckpointOptions options;
  auto exclusion = indexExclusion(root, {});
  options.exclude = [exclusion](std::string_view r, bool d, unsigned l) { return exclusion(r, d, l); };
  if (auto store = workspace::CheckpointStore::open(request.journal.parent_path() / "checkpoints.git", root, options)) {
    if (auto made = store->create("before applying task " + request.task, {{"task", request.task}, {"step", "before-apply"}}))
      outcome.undo = made->checkpoint.id;
    else
      spdlog::warn("no checkpoint before applying task {}: {}", request.task, made.error().message);
  } else {
    spdlog::warn("no checkpoint before applying task {}: {}", request.task, store.error().message);
  }
  auto applied = workspace::applyAtomically(files, {request.journal, request.pauseMs});
  nlohmann::json audit = editAppliedEntry(request.task, chosen);
  if (!applied) {
    audit["error"] = applied.error().message;
    ctx.gate->record("edit_applied", audit);
    return applied.error();
  }
  for (const auto& m : applied->merged) audit["merged"].push_back(m.string());
  ctx.gate->record("edit_applied", audit);
  std::vector<std::filesystem::path> done;
  for (const auto& c : chosen) done.push_back(c.path);
  shadow.forget(done);
  outcome.written = applied->written;
  outcome.deleted = applied->deleted;
  outcome.merged = applied->merged;
  return outcome;
}

}  // namespace cadre::core
