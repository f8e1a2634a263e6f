// OpenAI-compatible chat completions (POST {base}/chat/completions, SSE):
// OpenAI itself, vLLM, LM Studio, llama.cpp's server, Ollama's /v1, Groq,
// DeepSeek, Gemini's OpenAI endpoint, LiteLLM. Tool calls arrive as
// fragments keyed by `index`; some servers (Ollama's /v1) reuse index 0 for
// every call of a turn and tell them apart only by id, so a new id at a used
// index opens a new call.
#include <map>

#include "server/models/json_scan.hpp"
#include "server/models/provider.hpp"
#include "server/models/sse.hpp"
#include "server/models/url.hpp"

namespace cadre::models {
namespace {

using json = nlohmann::json;

StopReason stopFrom(const std::string& r) {
  if (r == "stop") return StopReason::EndTurn;
  if (r == "length") return StopReason::MaxTokens;
  if (r == "tool_calls" || r == "function_call") return StopReason::ToolUse;
  if (r == "content_filter") return StopReason::ContentFilter;
  return StopReason::Unknown;
}

json openaiMessageJson(const ChatMessage& m) {
  json out = {{"role", roleName(m.role)}};
  if (m.role == Role::Tool) {
    out["tool_call_id"] = m.toolCallId;
    out["content"] = m.content;
    return out;
  }
  if (m.role == Role::Assistant && !m.toolCalls.empty()) {
    out["content"] = m.content.empty() ? json(nullptr) : json(m.content);
    json calls = json::array();
    for (const auto& c : m.toolCalls) {
      calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments.empty() ? "{}" : c.arguments}}}});
    }
    out["tool_calls"] = std::move(calls);
    return out;
  }
  out["content"] = m.content;
  return out;
}

class OpenAIDecoder final : public StreamDecoder {
 public:
  OpenAIDecoder(ResponseAssembler& out, const ErrorContext& ctx) : out_(out), ctx_(ctx), sse_([this](const SseEvent& e) { onEvent(e); }) {}

  std::optional<Failure> feed(std::string_view bytes) override {
    if (auto r = sse_.feed(bytes); !r) return Failure{r.error(), FailureKind::Protocol, {}};
    return std::exchange(failure_, std::nullopt);
  }

  std::optional<Failure> finish() override {
    sse_.finish();
    if (failure_) return failure_;
    if (done_ || out_.stopped()) return std::nullopt;
    return Failure{makeError(ErrorCode::Unavailable, ctx_.modelName + ": " + ctx_.endpoint + ": the stream ended before its end ([DONE])"),
                   FailureKind::Interrupted, {}};
  }

