// `cadre models list|health`: the configured models as the router sees them
// (endpoints, whether each is local, where its key comes from, its roles),
// and each endpoint's answer to GET /v1/models or /api/tags. Keys are shown
// only as the variable or file that holds them, and whether it is set.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "server/cli/args.hpp"
#include "server/core/config.hpp"
#include "server/models/credentials.hpp"
#include "server/models/router.hpp"
#include "server/models/url.hpp"

namespace cadre::cli {
namespace {

using nlohmann::json;

constexpr const char* kModelsUsage = R"(Usage: cadre models list [DIR] [--json]
       cadre models health [DIR] [--json] [--timeout MS]
       cadre models bench NAME [DIR] [--json] [--pid PID] (see cadre models bench --help)

The models cadre routes to, from the user config ($XDG_CONFIG_HOME/cadre/config.json)
and DIR/.cadre/config.json (DIR defaults to the current directory). With no
models configured, every role goes to Ollama at 127.0.0.1:11434 (OLLAMA_HOST).

  list     each model and endpoint: its API, model id, whether it is local,
           where its key comes from (never the key), and its roles
  health   asks every endpoint which models it serves (GET /v1/models or
           /api/tags): reachable or not, latency, whether the configured model
           is there; exit 1 when an endpoint is unreachable or lacks its model
  bench    one model's generation speed, time to first token, prompt reading
           speed up to 50k tokens and memory, against the usable bar

Options:
  --json         the same as JSON
  --timeout MS   per endpoint, for health (default 3000)

See docs/models.md for the configuration.
)";

struct Loaded {
  models::RouterConfig config;
  std::unique_ptr<models::Router> router;
};

// Config diagnostics go to stderr; a router that does not load is exit 2.
int load(const std::string& dir, Loaded& out) {
  std::error_code ec;
  auto root = std::filesystem::canonical(dir, ec);
  if (ec || !std::filesystem::is_directory(root)) {
    std::fprintf(stderr, "cadre models: %s is not a directory\n", dir.c_str());
    return 2;
  }
  core::LoadedConfig loaded = core::loadConfig({root});
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "cadre config: %s\n", d.format().c_str());
  out.config = core::routerConfig(loaded.config);
  auto router = models::Router::create(out.config);
  if (!router) {
    std::fprintf(stderr, "cadre models: %s\n", router.error().message.c_str());
    return 2;
  }
  out.router = std::move(*router);
  return 0;
}

std::string keyText(const models::ModelSpec& m, bool* present) {
  *present = false;
  if (!m.keyEnv.empty()) {
    const char* v = std::getenv(m.keyEnv.c_str());
    *present = v && *v;
    return "$" + m.keyEnv + (*present ? "" : " (unset)");
  }
  if (!m.keyFile.empty()) {
    *present = static_cast<bool>(models::loadKey(m));
    return m.keyFile + (*present ? "" : " (unreadable)");
  }
  return "-";
}

std::vector<std::string> rolesOf(const models::Router& r, const std::string& model) {
  std::vector<std::string> out;
  for (const auto& role : models::roleNames()) {
    auto list = r.roleModels(role);
    if (std::find(list.begin(), list.end(), model) != list.end()) out.push_back(role);
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts, const char* sep = ",") {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::puts(line.c_str());
  }
}

int list(const Loaded& l, bool asJson) {
  const models::Router& r = *l.router;
  if (asJson) {
    json models = json::array();
    for (const auto& m : l.config.models) {
      bool present = false;
      keyText(m, &present);
      json endpoints = json::array();
      for (const auto& url : m.endpoints) endpoints.push_back({{"url", models::displayUrl(url)}, {"loopback", models::isLoopbackUrl(url)}});
      json key = nullptr;
      if (!m.keyEnv.empty()) key = {{"env", m.keyEnv}, {"present", present}};
      if (!m.keyFile.empty()) key = {{"file", m.keyFile}, {"present", present}};
      models.push_back({{"name", m.name},
                        {"api", models::apiName(m.api)},
                        {"model", m.model},
                        {"endpoints", endpoints},
                        {"local", r.isLocal(m.name)},
                        {"key", key},
                        {"toolCalls", m.toolCalls == models::ToolCallMode::Text ? "text" : "native"},
                        {"restricted", m.restricted},  // by cadre eval (docs/eval.md)
                        {"contextTokens", m.contextTokens},
                        {"roles", rolesOf(r, m.name)}});
    }
    json roles = json::object();
    for (const auto& role : models::roleNames()) roles[role] = r.roleModels(role);
    std::puts(json({{"models", models},
                    {"roles", roles},
                    {"default", l.config.defaulted},
                    {"localOnly", l.config.localOnly},
                    {"userConfig", l.config.userConfigPath}})
                  .dump(2)
                  .c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"MODEL", "API", "MODEL ID", "ENDPOINT", "LOCAL", "KEY", "ROLES"}};
  for (const auto& m : l.config.models) {
    bool present = false;
    const std::string key = keyText(m, &present);
    const std::string local = r.isLocal(m.name) ? "yes" : "no";
    for (std::size_t i = 0; i < m.endpoints.size(); ++i) {
      if (i == 0) {
        rows.push_back({m.name + (m.restricted ? " (restricted)" : ""), models::apiName(m.api),
                        m.model + (m.toolCalls == models::ToolCallMode::Text ? " (text tools)" : ""),
                        models::displayUrl(m.endpoints[i]), local, key, joined(rolesOf(r, m.name))});
      } else {
        rows.push_back({"", "", "", models::displayUrl(m.endpoints[i]), local, "", ""});
      }
    }
  }
  printTable(rows);
  std::puts("");
  for (const auto& role : models::roleNames()) std::printf("%-12s %s\n", role.c_str(), joined(r.roleModels(role), " → ").c_str());
  if (l.config.defaulted) std::printf("\nNo models configured: every role uses Ollama (OLLAMA_HOST). Configure models in %s (docs/models.md).\n", l.config.userConfigPath.c_str());
  if (l.config.localOnly) std::puts("security.localOnly is on: endpoints that are not loopback or marked local are refused.");
  for (const auto& m : l.config.models)
    if (m.restricted) std::printf("%s is restricted to read-only work: %s\n", m.name.c_str(), m.restriction.c_str());
  return 0;
}

