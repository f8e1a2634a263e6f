// Circuit breaker and pool ranking; see endpoint_health.hpp.
#include "server/models/endpoint_health.hpp"

namespace cadre::models {

bool EndpointHealth::admit(Clock::time_point now) {
  if (!open_) return true;
  if (now < openUntil_) return false;
  if (trialOut_) return false;  // half-open: one trial at a time
  trialOut_ = true;
  return true;
}

void EndpointHealth::succeeded(double firstByteMs) {
  if (inFlight_ > 0) --inFlight_;
  failures_ = 0;
  open_ = false;
  trialOut_ = false;
  ewmaMs_ = ewmaMs_ == 0 ? firstByteMs : 0.8 * ewmaMs_ + 0.2 * firstByteMs;
}

void EndpointHealth::failed(Clock::time_point now) {
  if (inFlight_ > 0) --inFlight_;
  ++failures_;
  if (open_ || failures_ >= failuresToOpen_) {
    // A failed trial opens it again for a full cool-down.
    open_ = true;
    trialOut_ = false;
    openUntil_ = now + cooldown_;
  }
}

void EndpointHealth::released() {
  if (inFlight_ > 0) --inFlight_;
  trialOut_ = false;
}

EndpointHealth::State EndpointHealth::state(Clock::time_point now) const {
  if (!open_) return State::Closed;
  return now < openUntil_ ? State::Open : State::HalfOpen;
}

double EndpointHealth::score() const { return inFlight_ * 1000.0 + ewmaMs_ + static_cast<double>(failures_) * 5000.0; }

const char* breakerStateName(EndpointHealth::State state) {
  switch (state) {
    case EndpointHealth::State::Closed: return "closed";
    case EndpointHealth::State::Open: return "open";
    case EndpointHealth::State::HalfOpen: return "half-open";
  }
  return "closed";
}

}  // namespace cadre::models
