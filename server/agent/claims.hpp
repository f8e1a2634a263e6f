// File claims: how workers that share one task's shadow workspace keep out
// of each other's way. A worker claims the files it will change (its plan
// steps' files up front, more with the claim_files tool) and may write only
// what it holds; a claim on a file another worker holds is refused with that
// worker's name, which the model reads as a tool error and works around
// (leave the file to its holder, or say in its summary what it needs).
// Claims are all-or-nothing per request and are held until the workers are
// done. Thread-safe: workers run on their own threads.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace cadre::agent {

class FileClaims {
 public:
  // Claims every path (absolute, canonical) for `worker`, or none of them:
  // InvalidRequest naming the first path held by another worker and who.
  // Claiming what one already holds is fine.
  Expected<void> claim(const std::string& worker, const std::vector<std::filesystem::path>& paths);
  // Whether `worker` may change `path`: it must hold the claim.
  Expected<void> checkWrite(const std::string& worker, const std::filesystem::path& path) const;
  std::optional<std::string> holder(const std::filesystem::path& path) const;
  // worker → the paths it holds, for events and the review.
  std::map<std::string, std::vector<std::string>> byWorker() const;

  // How paths are shown in messages (relative to the project). Default: as is.
  void setNamer(std::function<std::string(const std::filesystem::path&)> namer) { namer_ = std::move(namer); }

 private:
  std::string name(const std::filesystem::path& p) const { return namer_ ? namer_(p) : p.string(); }
  mutable std::mutex mu_;
  std::map<std::filesystem::path, std::string> holders_;
  std::function<std::string(const std::filesystem::path&)> namer_;
};

// The files a call of a shadow-editing tool would change, as the model
// named them (relative to the project), or nullopt when this tool's
// arguments do not say (a worker may then not use it).
std::optional<std::vector<std::string>> pathsWritten(std::string_view tool, const nlohmann::json& args);

}  // namespace cadre::agent
