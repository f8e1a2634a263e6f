// The configuration cadre uses when the user has none: local Ollama for every
// role (DESIGN.md, "Defaults that must hold").
#include "server/models/model_config.hpp"

#include <cctype>
#include <cstdlib>

namespace cadre::models {

std::string ollamaBaseUrl(const char* ollamaHost) {
  // The same reading as Ollama's own client (envconfig.Host).
  std::string s = ollamaHost ? ollamaHost : "";
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::string scheme = "http";
  std::string defaultPort = "11434";
  std::string hostport = s;
  if (auto sep = s.find("://"); sep != std::string::npos) {
    scheme = s.substr(0, sep);
    hostport = s.substr(sep + 3);
    if (scheme == "http") defaultPort = "80";
    if (scheme == "https") defaultPort = "443";
  }
  std::string path;
  if (auto slash = hostport.find('/'); slash != std::string::npos) {
    path = hostport.substr(slash);
    hostport = hostport.substr(0, slash);
  }
  std::string host = "127.0.0.1", port = defaultPort;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    host = hostport.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < hostport.size() && hostport[close + 1] == ':') port = hostport.substr(close + 2);
  } else if (auto colon = hostport.rfind(':'); colon != std::string::npos && hostport.find(':') == colon) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (host.empty()) host = "127.0.0.1";
  } else if (!hostport.empty()) {
    host = hostport;  // a bare name or address (an IPv6 one without brackets)
  }
  // A server bound to every interface is reached on loopback.
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  const bool v6 = host.find(':') != std::string::npos;
  while (!path.empty() && path.back() == '/') path.pop_back();
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port + path;
}

RouterConfig defaultRouterConfig() {
  RouterConfig c;
  ModelSpec m;
  m.name = "ollama";
  m.api = Api::Ollama;
  m.model = "auto";
  m.endpoints = {ollamaBaseUrl(std::getenv("OLLAMA_HOST"))};
  c.models.push_back(m);
  for (const auto& role : roleNames()) c.roles[role] = {"ollama"};
  c.defaulted = true;
  return c;
}

}  // namespace cadre::models
