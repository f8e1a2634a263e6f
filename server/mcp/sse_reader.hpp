// Server-Sent Events for Streamable HTTP responses: bytes in as the network
// delivers them, whole events out (data lines joined with "\n"). Enough of
// the WHATWG rules for MCP: `data:`, `event:`, `id:`, comments, CR/LF/CRLF.
// A line or an event larger than the cap is an error, not unbounded growth.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::mcp {

struct SseEvent {
  std::string event;  // empty: "message"
  std::string data;
  std::string id;
};

class SseReader {
 public:
  using Sink = std::function<void(SseEvent)>;
  SseReader(Sink sink, std::size_t maxLineBytes) : sink_(std::move(sink)), maxLine_(maxLineBytes) {}
  Expected<void> feed(std::string_view bytes);

 private:
  void line(std::string_view text);
  Sink sink_;
  std::size_t maxLine_;
  std::string partial_;
  bool afterCr_ = false;
  SseEvent event_;
  bool hasData_ = false;
};

}  // namespace cadre::mcp
