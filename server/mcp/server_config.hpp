// One configured MCP server, as the user (or a project) wrote it under
// `mcpServers` — the shape other MCP hosts use ({command, args, env} or
// {url, headers}) plus cadre's own keys for the sandbox, approvals and
// timeouts. Core's config reader fills it (server/core/config.cpp); mcp
// reads it. docs/mcp.md describes every key and the trust rules.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/expected.hpp"

namespace cadre::mcp {

enum class TransportKind { Stdio, Http };

struct ServerConfig {
  std::string name;
  TransportKind transport = TransportKind::Stdio;

  // stdio: the program cadre starts.
  std::string command;
  std::vector<std::string> args;
  // Added to the clean environment; values may name variables as ${VAR}
  // (expanded from cadre's own environment when the server starts).
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // empty: the first workspace root

  // Streamable HTTP: the endpoint and extra headers (values may use ${VAR}).
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  bool local = false;  // the user marks a non-loopback URL as on the premises (security.localOnly)

  // Sandbox (stdio). Default: sandboxed, workspace read-only, no network.
  bool sandbox = true;
  bool network = false;
  bool writable = false;            // the workspace bound read-write
  std::vector<std::string> paths;   // extra read-only paths (where the server is installed)

  // Approvals and roles. Tools listed here do not ask before each call /
  // count as read-only for read-only roles. User config only.
  std::vector<std::string> autoApprove;
  std::vector<std::string> readOnlyTools;

  bool disabled = false;
  int callTimeoutMs = 60000;     // per tools/call (progress notifications extend it, up to 10x)
  int startupTimeoutMs = 30000;  // start + initialize + the first listings

  // Where it came from: a project's file may define servers, but each start
  // is put to the user, and the loosening keys above are refused there.
  bool fromProject = false;
  std::string source;
};

// ${VAR} references in `text`, from `lookup` (default: the environment). A
// missing variable is an error naming it (never the value). `$$` is a
// literal `$`; a `$` not followed by `{` stays as it is.
using EnvLookup = std::function<const char*(const char*)>;
Expected<std::string> expandVariables(std::string_view text, const EnvLookup& lookup = {});
bool referencesVariables(std::string_view text);

// The name cadre offers a server's tool under: `server__tool`, with every
// character outside [A-Za-z0-9_-] replaced by `_` and cut to 64 characters
// (what model APIs accept as a function name).
std::string qualifiedToolName(std::string_view server, std::string_view tool);

// A short human description: "stdio: node server.js /dir" or "http: URL".
std::string describe(const ServerConfig& config);

}  // namespace cadre::mcp
