// Model streaming relay: cadre's router (HttpClient → SSE → provider decoder
// → the caller's callback) beside the curl CLI as the direct client, against
// the same local OpenAI-style streaming server in one run.
//  - latency: paced streams (a token every millisecond); for every token the
//    time from the server's write to the client having it. The first token's
//    p50 is the time to first token a client adds; the p99 over all tokens is
//    the per-chunk cost. "added" = cadre − curl.
//  - throughput: one long stream written as fast as the server can; tokens
//    per second from the first token to the last, cadre / curl.
// Both arms run pinned to one CPU (as bench_rpc_roundtrip does): on a VM a
// cross-core wake-up costs more than what is measured here.
// Usage: bench_model_relay [--quick]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/process.hpp"
#include "server/models/router.hpp"

using namespace cadre;
using Clock = std::chrono::steady_clock;

namespace {

double micros(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::micro>(b - a).count(); }

std::string event(std::size_t i) {
  // The shape and size of a real OpenAI chunk.
  return "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"bench-model\","
         "\"system_fingerprint\":\"fp_0aa8d3e20b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok" +
         std::to_string(i) + " \"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";
}

const std::string kEnd = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

std::string chunked(const std::string& bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return size + bytes + "\r\n";
}

bool sendAll(int fd, const std::string& b) {
  std::size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// One connection at a time (the arms run one request after another). Paths:
// /paced/… streams `pacedTokens` a millisecond apart; /bulk/… streams
// `bulkTokens` as fast as it can. Write times of the paced tokens are kept.
class StreamServer {
 public:
  StreamServer(std::size_t pacedTokens, std::size_t bulkTokens) : paced_(pacedTokens), bulk_(bulkTokens) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0) {
      std::fprintf(stderr, "bench: cannot listen\n");
      std::exit(1);
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~StreamServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string base(const char* mode) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + mode + "/v1"; }

  // The write times of the next finished paced stream.
  std::vector<Clock::time_point> takeWrites() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !done_.empty(); });
    auto w = std::move(done_.front());
    done_.pop_front();
    return w;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      serve(c);
      ::close(c);
    }
  }

  void serve(int c) {
    std::string in;
    char buf[4096];
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    for (const char* h : {"Content-Length: ", "content-length: "}) {
      if (auto at = in.find(h); at != std::string::npos) length = std::stoul(in.substr(at + std::strlen(h)));
    }
    while (in.size() < end + 4 + length) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    const bool paced = in.find(" /paced/") != std::string::npos;
    sendAll(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    std::vector<Clock::time_point> writes;
    if (paced) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      for (std::size_t i = 0; i < paced_; ++i) {
        const std::string bytes = chunked(event(i));
        writes.push_back(Clock::now());
        sendAll(c, bytes);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    } else {
      for (std::size_t i = 0; i < bulk_; ++i) {
        if (!sendAll(c, chunked(event(i)))) return;
      }
    }
    sendAll(c, chunked(kEnd) + "0\r\n\r\n");
    ::shutdown(c, SHUT_WR);
    while (::recv(c, buf, sizeof buf, 0) > 0) {  // let the client close first
    }
    if (paced) {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(writes));
      cv_.notify_all();
    }
  }

  std::size_t paced_, bulk_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Clock::time_point>> done_;
};

const std::string kBody = R"({"model":"bench-model","messages":[{"role":"user","content":"hi"}],"stream":true})";

// The arrival time of every token, as cadre's caller sees it.
std::vector<Clock::time_point> viaCadre(models::Router& router) {
  std::vector<Clock::time_point> at;
  at.reserve(1 << 17);
  models::StreamCallbacks cb;
  cb.onText = [&](std::string_view) { at.push_back(Clock::now()); };
  models::ChatRequest req;
  req.messages.push_back({models::Role::User, "hi", {}, {}, {}});
  auto out = router.complete(req, {}, cb);
  if (!out) {
    std::fprintf(stderr, "bench: cadre: %s\n", out.error().message.c_str());
    std::exit(1);
  }
  return at;
}

