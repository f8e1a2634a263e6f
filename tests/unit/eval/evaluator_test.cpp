// Scoring, the verdict and the protocol choice, computed from hand-made
// reports; the saved verdict applied to a router configuration; and one
// evaluation end to end through the real router against an in-process
// OpenAI-format server whose answers depend on the conversation.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/eval/evaluator.hpp"
#include "server/eval/verdicts.hpp"
#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::eval;
using namespace cadre::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;
using models::ToolCallMode;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/cadre-eval-test-XXXXXX";
    path = fs::canonical(::mkdtemp(tmpl));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TaskReport taskWith(int passes, int runs) {
  TaskReport t;
  for (int i = 0; i < runs; ++i) {
    RunReport r;
    r.passed = i < passes;
    if (!r.passed) r.failures = {"nope"};
    t.runs.push_back(r);
  }
  return t;
}

ProbeReport probe(ToolCallMode mode, int runs, int formed, int passed) {
  ProbeReport p;
  p.mode = mode;
  p.runs = runs;
  p.wellFormed = formed;
  p.passed = passed;
  p.answered = runs;
  return p;
}

std::string sse(const json& delta, const char* finish = nullptr) {
  return "data: " + json({{"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish ? json(finish) : json(nullptr)}}})}}).dump() +
         "\n\n";
}

// An OpenAI-format answer: a tool call, or text.
Script toolCall(const std::string& name, const json& args) {
  return streamParts("text/event-stream",
                     {sse({{"tool_calls", json::array({{{"index", 0}, {"id", "c1"}, {"type", "function"},
                                                        {"function", {{"name", name}, {"arguments", args.dump()}}}}})}}),
                      sse(json::object(), "tool_calls"), "data: [DONE]\n\n"});
}
Script text(const std::string& t) {
  return streamParts("text/event-stream", {sse({{"content", t}}), sse(json::object(), "stop"), "data: [DONE]\n\n"});
}

}  // namespace

TEST_CASE("evaluator: score, verdict and the half-way line", "[eval]") {
  EvalReport r;
  r.tasks = {taskWith(2, 2), taskWith(0, 2)};
  scoreReport(r);
  CHECK(r.passed == 2);
  CHECK(r.total == 4);
  CHECK(r.score == 0.5);
  CHECK_FALSE(r.restricted);  // exactly half is not "fewer than half"
  CHECK(r.verdict == "usable");
  r.tasks = {taskWith(1, 3), taskWith(1, 3)};  // 2 of 6
  scoreReport(r);
  CHECK(r.restricted);
  CHECK(r.verdict == "restricted");
  r.tasks = {taskWith(3, 3), taskWith(2, 2)};
  scoreReport(r);
  CHECK(r.verdict == "good");

  TaskReport t = taskWith(0, 3);
  t.runs[0].failures = {"b", "a"};
  t.runs[1].failures = {"a"};
  t.runs[2].failures = {"b"};
  CHECK(t.commonFailure() == "b");  // two each: the one seen first
}

TEST_CASE("evaluator: the protocol the probes choose", "[eval]") {
  std::string why;
  CHECK(chooseProtocol({probe(ToolCallMode::Native, 4, 4, 3), probe(ToolCallMode::Text, 4, 2, 2)}, ToolCallMode::Text, &why) ==
        ToolCallMode::Native);
  CHECK(why == "native 4/4 well-formed, 3 passed; text 2/4 well-formed, 2 passed → native");
  CHECK(chooseProtocol({probe(ToolCallMode::Native, 2, 0, 0), probe(ToolCallMode::Text, 4, 4, 1)}, ToolCallMode::Native, &why) ==
        ToolCallMode::Text);
  // Equally well-formed: more passed runs decide, then the user's setting.
  CHECK(chooseProtocol({probe(ToolCallMode::Native, 4, 4, 2), probe(ToolCallMode::Text, 4, 4, 3)}, ToolCallMode::Native, nullptr) ==
        ToolCallMode::Text);
  CHECK(chooseProtocol({probe(ToolCallMode::Native, 4, 4, 4), probe(ToolCallMode::Text, 4, 4, 4)}, ToolCallMode::Text, &why) ==
        ToolCallMode::Text);
  CHECK(why.find("a tie keeps the configured text") != std::string::npos);
}

TEST_CASE("verdicts: saved per model, applied to the router's config, stale ones ignored", "[eval]") {
  TempDir state;
  CHECK(modelStateDir(state.path, "../evil/x") == state.path / "models" / ".._evil_x");
  models::RouterConfig c = configOf({modelAt("a", models::Api::OpenAI, "http://127.0.0.1:1/v1", "id-a"),
                                     modelAt("b", models::Api::OpenAI, "http://127.0.0.1:1/v1", "id-b"),
                                     modelAt("c", models::Api::OpenAI, "http://127.0.0.1:1/v1", "id-c")});
  REQUIRE(writeJsonFile(modelStateDir(state.path, "a") / "eval.json",
                        {{"evaluated", true}, {"modelId", "id-a"}, {"restricted", true}, {"toolCalls", "text"}, {"passed", 3}, {"total", 16},
                         {"score", 0.1875}, {"evaluatedAt", "2025-01-01T00:00:00Z"}}));
  REQUIRE(writeJsonFile(modelStateDir(state.path, "b") / "eval.json",
                        {{"evaluated", true}, {"modelId", "an-older-model"}, {"restricted", true}, {"toolCalls", "text"}}));
  REQUIRE(writeJsonFile(modelStateDir(state.path, "c") / "eval.json", {{"evaluated", false}, {"modelId", "id-c"}, {"restricted", true}}));
  applyVerdicts(c, state.path);
  CHECK(c.models[0].restricted);
  CHECK(c.models[0].toolCalls == ToolCallMode::Text);
  CHECK(c.models[0].restriction.find("passed 3/16 of cadre eval's tool-use runs") == 0);
  CHECK_FALSE(c.models[1].restricted);  // evaluated as another model
  CHECK(c.models[1].toolCalls == ToolCallMode::Native);
  CHECK_FALSE(c.models[2].restricted);  // never answered: no verdict
  REQUIRE(forgetVerdict(state.path, "a"));
  CHECK_FALSE(loadVerdict(state.path, "a"));

  auto solo = soloRouterConfig(c, "a", ToolCallMode::Native);
  REQUIRE(solo);
  CHECK(solo->models.size() == 1);
  CHECK(solo->roles.at("executor") == std::vector<std::string>{"a"});
  CHECK(solo->models[0].toolCalls == ToolCallMode::Native);
  CHECK(soloRouterConfig(c, "zz", std::nullopt).error().message.find("no model named 'zz'") == 0);
}

TEST_CASE("evaluator: one evaluation end to end through the router", "[eval]") {
  // The model reads, edits and stops when the request is about the greeting;
  // it calls a tool that does not exist on the other task. Native calls work.
  TestHttpServer server([](const HttpExchange& x, std::size_t) {
    json req = json::parse(x.body);
    int turns = 0;
    for (const auto& m : req["messages"])
      if (m["role"] == "assistant") ++turns;
    const std::string user = req["messages"][1]["content"];
    if (user.find("greeting") != std::string::npos) {
      if (turns == 0) return toolCall("read_file", {{"path", "greeting.py"}});
      if (turns == 1)
        return toolCall("edit_file", {{"edits", "greeting.py\n<<<<<<< SEARCH\nprint(\"Helo\")\n=======\nprint(\"Hello\")\n>>>>>>> REPLACE\n"}});
      return text("Fixed.");
    }
    if (turns == 0) return toolCall("grep_everything", {{"q", "x"}});
    return text("Done.");
  });
  auto task = [](const char* text) {
    auto t = parseTask(json::parse(text), "/nowhere/t/task.json");
    if (!t) FAIL(t.error().message);
    return *t;
  };
  std::vector<EvalTask> tasks = {
      task(R"({"id":"greet","probe":true,"request":"Fix the greeting in greeting.py.","files":{"greeting.py":"print(\"Helo\")\n"},
               "checks":[{"kind":"wellFormed"},{"kind":"before","first":{"tool":"read_file"},"then":{"mutating":true}},
                         {"kind":"file","path":"greeting.py","equals":"print(\"Hello\")\n"},{"kind":"finished"}]})"),
      task(R"({"id":"other","request":"Do the other thing.","checks":[{"kind":"wellFormed"},{"kind":"finished"}]})")};
  models::HttpClient http;
  RouterFactory routers = [&](ToolCallMode mode) -> Expected<std::unique_ptr<models::Router>> {
    auto c = soloRouterConfig(configOf({modelAt("m", models::Api::OpenAI, server.url("/v1"), "served-m")}), "m", mode);
    return models::Router::create(std::move(*c), http);
  };
  TempDir scratch;
  models::ModelSpec spec = modelAt("m", models::Api::OpenAI, server.url("/v1"), "served-m");
  EvalOptions options;
  options.runs = 2;
  options.probeRuns = 1;
  options.protocol = ToolCallMode::Native;
  EvalReport r = evaluateModel(spec, tasks, routers, options, scratch.path);
  CHECK(r.evaluated);
  REQUIRE(r.tasks.size() == 2);
  CHECK(r.tasks[0].passes() == 2);
  CHECK(r.tasks[1].passes() == 0);
  CHECK(r.tasks[1].commonFailure() == "called a tool that was not offered: grep_everything");
  CHECK(r.score == 0.5);
  CHECK_FALSE(r.restricted);
  json j = toJson(r);
  CHECK(j["toolCalls"] == "native");
  CHECK(j["tasks"][0]["results"][0]["toolCalls"] == 2);

  // The probe: native and text both run the probe task; the text protocol's
  // requests carry no tools (the server here answers natively either way,
  // which the text protocol does not read: no call there).
  options.protocol.reset();
  options.runs = 1;
  EvalReport p = evaluateModel(spec, tasks, routers, options, scratch.path / "again");
  REQUIRE(p.probes.size() == 2);
  CHECK(p.probes[0].wellFormed == 1);
  CHECK(p.protocol == ToolCallMode::Native);
}

TEST_CASE("evaluator: an unreachable model is not evaluated", "[eval]") {
  models::HttpClient http;
  const std::string dead = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1";
  RouterFactory routers = [&](ToolCallMode mode) -> Expected<std::unique_ptr<models::Router>> {
    auto c = soloRouterConfig(configOf({modelAt("m", models::Api::OpenAI, dead)}), "m", mode);
    return models::Router::create(std::move(*c), http);
  };
  auto t = parseTask(json::parse(R"({"request":"x","checks":[{"kind":"finished"}]})"), "/n/t/task.json");
  REQUIRE(t);
  TempDir scratch;
  EvalOptions options;
  EvalReport r = evaluateModel(modelAt("m", models::Api::OpenAI, dead), {*t, *t}, routers, options, scratch.path);
  CHECK_FALSE(r.evaluated);
  CHECK(toJson(r)["verdict"] == "not evaluated");
}
