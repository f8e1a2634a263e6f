// Landing a task's shadow changes on the user's files: the one path every
// front end uses (cadre/shadow.apply on the LSP wire, `cadre acp` after the
// ACP client's permission). The user's approval through the Gate first (the
// session's Approver asks, unless auto-edit mode), then a checkpoint of
// every root the change touches (the undo), then one journaled atomic
// transaction for the files on disk and, when the front end has an editor
// holding some files open, the hand-over of those to it; then the audit
// entry. Protocol-free: callers turn the outcome into their wire's shapes.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/core/security_context.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::core {

// Files the editor has open go to it instead of the disk (the LSP session's
// workspace/applyEdit, editor_edit.hpp): writing under an open buffer would
// be lost at its next save.
class EditorHandOff {
 public:
  virtual ~EditorHandOff() = default;
  // After the approval, before anything is written: the paths of `chosen`
  // the editor takes. An error (the user's unsaved edits overlap the
  // change) stops the apply with nothing written.
  virtual Expected<std::vector<std::filesystem::path>> claim(const std::vector<workspace::ShadowChange>& chosen) = 0;
  // After the disk transaction: hand the claimed files over. An error
  // leaves them in the shadow, reported in the outcome.
  virtual Expected<void> deliver(const std::atomic<bool>* cancel) = 0;
};

struct ShadowApplyRequest {
  std::string task;
  std::string why;                         // shown in the approval; empty: "apply task <task>"
  std::filesystem::path journal;           // the project's apply journal (projectStateDir(root) / "apply-journal")
  const std::atomic<bool>* cancel = nullptr;
  int pauseMs = 0;                         // fault injection for crash tests (CADRE_FAULT_APPLY_PAUSE_MS)
  const Config* config = nullptr;          // checkpoint limits (checkpoints.*); nullptr: the defaults
  EditorHandOff* editor = nullptr;         // nullptr: every file goes to disk
};

struct ShadowApplyOutcome {
  std::vector<std::filesystem::path> written, deleted, merged;
  std::optional<std::string> undo;  // the checkpoint taken before the apply (first root touched), when one could be made
  std::vector<std::pair<std::filesystem::path, std::string>> checkpoints;  // root, id: every root touched
  std::vector<std::filesystem::path> edited;      // handed to the editor, which applied them
  std::vector<std::filesystem::path> notApplied;  // the editor refused; still in the shadow
  std::string editorError;
  std::vector<workspace::ShadowChange> landed;    // what was applied (disk and editor)
};

// Blocking (asks a person): call it on a worker thread. On success the
// applied paths are forgotten by `shadow`. A refusal or a failed transaction
// leaves the user's files as they were. The checkpoint stores' maintenance is
// the caller's, after its reply (maintainCheckpoints).
Expected<ShadowApplyOutcome> applyShadowChanges(const SecurityContext& ctx, workspace::ShadowWorkspace& shadow,
                                                const std::vector<workspace::ShadowChange>& chosen,
                                                const ShadowApplyRequest& request);

}  // namespace cadre::core
