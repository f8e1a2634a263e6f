// Newline-delimited JSON-RPC framing: one message per line, no headers. The
// Agent Client Protocol's stdio transport (and MCP's) frame this way; the
// same StreamConnection carries it, so queueing, ordering and closing work
// exactly as for LSP's Content-Length framing (framing.hpp).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "protocol/framing.hpp"

namespace cadre::protocol {

struct LineLimits {
  // A longer line is refused and skipped to its end, not buffered: a prompt
  // with whole files embedded is a few MB; 64 MiB is far past that.
  std::size_t maxLineBytes = 64u << 20;
};

// Not thread-safe; each connection owns one. Emits FrameEvents like
// FrameReader: Message for a non-blank line (a trailing \r is dropped),
// Rejected for an over-long line (the stream stays in sync at the next
// newline). Never Fatal: a newline always resynchronizes.
class LineReader {
 public:
  explicit LineReader(LineLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes);
  bool hasEvent() const { return !events_.empty(); }
  FrameEvent next();
  // Bytes of an unfinished line are buffered (or being skipped).
  bool midMessage() const { return !buffer_.empty() || skipping_; }

 private:
  void finishLine();

  LineLimits limits_;
  std::string buffer_;
  bool skipping_ = false;
  std::deque<FrameEvent> events_;
};

// One message body as a line. JSON dumped without indentation escapes every
// control character inside strings, so the body itself holds no newline.
std::string frameLine(std::string_view body);

}  // namespace cadre::protocol
