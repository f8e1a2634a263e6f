// Cold and warm indexing against universal-ctags, the tool cadre's index
// replaces, on the same files in the same run. A parse-only floor is measured
// in-process too: discovery plus reading and parsing every file on all cores
// with no queries, which is the least any tree-sitter indexer must do, so
// cold/floor is what cadre's queries, hashing and process cost on top. A
// second floor also walks every node of every tree once, which any
// extraction from the trees does at least. A third parses as cadre does, in
// its tree arena (server/analysis/tree_arena.hpp), which the floor's stock
// allocation is slower than: cold over it is what cadre adds to its own parse.
// ctags gets exactly the files cadre indexes (`-L list`, with its extension
// map made to agree with cadre's: .h is C, not C++), so both see one file set.
// Usage: bench_index_vs_ctags CADRE [--quick] [--rounds N] [DIR...]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "bench/process.hpp"
#include "bench/support.hpp"
#include "support/files.hpp"
#include "server/analysis/discovery.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/tree_arena.hpp"

using namespace cadre;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using cadre::bench::TempDir;

// ctags' languages for the ones cadre indexes (ctags has no TSX parser; its
// TypeScript parser takes .tsx), and the extension map edits that make ctags
// pick the same language per file as cadre's languageForPath.
const char* const kCtagsLanguages = "--languages=Python,JavaScript,TypeScript,C,C++,Go,Rust,Java,Lua,Sh";
const std::vector<std::string> kCtagsMaps = {
    "--map-C++=-.h",          "--map-C=+.h",
    "--map-C++=+.ipp",        "--map-C++=+.tcc",
    "--map-Python=+.pyi",     "--map-JavaScript=+.cjs",
    "--map-TypeScript=+.mts", "--map-TypeScript=+.cts",
    "--map-TypeScript=+.tsx",
};

struct Run {
  double wall = 0;     // seconds
  double cpu = 0;      // user + system seconds
  long maxRssKiB = 0;  // 0: not measured
  std::size_t definitions = 0;
  std::size_t files = 0;
  std::size_t nodes = 0;  // the walked floor: nodes visited
};

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }
double cpuSeconds(const rusage& u) { return seconds(u.ru_utime) + seconds(u.ru_stime); }

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bench_index_vs_ctags: %s\n", message.c_str());
  std::exit(1);
}



// Runs argv to completion, returning its stdout; wall time, CPU and peak RSS into `run`.
std::string runChild(const std::vector<std::string>& argv, bench::SpawnOptions options, Run& run) {
  options.measure = true;
  bench::Child child(argv, options);
  child.closeStdin();
  std::string out = child.readAll();
  bench::Usage usage;
  const int code = child.wait(&usage);
  run.wall = usage.wallSeconds;
  run.cpu = cpuSeconds(usage.rusage);
  run.maxRssKiB = usage.rusage.ru_maxrss;
  if (code != 0) fail(argv[0] + " exited with " + std::to_string(code));
  return out;
}

// What the floor and ctags work on: the files cadre indexes.
struct Corpus {
  fs::path root;
  std::vector<analysis::DiscoveredFile> files;  // discovered and not skipped by content
  std::size_t skippedByDiscovery = 0;
  std::size_t skippedByContent = 0;
  std::uint64_t bytes = 0;  // of `files`
};

// Discovers the files and reads each once: the page cache is then warm for
// every measured run alike, and the content filter (minified, generated,
// binary) picks the files cadre parses.
Corpus prepare(const fs::path& root) {
  Corpus c;
  c.root = root;
  analysis::Discovery found = analysis::discoverFiles(root);
  c.skippedByDiscovery = found.skipped.size();
  std::string text;
  for (auto& f : found.files) {
    if (!readWholeFile(root / f.path, text) || !analysis::contentSkipReason(std::string_view(text).substr(0, 64 * 1024)).empty()) {
      ++c.skippedByContent;
      continue;
    }
    c.bytes += text.size();
    c.files.push_back(std::move(f));
  }
  return c;
}

// Every node of a tree, visited with a tree cursor: the least any extraction
// from a tree-sitter tree does (a query cursor walks the same way).
std::size_t walkTree(const TSTree* tree) {
  std::size_t nodes = 0;
  TSTreeCursor cursor = ts_tree_cursor_new(ts_tree_root_node(tree));
  for (bool more = true; more;) {
    ++nodes;
    if (ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        more = false;
        break;
      }
    }
  }
  ts_tree_cursor_delete(&cursor);
  return nodes;
}

enum class Floor {
  Parse,         // tree-sitter as it comes: malloc, and every tree deleted
  ParseInArena,  // cadre's way: each parser and tree made in a TreeArena and dropped with it
  ParseAndWalk,  // Parse, and every tree walked node by node
};

