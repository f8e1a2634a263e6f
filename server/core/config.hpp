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
#include <string>
#include <vector>

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

struct Config {
  LogSettings log;
  ServerSettings server;
};

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
