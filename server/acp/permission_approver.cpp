// session/request_permission as cadre's Approver; see permission_approver.hpp.
#include "server/acp/permission_approver.hpp"

#include <chrono>
#include <future>
#include <memory>

namespace cadre::acp {

Expected<json> awaitClient(const std::function<void(std::function<void(Expected<json>)>)>& call,
                           const std::atomic<bool>* cancel, const std::atomic<bool>* closed, const char* what) {
  auto answer = std::make_shared<std::promise<Expected<json>>>();
  std::future<Expected<json>> pending = answer->get_future();
  call([answer](Expected<json> result) { answer->set_value(std::move(result)); });
  // The client answers on the connection's strand; this worker only waits,
  // looking at the cancel flag between short naps.
  while (pending.wait_for(std::chrono::milliseconds(40)) != std::future_status::ready) {
    if (cancel && cancel->load())
      return makeError(ErrorCode::RequestCancelled, std::string("cancelled while waiting for ") + what);
    if (closed && closed->load())
      return makeError(ErrorCode::Unavailable, std::string("the client went away before answering ") + what);
  }
  return pending.get();
}

json PermissionApprover::options(const security::ApprovalRequest& request) {
  json out = json::array();
  out.push_back({{"optionId", "allow-once"}, {"name", "Allow once"}, {"kind", "allow_once"}});
  if (!request.alwaysRules.empty()) {
    std::string rules;
    for (const auto& r : request.alwaysRules) rules += (rules.empty() ? "" : ", ") + r;
    out.push_back({{"optionId", "allow-always"}, {"name", "Always allow " + rules}, {"kind", "allow_always"}});
  }
  out.push_back({{"optionId", "reject-once"}, {"name", "Reject"}, {"kind", "reject_once"}});
  return out;
}

Expected<security::ApprovalAnswer> PermissionApprover::ask(const security::ApprovalRequest& request,
                                                           const std::atomic<bool>* cancel) {
  json params = {{"sessionId", sessionId_}, {"toolCall", describe_(request)}, {"options", options(request)}};
  auto reply = awaitClient(
      [&](std::function<void(Expected<json>)> done) { caller_("session/request_permission", std::move(params), std::move(done)); },
      cancel, closed_.get(), "permission");
  if (!reply) {
    if (reply.error().code == ErrorCode::RequestCancelled) return reply.error();
    return makeError(ErrorCode::Unavailable, "the client did not answer the permission request: " + reply.error().message);
  }
  security::ApprovalAnswer answer;
  answer.note = "rejected in the editor";
  const json outcome = reply->is_object() ? reply->value("outcome", json()) : json();
  const std::string kind = outcome.is_object() ? outcome.value("outcome", "") : "";
  if (kind == "cancelled") return makeError(ErrorCode::RequestCancelled, "the client cancelled the permission request");
  if (kind == "selected") {
    const std::string option = outcome.value("optionId", "");
    if (option == "allow-once") {
      answer.choice = security::ApprovalChoice::AllowOnce;
      answer.note.clear();
    } else if (option == "allow-always" && !request.alwaysRules.empty()) {
      answer.choice = security::ApprovalChoice::AllowAlways;
      answer.note.clear();
    }
  }
  return answer;
}

}  // namespace cadre::acp
