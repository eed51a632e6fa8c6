#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notebridge::gateway {

// The SMART system scopes a token grants, e.g. "system/DocumentReference.rs system/*.read".
// Both syntaxes are understood: v1 `.read` / `.write` / `.*` and v2 letters `c r u d s`
// (http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). A v2 scope narrowed by a
// query (`system/DocumentReference.c?category=clinical-note`) is never widened: since the
// gateway does not yet check the resource against the query, such a scope grants nothing.
// Immutable; thread-safe.
class SmartScopes {
 public:
  SmartScopes() = default;
  // Parses a space-separated scope string; scopes that are not system/ resource scopes
  // (openid, launch, patient/..., user/...) are kept in text() but grant nothing here.
  static SmartScopes parse(std::string_view text);

  // Whether the scopes allow `interaction` (a restful-interaction code: read, vread, update,
  // patch, delete, history-instance, history-type, create, search-type) on `resourceType`.
  bool allows(std::string_view resourceType, std::string_view interaction) const;

  const std::string& text() const { return text_; }

 private:
  struct Grant {
    std::string resourceType;  // "*" for any
    std::string letters;       // subset of "cruds"
  };
  std::vector<Grant> grants_;
  std::string text_;
};

}  // namespace notebridge::gateway
