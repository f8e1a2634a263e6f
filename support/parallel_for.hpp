// parallelFor: runs f(0..n-1) on up to `threads` threads (the caller's among
// them), handing out indices one at a time, for work items of uneven size.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace cadre {

template <class F>
void parallelFor(std::size_t n, unsigned threads, F&& f) {
  if (n == 0) return;
  const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), n));
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < n; i = next++) f(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < workers; ++t) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
}

}  // namespace cadre
