// `cadre serve`: runs the event loop and hands each connection an LspSession.
// stdio serves one client and returns its exit code; TCP serves many until
// SIGINT/SIGTERM.
#pragma once

#include <string>

#include "protocol/framing.hpp"
#include "server/core/lsp_session.hpp"

namespace cadre::core {

struct ServeOptions {
  SessionOptions session;
  protocol::FrameLimits limits;
  // Name of the environment variable holding the TCP token.
  std::string tokenEnv = "CADRE_TOKEN";
};

int serveStdio(ServeOptions options);

// stdout belongs to the protocol: moves it to a private descriptor (returned,
// close-on-exec) and points fd 1 at stderr, so a stray printf in any library
// cannot corrupt a message. -1 when stdout cannot be duplicated. `cadre acp`
// claims stdout the same way.
int claimStdout();

// `address` is HOST:PORT (port 0 picks a free one; the chosen address is
// logged as "listening on HOST:PORT"). A host other than loopback is refused
// unless a token is set.
int serveTcp(const std::string& address, ServeOptions options);

}  // namespace cadre::core
