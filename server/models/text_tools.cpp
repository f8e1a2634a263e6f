// The prompted tool-call format and its tolerant parser; see text_tools.hpp.
#include "server/models/text_tools.hpp"

#include <algorithm>
#include <cctype>

namespace cadre::models {
namespace {

using json = nlohmann::json;

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";
constexpr std::string_view kFence = "```";

// The span of the first balanced {...} at or after `from` (strings and
// escapes respected); an unbalanced tail runs to the end.
std::pair<std::size_t, std::size_t> objectSpan(std::string_view s, std::size_t from) {
  std::size_t start = s.find('{', from);
  if (start == std::string_view::npos) return {std::string_view::npos, 0};
  int depth = 0;
  bool inString = false, escaped = false;
  for (std::size_t i = start; i < s.size(); ++i) {
    char c = s[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return {start, i + 1 - start};
  }
  return {start, s.size() - start};
}

// Repairs the usual slips: trailing commas, a truncated tail (closes open
// strings, arrays and objects), Python literals outside strings.
std::string repairJson(std::string_view s) {
  std::string out;
  std::vector<char> stack;
  bool inString = false, escaped = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      stack.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      // drop a trailing comma before the closer
      std::size_t k = out.size();
      while (k > 0 && std::isspace(static_cast<unsigned char>(out[k - 1]))) --k;
      if (k > 0 && out[k - 1] == ',') out.erase(k - 1, 1);
      if (!stack.empty()) stack.pop_back();
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
      std::string_view word = s.substr(i, j - i);
      if (word == "True") out += "true";
      else if (word == "False") out += "false";
      else if (word == "None") out += "null";
      else out += word;
      i = j - 1;
      continue;
    }
    out += c;
  }
  if (inString) out += '"';
  while (!stack.empty()) {
    std::size_t k = out.size();
    while (k > 0 && std::isspace(static_cast<unsigned char>(out[k - 1]))) --k;
    if (k > 0 && out[k - 1] == ',') out.erase(k - 1);
    out += stack.back();
    stack.pop_back();
  }
  return out;
}

json parseLenient(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded()) return j;
  return json::parse(repairJson(text), nullptr, false);
}

// {"name", "arguments"} in any of the shapes models produce.
bool toCall(const json& j, ToolCall& call) {
  if (!j.is_object()) return false;
  const json* fn = &j;
  if (auto it = j.find("function"); it != j.end() && it->is_object()) fn = &*it;
  std::string name;
  for (const char* key : {"name", "tool", "tool_name", "function"}) {
    if (auto it = fn->find(key); it != fn->end() && it->is_string()) {
      name = it->get<std::string>();
      break;
    }
  }
  if (name.empty()) return false;
  json args = json::object();
  for (const char* key : {"arguments", "parameters", "args", "input"}) {
    if (auto it = fn->find(key); it != fn->end()) {
      args = *it;
      break;
    }
  }
  if (args.is_string()) {
    json inner = parseLenient(args.get<std::string>());
    args = inner.is_discarded() ? json::object() : inner;
  }
  if (args.is_null()) args = json::object();
  call.name = name;
  call.arguments = args.dump();
  return true;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string renderCall(const ToolCall& call) {
  json args = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
  if (args.is_discarded()) args = call.arguments;
  return std::string(kOpen) + "\n" + json({{"name", call.name}, {"arguments", args}}).dump() + "\n" + std::string(kClose);
}

}  // namespace

std::string textToolPrompt(const std::vector<ToolDefinition>& tools) {
  std::string out =
      "You can call tools. To call one, reply with a block in exactly this form and nothing after it:\n"
      "<tool_call>\n"
      "{\"name\": \"TOOL_NAME\", \"arguments\": {ARGUMENTS AS A JSON OBJECT}}\n"
      "</tool_call>\n"
      "You may put several blocks one after another to call several tools. Each result comes back to you in a "
      "<tool_result name=\"TOOL_NAME\"> block. When you need no tool, answer normally.\n\n"
      "Tools:\n";
  for (const auto& t : tools) {
    out += "- " + t.name;
    if (!t.description.empty()) out += ": " + t.description;
    out += "\n  arguments (JSON Schema): " + t.parameters.dump() + "\n";
  }
  return out;
}

ChatRequest toTextToolRequest(const ChatRequest& request) {
  ChatRequest out = request;
  out.tools.clear();
  out.messages.clear();
  if (!request.tools.empty()) {
    std::string prompt = textToolPrompt(request.tools);
    bool placed = false;
    for (const auto& m : request.messages) {
      if (m.role == Role::System && !placed) {
        ChatMessage sys = m;
        sys.content = prompt + "\n" + m.content;
        out.messages.push_back(std::move(sys));
        placed = true;
        continue;
      }
      if (!placed) {
        out.messages.push_back(ChatMessage{Role::System, prompt, {}, {}, {}});
        placed = true;
      }
      out.messages.push_back(m);
    }
    if (!placed) out.messages.push_back(ChatMessage{Role::System, prompt, {}, {}, {}});
  } else {
    out.messages = request.messages;
  }
  // Earlier calls and results in the same text form, so the model sees its
  // own protocol in the history.
  for (auto& m : out.messages) {
    if (m.role == Role::Assistant && !m.toolCalls.empty()) {
      for (const auto& call : m.toolCalls) m.content += (m.content.empty() ? "" : "\n") + renderCall(call);
      m.toolCalls.clear();
    } else if (m.role == Role::Tool) {
      m.role = Role::User;
      m.content = "<tool_result name=\"" + m.toolName + "\">\n" + m.content + "\n</tool_result>";
      m.toolCallId.clear();
      m.toolName.clear();
    }
  }
  return out;
}

