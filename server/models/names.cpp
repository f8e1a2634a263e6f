// The printable names of the models part's enums, in one place so logs,
// the CLI and the wire agree.
#include "server/models/failure.hpp"
#include "server/models/model_config.hpp"
#include "server/models/types.hpp"

namespace cadre::models {

const char* roleName(Role role) {
  switch (role) {
    case Role::System: return "system";
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
    case Role::Tool: return "tool";
  }
  return "user";
}

const char* stopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::EndTurn: return "end_turn";
    case StopReason::ToolUse: return "tool_use";
    case StopReason::MaxTokens: return "max_tokens";
    case StopReason::StopSequence: return "stop_sequence";
    case StopReason::ContentFilter: return "content_filter";
    case StopReason::Unknown: return "unknown";
  }
  return "unknown";
}

const char* apiName(Api api) {
  switch (api) {
    case Api::OpenAI: return "openai";
    case Api::Anthropic: return "anthropic";
    case Api::Ollama: return "ollama";
  }
  return "openai";
}

}  // namespace cadre::models
