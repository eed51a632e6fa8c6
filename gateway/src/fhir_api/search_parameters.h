#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// A search parameter the FHIR API serves: its name, kind and the element paths (from the
// resource root, choice elements by base name) whose values it indexes. Names and paths follow
// the R4 SearchParameter definitions (https://hl7.org/fhir/R4/searchparameter-registry.html).
struct SearchParameterDef {
  std::string type;
  std::string name;
  std::string kind;  // token, reference, string, date
  std::vector<std::string> paths;
  std::string targetType;  // reference parameters limited to one target type ("patient")
  // A parameter that is another one limited to targetType (patient is subject or target limited
  // to Patient references): no index entries of its own; a search by it is a search of that
  // one, as parseSearch rewrites it. Empty for the rest.
  std::string indexedAs;
};

// Every parameter for a resource type, beside _id and _lastUpdated which all types have.
const std::vector<SearchParameterDef>& searchParametersFor(std::string_view type);

// The resource types the FHIR API serves (those with search parameters).
const std::vector<std::string>& servedResourceTypes();

// The index entries of a resource for its type's parameters (none for those with indexedAs).
std::vector<IndexEntry> indexResource(const fhir::Element& resource);

// The instant range [low, high] a FHIR date, dateTime or instant covers, in UTC with
// millisecond precision ("2024-03" covers the whole month). Nothing when the text is not one.
std::optional<std::pair<std::string, std::string>> dateRange(std::string_view text);

// Whether a resource version matches every criterion, judged as Store::search judges the
// current versions, but from `index` (indexResource of that version's body) instead of the
// stored index, which holds current versions only. For versions that are not current: vread and
// history under query-narrowed SMART scopes.
bool matchesCriteria(const std::vector<IndexEntry>& index, const ResourceVersion& version,
                     const std::vector<SearchCriterion>& criteria);

// A parsed search request.
struct ParsedSearch {
  SearchQuery query;
  std::vector<std::string> ignored;  // unknown or unsupported parameters, as given
};

// Turns query parameters into a search. Malformed values are errors ("invalid", naming the
// parameter); unknown parameters are listed in `ignored`, or errors when `strict`.
fhir::Result<ParsedSearch> parseSearch(
    const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
    bool strict);

}  // namespace notebridge::gateway
