// Speed and memory measurements of one model; see bench.hpp.
#include "server/eval/bench.hpp"
#include "server/eval/verdicts.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "server/models/url.hpp"
#include "server/security/egress.hpp"

namespace cadre::eval {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double msBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// One streamed request, timed on the client: when the first and the last
// piece of text arrived, and how many pieces there were.
struct Timed {
  Expected<models::ChatResponse> response = makeError(ErrorCode::InternalError, "not run");
  double ttftMs = 0;          // request sent → first text
  double streamMs = 0;        // first text → last text
  std::int64_t deltas = 0;
};

Timed timedRequest(models::Router& router, models::ChatRequest request) {
  struct Marks {
    std::mutex mu;
    bool any = false;
    Clock::time_point first, last;
    std::int64_t deltas = 0;
  } marks;
  models::StreamCallbacks cb;
  cb.onText = [&marks](std::string_view text) {
    if (text.empty()) return;
    const auto now = Clock::now();
    std::lock_guard lock(marks.mu);
    if (!marks.any) marks.first = now, marks.any = true;
    marks.last = now;
    ++marks.deltas;
  };
  models::RouteOptions route;
  route.role = "executor";
  const auto started = Clock::now();
  Timed t;
  t.response = router.complete(std::move(request), route, cb);  // blocks; no callback runs after it returns
  std::lock_guard lock(marks.mu);
  t.deltas = marks.deltas;
  if (marks.any) {
    t.ttftMs = msBetween(started, marks.first);
    t.streamMs = msBetween(marks.first, marks.last);
  } else if (t.response) {
    t.ttftMs = t.response->timeToFirstTokenMs > 0 ? t.response->timeToFirstTokenMs : t.response->durationMs;
  }
  return t;
}

bool isTimeout(const std::string& error) { return error.find("within") != std::string::npos || error.find("timed out") != std::string::npos; }

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string syntheticPrompt(int tokens, unsigned seed) {
  // A linear congruential generator: the same text for the same seed, and
  // identifiers that vary so a tokenizer cannot fold whole lines into a few
  // tokens.
  std::uint32_t x = seed * 2654435761u + 1;
  auto next = [&] { return x = x * 1664525u + 1013904223u; };
  static const char* const words[] = {"value", "limit", "index", "count", "total", "buffer", "offset", "result", "state", "queue"};
  std::string out = "# benchmark " + std::to_string(seed) + "-" + std::to_string(tokens) + "\n";
  const std::size_t bytes = static_cast<std::size_t>(tokens) * 4;
  while (out.size() < bytes) {
    const unsigned f = next() % 100000, a = next() % 10, b = next() % 10, k = next() % 997;
    out += "def step_" + std::to_string(f) + "(" + words[a] + ", " + words[b] + "_" + std::to_string(k % 7) + "):\n    return " +
           words[a] + " * " + std::to_string(k) + " + " + words[b] + "_" + std::to_string(k % 7) + "\n";
  }
  out.resize(bytes);
  return out;
}

std::string speedVerdict(double tps, std::string* text) {
  char buf[256];
  std::string v;
  if (tps >= kGoodTokensPerSecond) {
    v = "good";
    std::snprintf(buf, sizeof buf, "%.1f tokens/s is above the usable bar (%.0f–%.0f tokens/s): fast enough for agent work", tps,
                  kUsableTokensPerSecond, kGoodTokensPerSecond);
  } else if (tps >= kUsableTokensPerSecond) {
    v = "usable";
    std::snprintf(buf, sizeof buf, "%.1f tokens/s is within the usable bar (%.0f–%.0f tokens/s): workable, long answers will feel slow",
                  tps, kUsableTokensPerSecond, kGoodTokensPerSecond);
  } else {
    v = "slow";
    std::snprintf(buf, sizeof buf,
                  "%.1f tokens/s is below the usable bar (%.0f–%.0f tokens/s): too slow for interactive agent work; use it for "
                  "short, narrow requests or pick a smaller model or quantization",
                  tps, kUsableTokensPerSecond, kGoodTokensPerSecond);
  }
  if (text) *text = buf;
  return v;
}

BenchReport runBench(models::Router& router, const models::ModelSpec& spec, bool local, const BenchOptions& options) {
  BenchReport report;
  report.model = spec.name;
  report.modelId = spec.model;
  const std::string url = spec.endpoints.empty() ? "" : spec.endpoints.front();
  report.endpoint = models::displayUrl(url);
  report.local = local;
  report.measuredAt = nowIso();
  auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };

