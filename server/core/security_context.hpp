// Everything a session needs to let a model touch files and run commands:
// the path policy for its roots, the remembered approvals, the audit log and
// the Gate over them, built from the layered config. Rebuilt when the roots
// or the settings change; shared (shared_ptr) so a tool call in flight keeps
// the one it started with.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>
#include <memory>
#include <vector>

#include "server/agent/tools.hpp"
#include "server/core/config.hpp"
#include "server/security/approvals.hpp"
#include "server/security/audit.hpp"
#include "server/security/gate.hpp"
#include "server/workspace/shadow.hpp"

namespace cadre::core {

struct SecurityContext {
  std::shared_ptr<security::PathPolicy> policy;
  std::shared_ptr<security::ApprovalStore> approvals;
  std::shared_ptr<security::AuditLog> audit;  // null when the log cannot be opened (then nothing runs: see build)
  std::unique_ptr<security::Gate> gate;
  agent::ToolRegistry tools;
};

// Fails when the audit log or the approvals file cannot be opened: cadre does
// not run tools it cannot account for.
Expected<std::shared_ptr<SecurityContext>> buildSecurityContext(const Config& config,
                                                                const std::vector<std::filesystem::path>& roots,
                                                                std::shared_ptr<security::Approver> approver);

security::GateConfig gateConfigFrom(const SecuritySettings& settings);

// The audit entry of an apply (edit_applied): who, which task, and each
// file's SHA-256 before and after (null for a side that does not exist).
nlohmann::json editAppliedEntry(const std::string& task, const std::vector<workspace::ShadowChange>& changes);

// For analysis' discovery: true for files the deny-list keeps out of the
// index (by name, and hard links to secrets by inode).
std::function<bool(std::string_view, bool, unsigned)> indexExclusion(const std::filesystem::path& root,
                                                                     const std::vector<std::string>& extraDeny);

}  // namespace cadre::core
