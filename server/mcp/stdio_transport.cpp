// MCP's stdio transport: newline-delimited JSON-RPC over a spawned server's
// stdin and stdout (the process comes from security's Gate, sandboxed). One
// reader thread polls stdout and stderr; a server that writes a line past the
// limit, too much noise that is not JSON, or floods messages is stopped with
// a message that says which, and so is one that exits.
#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "server/mcp/transport.hpp"

namespace cadre::mcp {
namespace {

using Clock = std::chrono::steady_clock;

// How long a process that closed its stdout gets to report its exit code
// before the transport says "closed its output" without one.
constexpr int kExitWaitMs = 500;
// What close() gives a server to exit on EOF before it is killed.
constexpr int kGracefulExitMs = 200;

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (s.size() > max) out += "…";
  return out;
}

class StdioTransport : public Transport {
 public:
  StdioTransport(std::string name, ProcessStarter start, StdioLimits limits)
      : name_(std::move(name)), starter_(std::move(start)), limits_(limits) {}
  ~StdioTransport() override { close(); }

  Expected<void> start(Sinks sinks) override {
    auto proc = starter_();
    if (!proc) return proc.error();
    proc_ = std::move(*proc);
    sinks_ = std::move(sinks);
    reader_ = std::thread([this] { readLoop(); });
    return {};
  }

  Expected<void> send(const std::string& body, int timeoutMs) override {
    if (!proc_ || stop_.load()) return makeError(ErrorCode::Unavailable, "the connection to MCP server '" + name_ + "' is closed");
    return proc_->writeInput(body + "\n", timeoutMs);
  }

  void close() override {
    std::lock_guard lock(closeMu_);
    if (stop_.exchange(true) || !proc_) return;
    // The spec's shutdown: close its input, let it exit, then kill.
    proc_->closeInput();
    for (int i = 0; i < kGracefulExitMs / 10 && !proc_->exitStatus(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    proc_->kill();
    if (reader_.joinable()) {
      if (reader_.get_id() == std::this_thread::get_id()) reader_.detach();
      else reader_.join();
    }
  }

  std::string diagnostics() const override {
    std::lock_guard lock(tailMu_);
    std::string tail = stderrTail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    return tail;
  }

 private:
  void fail(ErrorCode code, std::string why) {
    if (stop_.load()) return;
    std::string tail = diagnostics();
    if (!tail.empty()) why += "; its stderr ends with: " + printable(tail.substr(tail.size() > 600 ? tail.size() - 600 : 0), 600);
    proc_->kill();
    if (!stop_.load() && sinks_.closed) sinks_.closed(makeError(code, std::move(why)));
  }

  void appendStderr(std::string_view bytes) {
    std::lock_guard lock(tailMu_);
    stderrTail_.append(bytes);
    if (stderrTail_.size() > limits_.stderrTailBytes)
      stderrTail_.erase(0, stderrTail_.size() - limits_.stderrTailBytes);
  }

  // Returns false when the server broke a limit (and was stopped).
  bool onLine(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) return true;
    if (line[start] != '{') {
      ++noiseLines_;
      noiseBytes_ += line.size();
      if (noiseLines_ <= 3) spdlog::warn("MCP server '{}' wrote a line that is not JSON-RPC on stdout: {}", name_, printable(line, 200));
      if (noiseLines_ > limits_.maxNoiseLines || noiseBytes_ > limits_.maxNoiseBytes) {
        fail(ErrorCode::RequestFailed, "MCP server '" + name_ + "' was stopped: it wrote " + std::to_string(noiseLines_) +
                                           " lines that are not JSON-RPC on stdout (MCP allows only messages there; the first: '" +
                                           printable(firstNoise_, 120) + "')");
        return false;
      }
      if (firstNoise_.empty()) firstNoise_ = line;
      return true;
    }
    auto now = Clock::now();
    if (now - windowStart_ > std::chrono::seconds(1)) {
      windowStart_ = now;
      windowCount_ = 0;
    }
    if (++windowCount_ > limits_.maxMessagesPerSecond) {
      fail(ErrorCode::RequestFailed, "MCP server '" + name_ + "' was stopped: it sent more than " +
                                         std::to_string(limits_.maxMessagesPerSecond) + " messages in one second (flooding)");
      return false;
    }
    if (sinks_.message) sinks_.message(std::move(line));
    return true;
  }

  void readLoop() {
    std::string partial;
    bool outOpen = true, errOpen = true;
    char buf[64 * 1024];
    while (!stop_.load() && outOpen) {
      pollfd fds[2] = {{proc_->stdoutFd(), POLLIN, 0}, {errOpen ? proc_->stderrFd() : -1, POLLIN, 0}};
      int rc = ::poll(fds, 2, 100);
      if (rc < 0 && errno != EINTR) break;
      if (rc <= 0) continue;
      if (errOpen && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::read(proc_->stderrFd(), buf, sizeof buf);
        if (n > 0) {
          appendStderr(std::string_view(buf, static_cast<std::size_t>(n)));
          spdlog::debug("MCP server '{}' stderr: {}", name_, printable(std::string_view(buf, static_cast<std::size_t>(n)), 300));
        } else if (n == 0 || errno != EINTR) {
          errOpen = false;
        }
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(proc_->stdoutFd(), buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          outOpen = false;
          break;
        }
        if (n < 0) continue;
        std::size_t from = 0;
        const std::string_view chunk(buf, static_cast<std::size_t>(n));
        while (true) {
          std::size_t nl = chunk.find('\n', from);
          if (nl == std::string_view::npos) {
            partial.append(chunk.substr(from));
            break;
          }
          partial.append(chunk.substr(from, nl - from));
          from = nl + 1;
          if (!onLine(std::move(partial))) return;
          partial.clear();
          if (stop_.load()) return;
        }
        if (partial.size() > limits_.maxMessageBytes) {
          fail(ErrorCode::RequestFailed, "MCP server '" + name_ + "' was stopped: it wrote more than " +
                                             std::to_string(limits_.maxMessageBytes >> 20) + " MiB on stdout without ending the line");
          return;
        }
      }
    }
    if (stop_.load()) return;
    // Its stdout is closed: it exited or is about to. Say how.
    std::optional<int> code;
    for (int i = 0; i < kExitWaitMs / 10 && !(code = proc_->exitStatus()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Whatever stderr still holds explains the exit best.
    while (errOpen) {
      pollfd p{proc_->stderrFd(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) break;
      ssize_t n = ::read(proc_->stderrFd(), buf, sizeof buf);
      if (n <= 0) break;
      appendStderr(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    std::string why = code ? "MCP server '" + name_ + "' exited with code " + std::to_string(*code)
                           : "MCP server '" + name_ + "' closed its output";
    if (noiseLines_ > 0) why += " (it had written " + std::to_string(noiseLines_) + " lines that are not JSON-RPC on stdout)";
    fail(ErrorCode::Unavailable, std::move(why));
  }

  std::string name_;
  ProcessStarter starter_;
  StdioLimits limits_;
  std::unique_ptr<security::SandboxedProcess> proc_;
  Sinks sinks_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::mutex closeMu_;
  mutable std::mutex tailMu_;
  std::string stderrTail_;
  std::size_t noiseLines_ = 0, noiseBytes_ = 0;
  std::string firstNoise_;
  Clock::time_point windowStart_ = Clock::now();
  std::size_t windowCount_ = 0;
};

}  // namespace

std::unique_ptr<Transport> makeStdioTransport(std::string serverName, ProcessStarter start, StdioLimits limits) {
  return std::make_unique<StdioTransport>(std::move(serverName), std::move(start), limits);
}

}  // namespace cadre::mcp
