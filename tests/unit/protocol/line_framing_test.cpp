#include "protocol/line_framing.hpp"

#include <vector>

#include "protocol/message.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::protocol;

namespace {

// Feeds `input` in chunks of `chunk` bytes and returns "M:<body>" or
// "R:<error>" per event.
std::vector<std::string> lines(const std::string& input, std::size_t chunk = 1 << 20, LineLimits limits = {}) {
  LineReader r(limits);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    r.feed(std::string_view(input).substr(i, chunk));
    while (r.hasEvent()) {
      FrameEvent e = r.next();
      REQUIRE(e.kind != FrameEvent::Kind::Fatal);
      out.push_back(e.kind == FrameEvent::Kind::Message ? "M:" + e.body : "R:" + e.error);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("lines split at every byte boundary give the same messages") {
  const std::string input = frameLine("{\"a\":1}") + "{\"b\":\"😀\"}\r\n" + "\n  \n" + frameLine("{}");
  const std::vector<std::string> expected = {"M:{\"a\":1}", "M:{\"b\":\"😀\"}", "M:{}"};
  for (std::size_t chunk : {1, 2, 3, 7, 1000}) {
    INFO("chunk " << chunk);
    CHECK(lines(input, chunk) == expected);
  }
}

TEST_CASE("a line over the cap is skipped to its end and reported once") {
  LineLimits limits{16};
  const std::string input = std::string(40, 'x') + "\n{\"ok\":true}\n";
  for (std::size_t chunk : {1, 5, 1000}) {
    INFO("chunk " << chunk);
    CHECK(lines(input, chunk, limits) ==
          std::vector<std::string>{"R:a line longer than 16 bytes was skipped", "M:{\"ok\":true}"});
  }
}

TEST_CASE("an unfinished line is mid-message until its newline") {
  LineReader r;
  CHECK_FALSE(r.midMessage());
  r.feed("{\"a\"");
  CHECK(r.midMessage());
  CHECK_FALSE(r.hasEvent());
  r.feed(":1}\n");
  CHECK_FALSE(r.midMessage());
  REQUIRE(r.hasEvent());
  CHECK(r.next().body == "{\"a\":1}");
}

TEST_CASE("encoded messages never hold a raw newline, so one line is one message") {
  const std::string body = encodeNotification("session/update", {{"text", "two\nlines\r\nand\u2028more"}});
  CHECK(body.find('\n') == std::string::npos);
  CHECK(lines(frameLine(body)) == std::vector<std::string>{"M:" + body});
}
