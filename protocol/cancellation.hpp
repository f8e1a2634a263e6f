// A cancellation flag shared between the dispatcher (which sets it on
// $/cancelRequest or when the connection closes) and the handler doing the work
// (which polls it). Copies share one flag; cheap to pass by value.
#pragma once

#include <atomic>
#include <memory>

namespace cadre::protocol {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  void cancel() const { flag_->store(true, std::memory_order_relaxed); }
  // For code below the protocol layer that polls a plain flag (the sandbox,
  // approvals). Valid while any copy of the token lives.
  const std::atomic<bool>* flag() const { return flag_.get(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace cadre::protocol
