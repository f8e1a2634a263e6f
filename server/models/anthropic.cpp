// Anthropic Messages (POST {base}/v1/messages, SSE): message_start,
// content_block_start/delta/stop (text_delta, input_json_delta for tool_use,
// thinking deltas ignored), message_delta with stop_reason and usage,
// message_stop, ping, and error events. The system prompt is a top-level
// field; tool results go back as tool_result blocks in a user turn, and turns
// of the same role are merged because the API wants them alternating.
#include <map>

#include "server/models/provider.hpp"
#include "server/models/sse.hpp"
#include "server/models/url.hpp"

namespace cadre::models {
namespace {

using json = nlohmann::json;

constexpr const char* kApiVersion = "2023-06-01";

StopReason stopFrom(const std::string& r) {
  if (r == "end_turn") return StopReason::EndTurn;
  if (r == "max_tokens") return StopReason::MaxTokens;
  if (r == "tool_use") return StopReason::ToolUse;
  if (r == "stop_sequence") return StopReason::StopSequence;
  if (r == "refusal") return StopReason::ContentFilter;
  return StopReason::Unknown;
}

json contentBlocks(const ChatMessage& m) {
  json blocks = json::array();
  if (m.role == Role::Tool) {
    blocks.push_back({{"type", "tool_result"}, {"tool_use_id", m.toolCallId}, {"content", m.content}});
    return blocks;
  }
  if (!m.content.empty()) blocks.push_back({{"type", "text"}, {"text", m.content}});
  for (const auto& c : m.toolCalls) {
    json input = json::parse(c.arguments.empty() ? "{}" : c.arguments, nullptr, false);
    if (!input.is_object()) input = json::object();
    blocks.push_back({{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", std::move(input)}});
  }
  return blocks;
}

class AnthropicDecoder final : public StreamDecoder {
 public:
  AnthropicDecoder(ResponseAssembler& out, const ErrorContext& ctx) : out_(out), ctx_(ctx), sse_([this](const SseEvent& e) { onEvent(e); }) {}

  std::optional<Failure> feed(std::string_view bytes) override {
    if (auto r = sse_.feed(bytes); !r) return Failure{r.error(), FailureKind::Protocol, {}};
    return std::exchange(failure_, std::nullopt);
  }

  std::optional<Failure> finish() override {
    sse_.finish();
    if (failure_) return failure_;
    if (done_) return std::nullopt;
    return Failure{makeError(ErrorCode::Unavailable, ctx_.modelName + ": " + ctx_.endpoint + ": the stream ended before message_stop"),
                   FailureKind::Interrupted, {}};
  }

 private:
  void onEvent(const SseEvent& e) {
    if (failure_ || done_) return;
    try {
      event(e);
    } catch (const json::exception&) {
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent an event cadre cannot read"),
                         FailureKind::Protocol, {}};
    }
  }

  void event(const SseEvent& e) {
    json j = json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent an event that is not JSON"),
                         FailureKind::Protocol, {}};
      return;
    }
    // The `type` in the data is authoritative; the `event:` line repeats it.
    const std::string type = j.value("type", e.event);
    if (type == "ping") return;
    if (type == "error") {
      failure_ = streamErrorFailure(errorInfoFromBody(j.dump()), ctx_);
      return;
    }
    if (type == "message_start") {
      const json& msg = j.at("message");
      if (auto u = msg.find("usage"); u != msg.end() && u->is_object()) usage(*u);
      return;
    }
    if (type == "content_block_start") {
      const int index = j.at("index").get<int>();
      const json& block = j.at("content_block");
      const std::string kind = block.value("type", "");
      if (kind == "text") {
        if (auto t = block.find("text"); t != block.end() && t->is_string()) out_.text(t->get_ref<const std::string&>());
      } else if (kind == "tool_use") {
        const std::size_t slot = out_.toolCallSlots();
        slots_[index] = slot;
        out_.toolCallDelta(slot, block.value("id", ""), block.value("name", ""), "");
        // A block that carries its whole input up front and gets no deltas.
        if (auto in = block.find("input"); in != block.end() && in->is_object() && !in->empty()) initialInput_[index] = in->dump();
      }
      return;
    }
    if (type == "content_block_delta") {
      const int index = j.at("index").get<int>();
      const json& d = j.at("delta");
      const std::string kind = d.value("type", "");
      if (kind == "text_delta") {
        out_.text(d.at("text").get_ref<const std::string&>());
      } else if (kind == "input_json_delta") {
        auto it = slots_.find(index);
        if (it == slots_.end()) return;
        initialInput_.erase(index);
        out_.toolCallDelta(it->second, "", "", d.at("partial_json").get_ref<const std::string&>());
      }
      // thinking_delta, signature_delta, citations: not part of the answer
      return;
    }
    if (type == "content_block_stop") {
      const int index = j.value("index", -1);
      if (auto in = initialInput_.find(index); in != initialInput_.end()) {
        out_.toolCallDelta(slots_[index], "", "", in->second);
        initialInput_.erase(in);
      }
      return;
    }
    if (type == "message_delta") {
      if (auto d = j.find("delta"); d != j.end() && d->is_object()) {
        if (auto r = d->find("stop_reason"); r != d->end() && r->is_string()) out_.stop(stopFrom(r->get<std::string>()), r->get<std::string>());
      }
      if (auto u = j.find("usage"); u != j.end() && u->is_object()) usage(*u);
      return;
    }
    if (type == "message_stop") {
      done_ = true;
      return;
    }
    // Unknown event types are skipped: the API adds new ones over time.
  }

  void usage(const json& u) {
    std::int64_t input = 0;
    bool any = false;
    for (const char* key : {"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}) {
      if (auto it = u.find(key); it != u.end() && it->is_number_integer()) {
        input += it->get<std::int64_t>();
        any = true;
      }
    }
    if (any) out_.promptTokens(input);
    if (auto o = u.find("output_tokens"); o != u.end() && o->is_number_integer()) out_.completionTokens(o->get<std::int64_t>());
  }

  ResponseAssembler& out_;
  ErrorContext ctx_;
  SseParser sse_;
  std::map<int, std::size_t> slots_;  // content block index → tool-call slot
  std::map<int, std::string> initialInput_;
  bool done_ = false;
  std::optional<Failure> failure_;
};

class AnthropicProvider final : public Provider {
 public:
  Api api() const override { return Api::Anthropic; }

  HttpRequest chatRequest(const ChatRequest& request, const WireOptions& o) const override {
    std::string system;
    json messages = json::array();
    for (const auto& m : request.messages) {
      if (m.role == Role::System) {
        system += (system.empty() ? "" : "\n\n") + m.content;
        continue;
      }
      const char* role = m.role == Role::Assistant ? "assistant" : "user";  // tool results travel in user turns
      json blocks = contentBlocks(m);
      if (blocks.empty()) continue;
      if (!messages.empty() && messages.back()["role"] == role) {
        for (auto& b : blocks) messages.back()["content"].push_back(std::move(b));
      } else {
        messages.push_back({{"role", role}, {"content", std::move(blocks)}});
      }
    }
    json body = {{"model", o.model}, {"max_tokens", o.maxTokens}, {"stream", true}, {"messages", std::move(messages)}};
    if (!system.empty()) body["system"] = system;
    if (request.temperature) body["temperature"] = *request.temperature;
    if (!request.tools.empty()) {
      json tools = json::array();
      for (const auto& t : request.tools) tools.push_back({{"name", t.name}, {"description", t.description}, {"input_schema", t.parameters}});
      body["tools"] = std::move(tools);
    }
    HttpRequest r;
    r.url = joinUrl(o.baseUrl, "v1/messages");
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}, {"anthropic-version", kApiVersion}};
    if (o.key) r.headers.emplace_back("x-api-key", *o.key);
    r.timeouts = o.timeouts;
    return r;
  }

