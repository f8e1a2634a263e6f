// See tool_args.hpp.
#include "server/agent/tool_args.hpp"

#include <algorithm>

namespace cadre::agent {

nlohmann::json objectSchema(nlohmann::json properties, std::vector<std::string> required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}, {"additionalProperties", false}};
}

std::string stringArg(const nlohmann::json& args, const char* key, std::string fallback) {
  auto it = args.find(key);
  return it != args.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::int64_t intArg(const nlohmann::json& args, const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_number_integer()) return fallback;
  return std::clamp<std::int64_t>(it->get<std::int64_t>(), min, max);
}

std::vector<std::string> stringsArg(const nlohmann::json& args, const char* key) {
  std::vector<std::string> out;
  if (auto it = args.find(key); it != args.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

bool capText(std::string& text, std::size_t max) {
  if (text.size() <= max) return false;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  const std::size_t total = text.size();
  text.resize(cut);
  text += "\n[truncated: " + std::to_string(cut) + " of " + std::to_string(total) + " bytes shown]\n";
  return true;
}

}  // namespace cadre::agent
