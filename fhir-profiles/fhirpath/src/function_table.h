#pragma once

#include <string_view>

#include "ast.h"

namespace notebridge::fhirpath::detail {

// What the compiler knows of a function: its id and how many arguments it takes.
struct FunctionInfo {
  std::string_view name;
  Fn fn;
  int minArgs;
  int maxArgs;
  bool typeArgument;  // the first argument is a type specifier (ofType, is, as)
};

// The function named `name`, or null when FHIRPath (R4 and FHIR's additions) has none.
const FunctionInfo* findFunction(std::string_view name);

}  // namespace notebridge::fhirpath::detail
