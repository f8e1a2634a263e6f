// One provider's stream decoder run over body pieces, summed up as text so two
// runs can be compared: every callback, the assembled response and the
// failure. Timing fields are left out; they differ between runs by nature.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/models/provider.hpp"
#include "server/models/response_assembler.hpp"

namespace cadre::fuzz {

inline std::string decodeStream(models::Api api, const std::vector<std::string_view>& pieces) {
  std::string seen;
  models::StreamCallbacks cb;
  cb.onText = [&](std::string_view t) { seen.append("T:").append(t) += '\x1e'; };
  cb.onToolCall = [&](std::size_t i, const models::ToolCall& c) {
    seen += "C" + std::to_string(i) + ":" + c.id + "|" + c.name + "|" + c.arguments + '\x1e';
  };
  // The Anthropic runs also use the text tool protocol, so its filter sees the
  // cuts too.
  models::ResponseAssembler out(cb, api == models::Api::Anthropic, {"read_file", "edit_file"});
  models::ErrorContext ctx{"fuzz", "fuzz-model", "http://127.0.0.1:1", "", "config.json"};
  auto decoder = models::providerFor(api).decoder(out, ctx);
  std::optional<models::Failure> failure;
  for (auto piece : pieces) {
    if ((failure = decoder->feed(piece))) break;
  }
  if (!failure) failure = decoder->finish();
  models::ChatResponse r = out.finish();
  seen += "text:" + r.text + "\nstop:" + std::to_string(static_cast<int>(r.stopReason)) + r.rawStopReason;
  for (const auto& c : r.toolCalls) seen += "\ncall:" + c.id + "|" + c.name + "|" + c.arguments;
  seen += "\nusage:" + std::to_string(r.usageReported) + std::to_string(r.usage.promptTokens) + "/" + std::to_string(r.usage.completionTokens);
  if (failure) seen += "\nfailure:" + std::to_string(static_cast<int>(failure->kind)) + failure->error.message;
  return seen;
}

}  // namespace cadre::fuzz