// The same as the curl CLI's reader sees it: each content event gets the
// time of the read that completed it.
std::vector<Clock::time_point> viaCurl(const std::string& url) {
  bench::Child curl({"curl", "-sN", "--no-buffer", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", kBody, url});
  curl.closeStdin();
  std::vector<Clock::time_point> at;
  at.reserve(1 << 17);
  std::string pending;
  for (;;) {
    std::string got = curl.readSome();
    if (got.empty()) break;
    const auto now = Clock::now();
    pending += got;
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find("\n\n", start)) != std::string::npos; start = nl + 2) {
      if (pending.compare(start, 6, "data: ") == 0 && pending.find("\"content\":", start) < nl) at.push_back(now);
    }
    pending.erase(0, start);
  }
  if (curl.wait() != 0) {
    std::fprintf(stderr, "bench: curl failed (is it installed? scripts/bootstrap)\n");
    std::exit(1);
  }
  return at;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Latency {
  std::vector<double> first, all;
};

template <class Run>
Latency pacedRuns(StreamServer& server, std::size_t runs, std::size_t tokens, Run run) {
  Latency l;
  for (std::size_t r = 0; r < runs; ++r) {
    auto at = run();
    auto writes = server.takeWrites();
    if (at.size() != tokens || writes.size() != tokens) {
      std::fprintf(stderr, "bench: expected %zu tokens, got %zu (server wrote %zu)\n", tokens, at.size(), writes.size());
      std::exit(1);
    }
    l.first.push_back(micros(writes[0], at[0]));
    for (std::size_t i = 0; i < tokens; ++i) l.all.push_back(micros(writes[i], at[i]));
  }
  return l;
}

double tokensPerSecond(const std::vector<Clock::time_point>& at) {
  return static_cast<double>(at.size() - 1) / std::chrono::duration<double>(at.back() - at.front()).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, pin = true;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") quick = true;
    if (std::string(argv[i]) == "--no-pin") pin = false;  // to see what the pinning changes
  }
  const std::size_t runs = quick ? 20 : 200, paced = 20, bulk = quick ? 5000 : 100000, bulkRuns = quick ? 2 : 5;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (pin) ::sched_setaffinity(0, sizeof one, &one);

  StreamServer server(paced, bulk);
  models::HttpClient http;
  auto makeRouter = [&](const char* mode) {
    models::RouterConfig c;
    models::ModelSpec m;
    m.name = "bench";
    m.api = models::Api::OpenAI;
    m.model = "bench-model";
    m.endpoints = {server.base(mode)};
    c.models = {m};
    auto r = models::Router::create(c, http);
    if (!r) {
      std::fprintf(stderr, "bench: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    return std::move(*r);
  };
  auto pacedRouter = makeRouter("paced");
  auto bulkRouter = makeRouter("bulk");
  const std::string pacedUrl = server.base("paced") + "/chat/completions";
  const std::string bulkUrl = server.base("bulk") + "/chat/completions";

  // Warm both (connections, page cache, curl's startup).
  pacedRuns(server, 2, paced, [&] { return viaCadre(*pacedRouter); });
  pacedRuns(server, 2, paced, [&] { return viaCurl(pacedUrl); });

  Latency cadreL = pacedRuns(server, runs, paced, [&] { return viaCadre(*pacedRouter); });
  Latency curlL = pacedRuns(server, runs, paced, [&] { return viaCurl(pacedUrl); });

  std::vector<double> cadreTps, curlTps;
  for (std::size_t r = 0; r < bulkRuns; ++r) {
    auto a = viaCadre(*bulkRouter);
    auto b = viaCurl(bulkUrl);
    if (a.size() != bulk || b.size() != bulk) {
      std::fprintf(stderr, "bench: bulk stream lost tokens (cadre %zu, curl %zu of %zu)\n", a.size(), b.size(), bulk);
      return 1;
    }
    cadreTps.push_back(tokensPerSecond(a));
    curlTps.push_back(tokensPerSecond(b));
  }
  const double cadreFirst = percentile(cadreL.first, 0.5), curlFirst = percentile(curlL.first, 0.5);
  const double cadreP99 = percentile(cadreL.all, 0.99), curlP99 = percentile(curlL.all, 0.99);
  if (std::getenv("BENCH_VERBOSE")) {
    for (double q : {0.5, 0.9, 0.95, 0.99})
      std::printf("  q%.2f per token: cadre %.1f curl %.1f\n", q, percentile(cadreL.all, q), percentile(curlL.all, q));
  }
  const double cadreRate = percentile(cadreTps, 0.5), curlRate = percentile(curlTps, 0.5);

  std::printf("model relay (%s): %zu paced streams × %zu tokens, %zu bulk streams × %zu tokens, one CPU\n", quick ? "quick" : "full", runs,
              paced, bulkRuns, bulk);
  std::printf("  first token, server write → client  p50: cadre %7.1f µs   curl %7.1f µs   added %+7.1f µs (target ≤ +300)\n",
              cadreFirst, curlFirst, cadreFirst - curlFirst);
  std::printf("  every token, server write → client  p99: cadre %7.1f µs   curl %7.1f µs   added %+7.1f µs (target ≤ +50)\n", cadreP99,
              curlP99, cadreP99 - curlP99);
  std::printf("  long stream throughput (median):       cadre %9.0f tok/s   curl %9.0f tok/s   ratio %.2f (target ≥ 0.95)\n",
              cadreRate, curlRate, cadreRate / curlRate);
  return 0;
}
