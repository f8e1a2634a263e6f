// The tolerant parser of the text tool-call protocol, on the ways small
// models get the format slightly wrong, and the streaming filter that keeps
// tool-call blocks (and half a marker) out of the text a client sees.
#include <nlohmann/json.hpp>

#include "server/models/text_tools.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::models;
using json = nlohmann::json;

namespace {

json argsOf(const ToolCall& c) { return json::parse(c.arguments); }

}  // namespace

TEST_CASE("text tools: the documented form, several blocks, text around them", "[models][text-tools]") {
  auto p = parseToolCalls("Let me look.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\"}}\n</tool_call>\n"
                          "<tool_call>{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}</tool_call>");
  CHECK(p.text == "Let me look.");
  REQUIRE(p.calls.size() == 2);
  CHECK(p.calls[0].name == "read_file");
  CHECK(argsOf(p.calls[0]) == json({{"path", "a.py"}}));
  CHECK(p.calls[0].id == "call_0");
  CHECK(p.calls[1].name == "search");
}

TEST_CASE("text tools: what models get wrong", "[models][text-tools]") {
  const std::vector<std::string> known = {"read_file", "run"};
  struct Case {
    std::string reply;
    std::string name;
    json args;
  };
  const std::vector<Case> cases = {
      {"<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\"}}", "read_file", {{"path", "a.py"}}},  // no closing tag
      {"<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\",},}</tool_call>", "read_file", {{"path", "a.py"}}},  // trailing commas
      {"<tool_call>{\"name\": \"read_file\", \"parameters\": {\"path\": \"a.py\"}}</tool_call>", "read_file", {{"path", "a.py"}}},
      {"<tool_call>{\"tool\": \"read_file\", \"args\": \"{\\\"path\\\": \\\"a.py\\\"}\"}</tool_call>", "read_file", {{"path", "a.py"}}},  // args as a string
      {"<tool_call>{\"function\": {\"name\": \"run\", \"arguments\": {\"cmd\": \"ls\"}}}</tool_call>", "run", {{"cmd", "ls"}}},
      {"<tool_call>{\"name\": \"run\", \"arguments\": {\"force\": True, \"x\": None}}</tool_call>", "run", {{"force", true}, {"x", nullptr}}},
      {"<tool_call>{\"name\": \"run\", \"arguments\": {\"cmd\": \"ls -la", "run", {{"cmd", "ls -la"}}},  // cut off mid-string
      {"```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}\n```", "read_file", {{"path", "b"}}},
      {"  {\"name\": \"read_file\", \"arguments\": {\"path\": \"c\"}}  ", "read_file", {{"path", "c"}}},  // the bare object
      {"<tool_call>{\"name\": \"run\"}</tool_call>", "run", json::object()},
  };
  for (const auto& c : cases) {
    INFO(c.reply);
    auto p = parseToolCalls(c.reply, known);
    REQUIRE(p.calls.size() == 1);
    CHECK(p.calls[0].name == c.name);
    CHECK(argsOf(p.calls[0]) == c.args);
  }
}

TEST_CASE("text tools: plain answers stay plain", "[models][text-tools]") {
  const std::vector<std::string> known = {"read_file"};
  for (const std::string reply : {"Just text.", "```json\n{\"name\": \"Bob\", \"age\": 3}\n```", "{\"name\": \"unknown_tool\", \"arguments\": {}}",
                                  "```python\nprint('<tool')\n```"}) {
    INFO(reply);
    auto p = parseToolCalls(reply, known);
    CHECK(p.calls.empty());
    CHECK_FALSE(p.text.empty());
  }
}

TEST_CASE("text tools: the stream filter holds back a marker split across deltas", "[models][text-tools]") {
  const std::string reply = "Sure. <tool_call>{\"name\":\"run\"}</tool_call> trailing";
  for (std::size_t step = 1; step <= 5; ++step) {
    ToolTextFilter f;
    std::string shown;
    for (std::size_t i = 0; i < reply.size(); i += step) shown += f.feed(reply.substr(i, step));
    shown += f.flush();
    CHECK(shown == "Sure. ");
  }
  ToolTextFilter f;
  std::string shown = f.feed("a <tool");
  CHECK(shown == "a ");
  shown += f.feed("box> b");  // not a marker after all
  shown += f.flush();
  CHECK(shown == "a <toolbox> b");
}

TEST_CASE("text tools: the request carries the prompt and the history in text form", "[models][text-tools]") {
  ChatRequest r;
  r.messages.push_back({Role::System, "Be brief.", {}, {}, {}});
  r.messages.push_back({Role::User, "go", {}, {}, {}});
  r.messages.push_back({Role::Assistant, "", {{"call_0", "run", "{\"cmd\":\"ls\"}"}}, {}, {}});
  r.messages.push_back({Role::Tool, "a.py", {}, "call_0", "run"});
  r.tools.push_back({"run", "Run a command", json::parse(R"({"type":"object"})")});
  auto t = toTextToolRequest(r);
  CHECK(t.tools.empty());
  REQUIRE(t.messages.size() == 4);
  CHECK(t.messages[0].content.find("<tool_call>") != std::string::npos);
  CHECK(t.messages[0].content.find("- run: Run a command") != std::string::npos);
  CHECK(t.messages[0].content.find("Be brief.") != std::string::npos);
  CHECK(t.messages[2].toolCalls.empty());
  CHECK(t.messages[2].content == "<tool_call>\n{\"arguments\":{\"cmd\":\"ls\"},\"name\":\"run\"}\n</tool_call>");
  CHECK(t.messages[3].role == Role::User);
  CHECK(t.messages[3].content == "<tool_result name=\"run\">\na.py\n</tool_result>");
}
