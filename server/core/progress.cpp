// Work-done progress state machine; see progress.hpp.
#include "server/core/progress.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace cadre::core {

using protocol::json;

std::shared_ptr<Progress> Progress::start(protocol::Dispatcher& dispatcher, bool clientSupports, std::string title) {
  static std::atomic<unsigned> counter{0};
  std::string token = "cadre-progress-" + std::to_string(++counter);
  std::shared_ptr<Progress> p(new Progress(dispatcher, token, std::move(title)));
  spdlog::info("{}...", p->title_);
  if (!clientSupports) {
    p->state_ = State::Disabled;
    return p;
  }
  dispatcher.call("window/workDoneProgress/create", {{"token", token}}, [p](Expected<json> result) {
    if (!result) spdlog::debug("client refused progress token: {}", result.error().message);
    p->onCreated(result.ok());
  });
  return p;
}

void Progress::onCreated(bool ok) {
  std::optional<json> report, end;
  {
    std::lock_guard lock(mu_);
    if (!ok) {
      state_ = State::Disabled;
      return;
    }
    state_ = pendingEnd_ ? State::Ended : State::Active;
    report = std::move(pendingReport_);
    end = std::move(pendingEnd_);
  }
  // Not cancellable: window/workDoneProgress/cancel has no handler yet.
  send({{"kind", "begin"}, {"title", title_}, {"cancellable", false}});
  if (report) send(*report);
  if (end) send(*end);
}

void Progress::report(std::string message, std::optional<unsigned> percentage) {
  json value = {{"kind", "report"}, {"message", std::move(message)}};
  if (percentage) value["percentage"] = std::min(*percentage, 100u);
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (state_ == State::Creating || (state_ == State::Active && now - lastReport_ < kMinInterval)) {
      pendingReport_ = std::move(value);
      return;
    }
    if (state_ != State::Active) return;
    lastReport_ = now;
    pendingReport_.reset();
  }
  send(value);
}

void Progress::end(std::string message) {
  json value = {{"kind", "end"}};
  if (!message.empty()) value["message"] = message;
  std::optional<json> report;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::Creating) {
      pendingEnd_ = std::move(value);
      return;
    }
    if (state_ != State::Active) {
      if (state_ == State::Disabled) spdlog::info("{}: {}", title_, message.empty() ? "done" : message);
      state_ = state_ == State::Disabled ? State::Disabled : State::Ended;
      return;
    }
    state_ = State::Ended;
    report = std::move(pendingReport_);
  }
  if (report) send(*report);
  send(value);
}

void Progress::send(const json& value) { dispatcher_.notify("$/progress", {{"token", token_}, {"value", value}}); }

}  // namespace cadre::core
