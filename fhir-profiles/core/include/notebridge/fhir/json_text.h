#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Fast building blocks for JSON text, shared by the FHIR JSON codec and the internal note format
// (https://www.rfc-editor.org/rfc/rfc8259).
namespace notebridge::fhir {

// Offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or std::string_view::npos when all is valid.
// Runs at memory speed over ASCII. Thread-safe.
std::size_t findInvalidUtf8(std::string_view text);

// A copy of `text` followed by zero bytes, for in-situ parsers (the first zero ends the text)
// and 16-byte scans (the rest keep them inside the copy), in a buffer the caller keeps per
// thread: a fresh large block per document costs more than the copy (glibc consolidates its
// free lists on every large request). A buffer grown past 1 MB for an unusual document is
// released when the copy goes. Valid while it lives; one at a time per buffer.
class PaddedCopy {
 public:
  static constexpr std::size_t kPadding = 32;
  PaddedCopy(std::string& buffer, std::string_view text);
  ~PaddedCopy();
  PaddedCopy(const PaddedCopy&) = delete;
  PaddedCopy& operator=(const PaddedCopy&) = delete;
  char* data() { return buffer_.data(); }

 private:
  std::string& buffer_;
};

// Appends `text` as a JSON string literal, quotes included. Escapes exactly what RFC 8259
// requires ('"', '\\' and U+0000..U+001F; \b \t \n \f \r in short form, others as \u00XX with
// upper-case hex), so the output is byte-identical to RapidJSON's writer. Bytes are not
// validated: callers pass UTF-8.
void appendJsonString(std::string& out, std::string_view text);

// out.append(s, n), kept out of line: inlined where n has a small known bound, GCC copies with
// `rep movs`, which costs more to start than these few bytes. For the writer below.
void appendBytes(std::string& out, const char* s, std::size_t n);

// A compact JSON writer (no whitespace) that appends to a string. Its method names follow
// RapidJSON's SAX writer on purpose, so that one emitter template drives either this writer or
// RapidJSON's PrettyWriter. The caller keeps objects and arrays balanced and gives a Key before
// each object member. Not thread-safe; the string is borrowed.
class JsonTextWriter {
 public:
  explicit JsonTextWriter(std::string& out) : out_(out) { first_.push_back(1); }

  bool StartObject() {
    open('{');
    return true;
  }
  bool EndObject(std::size_t = 0) {
    first_.pop_back();
    out_ += '}';
    return true;
  }
  bool StartArray() {
    open('[');
    return true;
  }
  bool EndArray(std::size_t = 0) {
    first_.pop_back();
    out_ += ']';
    return true;
  }
  bool Key(const char* s, std::size_t n) {
    // Property names are short and plain: separator, quotes, name and colon in one append.
    char buffer[kShortKey + 4];
    std::size_t k = 0;
    if (needsComma()) buffer[k++] = ',';
    buffer[k++] = '"';
    if (n <= kShortKey && copyPlain(buffer + k, s, n)) {
      k += n;
      buffer[k++] = '"';
      buffer[k++] = ':';
      appendBytes(out_, buffer, k);
    } else {
      appendBytes(out_, buffer, k - 1);
      appendJsonString(out_, std::string_view(s, n));
      out_ += ':';
    }
    afterKey_ = true;
    return true;
  }
  bool Key(const char* s) { return Key(s, std::char_traits<char>::length(s)); }
  bool String(const char* s, std::size_t n) {
    separate();
    appendJsonString(out_, std::string_view(s, n));
    return true;
  }
  bool String(const char* s) { return String(s, std::char_traits<char>::length(s)); }
  // Text that is already valid JSON (a number as its source spelled it); the type is ignored.
  template <typename Type>
  bool RawValue(const char* s, std::size_t n, Type) {
    separate();
    out_.append(s, n);
    return true;
  }
  bool Null() {
    separate();
    out_ += "null";
    return true;
  }
  bool Bool(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return true;
  }
  bool Int(int i) { return Int64(i); }
  bool Int64(std::int64_t i) {
    separate();
    out_ += std::to_string(i);
    return true;
  }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Uint64(std::uint64_t u) {
    separate();
    out_ += std::to_string(u);
    return true;
  }

 private:
  static constexpr std::size_t kShortKey = 64;

  // Whether a comma goes before the next value or key: before all but the first of a
  // container, never right after a key. Updates the state as if it was written.
  bool needsComma() {
    if (afterKey_) {
      afterKey_ = false;
      return false;
    }
    const bool comma = !first_.back();
    first_.back() = 0;
    return comma;
  }
  void separate() {
    if (needsComma()) out_ += ',';
  }
  void open(char bracket) {
    const char pair[2] = {',', bracket};
    if (needsComma()) {
      out_.append(pair, 2);
    } else {
      out_ += bracket;
    }
    first_.push_back(1);
  }
  // Copies a name that has no byte JSON escapes; false (copy incomplete) when it has one. Byte
  // by byte on purpose: names are a few bytes long, where a block copy costs more to start.
  static bool copyPlain(char* to, const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == '"' || c == '\\') return false;
      to[i] = static_cast<char>(c);
    }
    return true;
  }

  std::string& out_;
  std::vector<std::uint8_t> first_;
  bool afterKey_ = false;
};

}  // namespace notebridge::fhir
