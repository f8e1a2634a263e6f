// Per-endpoint health for the router: a circuit breaker (after N failures in
// a row the endpoint is skipped for a cool-down, then one trial request
// decides), the requests in flight and a moving average of time to first
// byte, which together rank the endpoints of a pool. Not thread-safe: the
// router holds its lock around every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cadre::models {

class EndpointHealth {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { Closed, Open, HalfOpen };

  EndpointHealth(std::int64_t failuresToOpen, std::chrono::milliseconds cooldown)
      : failuresToOpen_(failuresToOpen), cooldown_(cooldown) {}

  // Whether a request may go now; a half-open endpoint admits one trial.
  bool admit(Clock::time_point now);
  void begin() { ++inFlight_; }
  void succeeded(double firstByteMs);
  void failed(Clock::time_point now);
  // A request that ended for a reason that says nothing about the endpoint.
  void released();

  State state(Clock::time_point now) const;
  int inFlight() const { return inFlight_; }
  double averageFirstByteMs() const { return ewmaMs_; }
  std::int64_t consecutiveFailures() const { return failures_; }
  // Lower is better: load and latency, with a penalty for recent failures.
  double score() const;

 private:
  std::int64_t failuresToOpen_;
  std::chrono::milliseconds cooldown_;
  std::int64_t failures_ = 0;
  Clock::time_point openUntil_{};
  bool open_ = false;
  bool trialOut_ = false;
  int inFlight_ = 0;
  double ewmaMs_ = 0;
};

const char* breakerStateName(EndpointHealth::State state);

}  // namespace cadre::models
