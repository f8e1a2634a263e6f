// A server → client request whose answer a worker thread waits for (an
// approval, a workspace/applyEdit): the request goes out through the
// dispatcher, which is thread-safe, and the caller blocks until the answer,
// the call's timeout, the connection's end or its own cancellation.
#pragma once

#include <atomic>
#include <functional>

#include "protocol/dispatcher.hpp"
#include "support/expected.hpp"

namespace cadre::core {

// Sends params and arranges for the callback to get the answer (exactly once).
using ClientCaller = std::function<void(protocol::json, std::function<void(Expected<protocol::json>)>)>;

// Worker threads only: never on the main loop, which must keep reading the answer.
Expected<protocol::json> callClientAndWait(const ClientCaller& caller, protocol::json params, const std::atomic<bool>* cancel,
                                           const char* waitingFor);

}  // namespace cadre::core
