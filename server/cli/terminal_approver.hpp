// Approvals on the terminal, for headless commands (`cadre tools call`, and
// `cadre run` when it lands). The prompt goes to /dev/tty, not stdin/stdout:
// those may be pipes carrying data, and a model's output must never be able
// to answer its own question by being read as input.
#pragma once

#include <mutex>

#include "server/security/approvals.hpp"

namespace cadre::cli {

class TerminalApprover : public security::Approver {
 public:
  // `ttyPath`: tests may point it at a pseudo-terminal.
  explicit TerminalApprover(std::string ttyPath = "/dev/tty") : ttyPath_(std::move(ttyPath)) {}
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& request,
                                         const std::atomic<bool>* cancel) override;

 private:
  std::string ttyPath_;
  std::mutex mu_;  // one question at a time
};

}  // namespace cadre::cli
