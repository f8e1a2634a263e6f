// Aligned text tables for the subcommands' human output (--json is for
// machines): columns padded to their widest cell, trailing spaces trimmed.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace cadre::cli {

// Display width of UTF-8 text: code points, not bytes (→, ✓ and the like
// are one column).
inline std::size_t displayWidth(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

inline void printTable(const std::vector<std::vector<std::string>>& rows, std::FILE* out = stdout) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], displayWidth(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - displayWidth(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace cadre::cli
