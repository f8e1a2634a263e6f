// Secret redaction throughput beside the floors measured in the same run on
// the same bytes: memchr for '\n' (touching every byte once, vectorised) and a
// Boyer-Moore-Horspool std::search for "sk-" (what scanning for one literal
// prefix costs). The redactor runs on every log line and every prompt sent to
// a non-local model, so it must stay within a small factor of those.
// Measured: a whole corpus of real source (clean, and with a token planted
// every 256 KiB, which adds the verification rescan), the same corpus line by
// line (the logging path: containsSecret per line), and hostile repetitions at
// two sizes, whose time ratio shows the pass is linear.
// It reports; nothing here fails the run.
// Usage: bench_redact_throughput [--quick] [DIR...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/security/redact.hpp"
#include "support/files.hpp"

using namespace cadre;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Median wall time in seconds of `rounds` runs of `f`.
double timeIt(int rounds, const std::function<void()>& f) {
  std::vector<double> seconds;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    f();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// Text files under `dirs`, concatenated up to `limit` bytes, in a stable order.
std::string loadCorpus(const std::vector<fs::path>& dirs, std::size_t limit, std::size_t& files) {
  std::vector<fs::path> paths;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         it != end && !ec; it.increment(ec)) {
      const std::string ext = it->path().extension().string();
      if (it->is_regular_file(ec) && (ext == ".py" || ext == ".js" || ext == ".ts" || ext == ".json" || ext == ".md")) {
        paths.push_back(it->path());
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  std::string corpus, text;
  for (const auto& p : paths) {
    if (corpus.size() >= limit) break;
    if (!readWholeFile(p, text)) continue;
    corpus += text;
    ++files;
  }
  if (corpus.size() > limit) corpus.resize(limit);
  return corpus;
}

std::size_t countNewlines(std::string_view s) {
  std::size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
    ++n;
    ++p;
  }
  return n;
}

std::size_t countPrefix(std::string_view s) {
  static const std::string_view needle = "sk-";
  const std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
  std::size_t n = 0;
  for (auto it = std::search(s.begin(), s.end(), searcher); it != s.end();
       it = std::search(it + 1, s.end(), searcher)) {
    ++n;
  }
  return n;
}

std::vector<std::string_view> splitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t nl = s.find('\n'); nl != std::string_view::npos; nl = s.find('\n', start)) {
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

volatile std::size_t gSink;  // keeps results alive so nothing is optimised away

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<fs::path> dirs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--quick] [DIR...]\n", argv[0]);
      return 0;
    } else {
      dirs.emplace_back(a);
    }
  }
  if (dirs.empty()) {
    // Real source in two languages: the pinned corpora (scripts/bootstrap) and
    // Python's standard library, both present on a bootstrapped machine.
    dirs = {fs::path(CADRE_BENCH_CORPORA) / "node_modules", "/usr/lib/python3.11"};
  }
  const std::size_t limit = quick ? (4u << 20) : (32u << 20);
  const int rounds = quick ? 3 : 5;

  std::size_t files = 0;
  const std::string shipped = loadCorpus(dirs, limit, files);
  if (shipped.empty()) {
    std::fprintf(stderr, "bench_redact_throughput: no text files under the given directories\n");
    return 1;
  }
  // Real source holds the odd sample credential (documentation, tests);
  // measuring on its redacted form makes "clean" mean clean, so every call
  // below scans every byte.
  const security::Redacted shippedRedacted = security::redactSecrets(shipped);
  const std::size_t already = shippedRedacted.findings.size();
  const std::string& corpus = shippedRedacted.text;
  const double mb = static_cast<double>(corpus.size()) / 1e6;

  // The same corpus with a fake GitHub token every 256 KiB.
  std::string planted;
  std::size_t plantedCount = 0;
  for (std::size_t at = 0; at < corpus.size(); at += 256u << 10) {
    planted.append(corpus, at, 256u << 10);
    planted += "\nGITHUB_TOKEN=ghp_4fT9kQ2mX7vB1nL8pW3sR6dZ0cH5jY9gK2aE\n";
    ++plantedCount;
  }
  const double plantedMb = static_cast<double>(planted.size()) / 1e6;

  std::printf("secret redaction vs memchr and std::search on the same bytes, same run (median of %d)\n", rounds);
  std::printf("corpus: %zu files, %.1f MB; %zu sample credential(s) in it as shipped, redacted before measuring\n\n",
              files, mb, already);

  const double tMemchr = timeIt(rounds, [&] { gSink = countNewlines(corpus); });
  const double tSearch = timeIt(rounds, [&] { gSink = countPrefix(corpus); });
  const double tContains = timeIt(rounds, [&] { gSink = security::containsSecret(corpus) ? 1 : 0; });
  const double tClean = timeIt(rounds, [&] { gSink = security::redactSecrets(corpus).text.size(); });
  std::size_t found = 0;
  const double tPlanted = timeIt(rounds, [&] {
    const auto r = security::redactSecrets(planted);
    found = r.findings.size();
    gSink = r.text.size();
  });

  std::printf("  %-44s %10s %10s %10s\n", "", "ms", "MB/s", "x memchr");
  auto row = [&](const char* label, double seconds, double megabytes) {
    std::printf("  %-44s %10.1f %10.0f %10.1f\n", label, seconds * 1e3, megabytes / seconds,
                seconds / tMemchr * (mb / megabytes));
  };
  row("memchr '\\n' (floor)", tMemchr, mb);
  row("std::search \"sk-\" (Boyer-Moore-Horspool)", tSearch, mb);
  row("containsSecret, clean corpus", tContains, mb);
  row("redactSecrets, clean corpus", tClean, mb);
  row("redactSecrets, a token per 256 KiB", tPlanted, plantedMb);
  std::printf("  redact/std::search %.1fx, planted tokens found %zu of %zu\n\n", tClean / tSearch, found,
              plantedCount);

  // The logging path: one call per line.
  const auto lines = splitLines(corpus);
  const double tLinesFloor = timeIt(rounds, [&] {
    std::size_t n = 0;
    for (auto l : lines) n += std::memchr(l.data(), '=', l.size()) != nullptr;
    gSink = n;
  });
  const double tLines = timeIt(rounds, [&] {
    std::size_t n = 0;
    for (auto l : lines) n += security::containsSecret(l);
    gSink = n;
  });
  std::printf("  per line (%zu lines, mean %.0f bytes): containsSecret %.0f ns/line, memchr %.0f ns/line (%.1fx)\n\n",
              lines.size(), static_cast<double>(corpus.size()) / static_cast<double>(lines.size()),
              tLines / static_cast<double>(lines.size()) * 1e9, tLinesFloor / static_cast<double>(lines.size()) * 1e9,
              tLines / tLinesFloor);

  // Hostile repetitions: MB/s at 1 and 8 units of size, and the time ratio
  // (8.0 means linear; a quadratic scan would show ~64).
  const std::size_t small = quick ? (256u << 10) : (1u << 20);
  std::printf("  %-34s %10s %10s %12s\n", "hostile input", "MB/s", "x memchr", "t(8n)/t(n)");
  for (std::string_view unit : {"key=", "password: \"", "a://u:p", "-----BEGIN PRIVATE KEY-----\n", "eyJabcdefghij.",
                                "Bearer ", "\"", "sk-"}) {
    auto build = [&](std::size_t size) {
      std::string s;
      s.reserve(size + unit.size());
      while (s.size() < size) s += unit;
      return s;
    };
    const std::string one = build(small), eight = build(small * 8);
    const double t1 = timeIt(rounds, [&] { gSink = security::redactSecrets(one).text.size(); });
    const double t8 = timeIt(rounds, [&] { gSink = security::redactSecrets(eight).text.size(); });
    const double floor8 = timeIt(rounds, [&] { gSink = countNewlines(eight); });
    std::string label = "\"" + std::string(unit) + "\"";
    for (auto& c : label) c = c == '\n' ? ' ' : c;
    std::printf("  %-34s %10.0f %10.1f %12.2f\n", label.c_str(), static_cast<double>(eight.size()) / 1e6 / t8,
                t8 / floor8, t8 / t1);
  }
  return 0;
}
