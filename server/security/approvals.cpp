// Approval vocabulary and the per-project store of "allow always" rules.
#include "server/security/approvals.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/files.hpp"

namespace cadre::security {

const char* toString(ApprovalMode m) {
  switch (m) {
    case ApprovalMode::Ask: return "ask";
    case ApprovalMode::AutoEdit: return "auto-edit";
    case ApprovalMode::ReadOnly: return "read-only";
  }
  return "ask";
}

bool parseApprovalMode(std::string_view s, ApprovalMode& out) {
  if (s == "ask") out = ApprovalMode::Ask;
  else if (s == "auto-edit") out = ApprovalMode::AutoEdit;
  else if (s == "read-only") out = ApprovalMode::ReadOnly;
  else return false;
  return true;
}

const char* toString(ApprovalKind k) {
  switch (k) {
    case ApprovalKind::Command: return "command";
    case ApprovalKind::Edit: return "edit";
    case ApprovalKind::OutsidePath: return "outsidePath";
  }
  return "command";
}

const char* toString(ApprovalChoice c) {
  switch (c) {
    case ApprovalChoice::AllowOnce: return "allowOnce";
    case ApprovalChoice::AllowAlways: return "allowAlways";
    case ApprovalChoice::Deny: return "deny";
  }
  return "deny";
}

namespace {

nlohmann::json ruleToJson(const CommandRule& r) {
  nlohmann::json j = {{"program", r.program}};
  if (!r.subcommand.empty()) j["subcommand"] = r.subcommand;
  if (r.exactArgs) j["args"] = *r.exactArgs;
  return j;
}

}  // namespace

ApprovalStore::ApprovalStore(ApprovalStore&& other) noexcept {
  std::lock_guard lock(other.mu_);
  file_ = std::move(other.file_);
  rules_ = std::move(other.rules_);
  external_ = std::move(other.external_);
}

ApprovalStore& ApprovalStore::operator=(ApprovalStore&& other) noexcept {
  if (this != &other) {
    std::scoped_lock lock(mu_, other.mu_);
    file_ = std::move(other.file_);
    rules_ = std::move(other.rules_);
    external_ = std::move(other.external_);
  }
  return *this;
}

Expected<ApprovalStore> ApprovalStore::load(const std::filesystem::path& file) {
  ApprovalStore store;
  store.file_ = file;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return store;
  std::string text;
  if (!readWholeFile(file, text)) return makeError(ErrorCode::IoError, "cannot read " + file.string());
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& r : j.at("commands")) {
      CommandRule rule;
      rule.program = r.at("program").get<std::string>();
      rule.subcommand = r.value("subcommand", "");
      if (r.contains("args")) rule.exactArgs = r.at("args").get<std::vector<std::string>>();
      if (!rule.program.empty()) store.rules_.push_back(std::move(rule));
    }
    for (const auto& key : j.value("external", nlohmann::json::array())) store.external_.push_back(key.get<std::string>());
  } catch (const std::exception& e) {
    return makeError(ErrorCode::Config, file.string() + ": not a valid approvals file (" + e.what() +
                                            "); fix or delete it to start with no remembered approvals");
  }
  return store;
}

std::vector<CommandRule> ApprovalStore::commandRules() const {
  std::lock_guard lock(mu_);
  return rules_;
}

Expected<void> ApprovalStore::addCommandRules(const std::vector<CommandRule>& rules) {
  std::lock_guard lock(mu_);
  for (const auto& r : rules)
    if (std::find(rules_.begin(), rules_.end(), r) == rules_.end()) rules_.push_back(r);
  return save();
}

bool ApprovalStore::hasExternalRule(std::string_view key) const {
  std::lock_guard lock(mu_);
  return std::find(external_.begin(), external_.end(), key) != external_.end();
}

Expected<void> ApprovalStore::addExternalRule(const std::string& key) {
  std::lock_guard lock(mu_);
  if (std::find(external_.begin(), external_.end(), key) == external_.end()) external_.push_back(key);
  return save();
}

Expected<void> ApprovalStore::save() const {
  if (file_.empty()) return {};
  nlohmann::json j = {{"version", 1}, {"commands", nlohmann::json::array()}};
  for (const auto& r : rules_) j["commands"].push_back(ruleToJson(r));
  if (!external_.empty()) j["external"] = external_;
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  const auto tmp = file_.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << '\n';
    out.flush();
    if (!out) return makeError(ErrorCode::IoError, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), file_.c_str()) != 0)
    return makeError(ErrorCode::IoError, "cannot replace " + file_.string());
  return {};
}

}  // namespace cadre::security
