// Checkpoints against the git CLI, the tool peers build theirs on, on two
// identical copies of a real tree in the same run: the first checkpoint
// beside `git init && git add -A && git commit`, a checkpoint after touching
// 10 files beside `git add -A && git commit`, "nothing changed" beside
// `git status`, and the disk that 100 checkpoints of 10-file changes take
// beside the corpus' own bytes (and beside git's .git after the same 100
// commits). cadre is timed in-process, through the API the server calls,
// with the deny-list predicate the server passes; git as the processes a
// shadow-git checkpointer runs.
// Usage: bench_checkpoints_vs_git [--quick] [--rounds N] [--checkpoints N] [DIR...]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/process.hpp"
#include "bench/support.hpp"
#include "server/security/path_policy.hpp"
#include "server/workspace/checkpoints.hpp"

using namespace cadre;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kMaxFileBytes = 5u << 20;  // cadre's default cap; git gets the same files

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bench_checkpoints_vs_git: %s\n", message.c_str());
  std::exit(1);
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// git with no user or system config (nothing of this machine's settings),
// an identity, and no auto-gc in the middle of a measurement.
double git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir.string(), "-c", "gc.auto=0", "-c", "user.name=bench", "-c", "user.email=bench@localhost"};
  argv.insert(argv.end(), args.begin(), args.end());
  bench::SpawnOptions options;
  options.env = {"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"};
  bench::Child child(argv, options);
  child.closeStdin();
  child.readAll();
  bench::Usage usage;
  if (const int code = child.wait(&usage); code != 0) fail("git " + args.front() + " exited with " + std::to_string(code));
  return usage.wallSeconds;
}

struct Corpus {
  std::vector<std::string> files;  // relative paths of regular files
  std::uint64_t bytes = 0;
};

// Regular files and symlinks up to the cap, no __pycache__ (bytecode a
// project's .gitignore would leave out), modes kept.
void copyTree(const fs::path& from, const fs::path& to, const fs::path& rel, Corpus& corpus) {
  fs::create_directories(to / rel);
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator(from / rel)) entries.push_back(e);
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    const fs::path name = e.path().filename();
    if (name == "__pycache__" || name == ".git") continue;
    const fs::path r = rel / name;
    if (e.is_symlink()) {
      fs::copy_symlink(e.path(), to / r);
    } else if (e.is_directory()) {
      copyTree(from, to, r, corpus);
    } else if (e.is_regular_file() && e.file_size() <= kMaxFileBytes) {
      fs::copy_file(e.path(), to / r);
      corpus.files.push_back(r.generic_string());
      corpus.bytes += e.file_size();
    }
  }
}

// Appends a line to 10 files spread over the corpus, the same in both copies.
void touchTen(const Corpus& c, const std::vector<fs::path>& roots, int round) {
  for (int k = 0; k < 10; ++k) {
    const std::size_t i = (static_cast<std::size_t>(k) * c.files.size() / 10 + static_cast<std::size_t>(round) * 7) % c.files.size();
    for (const auto& root : roots) std::ofstream(root / c.files[i], std::ios::app) << "# edit " << round << "\n";
  }
}

std::uint64_t du(const fs::path& dir, std::uint64_t* apparent = nullptr) {
  std::uint64_t blocks = 0, bytes = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    blocks += static_cast<std::uint64_t>(st.st_blocks) * 512;
    if (S_ISREG(st.st_mode)) bytes += static_cast<std::uint64_t>(st.st_size);
  }
  if (apparent) *apparent = bytes;
  return blocks;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

std::string mb(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// The deny predicate the server passes (core::indexExclusion's shape):
// security's deny-list by name, hard links to secrets by inode.
workspace::CheckpointExclude denyList(const fs::path& root) {
  auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{root}, {}, {}});
  const fs::path base = policy->roots().front();
  return [policy, base](std::string_view rel, bool, unsigned links) {
    const fs::path p = base / fs::path(rel);
    if (policy->deniedBy(p)) return true;
    return links > 1 && policy->check(p.string(), security::PathAccess::Read).refusal == security::PathRefusal::Denied;
  };
}

workspace::CheckpointStore openStore(const fs::path& repo, const fs::path& root) {
  workspace::CheckpointOptions options;
  options.exclude = denyList(root);
  auto store = workspace::CheckpointStore::open(repo, root, std::move(options));
  if (!store) fail(store.error().message);
  return std::move(*store);
}

