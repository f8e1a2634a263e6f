// How JSON-RPC messages reach an MCP server and come back: newline-delimited
// JSON over a spawned server's stdin/stdout, or Streamable HTTP. A Transport
// moves message *text*; the Session above it parses and matches. Both
// factories hide their implementations.
//
// Thread safety: send() may be called from any thread. The sinks are called
// from the transport's own threads, never concurrently with each other for
// stdio (one reader); for HTTP each POST's stream delivers from its own
// thread. After close() returns no sink is called again. close() may be
// called from inside a sink.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/security/sandbox.hpp"
#include "support/expected.hpp"

namespace cadre::mcp {

class Transport {
 public:
  struct Sinks {
    std::function<void(std::string body)> message;  // one JSON-RPC message (text)
    std::function<void(Error why)> closed;          // at most once: the server went away or broke the protocol
  };

  virtual ~Transport() = default;
  virtual Expected<void> start(Sinks sinks) = 0;
  // One message. Blocks at most `timeoutMs` (a server that stopped reading).
  virtual Expected<void> send(const std::string& body, int timeoutMs) = 0;
  virtual void close() = 0;
  // What the server said about itself (the tail of its stderr), for errors.
  virtual std::string diagnostics() const { return {}; }
  // HTTP sends the negotiated version on every request after initialize.
  virtual void setProtocolVersion(const std::string&) {}
};

// Why a stdio server is stopped: each limit turns a misbehaving server into
// a clear error instead of unbounded memory or a reader that never catches up.
struct StdioLimits {
  std::size_t maxMessageBytes = 16u << 20;  // one line; a tool result with images fits
  std::size_t maxNoiseLines = 1000;         // stdout lines that are not JSON (MCP forbids them)
  std::size_t maxNoiseBytes = 1u << 20;
  std::size_t maxMessagesPerSecond = 5000;  // beyond it the server is flooding
  std::size_t stderrTailBytes = 4096;       // kept for error messages
};

using ProcessStarter = std::function<Expected<std::unique_ptr<security::SandboxedProcess>>()>;
std::unique_ptr<Transport> makeStdioTransport(std::string serverName, ProcessStarter start, StdioLimits limits = {});

struct HttpOptions {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // already expanded; may hold keys: never logged
  int connectTimeoutMs = 10000;
  std::size_t maxMessageBytes = 16u << 20;
};
std::unique_ptr<Transport> makeHttpTransport(std::string serverName, HttpOptions options);

}  // namespace cadre::mcp
