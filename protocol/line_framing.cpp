// Newline-delimited framing; see line_framing.hpp.
#include "protocol/line_framing.hpp"

namespace cadre::protocol {

void LineReader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    if (!skipping_) {
      if (buffer_.size() + part.size() > limits_.maxLineBytes) {
        events_.push_back({FrameEvent::Kind::Rejected, {},
                           "a line longer than " + std::to_string(limits_.maxLineBytes) + " bytes was skipped"});
        buffer_.clear();
        buffer_.shrink_to_fit();
        skipping_ = true;
      } else {
        buffer_.append(part);
      }
    }
    if (nl == std::string_view::npos) return;
    finishLine();
    bytes.remove_prefix(nl + 1);
  }
}

void LineReader::finishLine() {
  if (skipping_) {
    skipping_ = false;
    return;
  }
  if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
  // Blank lines between messages carry nothing: skipped, not answered.
  if (buffer_.find_first_not_of(" \t") != std::string::npos) events_.push_back({FrameEvent::Kind::Message, std::move(buffer_), {}});
  buffer_.clear();
}

FrameEvent LineReader::next() {
  FrameEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::string frameLine(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 1);
  out.append(body);
  out.push_back('\n');
  return out;
}

}  // namespace cadre::protocol
