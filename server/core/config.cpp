// Config layering and validation; the schema is the reader calls below, so a
// key is known exactly when some code reads it.
#include "server/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "server/core/state_paths.hpp"
#include "server/eval/verdicts.hpp"
#include "support/jsonc.hpp"

namespace cadre::core {
namespace {

using json = nlohmann::json;

// Reads the keys of one object; whatever it was not asked for is "unknown".
class SectionReader {
 public:
  SectionReader(const json& obj, std::string prefix, const std::string& source, ConfigScope scope, LoadedConfig& out)
      : obj_(obj), prefix_(std::move(prefix)), source_(source), scope_(scope), out_(out) {}

  ~SectionReader() {
    for (const auto& [key, value] : obj_.items()) {
      if (!seen_.count(key)) warn(key, "unknown setting (ignored)");
    }
  }

  // A key only the user's own file may set; elsewhere it is an error.
  SectionReader& userOnly(const char* key) {
    if (scope_ != ConfigScope::User && obj_.contains(key)) {
      seen_.insert(key);
      error(key, "may only be set in the user config (" + userConfigPath().string() + "), not by a project or the editor");
      blocked_.insert(key);
    }
    return *this;
  }

  void string(const char* key, std::string& target, const std::set<std::string>& allowed = {}) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return error(key, "expected a string, got " + describe(*v));
    if (!allowed.empty() && !allowed.count(v->get<std::string>())) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return error(key, "expected one of " + list + ", got " + describe(*v));
    }
    target = v->get<std::string>();
  }

  void boolean(const char* key, bool& target) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return error(key, "expected true or false, got " + describe(*v));
    target = v->get<bool>();
  }
  // Settings where a project or the editor may only tighten: `stricter(a, b)`
  // says whether b is at least as strict as a.
  template <class T, class Stricter>
  void tightenOnly(const char* key, T& target, const T& candidate, Stricter stricter) {
    if (scope_ != ConfigScope::User && !stricter(target, candidate)) {
      return error(key, "a project or the editor may make this stricter, not looser; set it in the user config (" +
                            userConfigPath().string() + ")");
    }
    target = candidate;
  }
  ConfigScope scope() const { return scope_; }
  // An array kept as JSON for the part that reads it (which validates it and
  // reports per element); later layers replace earlier ones.
  void jsonArray(const char* key, json& target) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_array()) return error(key, "expected an array, got " + describe(*v));
    target = *v;
  }
  void stringList(const char* key, std::vector<std::string>& target) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_array()) return error(key, "expected an array of strings, got " + describe(*v));
    for (const auto& item : *v) {
      if (!item.is_string()) return error(key, "expected an array of strings, got an element " + describe(item));
    }
    for (const auto& item : *v) target.push_back(item.get<std::string>());
  }
  template <class Int>
  void integer(const char* key, Int& target, std::int64_t min, std::int64_t max) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) return error(key, "expected an integer, got " + describe(*v));
    const auto n = v->get<std::int64_t>();
    if (n < min || n > max) {
      return error(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + std::to_string(n));
    }
    target = static_cast<Int>(n);
  }

  void number(const char* key, double& target, double min, double max) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number()) return error(key, "expected a number, got " + describe(*v));
    const double n = v->get<double>();
    if (n < min || n > max) return error(key, "expected a number from " + json(min).dump() + " to " + json(max).dump());
    target = n;
  }
  void optionalBoolean(const char* key, std::optional<bool>& target) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return error(key, "expected true or false, got " + describe(*v));
    target = v->get<bool>();
  }
  // An error about `key` that does not echo its value (it may be a secret).
  void reject(const char* key, std::string message) {
    seen_.insert(key);
    error(key, std::move(message));
  }
  bool has(const char* key) const { return obj_.contains(key); }
  const std::string& source() const { return source_; }
  // An object of strings ({"NAME": "value"}), in file order.
  void stringMap(const char* key, std::vector<std::pair<std::string, std::string>>& target) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return error(key, "expected an object of strings, got " + describe(*v));
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, item] : v->items()) {
      if (!item.is_string()) return error(key, "expected an object of strings; \"" + k + "\" is " + item.type_name());
      out.emplace_back(k, item.get<std::string>());
    }
    target = std::move(out);
  }
  // Calls `read(name, reader)` for every member, each of which must be an object.
  template <class F>
  void eachObject(F&& read) {
    for (const auto& [key, value] : obj_.items()) {
      seen_.insert(key);
      if (!value.is_object()) {
        error(key, "expected an object, got " + describe(value));
        continue;
      }
      SectionReader nested(value, path(key), source_, scope_, out_);
      read(key, nested);
    }
  }

  // Calls `read` with a reader for the nested object `key`.
  template <class F>
  void section(const char* key, F&& read) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return error(key, "expected an object, got " + describe(*v));
    SectionReader nested(*v, path(key), source_, scope_, out_);
    read(nested);
  }

 private:
  const json* find(const char* key) {
    seen_.insert(key);
    if (blocked_.count(key)) return nullptr;
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  // Keys come from untrusted files and end up in logs: show them escaped.
  std::string path(const std::string& key) const {
    std::string shown = json(key).dump(-1, ' ', true, json::error_handler_t::replace);
    shown = shown.substr(1, shown.size() - 2);
    if (shown.size() > 64) shown = shown.substr(0, 61) + "...";
    return prefix_.empty() ? shown : prefix_ + "." + shown;
  }
  static std::string describe(const json& v) {
    std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
  }
  void warn(const std::string& key, std::string message) {
    out_.diagnostics.push_back({ConfigDiagnostic::Severity::Warning, source_, path(key), std::move(message)});
  }
  void error(const std::string& key, std::string message) {
    out_.diagnostics.push_back({ConfigDiagnostic::Severity::Error, source_, path(key), std::move(message)});
  }

  const json& obj_;
  std::string prefix_;
  const std::string& source_;
  ConfigScope scope_;
  LoadedConfig& out_;
  std::set<std::string> seen_;
  std::set<std::string> blocked_;
};

