// Server-Sent Events, incrementally (the WHATWG event-stream rules): bytes go
// in as the network delivers them — an event, a line, a CRLF pair or a UTF-8
// character may be cut anywhere — and whole events come out. Nothing is
// decoded until its line is complete, so a split multi-byte character is
// simply joined again. Comment lines (": keep-alive") are counted, not
// emitted. OpenAI-compatible and Anthropic streams are parsed with it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::models {

struct SseEvent {
  std::string event;  // empty: the default type, "message"
  std::string data;   // the data lines joined with "\n"
  std::string id;
};

class SseParser {
 public:
  using Sink = std::function<void(const SseEvent&)>;
  // A line longer than this is an error: a stream that never ends a line
  // would otherwise grow the buffer without bound.
  static constexpr std::size_t kMaxLineBytes = 16u << 20;

  explicit SseParser(Sink sink) : sink_(std::move(sink)) {}

  Expected<void> feed(std::string_view bytes);
  // End of stream: an event not yet closed by a blank line is dropped, as the
  // spec says; returns whether one was pending (a truncated stream).
  bool finish();

  std::size_t comments() const { return comments_; }

 private:
  void line(std::string_view text);

  Sink sink_;
  std::string partial_;  // an unfinished line
  bool afterCr_ = false;  // the last byte was CR: a following LF belongs to it
  bool started_ = false;  // a leading BOM has been checked for
  SseEvent event_;
  bool hasData_ = false;
  bool pending_ = false;
  std::size_t comments_ = 0;
};

}  // namespace cadre::models
