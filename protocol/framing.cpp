// Incremental LSP base-protocol parser; see framing.hpp for the contract.
#include "protocol/framing.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace cadre::protocol {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Finds the blank line that ends a header block. Lines end in CRLF per the
// spec; a bare LF is accepted too, as several clients send it.
std::optional<std::pair<std::size_t, std::size_t>> findHeaderEnd(std::string_view buf) {
  for (std::size_t pos = buf.find('\n'); pos != std::string_view::npos; pos = buf.find('\n', pos + 1)) {
    std::size_t next = pos + 1;
    if (next < buf.size() && buf[next] == '\n') return std::pair{pos, next + 1};
    if (next + 1 < buf.size() && buf[next] == '\r' && buf[next + 1] == '\n') return std::pair{pos, next + 2};
  }
  return std::nullopt;
}

bool acceptableContentType(std::string_view original) {
  std::string lowered(original);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = lowered;
  // "application/vscode-jsonrpc; charset=utf-8" is the spec's default; any
  // media type is tolerated but the charset must be UTF-8 (the spec also
  // accepts "utf8" for backwards compatibility).
  auto pos = value.find("charset=");
  if (pos == std::string_view::npos) return true;
  auto charset = trim(value.substr(pos + 8));
  if (auto semi = charset.find(';'); semi != std::string_view::npos) charset = trim(charset.substr(0, semi));
  if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') charset = charset.substr(1, charset.size() - 2);
  return iequals(charset, "utf-8") || iequals(charset, "utf8");
}

}  // namespace

void FrameReader::feed(std::string_view bytes) {
  while (!bytes.empty() && state_ != State::Dead) {
    switch (state_) {
      case State::Skip: {
        const std::size_t n = std::min(remaining_, bytes.size());
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          events_.push_back({FrameEvent::Kind::Rejected, {}, std::move(skipReason_)});
          state_ = State::Headers;
        }
        break;
      }
      case State::Body: {
        const std::size_t n = std::min(remaining_, bytes.size());
        buffer_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          events_.push_back({FrameEvent::Kind::Message, std::move(buffer_), {}});
          buffer_.clear();
          state_ = State::Headers;
        }
        break;
      }
      case State::Headers: {
        // Blank lines between messages are tolerated (some clients add them).
        if (buffer_.empty()) {
          while (!bytes.empty() && (bytes.front() == '\r' || bytes.front() == '\n')) bytes.remove_prefix(1);
          if (bytes.empty()) break;
        }
        // Append only up to the header cap (plus a little, to see the end
        // marker) so a hostile peer cannot grow the buffer.
        const std::size_t room = limits_.maxHeaderBytes + 4 - std::min(buffer_.size(), limits_.maxHeaderBytes + 4);
        const std::size_t n = std::min(room, bytes.size());
        const std::size_t before = buffer_.size();
        buffer_.append(bytes.substr(0, n));
        auto end = findHeaderEnd(buffer_);
        if (!end) {
          if (buffer_.size() > limits_.maxHeaderBytes) {
            fail("header block longer than " + std::to_string(limits_.maxHeaderBytes) + " bytes");
            return;
          }
          bytes.remove_prefix(n);
          break;
        }
        // Give back what belongs to the body: it is fed again below.
        const std::size_t consumed = end->second - before;
        bytes.remove_prefix(consumed);
        buffer_.resize(end->first);
        parseHeaders();
        break;
      }
      case State::Dead:
        break;
    }
  }
}

void FrameReader::parseHeaders() {
  std::string headers = std::move(buffer_);
  buffer_.clear();
  std::optional<std::size_t> length;
  bool sawType = false;
  std::string reject;
  std::string_view rest = headers;
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    line = trim(line);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("malformed header line (expected \"Name: value\")");
    }
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (length) return fail("duplicate Content-Length header");
      if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail("Content-Length is not a non-negative integer");
      }
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      // Skipping a body is for honest messages that are too big; a length no
      // client could mean would swallow the stream for good.
      if (ec != std::errc() || n > kAbsurdContentLength) return fail("Content-Length is absurdly large");
      length = n;
    } else if (iequals(name, "Content-Type")) {
      if (sawType) reject = "duplicate Content-Type header";
      sawType = true;
      if (reject.empty() && !acceptableContentType(value)) reject = "unsupported charset in Content-Type (only utf-8)";
    }
    // Other headers are not defined by the spec and are ignored.
  }
  if (!length) return fail("missing Content-Length header");
  if (*length == 0) {
    events_.push_back({FrameEvent::Kind::Rejected, {}, "Content-Length is 0 (an empty message)"});
    state_ = State::Headers;
    return;
  }
  if (*length > limits_.maxContentLength) {
    reject = "message of " + std::to_string(*length) + " bytes exceeds the limit of " +
             std::to_string(limits_.maxContentLength) + " bytes";
  }
  remaining_ = *length;
  if (!reject.empty()) {
    skipReason_ = std::move(reject);
    state_ = State::Skip;
  } else {
    // The length is the peer's claim: grow as bytes really arrive.
    buffer_.reserve(std::min<std::size_t>(*length, 1u << 20));
    state_ = State::Body;
  }
}

void FrameReader::fail(std::string error) {
  events_.push_back({FrameEvent::Kind::Fatal, {}, std::move(error)});
  buffer_.clear();
  buffer_.shrink_to_fit();
  state_ = State::Dead;
}

FrameEvent FrameReader::next() {
  FrameEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool FrameReader::midMessage() const {
  switch (state_) {
    case State::Headers:
      return !buffer_.empty();
    case State::Body:
    case State::Skip:
      return true;
    case State::Dead:
      return false;
  }
  return false;
}

std::string frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body);
  return out;
}

}  // namespace cadre::protocol