 private:
  void onEvent(const SseEvent& e) {
    if (failure_ || done_) return;
    try {
      event(e);
    } catch (const json::exception&) {  // a field of an unexpected type
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent an event cadre cannot read"),
                         FailureKind::Protocol, {}};
    }
  }

  void event(const SseEvent& e) {
    if (e.data == "[DONE]") {
      done_ = true;
      return;
    }
    if (fastEvent(e.data)) return;
    json j = json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent an event that is not JSON"),
                         FailureKind::Protocol, {}};
      return;
    }
    if (auto err = j.find("error"); err != j.end() && !err->is_null()) {
      failure_ = streamErrorFailure(errorInfoFromBody(j.dump()), ctx_);
      return;
    }
    if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
      if (auto p = u->find("prompt_tokens"); p != u->end() && p->is_number_integer()) out_.promptTokens(p->get<std::int64_t>());
      if (auto c = u->find("completion_tokens"); c != u->end() && c->is_number_integer()) out_.completionTokens(c->get<std::int64_t>());
    }
    auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array()) return;
    for (const auto& choice : *choices) {
      if (!choice.is_object() || choice.value("index", 0) != 0) continue;  // cadre asks for one choice
      if (auto d = choice.find("delta"); d != choice.end() && d->is_object()) delta(*d);
      if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string()) out_.stop(stopFrom(f->get<std::string>()), f->get<std::string>());
    }
  }

  // The common chunk — content, finish_reason, usage — read without building
  // a DOM (json_scan.hpp). Anything else (tool calls, errors, an odd shape)
  // returns false before emitting anything, and the full parser takes over.
  bool fastEvent(std::string_view data) {
    struct Choice {
      std::int64_t index = 0;
      bool hasContent = false;
      bool hasFinish = false;
    };
    JsonScan s(data);
    std::string_view key;
    std::optional<std::int64_t> prompt, completion;
    std::vector<Choice> choices;
    std::vector<std::string> contents, finishes;  // parallel to choices; reused buffers would not outlive a reallocation
    if (!s.beginObject()) return false;
    while (s.nextKey(key)) {
      if (key == "choices") {
        if (s.isNull()) continue;
        if (!s.beginArray()) return false;
        while (s.nextElement()) {
          Choice c;
          std::string content, finish;
          if (!s.beginObject()) return false;
          std::string_view ck;
          while (s.nextKey(ck)) {
            if (ck == "index") {
              if (!s.readInt(c.index)) return false;
            } else if (ck == "finish_reason") {
              if (s.isNull()) continue;
              if (!s.readString(finish)) return false;
              c.hasFinish = true;
            } else if (ck == "delta") {
              if (!s.beginObject()) return false;
              std::string_view dk;
              while (s.nextKey(dk)) {
                if (dk == "content") {
                  if (s.isNull()) continue;
                  if (!s.readString(content)) return false;
                  c.hasContent = true;
                } else if (dk == "tool_calls" || dk == "function_call") {
                  return false;
                } else if (!s.skipValue()) {
                  return false;
                }
              }
              if (!s.ok()) return false;
            } else if (!s.skipValue()) {
              return false;
            }
          }
          if (!s.ok()) return false;
          choices.push_back(c);
          contents.push_back(std::move(content));
          finishes.push_back(std::move(finish));
        }
        if (!s.ok()) return false;
      } else if (key == "usage") {
        if (s.isNull()) continue;
        if (!s.beginObject()) return false;
        std::string_view uk;
        while (s.nextKey(uk)) {
          std::int64_t n = 0;
          if (uk == "prompt_tokens" || uk == "completion_tokens") {
            if (s.isNull()) continue;
            if (!s.readInt(n)) return false;
            (uk == "prompt_tokens" ? prompt : completion) = n;
          } else if (!s.skipValue()) {
            return false;
          }
        }
        if (!s.ok()) return false;
      } else if (key == "error") {
        if (!s.isNull()) return false;
      } else if (!s.skipValue()) {
        return false;
      }
    }
    if (!s.atEnd()) return false;
    if (prompt) out_.promptTokens(*prompt);
    if (completion) out_.completionTokens(*completion);
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (choices[i].index != 0) continue;
      if (choices[i].hasContent) out_.text(contents[i]);
      if (choices[i].hasFinish) out_.stop(stopFrom(finishes[i]), finishes[i]);
    }
    return true;
  }

  void delta(const json& d) {
    if (auto c = d.find("content"); c != d.end() && c->is_string()) out_.text(c->get_ref<const std::string&>());
    auto calls = d.find("tool_calls");
    if (calls == d.end() || !calls->is_array()) return;
    for (std::size_t pos = 0; pos < calls->size(); ++pos) {
      const json& tc = (*calls)[pos];
      if (!tc.is_object()) continue;
      const int raw = tc.contains("index") && tc["index"].is_number_integer() ? tc["index"].get<int>() : static_cast<int>(pos);
      std::string id = tc.contains("id") && tc["id"].is_string() ? tc["id"].get<std::string>() : "";
      std::string name, args;
      if (auto f = tc.find("function"); f != tc.end() && f->is_object()) {
        if (auto n = f->find("name"); n != f->end() && n->is_string()) name = n->get<std::string>();
        if (auto a = f->find("arguments"); a != f->end()) args = a->is_string() ? a->get<std::string>() : a->dump();
      }
      std::size_t slot;
      auto it = slots_.find(raw);
      if (it == slots_.end() || (!id.empty() && !out_.toolCallId(it->second).empty() && out_.toolCallId(it->second) != id)) {
        slot = out_.toolCallSlots();
        slots_[raw] = slot;
      } else {
        slot = it->second;
      }
      out_.toolCallDelta(slot, id, name, args);
    }
  }

  ResponseAssembler& out_;
  ErrorContext ctx_;
  SseParser sse_;
  std::map<int, std::size_t> slots_;  // the server's index → our slot
  bool done_ = false;
  std::optional<Failure> failure_;
};

class OpenAIProvider final : public Provider {
 public:
  Api api() const override { return Api::OpenAI; }

  HttpRequest chatRequest(const ChatRequest& request, const WireOptions& o) const override {
    json messages = json::array();
    for (const auto& m : request.messages) messages.push_back(openaiMessageJson(m));
    json body = {{"model", o.model},
                 {"messages", std::move(messages)},
                 {"stream", true},
                 {"stream_options", {{"include_usage", true}}},
                 {"max_tokens", o.maxTokens}};
    if (request.temperature) body["temperature"] = *request.temperature;
    if (!request.tools.empty()) {
      json tools = json::array();
      for (const auto& t : request.tools) {
        tools.push_back({{"type", "function"}, {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
      }
      body["tools"] = std::move(tools);
    }
    HttpRequest r;
    r.url = joinUrl(o.baseUrl, "chat/completions");
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    if (o.key) r.headers.emplace_back("Authorization", "Bearer " + *o.key);
    r.timeouts = o.timeouts;
    return r;
  }

  std::unique_ptr<StreamDecoder> decoder(ResponseAssembler& out, const ErrorContext& ctx) const override {
    return std::make_unique<OpenAIDecoder>(out, ctx);
  }

  Failure httpError(long status, std::string_view body, const HttpResponseHead& head, const ErrorContext& ctx) const override {
    return classifyHttpError(status, errorInfoFromBody(body), head, ctx);
  }

  HttpRequest modelsRequest(const WireOptions& o) const override {
    HttpRequest r;
    r.method = "GET";
    r.url = joinUrl(o.baseUrl, "models");
    if (o.key) r.headers.emplace_back("Authorization", "Bearer " + *o.key);
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

const Provider& openAIProvider() {
  static const OpenAIProvider p;
  return p;
}

}  // namespace cadre::models
