// Samples of the real corpora the analysis tests read (Python's standard
// library, /usr/include, TypeScript from bench/corpora/node_modules).
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <system_error>
#include <vector>

#include "server/analysis/language.hpp"

namespace cadre::testing {

// Every `step`th file under `dir` with a language cadre reads and at most
// `maxBytes`, in path order.
inline std::vector<std::filesystem::path> sampleCorpus(const std::filesystem::path& dir, std::size_t step, std::size_t maxBytes = 400 * 1024) {
  namespace fs = std::filesystem;
  std::vector<fs::path> all;
  if (!fs::is_directory(dir)) return all;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied); it != fs::recursive_directory_iterator(); ++it) {
    std::error_code ec;
    if (!it->is_regular_file(ec) || !analysis::languageForPath(it->path())) continue;
    if (it->file_size(ec) > maxBytes) continue;
    all.push_back(it->path());
  }
  std::sort(all.begin(), all.end());
  std::vector<fs::path> out;
  for (std::size_t i = 0; i < all.size(); i += step) out.push_back(all[i]);
  return out;
}

}  // namespace cadre::testing
