// The one way in. Tools, the agent, MCP and the wire reach files and
// processes only through a Gate, which applies — in this order — the role's
// permitted tools, the approval mode, the path policy, the user's approvals,
// the sandbox, and writes the audit trail. Each tool declares what it needs
// (ToolNeeds); the Gate reads that declaration, so a tool cannot forget a
// check (CONVENTIONS.md: "security is data the dispatcher reads").
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/security/approvals.hpp"
#include "server/security/path_policy.hpp"
#include "server/security/sandbox.hpp"
#include "support/expected.hpp"

namespace cadre::security {

// Who is asking. A model's calls carry its name and router role; the user's
// own requests (an editor command) have an empty model.
struct Actor {
  std::string model;
  std::string role;  // "planner", "executor", "reviewer", … or "" for the user
  bool isModel() const { return !model.empty(); }
};

struct ToolNeeds {
  bool readsFiles = false;
  bool writesShadow = false;     // edits in the shadow workspace
  bool writesRealFiles = false;  // edits of the user's files (apply, restore)
  bool runsProcess = false;
  bool network = false;
  bool callsModel = false;
};

struct RolePermissions {
  std::string role;
  std::vector<std::string> tools;  // empty: every tool
  bool readOnly = false;           // no writes (shadow or real) and no processes
};

struct GateConfig {
  ApprovalMode mode = ApprovalMode::Ask;
  bool sandboxOff = false;  // user opted out (user config only): commands run unsandboxed and always ask
  SandboxLimits limits;
  std::vector<RolePermissions> roles;
  // cadre's own per-user directories (state, config): no tool writes there,
  // whatever the approvals.
  std::vector<std::filesystem::path> protectedDirs;
  std::size_t maxReadBytes = 8u << 20;
};

// Records one audit entry: kind and fields (the audit log adds seq, time,
// chain). Empty: nothing is recorded (tests of other parts).
using AuditSink = std::function<void(std::string_view kind, nlohmann::json fields)>;

struct CommandRequest {
  std::string line;                        // a shell command line (bash syntax)
  std::string cwd;                         // absolute, or relative to the first root
  std::vector<std::string> writablePaths;  // scratch dirs; empty: nothing writable but /tmp
  // Extra read-only views set up by cadre's own code (a task's materialized
  // shadow workspace, whose unchanged files are hard links to the user's and
  // so must never be writable).
  std::vector<std::string> readOnlyPaths;
  bool network = false;
  std::string why;
  int timeoutMs = 0;                       // 0: the configured limit
  // Set only by cadre's own code for commands the user never has to vet
  // (linters cadre detected itself); no tool exposes it to a model. Still
  // parsed, deny-checked, sandboxed and audited.
  bool preApproved = false;
  // Written to the command's stdin, then EOF (lifecycle hooks read the tool
  // call as JSON there); empty: stdin is /dev/null.
  std::string stdinData;
};

// Something cadre cannot look inside — a call of an MCP server's tool, the
// start of an MCP server a project's config defines — put to the user like
// a command (docs/mcp.md).
struct ExternalAction {
  std::string display;    // what the prompt shows as the command, e.g. `mcp fs__write_file {"path":…}`
  std::string rule;       // what "allow always" remembers (a key such as "mcp-tool:fs__write_file"); empty: never
  std::string ruleLabel;  // how that rule is shown to the user
  std::string why;
  bool sandboxed = true;
  bool network = false;
  bool preApproved = false;  // the user's own config allow-lists it: audited, not asked
};

// A long-lived process (an MCP server) started for the session.
struct ProcessRequest {
  std::vector<std::string> argv;
  std::string cwd;  // empty: the first root
  std::vector<std::pair<std::string, std::string>> env;  // added to the clean environment
  std::vector<std::string> readOnlyPaths;                // bound besides the roots (where the program is installed)
  bool writableRoots = false;                            // the workspace bound read-write (default read-only)
  bool network = false;
  bool unsandboxed = false;  // the user's own config opted this process out of the sandbox
  std::string why;           // for the audit trail: "MCP server 'fs'"
  bool pty = false;          // a pseudo-terminal instead of pipes (SandboxSpec::pty)
};

struct DirEntry {
  std::string name;
  bool directory = false;
  std::uint64_t size = 0;
};

struct Listing {
  std::vector<DirEntry> entries;
  std::size_t hidden = 0;  // deny-listed entries left out
};

class Gate {
 public:
  Gate(GateConfig config, std::shared_ptr<PathPolicy> policy, std::shared_ptr<ApprovalStore> store,
       std::shared_ptr<Approver> approver, AuditSink audit);

