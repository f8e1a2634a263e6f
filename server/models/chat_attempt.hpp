// One try of one request at one endpoint: the provider's HTTP request on the
// HttpClient, the body through the provider's decoder into a
// ResponseAssembler, and at the end either a ChatResponse or a Failure the
// router can decide on. Error statuses have their body collected (capped) and
// mapped by the provider.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "server/models/http_client.hpp"
#include "server/models/provider.hpp"

namespace cadre::models {

struct AttemptOutcome {
  std::optional<Failure> failure;  // empty: `response` is the answer
  ChatResponse response;
  bool delivered = false;  // the caller already saw part of this answer
  double timeToFirstTokenMs = 0;
  double generationMs = 0;  // first token → end
  double totalMs = 0;
};

struct AttemptSpec {
  const Provider* provider = nullptr;
  HttpRequest http;
  ErrorContext context;
  bool textTools = false;
  std::vector<std::string> toolNames;
};

// Starts the attempt; `done` runs once on the HTTP thread. The returned id
// cancels it through HttpClient::cancel.
HttpClient::TransferId startAttempt(HttpClient& http, AttemptSpec spec, StreamCallbacks callbacks,
                                    std::function<void(AttemptOutcome)> done);

}  // namespace cadre::models
