#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notebridge::gateway {

// The SMART system scopes a token grants, e.g. "system/DocumentReference.rs system/*.read".
// Both syntaxes are understood: v1 `.read` / `.write` / `.*` and v2 letters `c r u d s`
// (http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). A v2 scope narrowed by a
// query (`system/Observation.rs?category=survey`, SMART v2 finer-grained scopes) is never
// widened: allows() ignores it, and narrowingQueries() hands its query to the FHIR API, which
// grants read, vread, history and search only of resources (and versions) matching it. Narrowed
// c/u/d grant nothing (the gateway does not check writes against a query). Immutable;
// thread-safe.
class SmartScopes {
 public:
  SmartScopes() = default;
  // Parses a space-separated scope string; scopes that are not system/ resource scopes
  // (openid, launch, patient/..., user/...) are kept in text() but grant nothing here.
  static SmartScopes parse(std::string_view text);

  // Whether the scopes allow `interaction` (a restful-interaction code: read, vread, update,
  // patch, delete, history-instance, history-type, create, search-type) on `resourceType`.
  bool allows(std::string_view resourceType, std::string_view interaction) const;

  // When allows() is false: the queries (text after '?') of the narrowed grants that would
  // allow `interaction` (read, vread, history-instance, history-type or search-type only) on
  // `resourceType` for resources matching one of them. Empty when allows() is true or nothing
  // narrowed applies.
  std::vector<std::string> narrowingQueries(std::string_view resourceType,
                                            std::string_view interaction) const;
  // allows(), or a narrowed grant might allow it (the caller then checks the query).
  bool mayAllow(std::string_view resourceType, std::string_view interaction) const {
    return allows(resourceType, interaction) ||
           !narrowingQueries(resourceType, interaction).empty();
  }

  const std::string& text() const { return text_; }

 private:
  struct Grant {
    std::string resourceType;  // "*" for any
    std::string letters;       // subset of "cruds"
    std::string query;         // a narrowed grant's query; empty for the whole type
  };
  std::vector<Grant> grants_;
  std::string text_;
};

}  // namespace notebridge::gateway
