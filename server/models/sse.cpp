// The event-stream line machine; see sse.hpp.
#include "server/models/sse.hpp"

#include <cstring>

namespace cadre::models {

Expected<void> SseParser::feed(std::string_view bytes) {
  if (!started_ && !bytes.empty()) {
    // A UTF-8 BOM may open the stream; it may itself arrive split.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    std::string head = partial_ + std::string(bytes.substr(0, 3));
    if (head.size() < 3 && kBom.substr(0, head.size()) == head) {
      partial_ = head;
      return {};
    }
    started_ = true;
    if (head.compare(0, 3, kBom) == 0) {
      const std::size_t fromBytes = 3 - partial_.size();
      partial_.clear();
      bytes.remove_prefix(fromBytes);
    } else if (!partial_.empty()) {
      std::string held = std::move(partial_);
      partial_.clear();
      if (auto r = feed(held); !r) return r;
    }
  }
  while (!bytes.empty()) {
    if (afterCr_) {
      afterCr_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    // A byte loop: string_view::find_first_of calls memchr on the needle for
    // every byte of the haystack, which showed up in the relay's profile.
    std::size_t end = 0;
    while (end < bytes.size() && bytes[end] != '\n' && bytes[end] != '\r') ++end;
    if (end == bytes.size()) end = std::string_view::npos;
    if (end == std::string_view::npos) {
      if (partial_.size() + bytes.size() > kMaxLineBytes) {
        return makeError(ErrorCode::ParseError, "event stream line longer than " + std::to_string(kMaxLineBytes) + " bytes");
      }
      partial_.append(bytes);
      return {};
    }
    if (bytes[end] == '\r') afterCr_ = true;
    if (partial_.empty()) {
      line(bytes.substr(0, end));
    } else {
      partial_.append(bytes.substr(0, end));
      std::string whole = std::move(partial_);
      partial_.clear();
      line(whole);
    }
    bytes.remove_prefix(end + 1);
  }
  return {};
}

void SseParser::line(std::string_view text) {
  if (text.empty()) {
    if (hasData_) {
      if (!event_.data.empty() && event_.data.back() == '\n') event_.data.pop_back();
      sink_(event_);
    }
    event_.event.clear();
    event_.data.clear();
    hasData_ = false;
    pending_ = false;
    return;
  }
  pending_ = true;
  if (text.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = text;
  std::string_view value;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    event_.data.append(value);
    event_.data.push_back('\n');
    hasData_ = true;
  } else if (field == "event") {
    event_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) event_.id.assign(value);
  }
  // "retry" and unknown fields are ignored: cadre's retries are its own.
}

bool SseParser::finish() {
  bool truncated = (pending_ && hasData_) || !partial_.empty();
  partial_.clear();
  event_ = SseEvent{};
  hasData_ = pending_ = false;
  return truncated;
}

}  // namespace cadre::models
