// Key lookup; see credentials.hpp.
#include "server/models/credentials.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cadre::models {
namespace {

std::string expandHome(const std::string& path) {
  if (path.rfind("~/", 0) == 0) {
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + path.substr(1);
  }
  return path;
}

}  // namespace

std::string keySource(const ModelSpec& spec) {
  if (!spec.keyEnv.empty()) return "the environment variable " + spec.keyEnv + " (models." + spec.name + ".keyEnv)";
  if (!spec.keyFile.empty()) return "the key file " + spec.keyFile + " (models." + spec.name + ".keyFile)";
  return {};
}

Expected<std::optional<std::string>> loadKey(const ModelSpec& spec) {
  std::string key;
  if (!spec.keyEnv.empty()) {
    const char* value = std::getenv(spec.keyEnv.c_str());
    if (!value || !*value) return makeError(ErrorCode::Unauthorized, spec.name + ": " + keySource(spec) + " is not set");
    key = value;
  } else if (!spec.keyFile.empty()) {
    std::ifstream in(expandHome(spec.keyFile), std::ios::binary);
    if (!in) return makeError(ErrorCode::Unauthorized, spec.name + ": " + keySource(spec) + " cannot be read");
    std::stringstream buf;
    buf << in.rdbuf();
    key = buf.str();
  } else {
    return std::optional<std::string>{};
  }
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  if (key.empty()) return makeError(ErrorCode::Unauthorized, spec.name + ": " + keySource(spec) + " is empty");
  for (unsigned char c : key) {
    // A line break would let the value forge headers of its own.
    if (c < 0x20 || c == 0x7f) return makeError(ErrorCode::Unauthorized, spec.name + ": " + keySource(spec) + " holds a control character");
  }
  return std::optional<std::string>{std::move(key)};
}

std::string scrubKey(std::string text, const std::optional<std::string>& key) {
  if (!key || key->size() < 8) return text;
  auto replaceAll = [&](const std::string& needle) {
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at)) {
      text.replace(at, needle.size(), "[REDACTED:key]");
      at += 14;
    }
  };
  replaceAll(*key);
  if (key->size() >= 16) replaceAll(key->substr(0, 10));  // "sk-proj-ab***yz"-style echoes
  return text;
}

}  // namespace cadre::models
