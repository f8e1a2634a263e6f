// MCP's Streamable HTTP transport (2025-03-26 and later): every message is
// a POST to the one endpoint with `Accept: application/json,
// text/event-stream`; a request is answered by a JSON body or an SSE stream
// that may carry the server's notifications (progress) before the response.
// The session id the server hands out on initialize (`Mcp-Session-Id`) and
// the negotiated `MCP-Protocol-Version` go on every later request; a GET
// stream carries what the server sends unprompted (list changes), and a
// DELETE ends the session on close. Each POST runs on its own thread with
// libcurl's easy interface: MCP calls are few and long, so a thread each is
// simpler than a multi loop and costs nothing that matters.
//
// HTTP failures become JSON-RPC error responses for the request that was
// sent, so the Session above sees one shape of failure; a 404 on a session
// means the server forgot it, which closes the transport (the client then
// initializes anew).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include "server/mcp/sse_reader.hpp"
#include "server/mcp/transport.hpp"
#include "server/models/curl_api.hpp"

namespace cadre::mcp {
namespace {

using json = nlohmann::json;

// A GET stream that ends is reopened after this, at most this many times in
// a row without a message in between (a server that closes it at once).
constexpr int kGetRetryMs = 1000;
constexpr int kGetMaxRetries = 5;
constexpr long kDeleteTimeoutMs = 2000;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::size_t i = s.find_first_not_of(' ');
  return i == std::string::npos ? std::string() : s.substr(i);
}

class HttpTransport;

// One HTTP exchange's state, reached from libcurl's callbacks.
struct Exchange {
  HttpTransport* owner = nullptr;
  long status = 0;
  std::string contentType;
  std::string sessionId;
  std::string body;  // a JSON body, or the start of an error body
  std::unique_ptr<SseReader> sse;
  bool headersSeen = false;
  bool tooBig = false;
  std::string sseError;
  std::size_t delivered = 0;
  bool initialize = false;  // the initialize POST: its session id replaces any old one
};

class HttpTransport : public Transport {
 public:
  HttpTransport(std::string name, HttpOptions options) : name_(std::move(name)), options_(std::move(options)) {}
  ~HttpTransport() override { close(); }

  Expected<void> start(Sinks sinks) override {
    sinks_ = std::move(sinks);
    return {};
  }

  Expected<void> send(const std::string& body, int timeoutMs) override {
    if (stop_.load()) return makeError(ErrorCode::Unavailable, "the connection to MCP server '" + name_ + "' is closed");
    json id = nullptr;
    std::string method;
    if (auto j = json::parse(body, nullptr, false); j.is_object()) {
      if (j.contains("id") && j.contains("method")) id = j["id"];
      method = j.value("method", "");
    }
    // Notifications and responses are answered at once (202): sent in line,
    // so they reach the server in order (initialized before tools/list).
    if (id.is_null()) {
      post(body, id, method, timeoutMs);
      return {};
    }
    std::lock_guard lock(threadsMu_);
    reap();
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back({std::thread([this, body, id, method, timeoutMs, done] {
                          post(body, id, method, timeoutMs);
                          done->store(true);
                        }),
                        done});
    return {};
  }

  void setProtocolVersion(const std::string& version) override {
    {
      std::lock_guard lock(mu_);
      protocolVersion_ = version;
    }
    // Initialized: open the stream for what the server sends unprompted.
    std::lock_guard lock(threadsMu_);
    if (!getThread_.joinable() && !stop_.load()) getThread_ = std::thread([this] { listen(); });
  }

  void close() override {
    if (stop_.exchange(true)) return;
    std::string session;
    {
      std::lock_guard lock(mu_);
      session = sessionId_;
    }
    if (!session.empty()) sendDelete(session);
    std::list<Worker> threads;
    std::thread get;
    {
      std::lock_guard lock(threadsMu_);
      threads.swap(threads_);
      get = std::move(getThread_);
    }
    for (auto& w : threads) joinOrDetach(w.thread);
    joinOrDetach(get);
  }

