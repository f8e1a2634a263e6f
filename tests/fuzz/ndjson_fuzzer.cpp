// Newline-delimited JSON as Ollama streams it: the NDJSON line splitter on its
// own and Ollama's decoder on top. Arbitrary bytes must never crash them, and
// what comes out must not depend on where the network cut the bytes.
#include <cstdlib>
#include <string>

#include "server/models/ndjson.hpp"
#include "server/models/provider.hpp"
#include "tests/fuzz/pieces.hpp"
#include "tests/fuzz/stream_outcome.hpp"

using namespace cadre;
using namespace cadre::models;

namespace {

std::string lines(const std::vector<std::string_view>& pieces) {
  std::string out;
  NdjsonParser parser([&](std::string_view line) {
    out.append(line);
    out += '\x1e';
  });
  for (auto piece : pieces) {
    auto r = parser.feed(piece);
    if (!r) return out + "error: " + r.error().message;
  }
  return out + (parser.finish() ? "unterminated" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::CutInput in = fuzz::cutInput(data, size);
  if (lines({in.body}) != lines(in.pieces)) std::abort();
  if (fuzz::decodeStream(Api::Ollama, {in.body}) != fuzz::decodeStream(Api::Ollama, in.pieces)) std::abort();
  return 0;
}
