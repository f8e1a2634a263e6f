#include "protocol/dispatcher.hpp"

#include <asio/io_context.hpp>
#include <thread>

#include "tests/support/catch.hpp"
#include "tests/support/recording_transport.hpp"

using namespace cadre;
using namespace cadre::protocol;

namespace {

struct EchoParams {
  std::string text;
};
void from_json(const json& j, EchoParams& p) { ObjectMapper(j).required("text", p.text); }
struct EchoResult {
  std::string text;
};
void to_json(json& j, const EchoResult& r) { j = {{"echo", r.text}}; }

struct Component {
  std::optional<Callback<json>> parked;
  std::vector<std::string> notes;

  void onEcho(const EchoParams& p, Callback<EchoResult> reply) { reply(EchoResult{p.text}); }
  void onDrop(const NoParams&, Callback<json> reply) {}
  void onTwice(const NoParams&, Callback<json> reply) {
    reply(json(1));
    reply(json(2));
  }
  void onThrow(const NoParams&, Callback<json>) { throw std::runtime_error("boom"); }
  void onPark(const NoParams&, Callback<json> reply) { parked = reply; }
  void onThread(const NoParams&, Callback<json> reply) {
    std::thread([reply] { reply(json("from a thread")); }).join();
  }
  void onNote(const EchoParams& p) { notes.push_back(p.text); }
};

struct Fixture {
  asio::io_context io;
  std::shared_ptr<testing::RecordingTransport> transport = std::make_shared<testing::RecordingTransport>();
  Component component;
  Dispatcher dispatcher;

  explicit Fixture(DispatcherOptions options = {}) : dispatcher(transport, io.get_executor(), options) {
    dispatcher.allowBeforeInitialize("echo");
    dispatcher.bind("echo", &component, &Component::onEcho);
    dispatcher.bind("drop", &component, &Component::onDrop);
    dispatcher.bind("twice", &component, &Component::onTwice);
    dispatcher.bind("throw", &component, &Component::onThrow);
    dispatcher.bind("park", &component, &Component::onPark);
    dispatcher.bind("thread", &component, &Component::onThread);
    dispatcher.bindNotification("note", &component, &Component::onNote);
    dispatcher.setInitialized();
  }

  json call(const std::string& method, json params = nullptr, json id = 1) {
    dispatcher.onCall(method, std::move(params), id);
    io.poll();
    auto sent = transport->take();
    REQUIRE(sent.size() == 1);
    return sent[0];
  }
};

int code(const json& response) { return response.at("error").at("code").get<int>(); }

}  // namespace

TEST_CASE("typed handlers get decoded params and encode their result") {
  Fixture f;
  CHECK(f.call("echo", {{"text", "hi"}}) == json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"echo":"hi"}})"));
}

TEST_CASE("bad params are InvalidParams naming the field") {
  Fixture f;
  json r = f.call("echo", {{"text", 3}});
  CHECK(code(r) == -32602);
  CHECK(r["error"]["message"] == "params.text: expected string, got number");
  CHECK(code(f.call("echo", nullptr)) == -32602);
}

TEST_CASE("unknown methods, notifications with ids, and requests before initialize") {
  Fixture f;
  CHECK(code(f.call("nope")) == -32601);
  CHECK(code(f.call("note", {{"text", "x"}})) == -32600);
  CHECK(f.component.notes.empty());

  // A dispatcher that was never initialized:
  asio::io_context io;
  auto transport = std::make_shared<testing::RecordingTransport>();
  Dispatcher fresh(transport, io.get_executor());
  Component c;
  fresh.bind("echo", &c, &Component::onEcho);
  fresh.bindNotification("note", &c, &Component::onNote);
  fresh.onCall("echo", {{"text", "x"}}, 9);
  fresh.onNotify("note", {{"text", "early"}});
  auto sent = transport->take();
  REQUIRE(sent.size() == 1);
  CHECK(code(sent[0]) == -32002);
  CHECK(c.notes.empty());  // notifications before initialize are dropped
}

TEST_CASE("after shutdown only allowed methods are served") {
  Fixture f;
  f.dispatcher.setShutdown();
  CHECK(code(f.call("thread")) == -32600);
  CHECK(f.call("echo", {{"text", "still"}})["result"]["echo"] == "still");
}

TEST_CASE("every request is answered exactly once") {
  Fixture f;
  json dropped = f.call("drop");
  CHECK(code(dropped) == -32603);
  CHECK(dropped["error"]["message"] == "the server dropped the reply to drop");

  CHECK(f.call("twice")["result"] == 1);  // the second reply never leaves

  json thrown = f.call("throw");
  CHECK(code(thrown) == -32603);
  CHECK(thrown["error"]["message"] == "throw failed: boom");

  CHECK(f.call("thread")["result"] == "from a thread");
}

TEST_CASE("$/cancelRequest reaches the handler's token") {
  Fixture f;
  f.dispatcher.onCall("park", nullptr, "req-7");
  REQUIRE(f.component.parked);
  CHECK_FALSE(f.component.parked->cancelled());
  f.dispatcher.onNotify("$/cancelRequest", {{"id", "req-8"}});  // unknown id: ignored
  CHECK_FALSE(f.component.parked->cancelled());
  f.dispatcher.onNotify("$/cancelRequest", {{"id", "req-7"}});
  CHECK(f.component.parked->cancelled());
  (*f.component.parked)(makeError(ErrorCode::RequestCancelled, "cancelled"));
  auto sent = f.transport->take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["id"] == "req-7");
  CHECK(code(sent[0]) == -32800);
}

TEST_CASE("closing the connection cancels work in flight") {
  Fixture f;
  f.dispatcher.onCall("park", nullptr, 1);
  f.dispatcher.onClosed();
  CHECK(f.component.parked->cancelled());
}

TEST_CASE("server-to-client calls correlate ids, time out and are capped") {
  DispatcherOptions options;
  options.maxOutstandingCalls = 2;
  options.callTimeout = std::chrono::milliseconds(50);
  Fixture f(options);
  std::vector<std::string> outcomes;
  auto record = [&](Expected<json> r) { outcomes.push_back(r ? r->dump() : "error " + std::to_string(static_cast<int>(r.error().code))); };

  f.dispatcher.call("client/a", {{"x", 1}}, record);
  f.dispatcher.call("client/b", nullptr, record);
  f.dispatcher.call("client/c", nullptr, record);  // over the cap: fails at once
  f.io.poll();
  REQUIRE(outcomes == std::vector<std::string>{"error -32012"});
  auto sent = f.transport->take();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0]["method"] == "client/a");
  CHECK(f.dispatcher.outstandingCalls() == 2);

  f.dispatcher.onReply(sent[0]["id"], json("answer"));
  f.dispatcher.onReply(12345, json("stray"));  // unknown id: ignored
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[1] == "\"answer\"");

  f.io.run_for(std::chrono::milliseconds(300));  // client/b times out
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[2] == "error -32011");
  CHECK(f.dispatcher.outstandingCalls() == 0);
}

TEST_CASE("unanswered calls fail when the connection closes") {
  Fixture f;
  std::optional<Expected<json>> outcome;
  f.dispatcher.call("client/a", nullptr, [&](Expected<json> r) { outcome = std::move(r); });
  f.dispatcher.onClosed();
  REQUIRE(outcome);
  CHECK_FALSE(*outcome);
  CHECK(outcome->error().code == ErrorCode::Unavailable);
}