void readModels(SectionReader& root, Config& c);
void readMcpServers(SectionReader& root, Config& c);
void readHooks(SectionReader& root, Config& c);

void readConfig(SectionReader& root, Config& c) {
  root.section("log", [&](SectionReader& r) {
    r.string("level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"});
    r.userOnly("file").string("file", c.log.file);
  });
  root.section("server", [&](SectionReader& r) {
    r.integer("maxMessageBytes", c.server.maxMessageBytes, 1024, std::int64_t{1} << 32);
    r.integer("maxOutstandingCalls", c.server.maxOutstandingCalls, 1, 100000);
    r.integer("callTimeoutSeconds", c.server.callTimeoutSeconds, 1, 86400);
    r.userOnly("tokenEnv").string("tokenEnv", c.server.tokenEnv);
  });
  root.section("lint", [&](SectionReader& r) {
    r.boolean("autodetect", c.lint.autodetect);
    r.jsonArray("linters", c.lint.linters);
  });
  // The project's test command for the agent's run_tests; a project file may
  // set it (each run is approved like any command).
  root.section("tests", [&](SectionReader& r) { r.string("command", c.tests.command); });
  root.section("checkpoints", [&](SectionReader& r) {
    r.integer("maxFileBytes", c.checkpoints.maxFileBytes, 1024, std::int64_t{1} << 34);
    r.integer("keepLast", c.checkpoints.keepLast, 1, 100000);
    r.integer("maxAgeDays", c.checkpoints.maxAgeDays, 0, 36500);
  });
  root.section("security", [&](SectionReader& r) {
    auto strictness = [](const std::string& mode) { return mode == "read-only" ? 2 : mode == "ask" ? 1 : 0; };
    std::string mode = c.security.approvalMode;
    r.string("approvalMode", mode, {"ask", "auto-edit", "read-only"});
    if (mode != c.security.approvalMode)
      r.tightenOnly("approvalMode", c.security.approvalMode, mode,
                    [&](const std::string& a, const std::string& b) { return strictness(b) >= strictness(a); });
    r.userOnly("sandbox").string("sandbox", c.security.sandbox, {"on", "off"});
    r.stringList("deny", c.security.deny);
    bool localOnly = c.security.localOnly;
    r.boolean("localOnly", localOnly);
    r.tightenOnly("localOnly", c.security.localOnly, localOnly, [](bool a, bool b) { return b || !a; });
    auto limit = [&](const char* key, std::int64_t& target, std::int64_t min, std::int64_t max) {
      std::int64_t v = target;
      r.integer(key, v, min, max);
      r.tightenOnly(key, target, v, [](std::int64_t a, std::int64_t b) { return b <= a; });
    };
    limit("commandTimeoutSeconds", c.security.commandTimeoutSeconds, 1, 86400);
    limit("commandMemoryMB", c.security.commandMemoryMB, 16, 1 << 20);
    limit("commandMaxProcesses", c.security.commandMaxProcesses, 4, 1 << 16);
    limit("commandMaxOutputKB", c.security.commandMaxOutputKB, 1, 1 << 20);
    r.userOnly("auditContent").boolean("auditContent", c.security.auditContent);
  });
  readModels(root, c);
  readMcpServers(root, c);
  readHooks(root, c);
}

