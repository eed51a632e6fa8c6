#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Deterministic keys for NoteBridge-made resources: identifier values and UUIDs built from the
// practice NPI and the note's own ids (DESIGN.md §6 idempotency).
namespace notebridge::mappers {

// Joins parts with '/', escaping '%' and '/' inside a part, so splitKey gives them back.
std::string joinKey(const std::vector<std::string_view>& parts);
std::vector<std::string> splitKey(std::string_view key);

// The FHIR search form of `system|value` for a conditional create or update
// (https://hl7.org/fhir/R4/search.html#escaping), percent-encoded for a URL.
std::string identifierQuery(std::string_view system, std::string_view value);

// Parses "v<digits>" (a note version in a key); nullopt otherwise.
std::optional<int> parseVersionPart(std::string_view part);

}  // namespace notebridge::mappers
