// PageRank over the reference graph and budgeted rendering; see repo_map.hpp.
#include "server/analysis/repo_map.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

#include "server/analysis/name_ids.hpp"
#include "server/analysis/resolve.hpp"
#include "support/parallel_for.hpp"

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

// Files handed to one worker at a time where files are processed in parallel.
constexpr std::size_t kFilesPerTask = 64;

// A name's weight apart from how often a file uses it.
double nameWeight(std::string_view name, bool focused, std::size_t definers) {
  double mul = 1.0;
  if (focused) mul *= 10;
  if (isDescriptive(name)) mul *= 10;
  if (!name.empty() && name[0] == '_') mul *= 0.1;
  if (definers > 5) mul *= 0.1;
  return mul;
}

}  // namespace

RepoMap buildRepoMap(const ProjectIndex& index, const RepoMapOptions& options) {
  const auto& files = index.files();
  const std::uint32_t n = static_cast<std::uint32_t>(files.size());
  RepoMap out;
  if (n == 0) return out;
  const unsigned threads = std::thread::hardware_concurrency();
  const std::size_t tasks = (n + kFilesPerTask - 1) / kFilesPerTask;

  std::unordered_set<std::uint32_t> focus;
  for (const auto& f : options.focusFiles) {
    if (const IndexedFile* file = index.file(f)) focus.insert(static_cast<std::uint32_t>(file - files.data()));
  }

  // What the ranking needs of each file, read on all cores from the encoded
  // records: only the files whose definitions are shown get decoded.
  std::vector<SymbolNames> views(n);
  parallelFor(n, threads, [&](std::size_t i) { views[i] = files[i].symbolNames(); });

  // Every defined name gets an id, in the order files define them (file
  // order, then definition order: the same index gives the same ids, and
  // every sum below runs in an order that does not depend on hashing).
  std::size_t totalDefinitions = 0;
  for (const auto& v : views) totalDefinitions += v.definitions.size();
  NameIds names(totalDefinitions);
  std::vector<std::vector<std::uint32_t>> defIds(n);
  std::vector<std::uint32_t> idOfEntry;  // a file's name table entry → its id
  for (std::uint32_t i = 0; i < n; ++i) {
    const SymbolNames& v = views[i];
    idOfEntry.assign(v.names.size(), NameIds::kNone);
    defIds[i].reserve(v.definitions.size());
    for (std::uint32_t entry : v.definitions) {
      if (idOfEntry[entry] == NameIds::kNone) idOfEntry[entry] = names.intern(v.names[entry]);
      defIds[i].push_back(idOfEntry[entry]);
    }
  }
  const std::uint32_t m = static_cast<std::uint32_t>(names.size());

  // Who defines each name: a sorted list of files per id, stored back to back
  // (definers[definerStart[id] .. definerStart[id + 1]]).
  std::vector<std::uint32_t> definerStart(m + 1, 0), lastDefiner(m, UINT32_MAX);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t id : defIds[i]) {
      if (lastDefiner[id] != i) lastDefiner[id] = i, ++definerStart[id + 1];
    }
  }
  for (std::uint32_t id = 0; id < m; ++id) definerStart[id + 1] += definerStart[id];
  std::vector<std::uint32_t> definers(definerStart[m]);
  {
    std::vector<std::uint32_t> fill(definerStart.begin(), definerStart.end() - 1);
    std::fill(lastDefiner.begin(), lastDefiner.end(), UINT32_MAX);
    for (std::uint32_t i = 0; i < n; ++i) {
      for (std::uint32_t id : defIds[i]) {
        if (lastDefiner[id] != i) lastDefiner[id] = i, definers[fill[id]++] = i;
      }
    }
  }
  auto definerCount = [&](std::uint32_t id) { return definerStart[id + 1] - definerStart[id]; };
  // A name defined in too many files links nothing: it is left out of the graph.
  auto linksFiles = [&](std::uint32_t id) { return definerCount(id) <= kMaxDefinersPerName; };

  std::vector<bool> focusedName(m, false);
  for (const auto& name : options.focusNames) {
    if (const std::uint32_t id = names.find(name); id != NameIds::kNone) focusedName[id] = true;
  }
  std::vector<double> weightOfName(m);
  for (std::uint32_t id = 0; id < m; ++id) weightOfName[id] = nameWeight(names.name(id), focusedName[id], definerCount(id));

  // What each file uses: (name id, count) in id order, for names that link files.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> uses(n);
  parallelFor(n, threads, [&](std::size_t i) {
    const SymbolNames& v = views[i];
    std::vector<std::uint32_t> perEntry(v.names.size(), 0);
    for (std::uint32_t entry : v.references) ++perEntry[entry];
    auto& out = uses[i];
    for (std::uint32_t entry = 0; entry < perEntry.size(); ++entry) {
      if (perEntry[entry] == 0) continue;
      if (const std::uint32_t id = names.find(v.names[entry]); id != NameIds::kNone && linksFiles(id)) out.emplace_back(id, perEntry[entry]);
    }
    // A decoded file's table has an entry per use: add up repeats.
    std::sort(out.begin(), out.end());
    std::size_t kept = 0;
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (kept > 0 && out[kept - 1].first == out[k].first) out[kept - 1].second += out[k].second;
      else out[kept++] = out[k];
    }
    out.resize(kept);
  });

  // Which project files each file imports: a use of a name its imports can
  // see is far likelier to mean that definition than a same-named one
  // elsewhere (`str()` in a file that never imports locale.py).
  Resolver resolver(index);
  std::vector<std::vector<std::uint32_t>> imports(n);
  std::vector<char> hasImports(n, 0);
  parallelFor(n, threads, [&](std::size_t i) {
    for (const auto& imp : views[i].imports) {
      hasImports[i] = 1;
      Resolution r = resolver.resolve(files[i], imp);
      for (const auto& target : r.files) {
        if (const IndexedFile* t = index.file(target)) imports[i].push_back(static_cast<std::uint32_t>(t - files.data()));
      }
    }
    std::sort(imports[i].begin(), imports[i].end());
    imports[i].erase(std::unique(imports[i].begin(), imports[i].end()), imports[i].end());
  });
  auto sees = [&](std::uint32_t user, std::uint32_t definer) {
    return !hasImports[user] || std::binary_search(imports[user].begin(), imports[user].end(), definer);
  };
  // What one use of a name by `user` gives the definer at definers[k].
  auto edgeWeight = [&](std::uint32_t user, std::uint32_t id, std::uint32_t count, std::uint32_t definer) {
    const double w = weightOfName[id] * std::sqrt(static_cast<double>(count));
    return sees(user, definer) ? w : w * kUnimportedWeight;
  };

  // Edges between files: each user's weights to its definers, summed in a
  // dense row per worker, kept sorted by definer.
  std::vector<std::vector<std::pair<std::uint32_t, double>>> edges(n);
  std::vector<double> outWeight(n, 0.0);
  parallelFor(tasks, threads, [&](std::size_t task) {
    std::vector<double> row(n, 0.0);
    std::vector<bool> touched(n, false);
    std::vector<std::uint32_t> targets;
    const std::uint32_t last = static_cast<std::uint32_t>(std::min<std::size_t>(n, (task + 1) * kFilesPerTask));
    for (std::uint32_t user = static_cast<std::uint32_t>(task * kFilesPerTask); user < last; ++user) {
      double total = 0;
      auto add = [&](std::uint32_t definer, double w) {
        if (!touched[definer]) touched[definer] = true, targets.push_back(definer);
        row[definer] += w;
        total += w;
      };
      for (const auto& [id, count] : uses[user]) {
        for (std::uint32_t k = definerStart[id]; k < definerStart[id + 1]; ++k) {
          if (definers[k] != user) add(definers[k], edgeWeight(user, id, count, definers[k]));
        }
      }
      // The import itself is a dependency too.
      for (std::uint32_t definer : imports[user]) {
        if (definer != user) add(definer, 1.0);
      }
      std::sort(targets.begin(), targets.end());
      edges[user].reserve(targets.size());
      for (std::uint32_t t : targets) {
        edges[user].emplace_back(t, row[t]);
        row[t] = 0, touched[t] = false;
      }
      targets.clear();
      outWeight[user] = total;
    }
  });

  // PageRank, personalized toward the focus files (uniform without any).
  std::vector<double> personal(n, focus.empty() ? 1.0 / n : 0.0);
  for (std::uint32_t f : focus) personal[f] = 1.0 / focus.size();
  std::vector<double> rank = personal, next(n);
  for (int it = 0; it < kIterations; ++it) {
    double dangling = 0;
    std::fill(next.begin(), next.end(), 0.0);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (outWeight[i] == 0) {
        dangling += rank[i];
        continue;
      }
      for (const auto& [j, w] : edges[i]) next[j] += kDamping * rank[i] * w / outWeight[i];
    }
    for (std::uint32_t i = 0; i < n; ++i) next[i] += (1 - kDamping + kDamping * dangling) * personal[i];
    rank.swap(next);
  }

  // Each file's rank flows to the definitions its uses point at:
  // definerRank[k] is what reached definers[k]'s definitions of that name
  // (summed in user order).
  std::vector<double> definerRank(definers.size(), 0.0);
  for (std::uint32_t user = 0; user < n; ++user) {
    if (outWeight[user] == 0) continue;
    for (const auto& [id, count] : uses[user]) {
      for (std::uint32_t k = definerStart[id]; k < definerStart[id + 1]; ++k) {
        if (definers[k] != user) definerRank[k] += rank[user] * edgeWeight(user, id, count, definers[k]) / outWeight[user];
      }
    }
  }
  // What flowed to `file`'s definition number `def`.
  auto usedRank = [&](std::uint32_t file, std::uint32_t def) {
    const std::uint32_t id = defIds[file][def];
    if (!linksFiles(id)) return 0.0;
    const auto first = definers.begin() + definerStart[id], last = definers.begin() + definerStart[id + 1];
    const auto at = std::lower_bound(first, last, file);
    return definerRank[static_cast<std::size_t>(at - definers.begin())];  // `file` defines it: always found
  };

  struct Candidate {
    std::uint32_t file, def;
    double score;
  };
  std::vector<std::vector<Candidate>> perTask(tasks);
  parallelFor(tasks, threads, [&](std::size_t task) {
    const std::uint32_t last = static_cast<std::uint32_t>(std::min<std::size_t>(n, (task + 1) * kFilesPerTask));
    for (std::uint32_t i = static_cast<std::uint32_t>(task * kFilesPerTask); i < last; ++i) {
      if (focus.count(i) || (options.hide && options.hide(files[i].path))) continue;
      const auto& topLevel = views[i].topLevel;
      for (std::uint32_t d = 0; d < topLevel.size(); ++d) {
        // Unused top-level definitions still sort by how central their file is.
        const double score = usedRank(i, d) + (topLevel[d] ? rank[i] * 1e-3 : 0.0);
        if (score > 0) perTask[task].push_back({i, d, score});
      }
    }
  });
  std::vector<Candidate> candidates;
  for (auto& part : perTask) candidates.insert(candidates.end(), part.begin(), part.end());
  out.definitionsRanked = candidates.size();
  // Only a budget's worth of the ranking is ever shown: sort as much of it as
  // asked for (the order is total, so a prefix is the same as in a full sort).
  const auto better = [&](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.file != b.file) return files[a.file].path < files[b.file].path;
    return a.def < b.def;
  };
  std::size_t sorted = 0;
  auto sortPrefix = [&](std::size_t k) {
    if (k <= sorted) return;
    sorted = std::min(candidates.size(), std::max(k, sorted * 2));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(sorted), candidates.end(), better);
  };

  // Renders the top `k` candidates, with their enclosing definitions for context.
  auto render = [&](std::size_t k, std::vector<RepoMapEntry>* entries) {
    sortPrefix(k);
    std::map<std::uint32_t, std::set<std::uint32_t>> chosen;
    std::map<std::uint32_t, double> fileBest;
    for (std::size_t c = 0; c < k; ++c) {
      const auto& cand = candidates[c];
      const auto& defs = files[cand.file].symbols().definitions;
      if (cand.def >= defs.size()) continue;  // never: the names and the symbols come from one record
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
        if (entries) entries->push_back({files[f].path, line, defs[d].signature, depth, usedRank(f, d)});
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
