// Token estimates, budget cuts and the mechanics of compaction; see context.hpp.
#include "server/agent/context.hpp"

namespace cadre::agent {

namespace {

constexpr std::int64_t kPerMessageTokens = 4;  // role and framing each provider adds

std::string firstLine(const std::string& text, std::size_t max) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > max) line = line.substr(0, max) + "...";
  return line;
}

std::string cutUtf8(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace

std::int64_t estimateTokens(std::string_view text) { return static_cast<std::int64_t>((text.size() + 3) / 4); }

std::int64_t estimateTokens(const std::vector<models::ChatMessage>& messages,
                            const std::vector<models::ToolDefinition>& tools) {
  std::int64_t n = 0;
  for (const auto& m : messages) {
    n += kPerMessageTokens + estimateTokens(m.content);
    for (const auto& c : m.toolCalls) n += kPerMessageTokens + estimateTokens(c.name) + estimateTokens(c.arguments);
  }
  for (const auto& t : tools) n += estimateTokens(t.name) + estimateTokens(t.description) + estimateTokens(t.parameters.dump());
  return n;
}

std::string fitToTokens(const std::string& text, std::int64_t tokens, std::string_view what) {
  if (estimateTokens(text) <= tokens) return text;
  const std::size_t bytes = tokens <= 0 ? 0 : static_cast<std::size_t>(tokens) * 4;
  std::string cut = cutUtf8(text, bytes);
  if (auto nl = cut.rfind('\n'); nl != std::string::npos) cut.resize(nl + 1);
  return cut + "[" + std::string(what) + " cut to fit the model's context window: " + std::to_string(cut.size()) + " of " +
         std::to_string(text.size()) + " bytes]\n";
}

std::optional<std::pair<std::size_t, std::size_t>> compactionRange(const std::vector<models::ChatMessage>& messages,
                                                                   std::size_t pinned, std::size_t keepTurns) {
  std::size_t tail = messages.size();
  std::size_t turns = 0;
  while (tail > pinned && turns < keepTurns) {
    --tail;
    if (messages[tail].role == models::Role::Assistant) ++turns;
  }
  // Never start the kept tail on a tool result: its call would be gone.
  while (tail > pinned && messages[tail].role == models::Role::Tool) --tail;
  if (tail < pinned + 2) return std::nullopt;
  return std::make_pair(pinned, tail);
}

std::string transcript(const std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last,
                       std::size_t perResult) {
  std::string out;
  for (std::size_t i = first; i < last && i < messages.size(); ++i) {
    const auto& m = messages[i];
    switch (m.role) {
      case models::Role::Tool:
        out += "[result of " + m.toolName + "]\n" + cutUtf8(m.content, perResult) +
               (m.content.size() > perResult ? "\n[... " + std::to_string(m.content.size() - perResult) + " bytes more]" : "") +
               "\n";
        break;
      case models::Role::Assistant:
        if (!m.content.empty()) out += "[assistant]\n" + cutUtf8(m.content, perResult) + "\n";
        for (const auto& c : m.toolCalls) out += "[assistant calls " + c.name + "] " + cutUtf8(c.arguments, 400) + "\n";
        break;
      default:
        out += std::string("[") + models::roleName(m.role) + "]\n" + cutUtf8(m.content, perResult) + "\n";
    }
  }
  return out;
}

std::string digest(const std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last) {
  std::string out;
  for (std::size_t i = first; i < last && i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == models::Role::Tool) {
      out += "  → " + firstLine(m.content, 160) + "\n";
    } else if (m.role == models::Role::Assistant) {
      if (!m.content.empty()) out += "- said: " + firstLine(m.content, 200) + "\n";
      for (const auto& c : m.toolCalls) out += "- called " + c.name + " " + firstLine(c.arguments, 160) + "\n";
    } else {
      out += "- was told: " + firstLine(m.content, 200) + "\n";
    }
  }
  return out;
}

void replaceWithSummary(std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last,
                        const std::string& summary, const std::vector<std::string>& decisions) {
  std::string text =
      "Summary of the earlier part of this conversation (compacted to fit the model's context window; the task, "
      "memory and plan above are unchanged):\n" +
      summary;
  if (!decisions.empty()) {
    text += "\nDecisions proposed so far (keep them):\n";
    for (const auto& d : decisions) text += "- " + d + "\n";
  }
  models::ChatMessage note;
  note.role = models::Role::User;
  note.content = std::move(text);
  messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(first), messages.begin() + static_cast<std::ptrdiff_t>(last));
  messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(first), std::move(note));
}

}  // namespace cadre::agent
