// File claims between concurrent workers; see claims.hpp.
#include "server/agent/claims.hpp"

#include "server/workspace/edit_format.hpp"

namespace cadre::agent {

namespace fs = std::filesystem;

Expected<void> FileClaims::claim(const std::string& worker, const std::vector<fs::path>& paths) {
  std::lock_guard lock(mu_);
  for (const auto& p : paths) {
    auto it = holders_.find(p);
    if (it != holders_.end() && it->second != worker)
      return makeError(ErrorCode::InvalidRequest, name(p) + " is claimed by the worker '" + it->second +
                                                      "'; leave it to that worker (or say in your summary what it "
                                                      "should change there)");
  }
  for (const auto& p : paths) holders_.emplace(p, worker);
  return {};
}

Expected<void> FileClaims::checkWrite(const std::string& worker, const fs::path& path) const {
  std::lock_guard lock(mu_);
  auto it = holders_.find(path);
  if (it == holders_.end())
    return makeError(ErrorCode::InvalidRequest, name(path) + " is not claimed: call claim_files with it before changing it");
  if (it->second != worker)
    return makeError(ErrorCode::InvalidRequest, name(path) + " is claimed by the worker '" + it->second +
                                                    "'; only that worker may change it");
  return {};
}

std::optional<std::string> FileClaims::holder(const fs::path& path) const {
  std::lock_guard lock(mu_);
  auto it = holders_.find(path);
  if (it == holders_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::vector<std::string>> FileClaims::byWorker() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [p, w] : holders_) out[w].push_back(name(p));
  return out;
}

std::optional<std::vector<std::string>> pathsWritten(std::string_view tool, const nlohmann::json& args) {
  auto str = [&](const char* key) -> std::string {
    auto it = args.find(key);
    return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (tool == "write_file" || tool == "delete_file") return std::vector<std::string>{str("path")};
  if (tool == "rename_file") return std::vector<std::string>{str("from"), str("to")};
  if (tool == "edit_file") {
    auto edits = workspace::parseEdits(str("edits"));
    if (!edits) return std::vector<std::string>{};  // the tool itself reports the parse error
    std::vector<std::string> out;
    for (const auto& e : *edits) {
      out.push_back(e.path);
      if (!e.fromPath.empty()) out.push_back(e.fromPath);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace cadre::agent
