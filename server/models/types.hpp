// The one request/response shape every provider is translated to and from, so
// the router and the agent never see a wire format. Plain structs; the
// providers convert at their boundary (openai.cpp, anthropic.cpp, ollama.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::models {

enum class Role { System, User, Assistant, Tool };
const char* roleName(Role role);

// A tool the model may call; `parameters` is a JSON Schema object.
struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();
};

// A call the model made. `arguments` is the JSON text exactly as assembled
// from the stream; `id` is the provider's (synthesised when it sends none).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
};

struct ChatMessage {
  Role role = Role::User;
  std::string content;
  std::vector<ToolCall> toolCalls;  // assistant turns that called tools
  std::string toolCallId;           // Role::Tool: the call this answers
  std::string toolName;             // Role::Tool: that call's tool (Ollama and the text protocol want it)
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolDefinition> tools;
  std::optional<int> maxTokens;  // capped by the model's and the request budget's limit
  std::optional<double> temperature;
  // Where the content in `messages` came from (paths relative to the project,
  // as the caller knows them). models never reads them: the router matches
  // them against router.sensitive to keep such content on local models.
  std::vector<std::string> sourcePaths;
};

enum class StopReason { EndTurn, ToolUse, MaxTokens, StopSequence, ContentFilter, Unknown };
const char* stopReasonName(StopReason reason);

struct Usage {
  std::int64_t promptTokens = 0;
  std::int64_t completionTokens = 0;
};

struct ChatResponse {
  std::string text;
  std::vector<ToolCall> toolCalls;
  StopReason stopReason = StopReason::Unknown;
  std::string rawStopReason;  // the provider's own word, for logs
  Usage usage;
  bool usageReported = false;  // false: the provider sent no counts
  std::string model;           // config name of the model that answered
  std::string servedModel;     // the provider's model id
  std::string endpoint;        // base URL that served it
  double timeToFirstTokenMs = 0;
  double durationMs = 0;
};

// What a caller sees while a response streams. Called on the HTTP thread, in
// order, never after onDone; keep them short.
struct StreamCallbacks {
  std::function<void(std::string_view)> onText;
  // A tool call as far as it has arrived (arguments so far); fires on every
  // argument fragment, so a client can show a call forming.
  std::function<void(std::size_t index, const ToolCall&)> onToolCall;
};

}  // namespace cadre::models
