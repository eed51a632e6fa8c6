#include "lexer.h"

namespace notebridge::fhirpath::detail {

namespace {

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

void appendUtf8(std::string& out, unsigned codepoint) {
  if (codepoint < 0x80) {
    out += static_cast<char>(codepoint);
  } else if (codepoint < 0x800) {
    out += static_cast<char>(0xC0 | (codepoint >> 6));
    out += static_cast<char>(0x80 | (codepoint & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (codepoint >> 12));
    out += static_cast<char>(0x80 | ((codepoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codepoint & 0x3F));
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (true) {
      skipSpace();
      if (pos_ >= text_.size()) break;
      out.push_back(next());
    }
    Token end;
    end.type = TokenType::kEnd;
    end.column = column(pos_);
    out.push_back(end);
    return out;
  }

 private:
  std::uint32_t column(std::size_t pos) const { return static_cast<std::uint32_t>(pos + 1); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  [[noreturn]] void fail(std::size_t pos, std::string message) const {
    throw CompileError{column(pos), std::move(message)};
  }

  void skipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && peek(1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '/' && peek(1) == '*') {
        std::size_t start = pos_;
        auto end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) fail(start, "unterminated comment: expected '*/'");
        pos_ = end + 2;
      } else {
        break;
      }
    }
  }

  std::string quoted(char quote) {
    std::size_t start = pos_;
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) {
        fail(start, std::string("unterminated ") + (quote == '\'' ? "string" : "identifier") +
                        ": expected closing " + quote);
      }
      char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail(pos_, "unterminated escape sequence");
      char e = text_[pos_++];
      switch (e) {
        case '\'': case '"': case '`': case '\\': case '/':
          out += e;
          break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = peek();
            unsigned d;
            if (h >= '0' && h <= '9') d = h - '0';
            else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
            else fail(pos_, "invalid \\u escape: expected 4 hex digits");
            cp = cp * 16 + d;
            ++pos_;
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          fail(pos_ - 2, std::string("invalid escape sequence \\") + e);
      }
    }
    return out;
  }

  std::size_t digits(std::size_t pos, std::size_t count) const {
    std::size_t n = 0;
    while (n < count && pos + n < text_.size() && isDigit(text_[pos + n])) ++n;
    return n;
  }

  // Scans hh(:mm(:ss(.fff)?)?)? at pos_; returns false if no hour.
  bool scanTime() {
    if (digits(pos_, 2) != 2) return false;
    pos_ += 2;
    if (peek() == ':' && digits(pos_ + 1, 2) == 2) {
      pos_ += 3;
      if (peek() == ':' && digits(pos_ + 1, 2) == 2) {
        pos_ += 3;
        if (peek() == '.' && isDigit(peek(1))) {
          ++pos_;
          while (isDigit(peek())) ++pos_;
        }
      }
    }
    return true;
  }

  Token dateTimeLiteral(std::size_t start) {
    Token t;
    t.column = column(start);
    ++pos_;  // '@'
    if (peek() == 'T') {
      ++pos_;
      std::size_t s = pos_;
      if (!scanTime()) fail(start, "invalid time literal: expected @Thh[:mm[:ss[.fff]]]");
      t.type = TokenType::kTime;
      t.text = std::string(text_.substr(s, pos_ - s));
      return t;
    }
    std::size_t s = pos_;
    if (digits(pos_, 4) != 4) fail(start, "invalid date literal: expected @YYYY[-MM[-DD]]");
    pos_ += 4;
    t.type = TokenType::kDate;
    if (peek() == '-' && digits(pos_ + 1, 2) == 2) {
      pos_ += 3;
      if (peek() == '-' && digits(pos_ + 1, 2) == 2) pos_ += 3;
    }
    if (peek() == 'T') {
      ++pos_;
      t.type = TokenType::kDateTime;
      if (scanTime()) {
        if (peek() == 'Z') {
          ++pos_;
        } else if ((peek() == '+' || peek() == '-') && digits(pos_ + 1, 2) == 2 &&
                   peek(3) == ':' && digits(pos_ + 4, 2) == 2) {
          pos_ += 6;
        }
      }
    }
    t.text = std::string(text_.substr(s, pos_ - s));
    return t;
  }

  Token next() {
    std::size_t start = pos_;
    char c = text_[pos_];
    Token t;
    t.column = column(start);
    if (isIdentStart(c)) {
      while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
      t.type = TokenType::kIdentifier;
      t.text = std::string(text_.substr(start, pos_ - start));
      return t;
    }
    if (c == '`') {
      t.type = TokenType::kIdentifier;
      t.delimited = true;
      t.text = quoted('`');
      return t;
    }
    if (c == '\'') {
      t.type = TokenType::kString;
      t.text = quoted('\'');
      return t;
    }
    if (isDigit(c)) {
      while (isDigit(peek())) ++pos_;
      if (peek() == '.' && isDigit(peek(1))) {
        ++pos_;
        while (isDigit(peek())) ++pos_;
      }
      t.type = TokenType::kNumber;
      t.text = std::string(text_.substr(start, pos_ - start));
      if (peek() == 'L' && !isIdentChar(peek(1))) {
        ++pos_;
        t.type = TokenType::kLongNumber;
      }
      return t;
    }
    if (c == '@') return dateTimeLiteral(start);
    if (c == '%') {
      ++pos_;
      t.type = TokenType::kVariable;
      if (peek() == '`' || peek() == '\'') {
        t.text = quoted(peek());
        return t;
      }
      if (!isIdentStart(peek())) fail(start, "expected a variable name after '%'");
      std::size_t s = pos_;
      while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
      std::string_view name = text_.substr(s, pos_ - s);
      // FHIR's %vs-[name] and %ext-[name] (https://hl7.org/fhir/R4/fhirpath.html#variables).
      if ((name == "vs" || name == "ext") && peek() == '-') {
        while (pos_ < text_.size() && (isIdentChar(text_[pos_]) || text_[pos_] == '-' ||
                                       text_[pos_] == '.'))
          ++pos_;
      }
      t.text = std::string(text_.substr(s, pos_ - s));
      return t;
    }
    if (c == '$') {
      ++pos_;
      std::size_t s = pos_;
      while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
      std::string_view name = text_.substr(s, pos_ - s);
      if (name != "this" && name != "index" && name != "total")
        fail(start, "unknown special variable '$" + std::string(name) +
                        "': expected $this, $index or $total");
      t.type = TokenType::kSpecial;
      t.text = std::string(name);
      return t;
    }
    static const std::string_view kTwo[] = {"<=", ">=", "!=", "!~"};
    for (std::string_view op : kTwo) {
      if (text_.substr(pos_, 2) == op) {
        pos_ += 2;
        t.type = TokenType::kSymbol;
        t.text = std::string(op);
        return t;
      }
    }
    static const std::string_view kOne = ".[](){},+-*/&|=~<>";
    if (kOne.find(c) != std::string_view::npos) {
      ++pos_;
      t.type = TokenType::kSymbol;
      t.text = std::string(1, c);
      return t;
    }
    fail(start, std::string("unexpected character '") + c + "'");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<Token> Lexer::tokenize(std::string_view text) { return Scanner(text).run(); }

}  // namespace notebridge::fhirpath::detail
