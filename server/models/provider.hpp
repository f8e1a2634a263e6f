// One wire format: how a ChatRequest becomes an HTTP request, how the
// streamed body becomes events on a ResponseAssembler, how an error body
// becomes a Failure, and how to ask an endpoint which models it serves.
// Providers are stateless; a StreamDecoder holds one response's state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/models/failure.hpp"
#include "server/models/http_client.hpp"
#include "server/models/model_config.hpp"
#include "server/models/response_assembler.hpp"
#include "server/models/types.hpp"

namespace cadre::models {

struct WireOptions {
  std::string baseUrl;
  std::string model;               // the provider's model id
  std::optional<std::string> key;  // goes into a header, nowhere else
  std::int64_t maxTokens = 4096;
  std::int64_t contextTokens = 32768;
  HttpTimeouts timeouts;
};

// What an error message may say about where it happened.
struct ErrorContext {
  std::string modelName;    // the config's name
  std::string servedModel;  // the provider's id
  std::string endpoint;     // displayUrl of the base URL
  std::string keySource;    // "the environment variable X (models.NAME.keyEnv)"; empty: no key configured
  std::string userConfig;   // where models are configured
};

class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Body bytes as they arrive; a Failure stops the stream (an error event,
  // malformed data).
  virtual std::optional<Failure> feed(std::string_view bytes) = 0;
  // The body ended: a Failure when the stream stopped short of its end marker.
  virtual std::optional<Failure> finish() = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual Api api() const = 0;
  virtual HttpRequest chatRequest(const ChatRequest& request, const WireOptions& options) const = 0;
  virtual std::unique_ptr<StreamDecoder> decoder(ResponseAssembler& out, const ErrorContext& context) const = 0;
  // A non-2xx response, its body read whole (capped).
  virtual Failure httpError(long status, std::string_view body, const HttpResponseHead& head, const ErrorContext& context) const = 0;
  // GET of the endpoint's model list, and the ids in its answer.
  virtual HttpRequest modelsRequest(const WireOptions& options) const = 0;
  virtual std::vector<std::string> parseModels(std::string_view body) const = 0;
};

const Provider& providerFor(Api api);

// ---- shared by the providers (provider_errors.cpp) ----

// What a provider's error body says, in its own words.
struct ProviderErrorInfo {
  std::string type;
  std::string code;
  std::string message;
};

// Classifies an HTTP error status plus the provider's words.
Failure classifyHttpError(long status, const ProviderErrorInfo& info, const HttpResponseHead& head, const ErrorContext& context);
// An error event inside a stream that had started (status 200).
Failure streamErrorFailure(const ProviderErrorInfo& info, const ErrorContext& context);
// Retry-After (delta-seconds or an HTTP date), or retry-after-ms.
std::optional<std::chrono::milliseconds> parseRetryAfter(const HttpResponseHead& head);
// A provider's message made fit to show: secrets redacted, control
// characters dropped, length capped.
std::string cleanProviderMessage(std::string_view message);
// The error JSON under "error" (object or string), in any of the shapes
// OpenAI-compatible servers, Anthropic and Ollama use.
ProviderErrorInfo errorInfoFromBody(std::string_view body);

}  // namespace cadre::models
