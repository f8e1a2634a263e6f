// Decoding ACP params; see acp_types.hpp. Errors name the field that failed.
#include "server/acp/acp_types.hpp"

#include "protocol/json_decode.hpp"

namespace cadre::acp {

using protocol::DecodeError;
using protocol::ObjectMapper;

void from_json(const json& j, InitializeParams& p) {
  ObjectMapper(j).required("protocolVersion", p.protocolVersion);
  if (auto caps = j.find("clientCapabilities"); caps != j.end() && caps->is_object()) {
    if (auto fs = caps->find("fs"); fs != caps->end() && fs->is_object()) {
      // The schema deserializes a malformed capability as its default: off.
      p.readTextFile = fs->value("readTextFile", false) == true;
      p.writeTextFile = fs->value("writeTextFile", false) == true;
    }
  }
  if (auto info = j.find("clientInfo"); info != j.end() && info->is_object()) p.clientName = info->value("name", "");
}

void from_json(const json& j, AuthenticateParams& p) { ObjectMapper(j).required("methodId", p.methodId); }

void from_json(const json& j, McpServer& s) {
  ObjectMapper m(j);
  m.required("name", s.name);
  if (j.contains("url") || (j.contains("type") && j["type"] != "stdio"))
    throw DecodeError("type", "cadre takes stdio MCP servers only (mcpCapabilities.http and .sse are false)");
  m.required("command", s.command).optional("args", s.args);
  if (auto env = j.find("env"); env != j.end() && !env->is_null()) {
    if (!env->is_array()) throw DecodeError("env", std::string("expected array, got ") + env->type_name());
    for (std::size_t i = 0; i < env->size(); ++i) {
      std::string name, value;
      try {
        ObjectMapper((*env)[i]).required("name", name).required("value", value);
      } catch (const DecodeError& e) {
        throw e.within("[" + std::to_string(i) + "]").within("env");
      }
      s.env.emplace_back(std::move(name), std::move(value));
    }
  }
}

void from_json(const json& j, NewSessionParams& p) {
  ObjectMapper(j).required("cwd", p.cwd).optional("mcpServers", p.mcpServers);
  if (p.cwd.empty() || p.cwd.front() != '/') throw DecodeError("cwd", "must be an absolute path");
}

void from_json(const json& j, ContentBlock& b) {
  ObjectMapper m(j);
  m.required("type", b.type);
  if (b.type == "text") {
    m.required("text", b.text);
  } else if (b.type == "resource_link") {
    m.required("uri", b.uri).required("name", b.name).optional("mimeType", b.mimeType);
  } else if (b.type == "resource") {
    json resource;
    m.required("resource", resource);
    try {
      ObjectMapper r(resource);
      r.required("uri", b.uri).optional("mimeType", b.mimeType);
      if (!resource.contains("text")) throw DecodeError("text", "only text resources are supported (no blob)");
      r.required("text", b.text);
    } catch (const DecodeError& e) {
      throw e.within("resource");
    }
  } else if (b.type == "image" || b.type == "audio") {
    throw DecodeError("type", "cadre does not take " + b.type + " content (promptCapabilities." + b.type + " is false)");
  } else {
    throw DecodeError("type", "unknown content block type '" + b.type + "'");
  }
}

void from_json(const json& j, PromptParams& p) {
  ObjectMapper(j).required("sessionId", p.sessionId).required("prompt", p.prompt);
  if (p.prompt.empty()) throw DecodeError("prompt", "must not be empty");
}

void from_json(const json& j, SessionIdParams& p) { ObjectMapper(j).required("sessionId", p.sessionId); }

}  // namespace cadre::acp
