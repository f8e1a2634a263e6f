// to_json/from_json for lsp_types.hpp; decoding goes through ObjectMapper so a
// bad field is named in the InvalidParams error.
#include "server/core/lsp_types.hpp"

#include <limits>

#include "protocol/json_decode.hpp"

namespace cadre::core::lsp {

using protocol::ObjectMapper;

namespace {
std::uint32_t nonNegative(const json& j, const char* key) {
  std::int64_t v = 0;
  ObjectMapper(j).required(key, v);
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) throw protocol::DecodeError(key, "expected a non-negative 32-bit integer");
  return static_cast<std::uint32_t>(v);
}
}  // namespace

void from_json(const json& j, Position& p) {
  p.line = nonNegative(j, "line");
  p.character = nonNegative(j, "character");
}
void to_json(json& j, const Position& p) { j = {{"line", p.line}, {"character", p.character}}; }

void from_json(const json& j, Range& r) { ObjectMapper(j).required("start", r.start).required("end", r.end); }
void to_json(json& j, const Range& r) { j = {{"start", r.start}, {"end", r.end}}; }

void from_json(const json& j, WorkspaceFolder& f) { ObjectMapper(j).required("uri", f.uri).required("name", f.name); }
void to_json(json& j, const WorkspaceFolder& f) { j = {{"uri", f.uri}, {"name", f.name}}; }

void from_json(const json& j, InitializeParams& p) {
  ObjectMapper(j)
      .optional("processId", p.processId)
      .optional("rootUri", p.rootUri)
      .optional("rootPath", p.rootPath)
      .optional("workspaceFolders", p.workspaceFolders)
      .optional("capabilities", p.capabilities)
      .optional("initializationOptions", p.initializationOptions)
      .optional("trace", p.trace);
  if (!p.capabilities.is_object()) throw protocol::DecodeError("capabilities", "expected object");
}

void from_json(const json& j, TextDocumentItem& t) {
  ObjectMapper(j).required("uri", t.uri).required("languageId", t.languageId).required("version", t.version).required("text", t.text);
}

void from_json(const json& j, TextDocumentIdentifier& t) { ObjectMapper(j).required("uri", t.uri); }

void from_json(const json& j, VersionedTextDocumentIdentifier& t) {
  ObjectMapper(j).required("uri", t.uri).required("version", t.version);
}

void from_json(const json& j, TextDocumentContentChangeEvent& c) { ObjectMapper(j).optional("range", c.range).required("text", c.text); }

void from_json(const json& j, DidOpenTextDocumentParams& p) { ObjectMapper(j).required("textDocument", p.textDocument); }

void from_json(const json& j, DidChangeTextDocumentParams& p) {
  ObjectMapper(j).required("textDocument", p.textDocument).required("contentChanges", p.contentChanges);
}

void from_json(const json& j, DidCloseTextDocumentParams& p) { ObjectMapper(j).required("textDocument", p.textDocument); }

void from_json(const json& j, DidSaveTextDocumentParams& p) { ObjectMapper(j).required("textDocument", p.textDocument).optional("text", p.text); }

void from_json(const json& j, WorkspaceFoldersChangeEvent& e) { ObjectMapper(j).required("added", e.added).required("removed", e.removed); }

void from_json(const json& j, DidChangeWorkspaceFoldersParams& p) { ObjectMapper(j).required("event", p.event); }

void from_json(const json& j, DidChangeConfigurationParams& p) { ObjectMapper(j).optional("settings", p.settings); }

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, TextDocumentParams& p) { ObjectMapper(j).required("textDocument", p.textDocument); }

void from_json(const json& j, TextDocumentPositionParams& p) {
  ObjectMapper(j).required("textDocument", p.textDocument).required("position", p.position);
}

namespace {
struct ReferenceContext {
  bool includeDeclaration = false;
};
void from_json(const json& j, ReferenceContext& c) { ObjectMapper(j).required("includeDeclaration", c.includeDeclaration); }
}  // namespace

void from_json(const json& j, ReferenceParams& p) {
  ReferenceContext context;
  ObjectMapper(j).required("textDocument", p.textDocument).required("position", p.position).optional("context", context);
  p.includeDeclaration = context.includeDeclaration;
}

void from_json(const json& j, WorkspaceSymbolParams& p) { ObjectMapper(j).required("query", p.query); }

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, RepoMapParams& p) {
  ObjectMapper(j).optional("tokens", p.tokens).optional("focus", p.focus).optional("names", p.names);
  if (p.tokens == 0 || p.tokens > 1000000) throw protocol::DecodeError("tokens", "expected an integer from 1 to 1000000");
}

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, RenameParams& p) {
  ObjectMapper(j).required("textDocument", p.textDocument).required("position", p.position).required("newName", p.newName);
}

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, CodeActionParams& p) {
  ObjectMapper(j).required("textDocument", p.textDocument).required("range", p.range).optional("context", p.context);
  if (!p.context.is_object()) throw protocol::DecodeError("context", "expected an object");
}

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, ToolCallParams& p) {
  ObjectMapper(j).required("name", p.name).optional("arguments", p.arguments).optional("model", p.model).optional("role", p.role).optional("task", p.task);
  ShadowParams task;
  task.task = p.task;
  from_json(json{{"task", p.task}}, task);  // the same rule for task names
  if (!p.arguments.is_object()) throw protocol::DecodeError("arguments", "expected an object");
  if (p.model.empty()) throw protocol::DecodeError("model", "must not be empty (a tool call always comes from a model)");
}

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, ShadowParams& p) {
  ObjectMapper(j).optional("task", p.task).optional("uris", p.uris).optional("why", p.why).optional("branch", p.branch).optional("message", p.message);
  if (p.task.empty() || p.task.size() > 128 ||
      p.task.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos ||
      p.task.find("..") != std::string::npos)
    throw protocol::DecodeError("task", "expected 1 to 128 letters, digits, '-', '_' or '.'");
}

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, TaskStartParams& p) {
  ObjectMapper(j).required("prompt", p.prompt).optional("task", p.task).optional("mapTokens", p.mapTokens).optional("mode", p.mode);
  if (p.mode != "change" && p.mode != "plan") throw protocol::DecodeError("mode", "expected \"change\" or \"plan\"");
  if (p.prompt.find_first_not_of(" \t\r\n") == std::string::npos) throw protocol::DecodeError("prompt", "must not be empty");
  if (!p.task.empty()) {
    ShadowParams check;
    from_json(json{{"task", p.task}}, check);
  }
  if (p.mapTokens > 100000) throw protocol::DecodeError("mapTokens", "expected at most 100000");
}

void from_json(const json& j, TaskIdParams& p) { ObjectMapper(j).required("task", p.task); }

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

void from_json(const json& j, CheckpointParams& p) {
  if (j.is_null() || (j.is_array() && j.empty())) return;  // list takes no params
  ObjectMapper(j).optional("message", p.message).optional("id", p.id).optional("to", p.to).optional("uris", p.uris).optional("root", p.root);
}

}  // namespace cadre::core::lsp
