#include "notebridge/mappers/digest.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace {

std::string hex(const std::array<std::uint8_t, 20>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

using namespace notebridge::mappers;

BOOST_AUTO_TEST_SUITE(digest)

// FIPS 180-2 appendix A test vectors.
BOOST_AUTO_TEST_CASE(sha1_matches_published_vectors) {
  BOOST_TEST(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  BOOST_TEST(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
             "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  BOOST_TEST(hex(sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

BOOST_AUTO_TEST_CASE(sha1_handles_every_padding_boundary) {
  // 55, 56 and 64 bytes straddle the one-block / two-block padding split; the digests must
  // differ from each other and stay stable.
  const auto a = sha1(std::string(55, 'x'));
  const auto b = sha1(std::string(56, 'x'));
  const auto c = sha1(std::string(64, 'x'));
  BOOST_TEST(hex(a) != hex(b));
  BOOST_TEST(hex(b) != hex(c));
  BOOST_TEST(hex(a) == hex(sha1(std::string(55, 'x'))));
}

// RFC 4648 §10 test vectors.
// sha1 may run on the CPU's SHA instructions: it must agree with the portable code on every
// length around the block and padding boundaries and on large inputs.
BOOST_AUTO_TEST_CASE(sha1_hardware_and_portable_agree) {
  BOOST_TEST(hex(notebridge::fhir::sha1Portable("abc")) ==
             "a9993e364706816aba3e25717850c26c9cd0d89d");
  std::string data;
  std::uint32_t seed = 12345;
  for (int i = 0; i < 100001; ++i) {
    seed = seed * 1103515245u + 12345u;
    data += static_cast<char>(seed >> 24);
  }
  for (std::size_t length :
       {std::size_t{0}, std::size_t{1}, std::size_t{55}, std::size_t{56}, std::size_t{63},
        std::size_t{64}, std::size_t{65}, std::size_t{127}, std::size_t{128}, std::size_t{129},
        std::size_t{1000}, std::size_t{5000}, data.size()}) {
    const std::string_view bytes(data.data(), length);
    BOOST_TEST(hex(sha1(bytes)) == hex(notebridge::fhir::sha1Portable(bytes)), "length " << length);
  }
}

BOOST_AUTO_TEST_CASE(base64_matches_rfc4648) {
  BOOST_TEST(base64Encode("") == "");
  BOOST_TEST(base64Encode("f") == "Zg==");
  BOOST_TEST(base64Encode("fo") == "Zm8=");
  BOOST_TEST(base64Encode("foo") == "Zm9v");
  BOOST_TEST(base64Encode("foob") == "Zm9vYg==");
  BOOST_TEST(base64Encode("fooba") == "Zm9vYmE=");
  BOOST_TEST(base64Encode("foobar") == "Zm9vYmFy");
  BOOST_TEST(*base64Decode("Zm9vYmFy") == "foobar");
  BOOST_TEST(*base64Decode("Zm9v\nYg==") == "foob");
  BOOST_TEST(!base64Decode("Zm9=v").has_value());
  BOOST_TEST(!base64Decode("Zm9").has_value());
  BOOST_TEST(!base64Decode("Zm9*").has_value());
}

BOOST_AUTO_TEST_CASE(base64_round_trips_binary) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  BOOST_TEST(*base64Decode(base64Encode(bytes)) == bytes);
}

// The RFC 4122 DNS namespace and "www.example.com" give 2ed6657d-e927-568b-95e1-2665a8aea6a2
// (the widely published version-5 example).
BOOST_AUTO_TEST_CASE(uuid_v5_matches_known_value) {
  const std::array<std::uint8_t, 16> dns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                            0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  BOOST_TEST(uuidV5(dns, "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

BOOST_AUTO_TEST_SUITE_END()
