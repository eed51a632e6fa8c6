#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace notebridge::fhirpath::detail {

// A compile error at a 1-based column; thrown inside the compiler only, never out of it.
struct CompileError {
  std::uint32_t column;
  std::string message;
  bool semantic = false;  // a well-formed expression the spec still rejects
};

enum class TokenType : std::uint8_t {
  kIdentifier,  // plain or `delimited` (text holds the name)
  kString,      // 'text' (text holds the unescaped value)
  kNumber,      // 12 or 1.5
  kLongNumber,  // 12L
  kDate,        // @2014-01-02 (text without '@')
  kDateTime,    // @2014-01-02T10:00 or @2014T
  kTime,        // @T10:00 (text without "@T")
  kVariable,    // %name (text holds name)
  kSpecial,     // $this, $index, $total (text holds "this"...)
  kSymbol,      // operators and punctuation (text holds it)
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  bool delimited = false;
  std::uint32_t column = 0;
  std::string text;
};

// Splits FHIRPath text into tokens (https://hl7.org/fhirpath/N1/#lexical-elements): skips
// whitespace and comments, unescapes strings. Throws CompileError on a malformed token.
class Lexer {
 public:
  static std::vector<Token> tokenize(std::string_view text);
};

}  // namespace notebridge::fhirpath::detail
