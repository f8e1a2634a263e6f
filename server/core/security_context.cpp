// Builds a session's SecurityContext from config and roots.
#include "server/core/security_context.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "server/core/state_paths.hpp"
#include "server/security/redact.hpp"

namespace cadre::core {
namespace fs = std::filesystem;

security::GateConfig gateConfigFrom(const SecuritySettings& s) {
  security::GateConfig g;
  security::parseApprovalMode(s.approvalMode, g.mode);
  g.sandboxOff = s.sandbox == "off";
  g.limits.wallTimeoutMs = static_cast<int>(std::min<std::int64_t>(s.commandTimeoutSeconds * 1000, 86400000));
  g.limits.cpuSeconds = static_cast<int>(s.commandTimeoutSeconds);
  g.limits.memoryBytes = static_cast<std::uint64_t>(s.commandMemoryMB) << 20;
  g.limits.maxProcesses = static_cast<int>(s.commandMaxProcesses);
  g.limits.maxOutputBytes = static_cast<std::size_t>(s.commandMaxOutputKB) << 10;
  g.protectedDirs = {stateHome() / "cadre", userConfigPath().parent_path()};
  return g;
}

std::function<bool(std::string_view, bool, unsigned)> indexExclusion(const fs::path& root,
                                                                     const std::vector<std::string>& extraDeny) {
  auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{root}, extraDeny, {}});
  fs::path base = policy->roots().front();
  return [policy, base](std::string_view rel, bool, unsigned links) {
    const fs::path p = base / fs::path(rel);
    if (policy->deniedBy(p)) return true;
    // Only a file with several names can be a secret under another name.
    return links > 1 && policy->check(p.string(), security::PathAccess::Read).refusal == security::PathRefusal::Denied;
  };
}

nlohmann::json editAppliedEntry(const std::string& task, const std::vector<workspace::ShadowChange>& changes) {
  nlohmann::json entry = {{"actor", "user"}, {"task", task}, {"files", nlohmann::json::array()}};
  for (const auto& c : changes) {
    entry["files"].push_back({{"path", c.path.string()},
                              {"sha256Before", c.base ? nlohmann::json(security::sha256Hex(*c.base)) : nlohmann::json()},
                              {"sha256After", c.content ? nlohmann::json(security::sha256Hex(*c.content)) : nlohmann::json()}});
  }
  return entry;
}

Expected<std::shared_ptr<SecurityContext>> buildSecurityContext(const Config& config, const std::vector<fs::path>& roots,
                                                                std::shared_ptr<security::Approver> approver) {
  if (roots.empty())
    return makeError(ErrorCode::InvalidRequest, "no workspace folder is open: tools work inside a workspace only");
  auto ctx = std::make_shared<SecurityContext>();
  ctx->policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{roots, config.security.deny, {}});
  const fs::path& primary = roots.front();
  auto store = security::ApprovalStore::load(projectStateDir(primary) / "approvals.json");
  if (!store) return store.error();
  ctx->approvals = std::make_shared<security::ApprovalStore>(std::move(*store));

  security::AuditOptions options;
  options.redactor = [](std::string_view s) { return security::redact(s); };
  auto log = security::AuditLog::open(primary / ".cadre" / "audit.jsonl", projectStateDir(primary) / "audit-anchor",
                                      std::move(options));
  if (!log) return makeError(log.error().code, "cannot open the audit log: " + log.error().message);
  ctx->audit = std::make_shared<security::AuditLog>(std::move(*log));

  std::weak_ptr<security::AuditLog> weakLog = ctx->audit;
  const bool content = config.security.auditContent;
  security::AuditSink sink = [weakLog, content](std::string_view kind, nlohmann::json fields) {
    auto logPtr = weakLog.lock();
    if (!logPtr) return;
    if (!content) fields.erase("content");
    if (auto ok = logPtr->append(kind, std::move(fields)); !ok)
      spdlog::error("audit: could not record a {} entry: {}", std::string(kind), ok.error().message);
  };
  ctx->gate = std::make_unique<security::Gate>(gateConfigFrom(config.security), ctx->policy, ctx->approvals,
                                               std::move(approver), std::move(sink));
  ctx->tools = agent::builtinTools();
  return ctx;
}

}  // namespace cadre::core
