// The scripted loopback HTTP server; see test_server.hpp.
#include "tests/unit/models/test_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace cadre::testing {
namespace {

bool sendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Whether the peer has closed (or reset) its end; waits up to `ms`.
bool peerClosed(int fd, int ms) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, ms) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return true;
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Script response(int status, const std::string& contentType, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + contentType +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : extra) head += k + ": " + v + "\r\n";
  return {raw(head + "\r\n" + body)};
}

Step streamHead(const std::string& contentType, const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n";
  for (const auto& [k, v] : extra) head += k + ": " + v + "\r\n";
  return raw(head + "\r\n");
}

Script streamParts(const std::string& contentType, const std::vector<std::string>& parts, int gapMs) {
  Script s{streamHead(contentType)};
  for (const auto& p : parts) {
    s.push_back(chunk(p));
    if (gapMs > 0) s.push_back(pause(gapMs));
  }
  s.push_back(endChunks());
  return s;
}

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 64) != 0) {
    throw std::runtime_error("test server: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  stop_ = true;
  if (acceptThread_.joinable()) acceptThread_.join();
  ::close(listenFd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(connections_);
  }
  for (auto& t : threads) t.join();
}

std::string TestHttpServer::url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

std::vector<HttpExchange> TestHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::size_t TestHttpServer::requestCount() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

std::vector<std::chrono::steady_clock::time_point> TestHttpServer::clientCloses() const {
  std::lock_guard lock(mu_);
  return closes_;
}

void TestHttpServer::acceptLoop() {
  while (!stop_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listenFd_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void TestHttpServer::serve(int fd) {
  std::string in;
  char buf[8192];
  std::size_t headerEnd = std::string::npos;
  while (headerEnd == std::string::npos && !stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      return;
    }
    in.append(buf, static_cast<std::size_t>(n));
    headerEnd = in.find("\r\n\r\n");
  }
  if (headerEnd == std::string::npos) {
    ::close(fd);
    return;
  }
  HttpExchange ex;
  ex.receivedAt = std::chrono::steady_clock::now();
  std::size_t lineEnd = in.find("\r\n");
  std::string requestLine = in.substr(0, lineEnd);
  auto sp1 = requestLine.find(' ');
  auto sp2 = requestLine.find(' ', sp1 + 1);
  ex.method = requestLine.substr(0, sp1);
  ex.path = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t pos = lineEnd + 2;
  while (pos < headerEnd) {
    std::size_t e = in.find("\r\n", pos);
    std::string line = in.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      ex.headers[lower(line.substr(0, colon))] = value;
    }
    pos = e + 2;
  }
  std::size_t length = 0;
  if (auto it = ex.headers.find("content-length"); it != ex.headers.end()) length = std::stoul(it->second);
  ex.body = in.substr(headerEnd + 4);
  while (ex.body.size() < length && !stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    ex.body.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t index;
  {
    std::lock_guard lock(mu_);
    index = requests_.size();
    requests_.push_back(ex);
  }
  Script script = handler_(ex, index);
  auto noteClose = [&] {
    std::lock_guard lock(mu_);
    closes_.push_back(std::chrono::steady_clock::now());
  };
  for (const Step& step : script) {
    if (step.kind == Step::Raw || step.kind == Step::Chunk) {
      std::string bytes = step.bytes;
      if (step.kind == Step::Chunk) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
        bytes = size + bytes + "\r\n";
      }
      if (!sendAll(fd, bytes)) {
        noteClose();
        break;
      }
    } else if (step.kind == Step::Sleep) {
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(step.ms);
      bool closed = false;
      while (!stop_ && std::chrono::steady_clock::now() < until) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
        if (peerClosed(fd, static_cast<int>(std::max<long long>(0, std::min<long long>(left, 10))))) {
          closed = true;
          break;
        }
      }
      if (closed) {
        noteClose();
        break;
      }
    } else if (step.kind == Step::Reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      break;
    } else if (step.kind == Step::Hang) {
      while (!stop_) {
        if (peerClosed(fd, 10)) {
          noteClose();
          break;
        }
      }
      break;
    }
  }
  ::close(fd);
}

int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

FullBacklog::FullBacklog() {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listenFd_, 0);
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers_.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

FullBacklog::~FullBacklog() {
  for (int fd : fillers_) ::close(fd);
  ::close(listenFd_);
}

}  // namespace cadre::testing
