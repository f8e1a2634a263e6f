// Server-initiated work-done progress (window/workDoneProgress/create, then
// $/progress begin/report/end), for long work such as indexing. When the client
// did not announce window.workDoneProgress, the reporter only logs. A Progress
// must not outlive the session whose dispatcher it was started on.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "protocol/dispatcher.hpp"

namespace cadre::core {

class Progress {
 public:
  // Asks the client for a token, then sends `begin`. Reports before the
  // client answered are folded into the latest one.
  static std::shared_ptr<Progress> start(protocol::Dispatcher& dispatcher, bool clientSupports, std::string title);

  // percentage in 0..100; reports closer than kMinInterval apart are
  // coalesced (the last one is kept and sent with end()).
  void report(std::string message, std::optional<unsigned> percentage = std::nullopt);
  void end(std::string message = {});

  // Rate limit for $/progress reports: editors redraw on each one.
  static constexpr std::chrono::milliseconds kMinInterval{100};

 private:
  Progress(protocol::Dispatcher& dispatcher, std::string token, std::string title)
      : dispatcher_(dispatcher), token_(std::move(token)), title_(std::move(title)) {}
  void send(const protocol::json& value);
  void onCreated(bool ok);

  protocol::Dispatcher& dispatcher_;
  std::string token_;
  std::string title_;
  std::mutex mu_;
  enum class State { Creating, Active, Ended, Disabled } state_ = State::Creating;
  std::optional<protocol::json> pendingReport_;
  std::optional<protocol::json> pendingEnd_;
  std::chrono::steady_clock::time_point lastReport_{};
};

}  // namespace cadre::core