void benchCorpus(const fs::path& source, int rounds, int checkpoints) {
  bench::TempDir tmp;
  const fs::path gitCopy = tmp.path / "git", cadreCopy = tmp.path / "cadre", state = tmp.path / "state";
  Corpus corpus;
  copyTree(source, gitCopy, "", corpus);
  {
    Corpus again;
    copyTree(source, cadreCopy, "", again);
  }
  if (corpus.files.size() < 10) fail(source.string() + " has fewer than 10 files");
  std::printf("%s: %zu files, %s (copies without __pycache__ and files over 5 MiB); median of %d round%s\n", source.c_str(),
              corpus.files.size(), mb(corpus.bytes).c_str(), rounds, rounds == 1 ? "" : "s");

  // 1. First checkpoint vs git init + add -A + commit, from scratch each round.
  std::vector<double> cadreFirst, gitFirst;
  for (int r = 0; r < rounds; ++r) {
    fs::remove_all(gitCopy / ".git");
    fs::remove_all(state);
    gitFirst.push_back(git(gitCopy, {"init", "-q"}) + git(gitCopy, {"add", "-A"}) + git(gitCopy, {"commit", "-q", "-m", "first"}));
    const auto t0 = Clock::now();
    auto store = openStore(state / "checkpoints.git", cadreCopy);
    auto c = store.create("first");
    if (!c) fail(c.error().message);
    cadreFirst.push_back(since(t0));
  }

  // 2. After touching 10 files; 3. nothing changed. Interleaved.
  auto store = openStore(state / "checkpoints.git", cadreCopy);
  std::vector<double> cadreTen, gitTen, cadreNone, gitNone;
  std::size_t hashed = 0;
  for (int r = 0; r < std::max(rounds, 5); ++r) {
    touchTen(corpus, {gitCopy, cadreCopy}, r);
    gitTen.push_back(git(gitCopy, {"add", "-A"}) + git(gitCopy, {"commit", "-q", "-m", "ten"}));
    auto t0 = Clock::now();
    auto c = store.create("ten");
    if (!c || !c->created) fail("the 10-file checkpoint was not created");
    cadreTen.push_back(since(t0));
    gitNone.push_back(git(gitCopy, {"status", "--porcelain"}));
    t0 = Clock::now();
    auto none = store.create("none");
    if (!none || none->created) fail("nothing changed, yet a checkpoint was created");
    cadreNone.push_back(since(t0));
    hashed += none->stats.filesHashed;
  }

  // 4. Disk after `checkpoints` checkpoints of 10-file changes (with
  // cadre's own pruning and packing as configured by default).
  fs::remove_all(gitCopy / ".git");
  fs::remove_all(state);
  git(gitCopy, {"init", "-q"});
  git(gitCopy, {"add", "-A"});
  git(gitCopy, {"commit", "-q", "-m", "first"});
  auto disk = openStore(state / "checkpoints.git", cadreCopy);
  if (!disk.create("first")) fail("first checkpoint failed");
  std::vector<double> each;
  for (int r = 0; r < checkpoints; ++r) {
    touchTen(corpus, {gitCopy, cadreCopy}, 1000 + r);
    const auto t0 = Clock::now();
    auto c = disk.create("step", {{"task", "bench"}, {"step", std::to_string(r)}});
    if (!c || !c->created) fail("a checkpoint of the disk run was not created");
    each.push_back(since(t0));
    git(gitCopy, {"add", "-A"});
    git(gitCopy, {"commit", "-q", "-m", "step"});
  }
  std::uint64_t cadreApparent = 0, gitApparent = 0;
  const std::uint64_t cadreBlocks = du(state / "checkpoints.git", &cadreApparent);
  const std::uint64_t gitBlocks = du(gitCopy / ".git", &gitApparent);
  const workspace::DiskUsage usage = disk.diskUsage();
  auto listed = disk.list();

  const double first = median(cadreFirst), gFirst = median(gitFirst);
  const double ten = median(cadreTen), gTen = median(gitTen);
  const double none = median(cadreNone), gNone = median(gitNone);
  std::printf("  %-44s %10s %10s %8s\n", "", "cadre ms", "git ms", "ratio");
  std::printf("  %-44s %10.1f %10.1f %7.2fx  (target <= 0.6: %s)\n", "first checkpoint (git init+add -A+commit)", first * 1e3, gFirst * 1e3,
              first / gFirst, verdict(first / gFirst <= 0.6));
  std::printf("  %-44s %10.1f %10.1f %7.2fx  (target <= 0.5: %s)\n", "after touching 10 files (git add -A+commit)", ten * 1e3, gTen * 1e3,
              ten / gTen, verdict(ten / gTen <= 0.5));
  std::printf("  %-44s %10.1f %10.1f %7.2fx  (target <= 1.0: %s)\n", "nothing changed (git status)", none * 1e3, gNone * 1e3, none / gNone,
              verdict(none / gNone <= 1.0));
  if (hashed) std::printf("  note: the unchanged scans re-hashed %zu files (racily clean entries)\n", hashed);
  std::sort(each.begin(), each.end());
  std::printf("  %d checkpoints of 10-file changes: median %.1f ms, slowest %.1f ms (packing); %zu kept after pruning\n", checkpoints,
              median(each) * 1e3, each.back() * 1e3, listed ? listed->size() : 0);
  const double diskRatio = static_cast<double>(cadreBlocks) / static_cast<double>(corpus.bytes);
  std::printf("  disk: checkpoint repo + index %s on disk (%s of files, %zu packs, %zu loose objects); git's .git %s on disk (%s)\n",
              mb(cadreBlocks).c_str(), mb(cadreApparent).c_str(), usage.packs, usage.looseObjects, mb(gitBlocks).c_str(),
              mb(gitApparent).c_str());
  std::printf("  disk/corpus %6.2fx  (target <= 1.0: %s); git/corpus %.2fx\n\n", diskRatio, verdict(diskRatio <= 1.0),
              static_cast<double>(gitBlocks) / static_cast<double>(corpus.bytes));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int rounds = 0, checkpoints = 0;
  std::vector<fs::path> dirs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--checkpoints" && i + 1 < argc) checkpoints = std::max(1, std::atoi(argv[++i]));
    else dirs.emplace_back(a);
  }
  // Quick (the test command's run, so the bench never rots): the same tree,
  // one round of the first checkpoint and 20 checkpoints for the disk, about
  // 5 s. A smaller tree would make the disk ratio about fixed costs.
  if (rounds == 0) rounds = quick ? 1 : 5;
  if (checkpoints == 0) checkpoints = quick ? 20 : 100;
  if (dirs.empty()) dirs = {"/usr/lib/python3.11"};
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) fail(d.string() + " is not a directory");
  }
  std::printf("cadre checkpoints vs the git CLI, identical copies, same run (cadre in-process, git as processes)\n\n");
  for (const auto& d : dirs) benchCorpus(fs::weakly_canonical(d), rounds, checkpoints);
  return 0;
}
