// The LSP base protocol's framing ("Content-Length: N\r\n\r\n<N bytes>") as an
// incremental parser, shared by every transport (stdio, TCP) and the fuzzer.
// It never buffers more than one capped message and never trusts a length it
// has not checked.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace cadre::protocol {

// Named limits; the reasons sit beside them.
struct FrameLimits {
  // Larger bodies are refused (and skipped unread) rather than buffered: a
  // whole large source file in didOpen is a few MB; 64 MiB is far past that.
  std::size_t maxContentLength = 64u << 20;
  // A header block is two short lines in practice; 8 KiB stops a client that
  // streams header bytes forever.
  std::size_t maxHeaderBytes = 8u << 10;
};

// Beyond this a declared length is not an oversized message but a broken or
// hostile peer: the connection closes instead of skipping the body.
inline constexpr std::size_t kAbsurdContentLength = std::size_t{1} << 36;  // 64 GiB

struct FrameEvent {
  enum class Kind {
    Message,   // `body` holds one whole message
    Rejected,  // a framing error that was skipped; the stream is still in sync
    Fatal,     // a framing error after which the stream cannot be trusted
  };
  Kind kind;
  std::string body;   // Message only
  std::string error;  // Rejected / Fatal: what was wrong, for the client
};

// Not thread-safe; each connection owns one and feeds it from its read loop.
class FrameReader {
 public:
  explicit FrameReader(FrameLimits limits = {}) : limits_(limits) {}

  // Consumes `bytes`; events become available through next().
  void feed(std::string_view bytes);
  bool hasEvent() const { return !events_.empty(); }
  FrameEvent next();

  // True when bytes of an unfinished message are buffered (EOF now means the
  // peer cut a message short).
  bool midMessage() const;
  // After a Fatal event the reader ignores all further input.
  bool dead() const { return state_ == State::Dead; }

 private:
  enum class State { Headers, Body, Skip, Dead };
  void parseHeaders();
  void fail(std::string error);

  FrameLimits limits_;
  State state_ = State::Headers;
  std::string buffer_;
  std::size_t remaining_ = 0;  // body bytes still expected (Body, Skip)
  std::string skipReason_;
  std::deque<FrameEvent> events_;
};

// Frames one message body for sending.
std::string frame(std::string_view body);

}  // namespace cadre::protocol
