#include "parser.h"

#include <vector>

#include "function_table.h"

namespace notebridge::fhirpath::detail {

namespace {

struct BinaryInfo {
  std::string_view text;
  Op op;
  int precedence;
};

// Lowest binds last: implies < or/xor < and < in/contains < equality < inequality < union <
// is/as < additive < multiplicative.
constexpr BinaryInfo kBinary[] = {
    {"implies", Op::kImplies, 1}, {"or", Op::kOr, 2},           {"xor", Op::kXor, 2},
    {"and", Op::kAnd, 3},         {"in", Op::kIn, 4},           {"contains", Op::kContains, 4},
    {"=", Op::kEqual, 5},         {"!=", Op::kNotEqual, 5},     {"~", Op::kEquivalent, 5},
    {"!~", Op::kNotEquivalent, 5}, {"<", Op::kLess, 6},         {"<=", Op::kLessEqual, 6},
    {">", Op::kGreater, 6},       {">=", Op::kGreaterEqual, 6}, {"|", Op::kUnion, 7},
    {"+", Op::kPlus, 9},          {"-", Op::kMinus, 9},         {"&", Op::kConcat, 9},
    {"*", Op::kTimes, 10},        {"/", Op::kDivide, 10},       {"div", Op::kDiv, 10},
    {"mod", Op::kMod, 10},
};
constexpr int kTypePrecedence = 8;

class ParserImpl {
 public:
  ParserImpl(std::vector<Token> tokens, const CompileOptions& options)
      : tokens_(std::move(tokens)), options_(options) {}

  std::unique_ptr<Node> run() {
    if (tokens_.front().type == TokenType::kEnd) fail(tokens_.front(), "empty expression");
    auto node = expression(0);
    if (peek().type != TokenType::kEnd) {
      fail(peek(), "unexpected '" + describe(peek()) + "': expected an operator or end of expression");
    }
    return node;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool isSymbol(const Token& t, std::string_view s) const {
    return t.type == TokenType::kSymbol && t.text == s;
  }
  bool isKeyword(const Token& t, std::string_view s) const {
    return t.type == TokenType::kIdentifier && !t.delimited && t.text == s;
  }
  std::string describe(const Token& t) const {
    switch (t.type) {
      case TokenType::kEnd:
        return "end of expression";
      case TokenType::kString:
        return "'" + t.text + "'";
      case TokenType::kVariable:
        return "%" + t.text;
      case TokenType::kSpecial:
        return "$" + t.text;
      default:
        return t.text;
    }
  }
  [[noreturn]] void fail(const Token& t, std::string message) const {
    throw CompileError{t.column, std::move(message)};
  }
  void expect(std::string_view symbol, std::string_view context) {
    if (!isSymbol(peek(), symbol)) {
      fail(peek(), "expected '" + std::string(symbol) + "' " + std::string(context) + ", found " +
                       describe(peek()));
    }
    advance();
  }

  struct DepthGuard {
    DepthGuard(ParserImpl& p, const Token& t) : parser(p) {
      if (++parser.depth_ > parser.options_.maxDepth)
        parser.fail(t, "expression nested too deeply (limit " +
                           std::to_string(parser.options_.maxDepth) + ")");
    }
    ~DepthGuard() { --parser.depth_; }
    ParserImpl& parser;
  };

  const BinaryInfo* binaryAt(const Token& t) const {
    if (t.type != TokenType::kSymbol && (t.type != TokenType::kIdentifier || t.delimited))
      return nullptr;
    for (const auto& b : kBinary) {
      if (b.text == t.text) return &b;
    }
    return nullptr;
  }

  static std::unique_ptr<Node> make(NodeType type, std::uint32_t column) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->column = column;
    return n;
  }

  // Tracks the depth of left-leaning chains ("1+1+1+..."), which recursion alone does not see.
  void checkChain(std::size_t& chain, const Token& t) {
    ++chain;
    if (++depth_ > options_.maxDepth)
      fail(t, "expression nested too deeply (limit " + std::to_string(options_.maxDepth) + ")");
  }

