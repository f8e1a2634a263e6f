// The check kinds of task.json on hand-made episodes: each passes on the
// sequence it describes and fails, with a message saying why, on the one it
// forbids; malformed checks are refused when a suite loads.
#include "server/eval/checks.hpp"
#include "tests/support/catch.hpp"

using namespace cadre;
using namespace cadre::eval;
using json = nlohmann::json;

namespace {

CallRecord callOf(std::string name, std::vector<std::string> paths, CallOutcome outcome = CallOutcome::Ok, bool mutating = false,
                  std::string raw = "{}") {
  CallRecord c;
  c.name = std::move(name);
  c.paths = std::move(paths);
  c.outcome = outcome;
  c.mutating = mutating;
  c.rawArguments = raw;
  c.arguments = json::parse(raw, nullptr, false);
  if (c.arguments.is_discarded()) c.arguments = nullptr;
  return c;
}

CheckResult run(const char* check, const Episode& e) { return runCheck(json::parse(check), e); }

Episode readThenEdit() {
  Episode e;
  e.calls = {callOf("search_files", {"."}), callOf("read_file", {"a.py"}, CallOutcome::Ok, false, R"({"path":"a.py"})"),
             callOf("edit_file", {"a.py"}, CallOutcome::Ok, true)};
  e.finished = true;
  e.turns = 4;
  e.finalText = "Done. Anything else?";
  e.before = {{"a.py", "x = 1\n"}, {"b.py", "y = 2\n"}};
  e.after = {{"a.py", "x = 2\n"}, {"b.py", "y = 2\n"}};
  e.changed = {"a.py"};
  return e;
}

}  // namespace

TEST_CASE("checks: called, notCalled and before", "[eval][checks]") {
  Episode e = readThenEdit();
  CHECK(run(R"({"kind":"called","match":{"tool":"read_file","path":"a.py"}})", e).passed);
  CHECK(run(R"({"kind":"called","match":{"tool":["list_files","search_files"]}})", e).passed);
  CHECK(run(R"({"kind":"called","match":{"tool":"read_file"},"max":1})", e).passed);
  CHECK(run(R"({"kind":"called","match":{"tool":"write_file"},"max":1})", e).passed);  // "max" alone: at most
  auto tooFew = run(R"({"kind":"called","match":{"tool":"write_file"}})", e);
  CHECK_FALSE(tooFew.passed);
  CHECK(tooFew.message == "expected write_file, got 0");
  CHECK_FALSE(run(R"({"kind":"notCalled","match":{"mutating":true}})", e).passed);
  CHECK(run(R"({"kind":"notCalled","match":{"outcome":"error"}})", e).passed);
  CHECK(run(R"({"kind":"before","first":{"tool":"read_file","path":"a.py"},"then":{"mutating":true,"path":"a.py"}})", e).passed);
  auto order = run(R"({"kind":"before","first":{"tool":"read_file","path":"b.py"},"then":{"mutating":true},"why":"no read"})", e);
  CHECK_FALSE(order.passed);
  CHECK(order.message == "no read (an edit came before any read_file of b.py)");
  CHECK(run(R"({"kind":"called","match":{"path":"*.py","argContains":"a.py"}})", e).passed);
}

TEST_CASE("checks: firstOf, callsAfter, maxCalls, retries and repeats", "[eval][checks]") {
  Episode e = readThenEdit();
  CHECK(run(R"({"kind":"firstOf","among":{"mutating":true},"match":{"path":"a.py"}})", e).passed);
  auto first = run(R"({"kind":"firstOf","among":{"mutating":true},"match":{"path":"b.py"}})", e);
  CHECK_FALSE(first.passed);
  CHECK(first.message.find("the first edit was edit_file") == 0);
  CHECK(run(R"({"kind":"callsAfter","match":{"mutating":true,"outcome":"ok"},"max":0})", e).passed);
  e.calls.push_back(callOf("read_file", {"a.py"}));
  e.calls.push_back(callOf("list_files", {"."}));
  CHECK_FALSE(run(R"({"kind":"callsAfter","match":{"mutating":true,"outcome":"ok"},"max":1})", e).passed);
  CHECK_FALSE(run(R"({"kind":"maxCalls","max":4})", e).passed);
  CHECK(run(R"({"kind":"maxCalls","max":5})", e).passed);

  Episode loop;
  loop.calls = {callOf("read_file", {"x"}, CallOutcome::Failed, false, R"({"path": "x"})"),
                callOf("list_files", {"."}), callOf("read_file", {"x"}, CallOutcome::Failed, false, R"({"path":"x"})")};
  auto retry = run(R"({"kind":"noRetryOfFailed"})", loop);
  CHECK_FALSE(retry.passed);  // same arguments, other spacing: the same call
  CHECK(retry.message.find("repeated a call that had failed: read_file") == 0);
  CHECK(run(R"({"kind":"maxRepeats","max":2})", loop).passed);
  CHECK_FALSE(run(R"({"kind":"maxRepeats","max":1})", loop).passed);
  CHECK(run(R"({"kind":"noRetryOfFailed"})", readThenEdit()).passed);
}

