// See server_face.hpp. Messages are classified and encoded with protocol's
// JSON-RPC code; only the framing (one message a line) is MCP's own.
#include "server/mcp/server_face.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "protocol/message.hpp"
#include "server/mcp/client.hpp"

namespace cadre::mcp {
namespace {

using json = nlohmann::json;

class Face {
 public:
  Face(int out, const agent::ToolRegistry& tools, const ContextFactory& context, const FaceOptions& options)
      : out_(out), tools_(tools), context_(context), options_(options) {}

  ~Face() {
    // The host went away: whatever still runs is cancelled and waited for.
    std::list<Worker> workers;
    {
      std::lock_guard lock(callsMu_);
      for (auto& [id, flag] : running_) flag->store(true);
      workers.swap(workers_);
    }
    for (auto& w : workers) w.thread.join();
  }

  bool broken() const { return broken_.load(); }

  void handle(std::string_view line) {
    protocol::Incoming in = protocol::parseMessage(line);
    if (auto* req = std::get_if<protocol::Request>(&in)) return onRequest(*req);
    if (auto* note = std::get_if<protocol::Notification>(&in)) return onNotification(*note);
    if (auto* bad = std::get_if<protocol::Invalid>(&in)) {
      spdlog::warn("mcp serve: invalid message: {}", bad->error.message);
      if (bad->answerable) write(protocol::encodeResponse(bad->id, bad->error));
    }
    // Responses: cadre sends no requests, so there is nothing to match.
  }

  void tooLong() {
    write(protocol::encodeResponse(nullptr, makeError(ErrorCode::InvalidRequest, "message longer than " +
                                                                                     std::to_string(options_.maxMessageBytes) + " bytes")));
  }

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void write(const std::string& message) {
    std::lock_guard lock(writeMu_);
    if (broken_) return;
    std::string line = message + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      ssize_t n = ::write(out_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = true;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  void reply(const json& id, Expected<json> result) { write(protocol::encodeResponse(id, result)); }

  void onNotification(const protocol::Notification& n) {
    if (n.method == "notifications/initialized") {
      initialized_ = true;
    } else if (n.method == "notifications/cancelled" && n.params.is_object() && n.params.contains("requestId")) {
      std::lock_guard lock(callsMu_);
      if (auto it = running_.find(protocol::idToString(n.params["requestId"])); it != running_.end()) it->second->store(true);
    }
  }

  void onRequest(const protocol::Request& r) {
    if (r.method == "initialize") return initialize(r);
    if (r.method == "ping") return reply(r.id, json::object());
    if (!initializeAnswered_)
      return reply(r.id, makeError(ErrorCode::ServerNotInitialized, "initialize first"));
    if (r.method == "tools/list") return listTools(r);
    if (r.method == "tools/call") return callTool(r);
    reply(r.id, makeError(ErrorCode::MethodNotFound, "cadre's MCP server does not offer " + r.method));
  }

  void initialize(const protocol::Request& r) {
    std::string asked = r.params.is_object() ? r.params.value("protocolVersion", "") : "";
    // The spec: echo a version we support, else offer our latest.
    std::string version = kProtocolVersions[0];
    for (const char* v : kProtocolVersions)
      if (asked == v) version = v;
    if (r.params.is_object() && r.params.contains("clientInfo") && r.params["clientInfo"].is_object()) {
      std::lock_guard lock(callsMu_);
      client_ = r.params["clientInfo"].value("name", client_);
    }
    json result = {{"protocolVersion", version},
                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                   {"serverInfo", {{"name", options_.name}, {"version", options_.version}}}};
    if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
    initializeAnswered_ = true;
    reply(r.id, std::move(result));
  }

  void listTools(const protocol::Request& r) {
    json list = json::array();
    for (const auto& spec : tools_.specs()) {
      const bool readOnly = !spec.needs.writesShadow && !spec.needs.writesRealFiles && !spec.needs.runsProcess;
      list.push_back({{"name", spec.name},
                      {"description", spec.description},
                      {"inputSchema", spec.inputSchema},
                      {"annotations", {{"readOnlyHint", readOnly}, {"openWorldHint", spec.needs.network}}}});
    }
    reply(r.id, json{{"tools", std::move(list)}});
  }

  static json textResult(const std::string& text, bool isError) {
    return {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", isError}};
  }

  void callTool(const protocol::Request& r) {
    if (!r.params.is_object() || !r.params.contains("name") || !r.params["name"].is_string())
      return reply(r.id, makeError(ErrorCode::InvalidParams, "params.name: expected the tool's name"));
    const std::string name = r.params["name"];
    json args = r.params.contains("arguments") ? r.params["arguments"] : json::object();
    if (args.is_null()) args = json::object();
    if (!tools_.find(name)) {
      if (auto it = options_.refused.find(name); it != options_.refused.end())
        return reply(r.id, makeError(ErrorCode::InvalidParams, name + " is not available over MCP: " + it->second));
      return reply(r.id, makeError(ErrorCode::InvalidParams, "Unknown tool: " + name));
    }
    std::lock_guard lock(callsMu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    if (static_cast<int>(workers_.size()) >= options_.maxConcurrentCalls)
      return reply(r.id, textResult("cadre is already running " + std::to_string(workers_.size()) +
                                        " tool calls for this client; try again when one has finished", true));
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    const std::string key = protocol::idToString(r.id);
    running_[key] = cancel;
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, id = r.id, key, name, args, cancel, done, client = client_] {
                          agent::ToolContext ctx = context_(client, cancel.get());
                          auto out = tools_.call(name, args, ctx);
                          {
                            std::lock_guard l(callsMu_);
                            running_.erase(key);
                          }
                          // The spec: no answer to a request the client cancelled.
                          if (!cancel->load()) {
                            if (!out) {
                              reply(id, textResult(out.error().message, true));
                            } else {
                              json result = textResult(out->text, out->isError);
                              if (out->data.is_object()) result["structuredContent"] = out->data;
                              reply(id, std::move(result));
                            }
                          }
                          done->store(true);
                        }),
                        done});
  }

  int out_;
  const agent::ToolRegistry& tools_;
  const ContextFactory& context_;
  const FaceOptions& options_;
  std::mutex writeMu_;
  std::atomic<bool> broken_{false};
  std::atomic<bool> initialized_{false}, initializeAnswered_{false};
  std::mutex callsMu_;  // running_, workers_, client_
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;
  std::list<Worker> workers_;
  std::string client_ = "mcp-client";
};

}  // namespace

int serveMcp(int in, int out, const agent::ToolRegistry& tools, const ContextFactory& context, const FaceOptions& options) {
  Face face(out, tools, context, options);
  std::string partial;
  bool skipping = false;  // inside a line that was too long: drop it to its end
  char buf[64 * 1024];
  while (!face.broken()) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        if (!skipping) partial.append(chunk);
        if (partial.size() > options.maxMessageBytes) {
          face.tooLong();
          partial.clear();
          skipping = true;
        }
        break;
      }
      if (!skipping) {
        partial.append(chunk.substr(0, nl));
        if (!partial.empty() && partial.back() == '\r') partial.pop_back();
        if (partial.find_first_not_of(" \t") != std::string::npos) face.handle(partial);
      }
      skipping = false;
      partial.clear();
      chunk.remove_prefix(nl + 1);
    }
  }
  return 0;
}

}  // namespace cadre::mcp
