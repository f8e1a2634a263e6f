// One editor connection speaking LSP: lifecycle, document sync, workspace
// folders, configuration and cadre/status. It is the adapter between the wire
// (Dispatcher, lsp:: types) and cadre's parts; feature components add their
// methods through bind tables of their own as they land.
#pragma once

#include <filesystem>
#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/dispatcher.hpp"
#include "server/analysis/parser.hpp"
#include "server/core/command_types.hpp"
#include "server/core/config.hpp"
#include "server/core/lsp_types.hpp"
#include "server/core/project.hpp"
#include "server/workspace/document_store.hpp"
#include "server/models/router.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::agent {
struct TaskEvent;
}

namespace cadre::core {

struct SecurityContext;

// Worker threads of a session's tool calls, joined when the session ends
// (the dispatcher has cancelled their tokens by then, so they finish soon).
class ToolThreads {
 public:
  ~ToolThreads();
  void start(std::function<void()> work);
  int running() const { return running_.load(); }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::list<Entry> threads_;
  std::atomic<int> running_{0};
};

struct SessionOptions {
  // Set when connections must authenticate (TCP with a token): the client
  // sends it as initializationOptions.token in `initialize`.
  std::optional<std::string> token;
  // Where the user config lives; tests point it elsewhere.
  std::filesystem::path userConfig = userConfigPath();
  protocol::DispatcherOptions dispatcher;
  // Whether this session's config may set the process-wide log level: not
  // when --log-level was given, nor for TCP sessions (one client's settings
  // must not change logging for the others).
  bool controlsLogLevel = true;
  // Index the workspace folders after `initialized` (the fuzzer turns it off:
  // a background walk of whatever rootUri an input names is not its subject).
  bool indexProject = true;
  // Called once when the client sends `exit`: 0 after shutdown, 1 otherwise.
  std::function<void(int)> onExit;
};

class LspSession : public protocol::MessageHandler, public std::enable_shared_from_this<LspSession> {
 public:
  LspSession(std::shared_ptr<protocol::Transport> transport, asio::any_io_executor executor, SessionOptions options);
  ~LspSession() override;

  // MessageHandler: everything goes through the dispatcher.
  bool onNotify(std::string_view method, protocol::json params) override;
  bool onCall(std::string_view method, protocol::json params, protocol::json id) override;
  bool onReply(protocol::json id, Expected<protocol::json> result) override;
  void onInvalid(const protocol::Invalid& bad) override;
  void onClosed() override;

  bool shutdownRequested() const { return shutdown_; }

 private:
  struct InitializeResult;
  struct StatusResult;

  void bindMethods();

