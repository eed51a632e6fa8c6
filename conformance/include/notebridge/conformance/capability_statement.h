#pragma once

#include <string>
#include <vector>

namespace notebridge::conformance {

// One RESTful interaction a server serves. `resourceType` is empty for a system-level
// interaction. `code` is a http://hl7.org/fhir/restful-interaction code: read, vread, update,
// patch, delete, history-instance, history-type, create, search-type (type level) or
// transaction, batch, search-system, history-system (system level).
struct RestInteraction {
  std::string resourceType;
  std::string code;
  bool operator==(const RestInteraction&) const = default;
};

// One operation a server serves ($validate, $submit-attachment, ...); `resourceType` empty for
// a system-level operation.
struct RestOperation {
  std::string resourceType;
  std::string name;        // without the '$'
  std::string definition;  // canonical URL of its OperationDefinition
  bool operator==(const RestOperation&) const = default;
};

// One search parameter a type-level search serves (CapabilityStatement.rest.resource.searchParam).
// `type` is a http://hl7.org/fhir/search-param-type code: token, reference, string, date, ...
struct RestSearchParam {
  std::string resourceType;
  std::string name;
  std::string type;
  bool operator==(const RestSearchParam&) const = default;
};

// What the server says about itself.
struct ServerDescription {
  std::string softwareName = "NoteBridge";
  std::string softwareVersion;
  std::string implementationDescription;
  std::string date;  // CapabilityStatement.date: when this statement was made (dateTime)
  std::vector<std::string> formats = {"json"};
  std::vector<std::string>
      securityServices;  // restful-security-service codes (e.g. "SMART-on-FHIR")
};

// Builds a CapabilityStatement (kind instance, FHIR 4.0.1) listing exactly the given
// interactions, operations and search parameters, grouped by resource type in alphabetical
// order (search parameters in the order given). Duplicates are listed once. Returns FHIR JSON.
// Pure; thread-safe.
std::string buildCapabilityStatementJson(const ServerDescription& server,
                                         const std::vector<RestInteraction>& interactions,
                                         const std::vector<RestOperation>& operations,
                                         const std::vector<RestSearchParam>& searchParams = {});

}  // namespace notebridge::conformance
