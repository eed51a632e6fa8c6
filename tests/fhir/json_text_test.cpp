#include "notebridge/fhir/json_text.h"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace notebridge::fhir;

namespace {

// The escaping RFC 8259 asks for, one byte at a time: what the word-at-a-time code must match.
std::string referenceEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string escaped(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_text)

BOOST_AUTO_TEST_CASE(strings_are_escaped_as_rfc_8259_asks) {
  BOOST_TEST(escaped("") == "\"\"");
  BOOST_TEST(escaped("plain text") == "\"plain text\"");
  BOOST_TEST(escaped("say \"hi\"\\now") == "\"say \\\"hi\\\"\\\\now\"");
  BOOST_TEST(escaped("a\tb\nc\rd\be\ff") == "\"a\\tb\\nc\\rd\\be\\ff\"");
  BOOST_TEST(escaped(std::string_view("\x01\x1f\0", 3)) == "\"\\u0001\\u001F\\u0000\"");
  // Non-ASCII passes through as UTF-8; '/' and DEL are not escaped.
  BOOST_TEST(escaped("María / \x7f") == "\"María / \x7f\"");
}

// The fast path looks at eight bytes at a time: every position of every special character, and
// bytes above 0x7F beside them, must still come out as the byte-by-byte reference.
BOOST_AUTO_TEST_CASE(escaping_is_exact_at_every_position) {
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', ' ', '!', '#', '[', ']'}) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text[at] = special;
        if (at + 1 < length) text[at + 1] = '\xC3';
        BOOST_TEST(escaped(text) == referenceEscape(text));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(utf8_validation_finds_the_first_bad_byte) {
  const auto npos = std::string_view::npos;
  BOOST_TEST(findInvalidUtf8("") == npos);
  BOOST_TEST(findInvalidUtf8("plain ASCII text, longer than one word") == npos);
  BOOST_TEST(findInvalidUtf8("Mar\xC3\xAD"
                             "a \xE2\x82\xAC \xF0\x9F\x98\x80") == npos);
  BOOST_TEST(findInvalidUtf8("abc\xFF") == 3u);
  BOOST_TEST(findInvalidUtf8("12345678\x80") == 8u);           // lone continuation byte
  BOOST_TEST(findInvalidUtf8("\xC0\xAF") == 0u);               // overlong '/'
  BOOST_TEST(findInvalidUtf8("ab\xE0\x80\x80") == 2u);         // overlong three-byte form
  BOOST_TEST(findInvalidUtf8("\xED\xA0\x80") == 0u);           // UTF-16 surrogate
  BOOST_TEST(findInvalidUtf8("x\xF4\x90\x80\x80") == 1u);      // above U+10FFFF
  BOOST_TEST(findInvalidUtf8("xy\xE2\x82") == 2u);             // truncated at the end
  BOOST_TEST(findInvalidUtf8("0123456\xC3(") == 7u);           // bad continuation
  BOOST_TEST(findInvalidUtf8("\xF4\x8F\xBF\xBF ok") == npos);  // U+10FFFF itself
}

BOOST_AUTO_TEST_CASE(writer_separates_members_and_items) {
  std::string out;
  JsonTextWriter w(out);
  w.StartObject();
  w.Key("a");
  w.StartArray();
  w.Int(1);
  w.RawValue("2.50", 4, 0);
  w.Null();
  w.Bool(false);
  w.EndArray();
  w.Key("b");
  w.StartObject();
  w.EndObject();
  w.Key("c");
  w.String("x\"y");
  w.EndObject();
  BOOST_TEST(out == R"({"a":[1,2.50,null,false],"b":{},"c":"x\"y"})");
}

BOOST_AUTO_TEST_SUITE_END()
