#include "protocol/framing.hpp"

#include <vector>

#include "tests/support/catch.hpp"

using namespace cadre::protocol;

namespace {

// Feeds `input` in chunks of `chunk` bytes and returns "M:<body>", "R:<error>"
// or "F:<error>" per event.
std::vector<std::string> run(const std::string& input, std::size_t chunk = 1 << 20, FrameLimits limits = {}) {
  FrameReader r(limits);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    r.feed(std::string_view(input).substr(i, chunk));
    while (r.hasEvent()) {
      FrameEvent e = r.next();
      switch (e.kind) {
        case FrameEvent::Kind::Message: out.push_back("M:" + e.body); break;
        case FrameEvent::Kind::Rejected: out.push_back("R:" + e.error); break;
        case FrameEvent::Kind::Fatal: out.push_back("F:" + e.error); break;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("frames split at every byte boundary give the same messages") {
  const std::string input = frame("{\"a\":1}") + frame("{\"b\":\"😀\"}") + "Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}";
  const std::vector<std::string> expected = {"M:{\"a\":1}", "M:{\"b\":\"😀\"}", "M:{}"};
  for (std::size_t chunk : {1, 2, 3, 7, 16, 1000}) {
    INFO("chunk " << chunk);
    CHECK(run(input, chunk) == expected);
  }
}

TEST_CASE("header names are case-insensitive, LF-only line ends and unknown headers are tolerated") {
  CHECK(run("content-length: 2\n\n{}") == std::vector<std::string>{"M:{}"});
  CHECK(run("X-Whatever: 1\r\nCONTENT-LENGTH:   2  \r\n\r\n{}") == std::vector<std::string>{"M:{}"});
  CHECK(run("Content-Length: 2\r\nContent-Type: application/json; charset=utf8\r\n\r\n{}") == std::vector<std::string>{"M:{}"});
}

TEST_CASE("recoverable framing errors skip the message and keep the stream in sync") {
  FrameLimits small;
  small.maxContentLength = 10;
  auto events = run("Content-Length: 20\r\n\r\n01234567890123456789" + frame("{}"), 3, small);
  REQUIRE(events.size() == 2);
  CHECK(events[0].rfind("R:message of 20 bytes exceeds the limit of 10", 0) == 0);
  CHECK(events[1] == "M:{}");

  CHECK(run("Content-Length: 0\r\n\r\n" + frame("{}")) == std::vector<std::string>{"R:Content-Length is 0 (an empty message)", "M:{}"});
  auto latin = run("Content-Length: 2\r\nContent-Type: text/plain; charset=latin1\r\n\r\n{}" + frame("[]"));
  CHECK(latin == std::vector<std::string>{"R:unsupported charset in Content-Type (only utf-8)", "M:[]"});
  auto twoTypes = run("Content-Length: 2\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n{}" + frame("1"));
  CHECK(twoTypes == std::vector<std::string>{"R:duplicate Content-Type header", "M:1"});
}

TEST_CASE("fatal framing errors stop the reader") {
  struct Case {
    std::string input;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"garbage\r\n\r\n{}", "F:malformed header line (expected \"Name: value\")"},
      {"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "F:duplicate Content-Length header"},
      {"Content-Type: x\r\n\r\n{}", "F:missing Content-Length header"},
      {"Content-Length: -5\r\n\r\n", "F:Content-Length is not a non-negative integer"},
      {"Content-Length: abc\r\n\r\n", "F:Content-Length is not a non-negative integer"},
      {"Content-Length: 99999999999999999999999\r\n\r\n", "F:Content-Length is absurdly large"},
      {"Content-Length: 9999999999999999999\r\n\r\n", "F:Content-Length is absurdly large"},
      {": 5\r\n\r\n", "F:malformed header line (expected \"Name: value\")"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    FrameReader r;
    r.feed(c.input + frame("{}"));
    REQUIRE(r.hasEvent());
    FrameEvent e = r.next();
    CHECK("F:" + e.error == c.error);
    CHECK_FALSE(r.hasEvent());  // nothing after a fatal error
    CHECK(r.dead());
  }
}

TEST_CASE("an endless header block is cut at the header cap") {
  FrameReader r;
  std::string junk(1000, 'x');
  for (int i = 0; i < 20 && !r.dead(); ++i) r.feed("X-" + junk + ": y\r\n");
  REQUIRE(r.hasEvent());
  CHECK(r.next().error == "header block longer than 8192 bytes");
}

TEST_CASE("blank lines between messages are skipped") {
  CHECK(run("\r\n\r\n" + frame("{}") + "\n\n\r\n" + frame("[]"), 1) == std::vector<std::string>{"M:{}", "M:[]"});
}

TEST_CASE("a huge declared length under a huge limit is not allocated up front") {
  FrameLimits unlimited;
  unlimited.maxContentLength = ~std::size_t{0};
  FrameReader r(unlimited);
  r.feed("Content-Length: 68719476736\r\n\r\n{\"a\"");
  CHECK_FALSE(r.hasEvent());
  CHECK(r.midMessage());
}

TEST_CASE("midMessage tells a truncated message from a clean end") {
  FrameReader r;
  CHECK_FALSE(r.midMessage());
  r.feed(frame("{}"));
  (void)r.next();
  CHECK_FALSE(r.midMessage());
  r.feed("\r\n");
  CHECK_FALSE(r.midMessage());
  r.feed("Content-Len");
  CHECK(r.midMessage());
  r.feed("gth: 10\r\n\r\n{\"a\"");
  CHECK(r.midMessage());
}
