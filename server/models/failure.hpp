// Why one attempt at one model failed, in the terms the router decides on:
// fall back to the next model, retry this one later, or give up. The Error
// inside is what a user eventually reads; it never holds a key.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "support/expected.hpp"

namespace cadre::models {

enum class FailureKind {
  Connect,        // refused, reset before a response, DNS, TLS
  Timeout,        // connect, first byte or idle gap
  ServerError,    // HTTP 5xx, Anthropic's overloaded_error, an error event
  RateLimited,    // HTTP 429 (retryAfter when the server said)
  Quota,          // out of credit: retrying will not help
  Auth,           // 401/403, or the key is missing
  ModelNotFound,  // the endpoint does not serve the model
  ContextLength,  // the prompt is longer than the model takes
  BadRequest,     // another 4xx
  Interrupted,    // the stream broke off after it started
  Protocol,       // the provider sent something that is not its format
  Cancelled,
  Refused,        // a policy said no (local-only, sensitive content, budget)
};

const char* failureKindName(FailureKind kind);

struct Failure {
  Error error;
  FailureKind kind = FailureKind::ServerError;
  std::optional<std::chrono::milliseconds> retryAfter;
};

// Whether the next model in a role's list should be tried after this.
bool fallsBack(FailureKind kind);
// Whether the endpoint itself looks unwell (counts toward its breaker).
bool countsAgainstEndpoint(FailureKind kind);

// The Failure for a transport error from HttpClient.
Failure transportFailure(const Error& error);

}  // namespace cadre::models
