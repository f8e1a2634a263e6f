// PageRank over the reference graph and budgeted rendering; see repo_map.hpp.
#include "server/analysis/repo_map.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "server/analysis/resolve.hpp"

namespace cadre::analysis {
namespace {

// A name defined in more files than this says nothing about which one a use
// means (`get`, `init`, `size`); its edges would only add noise and time.
constexpr std::size_t kMaxDefinersPerName = 40;
constexpr double kDamping = 0.85;
// A use of a name in a file that imports nothing defining it: most likely a
// builtin, a local, or another module's same-named thing.
constexpr double kUnimportedWeight = 0.05;
constexpr int kIterations = 40;

bool isDescriptive(std::string_view name) {
  if (name.size() < 8) return false;
  const bool snake = name.find('_') != std::string_view::npos;
  const bool camel = std::any_of(name.begin() + 1, name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) &&
                     std::any_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return snake || camel;
}

struct NameUses {
  std::vector<std::uint32_t> definers;                     // sorted, unique
  std::vector<std::pair<std::uint32_t, std::uint32_t>> users;  // (file, count), sorted by file
  std::vector<double> definerRank;                         // pass 2: what flows to each definer's definitions of the name
};

}  // namespace

RepoMap buildRepoMap(const ProjectIndex& index, const RepoMapOptions& options) {
  const auto& files = index.files();
  const std::size_t n = files.size();
  RepoMap out;
  if (n == 0) return out;
  index.decodeAll();

  std::unordered_set<std::uint32_t> focus;
  for (const auto& f : options.focusFiles) {
    if (const IndexedFile* file = index.file(f)) focus.insert(static_cast<std::uint32_t>(file - files.data()));
  }
  const std::unordered_set<std::string> focusNames(options.focusNames.begin(), options.focusNames.end());

  // name → who defines it, who uses it: a hash table to fill (cheaper than
  // a tree for /usr/include's 1.3 million definitions), iterated in name
  // order (sums over it must not depend on hashing).
  std::unordered_map<std::string_view, NameUses> byName;
  for (std::uint32_t i = 0; i < n; ++i) {
    for (const auto& d : files[i].symbols().definitions) {
      auto& v = byName[d.name].definers;
      if (v.empty() || v.back() != i) v.push_back(i);
    }
  }
  std::vector<std::pair<std::string_view, NameUses*>> names;
  names.reserve(byName.size());
  for (auto& [name, uses] : byName) names.emplace_back(name, &uses);
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::unordered_map<NameUses*, std::uint32_t> counts;
  for (std::uint32_t i = 0; i < n; ++i) {
    counts.clear();
    for (const auto& r : files[i].symbols().references) {
      if (auto it = byName.find(r.name); it != byName.end()) ++counts[&it->second];
    }
    // Each name's users stay in file order whatever order this loop takes.
    for (const auto& [uses, c] : counts) uses->users.emplace_back(i, c);
  }

  // Which project files each file imports: a use of a name its imports can
  // see is far likelier to mean that definition than a same-named one
  // elsewhere (`str()` in a file that never imports locale.py).
  Resolver resolver(index);
  std::vector<std::vector<std::uint32_t>> imports(n);
  std::vector<bool> hasImports(n, false);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (const auto& imp : files[i].symbols().imports) {
      hasImports[i] = true;
      Resolution r = resolver.resolve(files[i], imp);
      for (const auto& target : r.files) {
        if (const IndexedFile* t = index.file(target)) imports[i].push_back(static_cast<std::uint32_t>(t - files.data()));
      }
    }
    std::sort(imports[i].begin(), imports[i].end());
    imports[i].erase(std::unique(imports[i].begin(), imports[i].end()), imports[i].end());
  }
  auto sees = [&](std::uint32_t user, std::uint32_t definer) {
    return !hasImports[user] || std::binary_search(imports[user].begin(), imports[user].end(), definer);
  };

  auto weightOf = [&](std::string_view name, const NameUses& uses, std::uint32_t count) {
    double mul = 1.0;
    if (focusNames.count(std::string(name))) mul *= 10;
    if (isDescriptive(name)) mul *= 10;
    if (!name.empty() && name[0] == '_') mul *= 0.1;
    if (uses.definers.size() > 5) mul *= 0.1;
    return mul * std::sqrt(static_cast<double>(count));
  };

  // Pass 1: aggregate edge weights between files.
  std::vector<std::unordered_map<std::uint32_t, double>> edges(n);
  std::vector<double> outWeight(n, 0.0);
  for (const auto& [name, usesOfName] : names) {
    const NameUses& uses = *usesOfName;
    if (uses.definers.size() > kMaxDefinersPerName || uses.users.empty()) continue;
    for (const auto& [user, count] : uses.users) {
      const double w = weightOf(name, uses, count);
      for (std::uint32_t definer : uses.definers) {
        if (definer == user) continue;
        const double seen = sees(user, definer) ? w : w * kUnimportedWeight;
        edges[user][definer] += seen;
        outWeight[user] += seen;
      }
    }
  }
  // The import itself is a dependency too.
  for (std::uint32_t user = 0; user < n; ++user) {
    for (std::uint32_t definer : imports[user]) {
      if (definer == user) continue;
      edges[user][definer] += 1.0;
      outWeight[user] += 1.0;
    }
  }

