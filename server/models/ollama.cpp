// Ollama's native chat (POST {base}/api/chat, NDJSON): one JSON object a
// line, `message.content` deltas, tool calls whole in `message.tool_calls`
// (arguments as an object), and a last line with `done: true`, done_reason
// and the token counts. options.num_ctx is always sent: Ollama's default
// context is small and it silently drops the start of a longer prompt, which
// for an agent is the system prompt and the tool definitions.
#include "server/models/ndjson.hpp"
#include "server/models/provider.hpp"
#include "server/models/url.hpp"

namespace cadre::models {
namespace {

using json = nlohmann::json;

json ollamaMessageJson(const ChatMessage& m) {
  json out = {{"role", roleName(m.role)}, {"content", m.content}};
  if (m.role == Role::Tool && !m.toolName.empty()) out["tool_name"] = m.toolName;
  if (!m.toolCalls.empty()) {
    json calls = json::array();
    for (const auto& c : m.toolCalls) {
      json args = json::parse(c.arguments.empty() ? "{}" : c.arguments, nullptr, false);
      if (!args.is_object()) args = json::object();
      calls.push_back({{"function", {{"name", c.name}, {"arguments", std::move(args)}}}});
    }
    out["tool_calls"] = std::move(calls);
  }
  return out;
}

class OllamaDecoder final : public StreamDecoder {
 public:
  OllamaDecoder(ResponseAssembler& out, const ErrorContext& ctx) : out_(out), ctx_(ctx), lines_([this](std::string_view l) { onLine(l); }) {}

  std::optional<Failure> feed(std::string_view bytes) override {
    if (auto r = lines_.feed(bytes); !r) return Failure{r.error(), FailureKind::Protocol, {}};
    return std::exchange(failure_, std::nullopt);
  }

  std::optional<Failure> finish() override {
    lines_.finish();
    if (failure_) return failure_;
    if (done_) return std::nullopt;
    return Failure{makeError(ErrorCode::Unavailable, ctx_.modelName + ": " + ctx_.endpoint + ": the stream ended before \"done\": true"),
                   FailureKind::Interrupted, {}};
  }

 private:
  void onLine(std::string_view line) {
    if (failure_ || done_) return;
    try {
      handle(line);
    } catch (const json::exception&) {
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent a line cadre cannot read"),
                         FailureKind::Protocol, {}};
    }
  }

  void handle(std::string_view line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      failure_ = Failure{makeError(ErrorCode::ParseError, ctx_.modelName + ": " + ctx_.endpoint + " sent a line that is not JSON"),
                         FailureKind::Protocol, {}};
      return;
    }
    if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
      failure_ = streamErrorFailure(errorInfoFromBody(j.dump()), ctx_);
      return;
    }
    if (auto m = j.find("message"); m != j.end() && m->is_object()) {
      if (auto c = m->find("content"); c != m->end() && c->is_string()) out_.text(c->get_ref<const std::string&>());
      if (auto calls = m->find("tool_calls"); calls != m->end() && calls->is_array()) {
        for (const auto& tc : *calls) {
          if (!tc.is_object()) continue;
          const json& fn = tc.contains("function") ? tc.at("function") : tc;
          ToolCall call;
          if (tc.contains("id") && tc["id"].is_string()) call.id = tc["id"].get<std::string>();
          call.name = fn.value("name", "");
          if (auto a = fn.find("arguments"); a != fn.end()) call.arguments = a->is_string() ? a->get<std::string>() : a->dump();
          if (call.id.empty()) call.id = "call_" + std::to_string(out_.toolCallSlots());
          out_.toolCall(std::move(call));
        }
      }
    }
    if (j.value("done", false)) {
      done_ = true;
      const std::string reason = j.value("done_reason", "stop");
      StopReason stop = reason == "length" ? StopReason::MaxTokens
                        : out_.toolCallSlots() > 0 ? StopReason::ToolUse
                        : reason == "stop" ? StopReason::EndTurn
                                           : StopReason::Unknown;
      out_.stop(stop, reason);
      if (auto p = j.find("prompt_eval_count"); p != j.end() && p->is_number_integer()) out_.promptTokens(p->get<std::int64_t>());
      if (auto c = j.find("eval_count"); c != j.end() && c->is_number_integer()) out_.completionTokens(c->get<std::int64_t>());
    }
  }

  ResponseAssembler& out_;
  ErrorContext ctx_;
  NdjsonParser lines_;
  bool done_ = false;
  std::optional<Failure> failure_;
};

class OllamaProvider final : public Provider {
 public:
  Api api() const override { return Api::Ollama; }

  HttpRequest chatRequest(const ChatRequest& request, const WireOptions& o) const override {
    json messages = json::array();
    for (const auto& m : request.messages) messages.push_back(ollamaMessageJson(m));
    json options = {{"num_ctx", o.contextTokens}, {"num_predict", o.maxTokens}};
    if (request.temperature) options["temperature"] = *request.temperature;
    json body = {{"model", o.model}, {"messages", std::move(messages)}, {"stream", true}, {"options", std::move(options)}};
    if (!request.tools.empty()) {
      json tools = json::array();
      for (const auto& t : request.tools) {
        tools.push_back({{"type", "function"}, {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
      }
      body["tools"] = std::move(tools);
    }
    HttpRequest r;
    r.url = joinUrl(o.baseUrl, "api/chat");
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/x-ndjson"}};
    if (o.key) r.headers.emplace_back("Authorization", "Bearer " + *o.key);
    r.timeouts = o.timeouts;
    return r;
  }

  std::unique_ptr<StreamDecoder> decoder(ResponseAssembler& out, const ErrorContext& ctx) const override {
    return std::make_unique<OllamaDecoder>(out, ctx);
  }

  Failure httpError(long status, std::string_view body, const HttpResponseHead& head, const ErrorContext& ctx) const override {
    return classifyHttpError(status, errorInfoFromBody(body), head, ctx);
  }

  HttpRequest modelsRequest(const WireOptions& o) const override {
    HttpRequest r;
    r.method = "GET";
    r.url = joinUrl(o.baseUrl, "api/tags");
    if (o.key) r.headers.emplace_back("Authorization", "Bearer " + *o.key);
    r.timeouts = o.timeouts;
    return r;
  }

  std::vector<std::string> parseModels(std::string_view body) const override {
    std::vector<std::string> ids;
    json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("models") || !j["models"].is_array()) return ids;
    for (const auto& m : j["models"]) {
      if (!m.is_object()) continue;
      if (m.contains("name") && m["name"].is_string()) ids.push_back(m["name"].get<std::string>());
      else if (m.contains("model") && m["model"].is_string()) ids.push_back(m["model"].get<std::string>());
    }
    return ids;
  }
};

}  // namespace

const Provider& ollamaProvider() {
  static const OllamaProvider p;
  return p;
}

}  // namespace cadre::models
