// The router's configuration as plain data. core reads it from the config
// files (`models`, `roles`, `router`; docs/models.md) and hands it over, so
// models knows nothing of files or layers. Keys appear here only as the name
// of an environment variable or a key file's path, never as the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cadre::models {

// Wire format a model speaks.
enum class Api { OpenAI, Anthropic, Ollama };
const char* apiName(Api api);

// How tools reach the model: the provider's function calling, or cadre's
// prompted text protocol (text_tools.hpp) for models without it.
enum class ToolCallMode { Native, Text };

struct ModelSpec {
  std::string name;   // the config's name for it, used in roles
  Api api = Api::OpenAI;
  std::string model;  // the provider's model id; "auto": the first one the endpoint serves
  // Base URLs serving this model (a pool): OpenAI-compatible ones end in
  // /v1, Ollama's and Anthropic's are the server root.
  std::vector<std::string> endpoints;
  std::string keyEnv;   // environment variable holding the key
  std::string keyFile;  // or a file holding it
  // Whether content may stay "on the premises" here. Unset: true exactly when
  // every endpoint is loopback (a loopback proxy to a cloud must say false).
  std::optional<bool> local;
  std::string provider;  // who runs it, for reviewer ≠ provider; default: the first endpoint's host
  ToolCallMode toolCalls = ToolCallMode::Native;
  std::int64_t contextTokens = 32768;  // sent to Ollama as options.num_ctx
  std::int64_t maxOutputTokens = 4096;
  double inputCostPerMTok = 0;  // USD per million tokens, for metrics and budgets
  double outputCostPerMTok = 0;
  // From the user's last `cadre eval` of this model (core applies the saved
  // verdict, which also sets `toolCalls`; docs/eval.md). A restricted model
  // passed fewer than half the tool-use runs: the router gives it no request
  // that offers tools which change files or run commands
  // (RouteOptions::mutating). `restriction` says why, for messages.
  bool restricted = false;
  std::string restriction;
};

struct RouterSettings {
  std::int64_t connectTimeoutMs = 5000;
  std::int64_t firstTokenTimeoutMs = 120000;  // request sent → first body byte (a cold model loads first)
  std::int64_t idleTimeoutMs = 60000;         // longest gap between two body bytes
  std::int64_t maxRetries = 2;                // per model, for 429
  std::int64_t maxRetryAfterMs = 30000;       // a longer Retry-After moves on to the next model
  std::int64_t breakerFailures = 3;           // consecutive failures that open an endpoint's breaker
  std::int64_t breakerCooldownMs = 30000;     // how long it stays open before one trial request
  std::int64_t maxTokensPerRequest = 0;       // prompt estimate + output; 0: no limit
  double maxCostPerRequest = 0;               // USD, from the models' prices; 0: no limit
  bool reviewerDistinctProvider = false;      // the reviewer must also come from another provider
  std::vector<std::string> sensitive;         // globs: content from these paths goes to local models only
};

struct RouterConfig {
  std::vector<ModelSpec> models;
  std::map<std::string, std::vector<std::string>> roles;  // role → model names, in order of preference
  RouterSettings settings;
  bool localOnly = false;  // security.localOnly
  // Where the user configures models, for messages ("add a model in …").
  std::string userConfigPath;
  bool defaulted = false;  // built by defaultRouterConfig: no models configured
};

// The roles cadre uses. "default" in `roles` stands for any role not listed.
inline const std::vector<std::string>& roleNames() {
  static const std::vector<std::string> names = {"planner", "executor", "reviewer", "coordinator", "worker"};
  return names;
}

// The configuration with no `models` section: every role → Ollama at
// OLLAMA_HOST (default 127.0.0.1:11434), model "auto".
RouterConfig defaultRouterConfig();

// OLLAMA_HOST in any of the forms Ollama accepts ("host", "host:port",
// "http://host:port", "0.0.0.0") as a base URL; null or empty → the default.
std::string ollamaBaseUrl(const char* ollamaHost);

}  // namespace cadre::models
