// A Transport that records what a dispatcher sends, for unit tests that drive
// the dispatcher without sockets. Thread-safe like the real ones.
#pragma once

#include <mutex>
#include <vector>

#include "protocol/transport.hpp"

namespace cadre::testing {

class RecordingTransport : public protocol::Transport {
 public:
  void notify(std::string_view method, protocol::json params) override {
    add(protocol::json::parse(protocol::encodeNotification(method, params)));
  }
  void call(std::string_view method, protocol::json params, protocol::json id) override {
    add(protocol::json::parse(protocol::encodeRequest(id, method, params)));
  }
  void reply(protocol::json id, Expected<protocol::json> result) override {
    add(protocol::json::parse(protocol::encodeResponse(id, result)));
  }
  void close() override { closed = true; }

  std::vector<protocol::json> take() {
    std::lock_guard lock(mu_);
    return std::exchange(sent_, {});
  }
  bool closed = false;

 private:
  void add(protocol::json j) {
    std::lock_guard lock(mu_);
    sent_.push_back(std::move(j));
  }
  std::mutex mu_;
  std::vector<protocol::json> sent_;
};

}  // namespace cadre::testing