bool isEnvName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

void readModel(const std::string& name, SectionReader& m, models::ModelSpec& spec) {
  spec.name = name;
  std::string api = "openai";
  m.string("api", api, {"openai", "anthropic", "ollama"});
  spec.api = api == "anthropic" ? models::Api::Anthropic : api == "ollama" ? models::Api::Ollama : models::Api::OpenAI;
  m.string("model", spec.model);
  std::string baseUrl;
  m.string("baseUrl", baseUrl);
  if (!baseUrl.empty()) spec.endpoints.push_back(baseUrl);
  m.stringList("endpoints", spec.endpoints);
  if (m.has("keyEnv")) {
    // Checked without echoing: a key pasted here by mistake must not reach a log.
    std::string value;
    m.string("keyEnv", value);
    if (!value.empty() && !isEnvName(value)) {
      m.reject("keyEnv", "expected the name of an environment variable (letters, digits, _), not the key itself");
    } else {
      spec.keyEnv = value;
    }
  }
  m.string("keyFile", spec.keyFile);
  m.optionalBoolean("local", spec.local);
  m.string("provider", spec.provider);
  std::string toolCalls = "native";
  m.string("toolCalls", toolCalls, {"native", "text"});
  spec.toolCalls = toolCalls == "text" ? models::ToolCallMode::Text : models::ToolCallMode::Native;
  m.integer("contextTokens", spec.contextTokens, 256, 10000000);
  m.integer("maxOutputTokens", spec.maxOutputTokens, 1, 1000000);
  m.number("inputCostPerMTok", spec.inputCostPerMTok, 0, 1e6);
  m.number("outputCostPerMTok", spec.outputCostPerMTok, 0, 1e6);
}

void readModels(SectionReader& root, Config& c) {
  root.userOnly("models").section("models", [&](SectionReader& r) {
    c.models.models.clear();
    r.eachObject([&](const std::string& name, SectionReader& m) {
      models::ModelSpec spec;
      readModel(name, m, spec);
      c.models.models.push_back(std::move(spec));
    });
  });
  // Any layer may pick which of the user's models plays which role.
  root.section("roles", [&](SectionReader& r) {
    for (const char* role : {"planner", "executor", "reviewer", "coordinator", "worker", "default"}) {
      std::vector<std::string> names;
      r.stringList(role, names);
      if (!names.empty()) c.models.roles[role] = std::move(names);
    }
  });
  root.section("router", [&](SectionReader& r) {
    auto& s = c.models.router;
    r.integer("connectTimeoutMs", s.connectTimeoutMs, 100, 600000);
    r.integer("firstTokenTimeoutMs", s.firstTokenTimeoutMs, 1000, 3600000);
    r.integer("idleTimeoutMs", s.idleTimeoutMs, 1000, 3600000);
    r.integer("maxRetries", s.maxRetries, 0, 10);
    r.integer("maxRetryAfterMs", s.maxRetryAfterMs, 0, 600000);
    r.integer("breakerFailures", s.breakerFailures, 1, 1000);
    r.integer("breakerCooldownMs", s.breakerCooldownMs, 100, 3600000);
    std::int64_t tokens = s.maxTokensPerRequest;
    r.integer("maxTokensPerRequest", tokens, 0, 100000000);
    r.tightenOnly("maxTokensPerRequest", s.maxTokensPerRequest, tokens,
                  [](std::int64_t a, std::int64_t b) { return b != 0 && (a == 0 || b <= a); });
    double cost = s.maxCostPerRequest;
    r.number("maxCostPerRequest", cost, 0, 1e6);
    r.tightenOnly("maxCostPerRequest", s.maxCostPerRequest, cost, [](double a, double b) { return b != 0 && (a == 0 || b <= a); });
    bool distinct = s.reviewerDistinctProvider;
    r.boolean("reviewerDistinctProvider", distinct);
    r.tightenOnly("reviewerDistinctProvider", s.reviewerDistinctProvider, distinct, [](bool a, bool b) { return b || !a; });
    r.stringList("sensitive", s.sensitive);
  });
}