  // Role and mode against what the tool declares. Every tool call starts here.
  Expected<void> authorizeTool(const Actor& actor, std::string_view tool, const ToolNeeds& needs);

  // A path for reading, listing or writing (writes here mean the shadow; real
  // files go through authorizeRealEdit). Deny-listed → Unauthorized, always;
  // outside the roots → the user is asked.
  Expected<PathCheck> authorizePath(const Actor& actor, std::string_view path, PathAccess access,
                                    std::string_view why = {}, const std::atomic<bool>* cancel = nullptr);

  Expected<std::string> readFile(const Actor& actor, std::string_view path, const std::atomic<bool>* cancel = nullptr);
  Expected<Listing> listDirectory(const Actor& actor, std::string_view path, const std::atomic<bool>* cancel = nullptr);
  // For searches over many files: true when a canonical path may be shown.
  bool visible(const std::filesystem::path& canonical) const;

  // An edit of the user's real files (apply, checkpoint restore): every path
  // checked for writing, then approval per the mode, then audited.
  Expected<void> authorizeRealEdit(const Actor& actor, const std::vector<std::string>& paths, std::string_view diff,
                                   std::string_view why, const std::atomic<bool>* cancel = nullptr);

  // Appends `text` to <first root>/.cadre/MEMORY.md (created if absent): the
  // one file under .cadre/ cadre writes on a model's proposal. The addition is
  // shown to the user as a diff and written only once approved (auto-edit
  // mode: without asking; read-only mode: refused), then audited as
  // memory_appended. Defined in gate_memory.cpp.
  Expected<void> appendProjectMemory(const Actor& actor, std::string_view text, std::string_view why,
                                     const std::atomic<bool>* cancel = nullptr);

  // Parse → deny-list on its arguments → approval (rules, mode) → sandbox →
  // audit. The result's output is the command's, capped by the limits.
  Expected<SandboxResult> runCommand(const Actor& actor, const CommandRequest& request,
                                     const std::atomic<bool>* cancel = nullptr);
  // runCommand's checks and approval without running anything: for a
  // command line cadre then starts itself as a long-lived process (the
  // agent's start_process), so it is vetted exactly like run_command.
  // Returns the resolved working directory.
  Expected<std::filesystem::path> approveCommand(const Actor& actor, const CommandRequest& request,
                                                 const std::atomic<bool>* cancel = nullptr);

  // An ExternalAction: allowed when pre-approved or covered by a remembered
  // rule, else asked (kind command). Refused in read-only mode.
  Expected<void> approveExternal(const Actor& actor, const ExternalAction& action,
                                 const std::atomic<bool>* cancel = nullptr);

  // Starts a long-lived process in the sandbox (roots read-only unless
  // asked, deny-listed files masked, no network unless asked, the configured
  // memory and process limits; sandbox off only by the user's config).
  // Arguments naming deny-listed paths are refused. Audited as a command.
  // Approval is the caller's to ask first (approveExternal) where it applies.
  Expected<std::unique_ptr<SandboxedProcess>> startProcess(const Actor& actor, const ProcessRequest& request);

  // Appends an entry to the audit trail (the tool dispatcher records each
  // call here, so every way in is audited the same).
  void record(std::string_view kind, nlohmann::json fields);

  const PathPolicy& policy() const { return *policy_; }
  ApprovalMode mode() const { return config_.mode; }

 private:
  Error refuse(const Actor& actor, std::string_view what, std::string message, nlohmann::json detail = {});
  Expected<ApprovalAnswer> ask(const Actor& actor, ApprovalRequest request, const std::atomic<bool>* cancel);
  const RolePermissions* roleOf(const Actor& actor) const;

  GateConfig config_;
  std::shared_ptr<PathPolicy> policy_;
  std::shared_ptr<ApprovalStore> store_;
  std::shared_ptr<Approver> approver_;
  AuditSink audit_;
};

// Role defaults when config names none: planner and reviewer read-only,
// executor everything (DESIGN.md: reviewer never writes).
std::vector<RolePermissions> defaultRoles();

}  // namespace cadre::security
