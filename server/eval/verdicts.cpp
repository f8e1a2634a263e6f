// Per-model result files and applying verdicts to a router configuration; see verdicts.hpp.
#include "server/eval/verdicts.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "support/files.hpp"

namespace cadre::eval {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path modelStateDir(const fs::path& stateHome, const std::string& name) {
  std::string safe;
  for (char c : name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  if (safe.empty() || safe == "." || safe == "..") safe = "_" + safe;
  return stateHome / "models" / safe;
}

Expected<void> writeJsonFile(const fs::path& file, const json& j) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create " + file.parent_path().string() + ": " + ec.message());
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) return makeError(ErrorCode::IoError, "cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::IoError, "cannot write " + file.string());
  }
  return {};
}

std::optional<ModelVerdict> loadVerdict(const fs::path& stateHome, const std::string& name) {
  std::string text;
  if (!readWholeFile(modelStateDir(stateHome, name) / "eval.json", text)) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.value("evaluated", false) || !j.contains("restricted") || !j["restricted"].is_boolean()) return std::nullopt;
  ModelVerdict v;
  v.model = name;
  v.modelId = j.value("modelId", "");
  v.restricted = j["restricted"].get<bool>();
  v.toolCalls = j.value("toolCalls", "native") == "text" ? models::ToolCallMode::Text : models::ToolCallMode::Native;
  v.score = j.value("score", 0.0);
  v.passed = j.value("passed", 0);
  v.total = j.value("total", 0);
  v.evaluatedAt = j.value("evaluatedAt", "");
  return v;
}

Expected<void> forgetVerdict(const fs::path& stateHome, const std::string& name) {
  std::error_code ec;
  fs::remove(modelStateDir(stateHome, name) / "eval.json", ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot remove the verdict of " + name + ": " + ec.message());
  return {};
}

void applyVerdicts(models::RouterConfig& config, const fs::path& stateHome) {
  for (auto& m : config.models) {
    auto v = loadVerdict(stateHome, m.name);
    if (!v) continue;
    if (v->modelId != m.model) {
      spdlog::debug("eval: the verdict of {} is for {}, not {}; ignored until it is evaluated again", m.name, v->modelId, m.model);
      continue;
    }
    m.toolCalls = v->toolCalls;
    if (v->restricted) {
      m.restricted = true;
      char score[64];
      std::snprintf(score, sizeof score, "%d/%d", v->passed, v->total);
      m.restriction = std::string("passed ") + score + " of cadre eval's tool-use runs on " + v->evaluatedAt +
                      "; re-run `cadre eval --model " + m.name + "` after changing it";
    }
  }
}

}  // namespace cadre::eval