TEST_CASE("checks: well-formed calls, the end of the run and the answer", "[eval][checks]") {
  Episode e = readThenEdit();
  CHECK(run(R"({"kind":"wellFormed"})", e).passed);
  e.calls.push_back(callOf("find_symbol", {}, CallOutcome::UnknownTool));
  CHECK(run(R"({"kind":"wellFormed"})", e).message == "called a tool that was not offered: find_symbol");
  e.calls.back() = callOf("edit_file", {}, CallOutcome::BadArguments, true, "{\"edits\": oops");
  e.calls.back().message = "the arguments are not valid JSON";
  CHECK(run(R"({"kind":"wellFormed"})", e).message.find("malformed arguments: edit_file") == 0);

  CHECK(run(R"({"kind":"finished"})", e).passed);
  e.turnLimit = true;
  e.finished = false;
  CHECK(run(R"({"kind":"finished"})", e).message == "still calling tools after 4 turns");
  e.modelError = "HTTP 500";
  CHECK(run(R"({"kind":"finished"})", e).message == "the model request failed: HTTP 500");
  CHECK(runChecks(json::array(), e).size() == 1);  // a failed request fails the run whatever the checks

  Episode a = readThenEdit();
  CHECK(run(R"({"kind":"answer","matches":"\\?"})", a).passed);
  CHECK(run(R"({"kind":"answer","matches":"DONE"})", a).passed);  // case ignored by default
  CHECK_FALSE(run(R"({"kind":"answer","matches":"DONE","ignoreCase":false})", a).passed);
  CHECK_FALSE(run(R"({"kind":"answer","notMatches":"anything"})", a).passed);
}

TEST_CASE("checks: the final files", "[eval][checks]") {
  Episode e = readThenEdit();
  CHECK(run(R"({"kind":"file","path":"a.py","contains":"x = 2","notContains":"x = 1"})", e).passed);
  CHECK(run(R"({"kind":"file","path":"a.py","equals":"x = 2\n"})", e).passed);
  CHECK(run(R"({"kind":"file","path":"b.py","unchanged":true})", e).passed);
  CHECK(run(R"({"kind":"file","path":"a.py","unchanged":true})", e).message == "a.py was changed");
  CHECK(run(R"({"kind":"file","path":"c.py","exists":false})", e).passed);
  CHECK(run(R"({"kind":"file","path":"c.py","contains":"x"})", e).message == "c.py does not exist");
  CHECK(run(R"({"kind":"changedOnly","paths":["*.py"]})", e).passed);
  CHECK(run(R"({"kind":"changedOnly","paths":["b.py"]})", e).message == "changed a.py, which the task does not need");
  CHECK(run(R"({"kind":"noChanges"})", e).message == "changed a.py");
  e.changed.clear();
  CHECK(run(R"({"kind":"noChanges"})", e).passed);
}

TEST_CASE("checks: malformed checks are refused with the reason", "[eval][checks]") {
  auto err = [](const char* text) {
    auto r = validateCheck(json::parse(text));
    return r ? std::string() : r.error().message;
  };
  CHECK(err(R"({"kind":"called","match":{"tool":"read_file"}})").empty());
  CHECK(err(R"({"kind":"caled"})").find("unknown check kind 'caled'") == 0);
  CHECK(err(R"({"kind":"called"})") == "called: missing \"match\"");
  CHECK(err(R"({"kind":"called","match":{"tol":"x"}})").find("called.match: unknown matcher key 'tol'") == 0);
  CHECK(err(R"({"kind":"called","match":{"outcome":"bad"}})").find("called.match.outcome: one of") == 0);
  CHECK(err(R"({"kind":"maxCalls","max":-1})") == "maxCalls.max: a count");
  CHECK(err(R"({"kind":"answer","matches":"("})").find("answer.matches: not a valid regular expression") == 0);
  CHECK(err(R"({"kind":"file","path":"a","colour":"red"})") == "file: unknown field 'colour'");
  CHECK(err(R"({"kind":"changedOnly","paths":"a"})") == "changedOnly.paths: a list of paths or globs");
  CHECK(err(R"(["called"])") == "a check is an object with a \"kind\"");
}
