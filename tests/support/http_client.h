#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>

namespace notebridge::testing {

// A response as a test looks at it.
struct HttpResult {
  int status = 0;
  std::string contentType;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline HttpResult httpRequest(Poco::Net::HTTPClientSession& session, const std::string& method,
                              const std::string& path, const std::string& body,
                              const std::map<std::string, std::string>& headers,
                              const std::string& contentType);

// One plain HTTP request to a server on loopback.
inline HttpResult httpRequest(std::uint16_t port, const std::string& method,
                              const std::string& path, const std::string& body = {},
                              const std::map<std::string, std::string>& headers = {},
                              const std::string& contentType = "application/fhir+json") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  return httpRequest(session, method, path, body, headers, contentType);
}

// The same over a given session (HTTPS, keep-alive).
inline HttpResult httpRequest(Poco::Net::HTTPClientSession& session, const std::string& method,
                              const std::string& path, const std::string& body,
                              const std::map<std::string, std::string>& headers,
                              const std::string& contentType) {
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    request.setContentType(contentType);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult result;
  result.status = static_cast<int>(response.getStatus());
  result.contentType = response.getContentType();
  for (const auto& [name, value] : response) result.headers[name] = value;
  std::ostringstream out;
  Poco::StreamCopier::copyStream(in, out);
  result.body = out.str();
  return result;
}

}  // namespace notebridge::testing
