// Shaping proposed decisions into MEMORY.md entries; see memory.hpp.
#include "server/agent/memory.hpp"

namespace cadre::agent {

namespace {

constexpr std::size_t kMaxDecisionBytes = 500;  // a decision is a line, not an essay

std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::vector<std::string> decisionsFrom(const nlohmann::json& value) {
  std::vector<std::string> out;
  auto add = [&](const nlohmann::json& v) {
    std::string text;
    if (v.is_string()) text = v.get<std::string>();
    else if (v.is_object() && v.contains("decision") && v["decision"].is_string()) {
      text = v["decision"].get<std::string>();
      if (v.contains("why") && v["why"].is_string() && !v["why"].get<std::string>().empty())
        text += " (why: " + v["why"].get<std::string>() + ")";
    }
    text = oneLine(text);
    if (!text.empty() && text.size() <= kMaxDecisionBytes) out.push_back(text);
  };
  if (value.is_array()) for (const auto& v : value) add(v);
  else add(value);
  return out;
}

std::string memoryEntry(const std::string& task, const std::string& prompt, const std::vector<std::string>& decisions,
                        const std::string& date) {
  std::string title = oneLine(prompt);
  if (title.size() > 80) title = title.substr(0, 77) + "...";
  std::string out = "\n## " + date + " — " + task + ": " + title + "\n\n";
  for (const auto& d : decisions) out += "- " + d + "\n";
  return out;
}

}  // namespace cadre::agent
