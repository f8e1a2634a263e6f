// One implementation of Connection for any asio stream pair; see connection.hpp.
#include "protocol/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <asio/bind_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <deque>
#include <optional>

namespace cadre::protocol {
namespace {

template <class Stream>
class StreamConnection : public Connection, public std::enable_shared_from_this<StreamConnection<Stream>> {
 public:
  // `out` is empty when one stream both reads and writes (a socket).
  StreamConnection(asio::strand<asio::any_io_executor> strand, Stream in, std::optional<Stream> out, ConnectionOptions options)
      : strand_(std::move(strand)), in_(std::move(in)), out_(std::move(out)), options_(std::move(options)), reader_(options_.limits), lines_(options_.lineLimits) {}

  void start(std::shared_ptr<MessageHandler> handler) override {
    std::error_code ec;
    writer().non_blocking(true, ec);  // enqueue() writes directly and must never block
    if (ec) spdlog::warn("{}: cannot make the output non-blocking: {}", options_.name, ec.message());
    asio::post(strand_, [self = this->shared_from_this(), handler = std::move(handler)]() mutable {
      self->handler_ = std::move(handler);
      self->readMore();
    });
  }

  asio::any_io_executor executor() override { return strand_; }
  bool closed() const override { return closed_.load(); }

  void notify(std::string_view method, json params) override { send(encodeNotification(method, params)); }
  void call(std::string_view method, json params, json id) override { send(encodeRequest(id, method, params)); }
  void reply(json id, Expected<json> result) override { send(encodeResponse(id, result)); }

  void close() override {
    asio::post(strand_, [self = this->shared_from_this()] { self->beginClose(); });
  }

 private:
  Stream& writer() { return out_ ? *out_ : in_; }
  bool byLines() const { return options_.framing == Framing::Lines; }

  void send(std::string body) {
    if (closed_.load()) {
      spdlog::debug("{}: dropped an outgoing message after close", options_.name);
      return;
    }
    // On the strand already (a handler replying at once): queue directly, no hop.
    std::string framed = byLines() ? frameLine(body) : frame(body);
    if (strand_.running_in_this_thread()) return enqueue(std::move(framed));
    asio::post(strand_, [self = this->shared_from_this(), framed = std::move(framed)]() mutable { self->enqueue(std::move(framed)); });
  }

  void enqueue(std::string framed) {
    if (closed_.load()) return;
    if (queue_.empty()) {
      // Nothing in flight: write now (the stream is non-blocking) and only
      // queue what the peer's buffer did not take. Saves the completion
      // round through the event loop on every reply.
      std::error_code ec;
      const std::size_t n = writer().write_some(asio::buffer(framed), ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
        spdlog::warn("{}: write failed: {}", options_.name, ec.message());
        return shutdownNow();
      }
      if (!ec && n == framed.size()) return;
      if (!ec) framed.erase(0, n);
    }
    queue_.push_back(std::move(framed));
    if (queue_.size() == 1) writeNext();
  }

  void writeNext() {
    asio::async_write(writer(), asio::buffer(queue_.front()),
                      asio::bind_executor(strand_, [self = this->shared_from_this()](const std::error_code& ec, std::size_t) {
                        if (ec) {
                          spdlog::warn("{}: write failed: {}", self->options_.name, ec.message());
                          self->queue_.clear();
                          return self->shutdownNow();
                        }
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) return self->writeNext();
                        if (self->closing_) self->shutdownNow();
                      }));
  }

  void readMore() {
    if (closing_ || closed_.load()) return;
    in_.async_read_some(asio::buffer(buffer_), asio::bind_executor(strand_, [self = this->shared_from_this()](const std::error_code& ec, std::size_t n) {
                          self->onRead(ec, n);
                        }));
  }