// `mcpServers`, in the shape other MCP hosts use. A project's file may add
// servers but not redefine the user's, and may not set what loosens the
// sandbox or skips approvals (docs/mcp.md, "Trust").
void readMcpServer(const std::string& name, SectionReader& m, mcp::ServerConfig& s) {
  s.name = name;
  s.source = m.source();
  s.fromProject = m.scope() != ConfigScope::User;
  std::string type;
  m.string("type", type, {"stdio", "http", "streamable-http", "streamableHttp", "sse"});
  m.string("command", s.command);
  m.stringList("args", s.args);
  m.stringMap("env", s.env);
  m.string("cwd", s.cwd);
  m.string("url", s.url);
  m.stringMap("headers", s.headers);
  m.userOnly("sandbox").boolean("sandbox", s.sandbox);
  m.userOnly("network").boolean("network", s.network);
  m.userOnly("writable").boolean("writable", s.writable);
  m.userOnly("local").boolean("local", s.local);
  m.userOnly("paths").stringList("paths", s.paths);
  m.userOnly("autoApprove").stringList("autoApprove", s.autoApprove);
  m.userOnly("readOnlyTools").stringList("readOnlyTools", s.readOnlyTools);
  m.boolean("disabled", s.disabled);
  std::int64_t callSeconds = s.callTimeoutMs / 1000, startupSeconds = s.startupTimeoutMs / 1000;
  m.integer("timeoutSeconds", callSeconds, 1, 86400);
  m.integer("startupTimeoutSeconds", startupSeconds, 1, 3600);
  s.callTimeoutMs = static_cast<int>(callSeconds * 1000);
  s.startupTimeoutMs = static_cast<int>(startupSeconds * 1000);
  if (type == "sse")
    m.reject("type", "the older HTTP+SSE transport (protocol 2024-11-05) is not supported; use the server's Streamable HTTP endpoint");
  if (!s.url.empty() && !s.command.empty()) m.reject("url", "a server has either a command (stdio) or a url (HTTP), not both");
  if (s.url.empty() && s.command.empty()) m.reject("command", "a server needs a command (stdio) or a url (Streamable HTTP)");
  s.transport = s.url.empty() ? mcp::TransportKind::Stdio : mcp::TransportKind::Http;
  for (const auto& [k, v] : s.env) {
    if (!isEnvName(k)) m.reject("env", "'" + k + "' is not an environment variable name");
    if (s.fromProject && mcp::referencesVariables(v))
      m.reject("env", "a project's config may not read the user's environment (${...}); define the server in your user config");
  }
  for (const auto& [k, v] : s.headers) {
    if (k.empty() || k.find_first_of(" :\r\n") != std::string::npos) m.reject("headers", "'" + k + "' is not a header name");
    if (s.fromProject && mcp::referencesVariables(v))
      m.reject("headers", "a project's config may not read the user's environment (${...}); define the server in your user config");
  }
}

void readMcpServers(SectionReader& root, Config& c) {
  root.section("mcpServers", [&](SectionReader& r) {
    r.eachObject([&](const std::string& name, SectionReader& m) {
      const bool validName = !name.empty() && name.size() <= 40 &&
                             std::all_of(name.begin(), name.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '-'; });
      mcp::ServerConfig s;
      readMcpServer(name, m, s);
      if (!validName) {
        m.reject("command", "server names are letters, digits, '_' and '-' (at most 40): tools are offered as <server>__<tool>");
        return;
      }
      auto same = std::find_if(c.mcpServers.begin(), c.mcpServers.end(), [&](const mcp::ServerConfig& e) { return e.name == name; });
      if (same != c.mcpServers.end()) {
        if (s.fromProject) {
          m.reject("command", "the MCP server '" + name + "' is already defined by " + same->source + "; a project may add servers, not redefine them");
          return;
        }
        *same = std::move(s);
        return;
      }
      c.mcpServers.push_back(std::move(s));
    });
  });
}

