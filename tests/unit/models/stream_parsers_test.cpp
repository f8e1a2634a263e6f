// SSE and NDJSON parsing under every chunking: the same stream cut at every
// byte (and into single bytes) must give the same events as in one piece —
// including CRLF pairs, lone CRs, comments, a BOM and multi-byte UTF-8.
#include "server/models/ndjson.hpp"
#include "server/models/sse.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::models;

namespace {

std::vector<std::string> sseEvents(const std::vector<std::string>& pieces, std::size_t* comments = nullptr) {
  std::vector<std::string> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e.event + "|" + e.data + "|" + e.id); });
  for (const auto& piece : pieces) REQUIRE(p.feed(piece));
  p.finish();
  if (comments) *comments = p.comments();
  return out;
}

std::vector<std::string> ndjsonLines(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  NdjsonParser p([&](std::string_view l) { out.emplace_back(l); });
  for (const auto& piece : pieces) REQUIRE(p.feed(piece));
  p.finish();
  return out;
}

}  // namespace

TEST_CASE("sse: fields, multi-line data, comments, event types", "[models][sse]") {
  std::size_t comments = 0;
  auto events = sseEvents({": keep-alive\n\nevent: message_start\ndata: {\"a\":1}\n\ndata: one\ndata: two\nid: 7\n\n:ping\ndata:[DONE]\n\n"},
                          &comments);
  REQUIRE(events.size() == 3);
  CHECK(events[0] == "message_start|{\"a\":1}|");
  CHECK(events[1] == "|one\ntwo|7");
  CHECK(events[2] == "|[DONE]|7");  // the last event id carries over, as the spec says
  CHECK(comments == 2);
}

TEST_CASE("sse: any split gives the same events (CRLF, CR, BOM, UTF-8)", "[models][sse]") {
  const std::string stream =
      "\xEF\xBB\xBF: keep-alive\r\n\r\n"
      "event: content_block_delta\r\ndata: {\"text\":\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}\r\n\r\n"
      "data: cr only\r\r"
      "data: lf\n\n"
      "data: [DONE]\n\n";
  const auto whole = sseEvents({stream});
  REQUIRE(whole.size() == 4);
  CHECK(whole[0] == "content_block_delta|{\"text\":\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}|");
  CHECK(whole[1] == "|cr only|");
  CHECK(whole[3] == "|[DONE]|");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(sseEvents({stream.substr(0, cut), stream.substr(cut)}) == whole);
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  CHECK(sseEvents(bytes) == whole);
}

TEST_CASE("sse: an event without its blank line is not emitted; finish reports it", "[models][sse]") {
  std::vector<std::string> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e.data); });
  REQUIRE(p.feed("data: whole\n\ndata: cut"));
  CHECK(p.finish());
  CHECK(out == std::vector<std::string>{"whole"});
}

TEST_CASE("ndjson: lines under any split, CRLF and blank lines", "[models][ndjson]") {
  const std::string stream = "{\"a\":\"\xE6\x97\xA5\"}\r\n\n{\"b\":2}\n  \n{\"done\":true}";
  const auto whole = ndjsonLines({stream});
  REQUIRE(whole.size() == 3);
  CHECK(whole[0] == "{\"a\":\"\xE6\x97\xA5\"}");
  CHECK(whole[2] == "{\"done\":true}");  // the last line may lack its newline
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(ndjsonLines({stream.substr(0, cut), stream.substr(cut)}) == whole);
  }
}