  void onRead(const std::error_code& ec, std::size_t n) {
    if (closed_.load()) return;
    if (ec) {
      if (ec == asio::error::eof) {
        if (byLines() ? lines_.midMessage() : reader_.midMessage()) spdlog::warn("{}: peer closed the connection in the middle of a message", options_.name);
        else spdlog::info("{}: peer closed the connection", options_.name);
        // The peer may only have closed its sending side: answers already
        // queued still go out before the connection closes.
        return asio::post(strand_, [self = this->shared_from_this()] { self->beginClose(); });
      }
      if (ec != asio::error::operation_aborted) spdlog::warn("{}: read failed: {}", options_.name, ec.message());
      return shutdownNow();
    }
    const std::string_view bytes(buffer_.data(), n);
    byLines() ? lines_.feed(bytes) : reader_.feed(bytes);
    while ((byLines() ? lines_.hasEvent() : reader_.hasEvent()) && !closing_) {
      if (!deliver(byLines() ? lines_.next() : reader_.next())) {
        // After what handlers already sent from other threads has been queued.
        return asio::post(strand_, [self = this->shared_from_this()] { self->beginClose(); });
      }
    }
    readMore();
  }

  // Returns false when the connection must close.
  bool deliver(FrameEvent event) {
    switch (event.kind) {
      case FrameEvent::Kind::Rejected:
        return answerInvalid(Invalid{nullptr, makeError(ErrorCode::ParseError, "framing: " + event.error)});
      case FrameEvent::Kind::Fatal:
        answerInvalid(Invalid{nullptr, makeError(ErrorCode::ParseError, "framing: " + event.error + "; closing the connection")});
        spdlog::warn("{}: unrecoverable framing error: {}", options_.name, event.error);
        return false;
      case FrameEvent::Kind::Message:
        break;
    }
    Incoming msg = parseMessage(event.body);
    // A local reference for the call: a reply written at once can fail and
    // shut the connection down, which drops handler_ while the handler is
    // still on the stack (a heap-use-after-free ASan found in a wire test).
    const std::shared_ptr<MessageHandler> handler = handler_;
    if (!handler) return true;
    if (auto* req = std::get_if<Request>(&msg)) return handler->onCall(req->method, std::move(req->params), std::move(req->id));
    if (auto* note = std::get_if<Notification>(&msg)) return handler->onNotify(note->method, std::move(note->params));
    if (auto* resp = std::get_if<Response>(&msg)) return handler->onReply(std::move(resp->id), std::move(resp->result));
    return answerInvalid(std::get<Invalid>(msg));
  }

  bool answerInvalid(const Invalid& bad) {
    if (handler_) handler_->onInvalid(bad);
    if (bad.answerable) reply(bad.id, bad.error);
    return true;
  }

  // Stops reading; closes once queued writes are out.
  void beginClose() {
    if (closing_ || closed_.load()) return;
    closing_ = true;
    std::error_code ignored;
    if (out_) in_.close(ignored);  // stdio: stop reading now; the writer drains
    if (queue_.empty()) shutdownNow();
  }

  void shutdownNow() {
    if (closed_.exchange(true)) return;
    std::error_code ignored;
    in_.close(ignored);
    if (out_) out_->close(ignored);
    queue_.clear();
    // Break the connection ↔ handler cycle; the handler learns it is over.
    if (auto handler = std::move(handler_)) handler->onClosed();
    if (options_.onClosed) options_.onClosed();
  }

  asio::strand<asio::any_io_executor> strand_;
  Stream in_;
  std::optional<Stream> out_;
  ConnectionOptions options_;
  FrameReader reader_;
  LineReader lines_;
  std::shared_ptr<MessageHandler> handler_;
  std::array<char, 64 * 1024> buffer_;
  std::deque<std::string> queue_;
  bool closing_ = false;
  std::atomic<bool> closed_{false};
};

}  // namespace

std::shared_ptr<Connection> makeStdioConnection(asio::io_context& io, int inFd, int outFd, ConnectionOptions options) {
  auto strand = asio::make_strand(asio::any_io_executor(io.get_executor()));
  asio::posix::stream_descriptor in(io, inFd);
  asio::posix::stream_descriptor out(io, outFd);
  return std::make_shared<StreamConnection<asio::posix::stream_descriptor>>(std::move(strand), std::move(in), std::move(out),
                                                                            std::move(options));
}

std::shared_ptr<Connection> makeTcpConnection(asio::ip::tcp::socket socket, ConnectionOptions options) {
  auto strand = asio::make_strand(socket.get_executor());
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  return std::make_shared<StreamConnection<asio::ip::tcp::socket>>(std::move(strand), std::move(socket), std::nullopt,
                                                                   std::move(options));
}

}  // namespace cadre::protocol
