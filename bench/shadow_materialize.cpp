// Shadow workspace cost on a real tree: forking a shadow and writing ten
// edits into it, then materializing it for linters, beside coreutils'
// `cp -al` (the classic hard-link mirror) of the same tree in the same run.
// Target (issue 4): a fork of a 10k-file project ≤ 100 ms.
//
//   bench_shadow_materialize [--quick]   (quick: Python's stdlib instead of /usr/include)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/process.hpp"
#include "bench/support.hpp"
#include "server/workspace/shadow.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double run(const std::vector<std::string>& argv) {
  auto t = Clock::now();
  bench::Child c(argv);
  c.wait();
  return since(t);
}

}  // namespace

int main(int argc, char** argv) {
  if (auto r = bench::runMeasureHelper(argc, argv)) return *r;
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const fs::path corpus = quick ? "/usr/lib/python3.11" : "/usr/include";
  bench::TempDir tmp;
  const fs::path project = tmp.path / "project";
  // A private copy: the mirror hard-links into it, never into system files.
  if (run({"cp", "-a", corpus.string(), project.string()}) < 0) return 1;
  std::vector<fs::path> files;
  for (auto& e : fs::recursive_directory_iterator(project))
    if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::printf("shadow workspace on %s (%zu files)\n", corpus.c_str(), files.size());

  // Fork + 10 edits.
  auto t = Clock::now();
  workspace::ShadowWorkspace shadow("bench", {project});
  for (std::size_t i = 0; i < 10; ++i) {
    const fs::path& f = files[i * (files.size() / 10)];
    auto text = shadow.read(f);
    if (!text || !shadow.write(f, *text + "\n/* edited by the benchmark */\n")) return 1;
  }
  const double forkMs = since(t);

  // Materialize (best of 3), against cp -al (best of 3).
  double mat = 1e18, cp = 1e18;
  workspace::MaterializeStats stats;
  for (int k = 0; k < 3; ++k) {
    const fs::path out = tmp.path / ("mirror" + std::to_string(k));
    t = Clock::now();
    auto s = shadow.materialize(out);
    if (!s) {
      std::fprintf(stderr, "materialize: %s\n", s.error().message.c_str());
      return 1;
    }
    mat = std::min(mat, since(t));
    stats = *s;
    fs::remove_all(out);
    const fs::path ref = tmp.path / ("cpal" + std::to_string(k));
    cp = std::min(cp, run({"cp", "-al", project.string(), ref.string()}));
    fs::remove_all(ref);
  }
  std::printf("  %-44s %9.2f ms   (target ≤ 100 ms for 10k files)\n", "fork + 10 edits", forkMs);
  std::printf("  %-44s %9.1f ms   (%zu linked, %zu written, %zu dirs)\n", "materialize (cadre)", mat, stats.linked,
              stats.written, stats.dirs);
  std::printf("  %-44s %9.1f ms\n", "cp -al (coreutils hard-link copy)", cp);
  std::printf("  %-44s %9.2fx\n", "materialize / cp -al", mat / cp);
  return 0;
}
