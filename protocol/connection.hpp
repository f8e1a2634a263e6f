// Connections: a Transport over an asio byte stream, with the one framer. Each
// connection has one strand and one outgoing queue, so exactly one write is in
// flight and handlers see messages one at a time in order. I/O errors are
// logged and close the connection; they are never thrown.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "protocol/framing.hpp"
#include "protocol/line_framing.hpp"
#include "protocol/transport.hpp"

namespace cadre::protocol {

// How messages are delimited on the stream: LSP's Content-Length headers, or
// one message per line (the Agent Client Protocol's stdio transport).
enum class Framing { ContentLength, Lines };

struct ConnectionOptions {
  Framing framing = Framing::ContentLength;
  FrameLimits limits;
  LineLimits lineLimits;  // Framing::Lines
  std::string name = "connection";  // for logs: "stdio", "tcp 127.0.0.1:5012"
  // Called once, on the strand, after the connection closed.
  std::function<void()> onClosed;
};

class Connection : public Transport {
 public:
  // Starts reading; messages go to `handler` until the connection closes.
  virtual void start(std::shared_ptr<MessageHandler> handler) = 0;
  // The strand every handler call and timer of this connection runs on.
  virtual asio::any_io_executor executor() = 0;
  virtual bool closed() const = 0;
};

// stdio: reads `inFd`, writes `outFd` (the caller has made sure nothing else
// writes there; see cli/main.cpp). The descriptors are owned from here on.
std::shared_ptr<Connection> makeStdioConnection(asio::io_context& io, int inFd, int outFd, ConnectionOptions options);

std::shared_ptr<Connection> makeTcpConnection(asio::ip::tcp::socket socket, ConnectionOptions options);

}  // namespace cadre::protocol
