// The Gate's Approver for an ACP session: every approval cadre needs (a
// command, the edit of the user's files, a read outside the workspace)
// becomes a `session/request_permission` request to the client, about the
// tool call that caused it. The options are allow_once, allow_always (only
// when cadre has a rule to remember: the Gate stores it as cadre's own
// allow-always rule, per project, in the user's state directory) and
// reject_once. A `cancelled` outcome (the prompt was cancelled) or the turn's
// cancel flag ends the wait with RequestCancelled; anything else but a
// selected allow is a denial.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/security/approvals.hpp"

namespace cadre::acp {

using json = nlohmann::json;

class PermissionApprover : public security::Approver {
 public:
  // Sends a request to the client; `done` gets its result exactly once.
  using Caller = std::function<void(const std::string& method, json params, std::function<void(Expected<json>)> done)>;
  // The ToolCallUpdate the request is about (at least toolCallId and a title).
  using Describe = std::function<json(const security::ApprovalRequest&)>;

  // `closed` goes up when the connection ends: nothing will answer then.
  PermissionApprover(std::string sessionId, Caller caller, Describe describe, std::shared_ptr<const std::atomic<bool>> closed)
      : sessionId_(std::move(sessionId)), caller_(std::move(caller)), describe_(std::move(describe)), closed_(std::move(closed)) {}

  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& request, const std::atomic<bool>* cancel) override;

  // The request's options, for the ApprovalRequest's kind and rules.
  static json options(const security::ApprovalRequest& request);

 private:
  std::string sessionId_;
  Caller caller_;
  Describe describe_;
  std::shared_ptr<const std::atomic<bool>> closed_;
};

// Blocks until `call` answers through its callback, `cancel` goes up (then
// RequestCancelled) or `closed` does (Unavailable); a late answer is
// dropped. For the agent's own requests to the client: permissions,
// fs/read_text_file.
Expected<json> awaitClient(const std::function<void(std::function<void(Expected<json>)>)>& call,
                           const std::atomic<bool>* cancel, const std::atomic<bool>* closed, const char* what);

}  // namespace cadre::acp
