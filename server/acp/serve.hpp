// `cadre acp`: the event loop for one ACP client on stdin/stdout. stdout
// carries ACP messages only (newline-delimited JSON-RPC); logs go to stderr
// or the log file.
#pragma once

#include "protocol/line_framing.hpp"
#include "server/acp/agent_server.hpp"

namespace cadre::acp {

struct ServeOptions {
  AgentOptions agent;
  protocol::LineLimits limits;
};

// Serves until stdin ends, the client goes away, or SIGINT/SIGTERM. 0 on a
// clean end.
int serveStdio(ServeOptions options);

}  // namespace cadre::acp
