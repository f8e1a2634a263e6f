// Changes to files the editor has open go to the editor's buffers, not the
// disk (cadre/shadow.apply, docs/protocol.md): writing under an open buffer
// would either be overwritten by the next save or, with unsaved edits, make
// the editor ask which copy wins. So the change is rebased onto the buffer's
// text (a three-way merge when the user has edited it since the task read
// the file) and handed over as a `workspace/applyEdit` WorkspaceEdit of
// line-wise TextEdits, which the editor applies in place (its undo history
// holds it); the user saves as after any LSP refactoring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/dispatcher.hpp"
#include "server/workspace/document_store.hpp"

namespace cadre::core {

// One open document's change: its text and version as the editor last sent
// them, and what it should hold after.
struct EditorEdit {
  std::string uri;
  std::int64_t version = 0;
  std::string before;
  std::string after;
};

// The task's change (base → content) carried onto `buffer`; nullopt when the
// user's edits and the task's overlap.
std::optional<std::string> rebaseOnBuffer(const std::optional<std::string>& base, const std::string& buffer,
                                          const std::string& content);

// ApplyWorkspaceEditParams: `documentChanges` (versioned, so an editor that
// checks versions refuses an edit its buffer has moved past) when the
// client declared workspace.workspaceEdit.documentChanges, else `changes`.
protocol::json applyEditParams(const std::string& label, const std::vector<EditorEdit>& edits,
                               workspace::PositionEncoding encoding, bool documentChanges);

}  // namespace cadre::core