  std::unique_ptr<StreamDecoder> decoder(ResponseAssembler& out, const ErrorContext& ctx) const override {
    return std::make_unique<AnthropicDecoder>(out, ctx);
  }

  Failure httpError(long status, std::string_view body, const HttpResponseHead& head, const ErrorContext& ctx) const override {
    // 529 is Anthropic's "overloaded": a server error in everything but number.
    return classifyHttpError(status, errorInfoFromBody(body), head, ctx);
  }

  HttpRequest modelsRequest(const WireOptions& o) const override {
    HttpRequest r;
    r.method = "GET";
    r.url = joinUrl(o.baseUrl, "v1/models");
    r.headers = {{"anthropic-version", kApiVersion}};
    if (o.key) r.headers.emplace_back("x-api-key", *o.key);
    r.timeouts = o.timeouts;
    return r;
  }

  std::vector<std::string> parseModels(std::string_view body) const override {
    std::vector<std::string> ids;
    json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return ids;
    for (const auto& m : j["data"]) {
      if (m.is_object() && m.contains("id") && m["id"].is_string()) ids.push_back(m["id"].get<std::string>());
    }
    return ids;
  }
};

}  // namespace

const Provider& anthropicProvider() {
  static const AnthropicProvider p;
  return p;
}

}  // namespace cadre::models
