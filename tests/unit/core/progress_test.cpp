#include "server/core/progress.hpp"

#include <asio/io_context.hpp>
#include <thread>

#include "tests/support/catch.hpp"
#include "tests/support/recording_transport.hpp"

using namespace cadre;
using namespace cadre::protocol;

namespace {

struct Fixture {
  asio::io_context io;
  std::shared_ptr<testing::RecordingTransport> transport = std::make_shared<testing::RecordingTransport>();
  Dispatcher dispatcher{transport, io.get_executor()};
};

std::vector<std::string> kinds(const std::vector<json>& sent) {
  std::vector<std::string> out;
  for (const auto& m : sent) {
    if (m.value("method", "") == "$/progress") out.push_back(m["params"]["value"]["kind"].get<std::string>());
    else out.push_back(m.value("method", "?"));
  }
  return out;
}

}  // namespace

TEST_CASE("progress waits for the client's token, then sends begin, the latest report and end") {
  Fixture f;
  auto p = core::Progress::start(f.dispatcher, true, "Indexing");
  p->report("1/10", 10);
  p->report("5/10", 50);  // folded: only the latest report is kept while waiting
  auto sent = f.transport->take();
  REQUIRE(kinds(sent) == std::vector<std::string>{"window/workDoneProgress/create"});
  const json token = sent[0]["params"]["token"];

  f.dispatcher.onReply(sent[0]["id"], json(nullptr));
  f.io.poll();
  sent = f.transport->take();
  CHECK(kinds(sent) == std::vector<std::string>{"begin", "report"});
  CHECK(sent[0]["params"]["token"] == token);
  CHECK(sent[0]["params"]["value"]["title"] == "Indexing");
  CHECK(sent[1]["params"]["value"]["percentage"] == 50);

  p->report("6/10", 60);  // within the rate limit of the previous one: held
  p->end("done");
  sent = f.transport->take();
  CHECK(kinds(sent) == std::vector<std::string>{"report", "end"});
  CHECK(sent[1]["params"]["value"]["message"] == "done");
  p->report("late");
  CHECK(f.transport->take().empty());
}

TEST_CASE("no progress traffic when the client does not support it or refuses the token") {
  Fixture f;
  auto p = core::Progress::start(f.dispatcher, false, "Indexing");
  p->report("x");
  p->end();
  CHECK(f.transport->take().empty());

  auto q = core::Progress::start(f.dispatcher, true, "Indexing");
  auto sent = f.transport->take();
  REQUIRE(sent.size() == 1);
  f.dispatcher.onReply(sent[0]["id"], Expected<json>(makeError(ErrorCode::InternalError, "no")));
  f.io.poll();
  q->end();
  CHECK(f.transport->take().empty());
}
