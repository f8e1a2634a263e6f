// Command-line plumbing shared by the subcommands: a cursor over argv and the
// usage-error convention (message + usage on stderr, exit 2).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace cadre::cli {

struct Args {
  std::vector<std::string> items;
  std::size_t pos = 0;
  bool done() const { return pos >= items.size(); }
  const std::string& peek() const { return items[pos]; }
  std::string take() { return items[pos++]; }
  std::optional<std::string> value() {
    if (done()) return std::nullopt;
    return take();
  }
};

inline int usageError(const std::string& message, const char* usage) {
  std::fprintf(stderr, "cadre: %s\n\n%s", message.c_str(), usage);
  return 2;
}

// --log-level's values (spdlog's level names), for the servers' options.
inline bool isLogLevel(const std::optional<std::string>& v) {
  return v && (*v == "trace" || *v == "debug" || *v == "info" || *v == "warn" || *v == "error" || *v == "off");
}
constexpr const char* kLogLevelProblem = "--log-level needs one of trace, debug, info, warn, error, off";

// --max-message-bytes: the range of server.maxMessageBytes, 1 KiB to 4 GiB;
// nullopt for anything else.
inline std::optional<std::size_t> messageBytes(const std::optional<std::string>& v) {
  const bool digits = v && !v->empty() && v->size() <= 10 && v->find_first_not_of("0123456789") == std::string::npos;
  const unsigned long long n = digits ? std::stoull(*v) : 0;
  if (n < 1024 || n > (1ull << 32)) return std::nullopt;
  return static_cast<std::size_t>(n);
}
constexpr const char* kMessageBytesProblem = "--max-message-bytes needs a number from 1024 to 4294967296";

int runServe(Args& args);
int runIndex(Args& args);
int runMap(Args& args);
int runCheck(Args& args);
int runTools(Args& args);
int runAudit(Args& args);
int runCheckpoints(Args& args);
int runModels(Args& args);
int runModelsBench(Args& args);  // cmd_models_bench.cpp, reached through `models bench`
int runEval(Args& args);
int runRun(Args& args);
int runMcp(Args& args);
int runAcp(Args& args);

}  // namespace cadre::cli
