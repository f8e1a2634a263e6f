// Agent Client Protocol (v1) structures cadre reads, as plain structs with
// the wire's field names and from_json beside them. Each mirrors only the part
// of the published schema cadre acts on (docs/acp.md lists the rest); what
// cadre sends is built as JSON where it is sent. Internal types never
// serialize: the session converts at the boundary.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cadre::acp {

using json = nlohmann::json;

// The one major version cadre speaks. ACP bumps it only for breaking changes;
// newer features are negotiated as capabilities.
inline constexpr int kProtocolVersion = 1;

// initialize: the client's version and the capabilities cadre uses (fs).
// clientInfo is kept for logs; other capabilities (terminal, auth,
// elicitation) are not used.
struct InitializeParams {
  json protocolVersion;  // an integer in v1; kept raw so an odd value is answered with ours, not refused
  bool readTextFile = false;
  bool writeTextFile = false;
  std::string clientName;
};
void from_json(const json& j, InitializeParams& p);

struct AuthenticateParams {
  std::string methodId;
};
void from_json(const json& j, AuthenticateParams& p);

// One entry of session/new's mcpServers: stdio servers only (cadre declares
// mcpCapabilities.http and .sse false, so a client sends no others).
struct McpServer {
  std::string name;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};
void from_json(const json& j, McpServer& s);

// session/new. additionalDirectories is not read: cadre works in one root.
struct NewSessionParams {
  std::string cwd;  // absolute (checked in from_json)
  std::vector<McpServer> mcpServers;
};
void from_json(const json& j, NewSessionParams& p);

// A prompt's content block: text, resource_link, resource (embedded, text
// only). image and audio are refused: cadre declares them unsupported.
struct ContentBlock {
  std::string type;
  std::string text;       // text; resource: the embedded text
  std::string uri;        // resource_link, resource
  std::string name;       // resource_link
  std::string mimeType;   // resource_link, resource
};
void from_json(const json& j, ContentBlock& b);

struct PromptParams {
  std::string sessionId;
  std::vector<ContentBlock> prompt;
};
void from_json(const json& j, PromptParams& p);

// session/cancel (a notification).
struct SessionIdParams {
  std::string sessionId;
};
void from_json(const json& j, SessionIdParams& p);

}  // namespace cadre::acp
