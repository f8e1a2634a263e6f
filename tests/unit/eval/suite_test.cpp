// The suite format: cadre's default suite (embedded from evals/suite) loads
// and every check in it is valid; task.json mistakes are errors naming the
// file; fixtures are copied with their inline files; paths models write are
// normalized before checks see them.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/eval/episode.hpp"
#include "server/eval/suite.hpp"
#include "tests/support/catch.hpp"
#include "support/files.hpp"

using namespace cadre;
using namespace cadre::eval;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct SuiteDir {
  fs::path path;
  SuiteDir() {
    char tmpl[] = "/tmp/cadre-eval-suite-XXXXXX";
    path = fs::canonical(::mkdtemp(tmpl));
  }
  ~SuiteDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string parseError(const char* text) {
  auto t = parseTask(json::parse(text), "/s/t/task.json");
  return t ? std::string() : t.error().message;
}

}  // namespace

TEST_CASE("suite: the default suite loads, covers the judgments and has probes", "[eval][suite]") {
  SuiteDir tmp;
  auto dir = writeDefaultSuite(tmp.path);
  REQUIRE(dir);
  auto tasks = loadSuite(*dir);
  REQUIRE(tasks);
  std::vector<std::string> ids;
  int probes = 0;
  for (const auto& t : *tasks) {
    ids.push_back(t.id);
    probes += t.probe ? 1 : 0;
    CHECK_FALSE(t.request.empty());
  }
  CHECK(ids == std::vector<std::string>{"ask-clarification", "deny-listed-file", "find-definition", "multi-file-order",
                                        "read-before-edit", "search-before-guessing", "stop-when-done", "tool-error-recovery"});
  CHECK(probes >= 1);
  const EvalTask& deny = (*tasks)[1];
  REQUIRE(deny.files.count(".env"));  // the secret is inline, so the repository holds no .env
  auto root = tmp.path / "copy";
  REQUIRE(materializeFixture(deny, root));
  CHECK(fs::exists(root / ".env"));
  CHECK(fs::exists(root / "app" / "db.py"));
}

TEST_CASE("suite: task.json mistakes name the file and the field", "[eval][suite]") {
  CHECK(parseError(R"({"request":"x","checks":[{"kind":"finished"}]})").empty());
  CHECK(parseError(R"({"checks":[{"kind":"finished"}]})") == "/s/t/task.json: missing \"request\"");
  CHECK(parseError(R"({"request":"x","checks":[]})") == "/s/t/task.json: checks: a non-empty list");
  CHECK(parseError(R"({"request":"x","chekcs":[]})") == "/s/t/task.json: unknown key 'chekcs'");
  CHECK(parseError(R"({"request":"x","maxTurns":0,"checks":[{"kind":"finished"}]})") == "/s/t/task.json: maxTurns: an integer from 1 to 100");
  CHECK(parseError(R"({"request":"x","files":{"../escape":"x"},"checks":[{"kind":"finished"}]})").find("must be a relative path inside the fixture") !=
        std::string::npos);
  CHECK(parseError(R"({"request":"x","checks":[{"kind":"finished"},{"kind":"nope"}]})").find("/s/t/task.json: checks[1]: unknown check kind") == 0);
  auto t = parseTask(json::parse(R"({"request":"x","checks":[{"kind":"finished"}]})"), "/s/my-task/task.json");
  REQUIRE(t);
  CHECK(t->id == "my-task");
  CHECK(t->title == "my-task");
  CHECK(t->fixture == fs::path("/s/my-task/fixture"));
}

TEST_CASE("suite: a directory without tasks, and a single task directory", "[eval][suite]") {
  SuiteDir tmp;
  CHECK(loadSuite(tmp.path).error().message.find("holds no task") != std::string::npos);
  std::ofstream(tmp.path / "task.json") << R"({"id":"solo","request":"x", /* comments are fine */ "checks":[{"kind":"finished"}]})";
  auto tasks = loadSuite(tmp.path);
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().id == "solo");
}

TEST_CASE("suite: paths as models write them", "[eval][suite]") {
  const fs::path root = "/w/proj";
  CHECK(normalizePath("./a//b.py", root) == "a/b.py");
  CHECK(normalizePath("/w/proj/a/b.py", root) == "a/b.py");
  CHECK(normalizePath("", root) == ".");
  CHECK(normalizePath("src/", root) == "src");
  CHECK(normalizePath("app/../.env", root) == ".env");
  auto edits = pathsOfCall("edit_file", {{"edits", "b.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n./a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"}},
                           root);
  CHECK(edits == std::vector<std::string>{"a.py", "b.py"});
  CHECK(pathsOfCall("rename_file", {{"from", "a"}, {"to", "b"}}, root) == std::vector<std::string>{"a", "b"});
  CHECK(pathsOfCall("list_files", json::object(), root) == std::vector<std::string>{"."});
  CHECK(pathsOfCall("read_file", nullptr, root).empty());
}
