#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "notebridge/fhir/outcome.h"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace notebridge::gateway {

// Who made a request, once authenticated.
struct Principal {
  std::string kind;   // "api-key" or "jwt"
  std::string id;     // the API key id, or the token's sub (the SMART client id)
  std::string scope;  // the token's scopes; empty for API keys
};

inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";
inline constexpr std::string_view kPlainJson = "application/json; charset=utf-8";

// One request and its response, as a route handler sees them. Not thread-safe: it lives on
// the worker thread serving the request.
class HttpExchange {
 public:
  HttpExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
               std::string requestId);

  const std::string& method() const;
  // The path without the query string, percent-decoded.
  const std::string& path() const { return path_; }
  // The path as sent, still percent-encoded (what the router splits into segments).
  const std::string& rawPath() const { return rawPath_; }
  const std::string& requestId() const { return requestId_; }
  // A captured `{name}` segment of the route pattern; empty when absent.
  std::string_view pathParam(std::string_view name) const;
  void setPathParams(std::map<std::string, std::string, std::less<>> params) {
    pathParams_ = std::move(params);
  }

  // The request body, read whole (chunked or with Content-Length). Fails with "too-long"
  // (413) past the body limit, and with "invalid" (400) when the client sent less than its
  // Content-Length. Reads once; later calls return the same text.
  fhir::Result<std::string> body();
  void setBodyLimit(std::int64_t limit) { bodyLimit_ = limit; }

  // Answers with a body. The first call wins; later calls are ignored.
  void send(int status, std::string_view contentType, std::string_view body);
  // Answers with the outcome as an OperationOutcome, status chosen from the outcome.
  void sendOutcome(const fhir::Outcome& outcome);
  // Same, with an explicit status.
  void sendOutcome(int status, const fhir::Outcome& outcome);
  void setHeader(const std::string& name, const std::string& value);
  // How OperationOutcomes are written from now on (the FHIR API answers in the format the
  // client negotiated): returns content type and body. Unset: FHIR JSON.
  using OutcomeWriter = std::function<std::pair<std::string, std::string>(const fhir::Outcome&)>;
  void setOutcomeWriter(OutcomeWriter writer) { outcomeWriter_ = std::move(writer); }

  const Principal& principal() const { return principal_; }
  void setPrincipal(Principal principal) { principal_ = std::move(principal); }

  bool sent() const { return status_ != 0; }
  int status() const { return status_; }

  Poco::Net::HTTPServerRequest& request() { return request_; }

 private:
  Poco::Net::HTTPServerRequest& request_;
  Poco::Net::HTTPServerResponse& response_;
  std::string requestId_;
  std::string path_;
  std::string rawPath_;
  std::map<std::string, std::string, std::less<>> pathParams_;
  Principal principal_;
  OutcomeWriter outcomeWriter_;
  std::int64_t bodyLimit_ = 0;
  bool bodyRead_ = false;
  std::string body_;
  int status_ = 0;
};

// The one place that maps an outcome to an HTTP status (DESIGN §4): not-found 404,
// not-supported 405, structure/invalid 400, other errors 422, login 401, forbidden/security 403,
// too-long 413, timeout 504, transient/throttled 503, conflict 409, exception 500; no error 200.
int httpStatusFor(const fhir::Outcome& outcome);

}  // namespace notebridge::gateway
