// Per-model counters; see metrics.hpp.
#include "server/models/metrics.hpp"

#include <algorithm>

namespace cadre::models {

void MetricsRegistry::recordSuccess(const std::string& model, double ttftMs, double generationMs, std::int64_t promptTokens,
                                    std::int64_t completionTokens, double costUsd) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[model];
  e.m.model = model;
  ++e.m.requests;
  ++e.m.succeeded;
  e.m.promptTokens += promptTokens;
  e.m.completionTokens += completionTokens;
  e.m.costUsd += costUsd;
  e.m.ttftLastMs = ttftMs;
  if (e.ttft.size() < kWindow) {
    e.ttft.push_back(ttftMs);
  } else {
    e.ttft[e.next] = ttftMs;
    e.next = (e.next + 1) % kWindow;
  }
  if (generationMs > 0 && completionTokens > 0) {
    e.generationMs += generationMs;
    e.timedTokens += completionTokens;
  }
}

void MetricsRegistry::recordFailure(const std::string& model, const std::string& kind) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[model];
  e.m.model = model;
  ++e.m.requests;
  ++e.m.failures[kind];
}

std::vector<ModelMetrics> MetricsRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<ModelMetrics> out;
  for (const auto& [name, e] : entries_) {
    ModelMetrics m = e.m;
    if (!e.ttft.empty()) {
      std::vector<double> sorted = e.ttft;
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2), sorted.end());
      m.ttftP50Ms = sorted[sorted.size() / 2];
    }
    if (e.generationMs > 0) m.tokensPerSecond = static_cast<double>(e.timedTokens) * 1000.0 / e.generationMs;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace cadre::models
