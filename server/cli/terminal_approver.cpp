// The terminal prompt: what is asked, by whom, and the choices, then one
// line of answer. Anything but a clear yes is a no.
#include "server/cli/terminal_approver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <string>

namespace cadre::cli {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void writeAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Terminal control characters in a command or diff could repaint the prompt
// (a model could hide what it asks): show them escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t' || c >= 0x20) {
      if (c == 0x7f) out += "^?";
      else out += static_cast<char>(c);
    } else {
      out += '^';
      out += static_cast<char>(c + 0x40);
    }
  }
  return out;
}

}  // namespace

Expected<security::ApprovalAnswer> TerminalApprover::ask(const security::ApprovalRequest& r,
                                                         const std::atomic<bool>* cancel) {
  std::lock_guard lock(mu_);
  Fd tty{::open(ttyPath_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)};
  if (tty.fd < 0)
    return makeError(ErrorCode::Unavailable, "this needs the user's approval and there is no terminal to ask (" +
                                                 ttyPath_ + " cannot be opened)");
  std::string text = "\n\033[1mcadre: approval needed\033[0m\n";
  text += "  who:  " + printable(r.model.empty() ? std::string("you") : r.model) +
          (r.role.empty() ? "" : " (" + printable(r.role) + ")") + "\n";
  if (!r.why.empty()) text += "  why:  " + printable(r.why) + "\n";
  switch (r.kind) {
    case security::ApprovalKind::Command:
      text += "  run:  " + printable(r.command) + "\n  in:   " + printable(r.cwd) + "\n";
      if (!r.sandboxed) text += "  \033[1;31mUNSANDBOXED\033[0m: it runs with all your rights\n";
      if (r.network) text += "  with network access\n";
      break;
    case security::ApprovalKind::Edit:
      text += "  edit: ";
      for (const auto& p : r.paths) text += printable(p) + " ";
      text += "\n" + printable(r.diff) + "\n";
      break;
    case security::ApprovalKind::OutsidePath:
      text += "  read outside the workspace: ";
      for (const auto& p : r.paths) text += printable(p) + " ";
      text += "\n";
      break;
  }
  std::string always;
  for (const auto& rule : r.alwaysRules) always += (always.empty() ? "" : ", ") + printable(rule);
  text += "  [y] allow once";
  if (!always.empty()) text += "   [a] always allow " + always;
  text += "   [n] deny\n  > ";
  writeAll(tty.fd, text);

  std::string line;
  while (true) {
    if (cancel && cancel->load()) {
      writeAll(tty.fd, "\n  (cancelled)\n");
      return makeError(ErrorCode::RequestCancelled, "cancelled while waiting for approval");
    }
    pollfd p{tty.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready <= 0) continue;
    char buf[256];
    ssize_t n = ::read(tty.fd, buf, sizeof buf);
    if (n <= 0) return security::ApprovalAnswer{security::ApprovalChoice::Deny, "the terminal closed"};
    line.append(buf, static_cast<std::size_t>(n));
    if (line.find('\n') != std::string::npos || line.size() > 1024) break;
  }
  const char c = line.empty() ? 'n' : static_cast<char>(std::tolower(static_cast<unsigned char>(line.front())));
  security::ApprovalAnswer answer;
  if (c == 'y') answer.choice = security::ApprovalChoice::AllowOnce;
  else if (c == 'a' && !always.empty()) answer.choice = security::ApprovalChoice::AllowAlways;
  else answer.note = "denied on the terminal";
  writeAll(tty.fd, std::string("  ") + security::toString(answer.choice) + "\n");
  return answer;
}

}  // namespace cadre::cli
