// Outbound HTTP for model providers: libcurl's multi interface driven by one
// dedicated thread, so any number of streams share a thread and a caller never
// blocks on the network. Bodies are handed over as they arrive (no
// buffering, no coalescing), deadlines cover connect, the first body byte and
// every gap between bytes, and cancel() closes the connection at once.
//
// Proxies come from the usual environment variables (libcurl's default),
// except for loopback URLs, which always go direct. TLS peers are verified.
//
// libcurl is loaded (curl_api.hpp) and the thread started by the first
// request, not by the constructor. When libcurl cannot be loaded, every
// request fails with Unavailable saying so, and nothing else changes.
//
// Thread-safety: start(), cancel() and fetch() may be called from any thread;
// fetch() must not be called from the client's own thread (it would wait on
// itself). Callbacks run on the client's thread, one transfer's in order,
// and onDone exactly once, last; a callback may call start() or cancel().
// Only when there is no loop to run them on (libcurl unusable, or the client
// shutting down) does start() call onDone itself, on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/expected.hpp"

namespace cadre::models {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds firstByte{120000};  // from start to the first body byte
  std::chrono::milliseconds idle{60000};        // between two body bytes
  std::chrono::milliseconds total{0};           // 0: no limit
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;  // may carry a key: never logged, never in an error
  std::string body;
  HttpTimeouts timeouts;
  std::chrono::milliseconds delay{0};  // start no sooner than this (backoff)
};

struct HttpResponseHead {
  long status = 0;
  Headers headers;  // names lowercased
  const std::string* header(std::string_view name) const;
};

struct HttpCallbacks {
  // Once, when the final response's headers are in (before any body byte).
  std::function<void(const HttpResponseHead&)> onHead;
  // Each piece of body as libcurl reads it. false: stop; onDone then gets
  // RequestCancelled.
  std::function<bool(std::string_view)> onBody;
  // Success means the response arrived whole (any status); otherwise
  // Unavailable (connect, reset, DNS), Timeout, RequestCancelled, IoError.
  std::function<void(Expected<void>)> onDone;
};

struct HttpResult {
  HttpResponseHead head;
  std::string body;
};

class HttpClient {
 public:
  using TransferId = std::uint64_t;

  HttpClient();
  ~HttpClient();  // cancels what is in flight (each gets onDone), then joins
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  TransferId start(HttpRequest request, HttpCallbacks callbacks);
  // No-op for a finished or unknown id.
  void cancel(TransferId id);
  // Blocking convenience for small requests (health checks): the whole body,
  // capped at `maxBody` bytes.
  Expected<HttpResult> fetch(HttpRequest request, std::size_t maxBody = 4u << 20);

  bool onClientThread() const;

  // One process-wide client, created on first use.
  static HttpClient& shared();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `url` names a loopback host (security::isLoopback).
bool isLoopbackUrl(std::string_view url);

}  // namespace cadre::models