  // The process is found first (before the server is busy) and its memory
  // read at the end, when the model is loaded and has held the largest
  // prompt's cache.
  auto findProcess = [&]() -> std::optional<int> {
    if (options.pid) {
      report.memory.how = "--pid " + std::to_string(*options.pid);
      return options.pid;
    }
    auto ep = security::parseEndpoint(url);
    if (!ep || !security::isLoopback(*ep)) {
      report.memory.note = "the server is not on this machine (give --pid for a local server reached another way)";
      return std::nullopt;
    }
    const int port = ep->port ? ep->port : ep->scheme == "https" ? 443 : 80;
    auto pid = pidListeningOn(port);
    if (!pid) {
      report.memory.note = "no process of yours listens on port " + std::to_string(port) +
                           " (a server run by another user, or in a container, cannot be seen; give --pid)";
      return std::nullopt;
    }
    report.memory.how = "listening on port " + std::to_string(port);
    return pid;
  };
  auto measureMemory = [&](int pid) {
    if (auto m = processMemory(pid)) {
      report.memory.process = *m;
      report.memory.measured = true;
    } else {
      report.memory.note = "process " + std::to_string(pid) + " does not exist";
    }
  };
  const auto pid = findProcess();

  // Warm-up: loads the model, so the runs below measure speed, not loading.
  say("warming up");
  {
    models::ChatRequest req;
    req.messages = {{models::Role::User, "Reply with the single word OK.", {}, {}, {}}};
    req.maxTokens = 8;
    req.temperature = 0.0;
    auto t = timedRequest(router, req);
    report.warmupMs = t.response ? t.response->durationMs : 0;
    if (!t.response) report.warmupError = t.response.error().message;
  }
  if (!report.warmupError.empty()) {
    report.verdict = "failed";
    report.verdictText = "the model did not answer: " + report.warmupError;
    if (pid) measureMemory(*pid);
    return report;
  }

  // Generation speed: tokens after the first over the time they took.
  std::vector<double> speeds, ttfts;
  for (int run = 0; run < options.runs && !cancelled(); ++run) {
    say("generation " + std::to_string(run + 1) + "/" + std::to_string(options.runs));
    models::ChatRequest req;
    req.messages = {{models::Role::User,
                     "Count upward from 1, one number per line. Write nothing else and do not stop until you are stopped. "
                     "(run " + std::to_string(run + 1) + ")",
                     {}, {}, {}}};
    req.maxTokens = options.generateTokens;
    req.temperature = 0.0;
    auto t = timedRequest(router, req);
    GenerationRun g;
    g.ttftMs = t.ttftMs;
    if (!t.response) {
      g.error = t.response.error().message;
    } else {
      g.usageReported = t.response->usageReported && t.response->usage.completionTokens > 0;
      g.tokens = g.usageReported ? t.response->usage.completionTokens : t.deltas;
      if (g.tokens < 8 || t.streamMs <= 0) {
        g.error = "answered with only " + std::to_string(g.tokens) + " tokens; too few to time";
      } else {
        g.tokensPerSecond = static_cast<double>(g.tokens - 1) / (t.streamMs / 1000.0);
        speeds.push_back(g.tokensPerSecond);
        ttfts.push_back(g.ttftMs);
      }
    }
    report.generation.push_back(g);
  }
  report.tokensPerSecond = median(speeds);
  report.ttftMs = median(ttfts);

