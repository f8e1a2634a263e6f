// Line splitting for NDJSON; see ndjson.hpp.
#include "server/models/ndjson.hpp"

namespace cadre::models {

void NdjsonParser::emit(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  if (line.empty()) return;
  sink_(line);
}

Expected<void> NdjsonParser::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t end = bytes.find('\n');
    if (end == std::string_view::npos) {
      if (partial_.size() + bytes.size() > kMaxLineBytes) {
        return makeError(ErrorCode::ParseError, "NDJSON line longer than " + std::to_string(kMaxLineBytes) + " bytes");
      }
      partial_.append(bytes);
      return {};
    }
    if (partial_.empty()) {
      emit(bytes.substr(0, end));
    } else {
      partial_.append(bytes.substr(0, end));
      std::string whole = std::move(partial_);
      partial_.clear();
      emit(whole);
    }
    bytes.remove_prefix(end + 1);
  }
  return {};
}

bool NdjsonParser::finish() {
  if (partial_.empty()) return false;
  std::string rest = std::move(partial_);
  partial_.clear();
  emit(rest);
  return true;
}

}  // namespace cadre::models
