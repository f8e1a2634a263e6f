// The seam between JSON-RPC and bytes. A Transport sends messages and delivers
// what arrives to a MessageHandler; stdio and TCP are two implementations over
// one framer (connection.hpp). Handlers never see framing, sockets or threads.
#pragma once

#include <memory>
#include <string_view>

#include "protocol/message.hpp"

namespace cadre::protocol {

// Receives decoded messages. Called on the connection's strand, one message at
// a time, in arrival order. Returning false closes the connection (the
// `exit` notification does this).
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual bool onNotify(std::string_view method, json params) = 0;
  virtual bool onCall(std::string_view method, json params, json id) = 0;
  virtual bool onReply(json id, Expected<json> result) = 0;
  // A message that could not be processed (bad JSON, framing error, ...).
  // The transport has already answered it if it could.
  virtual void onInvalid(const Invalid&) {}
  // The peer went away or the connection was closed; no more calls follow.
  virtual void onClosed() {}
};

// Thread-safety: notify, call and reply may be called from any thread, any
// number of times; messages leave in the order the calls were made from any
// one thread. Sends after the connection closed are dropped (and logged).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void notify(std::string_view method, json params) = 0;
  virtual void call(std::string_view method, json params, json id) = 0;
  virtual void reply(json id, Expected<json> result) = 0;
  // Finishes sending what is queued, then closes.
  virtual void close() = 0;
};

}  // namespace cadre::protocol
