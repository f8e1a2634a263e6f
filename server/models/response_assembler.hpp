// Builds one ChatResponse from a provider's stream events and forwards each
// piece to the caller as it comes: text deltas, tool calls growing fragment
// by fragment (several at once, by slot), usage and the stop reason. The
// decoders of all three providers feed it, so what a caller sees does not
// depend on the wire format. For models on the text tool protocol it also
// keeps tool-call blocks out of the streamed text and parses them at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/models/text_tools.hpp"
#include "server/models/types.hpp"

namespace cadre::models {

class ResponseAssembler {
 public:
  using Clock = std::chrono::steady_clock;

  // `textToolNames`: the tools offered, when the model uses the text protocol.
  ResponseAssembler(StreamCallbacks callbacks, bool textTools, std::vector<std::string> textToolNames = {});

  void text(std::string_view delta);
  // A piece of the tool call in `slot`: its id and name when first known,
  // then argument fragments.
  void toolCallDelta(std::size_t slot, std::string_view id, std::string_view name, std::string_view argumentsFragment);
  std::size_t toolCallSlots() const { return calls_.size(); }
  const std::string& toolCallId(std::size_t slot) const { return calls_[slot].id; }
  // A complete call (Ollama sends them whole).
  void toolCall(ToolCall call);
  void promptTokens(std::int64_t n);
  void completionTokens(std::int64_t n);
  void stop(StopReason reason, std::string raw);

  bool stopped() const { return stopped_; }
  // Whether the caller has been shown anything (then a retry elsewhere would repeat it).
  bool delivered() const { return delivered_; }
  std::optional<Clock::time_point> firstToken() const { return firstToken_; }
  std::size_t textBytes() const { return textBytes_; }

  // The response as it stands; at the end of a stream.
  ChatResponse finish();

 private:
  void markToken();

  StreamCallbacks cb_;
  bool textTools_;
  std::vector<std::string> toolNames_;
  ToolTextFilter filter_;
  std::string fullText_;  // everything the model said (the text protocol parses it)
  std::string shownText_;
  std::vector<ToolCall> calls_;
  ChatResponse response_;
  bool stopped_ = false;
  bool delivered_ = false;
  std::size_t textBytes_ = 0;
  std::optional<Clock::time_point> firstToken_;
};

}  // namespace cadre::models
