// Landing a task's shadow changes on the user's files: the one path every
// front end uses (cadre/shadow.apply on the LSP wire, `cadre acp` after the
// ACP client's permission). The user's approval through the Gate first (the
// session's Approver asks, unless auto-edit mode), then a checkpoint of the
// files as they are (the undo), then one journaled atomic transaction, then
// the audit entry. Protocol-free: callers turn the outcome into their wire's
// shapes.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/core/security_context.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::core {

struct ShadowApplyRequest {
  std::string task;
  std::string why;                         // shown in the approval; empty: "apply task <task>"
  std::filesystem::path journal;           // the project's apply journal (projectStateDir(root) / "apply-journal")
  const std::atomic<bool>* cancel = nullptr;
  int pauseMs = 0;                         // fault injection for crash tests (CADRE_FAULT_APPLY_PAUSE_MS)
};

struct ShadowApplyOutcome {
  std::vector<std::filesystem::path> written, deleted, merged;
  std::optional<std::string> undo;  // the checkpoint taken before the apply, when one could be made
};

// Blocking (asks a person): call it on a worker thread. On success the
// applied paths are forgotten by `shadow`. A refusal or a failed transaction
// leaves the user's files as they were.
Expected<ShadowApplyOutcome> applyShadowChanges(const SecurityContext& ctx, workspace::ShadowWorkspace& shadow,
                                                const std::vector<workspace::ShadowChange>& chosen,
                                                const ShadowApplyRequest& request);

}  // namespace cadre::core
