// Event loop, signals and connection setup for `cadre serve`.
#include "server/core/server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "protocol/connection.hpp"

namespace cadre::core {
namespace {

// Runs `io` until every session is gone. After a connection closes, a
// session's worker threads (tasks, tool calls) hand their last reference back
// to the event loop (LspSession::pin), so the loop must outlive them: a hand-
// back posted to a destroyed io_context is undefined behaviour (TSan's "use
// of an invalid mutex" in a wire test). Bounded: a worker that ignores its
// cancellation for 10 s is left to the process exit.
void drainSessions(asio::io_context& io, const std::vector<std::weak_ptr<LspSession>>& sessions) {
  auto alive = [&] { return std::any_of(sessions.begin(), sessions.end(), [](const auto& w) { return !w.expired(); }); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (alive() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  if (alive()) spdlog::warn("a session's worker threads did not stop within 10 s of its connection closing");
}

}  // namespace

int claimStdout() {
  int protocolOut = ::dup(STDOUT_FILENO);
  if (protocolOut < 0) return -1;
  ::fcntl(protocolOut, F_SETFD, FD_CLOEXEC);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  return protocolOut;
}

int serveStdio(ServeOptions options) {
  asio::io_context io;
  int exitCode = 1;
  const int protocolOut = claimStdout();
  if (protocolOut < 0) {
    spdlog::error("cannot duplicate stdout for the protocol stream");
    return 1;
  }
  options.session.onExit = [&exitCode](int code) { exitCode = code; };
  protocol::ConnectionOptions connOptions;
  connOptions.limits = options.limits;
  connOptions.name = "stdio";
  connOptions.onClosed = [&io] { io.stop(); };
  auto connection = protocol::makeStdioConnection(io, STDIN_FILENO, protocolOut, std::move(connOptions));
  auto session = std::make_shared<LspSession>(connection, connection->executor(), std::move(options.session));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    connection->close();
  });
  const std::vector<std::weak_ptr<LspSession>> sessions = {session};
  connection->start(std::move(session));
  spdlog::info("cadre {} serving LSP on stdio", CADRE_VERSION);
  io.run();
  drainSessions(io, sessions);
  return exitCode;
}

int serveTcp(const std::string& address, ServeOptions options) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    spdlog::error("--tcp wants HOST:PORT, got \"{}\"", address);
    return 2;
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string portText = address.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(portText.c_str(), &end, 10);
  if (portText.empty() || *end != '\0' || port < 0 || port > 65535) {
    spdlog::error("--tcp: \"{}\" is not a port number", portText);
    return 2;
  }
  std::error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    spdlog::error("--tcp: \"{}\" is not an IP address", host);
    return 2;
  }
  const char* tokenValue = options.tokenEnv.empty() ? nullptr : std::getenv(options.tokenEnv.c_str());
  if (tokenValue && *tokenValue) options.session.token = std::string(tokenValue);
  if (!ip.is_loopback() && !options.session.token) {
    spdlog::error("refusing to listen on {} without a token: anyone on the network could drive cadre. Set the environment "
                  "variable {} (clients send it as initializationOptions.token), or bind 127.0.0.1",
                  host, options.tokenEnv);
    return 2;
  }

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  asio::ip::tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}: {}", address, ec.message());
    return 1;
  }
  const auto local = acceptor.local_endpoint();
  spdlog::info("listening on {}:{}{}", local.address().to_string(), local.port(),
               options.session.token ? " (token required)" : "");

  // Live connections, so that a signal can close each one. Closing breaks the
  // connection <-> session cycle; without it every session still connected
  // at SIGTERM outlived io.run() (LeakSanitizer reported each one).
  std::vector<std::weak_ptr<protocol::Connection>> live;
  std::vector<std::weak_ptr<LspSession>> sessions;
  bool stopping = false;
  asio::steady_timer stopDeadline(io);
  auto stopWhenAllClosed = [&] {
    if (!stopping) return;
    for (const auto& w : live)
      if (auto c = w.lock(); c && !c->closed()) return;
    io.stop();
  };

  std::function<void()> acceptNext = [&] {
    acceptor.async_accept([&](const std::error_code& aec, asio::ip::tcp::socket socket) {
      if (aec) {
        if (aec != asio::error::operation_aborted) spdlog::warn("accept failed: {}", aec.message());
        if (acceptor.is_open()) acceptNext();
        return;
      }
      std::error_code pec;
      auto peer = socket.remote_endpoint(pec);
      protocol::ConnectionOptions connOptions;
      connOptions.limits = options.limits;
      connOptions.name = "tcp " + (pec ? std::string("?") : peer.address().to_string() + ":" + std::to_string(peer.port()));
      spdlog::info("{}: connected", connOptions.name);
      connOptions.onClosed = [&] { stopWhenAllClosed(); };
      auto connection = protocol::makeTcpConnection(std::move(socket), std::move(connOptions));
      std::erase_if(live, [](const auto& w) { return w.expired(); });
      live.push_back(connection);
      SessionOptions sessionOptions = options.session;
      sessionOptions.onExit = nullptr;  // one client's exit does not stop the server
      sessionOptions.controlsLogLevel = false;
      auto session = std::make_shared<LspSession>(connection, connection->executor(), std::move(sessionOptions));
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
      sessions.push_back(session);
      connection->start(std::move(session));
      acceptNext();
    });
  };
  acceptNext();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& sec, int sig) {
    if (sec) return;
    spdlog::info("signal {}: stopping", sig);
    stopping = true;
    std::error_code ignored;
    acceptor.close(ignored);
    for (const auto& w : live)
      if (auto c = w.lock()) c->close();
    // Each closes once its queued replies are out; a peer that does not read
    // gets two seconds.
    stopDeadline.expires_after(std::chrono::seconds(2));
    stopDeadline.async_wait([&](const std::error_code& tec) {
      if (!tec) io.stop();
    });
    stopWhenAllClosed();
  });
  io.run();
  drainSessions(io, sessions);
  return 0;
}

}  // namespace cadre::core
