// Fuzzes framing + JSON-RPC classification + dispatch into the real LSP session:
// arbitrary bytes go through the same FrameReader and parseMessage as a
// connection, then into LspSession with a recording transport. Any crash,
// sanitizer report, or a request answered other than exactly once is a bug.
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <cstdlib>
#include <map>

#include "protocol/framing.hpp"
#include "protocol/message.hpp"
#include "server/core/lsp_session.hpp"
#include "tests/support/recording_transport.hpp"

using namespace cadre;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;

  asio::io_context io;
  auto transport = std::make_shared<testing::RecordingTransport>();
  core::SessionOptions options;
  options.userConfig.clear();
  options.controlsLogLevel = false;
  options.indexProject = false;
  auto session = std::make_shared<core::LspSession>(transport, io.get_executor(), options);

  protocol::FrameLimits limits;
  limits.maxContentLength = 1 << 16;
  protocol::FrameReader reader(limits);
  reader.feed(std::string_view(reinterpret_cast<const char*>(data), size));

  std::map<std::string, int> requests;  // id → requests seen with it
  bool open = true;
  while (open && reader.hasEvent()) {
    protocol::FrameEvent event = reader.next();
    if (event.kind != protocol::FrameEvent::Kind::Message) continue;
    protocol::Incoming msg = protocol::parseMessage(event.body);
    if (auto* req = std::get_if<protocol::Request>(&msg)) {
      ++requests[protocol::idToString(req->id)];
      open = session->onCall(req->method, std::move(req->params), std::move(req->id));
    } else if (auto* note = std::get_if<protocol::Notification>(&msg)) {
      open = session->onNotify(note->method, std::move(note->params));
    } else if (auto* resp = std::get_if<protocol::Response>(&msg)) {
      open = session->onReply(std::move(resp->id), std::move(resp->result));
    }
    io.poll();
  }
  session->onClosed();
  session.reset();
  io.poll();

  // Reply exactly once: every request id has as many replies as requests.
  std::map<std::string, int> replies;
  for (const auto& m : transport->take()) {
    if (!m.contains("method") && m.contains("id") && !m["id"].is_null()) ++replies[protocol::idToString(m["id"])];
  }
  if (replies != requests) std::abort();
  return 0;
}
