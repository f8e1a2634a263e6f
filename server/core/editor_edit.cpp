// Rebasing a task's change onto an open buffer and writing it as a
// WorkspaceEdit (editor_edit.hpp).
#include "server/core/editor_edit.hpp"

#include "server/workspace/apply.hpp"
#include "server/workspace/edit_format.hpp"

namespace cadre::core {

using protocol::json;

std::optional<std::string> rebaseOnBuffer(const std::optional<std::string>& base, const std::string& buffer,
                                          const std::string& content) {
  if (buffer == base.value_or("") || buffer == content) return content;
  // A file the task creates has no base; an open buffer of that name with
  // text of its own is a conflict, as it would be on disk.
  if (!base) return std::nullopt;
  return workspace::mergeThreeWay(*base, buffer, content);
}

json applyEditParams(const std::string& label, const std::vector<EditorEdit>& edits, workspace::PositionEncoding encoding,
                     bool documentChanges) {
  json changes = json::object();
  json documents = json::array();
  for (const auto& e : edits) {
    json textEdits = json::array();
    for (const auto& r : workspace::lineReplacements(e.before, e.after)) {
      auto start = workspace::toPosition(e.before, r.start, encoding);
      auto end = workspace::toPosition(e.before, r.end, encoding);
      textEdits.push_back({{"range",
                            {{"start", {{"line", start.line}, {"character", start.character}}},
                             {"end", {{"line", end.line}, {"character", end.character}}}}},
                           {"newText", r.text}});
    }
    if (textEdits.empty()) continue;
    changes[e.uri] = textEdits;
    documents.push_back({{"textDocument", {{"uri", e.uri}, {"version", e.version}}}, {"edits", textEdits}});
  }
  json edit = documentChanges ? json{{"documentChanges", documents}} : json{{"changes", changes}};
  return json{{"label", label}, {"edit", edit}};
}

}  // namespace cadre::core