  // Lifecycle
  void onInitialize(const lsp::InitializeParams&, protocol::Callback<protocol::json>);
  void onInitialized(const protocol::NoParams&);
  void onShutdown(const protocol::NoParams&, protocol::Callback<protocol::NullResult>);
  void onExit(const protocol::NoParams&);
  // Documents
  void onDidOpen(const lsp::DidOpenTextDocumentParams&);
  void onDidChange(const lsp::DidChangeTextDocumentParams&);
  void onDidClose(const lsp::DidCloseTextDocumentParams&);
  void onDidSave(const lsp::DidSaveTextDocumentParams&);
  // Workspace
  void onDidChangeWorkspaceFolders(const lsp::DidChangeWorkspaceFoldersParams&);
  void onDidChangeConfiguration(const lsp::DidChangeConfigurationParams&);
  // Navigation over the project index (lsp_navigation.cpp)
  void bindNavigation();
  void startIndexing();
  void onDocumentSymbol(const lsp::TextDocumentParams&, protocol::Callback<protocol::json>);
  void onWorkspaceSymbol(const lsp::WorkspaceSymbolParams&, protocol::Callback<protocol::json>);
  void onDefinition(const lsp::TextDocumentPositionParams&, protocol::Callback<protocol::json>);
  void onReferences(const lsp::ReferenceParams&, protocol::Callback<protocol::json>);
  void onRepoMap(const lsp::RepoMapParams&, protocol::Callback<protocol::json>);
  void onPrepareRename(const lsp::TextDocumentPositionParams&, protocol::Callback<protocol::json>);
  void onRename(const lsp::RenameParams&, protocol::Callback<protocol::json>);
  void onCodeAction(const lsp::CodeActionParams&, protocol::Callback<protocol::json>);
  // Open documents' syntax trees and consistency diagnostics (lsp_diagnostics.cpp)
  void analyzeOpened(const std::string& uri);
  void analyzeChanged(const std::string& uri, const std::vector<workspace::ByteEdit>& edits);
  void forgetDocument(const std::string& uri);
  void publishDiagnostics(const std::string& uri);
  void publishAllDiagnostics();
  const analysis::IncrementalDocument* analyzed(const std::string& uri) const;
  analysis::IncrementalDocument* analyzed(const std::string& uri);  // for its tree (reparsed on demand)
  // The text of a document: the editor's copy when open, else the file.
  Expected<std::string> documentText(const std::string& uri) const;
  // Tools through the Gate, approvals over the wire (lsp_tools.cpp)
  void bindTools();
  void onToolsList(const protocol::NoParams&, protocol::Callback<protocol::json>);
  void onToolsCall(const lsp::ToolCallParams&, protocol::Callback<protocol::json>);
  // Shadow workspaces, one per task (lsp_shadow.cpp)
  void bindShadow();
  void onShadowStatus(const protocol::NoParams&, protocol::Callback<protocol::json>);
  void onShadowDiff(const lsp::ShadowParams&, protocol::Callback<protocol::json>);
  void onShadowApply(const lsp::ShadowParams&, protocol::Callback<protocol::json>);
  void onShadowDiscard(const lsp::ShadowParams&, protocol::Callback<protocol::json>);
  void onShadowLint(const lsp::ShadowParams&, protocol::Callback<protocol::json>);
  void onShadowCommitBranch(const lsp::ShadowParams&, protocol::Callback<protocol::json>);
  // Detected (unless lint.autodetect is off) plus configured linters; bad
  // configured entries are reported in `problems`.
  std::vector<workspace::LinterSpec> projectLinters(std::vector<std::string>& problems) const;
  // analysis' consistency checks on a shadow's changed files (a delta).
  std::function<std::vector<workspace::LintDiagnostic>(const workspace::ShadowWorkspace&)> consistencyCheck();
  std::shared_ptr<workspace::ShadowWorkspace> shadowFor(const std::string& task, bool create);
  std::filesystem::path shadowDirFor(const std::string& task) const;
  void recoverInterruptedApplies();
  // For cadre/shadow.apply's worker: the editor's open buffers, its position
  // encoding, and handing it a WorkspaceEdit (lsp_shadow.cpp, editor_edit.hpp).
  static std::map<std::filesystem::path, workspace::Document> openDocumentsByPath(const std::weak_ptr<LspSession>& weak);
  // weak.lock() for worker threads. A worker must never drop the session's
  // last reference: the destructor joins the session's threads, and a thread
  // cannot join itself (std::system_error "Resource deadlock avoided", found
  // by the soak test when a client disconnected as its task ended). The
  // reference returned hands the real one to the session's executor to drop.
  static std::shared_ptr<LspSession> pin(const std::weak_ptr<LspSession>& weak);
  static workspace::PositionEncoding editorEncoding(const std::weak_ptr<LspSession>& weak);
  static Expected<void> applyInEditor(const std::weak_ptr<LspSession>& weak, protocol::json params, const std::atomic<bool>* cancel);
  // Checkpoints (lsp_checkpoint.cpp)
  void bindCheckpoints();
  void onCheckpointCreate(const lsp::CheckpointParams&, protocol::Callback<protocol::json>);
  void onCheckpointList(const lsp::CheckpointParams&, protocol::Callback<protocol::json>);
  void onCheckpointDiff(const lsp::CheckpointParams&, protocol::Callback<protocol::json>);
  void onCheckpointRestore(const lsp::CheckpointParams&, protocol::Callback<protocol::json>);
  std::vector<std::filesystem::path> checkpointRoots(const std::string& rootUri, Error& error) const;
  Expected<std::filesystem::path> checkpointRootFor(const lsp::CheckpointParams& p, const std::string& spec) const;
  // Models (lsp_models.cpp)
  void bindModels();
  void onModelsList(const protocol::NoParams&, protocol::Callback<protocol::json>);
  void onModelsHealth(const protocol::NoParams&, protocol::Callback<protocol::json>);
  // The session's router, built on first use from the config; reset on reload.
  Expected<std::shared_ptr<models::Router>> modelRouter();
  // Tasks: the plan/execute/review loop (lsp_task.cpp)
  void bindTasks();
  void onTaskStart(const lsp::TaskStartParams&, protocol::Callback<protocol::json>);
  void onTaskCancel(const lsp::TaskIdParams&, protocol::Callback<protocol::json>);
  // What one agent task runs: cadre/task.start and the code-action commands
  // (lsp_commands.cpp) both start theirs here. Replies {task} at once.
  struct TaskRequest {
    std::string prompt;
    std::string task;  // empty: generated ("task-N")
    std::size_t mapTokens = 2048;
    std::vector<std::filesystem::path> focus;     // absolute; the repo map ranks around them
    bool answerOnly = false;                      // a question (Explain): text, no edits
    bool planOnly = false;                        // cadre/task.start mode "plan": stop after the plan
    std::vector<std::filesystem::path> editOnly;  // canonical; non-empty: the only files it may edit
  };
  void startTask(TaskRequest request, protocol::Callback<protocol::json> reply);
  // A task's cadre/task.event sender (numbered from 1), safe on any thread.
  std::function<void(const agent::TaskEvent&)> taskEvents(const std::string& task);
  // The first root's index for the agent's analysis tools (an error while it builds).
  std::function<Expected<std::shared_ptr<const analysis::ProjectIndex>>(const std::atomic<bool>*)> indexSource();
  // Code actions and workspace/executeCommand (lsp_code_actions.cpp, lsp_commands.cpp)
  void bindCommands();
  void appendCommandActions(const lsp::CodeActionParams&, const std::string& text, protocol::json& actions);
  void onExecuteCommand(const lsp::ExecuteCommandParams&, protocol::Callback<protocol::json>);
  void runAgentAction(const lsp::ExecuteCommandParams&, protocol::Callback<protocol::json>);
  void runApplyInstruction(const lsp::ApplyInstructionArgs&, protocol::Callback<protocol::json>);
  // A command's document and range: path, current text, byte offsets.
  struct Located {
    std::filesystem::path path;
    std::string text;
    std::uint32_t start = 0, end = 0;
  };
  Expected<Located> locate(const std::string& uri, const lsp::Range& range) const;
  // A deterministic refactor's new file contents land in a fresh shadow,
  // are linted and checked there, and the reply carries diff and findings.
  struct RefactorOutcome {
    std::string kind;   // "rename", "move", "extract": the task name's prefix
    std::string title;  // for the user
    std::vector<std::pair<std::filesystem::path, std::string>> files;  // absolute path, new content
    protocol::json details = protocol::json::object();
  };
  void landRefactor(RefactorOutcome outcome, protocol::Callback<protocol::json> reply);
  // Runs `then` once the project index matches the files on disk (refreshing
  // it first when an apply or an edit outside the editor changed them).
  void whenIndexFresh(std::function<void()> then, protocol::Callback<protocol::json> reply);
  void pollIndex(std::shared_ptr<void> timer, std::chrono::steady_clock::time_point deadline, std::function<void()> then,
                 protocol::Callback<protocol::json> reply);
  Expected<RefactorOutcome> planRenameCommand(const lsp::RenameSymbolArgs&);
  Expected<RefactorOutcome> planMoveCommand(const lsp::MoveSymbolArgs&);
  Expected<RefactorOutcome> planExtractCommand(const lsp::ExtractFunctionArgs&);
  // Built on first use for the current roots and settings; reset when they change.
  Expected<std::shared_ptr<SecurityContext>> securityContext();
  void resetSecurityContext();
  // cadre/
  // Liveness check for clients (and the round-trip benchmark): answers {}.
  void onPing(const protocol::NoParams&, protocol::Callback<protocol::json>);
  void onStatus(const protocol::NoParams&, protocol::Callback<protocol::json>);

