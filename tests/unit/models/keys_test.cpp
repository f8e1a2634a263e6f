// A key goes into one header and nowhere else: run the router at trace level
// with a fake key through success, a rejected key, servers that echo the key
// back in their error bodies, a missing variable and a key file — and find
// the key (or a prefix that identifies it) in no log line and no error.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/models/credentials.hpp"
#include "tests/unit/models/fixture.hpp"

using namespace cadre;
using namespace cadre::models;
using namespace cadre::testing;
using json = nlohmann::json;

namespace {

// No known key format: only cadre's own scrubbing can catch it, not the
// generic redactor.
const std::string kKey = "cadre-fake-key-7f3a9b2c4d5e6f708192a3b4";

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("models-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::trace);
  }
  ~LogCapture() {
    spdlog::set_default_logger(previous_);
    spdlog::set_level(spdlog::level::info);
  }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

void checkClean(const std::string& text) {
  INFO(text);
  CHECK(text.find(kKey) == std::string::npos);
  CHECK(text.find(kKey.substr(0, 10)) == std::string::npos);
}

}  // namespace

TEST_CASE("keys: never in logs or errors", "[models][keys]") {
  ::setenv("CADRE_TEST_FAKE_KEY", kKey.c_str(), 1);
  LogCapture logs;
  std::vector<std::string> errors;
  const std::string echo = "Invalid key " + kKey + " (starts " + kKey.substr(0, 12) + "...)";
  std::atomic<int> keyInHeaderOnly{0};
  TestHttpServer server([&](const HttpExchange& req, std::size_t i) {
    // Every request does carry the key, in the header and only there.
    if (req.headers.count("authorization") && req.headers.at("authorization") == "Bearer " + kKey && req.body.find(kKey) == std::string::npos)
      ++keyInHeaderOnly;
    switch (i) {
      case 0:
        return streamParts("text/event-stream", {"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n", "data: [DONE]\n\n"});
      case 1: return response(401, "application/json", json({{"error", {{"message", echo}, {"type", "invalid_request_error"}, {"code", "invalid_api_key"}}}}).dump());
      case 2: return response(500, "application/json", json({{"error", {{"message", echo}, {"type", "server_error"}}}}).dump());
      case 3: return response(400, "text/plain", echo);
      case 4: return response(429, "application/json", json({{"error", {{"message", echo}}}}).dump(), {{"Retry-After", "0"}});
      default:
        return streamParts("text/event-stream", {"data: " + json({{"error", {{"message", echo}, {"type", "server_error"}}}}).dump() + "\n\n"});
    }
  });
  auto spec = modelAt("gpt", Api::OpenAI, server.url("/v1"));
  spec.keyEnv = "CADRE_TEST_FAKE_KEY";
  auto config = configOf({spec});
  config.settings.maxRetries = 0;
  RouterUnderTest r(config);
  for (int i = 0; i < 6; ++i) {
    auto out = r->complete(userAsks("hello"), {});
    if (!out) errors.push_back(out.error().message);
  }
  CHECK(server.requestCount() == 6);
  CHECK(keyInHeaderOnly == 6);
  CHECK(errors.size() == 5);
  // A key the environment does not hold, and a key file.
  auto missing = spec;
  missing.keyEnv = "CADRE_TEST_UNSET_KEY_VAR";
  ::unsetenv("CADRE_TEST_UNSET_KEY_VAR");
  RouterUnderTest r2(configOf({missing}));
  auto out = r2->complete(userAsks("hello"), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ErrorCode::Unauthorized);
  CHECK(out.error().message.find("the environment variable CADRE_TEST_UNSET_KEY_VAR (models.gpt.keyEnv) is not set") != std::string::npos);
  errors.push_back(out.error().message);

  const std::string keyFile = std::filesystem::temp_directory_path() / ("cadre-test-key-" + std::to_string(::getpid()));
  std::ofstream(keyFile) << kKey << "\n";
  auto fromFile = spec;
  fromFile.keyEnv.clear();
  fromFile.keyFile = keyFile;
  auto loaded = loadKey(fromFile);
  REQUIRE(loaded);
  CHECK(**loaded == kKey);  // the trailing newline is not part of it
  std::ofstream(keyFile) << "line1\nline2\n";
  auto twoLines = loadKey(fromFile);
  REQUIRE_FALSE(twoLines);  // a line break could forge a header
  errors.push_back(twoLines.error().message);
  std::filesystem::remove(keyFile);

  for (const auto& e : errors) checkClean(e);
  const std::string log = logs.text();
  CHECK_FALSE(log.empty());  // trace level saw the traffic
  checkClean(log);
}
