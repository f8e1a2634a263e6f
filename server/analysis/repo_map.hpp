// The ranked repo map: the project's most important definitions, with their
// signatures, in as few tokens as asked. Files are ranked with PageRank over
// the reference graph (file A → file B when A uses a name B defines),
// personalized toward the focus files; each file's rank then flows to the
// definitions its uses point at. Same index and options → same text.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/analysis/project_index.hpp"

namespace cadre::analysis {

struct RepoMapOptions {
  std::size_t tokenBudget = 1024;
  // Files the reader already has (open, being edited): the ranking leans
  // toward what they use, and their own definitions are left out.
  std::vector<std::string> focusFiles;
  // Identifiers mentioned in the request; uses of them weigh more.
  std::vector<std::string> focusNames;
  // True for files (relative path) whose definitions must not be shown: the
  // caller's access policy. They still count in the ranking.
  std::function<bool(std::string_view path)> hide;
};

struct RepoMapEntry {
  std::string path;
  std::uint32_t line = 0;  // 1-based
  std::string signature;
  std::uint32_t depth = 0;  // nesting below a top-level definition
  double rank = 0;
};

struct RepoMap {
  std::string text;
  std::vector<RepoMapEntry> entries;  // in the order rendered
  std::size_t tokens = 0;             // estimated, as bytes / 4
  std::size_t definitionsRanked = 0;
};

RepoMap buildRepoMap(const ProjectIndex& index, const RepoMapOptions& options);

// The token estimate used for budgets (about 4 bytes a token for code).
inline std::size_t estimateTokens(std::string_view text) { return (text.size() + 3) / 4; }

}  // namespace cadre::analysis
