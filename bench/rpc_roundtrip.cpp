// JSON-RPC round trip over stdio: one client sends a trivial request
// (cadre/ping), waits for the answer, repeats. The floor is measured in the
// same run: the same framed request bytes echoed back through a pipe by `cat`,
// i.e. two pipe hops and two context switches with no work at all.
// Both run pinned to one CPU (the children inherit the affinity): on a VM a
// wake-up on the other core costs 2-90 us depending on the hypervisor's mood,
// which would measure the host, not cadre.
// Usage: bench_rpc_roundtrip CADRE [N]
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/process.hpp"
#include "protocol/framing.hpp"

using namespace cadre;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double perSecond, p50, p99;  // microseconds for p50/p99
};

Stats summarize(std::vector<double> micros, double seconds) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * micros.size()))]; };
  return {micros.size() / seconds, at(0.50), at(0.99)};
}

// Reads from `child` until `reader` holds one whole message.
std::string readMessage(bench::Child& child, protocol::FrameReader& reader) {
  while (!reader.hasEvent()) {
    std::string chunk = child.readSome();
    if (chunk.empty()) {
      std::fprintf(stderr, "bench: the child closed its output\n");
      std::exit(1);
    }
    reader.feed(chunk);
  }
  return reader.next().body;
}

// Reads exactly `n` bytes echoed back.
void readBytes(bench::Child& child, std::size_t n, std::string& pending) {
  while (pending.size() < n) {
    std::string chunk = child.readSome();
    if (chunk.empty()) {
      std::fprintf(stderr, "bench: the echo closed its output\n");
      std::exit(1);
    }
    pending += chunk;
  }
  pending.erase(0, n);
}

std::string request(int id) {
  return protocol::frame(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"cadre/ping"})");
}

template <class F>
Stats measure(int n, F roundTrip) {
  std::vector<double> micros;
  micros.reserve(n);
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    roundTrip(i);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return summarize(std::move(micros), std::chrono::duration<double>(Clock::now() - start).count());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CADRE [N]\n", argv[0]);
    return 2;
  }
  const std::string cadrePath = argv[1];
  const int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  const int warmup = std::max(100, n / 20);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(std::max(0, sched_getcpu()), &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) std::fprintf(stderr, "bench: could not pin to one CPU; figures will be noisy\n");

  // Floor: the same bytes through a pipe and back.
  bench::Child cat({"cat"});
  std::string pending;
  auto echo = [&](int i) {
    const std::string bytes = request(i + 2);
    cat.write(bytes);
    readBytes(cat, bytes.size(), pending);
  };
  measure(warmup, echo);
  const Stats floor = measure(n, echo);

  bench::Child cadre({cadrePath, "serve", "--stdio", "--log-level", "warn"});
  protocol::FrameReader reader;
  cadre.write(protocol::frame(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}})"));
  readMessage(cadre, reader);
  int id = 2;
  auto status = [&](int) {
    cadre.write(request(id++));
    const std::string reply = readMessage(cadre, reader);
    if (reply.find("\"result\"") == std::string::npos) {
      std::fprintf(stderr, "bench: unexpected reply %s\n", reply.c_str());
      std::exit(1);
    }
  };
  measure(warmup, status);
  const Stats served = measure(n, status);

  std::printf("rpc round trip over stdio: %d sequential cadre/ping requests, one client, one CPU\n", n);
  std::printf("  %-22s %10s %10s %10s\n", "", "req/s", "p50 us", "p99 us");
  std::printf("  %-22s %10.0f %10.1f %10.1f\n", "pipe floor (cat)", floor.perSecond, floor.p50, floor.p99);
  std::printf("  %-22s %10.0f %10.1f %10.1f\n", "cadre serve --stdio", served.perSecond, served.p50, served.p99);
  std::printf("  ratio cadre/floor: p50 %.2fx, p99 %.2fx, throughput %.2fx (goal: p50 within 2x)\n", served.p50 / floor.p50,
              served.p99 / floor.p99, served.perSecond / floor.perSecond);
  return 0;
}
