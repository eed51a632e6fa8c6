#include "digest.h"

#include <array>
#include <cstdint>

#include "notebridge/fhir/digest.h"

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

std::optional<std::string> base64DecodeFast(std::string_view text) {
  // The fast path: a multiple of four characters, all of the alphabet except one or two '='
  // at the very end. The slow decoder gives the same bytes for such text (it keeps the whole
  // bytes of the last group and ignores its leftover bits).
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  if (text.size() % 4 != 0 || text.empty()) return fhir::base64Decode(text);
  const std::size_t full = (text.size() - (padding ? 4 : 0)) / 4;  // groups without padding
  std::string out;
  out.resize(full * 3 + (padding == 1 ? 2 : padding == 2 ? 1 : 0));
  char* o = out.data();
  const char* in = text.data();
  for (std::size_t g = 0; g < full; ++g, in += 4, o += 3) {
    const int a = sextet(in[0]), b = sextet(in[1]), c = sextet(in[2]), d = sextet(in[3]);
    if ((a | b | c | d) < 0) return fhir::base64Decode(text);
    const std::uint32_t n = (static_cast<std::uint32_t>(a) << 18) |
                            (static_cast<std::uint32_t>(b) << 12) |
                            (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    o[0] = static_cast<char>(n >> 16);
    o[1] = static_cast<char>((n >> 8) & 0xFF);
    o[2] = static_cast<char>(n & 0xFF);
  }
  if (padding) {
    const int a = sextet(in[0]), b = sextet(in[1]);
    const int c = padding == 1 ? sextet(in[2]) : 0;
    if ((a | b | c) < 0) return fhir::base64Decode(text);
    const std::uint32_t n = (static_cast<std::uint32_t>(a) << 18) |
                            (static_cast<std::uint32_t>(b) << 12) |
                            (static_cast<std::uint32_t>(c) << 6);
    o[0] = static_cast<char>(n >> 16);
    if (padding == 1) o[1] = static_cast<char>((n >> 8) & 0xFF);
  }
  return out;
}

}  // namespace notebridge::validation::detail
