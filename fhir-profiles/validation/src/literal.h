#pragma once

#include <cstddef>
#include <string_view>

namespace notebridge::validation::detail {

// `text == literal` with the literal's length known at compile time, so the comparison is a
// few inline loads instead of a memcmp call (string_view's operator== passes a run-time length).
// The validator compares type codes and keywords this way on every element.
template <std::size_t N>
inline bool is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && __builtin_memcmp(text.data(), literal, N - 1) == 0;
}

}  // namespace notebridge::validation::detail
