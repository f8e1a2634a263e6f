// See sse_reader.hpp.
#include "server/mcp/sse_reader.hpp"

namespace cadre::mcp {

Expected<void> SseReader::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (afterCr_) {
      afterCr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF pair
    }
    if (c == '\r' || c == '\n') {
      afterCr_ = c == '\r';
      line(partial_);
      partial_.clear();
      // Many data lines make one event: the cap is on the event as well.
      if (event_.data.size() > maxLine_)
        return makeError(ErrorCode::RequestFailed, "an event-stream event is larger than " + std::to_string(maxLine_) + " bytes");
      continue;
    }
    partial_.push_back(c);
    if (partial_.size() > maxLine_)
      return makeError(ErrorCode::RequestFailed, "an event-stream line is longer than " + std::to_string(maxLine_) + " bytes");
  }
  return {};
}

void SseReader::line(std::string_view text) {
  if (text.empty()) {
    if (hasData_) sink_(std::move(event_));
    event_ = SseEvent{};
    hasData_ = false;
    return;
  }
  if (text[0] == ':') return;  // comment (keep-alive)
  std::string_view field = text, value;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (hasData_) event_.data.push_back('\n');
    event_.data.append(value);
    hasData_ = true;
  } else if (field == "event") {
    event_.event = value;
  } else if (field == "id") {
    event_.id = value;
  }
}

}  // namespace cadre::mcp
