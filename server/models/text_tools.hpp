// Tool calls for models without native function calling: the tools are
// described in the system prompt with one fixed format,
//     <tool_call>
//     {"name": "read_file", "arguments": {"path": "a.py"}}
//     </tool_call>
// and the reply is parsed tolerantly, because small local models drift: a
// missing closing tag, a fenced ```json block, "parameters" for "arguments",
// arguments as a JSON string, trailing commas, a reply that is nothing but
// the JSON object. Selected per model (`toolCalls: "text"`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/models/types.hpp"

namespace cadre::models {

// The system-prompt section that teaches the format and lists the tools.
std::string textToolPrompt(const std::vector<ToolDefinition>& tools);

// `request` for a model that gets tools as text: no tool definitions, the
// prompt section prepended to the system message, earlier tool calls and
// results written out in the same format.
ChatRequest toTextToolRequest(const ChatRequest& request);

struct ParsedToolText {
  std::string text;  // the reply without its tool-call blocks
  std::vector<ToolCall> calls;
};

// Finds the tool calls in a whole reply. `known` (when not empty) are the
// offered tool names: a bare JSON reply counts only when it names one.
ParsedToolText parseToolCalls(std::string_view reply, const std::vector<std::string>& known = {});

// While a reply streams: passes text on until a tool-call block begins and
// holds back a possible start of one ("<tool_" at the end of a delta), so a
// client never sees half a marker. Everything after a marker is kept for
// parseToolCalls.
class ToolTextFilter {
 public:
  // The text that may be shown now.
  std::string feed(std::string_view delta);
  // At the end: whatever was held back and turned out to be plain text.
  std::string flush();

 private:
  std::string held_;
  bool inCall_ = false;
};

}  // namespace cadre::models