  std::unique_ptr<Node> expression(int minPrecedence) {
    DepthGuard guard(*this, peek());
    auto left = unary();
    std::size_t chain = 0;
    while (true) {
      const Token& t = peek();
      if ((isKeyword(t, "is") || isKeyword(t, "as")) && kTypePrecedence >= minPrecedence) {
        advance();
        checkChain(chain, t);
        auto node = make(t.text == "is" ? NodeType::kIs : NodeType::kAs, t.column);
        node->name = typeSpecifier();
        node->children.push_back(std::move(left));
        left = std::move(node);
        continue;
      }
      const BinaryInfo* b = binaryAt(t);
      if (!b || b->precedence < minPrecedence) break;
      advance();
      checkChain(chain, t);
      auto right = expression(b->precedence + 1);
      auto node = make(NodeType::kBinary, t.column);
      node->op = b->op;
      node->children.push_back(std::move(left));
      node->children.push_back(std::move(right));
      left = std::move(node);
    }
    depth_ -= chain;
    return left;
  }

  std::string typeSpecifier() {
    const Token& t = peek();
    if (t.type != TokenType::kIdentifier) fail(t, "expected a type name, found " + describe(t));
    advance();
    std::string name = t.text;
    if ((name == "FHIR" || name == "System") && isSymbol(peek(), ".") &&
        peek(1).type == TokenType::kIdentifier) {
      advance();
      name += "." + advance().text;
    }
    return name;
  }

  std::unique_ptr<Node> unary() {
    const Token& t = peek();
    if (isSymbol(t, "+") || isSymbol(t, "-")) {
      DepthGuard guard(*this, t);
      advance();
      auto operand = unary();
      if (t.text == "+") return operand;
      // Fold a negated number literal so that -1 and -5.5 'mg' stay literals.
      if (operand->type == NodeType::kLiteral && operand->literal) {
        const Value& v = *operand->literal;
        if (auto* i = std::get_if<std::int64_t>(&v)) {
          operand->literal = std::make_shared<const Value>(-*i);
          return operand;
        }
        if (auto* d = std::get_if<Decimal>(&v)) {
          operand->literal = std::make_shared<const Value>(d->negate());
          return operand;
        }
        if (auto* q = std::get_if<Quantity>(&v)) {
          operand->literal = std::make_shared<const Value>(Quantity(q->value().negate(), q->unit()));
          return operand;
        }
      }
      auto node = make(NodeType::kUnary, t.column);
      node->op = Op::kMinus;
      node->children.push_back(std::move(operand));
      return node;
    }
    return postfix();
  }

  std::unique_ptr<Node> postfix() {
    auto node = term();
    std::size_t chain = 0;
    while (true) {
      const Token& t = peek();
      if (isSymbol(t, ".")) {
        advance();
        checkChain(chain, t);
        auto right = memberOrFunction(false);
        auto inv = make(NodeType::kInvocation, t.column);
        inv->children.push_back(std::move(node));
        inv->children.push_back(std::move(right));
        node = std::move(inv);
      } else if (isSymbol(t, "[")) {
        advance();
        checkChain(chain, t);
        auto index = expression(0);
        expect("]", "to close the indexer");
        auto idx = make(NodeType::kIndexer, t.column);
        idx->children.push_back(std::move(node));
        idx->children.push_back(std::move(index));
        node = std::move(idx);
      } else {
        break;
      }
    }
    depth_ -= chain;
    return node;
  }

  std::unique_ptr<Node> memberOrFunction(bool atRoot) {
    const Token& t = peek();
    if (t.type != TokenType::kIdentifier) {
      fail(t, "expected an identifier or function name after '.', found " + describe(t));
    }
    advance();
    if (isSymbol(peek(), "(") && !t.delimited) return function(t);
    auto node = make(NodeType::kMember, t.column);
    node->name = t.text;
    node->atRoot = atRoot;
    return node;
  }

  std::unique_ptr<Node> function(const Token& nameToken) {
    DepthGuard guard(*this, nameToken);
    advance();  // '('
    auto node = make(NodeType::kFunction, nameToken.column);
    node->name = nameToken.text;
    const FunctionInfo* info = findFunction(nameToken.text);
    if (!info) {
      throw CompileError{nameToken.column, "unknown function '" + nameToken.text + "'", true};
    }
    node->fn = info->fn;
    if (!isSymbol(peek(), ")")) {
      while (true) {
        node->children.push_back(expression(0));
        if (isSymbol(peek(), ",")) {
          advance();
          continue;
        }
        break;
      }
    }
    expect(")", "to close the arguments of " + nameToken.text + "()");
    int count = static_cast<int>(node->children.size());
    if (count < info->minArgs || count > info->maxArgs) {
      std::string expected = info->minArgs == info->maxArgs
                                 ? std::to_string(info->minArgs)
                                 : std::to_string(info->minArgs) + " to " +
                                       std::to_string(info->maxArgs);
      throw CompileError{nameToken.column,
                         "function '" + nameToken.text + "' takes " + expected + " argument" +
                             (info->maxArgs == 1 ? "" : "s") + ", found " + std::to_string(count),
                         true};
    }
    if (info->typeArgument) {
      std::string type = typeName(*node->children[0]);
      if (type.empty()) {
        throw CompileError{nameToken.column,
                           "function '" + nameToken.text + "' expects a type name", true};
      }
      node->name = nameToken.text;
      node->children[0]->name = type;
    }
    return node;
  }