// Discovery, then every discovered file read, content-checked and parsed (no
// queries) by hardware_concurrency threads pulling from one atomic index, the
// largest files first.
Run parseFloor(const fs::path& root, std::size_t& timedOut, Floor kind) {
  rusage before{}, after{};
  ::getrusage(RUSAGE_SELF, &before);
  const auto t0 = Clock::now();
  analysis::Discovery found = analysis::discoverFiles(root);
  // Largest first, as cadre takes them: the floor is the parse time divided
  // by the threads, not what a large file taken last adds to it.
  std::stable_sort(found.files.begin(), found.files.end(), [](const auto& a, const auto& b) { return a.size > b.size; });
  std::atomic<std::size_t> next{0}, parsed{0}, timeouts{0}, nodes{0};
  auto work = [&] {
    analysis::Parser parser;
    analysis::TreeArena arena;
    std::string text;
    for (std::size_t k = next++; k < found.files.size(); k = next++) {
      const auto& f = found.files[k];
      if (!readWholeFile(root / f.path, text)) continue;
      if (!analysis::contentSkipReason(std::string_view(text).substr(0, 64 * 1024)).empty()) continue;
      const analysis::Language& language = *analysis::languageById(f.language);
      if (kind == Floor::ParseInArena) {
        arena.run([&] {
          analysis::Parser inArena;
          analysis::TreePtr tree = inArena.parse(language, text);
          ++(tree ? parsed : timeouts);
          (void)tree.release();
        });
        continue;
      }
      analysis::TreePtr tree = parser.parse(language, text);
      ++(tree ? parsed : timeouts);
      if (tree && kind == Floor::ParseAndWalk) nodes += walkTree(tree.get());
    }
  };
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  Run run;
  run.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  ::getrusage(RUSAGE_SELF, &after);
  run.cpu = cpuSeconds(after) - cpuSeconds(before);
  run.files = parsed;
  run.nodes = nodes;
  timedOut = timeouts;
  return run;
}

// `cadre index DIR --json [--no-cache]` with its own empty state directory.
// Warm (not `cold`): a first unmeasured run writes the cache and the measured
// second run is a restart on an unchanged tree.
Run cadreIndex(const std::string& cadre, const fs::path& root, bool cold) {
  TempDir state;
  bench::SpawnOptions options;
  options.env = {"XDG_STATE_HOME=" + state.path.string()};
  std::vector<std::string> argv = {cadre, "index", root.string(), "--json"};
  if (cold) argv.push_back("--no-cache");
  Run run;
  if (!cold) runChild(argv, options, run);
  const std::string out = runChild(argv, options, run);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    fail("cadre index printed no JSON: " + std::string(e.what()));
  }
  if (!cold && j.value("parsed", std::size_t{1}) != 0) {
    std::fprintf(stderr, "bench: warning: the warm restart parsed %zu files (expected 0)\n", j.value("parsed", std::size_t{0}));
  }
  if (j.contains("languages")) {
    for (const auto& [lang, counts] : j["languages"].items()) {
      run.definitions += counts.value("definitions", std::size_t{0});
      run.files += counts.value("files", std::size_t{0});
    }
  }
  return run;
}

Run ctags(const Corpus& c) {
  TempDir dir;
  const fs::path list = dir.path / "files", tags = dir.path / "tags";
  {
    std::ofstream out(list);
    for (const auto& f : c.files) out << (c.root / f.path).string() << '\n';
  }
  std::vector<std::string> argv = {"ctags", "-L", list.string(), "-f", tags.string(), kCtagsLanguages};
  argv.insert(argv.end(), kCtagsMaps.begin(), kCtagsMaps.end());
  Run run;
  runChild(argv, {}, run);
  std::ifstream in(tags);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("!_", 0) != 0) ++run.definitions;
  }
  run.files = c.files.size();
  return run;
}

