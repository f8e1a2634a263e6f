// The libcurl multi loop behind HttpClient; see http_client.hpp.
#include "server/models/http_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "server/models/curl_api.hpp"
#include "server/models/url.hpp"
#include "server/security/egress.hpp"

namespace cadre::models {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Transfer {
  const CurlApi* curl = nullptr;
  HttpClient::TransferId id = 0;
  CURL* easy = nullptr;
  curl_slist* headerList = nullptr;
  std::string body;  // libcurl reads the POST body from here, so it lives as long as the transfer
  std::string shownUrl;
  HttpCallbacks cb;
  HttpResponseHead head;
  bool headDelivered = false;
  HttpTimeouts timeouts;
  Clock::time_point started{};
  Clock::time_point lastByte{};
  bool gotBody = false;
  bool receiverStopped = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl->easy_cleanup(easy);
    if (headerList) curl->slist_free_all(headerList);
  }

  void deliverHead() {
    if (headDelivered) return;
    headDelivered = true;
    curl->getinfo<CURLINFO_RESPONSE_CODE>(easy, &head.status);
    if (cb.onHead) cb.onHead(head);
  }

  // The earliest time this transfer is overdue, and what to say then.
  Clock::time_point deadline(std::string* why) const {
    Clock::time_point d = Clock::time_point::max();
    auto consider = [&](Clock::time_point t, const char* text) {
      if (t < d) {
        d = t;
        if (why) *why = text;
      }
    };
    if (!gotBody && timeouts.firstByte.count() > 0) consider(started + timeouts.firstByte, "no response");
    if (gotBody && timeouts.idle.count() > 0) consider(lastByte + timeouts.idle, "the stream stalled");
    if (timeouts.total.count() > 0) consider(started + timeouts.total, "the request took too long");
    return d;
  }
};

struct Pending {
  HttpClient::TransferId id;
  HttpRequest request;
  HttpCallbacks callbacks;
  Clock::time_point notBefore;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t onHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (t->headDelivered) return n;  // trailers
  if (line.rfind("HTTP/", 0) == 0) {
    t->head.headers.clear();  // a new response (after 1xx)
    return n;
  }
  if (line == "\r\n" || line == "\n") {
    long status = 0;
    t->curl->getinfo<CURLINFO_RESPONSE_CODE>(t->easy, &status);
    if (status >= 200) t->deliverHead();
    return n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) t->head.headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return n;
}

size_t onBodyBytes(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->deliverHead();
  t->gotBody = true;
  t->lastByte = Clock::now();
  if (t->cb.onBody && !t->cb.onBody(std::string_view(data, n))) {
    t->receiverStopped = true;
    return 0;  // libcurl aborts the transfer with CURLE_WRITE_ERROR
  }
  return n;
}

Error curlError(CURLcode code, const Transfer& t) {
  std::string detail = t.errbuf[0] ? t.errbuf : t.curl->easy_strerror(code);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return makeError(ErrorCode::Unavailable, "cannot connect to " + t.shownUrl + ": " + detail);
    case CURLE_OPERATION_TIMEDOUT:
      return makeError(ErrorCode::Timeout, "connecting to " + t.shownUrl + " timed out after " +
                                               std::to_string(t.timeouts.connect.count()) + " ms");
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return makeError(ErrorCode::Unavailable, "connection to " + t.shownUrl + " broke off: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return makeError(ErrorCode::Unavailable, "TLS with " + t.shownUrl + " failed: " + detail);
    default:
      return makeError(ErrorCode::IoError, "request to " + t.shownUrl + " failed: " + detail);
  }
}

}  // namespace

const std::string* HttpResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return &v;
  }
  return nullptr;
}

bool isLoopbackUrl(std::string_view url) {
  auto e = security::parseEndpoint(url);
  return e && security::isLoopback(*e);
}

struct HttpClient::Impl {
  // Set by the first request (ensureStarted), before the loop thread starts.
  std::once_flag startOnce;
  const CurlApi* curl = nullptr;
  std::optional<Error> unusable;  // why no request can be made: libcurl could not be loaded
  CURLM* multi = nullptr;
  std::thread thread;
  std::thread::id threadId;
  std::atomic<TransferId> nextId{1};

  std::mutex mu;  // guards the three below
  std::vector<Pending> incoming;
  std::vector<TransferId> cancels;
  bool stopping = false;

  // Owned by the loop thread alone.
  std::map<TransferId, std::unique_ptr<Transfer>> active;
  std::vector<Pending> delayed;

  // libcurl is loaded and the loop thread started by the first request, not
  // by the constructor: a process that makes none (cadre index, check, map)
  // never maps libcurl and its libraries (curl_api.hpp).
  void ensureStarted() {
    std::call_once(startOnce, [this] {
      auto api = curlApi();
      if (!api) {
        unusable = api.error();
        return;
      }
      curl = *api;
      multi = curl->multi_init();
      if (!multi) {
        unusable = makeError(ErrorCode::Unavailable, "libcurl could not create a multi handle (out of memory?)");
        return;
      }
      thread = std::thread([this] { run(); });
    });
  }