// `hooks`: per event a list of commands (a string, or {command, tools}).
// Layers add to the list; a project's hooks are marked so the Gate asks
// before they run, and a project may only lower the timeout.
void readHooks(SectionReader& root, Config& c) {
  root.section("hooks", [&](SectionReader& r) {
    std::int64_t timeout = c.hooks.timeoutSeconds;
    r.integer("timeoutSeconds", timeout, 1, 3600);
    int seconds = c.hooks.timeoutSeconds;
    r.tightenOnly("timeoutSeconds", seconds, static_cast<int>(timeout), [](int a, int b) { return b <= a; });
    c.hooks.timeoutSeconds = seconds;
    for (const auto& event : agent::hookEvents()) {
      json list;
      r.jsonArray(event.c_str(), list);
      if (!list.is_array()) continue;
      std::vector<agent::HookCommand> add;
      std::string problem;
      for (const auto& item : list) {
        agent::HookCommand h;
        h.event = event;
        h.source = r.source();
        h.fromProject = r.scope() != ConfigScope::User;
        if (item.is_string()) {
          h.command = item.get<std::string>();
        } else if (item.is_object() && item.contains("command") && item["command"].is_string()) {
          h.command = item["command"].get<std::string>();
          for (const auto& [k, v] : item.items()) {
            if (k == "command") continue;
            if (k != "tools") problem = "unknown key '" + k + "' in a hook (expected command, tools)";
            else if (!v.is_array() || std::any_of(v.begin(), v.end(), [](const json& t) { return !t.is_string(); }))
              problem = "a hook's tools must be an array of tool names";
            else h.tools = v.get<std::vector<std::string>>();
          }
        } else {
          problem = "each hook is a command line or {\"command\": \"...\", \"tools\": [...]}";
        }
        if (problem.empty() && h.command.find_first_not_of(" \t\r\n") == std::string::npos) problem = "a hook's command is empty";
        if (!problem.empty()) break;
        add.push_back(std::move(h));
      }
      if (!problem.empty()) {
        r.reject(event.c_str(), problem);
        continue;
      }
      for (auto& h : add) c.hooks.commands.push_back(std::move(h));
    }
  });
}

void loadFile(const std::filesystem::path& file, ConfigScope scope, LoadedConfig& out) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return;  // absent: nothing to layer
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    out.diagnostics.push_back({ConfigDiagnostic::Severity::Error, file.string(), "", "cannot be read (check its permissions)"});
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  out.sources.push_back(file.string());
  auto parsed = parseJsonc(buf.str());
  if (!parsed) {
    out.diagnostics.push_back({ConfigDiagnostic::Severity::Error, file.string(), "", parsed.error().message});
    return;
  }
  applyConfigJson(*parsed, file.string(), scope, out);
}

}  // namespace

std::string ConfigDiagnostic::format() const {
  std::string s = source + ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

bool LoadedConfig::hasErrors() const {
  for (const auto& d : diagnostics) {
    if (d.severity == ConfigDiagnostic::Severity::Error) return true;
  }
  return false;
}

std::filesystem::path userConfigPath() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "cadre" / "config.json";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".config" / "cadre" / "config.json";
  return {};
}

void applyConfigJson(const json& j, const std::string& source, ConfigScope scope, LoadedConfig& out) {
  if (!j.is_object()) {
    out.diagnostics.push_back({ConfigDiagnostic::Severity::Error, source, "", std::string("expected a JSON object, got ") + j.type_name()});
    return;
  }
  SectionReader root(j, "", source, scope, out);
  readConfig(root, out.config);
}

models::RouterConfig routerConfig(const Config& config) {
  models::RouterConfig out = config.models.models.empty() ? models::defaultRouterConfig() : models::RouterConfig{};
  if (!config.models.models.empty()) out.models = config.models.models;
  for (const auto& [role, names] : config.models.roles) out.roles[role] = names;
  out.settings = config.models.router;
  out.localOnly = config.security.localOnly;
  out.userConfigPath = userConfigPath().string();
  // The user's last `cadre eval` of each model: its tool-call protocol and
  // whether it is restricted to read-only work (docs/eval.md).
  eval::applyVerdicts(out, stateHome());
  return out;
}

LoadedConfig loadConfig(const std::vector<std::filesystem::path>& projectRoots, const std::filesystem::path& userFile) {
  LoadedConfig out;
  if (!userFile.empty()) loadFile(userFile, ConfigScope::User, out);
  for (const auto& root : projectRoots) loadFile(root / ".cadre" / "config.json", ConfigScope::Project, out);
  return out;
}

}  // namespace cadre::core