// The median of each field over the rounds (each field on its own: a round
// that is slow in wall time need not be the one with the most RSS).
Run median(std::vector<Run> runs) {
  auto mid = [&](auto field) {
    std::vector<std::remove_cvref_t<decltype(runs[0].*field)>> v;
    for (const auto& r : runs) v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  Run m;
  m.wall = mid(&Run::wall);
  m.cpu = mid(&Run::cpu);
  m.maxRssKiB = mid(&Run::maxRssKiB);
  m.definitions = runs[0].definitions;
  m.files = runs[0].files;
  m.nodes = runs[0].nodes;
  return m;
}

std::string thousands(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string mib(long kib) {
  if (kib <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return buf;
}

void printRow(const char* label, const Run& r, std::uint64_t bytes, bool withDefinitions) {
  const double mbs = static_cast<double>(bytes) / 1e6 / r.wall;
  std::printf("  %-32s %9.3f %9.3f %9.1f %12s %13s\n", label, r.wall, r.cpu, mbs, mib(r.maxRssKiB).c_str(),
              withDefinitions ? thousands(r.definitions).c_str() : "-");
}

// The targets are set for the full corpora. At quick size (a few dozen
// files) the process start is most of a warm restart, so no verdict is given.
bool gQuick = false;
const char* verdict(bool ok) { return gQuick ? "judged at full size only" : ok ? "ok" : "MISSED"; }

void benchCorpus(const std::string& cadre, const fs::path& root, int rounds) {
  const Corpus corpus = prepare(root);
  if (corpus.files.empty()) fail("no indexable files under " + root.string());
  std::vector<Run> floors, arenaFloors, walks, colds, ctagsRuns, warms;
  std::size_t timedOut = 0;
  // Rounds interleave the four so that drift (other load, CPU frequency) hits
  // them alike.
  for (int i = 0; i < rounds; ++i) {
    floors.push_back(parseFloor(root, timedOut, Floor::Parse));
    arenaFloors.push_back(parseFloor(root, timedOut, Floor::ParseInArena));
    walks.push_back(parseFloor(root, timedOut, Floor::ParseAndWalk));
    colds.push_back(cadreIndex(cadre, root, /*cold=*/true));
    ctagsRuns.push_back(ctags(corpus));
    warms.push_back(cadreIndex(cadre, root, /*cold=*/false));
  }
  const Run floor = median(floors), arenaFloor = median(arenaFloors), walked = median(walks), cold = median(colds), tags = median(ctagsRuns), warm = median(warms);

  std::printf("%s: %s files, %.1f MB (skipped: %zu by discovery, %zu by content); %u threads, median of %d round%s\n", root.c_str(),
              thousands(corpus.files.size()).c_str(), static_cast<double>(corpus.bytes) / 1e6, corpus.skippedByDiscovery,
              corpus.skippedByContent, std::max(1u, std::thread::hardware_concurrency()), rounds, rounds == 1 ? "" : "s");
  std::printf("  %-32s %9s %9s %9s %12s %13s\n", "", "wall s", "cpu s", "MB/s", "peak RSS", "definitions");
  printRow("parse-only floor (in-process)", floor, corpus.bytes, false);
  printRow("parse-only in cadre's tree arena", arenaFloor, corpus.bytes, false);
  printRow("parse + walk every node", walked, corpus.bytes, false);
  printRow("cadre index --no-cache (cold)", cold, corpus.bytes, true);
  printRow("ctags -L <same files>", tags, corpus.bytes, true);
  printRow("cadre index (warm restart)", warm, corpus.bytes, true);
  if (timedOut) std::printf("  note: %zu file(s) hit the 2 s parse timeout in the floor\n", timedOut);
  if (floor.files != corpus.files.size() - timedOut || cold.files != corpus.files.size()) {
    std::printf("  note: files parsed: floor %zu, cadre %zu, ctags list %zu\n", floor.files, cold.files, corpus.files.size());
  }
  const double coldFloor = cold.wall / floor.wall;
  const double warmCtags = warm.wall / tags.wall;
  const double rssLimit = std::max(64.0 * 1024, 1.5 * static_cast<double>(tags.maxRssKiB));
  std::printf("  cold/floor      %6.2fx  (target <= 1.25: %s)\n", coldFloor, verdict(coldFloor <= 1.25));
  // cadre parses in an arena, faster than the stock floor: this is what its
  // extraction, hashing, encoding and start add to that parse.
  std::printf("  cold/arena floor %5.2fx  (the arena parse is %.2fx of the floor)\n", cold.wall / arenaFloor.wall, arenaFloor.wall / floor.wall);
  // What a walk over the trees alone adds: extraction costs at least this.
  std::printf("  (parse+walk)/floor %4.2fx  (%s nodes; any tree-walking extraction's own floor)\n", walked.wall / floor.wall,
              thousands(walked.nodes).c_str());
  std::printf("  cold/ctags      %6.2fx\n", cold.wall / tags.wall);
  std::printf("  warm/ctags      %6.3fx  (target <= 0.10: %s)\n", warmCtags, verdict(warmCtags <= 0.10));
  std::printf("  RSS cadre/ctags %6.2fx  (target <= max(64 MiB, 1.5x ctags) = %s: %s)\n\n",
              static_cast<double>(cold.maxRssKiB) / static_cast<double>(tags.maxRssKiB), mib(static_cast<long>(rssLimit)).c_str(),
              verdict(static_cast<double>(cold.maxRssKiB) <= rssLimit));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (auto helped = bench::runMeasureHelper(argc, argv)) return *helped;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CADRE [--quick] [--rounds N] [DIR...]\n", argv[0]);
    return 2;
  }
  const std::string cadre = argv[1];
  bool quick = false;
  int rounds = 0;
  std::vector<fs::path> dirs;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      dirs.emplace_back(a);
    }
  }
  // Small corpora are quick but noisy, so quick mode takes a median of three.
  if (rounds == 0) rounds = quick ? 3 : 1;
  gQuick = quick;
  const fs::path typescript = CADRE_BENCH_CORPORA "/node_modules";
  if (dirs.empty() && quick) dirs = {"/usr/lib/python3.11/email", typescript / "@types/node"};
  if (dirs.empty()) dirs = {"/usr/lib/python3.11", "/usr/include", typescript};
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) fail(d.string() + " is not a directory (bench/corpora is installed by scripts/bootstrap)");
  }
  Run idle;
  runChild({"true"}, {}, idle);
  std::printf("cadre index vs universal-ctags, same files, same run (peak RSS of `true` as measured here: %s)\n\n",
              mib(idle.maxRssKiB).c_str());
  for (const auto& d : dirs) benchCorpus(cadre, fs::weakly_canonical(d), rounds);
  return 0;
}
