// The router's shared state, internal to router*.cpp: the validated models,
// per-endpoint health, the cache of what "auto" endpoints serve, metrics.
// Requests in flight hold it by shared_ptr, so a Router may go away first.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "server/models/endpoint_health.hpp"
#include "server/models/http_client.hpp"
#include "server/models/metrics.hpp"
#include "server/models/model_config.hpp"
#include "server/models/router.hpp"

namespace cadre::models {

struct ModelEntry {
  ModelSpec spec;
  bool local = false;
  std::string provider;  // label for reviewer ≠ provider
};

struct Router::State : std::enable_shared_from_this<Router::State> {
  using Clock = std::chrono::steady_clock;

  RouterConfig config;
  HttpClient* http = nullptr;
  std::vector<ModelEntry> models;
  std::map<std::string, std::size_t> byName;

  mutable std::mutex mu;  // guards health, served and rng
  std::map<std::string, EndpointHealth> health;  // by base URL
  struct Served {
    std::vector<std::string> ids;
    Clock::time_point at;
  };
  std::map<std::string, Served> served;  // what an "auto" endpoint serves, by base URL
  std::mt19937_64 rng{std::random_device{}()};
  MetricsRegistry metrics;

  const ModelEntry* find(const std::string& name) const {
    auto it = byName.find(name);
    return it == byName.end() ? nullptr : &models[it->second];
  }
  std::vector<std::string> roleModels(const std::string& role) const;
  EndpointHealth& healthOf(const std::string& url);  // with mu held
  // How to fix "no model": where to configure, or how to start the default.
  std::string configureHint() const;
};

// "qwen2.5-coder:latest" and "library/qwen2.5-coder" are the same model.
std::string normalizeModelId(std::string id);
bool matchesSensitive(const std::vector<std::string>& globs, const std::string& path, std::string* pattern);

}  // namespace cadre::models
