#include "notebridge/gateway/forwarder.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#include "notebridge/gateway/retry_decision.h"

namespace notebridge::gateway {

namespace {

std::string trim(std::string text) {
  text.erase(0, text.find_first_not_of(" \t\r\n"));
  text.erase(text.find_last_not_of(" \t\r\n") + 1);
  return text;
}

// "Type/id" from a Location such as [base]/DocumentReference/123/_history/1.
std::string idFromLocation(const std::string& location, const std::string& type) {
  const std::string marker = type + "/";
  std::size_t at = location.rfind("/" + marker);
  std::size_t start =
      at == std::string::npos ? (location.rfind(marker, 0) == 0 ? 0 : location.npos) : at + 1;
  if (start == std::string::npos) return {};
  std::size_t idStart = start + marker.size();
  std::size_t idEnd = location.find('/', idStart);
  std::string id = location.substr(idStart, idEnd == std::string::npos ? idEnd : idEnd - idStart);
  return id.empty() ? std::string() : type + "/" + id;
}

// The "id" of a JSON resource body, or empty.
std::string bodyId(const std::string& body, std::string* type = nullptr) {
  if (body.empty() || body.front() != '{') return {};
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!object) return {};
    if (type) *type = object->optValue<std::string>("resourceType", "");
    return object->optValue<std::string>("id", "");
  } catch (const Poco::Exception&) {
    return {};
  } catch (const std::exception&) {
    return {};
  }
}

std::string receiptJson(const UpstreamResponse& response, const std::string& returnedId,
                        int requests) {
  Poco::JSON::Object receipt;
  receipt.set("status", response.status);
  receipt.set("location", response.header("location"));
  receipt.set("id", returnedId);
  receipt.set("outcome", operationOutcomeText(response.body));
  receipt.set("requests", requests);
  std::ostringstream out;
  receipt.stringify(out);
  return out.str();
}

std::string issuesText(const fhir::Outcome& outcome) {
  std::string text;
  for (const auto& issue : outcome.issues()) {
    if (issue.severity < fhir::Severity::kError) continue;
    if (!text.empty()) text += "; ";
    text +=
        issue.expression.empty() ? issue.diagnostics : issue.expression + ": " + issue.diagnostics;
    if (text.size() > 2000) break;
  }
  return text;
}

}  // namespace

fhir::Result<std::shared_ptr<Forwarder>> Forwarder::create(
    DestinationConfig destination, std::shared_ptr<const OutboundTransform> transform,
    std::shared_ptr<UpstreamClient> http) {
  using R = fhir::Result<std::shared_ptr<Forwarder>>;
  if (!http) {
    auto poco = PocoUpstreamClient::create(UpstreamOptions::from(destination));
    if (!poco) return R(std::move(poco.outcome()));
    http = std::move(*poco);
  }
  std::unique_ptr<SmartBackendClient> smart;
  if (destination.auth == DestinationAuth::kSmartBackend) {
    auto options = SmartBackendOptions::from(destination);
    if (!options) return R(std::move(options.outcome()));
    smart = std::make_unique<SmartBackendClient>(std::move(*options), http);
  }
  return R(std::shared_ptr<Forwarder>(new Forwarder(std::move(destination), std::move(transform),
                                                    std::move(http), std::move(smart))));
}

Forwarder::Forwarder(DestinationConfig destination,
                     std::shared_ptr<const OutboundTransform> transform,
                     std::shared_ptr<UpstreamClient> http,
                     std::unique_ptr<SmartBackendClient> smart)
    : destination_(std::move(destination)),
      transform_(std::move(transform)),
      http_(std::move(http)),
      smart_(std::move(smart)) {}

