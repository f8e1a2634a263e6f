// `cadre models bench NAME`: is this model fast enough to work with, on
// this endpoint? Generation speed and time to first token, prompt reading
// speed at growing context sizes, the serving process's memory when it runs
// here; shown against the usable bar and saved per model (docs/eval.md).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "server/cli/args.hpp"
#include "server/cli/table.hpp"
#include "server/core/config.hpp"
#include "server/core/state_paths.hpp"
#include "server/eval/bench.hpp"
#include "server/eval/evaluator.hpp"
#include "server/eval/verdicts.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBenchUsage = R"(Usage: cadre models bench NAME [DIR] [--pid PID] [--runs N] [--tokens N]
                          [--contexts N,N,...] [--json]

Measures model NAME (from the user config and DIR/.cadre/config.json) at its
first endpoint, as cadre uses it:
  generation        tokens per second while it writes (median of --runs), and
                    the time to its first token
  prompt reading    time to first token for synthetic prompts of each context
                    size (default 1000,4000,16000,32000,50000 tokens), and the
                    prompt tokens per second that makes
  memory            resident memory of the serving process and its children
                    when it runs on this machine: --pid, or the process of
                    yours listening on the endpoint's port
The result is shown against the usable bar (20–30 tokens/s) with a verdict
and saved to $XDG_STATE_HOME/cadre/models/NAME/bench.json.

Prompts go to the model like any request: a cloud model bills them
(about 100k prompt tokens with the default sizes), and router budgets apply.

Options:
  --pid PID          the serving process (a server behind a proxy or in a container)
  --runs N           generation runs (default 3)
  --tokens N         tokens to generate per run (default 256)
  --contexts LIST    prompt sizes in tokens, comma-separated (each 100 to 1000000)
  --json             the report as JSON on stdout

Exit status: 0 good or usable; 1 below the bar or the model did not answer;
2 usage or setup error.
)";

std::string fmtMs(double ms) {
  char b[32];
  if (ms >= 10000) std::snprintf(b, sizeof b, "%.1f s", ms / 1000);
  else if (ms >= 1000) std::snprintf(b, sizeof b, "%.2f s", ms / 1000);
  else std::snprintf(b, sizeof b, "%.0f ms", ms);
  return b;
}

std::string fmtNum(double x) {
  char b[32];
  std::snprintf(b, sizeof b, x >= 100 ? "%.0f" : "%.1f", x);
  return b;
}

std::string fmtBytes(std::uint64_t bytes) {
  char b[32];
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib >= 1024) std::snprintf(b, sizeof b, "%.2f GiB", mib / 1024);
  else std::snprintf(b, sizeof b, "%.0f MiB", mib);
  return b;
}

void printBench(const eval::BenchReport& r, const fs::path& saved) {
  std::printf("model %s (%s) at %s%s\n\n", r.model.c_str(), r.modelId.c_str(), r.endpoint.c_str(), r.local ? " (local)" : "");
  if (!r.warmupError.empty()) {
    std::printf("verdict: failed — %s\n", r.verdictText.c_str());
    return;
  }
  std::printf("first request    %s (loads the model if it was not loaded)\n", fmtMs(r.warmupMs).c_str());
  std::printf("generation       %s tokens/s (median of %zu; usable bar %.0f–%.0f tokens/s)\n", fmtNum(r.tokensPerSecond).c_str(),
              r.generation.size(), eval::kUsableTokensPerSecond, eval::kGoodTokensPerSecond);
  std::printf("first token      %s\n", fmtMs(r.ttftMs).c_str());
  for (const auto& g : r.generation)
    if (!g.error.empty()) std::printf("  a run failed: %s\n", g.error.c_str());
  std::puts("\nprompt reading");
  std::vector<std::vector<std::string>> rows = {{"  CONTEXT", "PROMPT TOKENS", "TIME TO FIRST TOKEN", "TOKENS/S"}};
  for (const auto& c : r.contexts) {
    if (!c.skipped.empty() || !c.error.empty()) {
      rows.push_back({"  " + std::to_string(c.target), "-", "-", c.skipped.empty() ? "failed: " + c.error : "skipped: " + c.skipped});
      continue;
    }
    rows.push_back({"  " + std::to_string(c.target), std::to_string(c.promptTokens) + (c.reported ? "" : " (est.)"), fmtMs(c.ttftMs),
                    fmtNum(c.tokensPerSecond)});
  }
  printTable(rows);
  std::puts("");
  if (r.memory.measured) {
    const auto& p = r.memory.process;
    std::printf("memory           %s resident", fmtBytes(p.treeBytes).c_str());
    if (p.processes > 1) std::printf(" in %d processes (%s in %s itself)", p.processes, fmtBytes(p.rssBytes).c_str(), p.name.c_str());
    std::printf(": pid %d %s, %s; GPU memory not included\n", p.pid, p.name.c_str(), r.memory.how.c_str());
  } else {
    std::printf("memory           not measured: %s\n", r.memory.note.c_str());
  }
  std::printf("verdict          %s — %s\n", r.verdict.c_str(), r.verdictText.c_str());
  if (!saved.empty()) std::printf("saved            %s\n", saved.c_str());
}

}  // namespace

