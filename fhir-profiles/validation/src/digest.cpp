#include "digest.h"

#include <array>
#include <cstdint>

namespace notebridge::validation::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct SextetTable {
  signed char value[256];
  constexpr SextetTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 64; ++i)
      value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  }
};
constexpr SextetTable kSextets;

int sextet(char c) { return kSextets.value[static_cast<unsigned char>(c)]; }

}  // namespace

std::optional<std::size_t> decodedBase64Size(std::string_view text) {
  // One branch-free pass (the text is a whole note): count what is not whitespace or padding.
  std::size_t sextets = 0;
  bool bad = false;
  for (char c : text) {
    const int value = sextet(c);
    sextets += value >= 0;
    bad |= value < 0 && c != '=' && c != ' ' && c != '\n' && c != '\r' && c != '\t';
  }
  if (bad) return std::nullopt;
  return sextets * 6 / 8;
}

}  // namespace notebridge::validation::detail
