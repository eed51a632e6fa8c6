#include "notebridge/gateway/http_exchange.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <sys/socket.h>

#include <algorithm>
#include <sstream>

namespace notebridge::gateway {

HttpExchange::HttpExchange(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response, std::string requestId)
    : request_(request), response_(response), requestId_(std::move(requestId)) {
  const std::string& uri = request_.getURI();
  rawPath_ = uri.substr(0, uri.find_first_of("?#"));
  try {
    Poco::URI::decode(rawPath_, path_);
  } catch (const Poco::Exception&) {
    path_ = rawPath_;  // a malformed escape: shown as sent
  }
  response_.set("X-Request-Id", requestId_);
}

const std::string& HttpExchange::method() const { return request_.getMethod(); }

std::string_view HttpExchange::pathParam(std::string_view name) const {
  auto it = pathParams_.find(name);
  return it == pathParams_.end() ? std::string_view() : std::string_view(it->second);
}

fhir::Result<std::string> HttpExchange::body() {
  if (bodyRead_) return body_;
  bodyRead_ = true;
  std::istream& in = request_.stream();
  char buffer[65536];
  while (in) {
    in.read(buffer, sizeof buffer);
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (static_cast<std::int64_t>(body_.size()) + got > bodyLimit_) {
      body_.clear();
      return fhir::Result<std::string>::failure(
          fhir::Severity::kError, "too-long",
          "the body is larger than the limit of " + std::to_string(bodyLimit_) + " bytes");
    }
    body_.append(buffer, static_cast<std::size_t>(got));
  }
  if (request_.hasContentLength() &&
      static_cast<std::int64_t>(body_.size()) < request_.getContentLength64()) {
    return fhir::Result<std::string>::failure(fhir::Severity::kError, "invalid",
                                              "the client stopped sending the body");
  }
  return body_;
}

void HttpExchange::setHeader(const std::string& name, const std::string& value) {
  if (!sent()) response_.set(name, value);
}

namespace {

// Bodies up to this size go out with Poco's own sendBuffer, which sends head and body in one
// call when they fit its 4 KB stream buffer.
constexpr std::size_t kBufferedBody = 2048;
// Bodies up to this size are sent with their head in one send() (see send()).
constexpr std::size_t kCopiedBody = 64 * 1024;

void sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t size, int flags) {
  while (size > 0) {
    const int sent =
        socket.sendBytes(data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)), flags);
    if (sent <= 0) throw Poco::Net::NetException("the client stopped reading the response");
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
}

}  // namespace

void HttpExchange::send(int status, std::string_view contentType, std::string_view body) {
  if (sent()) return;
  status_ = status;
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response_.setContentType(std::string(contentType));
  response_.setContentLength(static_cast<std::streamsize>(body.size()));
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request_);
  if (body.size() <= kBufferedBody || !impl || impl->socket().secure() ||
      request_.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD) {
    response_.sendBuffer(body.data(), body.size());
    return;
  }
  // sendBuffer writes a large body through that 4 KB buffer: one send() and one TCP segment
  // per 4 KB (a 48 KB searchset made 12). Here the kernel gets the body in one call, so it
  // sends full segments. Plain sockets only: TLS keeps Poco's path.
  std::ostringstream head;
  response_.write(head);
  const std::string text = head.str();
  Poco::Net::StreamSocket& socket = impl->socket();
  if (body.size() <= kCopiedBody) {
    // Head and body in one send() instead of two (a TCP send costs several µs on this VM):
    // the copy of a body this small costs less.
    std::string whole;
    whole.reserve(text.size() + body.size());
    whole.append(text).append(body);
    sendAll(socket, whole.data(), whole.size(), 0);
    return;
  }
  // Larger ones are not copied: the head goes first with MSG_MORE.
  sendAll(socket, text.data(), text.size(), MSG_MORE);
  sendAll(socket, body.data(), body.size(), 0);
}

void HttpExchange::sendOutcome(const fhir::Outcome& outcome) {
  sendOutcome(httpStatusFor(outcome), outcome);
}

void HttpExchange::sendOutcome(int status, const fhir::Outcome& outcome) {
  if (outcomeWriter_) {
    auto [contentType, body] = outcomeWriter_(outcome);
    send(status, contentType, body);
  } else {
    send(status, kFhirJson, outcome.toOperationOutcomeJson());
  }
}

}  // namespace notebridge::gateway
