#include "notebridge/mappers/digest.h"

#include <cstring>

namespace notebridge::mappers {

std::string uuidV5(const std::array<std::uint8_t, 16>& nameSpace, std::string_view name) {
  // Names are short keys: hashed from a stack buffer when they fit.
  std::array<std::uint8_t, 20> hash;
  char buffer[256];
  if (name.size() <= sizeof buffer - nameSpace.size()) {
    std::memcpy(buffer, nameSpace.data(), nameSpace.size());
    std::memcpy(buffer + nameSpace.size(), name.data(), name.size());
    hash = sha1(std::string_view(buffer, nameSpace.size() + name.size()));
  } else {
    std::string input(reinterpret_cast<const char*>(nameSpace.data()), nameSpace.size());
    input.append(name);
    hash = sha1(input);
  }
  hash[6] = static_cast<std::uint8_t>((hash[6] & 0x0F) | 0x50);
  hash[8] = static_cast<std::uint8_t>((hash[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  char out[36];
  std::size_t k = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
    out[k++] = kHex[hash[i] >> 4];
    out[k++] = kHex[hash[i] & 15];
  }
  return std::string(out, sizeof out);
}

}  // namespace notebridge::mappers