  // Prompt processing: a prompt of each size and one token of answer; the
  // time to that token is the time to read the prompt.
  bool timedOut = false;
  for (std::size_t i = 0; i < options.contexts.size() && !cancelled(); ++i) {
    ContextRun c;
    c.target = options.contexts[i];
    if (spec.api == models::Api::Ollama && c.target + 64 > spec.contextTokens) {
      c.skipped = "over models." + spec.name + ".contextTokens (" + std::to_string(spec.contextTokens) +
                  "): Ollama would drop the start of the prompt; raise it to measure";
    } else if (timedOut) {
      c.skipped = "a smaller prompt already timed out";
    } else {
      say("prompt of " + std::to_string(c.target) + " tokens");
      models::ChatRequest req;
      req.messages = {{models::Role::System, "Reply with the single word OK.", {}, {}, {}},
                      {models::Role::User, syntheticPrompt(c.target, static_cast<unsigned>(std::time(nullptr)) + static_cast<unsigned>(i)), {}, {}, {}}};
      req.maxTokens = 1;
      req.temperature = 0.0;
      const std::int64_t estimate = static_cast<std::int64_t>(req.messages[0].content.size() + req.messages[1].content.size()) / 4;
      auto t = timedRequest(router, req);
      if (!t.response) {
        c.error = t.response.error().message;
        timedOut = isTimeout(c.error);
      } else {
        c.reported = t.response->usageReported && t.response->usage.promptTokens > 0;
        c.promptTokens = c.reported ? t.response->usage.promptTokens : estimate;
        c.ttftMs = t.ttftMs;
        if (c.ttftMs > 0) c.tokensPerSecond = static_cast<double>(c.promptTokens) / (c.ttftMs / 1000.0);
      }
    }
    report.contexts.push_back(c);
  }

  if (pid) measureMemory(*pid);
  if (speeds.empty()) {
    report.verdict = "failed";
    report.verdictText = "no generation run could be timed" +
                         (report.generation.empty() || report.generation.front().error.empty() ? std::string() : ": " + report.generation.front().error);
  } else {
    report.verdict = speedVerdict(report.tokensPerSecond, &report.verdictText);
  }
  return report;
}

json toJson(const BenchReport& r) {
  json gen = json::array();
  for (const auto& g : r.generation) {
    json j = {{"ttftMs", g.ttftMs}, {"tokensPerSecond", g.tokensPerSecond}, {"tokens", g.tokens}, {"usageReported", g.usageReported}};
    if (!g.error.empty()) j["error"] = g.error;
    gen.push_back(std::move(j));
  }
  json ctx = json::array();
  for (const auto& c : r.contexts) {
    json j = {{"targetTokens", c.target}, {"promptTokens", c.promptTokens}, {"promptTokensReported", c.reported}, {"ttftMs", c.ttftMs},
              {"tokensPerSecond", c.tokensPerSecond}};
    if (!c.error.empty()) j["error"] = c.error;
    if (!c.skipped.empty()) j["skipped"] = c.skipped;
    ctx.push_back(std::move(j));
  }
  json mem = {{"measured", r.memory.measured}};
  if (r.memory.measured) {
    mem["pid"] = r.memory.process.pid;
    mem["process"] = r.memory.process.name;
    mem["rssBytes"] = r.memory.process.rssBytes;
    mem["treeRssBytes"] = r.memory.process.treeBytes;
    mem["processes"] = r.memory.process.processes;
    mem["how"] = r.memory.how;
  } else {
    mem["note"] = r.memory.note;
  }
  return {{"model", r.model},
          {"modelId", r.modelId},
          {"endpoint", r.endpoint},
          {"local", r.local},
          {"warmupMs", r.warmupMs},
          {"warmupError", r.warmupError},
          {"tokensPerSecond", r.tokensPerSecond},
          {"ttftMs", r.ttftMs},
          {"generation", gen},
          {"contexts", ctx},
          {"memory", mem},
          {"usableBar", {{"usable", kUsableTokensPerSecond}, {"good", kGoodTokensPerSecond}}},
          {"verdict", r.verdict},
          {"verdictText", r.verdictText},
          {"measuredAt", r.measuredAt}};
}

}  // namespace cadre::eval
