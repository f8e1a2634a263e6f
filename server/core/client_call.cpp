// Waiting for a server → client request's answer on a worker thread.
#include "server/core/client_call.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace cadre::core {

Expected<protocol::json> callClientAndWait(const ClientCaller& caller, protocol::json params, const std::atomic<bool>* cancel,
                                           const char* waitingFor) {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Expected<protocol::json>> result;
  };
  auto wait = std::make_shared<Wait>();
  caller(std::move(params), [wait](Expected<protocol::json> result) {
    std::lock_guard lock(wait->mu);
    wait->result.emplace(std::move(result));
    wait->cv.notify_all();
  });
  std::unique_lock lock(wait->mu);
  while (!wait->result) {
    // Polled: the flag is a plain atomic, nobody notifies the condition for it.
    if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, std::string("cancelled while waiting for ") + waitingFor);
    wait->cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  return std::move(*wait->result);
}

}  // namespace cadre::core
