#include "protocol/json_decode.hpp"

#include "tests/support/catch.hpp"

using namespace cadre::protocol;

namespace {
struct Inner {
  std::string uri;
  int version = 0;
};
void from_json(const json& j, Inner& i) { ObjectMapper(j).required("uri", i.uri).optional("version", i.version); }

struct Outer {
  Inner doc;
  std::vector<Inner> items;
  std::optional<bool> flag;
};
void from_json(const json& j, Outer& o) { ObjectMapper(j).required("doc", o.doc).optional("items", o.items).optional("flag", o.flag); }

std::string decodeError(const json& j) {
  Outer o;
  try {
    decodeValue(j, o);
  } catch (const DecodeError& e) {
    return e.within("params").what();
  }
  return "ok";
}
}  // namespace

TEST_CASE("decode errors name the field that failed") {
  CHECK(decodeError(json::parse(R"({"doc":{"uri":"a"}})")) == "ok");
  CHECK(decodeError(json::parse(R"({"doc":{"uri":5}})")) == "params.doc.uri: expected string, got number");
  CHECK(decodeError(json::parse(R"({"doc":{}})")) == "params.doc.uri: missing required field");
  CHECK(decodeError(json::parse(R"({})")) == "params.doc: missing required field");
  CHECK(decodeError(json::parse(R"({"doc":{"uri":"a"},"items":[{"uri":"b"},{"uri":"c","version":"x"}]})")) ==
        "params.items[1].version: expected integer, got string");
  CHECK(decodeError(json::parse(R"({"doc":{"uri":"a"},"flag":1})")) == "params.flag: expected boolean, got number");
  CHECK(decodeError(json::parse(R"([1])")) == "params: expected object, got array");
}

TEST_CASE("optional fields keep defaults when absent or null") {
  Outer o;
  decodeValue(json::parse(R"({"doc":{"uri":"a","version":null},"flag":null})"), o);
  CHECK(o.doc.version == 0);
  CHECK_FALSE(o.flag.has_value());
  CHECK(o.items.empty());
}
