// Failure classification; see failure.hpp.
#include "server/models/failure.hpp"

namespace cadre::models {

const char* failureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::Connect: return "connect";
    case FailureKind::Timeout: return "timeout";
    case FailureKind::ServerError: return "server-error";
    case FailureKind::RateLimited: return "rate-limited";
    case FailureKind::Quota: return "quota";
    case FailureKind::Auth: return "auth";
    case FailureKind::ModelNotFound: return "model-not-found";
    case FailureKind::ContextLength: return "context-length";
    case FailureKind::BadRequest: return "bad-request";
    case FailureKind::Interrupted: return "interrupted";
    case FailureKind::Protocol: return "protocol";
    case FailureKind::Cancelled: return "cancelled";
    case FailureKind::Refused: return "refused";
  }
  return "unknown";
}

bool fallsBack(FailureKind kind) {
  // A cancelled request is over; a refused one would be refused the same way
  // for the reason the router already applies to every candidate. Everything
  // else is about this model or its endpoint, and the next one may do better.
  return kind != FailureKind::Cancelled && kind != FailureKind::Refused;
}

bool countsAgainstEndpoint(FailureKind kind) {
  return kind == FailureKind::Connect || kind == FailureKind::Timeout || kind == FailureKind::ServerError ||
         kind == FailureKind::Interrupted;
}

Failure transportFailure(const Error& error) {
  switch (error.code) {
    case ErrorCode::Timeout: return {error, FailureKind::Timeout, {}};
    case ErrorCode::RequestCancelled: return {error, FailureKind::Cancelled, {}};
    case ErrorCode::Unavailable: return {error, FailureKind::Connect, {}};
    default: return {error, FailureKind::Connect, {}};
  }
}

}  // namespace cadre::models
