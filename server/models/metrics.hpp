// What each model has done in this process: requests, failures by kind,
// tokens, time to first token, generation speed and estimated cost. Fed by
// the router after every attempt; read by `cadre models` and the wire.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cadre::models {

struct ModelMetrics {
  std::string model;
  std::int64_t requests = 0;
  std::int64_t succeeded = 0;
  std::map<std::string, std::int64_t> failures;  // by failureKindName
  std::int64_t promptTokens = 0;
  std::int64_t completionTokens = 0;
  double ttftP50Ms = 0;  // over the last kWindow successes
  double ttftLastMs = 0;
  double tokensPerSecond = 0;  // completion tokens over generation time, all successes
  double costUsd = 0;          // from the configured prices
};

class MetricsRegistry {
 public:
  static constexpr std::size_t kWindow = 64;

  void recordSuccess(const std::string& model, double ttftMs, double generationMs, std::int64_t promptTokens,
                     std::int64_t completionTokens, double costUsd);
  void recordFailure(const std::string& model, const std::string& kind);
  std::vector<ModelMetrics> snapshot() const;

 private:
  struct Entry {
    ModelMetrics m;
    std::vector<double> ttft;  // ring
    std::size_t next = 0;
    double generationMs = 0;
    std::int64_t timedTokens = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace cadre::models
