// The human in the loop. Every shell command and every edit of a real file is
// put to the user unless a rule the user gave ("allow always") covers it;
// what the user answered "always" to is remembered per project in the
// per-user state directory — never in the project, so a cloned repository
// cannot ship its own pre-approvals. Answers come only from an Approver (the
// editor over the wire, or the terminal): nothing a model says reaches here.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "server/security/command_parse.hpp"
#include "support/expected.hpp"

namespace cadre::security {

enum class ApprovalMode {
  Ask,       // default: commands and real-file edits ask
  AutoEdit,  // real-file edits inside the workspace go through (audited); commands still ask
  ReadOnly,  // no commands, no edits of real files
};
const char* toString(ApprovalMode);
bool parseApprovalMode(std::string_view, ApprovalMode&);

enum class ApprovalKind { Command, Edit, OutsidePath };
const char* toString(ApprovalKind);

struct ApprovalRequest {
  ApprovalKind kind = ApprovalKind::Command;
  std::string command;              // Command: the line as it will run
  std::string cwd;
  std::string diff;                 // Edit: unified diff of what changes
  std::vector<std::string> paths;   // Edit / OutsidePath: the files concerned
  std::string why;                  // the reason the model gave
  std::string model, role;          // who asks
  bool sandboxed = true;            // false: the user opted out of the sandbox; the prompt must say so
  bool network = false;             // the command wants the network
  std::vector<std::string> alwaysRules;  // what "allow always" would remember, shown to the user
};

enum class ApprovalChoice { AllowOnce, AllowAlways, Deny };
const char* toString(ApprovalChoice);

struct ApprovalAnswer {
  ApprovalChoice choice = ApprovalChoice::Deny;
  std::string note;  // the user's words, given back to the model on a denial
};

// Asks a person. Blocking: called from worker threads, never the main loop.
// Returns Unavailable when there is no one to ask (no client that supports
// approvals, no terminal), RequestCancelled when `cancel` went up.
class Approver {
 public:
  virtual ~Approver() = default;
  virtual Expected<ApprovalAnswer> ask(const ApprovalRequest& request, const std::atomic<bool>* cancel) = 0;
};

// "Allow always" command rules of one project. Thread-safe; saved on every
// change with a temp file + rename so a crash leaves the old or new set.
class ApprovalStore {
 public:
  ApprovalStore() = default;  // in memory only
  static Expected<ApprovalStore> load(const std::filesystem::path& file);

  ApprovalStore(ApprovalStore&& other) noexcept;
  ApprovalStore& operator=(ApprovalStore&& other) noexcept;

  std::vector<CommandRule> commandRules() const;
  Expected<void> addCommandRules(const std::vector<CommandRule>& rules);
  // "Allow always" answers about actions that are not shell commands (an MCP
  // server's tool, starting a server a project defines): opaque keys the Gate
  // makes ("mcp-tool:fs__write_file"), matched exactly.
  bool hasExternalRule(std::string_view key) const;
  Expected<void> addExternalRule(const std::string& key);
  const std::filesystem::path& file() const { return file_; }

 private:
  Expected<void> save() const;
  std::filesystem::path file_;
  mutable std::mutex mu_;
  std::vector<CommandRule> rules_;
  std::vector<std::string> external_;
};

}  // namespace cadre::security