  // PageRank, personalized toward the focus files (uniform without any).
  std::vector<double> personal(n, focus.empty() ? 1.0 / n : 0.0);
  for (std::uint32_t f : focus) personal[f] = 1.0 / focus.size();
  std::vector<double> rank = personal, next(n);
  std::vector<std::vector<std::pair<std::uint32_t, double>>> sortedEdges(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    sortedEdges[i].assign(edges[i].begin(), edges[i].end());
    std::sort(sortedEdges[i].begin(), sortedEdges[i].end());
  }
  for (int it = 0; it < kIterations; ++it) {
    double dangling = 0;
    std::fill(next.begin(), next.end(), 0.0);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (outWeight[i] == 0) {
        dangling += rank[i];
        continue;
      }
      for (const auto& [j, w] : sortedEdges[i]) next[j] += kDamping * rank[i] * w / outWeight[i];
    }
    for (std::uint32_t i = 0; i < n; ++i) next[i] += (1 - kDamping + kDamping * dangling) * personal[i];
    rank.swap(next);
  }

  // Pass 2: each file's rank flows to the definitions its uses point at.
  for (const auto& [name, usesOfName] : names) {
    NameUses& uses = *usesOfName;
    if (uses.definers.size() > kMaxDefinersPerName) continue;
    uses.definerRank.assign(uses.definers.size(), 0.0);
    for (const auto& [user, count] : uses.users) {
      if (outWeight[user] == 0) continue;
      const double w = weightOf(name, uses, count);
      for (std::size_t k = 0; k < uses.definers.size(); ++k) {
        const std::uint32_t definer = uses.definers[k];
        if (definer != user) uses.definerRank[k] += rank[user] * (sees(user, definer) ? w : w * kUnimportedWeight) / outWeight[user];
      }
    }
  }
  // What flowed to `file`'s definitions named `name`.
  auto usedRank = [&](std::uint32_t file, std::string_view name) {
    const auto it = byName.find(name);
    if (it == byName.end() || it->second.definerRank.empty()) return 0.0;
    const auto& definers = it->second.definers;
    const auto at = std::lower_bound(definers.begin(), definers.end(), file);
    return at != definers.end() && *at == file ? it->second.definerRank[static_cast<std::size_t>(at - definers.begin())] : 0.0;
  };

  struct Candidate {
    std::uint32_t file, def;
    double score;
  };
  std::vector<Candidate> candidates;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (focus.count(i) || (options.hide && options.hide(files[i].path))) continue;
    const auto& defs = files[i].symbols().definitions;
    for (std::uint32_t d = 0; d < defs.size(); ++d) {
      const double used = usedRank(i, defs[d].name);
      // Unused top-level definitions still sort by how central their file is.
      const double score = used + (defs[d].parent < 0 ? rank[i] * 1e-3 : 0.0);
      if (score > 0) candidates.push_back({i, d, score});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.file != b.file) return files[a.file].path < files[b.file].path;
    return a.def < b.def;
  });
  out.definitionsRanked = candidates.size();

  // Renders the top `k` candidates, with their enclosing definitions for context.
  auto render = [&](std::size_t k, std::vector<RepoMapEntry>* entries) {
    std::map<std::uint32_t, std::set<std::uint32_t>> chosen;
    std::map<std::uint32_t, double> fileBest;
    for (std::size_t c = 0; c < k; ++c) {
      const auto& cand = candidates[c];
      const auto& defs = files[cand.file].symbols().definitions;
      for (std::int32_t d = static_cast<std::int32_t>(cand.def); d >= 0; d = defs[d].parent) chosen[cand.file].insert(static_cast<std::uint32_t>(d));
      fileBest.emplace(cand.file, cand.score);  // first seen is the best
    }
    std::vector<std::uint32_t> order;
    for (const auto& [f, s] : fileBest) order.push_back(f);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return fileBest[a] != fileBest[b] ? fileBest[a] > fileBest[b] : files[a].path < files[b].path;
    });
    std::string text;
    for (std::uint32_t f : order) {
      text += files[f].path + ":\n";
      const auto& defs = files[f].symbols().definitions;
      for (std::uint32_t d : chosen[f]) {
        std::uint32_t depth = 0;
        for (std::int32_t p = defs[d].parent; p >= 0; p = defs[p].parent) ++depth;
        const std::uint32_t line = defs[d].nameSpan.start.row + 1;
        std::string lineText = std::to_string(line);
        if (lineText.size() < 5) lineText.insert(0, 5 - lineText.size(), ' ');
        text += lineText + "| " + std::string(depth * 2, ' ') + defs[d].signature + "\n";
        if (entries) entries->push_back({files[f].path, line, defs[d].signature, depth, usedRank(f, defs[d].name)});
      }
    }
    return text;
  };

  // The largest prefix of the ranking that fits the budget: find an upper
  // bound by doubling from a small prefix (a budget fits dozens of entries,
  // not half of /usr/include), then search between.
  std::size_t hi = std::min<std::size_t>(candidates.size(), 16);
  while (hi < candidates.size() && estimateTokens(render(hi, nullptr)) <= options.tokenBudget) hi = std::min(candidates.size(), hi * 2);
  std::size_t lo = hi / 2 > 0 && estimateTokens(render(hi / 2, nullptr)) <= options.tokenBudget ? hi / 2 : 0;
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    if (estimateTokens(render(mid, nullptr)) <= options.tokenBudget) lo = mid;
    else hi = mid - 1;
  }
  out.text = render(lo, &out.entries);
  out.tokens = estimateTokens(out.text);
  return out;
}

}  // namespace cadre::analysis