  void wake() { curl->multi_wakeup(multi); }

  void finish(Transfer* t, Expected<void> result) {
    curl->multi_remove_handle(multi, t->easy);  // closes the connection if the response is not whole
    auto owned = std::move(active[t->id]);
    active.erase(t->id);
    if (result) owned->deliverHead();
    if (owned->cb.onDone) owned->cb.onDone(std::move(result));
  }

  void begin(Pending p) {
    auto t = std::make_unique<Transfer>();
    t->id = p.id;
    t->cb = std::move(p.callbacks);
    t->timeouts = p.request.timeouts;
    t->body = std::move(p.request.body);
    t->shownUrl = displayUrl(p.request.url);
    t->curl = curl;
    t->easy = curl->easy_init();
    if (!t->easy) {
      if (t->cb.onDone) t->cb.onDone(makeError(ErrorCode::InternalError, "libcurl could not create a handle"));
      return;
    }
    CURL* e = t->easy;
    curl->setopt<CURLOPT_URL>(e, p.request.url.c_str());
    curl->setopt<CURLOPT_NOSIGNAL>(e, 1L);
    curl->setopt<CURLOPT_ERRORBUFFER>(e, t->errbuf);
    curl->setopt<CURLOPT_CONNECTTIMEOUT_MS>(e, static_cast<long>(std::max<long long>(1, t->timeouts.connect.count())));
    curl->setopt<CURLOPT_SSL_VERIFYPEER>(e, 1L);
    curl->setopt<CURLOPT_SSL_VERIFYHOST>(e, 2L);
    curl->setopt<CURLOPT_FOLLOWLOCATION>(e, 0L);  // a redirect would carry the key elsewhere
    curl->setopt<CURLOPT_PROTOCOLS_STR>(e, "http,https");
    curl->setopt<CURLOPT_SUPPRESS_CONNECT_HEADERS>(e, 1L);
    curl->setopt<CURLOPT_TCP_NODELAY>(e, 1L);
    // A local model server must not be reached through the user's proxy.
    if (isLoopbackUrl(p.request.url)) curl->setopt<CURLOPT_PROXY>(e, "");
    curl->setopt<CURLOPT_HEADERFUNCTION>(e, onHeaderLine);
    curl->setopt<CURLOPT_HEADERDATA>(e, t.get());
    curl->setopt<CURLOPT_WRITEFUNCTION>(e, onBodyBytes);
    curl->setopt<CURLOPT_WRITEDATA>(e, t.get());
    if (p.request.method == "GET") {
      curl->setopt<CURLOPT_HTTPGET>(e, 1L);
    } else {
      curl->setopt<CURLOPT_CUSTOMREQUEST>(e, p.request.method.c_str());
      curl->setopt<CURLOPT_POSTFIELDS>(e, t->body.data());
      curl->setopt<CURLOPT_POSTFIELDSIZE_LARGE>(e, static_cast<curl_off_t>(t->body.size()));
    }
    // "Expect: 100-continue" would hold a larger body back for a second on servers that never answer it.
    t->headerList = curl->slist_append(t->headerList, "Expect:");
    for (const auto& [name, value] : p.request.headers) {
      t->headerList = curl->slist_append(t->headerList, (name + ": " + value).c_str());
    }
    curl->setopt<CURLOPT_HTTPHEADER>(e, t->headerList);
    curl->setopt<CURLOPT_PRIVATE>(e, t.get());
    t->started = Clock::now();
    Transfer* raw = t.get();
    active[p.id] = std::move(t);
    if (curl->multi_add_handle(multi, e) != CURLM_OK) {
      auto owned = std::move(active[p.id]);
      active.erase(p.id);
      if (owned->cb.onDone) owned->cb.onDone(makeError(ErrorCode::InternalError, "libcurl refused the transfer"));
      return;
    }
    (void)raw;
  }

