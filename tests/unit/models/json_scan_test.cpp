// The DOM-free JSON reader behind the token fast path: it must agree with
// nlohmann on what is valid and what a string holds, or give up (and let
// nlohmann decide) — never accept garbage or read a value differently.
#include <nlohmann/json.hpp>

#include "server/models/json_scan.hpp"
#include "server/models/provider.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::models;
using json = nlohmann::json;

namespace {

// Walks a document with the scanner, checking each value against nlohmann's
// reading: true when it accepted it whole and read every value the same.
bool walkValue(JsonScan& s, const json& expect) {
  if (expect.is_object()) {
    if (!s.beginObject()) return false;
    std::string_view key;
    while (s.nextKey(key)) {
      if (!expect.contains(std::string(key)) || !walkValue(s, expect[std::string(key)])) return false;
    }
    return s.ok();
  }
  if (expect.is_array()) {
    if (!s.beginArray()) return false;
    std::size_t i = 0;
    while (s.nextElement()) {
      if (i >= expect.size() || !walkValue(s, expect[i++])) return false;
    }
    return s.ok() && i == expect.size();
  }
  if (expect.is_string()) {
    std::string got;
    return s.readString(got) && got == expect.get<std::string>();
  }
  if (expect.is_number_integer()) {
    std::int64_t n;
    return s.readInt(n) && n == expect.get<std::int64_t>();
  }
  if (expect.is_null()) return s.isNull();
  return s.skipValue();
}

std::string decodeText(const std::string& events, bool* failed) {
  std::string text;
  StreamCallbacks cb;
  cb.onText = [&](std::string_view t) { text += t; };
  ResponseAssembler out(cb, false);
  ErrorContext ctx{"m", "m", "http://x", "", ""};
  auto d = providerFor(Api::OpenAI).decoder(out, ctx);
  *failed = d->feed(events).has_value();
  return text;
}

}  // namespace

TEST_CASE("json scan: agrees with nlohmann on strings, numbers, nesting", "[models][json-scan]") {
  for (const char* doc : {
           R"({"a":"plain","b":"esc \" \\ \/ \b \f \n \r \t","c":"\u00e9\u65e5\ud83d\ude00","d":-12,"e":[1,2.5e-3,{"x":[]}],"f":null,"g":true})",
           R"(  { "k" : [ ] , "l" : { } }  )",
           "{\"utf8\":\"h\xC3\xA9llo \xF0\x9F\x98\x80\"}",
       }) {
    INFO(doc);
    json expect = json::parse(doc);
    JsonScan s(doc);
    CHECK(walkValue(s, expect));
    CHECK(s.atEnd());
  }
}

TEST_CASE("json scan: refuses what nlohmann refuses", "[models][json-scan]") {
  for (const char* doc : {R"({"a":1,})", R"({"a" 1})", R"({"a":01})", R"({"a":1.})", R"({"a":"\x"})", R"({"a":"\ud800"})",
                          R"({"a":"\udc00x"})", "{\"a\":\"tab\there\"}", R"({"a":tru})", R"({"a":[1 2]})", R"({"a":1}x)", R"({"a":1)",
                          "{\"a\":\"\xC3\x28\"}", R"([1,])"}) {
    INFO(doc);
    CHECK(json::parse(doc, nullptr, false).is_discarded());
    JsonScan s(doc);
    CHECK_FALSE((s.skipValue() && s.atEnd()));
  }
}

TEST_CASE("json scan: the OpenAI fast path reads tricky chunks as the full parser does", "[models][json-scan]") {
  auto chunk = [](const std::string& choiceJson) { return "data: {\"id\":\"x\",\"choices\":[" + choiceJson + "],\"usage\":null}\n\n"; };
  bool failed = false;
  CHECK(decodeText(chunk(R"({"index":0,"delta":{"content":"a\nb \"q\" \u00e9\ud83d\ude00"},"finish_reason":null})"), &failed) ==
        "a\nb \"q\" \xC3\xA9\xF0\x9F\x98\x80");
  CHECK_FALSE(failed);
  // Another choice index is not ours; a null content is nothing; an unknown
  // nested field is skipped.
  CHECK(decodeText(chunk(R"({"delta":{"content":"zero","extra":{"deep":[1,{"x":null}]}},"index":0},{"index":1,"delta":{"content":"one"}})"),
                   &failed) == "zero");
  CHECK(decodeText(chunk(R"({"index":0,"delta":{"content":null,"role":"assistant"}})"), &failed).empty());
  // An escaped key sends the chunk to the full parser, which reads it the same.
  CHECK(decodeText(chunk(R"({"index":0,"delta":{"cont\u0065nt":"via nlohmann"}})"), &failed) == "via nlohmann");
  // Malformed JSON is a protocol failure, whichever path saw it first.
  decodeText("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]\n\n", &failed);
  CHECK(failed);
}
