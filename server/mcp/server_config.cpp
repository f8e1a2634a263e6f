// Helpers around ServerConfig: variable expansion and tool naming.
#include "server/mcp/server_config.hpp"

#include <cstdlib>

namespace cadre::mcp {

Expected<std::string> expandVariables(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out.push_back('$');
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return makeError(ErrorCode::Config, "unterminated ${ in '" + std::string(text.substr(i, 40)) + "'");
    const std::string name(text.substr(i + 2, close - i - 2));
    const char* value = lookup ? lookup(name.c_str()) : std::getenv(name.c_str());
    if (!value) return makeError(ErrorCode::Config, "the environment variable " + name + " is not set");
    out += value;
    i = close;
  }
  return out;
}

bool referencesVariables(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '$' && text[i + 1] == '$') {
      ++i;
      continue;
    }
    if (text[i] == '$' && text[i + 1] == '{') return true;
  }
  return false;
}

std::string qualifiedToolName(std::string_view server, std::string_view tool) {
  std::string name = std::string(server) + "__" + std::string(tool);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (name.size() > 64) name.resize(64);
  return name;
}

std::string describe(const ServerConfig& config) {
  if (config.transport == TransportKind::Http) return "http: " + config.url;
  std::string s = "stdio: " + config.command;
  for (const auto& a : config.args) s += " " + a;
  return s;
}

}  // namespace cadre::mcp