  void run() {
    threadId = std::this_thread::get_id();
    for (;;) {
      std::vector<Pending> fresh;
      std::vector<TransferId> toCancel;
      bool stop;
      {
        std::lock_guard lock(mu);
        fresh.swap(incoming);
        toCancel.swap(cancels);
        stop = stopping;
      }
      for (auto& p : fresh) delayed.push_back(std::move(p));
      if (stop) {
        while (!active.empty()) finish(active.begin()->second.get(), makeError(ErrorCode::RequestCancelled, "the HTTP client shut down"));
        for (auto& p : delayed) {
          if (p.callbacks.onDone) p.callbacks.onDone(makeError(ErrorCode::RequestCancelled, "the HTTP client shut down"));
        }
        delayed.clear();
        {
          std::lock_guard lock(mu);
          if (incoming.empty()) return;
        }
        continue;  // callbacks queued more work: refuse it on the next pass
      }
      for (TransferId id : toCancel) {
        if (auto it = active.find(id); it != active.end()) {
          finish(it->second.get(), makeError(ErrorCode::RequestCancelled, "request cancelled"));
          continue;
        }
        auto it = std::find_if(delayed.begin(), delayed.end(), [&](const Pending& p) { return p.id == id; });
        if (it != delayed.end()) {
          Pending p = std::move(*it);
          delayed.erase(it);
          if (p.callbacks.onDone) p.callbacks.onDone(makeError(ErrorCode::RequestCancelled, "request cancelled"));
        }
      }
      auto now = Clock::now();
      for (std::size_t i = 0; i < delayed.size();) {
        if (delayed[i].notBefore <= now) {
          Pending p = std::move(delayed[i]);
          delayed.erase(delayed.begin() + static_cast<long>(i));
          begin(std::move(p));
        } else {
          ++i;
        }
      }

      int running = 0;
      curl->multi_perform(multi, &running);
      int queued = 0;
      while (CURLMsg* msg = curl->multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl->getinfo<CURLINFO_PRIVATE>(msg->easy_handle, &t);
        if (!t) continue;
        CURLcode code = msg->data.result;
        if (t->receiverStopped) {
          finish(t, makeError(ErrorCode::RequestCancelled, "the receiver stopped the stream"));
        } else if (code != CURLE_OK) {
          finish(t, curlError(code, *t));
        } else {
          finish(t, Expected<void>{});
        }
      }

      now = Clock::now();
      auto next = now + milliseconds(1000);
      std::vector<std::pair<Transfer*, std::string>> overdue;
      for (auto& [id, t] : active) {
        std::string why;
        auto d = t->deadline(&why);
        if (d <= now) {
          overdue.emplace_back(t.get(), why);
        } else {
          next = std::min(next, d);
        }
      }
      for (auto& [t, why] : overdue) {
        auto ms = t->gotBody ? t->timeouts.idle.count() : t->timeouts.firstByte.count();
        if (why == "the request took too long") ms = t->timeouts.total.count();
        finish(t, makeError(ErrorCode::Timeout, t->shownUrl + ": " + why + " within " + std::to_string(ms) + " ms"));
      }
      for (const auto& p : delayed) next = std::min(next, p.notBefore);
      long curlWait = -1;
      curl->multi_timeout(multi, &curlWait);
      auto waitMs = std::chrono::duration_cast<milliseconds>(next - Clock::now()).count();
      if (curlWait >= 0) waitMs = std::min<long long>(waitMs, curlWait);
      waitMs = std::max<long long>(0, waitMs);
      if (!overdue.empty()) waitMs = 0;
      curl->multi_poll(multi, nullptr, 0, static_cast<int>(waitMs), nullptr);
    }
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}

HttpClient::~HttpClient() {
  // No other thread calls in any more, so startOnce's fields are settled.
  if (!impl_->thread.joinable()) return;  // never started, or libcurl unusable
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake();
  impl_->thread.join();
  impl_->curl->multi_cleanup(impl_->multi);
}

HttpClient::TransferId HttpClient::start(HttpRequest request, HttpCallbacks callbacks) {
  const TransferId id = impl_->nextId++;
  impl_->ensureStarted();
  if (impl_->unusable) {
    // Answered on the caller's thread, as after shutdown: there is no loop.
    if (callbacks.onDone) callbacks.onDone(*impl_->unusable);
    return id;
  }
  auto notBefore = Clock::now() + request.delay;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) {
      // Answer on the caller's thread; the loop will not run again.
      if (callbacks.onDone) callbacks.onDone(makeError(ErrorCode::RequestCancelled, "the HTTP client shut down"));
      return id;
    }
    impl_->incoming.push_back(Pending{id, std::move(request), std::move(callbacks), notBefore});
  }
  impl_->wake();
  return id;
}

void HttpClient::cancel(TransferId id) {
  impl_->ensureStarted();  // a no-op after start(); it also orders this thread after the loading
  if (impl_->unusable) return;  // every request already failed
  {
    std::lock_guard lock(impl_->mu);
    impl_->cancels.push_back(id);
  }
  impl_->wake();
}

bool HttpClient::onClientThread() const { return std::this_thread::get_id() == impl_->threadId; }

Expected<HttpResult> HttpClient::fetch(HttpRequest request, std::size_t maxBody) {
  struct State {
    HttpResult result;
    std::promise<Expected<void>> done;
  };
  auto state = std::make_shared<State>();
  HttpCallbacks cb;
  cb.onHead = [state](const HttpResponseHead& head) { state->result.head = head; };
  cb.onBody = [state, maxBody](std::string_view bytes) {
    if (state->result.body.size() + bytes.size() > maxBody) return false;
    state->result.body.append(bytes);
    return true;
  };
  cb.onDone = [state](Expected<void> r) { state->done.set_value(std::move(r)); };
  auto future = state->done.get_future();
  start(std::move(request), std::move(cb));
  auto r = future.get();
  if (!r) return std::move(r).error();
  return std::move(state->result);
}

HttpClient& HttpClient::shared() {
  static HttpClient client;
  return client;
}

}  // namespace cadre::models