ParsedToolText parseToolCalls(std::string_view reply, const std::vector<std::string>& known) {
  ParsedToolText out;
  auto isKnown = [&](const std::string& name) { return known.empty() || std::find(known.begin(), known.end(), name) != known.end(); };
  std::size_t pos = 0;
  while (pos < reply.size()) {
    std::size_t open = reply.find(kOpen, pos);
    std::size_t fence = reply.find(kFence, pos);
    if (open == std::string_view::npos && fence == std::string_view::npos) {
      out.text.append(reply.substr(pos));
      break;
    }
    if (open != std::string_view::npos && (fence == std::string_view::npos || open < fence)) {
      out.text.append(reply.substr(pos, open - pos));
      std::size_t bodyStart = open + kOpen.size();
      std::size_t close = reply.find(kClose, bodyStart);
      std::string_view body = reply.substr(bodyStart, close == std::string_view::npos ? std::string_view::npos : close - bodyStart);
      // A block may hold one object or several.
      std::size_t at = 0;
      bool any = false;
      while (true) {
        auto [s, n] = objectSpan(body, at);
        if (s == std::string_view::npos) break;
        ToolCall call;
        if (toCall(parseLenient(body.substr(s, n)), call)) {
          out.calls.push_back(std::move(call));
          any = true;
        }
        at = s + n;
      }
      if (!any) out.text.append(reply.substr(open, (close == std::string_view::npos ? reply.size() : close + kClose.size()) - open));
      pos = close == std::string_view::npos ? reply.size() : close + kClose.size();
      continue;
    }
    // A fenced block: a tool call when it holds exactly one known call.
    std::size_t infoEnd = reply.find('\n', fence + kFence.size());
    std::size_t end = infoEnd == std::string_view::npos ? std::string_view::npos : reply.find(kFence, infoEnd);
    std::size_t blockEnd = end == std::string_view::npos ? reply.size() : end + kFence.size();
    if (infoEnd != std::string_view::npos) {
      std::string_view info = reply.substr(fence + kFence.size(), infoEnd - fence - kFence.size());
      std::string_view body = reply.substr(infoEnd + 1, (end == std::string_view::npos ? reply.size() : end) - infoEnd - 1);
      std::string lang = trimmed(info);
      ToolCall call;
      if ((lang.empty() || lang == "json" || lang == "tool_call") && toCall(parseLenient(trimmed(body)), call) && isKnown(call.name)) {
        out.text.append(reply.substr(pos, fence - pos));
        out.calls.push_back(std::move(call));
        pos = blockEnd;
        continue;
      }
    }
    out.text.append(reply.substr(pos, blockEnd - pos));
    pos = blockEnd;
  }
  if (out.calls.empty()) {
    // The whole reply may be the bare object (or an array of them).
    std::string whole = trimmed(out.text);
    if (!whole.empty() && (whole.front() == '{' || whole.front() == '[')) {
      json j = parseLenient(whole);
      std::vector<ToolCall> calls;
      auto take = [&](const json& item) {
        ToolCall call;
        if (toCall(item, call) && isKnown(call.name)) calls.push_back(std::move(call));
      };
      if (j.is_array()) {
        for (const auto& item : j) take(item);
      } else {
        take(j);
      }
      if (!calls.empty()) {
        out.calls = std::move(calls);
        out.text.clear();
      }
    }
  }
  for (std::size_t i = 0; i < out.calls.size(); ++i) out.calls[i].id = "call_" + std::to_string(i);
  out.text = trimmed(out.text);
  return out;
}

std::string ToolTextFilter::feed(std::string_view delta) {
  if (inCall_) return {};
  held_.append(delta);
  if (auto at = held_.find(kOpen); at != std::string::npos) {
    inCall_ = true;
    std::string shown = held_.substr(0, at);
    held_.clear();
    return shown;
  }
  // Keep back the longest tail that could still become the marker.
  std::size_t keep = 0;
  for (std::size_t n = std::min(held_.size(), kOpen.size() - 1); n > 0; --n) {
    if (kOpen.compare(0, n, held_, held_.size() - n, n) == 0) {
      keep = n;
      break;
    }
  }
  std::string shown = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return shown;
}

std::string ToolTextFilter::flush() {
  if (inCall_) return {};
  std::string rest = std::move(held_);
  held_.clear();
  return rest;
}

}  // namespace cadre::models
