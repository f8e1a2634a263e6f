// Tests for server/core/logging: the logger setupLogging installs redacts
// every line, on the file sink and on stderr, and leaves other lines as logged.
#include "server/core/logging.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"

using namespace cadre;

namespace {

// Shaped like real keys; not real ones.
const std::string kOpenAiKey = "sk-proj-Qm7vT2xK9pL4sW8nB3cF6hJ1dR5gY0zA-uE_tN2oV7iX4qM9wS3kP6bL1fD8jH5cG0yZ";
const std::string kGitHubToken = "ghp_4fT9kQ2mX7vB1nL8pW3sR6dZ0cH5jY9gK2aE";

// Puts the logger back the way the other tests expect it (stderr, warn) and
// closes any file the test opened.
struct RestoreLogging {
  ~RestoreLogging() { (void)core::setupLogging("warn", ""); }
};

}  // namespace

TEST_CASE("Lines written to the log file are redacted", "[logging]") {
  RestoreLogging restore;
  testing::FixtureDir dir({});
  const auto file = dir.path() / "cadre.log";
  REQUIRE(core::setupLogging("info", file.string()));

  spdlog::info("provider openai configured with key {}", kOpenAiKey);
  spdlog::warn("request failed: {{\"headers\": {{\"Authorization\": \"token {}\"}}}}", kGitHubToken);
  spdlog::info("indexed {} files in {} ms", 42, 17);
  spdlog::default_logger()->flush();

  const std::string log = testing::readFileText(file);
  CHECK(log.find(kOpenAiKey) == std::string::npos);
  CHECK(log.find(kGitHubToken) == std::string::npos);
  CHECK(log.find("provider openai configured with key [REDACTED:openai]\n") != std::string::npos);
  CHECK(log.find(R"(request failed: {"headers": {"Authorization": "token [REDACTED:github]"}})") != std::string::npos);
  CHECK(log.find("] [info] indexed 42 files in 17 ms\n") != std::string::npos);
  CHECK(log.find("] [warning] request failed") != std::string::npos);  // the pattern around the message is intact
}

TEST_CASE("Lines written to stderr are redacted", "[logging]") {
  RestoreLogging restore;
  testing::FixtureDir dir({});
  const auto capture = dir.path() / "stderr.txt";
  std::FILE* sink = std::fopen(capture.c_str(), "w");
  REQUIRE(sink != nullptr);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(::fileno(sink), STDERR_FILENO) >= 0);

  const bool ok = static_cast<bool>(core::setupLogging("info", ""));
  spdlog::error("token={} for {}", kGitHubToken, "octo/repo");
  spdlog::default_logger()->flush();
  std::fflush(stderr);

  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(sink);
  REQUIRE(ok);
  const std::string log = testing::readFileText(capture);
  CHECK(log.find(kGitHubToken) == std::string::npos);
  CHECK(log.find("token=[REDACTED:github] for octo/repo") != std::string::npos);
}