UpstreamResult Forwarder::send(UpstreamRequest request) const {
  request.headers.emplace_back("Accept",
                               std::string(OutboundTransform::contentType(destination_.format)));
  if (destination_.auth == DestinationAuth::kBearerFile) {
    std::ifstream in(destination_.tokenFile);
    std::ostringstream token;
    token << in.rdbuf();
    const std::string value = trim(token.str());
    if (!in || value.empty()) {
      UpstreamResult failure;
      failure.error = UpstreamError::kConnect;
      failure.reason = "cannot read token_file " + destination_.tokenFile.string();
      return failure;
    }
    request.headers.emplace_back("Authorization", "Bearer " + value);
  }
  if (!smart_) return http_->send(request);

  AccessToken token = smart_->accessToken(destination_.scope);
  if (!token.ok()) {
    UpstreamResult failure = std::move(token.failure);
    failure.reason = "SMART token request failed: " + failure.reason;
    return failure;
  }
  request.headers.emplace_back("Authorization", "Bearer " + token.token);
  UpstreamResult result = http_->send(request);
  if (!result.response || result.response->status != 401) return result;
  // The receiver may have revoked or forgotten the token: one fresh one, one more try.
  token = smart_->accessToken(destination_.scope, /*renew=*/true);
  if (!token.ok()) {
    UpstreamResult failure = std::move(token.failure);
    failure.reason = "SMART token renewal failed: " + failure.reason;
    return failure;
  }
  request.headers.back().second = "Bearer " + token.token;
  return http_->send(request);
}

DeliveryAttempt Forwarder::deliver(std::string_view bundleJson) const {
  DeliveryAttempt attempt;
  auto plan = transform_->plan(bundleJson, destination_);
  if (!plan) {
    attempt.refused = true;
    attempt.reason = "refused before sending: " + issuesText(plan.outcome());
    return attempt;
  }
  const std::string contentType(OutboundTransform::contentType(destination_.format));

  if (plan->interaction == DeliveryInteraction::kTransaction ||
      plan->interaction == DeliveryInteraction::kSubmitAttachment) {
    UpstreamRequest request;
    request.method = "POST";
    request.url = destination_.baseUrl;
    if (plan->interaction == DeliveryInteraction::kSubmitAttachment) {
      request.url += "/$submit-attachment";
    }
    request.contentType = contentType;
    request.body = plan->body ? transform_->render(*plan->body, destination_.format)
                              : std::move(plan->verbatimBody);
    attempt.result = send(std::move(request));
    if (attempt.result.response) {
      attempt.receipt =
          receiptJson(*attempt.result.response, bodyId(attempt.result.response->body), 1);
    }
    return attempt;
  }

  // One request per resource. With conditional creates the receiver picks the ids, so later
  // resources' references are rewritten to what the earlier Locations said.
  std::vector<std::pair<std::string, std::string>> assigned;
  std::string documentId;
  int sent = 0;
  for (OutboundResource& resource : plan->resources) {
    if (plan->interaction == DeliveryInteraction::kConditionalCreate) {
      OutboundTransform::rewriteReferences(*resource.resource, assigned);
      fhir::Outcome dropped;
      OutboundTransform::dropUnresolvedReferences(*resource.resource, dropped);
    }
    UpstreamRequest request;
    request.method = resource.method;
    request.url = destination_.baseUrl + "/" + resource.url;
    request.contentType = contentType;
    if (!resource.ifNoneExist.empty()) {
      request.headers.emplace_back("If-None-Exist", resource.ifNoneExist);
    }
    request.body = transform_->render(*resource.resource, destination_.format);
    UpstreamResult result = send(std::move(request));
    ++sent;
    const bool ok =
        result.response && result.response->status >= 200 && result.response->status < 300;
    if (!ok) {
      attempt.reason = resource.method + " " + resource.url + " failed";
      if (result.response) attempt.receipt = receiptJson(*result.response, {}, sent);
      attempt.result = std::move(result);
      return attempt;
    }
    std::string returned = idFromLocation(result.response->header("location"), resource.type);
    if (returned.empty()) {
      std::string type;
      std::string id = bodyId(result.response->body, &type);
      if (!id.empty() && type == resource.type) returned = type + "/" + id;
    }
    if (resource.type == "DocumentReference") documentId = returned;
    if (plan->interaction == DeliveryInteraction::kConditionalCreate) {
      if (returned.empty()) {
        // Without the receiver's id later references would dangle; treat as a bad answer.
        attempt.result.error = UpstreamError::kConnection;
        attempt.result.reason =
            resource.method + " " + resource.url + " answered without a Location or a resource id";
        return attempt;
      }
      assigned.emplace_back(resource.fullUrl, returned);
    }
    attempt.result = std::move(result);
  }
  if (attempt.result.response) {
    attempt.receipt = receiptJson(*attempt.result.response, documentId, sent);
  }
  return attempt;
}

}  // namespace notebridge::gateway
