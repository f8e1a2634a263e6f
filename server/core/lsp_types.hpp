// LSP 3.17 structures cadre reads and writes, as plain structs with the wire's
// field names. Each mirrors only the part of the spec cadre uses; the comment on
// a struct says so when fields are left out. Internal types never serialize:
// lsp_session.cpp converts at the boundary.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cadre::core::lsp {

using json = nlohmann::json;

struct Position {
  std::uint32_t line = 0;
  std::uint32_t character = 0;
};
void from_json(const json& j, Position& p);
void to_json(json& j, const Position& p);

struct Range {
  Position start;
  Position end;
};
void from_json(const json& j, Range& r);
void to_json(json& j, const Range& r);

struct WorkspaceFolder {
  std::string uri;
  std::string name;
};
void from_json(const json& j, WorkspaceFolder& f);
void to_json(json& j, const WorkspaceFolder& f);

// Part of InitializeParams: the fields cadre acts on. Client capabilities are
// kept raw JSON and queried where a feature needs one.
struct InitializeParams {
  std::optional<std::int64_t> processId;
  std::optional<std::string> rootUri;
  std::optional<std::string> rootPath;
  std::optional<std::vector<WorkspaceFolder>> workspaceFolders;
  json capabilities = json::object();
  json initializationOptions;
  std::optional<std::string> trace;
};
void from_json(const json& j, InitializeParams& p);

struct TextDocumentItem {
  std::string uri;
  std::string languageId;
  std::int64_t version = 0;
  std::string text;
};
void from_json(const json& j, TextDocumentItem& t);

struct TextDocumentIdentifier {
  std::string uri;
};
void from_json(const json& j, TextDocumentIdentifier& t);

struct VersionedTextDocumentIdentifier {
  std::string uri;
  std::int64_t version = 0;
};
void from_json(const json& j, VersionedTextDocumentIdentifier& t);

struct TextDocumentContentChangeEvent {
  std::optional<Range> range;
  std::string text;
};
void from_json(const json& j, TextDocumentContentChangeEvent& c);

struct DidOpenTextDocumentParams {
  TextDocumentItem textDocument;
};
void from_json(const json& j, DidOpenTextDocumentParams& p);

struct DidChangeTextDocumentParams {
  VersionedTextDocumentIdentifier textDocument;
  std::vector<TextDocumentContentChangeEvent> contentChanges;
};
void from_json(const json& j, DidChangeTextDocumentParams& p);

struct DidCloseTextDocumentParams {
  TextDocumentIdentifier textDocument;
};
void from_json(const json& j, DidCloseTextDocumentParams& p);

struct DidSaveTextDocumentParams {
  TextDocumentIdentifier textDocument;
  std::optional<std::string> text;
};
void from_json(const json& j, DidSaveTextDocumentParams& p);

struct WorkspaceFoldersChangeEvent {
  std::vector<WorkspaceFolder> added;
  std::vector<WorkspaceFolder> removed;
};
void from_json(const json& j, WorkspaceFoldersChangeEvent& e);

struct DidChangeWorkspaceFoldersParams {
  WorkspaceFoldersChangeEvent event;
};
void from_json(const json& j, DidChangeWorkspaceFoldersParams& p);

struct DidChangeConfigurationParams {
  json settings;
};
void from_json(const json& j, DidChangeConfigurationParams& p);

enum class MessageType { Error = 1, Warning = 2, Info = 3, Log = 4 };

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

struct TextDocumentParams {  // DocumentSymbolParams: the fields cadre reads
  TextDocumentIdentifier textDocument;
};
void from_json(const json& j, TextDocumentParams& p);

struct TextDocumentPositionParams {
  TextDocumentIdentifier textDocument;
  Position position;
};
void from_json(const json& j, TextDocumentPositionParams& p);

struct ReferenceParams {
  TextDocumentIdentifier textDocument;
  Position position;
  bool includeDeclaration = false;  // context.includeDeclaration
};
void from_json(const json& j, ReferenceParams& p);

struct WorkspaceSymbolParams {
  std::string query;
};
void from_json(const json& j, WorkspaceSymbolParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// cadre/repoMap params (cadre's own method; see protocol/schema/cadre-repoMap.json).
struct RepoMapParams {
  std::size_t tokens = 1024;
  std::vector<std::string> focus;  // document URIs
  std::vector<std::string> names;  // identifiers the task mentions
};
void from_json(const json& j, RepoMapParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

struct RenameParams {
  TextDocumentIdentifier textDocument;
  Position position;
  std::string newName;
};
void from_json(const json& j, RenameParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// Part of CodeActionParams: cadre recomputes its own diagnostics for the
// quick fixes; the client's (context.diagnostics, any source) are what
// "Fix this diagnostic" offers to fix, and context.only filters the kinds.
struct CodeActionParams {
  TextDocumentIdentifier textDocument;
  Range range;
  json context = json::object();
};
void from_json(const json& j, CodeActionParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// cadre/tools.call: an outside agent (a chat participant in the editor, an
// ACP or MCP host) runs one of cadre's tools. `model` names who decided to
// call it, for approvals and the audit; calls are always treated as a
// model's, never as the user's own.
struct ToolCallParams {
  std::string name;
  json arguments = json::object();
  std::string model = "editor-agent";
  std::string role = "executor";
  std::string task = "default";  // whose shadow workspace edit tools write to
};
void from_json(const json& j, ToolCallParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// cadre/shadow.diff, .apply, .discard: one task's shadow workspace.
struct ShadowParams {
  std::string task = "default";
  std::vector<std::string> uris;  // apply: only these files (empty: all)
  std::string why;                // apply: shown in the approval
  std::string branch;             // commitBranch: default "cadre/<task>"
  std::string message;            // commitBranch: default generated from the change
};
void from_json(const json& j, ShadowParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// cadre/task.start: the plan/execute/review loop on the user's request.
struct TaskStartParams {
  std::string prompt;
  std::string task;  // default: generated ("task-N")
  std::size_t mapTokens = 2048;
  std::string mode = "change";  // "plan": stop after the plan (plan-first, :CadrePlan)
};
void from_json(const json& j, TaskStartParams& p);

struct TaskIdParams {
  std::string task;
};
void from_json(const json& j, TaskIdParams& p);

}  // namespace cadre::core::lsp

namespace cadre::core::lsp {

// cadre/checkpoint.*: the project's checkpoints (docs/checkpoints.md).
struct CheckpointParams {
  std::string message;            // create
  std::string id;                 // diff (from), restore: an id, a seq, or "latest"
  std::string to;                 // diff: another checkpoint; empty: the work tree
  std::vector<std::string> uris;  // restore / diff: only these files or folders
  std::string root;               // a workspace folder's URI; empty: all (create, list) or inferred (diff, restore)
};
void from_json(const json& j, CheckpointParams& p);

}  // namespace cadre::core::lsp