int runModelsBench(Args& args) {
  std::string name, dir = ".";
  bool asJson = false;
  eval::BenchOptions options;
  auto number = [&](long lo, long hi, long& out) {
    auto v = args.value();
    char* end = nullptr;
    out = v ? std::strtol(v->c_str(), &end, 10) : 0;
    return v && *end == '\0' && out >= lo && out <= hi;
  };
  while (!args.done()) {
    std::string a = args.take();
    long n = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kBenchUsage, stdout);
      return 0;
    } else if (a == "--json") {
      asJson = true;
    } else if (a == "--pid") {
      if (!number(1, 1 << 30, n)) return usageError("--pid needs a process id", kBenchUsage);
      options.pid = static_cast<int>(n);
    } else if (a == "--runs") {
      if (!number(1, 50, n)) return usageError("--runs needs a number from 1 to 50", kBenchUsage);
      options.runs = static_cast<int>(n);
    } else if (a == "--tokens") {
      if (!number(16, 8192, n)) return usageError("--tokens needs a number from 16 to 8192", kBenchUsage);
      options.generateTokens = static_cast<int>(n);
    } else if (a == "--contexts") {
      auto v = args.value();
      if (!v) return usageError("--contexts needs sizes, e.g. 1000,8000,50000", kBenchUsage);
      options.contexts.clear();
      std::stringstream in(*v);
      std::string item;
      while (std::getline(in, item, ',')) {
        char* end = nullptr;
        long size = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || size < 100 || size > 1000000)
          return usageError("--contexts: each size is a number of tokens from 100 to 1000000", kBenchUsage);
        options.contexts.push_back(static_cast<int>(size));
      }
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for models bench: " + a, kBenchUsage);
    } else if (name.empty()) {
      name = a;
    } else {
      dir = a;
    }
  }
  if (name.empty()) return usageError("models bench needs a model NAME (see `cadre models list`)", kBenchUsage);

  spdlog::set_level(spdlog::level::err);  // failures are in the report; the router's warnings would repeat them
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root)) {
    std::fprintf(stderr, "cadre models bench: %s is not a directory\n", dir.c_str());
    return 2;
  }
  core::LoadedConfig config = core::loadConfig({root});
  for (const auto& d : config.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  if (config.hasErrors()) return 2;
  auto solo = eval::soloRouterConfig(core::routerConfig(config.config), name, std::nullopt);
  if (!solo) {
    std::fprintf(stderr, "cadre models bench: %s\n", solo.error().message.c_str());
    return 2;
  }
  // One endpoint: a pool would spread the runs over several servers.
  models::ModelSpec spec = solo->models.front();
  if (spec.endpoints.size() > 1) {
    std::fprintf(stderr, "cadre models bench: %s has %zu endpoints; measuring the first, %s\n", name.c_str(), spec.endpoints.size(),
                 spec.endpoints.front().c_str());
    spec.endpoints.resize(1);
    solo->models.front().endpoints.resize(1);
  }
  auto router = models::Router::create(std::move(*solo));
  if (!router) {
    std::fprintf(stderr, "cadre models bench: %s\n", router.error().message.c_str());
    return 2;
  }
  options.progress = [](const std::string& s) { std::fprintf(stderr, "  %s\n", s.c_str()); };
  std::fprintf(stderr, "cadre models bench: %s\n", name.c_str());
  eval::BenchReport report = eval::runBench(**router, spec, (*router)->isLocal(name), options);

  const fs::path saved = eval::modelStateDir(core::stateHome(), name) / "bench.json";
  json j = eval::toJson(report);
  fs::path shown = saved;
  if (auto ok = eval::writeJsonFile(saved, j); !ok) {
    std::fprintf(stderr, "cadre models bench: %s\n", ok.error().message.c_str());
    shown.clear();
  }
  if (asJson) {
    j["savedTo"] = shown.empty() ? json(nullptr) : json(shown.string());
    std::puts(j.dump(2).c_str());
  } else {
    printBench(report, shown);
  }
  return report.verdict == "good" || report.verdict == "usable" ? 0 : 1;
}

}  // namespace cadre::cli
