// Stream events → ChatResponse and caller callbacks; see response_assembler.hpp.
#include "server/models/response_assembler.hpp"

namespace cadre::models {

ResponseAssembler::ResponseAssembler(StreamCallbacks callbacks, bool textTools, std::vector<std::string> textToolNames)
    : cb_(std::move(callbacks)), textTools_(textTools), toolNames_(std::move(textToolNames)) {}

void ResponseAssembler::markToken() {
  if (!firstToken_) firstToken_ = Clock::now();
}

void ResponseAssembler::text(std::string_view delta) {
  if (delta.empty()) return;
  markToken();
  textBytes_ += delta.size();
  fullText_.append(delta);
  if (!textTools_) {
    delivered_ = true;
    if (cb_.onText) cb_.onText(delta);
    return;
  }
  std::string shown = filter_.feed(delta);
  if (!shown.empty()) {
    delivered_ = true;
    if (cb_.onText) cb_.onText(shown);
  }
}

void ResponseAssembler::toolCallDelta(std::size_t slot, std::string_view id, std::string_view name, std::string_view fragment) {
  markToken();
  if (slot >= calls_.size()) calls_.resize(slot + 1);
  ToolCall& call = calls_[slot];
  if (!id.empty() && call.id.empty()) call.id.assign(id);
  if (!name.empty() && call.name.empty()) call.name.assign(name);
  call.arguments.append(fragment);
  delivered_ = true;
  if (cb_.onToolCall) cb_.onToolCall(slot, call);
}

void ResponseAssembler::toolCall(ToolCall call) {
  markToken();
  calls_.push_back(std::move(call));
  delivered_ = true;
  if (cb_.onToolCall) cb_.onToolCall(calls_.size() - 1, calls_.back());
}

void ResponseAssembler::promptTokens(std::int64_t n) {
  response_.usage.promptTokens = n;
  response_.usageReported = true;
}

void ResponseAssembler::completionTokens(std::int64_t n) {
  response_.usage.completionTokens = n;
  response_.usageReported = true;
}

void ResponseAssembler::stop(StopReason reason, std::string raw) {
  stopped_ = true;
  response_.stopReason = reason;
  response_.rawStopReason = std::move(raw);
}

ChatResponse ResponseAssembler::finish() {
  ChatResponse out = response_;
  if (textTools_) {
    if (std::string rest = filter_.flush(); !rest.empty()) {
      delivered_ = true;
      if (cb_.onText) cb_.onText(rest);
    }
    ParsedToolText parsed = parseToolCalls(fullText_, toolNames_);
    out.text = std::move(parsed.text);
    out.toolCalls = std::move(parsed.calls);
    if (!out.toolCalls.empty() && (out.stopReason == StopReason::EndTurn || out.stopReason == StopReason::StopSequence ||
                                   out.stopReason == StopReason::Unknown))
      out.stopReason = StopReason::ToolUse;
  } else {
    out.text = fullText_;
    for (std::size_t i = 0; i < calls_.size(); ++i) {
      ToolCall call = calls_[i];
      if (call.name.empty() && call.arguments.empty()) continue;  // a slot nobody filled
      if (call.id.empty()) call.id = "call_" + std::to_string(i);
      if (call.arguments.empty()) call.arguments = "{}";
      out.toolCalls.push_back(std::move(call));
    }
    if (!out.toolCalls.empty() && out.stopReason == StopReason::Unknown) out.stopReason = StopReason::ToolUse;
  }
  if (out.stopReason == StopReason::Unknown && stopped_ && out.rawStopReason.empty()) out.stopReason = StopReason::EndTurn;
  return out;
}

}  // namespace cadre::models
