// Shared setup for the models tests: a config naming test servers, a Router
// on its own HttpClient (the production path end to end), and a recorder
// for what the streaming callbacks delivered.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/models/router.hpp"
#include "tests/support/catch.hpp"
#include "tests/unit/models/test_server.hpp"

namespace cadre::testing {

inline models::ModelSpec modelAt(const std::string& name, models::Api api, const std::string& baseUrl, const std::string& id = "test-model") {
  models::ModelSpec m;
  m.name = name;
  m.api = api;
  m.model = id;
  m.endpoints = {baseUrl};
  return m;
}

inline models::RouterConfig configOf(std::vector<models::ModelSpec> specs, std::map<std::string, std::vector<std::string>> roles = {}) {
  models::RouterConfig c;
  c.models = std::move(specs);
  c.roles = std::move(roles);
  c.userConfigPath = "/home/u/.config/cadre/config.json";
  c.settings.connectTimeoutMs = 2000;
  c.settings.firstTokenTimeoutMs = 5000;
  c.settings.idleTimeoutMs = 5000;
  return c;
}

// What the callbacks saw, with arrival times.
struct Received {
  std::mutex mu;
  std::vector<std::string> deltas;
  std::vector<std::chrono::steady_clock::time_point> at;
  std::map<std::size_t, models::ToolCall> calls;
  std::size_t toolCallUpdates = 0;

  models::StreamCallbacks callbacks() {
    models::StreamCallbacks cb;
    cb.onText = [this](std::string_view t) {
      std::lock_guard lock(mu);
      deltas.emplace_back(t);
      at.push_back(std::chrono::steady_clock::now());
    };
    cb.onToolCall = [this](std::size_t i, const models::ToolCall& c) {
      std::lock_guard lock(mu);
      calls[i] = c;
      ++toolCallUpdates;
    };
    return cb;
  }
  std::string text() {
    std::lock_guard lock(mu);
    std::string s;
    for (const auto& d : deltas) s += d;
    return s;
  }
};

inline models::ChatRequest userAsks(const std::string& text) {
  models::ChatRequest r;
  r.messages.push_back({models::Role::System, "You are terse.", {}, {}, {}});
  r.messages.push_back({models::Role::User, text, {}, {}, {}});
  return r;
}

inline models::RouteOptions route(std::string role, std::string author = {}, std::string authorServed = {}, std::int64_t budget = 0) {
  models::RouteOptions o;
  o.role = std::move(role);
  o.author = std::move(author);
  o.authorServedModel = std::move(authorServed);
  o.tokenBudget = budget;
  return o;
}

// A Router over its own HttpClient; the client outlives the router's requests.
struct RouterUnderTest {
  models::HttpClient http;
  std::unique_ptr<models::Router> router;

  explicit RouterUnderTest(models::RouterConfig config) {
    auto r = models::Router::create(std::move(config), http);
    if (!r) FAIL("router: " << r.error().message);
    router = std::move(*r);
  }
  models::Router* operator->() { return router.get(); }
};

}  // namespace cadre::testing