  // The type name an argument spells (Quantity, FHIR.Quantity, System.String), or empty.
  static std::string typeName(const Node& n) {
    if (n.type == NodeType::kMember) return n.name;
    if (n.type == NodeType::kInvocation && n.children[0]->type == NodeType::kMember &&
        n.children[1]->type == NodeType::kMember) {
      return n.children[0]->name + "." + n.children[1]->name;
    }
    return {};
  }

  std::unique_ptr<Node> literal(const Token& t, Value value) {
    auto node = make(NodeType::kLiteral, t.column);
    node->literal = std::make_shared<const Value>(std::move(value));
    return node;
  }

  std::unique_ptr<Node> term() {
    const Token& t = peek();
    switch (t.type) {
      case TokenType::kEnd:
        fail(t, "unexpected end of expression: expected a term");
      case TokenType::kString:
        advance();
        return literal(t, Value(t.text));
      case TokenType::kNumber: {
        advance();
        auto number = Decimal::parse(t.text);
        if (!number) fail(t, "number out of range: " + t.text);
        const Token& next = peek();
        if (next.type == TokenType::kString) {
          advance();
          return literal(t, Value(Quantity(*number, next.text)));
        }
        if (next.type == TokenType::kIdentifier && !next.delimited) {
          if (auto unit = Quantity::calendarKeyword(next.text)) {
            advance();
            return literal(t, Value(Quantity(*number, *unit)));
          }
        }
        std::int64_t i;
        if (t.text.find('.') == std::string::npos) {
          if (!number->toInteger(i) || i > INT32_MAX)
            fail(t, "integer out of range: " + t.text);
          return literal(t, Value(i));
        }
        return literal(t, Value(*number));
      }
      case TokenType::kLongNumber: {
        advance();
        auto number = Decimal::parse(t.text);
        std::int64_t i;
        if (!number || !number->toInteger(i)) fail(t, "long integer out of range: " + t.text);
        return literal(t, Value(i));
      }
      case TokenType::kDate:
      case TokenType::kDateTime:
      case TokenType::kTime: {
        advance();
        auto kind = t.type == TokenType::kDate       ? DateTimeValue::Kind::kDate
                    : t.type == TokenType::kDateTime ? DateTimeValue::Kind::kDateTime
                                                     : DateTimeValue::Kind::kTime;
        auto v = DateTimeValue::parse(t.text, kind);
        if (!v) fail(t, "invalid date/time literal @" + t.text);
        return literal(t, Value(*v));
      }
      case TokenType::kVariable: {
        advance();
        auto node = make(NodeType::kVariable, t.column);
        node->name = t.text;
        return node;
      }
      case TokenType::kSpecial: {
        advance();
        return make(t.text == "this"    ? NodeType::kThis
                    : t.text == "index" ? NodeType::kIndex
                                        : NodeType::kTotal,
                    t.column);
      }
      case TokenType::kSymbol:
        if (t.text == "(") {
          advance();
          auto inner = expression(0);
          expect(")", "to close '('");
          return inner;
        }
        if (t.text == "{") {
          advance();
          expect("}", "in the empty collection '{}'");
          return make(NodeType::kEmpty, t.column);
        }
        fail(t, "unexpected '" + t.text + "': expected a term");
      case TokenType::kIdentifier:
        if (!t.delimited && (t.text == "true" || t.text == "false")) {
          advance();
          return literal(t, Value(t.text == "true"));
        }
        return memberOrFunction(true);
    }
    fail(t, "unexpected token");
  }

  std::vector<Token> tokens_;
  const CompileOptions& options_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace

std::unique_ptr<Node> Parser::parse(std::string_view text, const CompileOptions& options) {
  if (text.size() > options.maxLength) {
    throw CompileError{1, "expression too long (" + std::to_string(text.size()) +
                              " characters, limit " + std::to_string(options.maxLength) + ")"};
  }
  return ParserImpl(Lexer::tokenize(text), options).run();
}

}  // namespace notebridge::fhirpath::detail
