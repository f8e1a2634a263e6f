// `cadre models bench`: is a model fast enough to work with? Generation
// speed (tokens/s while it writes), time to first token, prompt-processing
// speed at growing context sizes (synthetic prompts up to 50k tokens), and —
// when the server runs on this machine — its resident memory. Measured on the
// user's own endpoint through the router, as cadre will use it.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/eval/process_memory.hpp"
#include "server/models/router.hpp"

namespace cadre::eval {

// The usable bar for interactive agent work: below ~20 tokens/s a model's
// answers take longer to read out than to read; from 30 it keeps up.
constexpr double kUsableTokensPerSecond = 20;
constexpr double kGoodTokensPerSecond = 30;

struct BenchOptions {
  int runs = 3;                // generation runs (the median is reported)
  int generateTokens = 256;    // max_tokens of a generation run
  std::vector<int> contexts = {1000, 4000, 16000, 32000, 50000};  // prompt sizes, tokens
  std::optional<int> pid;      // the serving process, when not found by port
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const std::string&)> progress;
};

struct GenerationRun {
  double ttftMs = 0;
  double tokensPerSecond = 0;
  std::int64_t tokens = 0;
  bool usageReported = false;  // false: tokens counted as streamed deltas
  std::string error;
};

struct ContextRun {
  int target = 0;                 // tokens asked for
  std::int64_t promptTokens = 0;  // as the server counted them (estimated when it did not say)
  bool reported = false;
  double ttftMs = 0;
  double tokensPerSecond = 0;     // prompt tokens / time to first token
  std::string error;
  std::string skipped;
};

struct MemoryReport {
  bool measured = false;
  std::string how;   // "--pid 123" or "listening on port 8000"
  std::string note;  // why not measured
  ProcessMemory process;
};

struct BenchReport {
  std::string model, modelId, endpoint;
  bool local = false;
  double warmupMs = 0;
  std::string warmupError;
  std::vector<GenerationRun> generation;
  double tokensPerSecond = 0;  // median of the runs that worked
  double ttftMs = 0;           // median
  std::vector<ContextRun> contexts;
  MemoryReport memory;
  std::string verdict;  // good | usable | slow | failed
  std::string verdictText;
  std::string measuredAt;
};

// `router` must reach exactly `spec` at its first endpoint (a solo router).
BenchReport runBench(models::Router& router, const models::ModelSpec& spec, bool local, const BenchOptions& options);

// About `tokens` tokens of code-like text (4 bytes a token, the router's own
// estimate) that starts with `seed`, so no two prompts share a prefix a
// server could have cached.
std::string syntheticPrompt(int tokens, unsigned seed);

// good / usable / slow for a generation speed, and the sentence saying why.
std::string speedVerdict(double tokensPerSecond, std::string* text);

double median(std::vector<double> values);

nlohmann::json toJson(const BenchReport& report);

}  // namespace cadre::eval