  // libcurl callbacks.
  static std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    std::string line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a 100 Continue or a redirect)
      ex->contentType.clear();
      return size * n;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) return size * n;
    std::string key = lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (key == "content-type") ex->contentType = lower(value);
    if (key == "mcp-session-id") {
      // Taken now, before the body: the answer to initialize is delivered
      // while the transfer runs, and what the Session sends next must carry it.
      ex->sessionId = value;
      ex->owner->noteSession(value, ex->initialize);
    }
    return size * n;
  }

  static std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    const std::size_t len = size * n;
    if (!ex->headersSeen) {
      ex->headersSeen = true;
      if (ex->contentType.rfind("text/event-stream", 0) == 0) {
        ex->sse = std::make_unique<SseReader>(
            [ex](SseEvent e) {
              if (!e.event.empty() && e.event != "message") return;
              if (e.data.empty()) return;  // priming events carry only an id
              ++ex->delivered;
              ex->owner->deliver(std::move(e.data));
            },
            ex->owner->options_.maxMessageBytes);
      }
    }
    if (ex->owner->stop_.load()) return 0;
    if (ex->sse) {
      if (auto ok = ex->sse->feed(std::string_view(data, len)); !ok) {
        ex->sseError = ok.error().message;
        return 0;
      }
      return len;
    }
    if (ex->body.size() + len > ex->owner->options_.maxMessageBytes) {
      ex->tooBig = true;
      return 0;
    }
    ex->body.append(data, len);
    return len;
  }

  static int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* ex = static_cast<Exchange*>(user);
    return ex->owner->stop_.load() ? 1 : 0;
  }

  void noteSession(const std::string& id, bool initialize) {
    std::lock_guard lock(mu_);
    if (sessionId_.empty() || initialize) sessionId_ = id;
  }

  void deliver(std::string message) {
    if (stop_.load() || !sinks_.message) return;
    sinks_.message(std::move(message));
  }

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  static void joinOrDetach(std::thread& t) {
    if (!t.joinable()) return;
    if (t.get_id() == std::this_thread::get_id()) t.detach();
    else t.join();
  }

  void reap() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }

  curl_slist* headerList(const models::CurlApi& curl, bool json, bool acceptJson) {
    curl_slist* h = nullptr;
    if (json) h = curl.slist_append(h, "Content-Type: application/json");
    h = curl.slist_append(h, acceptJson ? "Accept: application/json, text/event-stream" : "Accept: text/event-stream");
    std::lock_guard lock(mu_);
    if (!sessionId_.empty()) h = curl.slist_append(h, ("Mcp-Session-Id: " + sessionId_).c_str());
    if (!protocolVersion_.empty()) h = curl.slist_append(h, ("MCP-Protocol-Version: " + protocolVersion_).c_str());
    for (const auto& [k, v] : options_.headers) h = curl.slist_append(h, (k + ": " + v).c_str());
    return h;
  }

  CURL* easy(const models::CurlApi& curl, Exchange& ex, curl_slist* headers, long timeoutMs) {
    CURL* c = curl.easy_init();
    if (!c) return nullptr;
    curl.setopt<CURLOPT_URL>(c, options_.url.c_str());
    curl.setopt<CURLOPT_HTTPHEADER>(c, headers);
    curl.setopt<CURLOPT_HEADERFUNCTION>(c, &HttpTransport::onHeader);
    curl.setopt<CURLOPT_HEADERDATA>(c, &ex);
    curl.setopt<CURLOPT_WRITEFUNCTION>(c, &HttpTransport::onBody);
    curl.setopt<CURLOPT_WRITEDATA>(c, &ex);
    curl.setopt<CURLOPT_XFERINFOFUNCTION>(c, &HttpTransport::onProgress);
    curl.setopt<CURLOPT_XFERINFODATA>(c, &ex);
    curl.setopt<CURLOPT_NOPROGRESS>(c, 0L);
    curl.setopt<CURLOPT_NOSIGNAL>(c, 1L);
    curl.setopt<CURLOPT_CONNECTTIMEOUT_MS>(c, static_cast<long>(options_.connectTimeoutMs));
    if (timeoutMs > 0) curl.setopt<CURLOPT_TIMEOUT_MS>(c, timeoutMs);
    // Redirects could carry the Authorization header to another host.
    curl.setopt<CURLOPT_FOLLOWLOCATION>(c, 0L);
    curl.setopt<CURLOPT_PROTOCOLS_STR>(c, "http,https");
    ex.owner = this;
    return c;
  }

  void answerWithError(const json& id, const std::string& message) {
    if (id.is_null()) {
      spdlog::warn("MCP server '{}': {}", name_, message);
      return;
    }
    json err = {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", static_cast<int>(ErrorCode::Unavailable)}, {"message", message}}}};
    deliver(err.dump());
  }

  void deliverBody(Exchange& ex) {
    auto j = json::parse(ex.body, nullptr, false);
    if (j.is_array()) {
      for (auto& m : j) deliver(m.dump());
    } else if (!j.is_discarded()) {
      deliver(ex.body);
    }
  }

  void post(const std::string& body, const json& id, const std::string& method, int timeoutMs) {
    // libcurl is loaded by the first request (models/curl_api.hpp); without
    // it each request is answered with the loader's error.
    auto api = models::curlApi();
    if (!api) return answerWithError(id, "cannot reach MCP server '" + name_ + "' at " + options_.url + ": " + api.error().message);
    const models::CurlApi& curl = **api;
    Exchange ex;
    ex.initialize = method == "initialize";
    curl_slist* headers = headerList(curl, true, true);
    // A request's POST lives as long as its answer takes; the Session's own
    // timeout decides when to give up, this one only frees the thread.
    CURL* c = easy(curl, ex, headers, id.is_null() ? timeoutMs : 0);
    if (!c) {
      curl.slist_free_all(headers);
      return answerWithError(id, "cannot make an HTTP request (libcurl)");
    }
    curl.setopt<CURLOPT_POSTFIELDS>(c, body.c_str());
    curl.setopt<CURLOPT_POSTFIELDSIZE>(c, static_cast<long>(body.size()));
    CURLcode rc = curl.easy_perform(c);
    curl.getinfo<CURLINFO_RESPONSE_CODE>(c, &ex.status);
    curl.easy_cleanup(c);
    curl.slist_free_all(headers);
    if (stop_.load()) return;

    if (rc != CURLE_OK && !ex.sse) {
      if (ex.tooBig) return answerWithError(id, "MCP server '" + name_ + "' sent an answer over " + std::to_string(options_.maxMessageBytes >> 20) + " MiB");
      return answerWithError(id, "cannot reach MCP server '" + name_ + "' at " + options_.url + ": " + curl.easy_strerror(rc));
    }
    if (ex.status == 404 && hadSession()) {
      // The server no longer knows the session: the spec says start anew.
      if (!stop_.load() && sinks_.closed)
        sinks_.closed(makeError(ErrorCode::Unavailable, "MCP server '" + name_ + "' ended the session (HTTP 404); it must be initialized again"));
      return;
    }
    if (ex.status >= 400) {
      std::string snippet = ex.body.substr(0, 300);
      if (auto j = json::parse(ex.body, nullptr, false); j.is_object() && j.contains("error") && j["error"].is_object())
        snippet = j["error"].value("message", snippet);
      std::string hint = ex.status == 401 || ex.status == 403 ? " (check the server's headers, e.g. Authorization, in your config)" : "";
      return answerWithError(id, "MCP server '" + name_ + "' answered HTTP " + std::to_string(ex.status) + hint +
                                     (snippet.empty() ? "" : ": " + snippet));
    }
    if (ex.sse) {
      if (!ex.sseError.empty()) return answerWithError(id, "MCP server '" + name_ + "': " + ex.sseError);
      if (rc != CURLE_OK && !id.is_null())
        return answerWithError(id, "the response stream of MCP server '" + name_ + "' broke: " + curl.easy_strerror(rc));
      // A stream that ended without the answer is answered by the Session's
      // timeout; nothing can be resumed for a server with no event ids.
      return;
    }
    if (ex.status == 202 || ex.body.empty()) {
      if (!id.is_null()) answerWithError(id, "MCP server '" + name_ + "' accepted the request but sent no answer (HTTP " + std::to_string(ex.status) + ")");
      return;
    }
    if (ex.contentType.rfind("application/json", 0) != 0 && !id.is_null())
      return answerWithError(id, "MCP server '" + name_ + "' answered with Content-Type '" + ex.contentType + "', not JSON or an event stream");
    deliverBody(ex);
  }

  bool hadSession() {
    std::lock_guard lock(mu_);
    return !sessionId_.empty();
  }

  // The GET stream: server-initiated messages. 405 means the server offers none.
  void listen() {
    auto api = models::curlApi();
    if (!api) return;  // initialize already failed with the reason
    const models::CurlApi& curl = **api;
    int retries = 0;
    while (!stop_.load() && retries < kGetMaxRetries) {
      Exchange ex;
      curl_slist* headers = headerList(curl, false, false);
      CURL* c = easy(curl, ex, headers, 0);
      if (!c) {
        curl.slist_free_all(headers);
        return;
      }
      curl.easy_perform(c);
      curl.getinfo<CURLINFO_RESPONSE_CODE>(c, &ex.status);
      curl.easy_cleanup(c);
      curl.slist_free_all(headers);
      if (stop_.load() || ex.status == 405 || (ex.status >= 400 && ex.status != 404)) return;
      retries = ex.delivered > 0 ? 0 : retries + 1;
      for (int i = 0; i < kGetRetryMs / 50 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void sendDelete(const std::string&) {
    auto api = models::curlApi();
    if (!api) return;  // no session could have been opened
    const models::CurlApi& curl = **api;
    Exchange ex;
    curl_slist* headers = headerList(curl, false, true);
    CURL* c = curl.easy_init();
    if (!c) return curl.slist_free_all(headers);
    curl.setopt<CURLOPT_URL>(c, options_.url.c_str());
    curl.setopt<CURLOPT_CUSTOMREQUEST>(c, "DELETE");
    curl.setopt<CURLOPT_HTTPHEADER>(c, headers);
    curl.setopt<CURLOPT_NOSIGNAL>(c, 1L);
    curl.setopt<CURLOPT_TIMEOUT_MS>(c, kDeleteTimeoutMs);
    curl.setopt<CURLOPT_WRITEFUNCTION>(c, +[](char*, std::size_t s, std::size_t n, void*) { return s * n; });
    curl.easy_perform(c);
    curl.easy_cleanup(c);
    curl.slist_free_all(headers);
  }

  std::string name_;
  HttpOptions options_;
  Sinks sinks_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // sessionId_, protocolVersion_
  std::string sessionId_, protocolVersion_;
  std::mutex threadsMu_;
  std::list<Worker> threads_;
  std::thread getThread_;
};

}  // namespace

std::unique_ptr<Transport> makeHttpTransport(std::string serverName, HttpOptions options) {
  return std::make_unique<HttpTransport>(std::move(serverName), std::move(options));
}

}  // namespace cadre::mcp