int health(const Loaded& l, bool asJson, int timeoutMs) {
  auto results = l.router->probe(std::chrono::milliseconds(timeoutMs));
  bool allGood = !results.empty();
  bool anyReachable = false;
  for (const auto& p : results) {
    allGood = allGood && p.reachable && p.servesModel && p.error.empty();
    anyReachable = anyReachable || (p.reachable && p.servesModel);
  }
  if (asJson) {
    json out = json::array();
    for (const auto& p : results) {
      out.push_back({{"model", p.model},
                     {"api", p.api},
                     {"endpoint", p.endpoint},
                     {"local", p.local},
                     {"reachable", p.reachable},
                     {"servesModel", p.servesModel},
                     {"latencyMs", p.latencyMs},
                     {"served", p.served},
                     {"error", p.error}});
    }
    std::puts(out.dump(2).c_str());
  } else {
    std::vector<std::vector<std::string>> rows = {{"MODEL", "ENDPOINT", "LOCAL", "STATUS", "LATENCY", "MODELS SERVED"}};
    for (const auto& p : results) {
      std::string status = !p.reachable ? "unreachable" : !p.error.empty() ? "error" : p.servesModel ? "ok" : "model missing";
      char latency[32];
      std::snprintf(latency, sizeof latency, "%.0f ms", p.latencyMs);
      std::string served = std::to_string(p.served.size());
      if (!p.served.empty()) served += " (" + p.served.front() + (p.served.size() > 1 ? ", …)" : ")");
      rows.push_back({p.model, p.endpoint, p.local ? "yes" : "no", status, p.reachable ? latency : "-", p.reachable ? served : "-"});
    }
    printTable(rows);
    for (const auto& p : results) {
      if (!p.error.empty()) std::printf("  %s: %s\n", p.model.c_str(), p.error.c_str());
    }
    if (!anyReachable) std::printf("\nNo model is reachable: %s\n", l.router->configureHint().c_str());
  }
  return allGood ? 0 : 1;
}

}  // namespace

int runModels(Args& args) {
  if (args.done()) return usageError("models needs a command: list or health", kModelsUsage);
  std::string sub = args.take();
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kModelsUsage, stdout);
    return 0;
  }
  if (sub == "bench") return runModelsBench(args);  // cmd_models_bench.cpp
  if (sub != "list" && sub != "health") return usageError("unknown models command: " + sub, kModelsUsage);
  std::string dir = ".";
  bool asJson = false;
  int timeoutMs = 3000;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kModelsUsage, stdout);
      return 0;
    } else if (a == "--json") {
      asJson = true;
    } else if (a == "--timeout" && sub == "health") {
      auto v = args.value();
      char* end = nullptr;
      long ms = v ? std::strtol(v->c_str(), &end, 10) : 0;
      if (!v || *end != '\0' || ms < 1 || ms > 600000) return usageError("--timeout needs milliseconds from 1 to 600000", kModelsUsage);
      timeoutMs = static_cast<int>(ms);
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for models " + sub + ": " + a, kModelsUsage);
    } else {
      dir = a;
    }
  }
  Loaded l;
  if (int rc = load(dir, l); rc != 0) return rc;
  return sub == "list" ? list(l, asJson) : health(l, asJson, timeoutMs);
}

}  // namespace cadre::cli
