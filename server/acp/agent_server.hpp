// cadre as an Agent Client Protocol agent: one client connection (ACP over
// stdio, newline-delimited JSON-RPC) with any number of sessions, each a
// project root with its own configuration, security context (Gate, audit,
// approvals asked through session/request_permission), model router and
// project index. A prompt runs one cadre task — plan, execute in a shadow,
// check, review — streaming session/update notifications, and the change
// lands on the user's files only after the client allowed the edit, through
// the same journaled, checkpointed, audited path as cadre/shadow.apply.
//
// Like LspSession it is an adapter over the Dispatcher: handlers decode,
// call the parts and encode; it knows no LSP types. Threading: handlers run
// on the connection's strand; each prompt turn runs on a worker thread of
// its session and answers through its Callback.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "protocol/dispatcher.hpp"
#include "server/acp/acp_types.hpp"
#include "server/core/state_paths.hpp"
#include "server/core/config.hpp"

namespace cadre::acp {

struct AgentOptions {
  std::filesystem::path userConfig = core::userConfigPath();
  protocol::DispatcherOptions dispatcher;
};

struct Session;

class AgentServer : public protocol::MessageHandler, public std::enable_shared_from_this<AgentServer> {
 public:
  AgentServer(std::shared_ptr<protocol::Transport> transport, asio::any_io_executor executor, AgentOptions options = {});
  // Cancels every running prompt and waits for its worker.
  ~AgentServer() override;

  bool onNotify(std::string_view method, protocol::json params) override;
  bool onCall(std::string_view method, protocol::json params, protocol::json id) override;
  bool onReply(protocol::json id, Expected<protocol::json> result) override;
  void onInvalid(const protocol::Invalid& bad) override;
  void onClosed() override;

 private:
  void onInitialize(const InitializeParams&, protocol::Callback<protocol::json>);
  void onAuthenticate(const AuthenticateParams&, protocol::Callback<protocol::json>);
  void onNewSession(const NewSessionParams&, protocol::Callback<protocol::json>);
  void onPrompt(const PromptParams&, protocol::Callback<protocol::json>);
  void onCancel(const SessionIdParams&);

  // prompt_turn.cpp: one prompt, on the session's worker thread.
  void runTurn(const std::shared_ptr<Session>& session, const PromptParams& params, protocol::Callback<protocol::json> reply);
  std::string promptText(Session& session, const std::vector<ContentBlock>& blocks, const std::atomic<bool>* cancel);
  void update(const std::string& sessionId, protocol::json update);

  AgentOptions options_;
  protocol::Dispatcher dispatcher_;
  std::atomic<bool> initialized_{false};
  std::shared_ptr<std::atomic<bool>> closed_ = std::make_shared<std::atomic<bool>>(false);  // the client went away
  bool clientReadsFiles_ = false;  // fs.readTextFile
  std::mutex mu_;                  // sessions_
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::atomic<int> sessionCounter_{0};
};

}  // namespace cadre::acp
