// Server-Sent Events as OpenAI-compatible servers and Anthropic send them:
// the SSE parser on its own, and each provider's stream decoder on top of it.
// Arbitrary bytes must never crash them, and the events, text, tool calls,
// stop reason and failure must not depend on where the network cut the bytes.
#include <cstdlib>
#include <string>

#include "server/models/provider.hpp"
#include "server/models/sse.hpp"
#include "tests/fuzz/pieces.hpp"
#include "tests/fuzz/stream_outcome.hpp"

using namespace cadre;
using namespace cadre::models;

namespace {

std::string sseEvents(const std::vector<std::string_view>& pieces, std::string& error) {
  std::string out;
  SseParser parser([&](const SseEvent& e) { out += e.event + "\x1f" + e.data + "\x1f" + e.id + "\x1e"; });
  for (auto piece : pieces) {
    auto r = parser.feed(piece);
    if (!r) {
      error = r.error().message;
      return out;
    }
  }
  out += parser.finish() ? "truncated" : "complete";
  out += "/" + std::to_string(parser.comments());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::CutInput in = fuzz::cutInput(data, size);
  std::string wholeError, cutError;
  if (sseEvents({in.body}, wholeError) != sseEvents(in.pieces, cutError) || wholeError != cutError) std::abort();
  for (Api api : {Api::OpenAI, Api::Anthropic}) {
    if (fuzz::decodeStream(api, {in.body}) != fuzz::decodeStream(api, in.pieces)) std::abort();
  }
  return 0;
}