  void reloadConfig();
  void showMessage(lsp::MessageType type, const std::string& message);
  void logMessage(lsp::MessageType type, const std::string& message);
  std::vector<std::filesystem::path> rootPaths() const;

  SessionOptions options_;
  workspace::DocumentStore documents_;
  std::vector<lsp::WorkspaceFolder> folders_;
  protocol::json clientCapabilities_ = protocol::json::object();
  protocol::json editorSettings_;
  LoadedConfig config_;
  std::string encodingName_ = "utf-16";
  bool initialized_ = false;
  bool shutdown_ = false;
  bool exited_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  asio::any_io_executor executor_;
  analysis::Parser parser_;  // main loop only
  std::map<std::string, std::unique_ptr<analysis::IncrementalDocument>> analyzed_;
  std::mutex securityMu_;
  std::shared_ptr<SecurityContext> security_;
  std::mutex shadowsMu_;
  std::map<std::string, std::shared_ptr<workspace::ShadowWorkspace>> shadows_;
  // What each task's last apply landed (for commitBranch): paths and changes.
  struct AppliedChange {
    std::vector<std::pair<std::filesystem::path, std::string>> files;  // path, "created"/"modified"/"deleted"
    std::string why;
  };
  std::map<std::string, AppliedChange> applied_;
  // Running tasks' cancel flags, and the session's model router (built on
  // first use from the config).
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> tasks_;
  std::shared_ptr<models::Router> router_;
  int taskCounter_ = 0;
  // Last: its bound handlers point into this object, so it goes first.
  protocol::Dispatcher dispatcher_;
  // After the dispatcher: destroyed first, so its indexing thread (whose
  // callbacks report progress through the dispatcher) is joined while the
  // dispatcher still exists.
  Project project_;
  // After the dispatcher: joined first, while the dispatcher their replies go
  // through still exists.
  ToolThreads toolThreads_;
};

}  // namespace cadre::core
