// The analysis and checkpoint tools `cadre mcp serve` offers other hosts
// (Claude Code, Cline, Codex …) besides the agent's own (repo_map,
// find_symbol, references: agent/tools_analysis.cpp): check, and
// checkpoints_list / checkpoints_diff. All read only: they read the
// project index (which never holds deny-listed files) and cadre's own
// checkpoint store (which never stores them); restoring a checkpoint writes
// the user's files and so is not offered where no one can approve it.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>

#include "server/agent/tools.hpp"
#include "server/analysis/project_index.hpp"
#include "server/workspace/checkpoints.hpp"

namespace cadre::mcp {

struct FaceProject {
  std::filesystem::path root;
  // The index, built once (the caller decides when) and waited for here.
  std::function<Expected<std::shared_ptr<const analysis::ProjectIndex>>(const std::atomic<bool>* cancel)> index;
  // Opens the project's checkpoints; empty: no checkpoint tools. nullopt-like
  // "none yet" is an error with code RequestFailed the tools turn into text.
  std::function<Expected<workspace::CheckpointStore>()> checkpoints;
};

void addAnalysisTools(agent::ToolRegistry& registry, FaceProject project);

}  // namespace cadre::mcp
