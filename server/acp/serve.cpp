// The stdio loop of `cadre acp`; see serve.hpp.
#include "server/acp/serve.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "protocol/connection.hpp"
#include "server/core/server.hpp"

namespace cadre::acp {

int serveStdio(ServeOptions options) {
  asio::io_context io;
  const int protocolOut = core::claimStdout();
  if (protocolOut < 0) {
    spdlog::error("cannot duplicate stdout for the protocol stream");
    return 1;
  }
  protocol::ConnectionOptions connOptions;
  connOptions.framing = protocol::Framing::Lines;
  connOptions.lineLimits = options.limits;
  connOptions.name = "acp";
  connOptions.onClosed = [&io] { io.stop(); };
  auto connection = protocol::makeStdioConnection(io, STDIN_FILENO, protocolOut, std::move(connOptions));
  // Held here as well as by the connection, so the agent (which joins its
  // prompt threads) is destroyed on this thread once the loop is over.
  auto agent = std::make_shared<AgentServer>(connection, connection->executor(), std::move(options.agent));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    connection->close();
  });
  connection->start(agent);
  spdlog::info("cadre {} serving ACP on stdio", CADRE_VERSION);
  io.run();
  // A prompt still running is cancelled by the agent's destructor, here.
  agent.reset();
  return 0;
}

}  // namespace cadre::acp
