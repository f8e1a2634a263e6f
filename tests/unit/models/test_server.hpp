// A scripted HTTP/1.1 server on loopback for the models tests: it records
// each request (method, path, headers, body) and answers with a script of
// raw writes, chunked-encoding chunks, pauses, a TCP reset or silence. That
// is enough to reproduce each provider's wire format byte for byte, split
// wherever a test wants, and the failures the router must survive. Each
// connection gets its own thread and one request; responses close the
// connection.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cadre::testing {

struct HttpExchange {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::chrono::steady_clock::time_point receivedAt;
};

struct Step {
  enum Kind { Raw, Chunk, Sleep, Reset, Hang };
  Kind kind = Raw;
  std::string bytes;
  int ms = 0;
};
using Script = std::vector<Step>;

inline Step raw(std::string bytes) { return {Step::Raw, std::move(bytes), 0}; }
// One chunk of a chunked body (the size line and CRLFs added).
inline Step chunk(std::string bytes) { return {Step::Chunk, std::move(bytes), 0}; }
inline Step pause(int ms) { return {Step::Sleep, {}, ms}; }
inline Step reset() { return {Step::Reset, {}, 0}; }    // RST: SO_LINGER 0, close
inline Step hang() { return {Step::Hang, {}, 0}; }      // say nothing until the client leaves or the server stops
inline Step endChunks() { return raw("0\r\n\r\n"); }

// A whole response with Content-Length.
Script response(int status, const std::string& contentType, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& extraHeaders = {});
// The head of a streamed (chunked) 200 response.
Step streamHead(const std::string& contentType, const std::vector<std::pair<std::string, std::string>>& extraHeaders = {});
// Each part as its own chunk, `gapMs` apart, then the terminating chunk.
Script streamParts(const std::string& contentType, const std::vector<std::string>& parts, int gapMs = 2);

class TestHttpServer {
 public:
  using Handler = std::function<Script(const HttpExchange& request, std::size_t index)>;

  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const;
  std::vector<HttpExchange> requests() const;
  std::size_t requestCount() const;
  // When the client closed a connection the server was still writing to or
  // holding (Hang, Sleep); one entry per such connection.
  std::vector<std::chrono::steady_clock::time_point> clientCloses() const;

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptThread_;
  mutable std::mutex mu_;
  std::vector<std::thread> connections_;
  std::vector<HttpExchange> requests_;
  std::vector<std::chrono::steady_clock::time_point> closes_;
};

// A loopback port nothing listens on.
int closedPort();

// A loopback listener whose accept queue is full and never drained: the
// kernel drops further SYNs, so a client's connect hangs until it times out
// — a blackholed host, without the network.
class FullBacklog {
 public:
  FullBacklog();
  ~FullBacklog();
  int port() const { return port_; }

 private:
  int listenFd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace cadre::testing
