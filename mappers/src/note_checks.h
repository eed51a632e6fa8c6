#pragma once

#include <optional>
#include <string>
#include <string_view>

// Small syntactic checks shared by the note parser and the mappers.
namespace notebridge::mappers {

// C0 controls other than tab, LF and CR, DEL, and C1 controls (U+0080..U+009F): XML 1.0 and
// most EHR converters reject them (DOMAIN.md §9.9).
bool hasControlCharacters(std::string_view text);
std::string stripControlCharacters(std::string_view text);

// FHIR date (YYYY-MM-DD) or, with needsTime, a dateTime with seconds and offset
// (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm)); Oracle rejects date-only values (DOMAIN §9.11).
bool isFhirDateTime(std::string_view text, bool needsTime);

// Seconds since 1970-01-01T00:00:00Z of a date-time accepted by isFhirDateTime(text, true)
// (fractions dropped); nullopt for anything else. For ordering instants with offsets.
std::optional<long long> epochSeconds(std::string_view text);

// 10 digits whose last is the Luhn check digit over the "80840" prefix (CMS NPI rule).
bool isNpi(std::string_view text);
// All ASCII digits; exactly `count` of them when count > 0, at least one otherwise.
bool isDigits(std::string_view text, std::size_t count);
// CPT category I (5 digits), II (4 digits + F) or III (4 digits + T).
bool isCpt(std::string_view text);
// ICD-10-CM shape: letter, digit, alphanumeric, then optionally '.' and 1-4 alphanumerics.
bool isIcd10Cm(std::string_view text);

}  // namespace notebridge::mappers
