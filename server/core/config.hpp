// cadre's settings and where they come from. Layers, later wins: built-in
// defaults → user file ($XDG_CONFIG_HOME/cadre/config.json) → project file
// (<root>/.cadre/config.json) → settings the editor sends
// (workspace/didChangeConfiguration, under "cadre"). Unknown keys are warned
// about; a bad value is an error naming the key and keeps the value the lower
// layer gave. Keys that decide where cadre writes or which secret it trusts
// (log.file, server.tokenEnv) are honoured only from the user's own file: a
// cloned repository must not be able to set them. docs/configuration.md lists
// every key.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "server/agent/hook_settings.hpp"
#include "server/models/model_config.hpp"
#include "server/mcp/server_config.hpp"

namespace cadre::core {

struct LogSettings {
  std::string level = "info";  // trace, debug, info, warn, error, off
  std::string file;            // empty: stderr
};

struct ServerSettings {
  std::size_t maxMessageBytes = 64u << 20;
  std::size_t maxOutstandingCalls = 64;
  std::int64_t callTimeoutSeconds = 600;
  // Name of the environment variable holding the TCP token (never the token).
  std::string tokenEnv = "CADRE_TOKEN";
};

// What the backend enforces (docs/security.md). A project or the editor may
// make these stricter, never looser: a cloned repository (or its
// .vscode/settings.json) must not be able to turn approvals or the sandbox off.
struct SecuritySettings {
  std::string approvalMode = "ask";  // ask | auto-edit | read-only; only the user file may loosen
  std::string sandbox = "on";        // on | off; "off" only from the user file
  std::vector<std::string> deny;     // added to the built-in deny-list, from every layer
  bool localOnly = false;            // refuse non-local model and MCP endpoints; any layer may turn it on
  std::int64_t commandTimeoutSeconds = 120;
  std::int64_t commandMemoryMB = 2048;
  std::int64_t commandMaxProcesses = 256;
  std::int64_t commandMaxOutputKB = 1024;
  bool auditContent = false;  // record prompts and outputs in the audit log, not just their sizes; user file only
};

// Models, roles and the router's policies (docs/models.md). Model
// definitions — endpoints, keys (by variable or file name), what counts as
// local — come from the user file only: a cloned repository must not be
// able to send code, or a key, to an endpoint of its choosing. A project may
// assign the user's models to roles, add sensitive globs and tighten limits.
struct ModelsSettings {
  std::vector<models::ModelSpec> models;  // empty: the default (every role → local Ollama)
  std::map<std::string, std::vector<std::string>> roles;
  models::RouterSettings router;
};

// Linters for the shadow workspace (docs/configuration.md). Configured
// linters may come from a project file: each command is put to the user for
// approval before it first runs, like any command.
struct LintSettings {
  bool autodetect = true;                      // linters found on PATH
  nlohmann::json linters = nlohmann::json::array();  // [{name, command, globs, format, regex, timeoutSeconds}]
};

// The checkpoint store's limits (docs/checkpoints.md): any layer may set
// them; a project choosing to keep fewer checkpoints only loses its own undo.
struct CheckpointSettings {
  std::uint64_t maxFileBytes = 5u << 20;  // bigger files are skipped and reported
  std::size_t keepLast = 50;              // prune keeps the newest N (of other tasks)
  std::int64_t maxAgeDays = 14;           // prune drops older ones; 0: no age limit
};

// The agent's run_tests (docs/agent.md): empty command → detected.
struct TestsSettings {
  std::string command;
};

struct Config {
  LogSettings log;
  LintSettings lint;
  TestsSettings tests;
  CheckpointSettings checkpoints;
  ServerSettings server;
  SecuritySettings security;
  ModelsSettings models;
  // MCP servers (docs/mcp.md): from the user file, and from project files
  // under the trust rules there (each start approved, sandbox not loosened).
  std::vector<mcp::ServerConfig> mcpServers;
  // Lifecycle hooks (docs/configuration.md): the user's run pre-approved; a
  // project may add hooks (each asked before it runs) and lower the timeout,
  // never remove or loosen the user's.
  agent::HookSettings hooks;
};

// The router's configuration from the loaded settings: the user's models and
// roles, or the default, plus security.localOnly.
models::RouterConfig routerConfig(const Config& config);

struct ConfigDiagnostic {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Warning;
  std::string source;  // a file path, or "editor settings"
  std::string key;     // dotted path, e.g. "server.maxMessageBytes"; empty for the whole file
  std::string message;

  std::string format() const;  // "<source>: <key>: <message>"
};

struct LoadedConfig {
  Config config;
  std::vector<ConfigDiagnostic> diagnostics;
  std::vector<std::string> sources;  // files that were read, in order

  bool hasErrors() const;
};

std::filesystem::path userConfigPath();

// Reads the user file and, for each root, <root>/.cadre/config.json. Missing
// files are not an error.
LoadedConfig loadConfig(const std::vector<std::filesystem::path>& projectRoots, const std::filesystem::path& userFile = userConfigPath());

// Layers one JSON object onto `out`; used for files and editor settings.
enum class ConfigScope { User, Project };
void applyConfigJson(const nlohmann::json& j, const std::string& source, ConfigScope scope, LoadedConfig& out);

}  // namespace cadre::core
