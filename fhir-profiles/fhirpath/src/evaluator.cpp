#include "evaluator.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <unordered_set>

#include "operations.h"
#include "string_functions.h"

namespace notebridge::fhirpath::detail {

namespace {

Item boolItem(bool b) {
  static const auto kTrue = std::make_shared<const Value>(true);
  static const auto kFalse = std::make_shared<const Value>(false);
  return Item(b ? kTrue : kFalse);
}

Collection single(Item item) { return Collection{std::move(item)}; }
Collection boolResult(bool b) { return single(boolItem(b)); }

// Singleton evaluation of a collection as a Boolean
// (https://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections).
std::optional<bool> toBool(const Collection& c, std::string_view what) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1)
    throw EvalError{std::string(what) + " expects a single Boolean, found " +
                    std::to_string(c.size()) + " items"};
  auto v = c[0].toValue();
  if (v) {
    if (auto* b = std::get_if<bool>(&*v)) return *b;
  }
  return true;
}

// The single item of an operand; nullopt when empty; throws when several.
std::optional<Item> singleton(const Collection& c, std::string_view what) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1)
    throw EvalError{std::string(what) + " expects a single item, found " +
                    std::to_string(c.size())};
  return c[0];
}

std::optional<Value> singletonValue(const Collection& c, std::string_view what) {
  auto item = singleton(c, what);
  if (!item) return std::nullopt;
  auto v = item->toValue();
  if (!v) throw EvalError{std::string(what) + " cannot use a " + item->typeName()};
  return v;
}

std::string requireString(const Collection& c, std::string_view what, bool& present) {
  present = false;
  auto item = singleton(c, what);
  if (!item) return {};
  auto s = stringOf(*item);
  if (!s) throw EvalError{std::string(what) + " expects a String, found " + item->typeName()};
  present = true;
  return *s;
}

std::int64_t requireInteger(const Collection& c, std::string_view what, bool& present) {
  present = false;
  auto v = singletonValue(c, what);
  if (!v) return 0;
  auto* i = std::get_if<std::int64_t>(&*v);
  if (!i) throw EvalError{std::string(what) + " expects an Integer"};
  present = true;
  return *i;
}

bool isNumber(const Value& v) {
  return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<Decimal>(v);
}

Decimal asDecimal(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return Decimal::fromInteger(*i);
  return std::get<Decimal>(v);
}

Value fromDecimalOrFail(std::optional<Decimal> d, std::string_view what) {
  if (!d) throw EvalError{std::string(what) + ": result out of range"};
  return Value(*d);
}

std::optional<Value> addDuration(const DateTimeValue& date, const Quantity& q, int sign) {
  auto unit = Quantity::dateArithmeticUnit(q.unit());
  if (!unit) {
    throw EvalError{"cannot add a quantity in '" + q.unit() + "' to a date: use a calendar unit"};
  }
  std::int64_t amount;
  Decimal whole = q.value().truncate();
  if (!whole.toInteger(amount)) throw EvalError{"duration out of range"};
  auto result = date.add(sign * amount, *unit);
  if (!result) throw EvalError{"date arithmetic out of range"};
  return Value(*result);
}

Value arithmetic(Op op, const Value& a, const Value& b) {
  using I = std::int64_t;
  if (op == Op::kPlus && std::holds_alternative<std::string>(a) &&
      std::holds_alternative<std::string>(b)) {
    return Value(std::get<std::string>(a) + std::get<std::string>(b));
  }
  if (std::holds_alternative<DateTimeValue>(a) && (op == Op::kPlus || op == Op::kMinus)) {
    if (auto* q = std::get_if<Quantity>(&b))
      return *addDuration(std::get<DateTimeValue>(a), *q, op == Op::kPlus ? 1 : -1);
    if (isNumber(b)) throw EvalError{"a date needs a quantity with a calendar unit"};
  }
  if (std::holds_alternative<I>(a) && std::holds_alternative<I>(b)) {
    I x = std::get<I>(a), y = std::get<I>(b), r = 0;
    switch (op) {
      case Op::kPlus:
        if (__builtin_add_overflow(x, y, &r)) throw EvalError{"integer overflow"};
        return Value(r);
      case Op::kMinus:
        if (__builtin_sub_overflow(x, y, &r)) throw EvalError{"integer overflow"};
        return Value(r);
      case Op::kTimes:
        if (__builtin_mul_overflow(x, y, &r)) throw EvalError{"integer overflow"};
        return Value(r);
      case Op::kDiv:
        if (y == 0) throw std::invalid_argument("zero");
        if (x == INT64_MIN && y == -1) throw EvalError{"integer overflow"};
        return Value(x / y);
      case Op::kMod:
        if (y == 0) throw std::invalid_argument("zero");
        if (y == -1) return Value(I{0});
        return Value(x % y);
      default:
        break;
    }
  }
  if (isNumber(a) && isNumber(b)) {
    Decimal x = asDecimal(a), y = asDecimal(b);
    switch (op) {
      case Op::kPlus:
        return fromDecimalOrFail(x.add(y), "+");
      case Op::kMinus:
        return fromDecimalOrFail(x.subtract(y), "-");
      case Op::kTimes:
        return fromDecimalOrFail(x.multiply(y), "*");
      case Op::kDivide:
        if (y.isZero()) throw std::invalid_argument("zero");
        return fromDecimalOrFail(x.divide(y), "/");
      case Op::kDiv: {
        if (y.isZero()) throw std::invalid_argument("zero");
        auto q = x.integerDivide(y);
        std::int64_t i;
        if (!q || !q->toInteger(i)) throw EvalError{"div: result out of range"};
        return Value(i);
      }
      case Op::kMod:
        if (y.isZero()) throw std::invalid_argument("zero");
        return fromDecimalOrFail(x.modulo(y), "mod");
      default:
        break;
    }
  }
  const bool qa = std::holds_alternative<Quantity>(a), qb = std::holds_alternative<Quantity>(b);
  if (qa || qb) {
    Quantity x = qa ? std::get<Quantity>(a) : Quantity(asDecimal(a), "1");
    Quantity y = qb ? std::get<Quantity>(b) : Quantity(asDecimal(b), "1");
    if ((!qa && !isNumber(a)) || (!qb && !isNumber(b))) {
      throw EvalError{"cannot combine a Quantity with a " +
                      std::string(systemTypeName(qa ? b : a))};
    }
    std::optional<Quantity> r;
    switch (op) {
      case Op::kPlus:
        r = x.add(y);
        break;
      case Op::kMinus:
        r = x.subtract(y);
        break;
      case Op::kTimes:
        r = x.multiply(y);
        break;
      case Op::kDivide:
        if (y.value().isZero()) throw std::invalid_argument("zero");
        r = x.divide(y);
        break;
      default:
        throw EvalError{"operator not defined for quantities"};
    }
    if (!r) throw std::invalid_argument("incompatible units");
    return Value(*r);
  }
  throw EvalError{"operator not defined for " + std::string(systemTypeName(a)) + " and " +
                  std::string(systemTypeName(b))};
}

constexpr std::string_view kSystemTypes[] = {"Boolean", "String",   "Integer", "Decimal",
                                             "Date",    "DateTime", "Time",    "Quantity"};

bool isSystemType(std::string_view name) {
  return std::find(std::begin(kSystemTypes), std::end(kSystemTypes), name) !=
         std::end(kSystemTypes);
}

// Splits "FHIR.Patient" / "System.String" / "Patient"; throws for a type nobody knows.
std::pair<std::string_view, std::string_view> splitType(std::string_view spec,
                                                        const TypeModel& types) {
  std::string_view ns;
  std::string_view name = spec;
  auto dot = spec.find('.');
  if (dot != std::string_view::npos) {
    ns = spec.substr(0, dot);
    name = spec.substr(dot + 1);
  }
  bool known = ns == "System" ? isSystemType(name)
               : ns == "FHIR" ? types.isKnownType(name)
                              : isSystemType(name) || types.isKnownType(name);
  if (!known && ns != "System") throw EvalError{"unknown type '" + std::string(spec) + "'"};
  return {ns, name};
}

// `is` matches subtypes; `as` and ofType() match FHIR primitive types exactly (a code is not
// returned by as(string)), following the R4 suite.
bool typeMatches(const Item& item, std::string_view spec, const TypeModel& types, bool exact) {
  auto [ns, name] = splitType(spec, types);
  if (item.isNode()) {
    if (ns == "System") return false;
    const std::string& type = item.node()->type();
    if (exact && !type.empty() && type[0] >= 'a' && type[0] <= 'z') return type == name;
    return types.isSubtypeOf(type, name);
  }
  if (ns == "FHIR") return false;
  return systemTypeName(*item.value()) == name;
}

// The ClassInfo of a type (https://hl7.org/fhirpath/N1/#reflection): shared immutable nodes, one
// per type, created on first use and kept for the life of the program.
const fhir::Element* classInfo(std::string_view ns, std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, fhir::Element::Ptr, std::less<>> cache;
  std::string key = std::string(ns) + "." + std::string(name);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  auto node = fhir::Element::makeComplex("type", "ClassInfo");
  node->addChild(fhir::Element::makePrimitive("namespace", "string", std::string(ns)));
  node->addChild(fhir::Element::makePrimitive("name", "string", std::string(name)));
  const fhir::Element* out = node.get();
  cache.emplace(std::move(key), std::move(node));
  return out;
}

// lowBoundary()/highBoundary() of a decimal (https://build.fhir.org/ig/HL7/FHIRPath/#lowboundary):
// the value widened by half a unit of its last digit, cut to `digits` digits outward.
std::optional<Decimal> decimalBoundary(const Decimal& value, int digits, bool high) {
  if (digits < 0 || digits > 28) return std::nullopt;
  auto half = Decimal::parse("0.5")->multiply(
      *Decimal::fromInteger(1).divide(*Decimal::parse("1" + std::string(value.scale(), '0'))));
  if (!half) return std::nullopt;
  auto widened = high ? value.add(*half) : value.subtract(*half);
  if (!widened) return std::nullopt;
  auto unit = Decimal::fromInteger(1).divide(*Decimal::parse("1" + std::string(digits, '0')));
  if (unit && value.abs().compare(*unit) < 0 && digits < widened->scale()) {
    return Decimal::fromInteger(0).withScale(digits);
  }
  if (digits >= widened->scale()) return widened->withScale(digits);
  auto scaled = widened->multiply(*Decimal::parse("1" + std::string(digits, '0')));
  if (!scaled) return std::nullopt;
  Decimal whole = high ? scaled->ceiling() : scaled->floor();
  auto back = whole.divide(*Decimal::parse("1" + std::string(digits, '0')));
  if (!back) return std::nullopt;
  return back->withScale(digits);
}

std::optional<DateTimeValue> dateBoundary(const DateTimeValue& v, int digits, bool high) {
  using P = DateTimeValue::Precision;
  using K = DateTimeValue::Kind;
  P target;
  if (v.kind() == K::kTime) {
    switch (digits) {
      case 2:
        target = P::kHour;
        break;
      case 4:
        target = P::kMinute;
        break;
      case 6:
        target = P::kSecond;
        break;
      case 9:
        target = P::kMillisecond;
        break;
      default:
        return std::nullopt;
    }
  } else {
    switch (digits) {
      case 4:
        target = P::kYear;
        break;
      case 6:
        target = P::kMonth;
        break;
      case 8:
        target = P::kDay;
        break;
      case 10:
        target = P::kHour;
        break;
      case 12:
        target = P::kMinute;
        break;
      case 14:
        target = P::kSecond;
        break;
      case 17:
        target = P::kMillisecond;
        break;
      default:
        return std::nullopt;
    }
    if (v.kind() == K::kDate && target > P::kDay) return std::nullopt;
  }
  P have = v.precision();
  // An hour without minutes is not a FHIR dateTime; the suite reads "T08" as "T08:00".
  if (have == P::kHour) have = P::kMinute;
  auto field = [&](P p, int lowValue, int highValue, int actual) {
    return have >= p ? actual : (high ? highValue : lowValue);
  };
  int year = v.year();
  int month = field(P::kMonth, 1, 12, v.month());
  int dim = 31;
  if (v.kind() != K::kTime) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    dim = month == 2 && leap ? 29 : kDays[month - 1];
  }
  int day = field(P::kDay, 1, dim, v.day());
  int hour = field(P::kHour, 0, 23, v.hour());
  int minute = field(P::kMinute, 0, 59, v.minute());
  int second = field(P::kSecond, 0, 59, v.second());
  int ms = field(P::kMillisecond, 0, 999, v.millisecond());
  std::optional<int> tz;
  if (v.kind() == K::kDateTime && target >= P::kHour) {
    tz = v.hasTimezone() ? v.timezoneMinutes() : (high ? -12 * 60 : 14 * 60);
  }
  return DateTimeValue::fromFields(v.kind(), target, year, month, day, hour, minute, second, ms,
                                   tz);
}

DateTimeValue currentTime(const EvaluationContext& env) {
  if (env.now) return *env.now;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  int offset = static_cast<int>(local.tm_gmtoff / 60);
  return DateTimeValue::fromFields(DateTimeValue::Kind::kDateTime,
                                   DateTimeValue::Precision::kMillisecond, local.tm_year + 1900,
                                   local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min,
                                   local.tm_sec, static_cast<int>(ms % 1000), offset);
}

const fhir::Element* findById(const fhir::Element& container, std::string_view id) {
  for (const auto& c : container.children()) {
    if (c->name() == "contained" && c->childValue("id") == id) return c.get();
  }
  return nullptr;
}

// resolve() inside the resource, its contained resources and its Bundle
// (https://hl7.org/fhir/R4/fhirpath.html#functions).
const fhir::Element* resolveReference(const fhir::Element* from, std::string_view ref,
                                      const EvaluationContext& env) {
  if (ref.empty()) return nullptr;
  if (ref.front() == '#') {
    std::string_view id = ref.substr(1);
    for (const fhir::Element* r = from ? from->containingResource() : nullptr; r;
         r = r->parent() ? r->parent()->containingResource() : nullptr) {
      if (id.empty()) return r;
      if (const fhir::Element* found = findById(*r, id)) return found;
    }
    return nullptr;
  }
  if (from) {
    // Walk up to each enclosing Bundle and look for a matching entry.
    for (const fhir::Element* n = from; n; n = n->parent()) {
      if (!n->isResource() || n->type() != "Bundle") continue;
      for (const fhir::Element* entry : n->childrenNamed("entry")) {
        const fhir::Element* resource = entry->child("resource");
        if (!resource) continue;
        std::string_view fullUrl = entry->childValue("fullUrl");
        if (!fullUrl.empty() && fullUrl == ref) return resource;
        std::string local = resource->type() + "/" + std::string(resource->childValue("id"));
        if (ref == local) return resource;
        if (ref.size() > local.size() && ref.substr(ref.size() - local.size()) == local &&
            ref[ref.size() - local.size() - 1] == '/')
          return resource;
      }
    }
  }
  if (env.resolver) return env.resolver->resolve(ref);
  return nullptr;
}

}  // namespace

Evaluator::Evaluator(const EvaluationContext& env, const Collection& context)
    : env_(env), types_(env.types ? *env.types : builtinTypeModel()), context_(context) {
  deadline_ = std::chrono::steady_clock::now() + env.timeLimit;
  frames_.push_back(Frame{context, 0, nullptr});
}

void Evaluator::step() {
  if (++steps_ > env_.maxSteps) {
    throw EvalError{"evaluation exceeded its step budget (" + std::to_string(env_.maxSteps) + ")"};
  }
  if ((steps_ & 1023) == 0 && std::chrono::steady_clock::now() > deadline_) {
    throw EvalError{"evaluation exceeded its time budget"};
  }
}

void Evaluator::charge(std::size_t a, std::size_t b) {
  // Pairwise comparisons count against the budget so that a quadratic operation on a huge
  // collection ends with an error instead of running for minutes.
  std::uint64_t cost = static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b);
  if (cost > env_.maxSteps || steps_ + cost > env_.maxSteps) {
    throw EvalError{"evaluation exceeded its step budget (" + std::to_string(env_.maxSteps) +
                    ") comparing collections of " + std::to_string(a) + " and " +
                    std::to_string(b) + " items"};
  }
  steps_ += cost;
}

std::uint64_t Evaluator::comparisonBudget() const {
  return steps_ >= env_.maxSteps ? 0 : env_.maxSteps - steps_;
}

void Evaluator::checkSize(std::size_t size) const {
  if (size > env_.maxCollectionSize) throw EvalError{"collection too large"};
}

Collection Evaluator::evaluate(const Node& root) { return eval(root, context_); }

Collection Evaluator::evalArg(const Node& node) { return eval(node, frames_.back().self); }

Collection Evaluator::eval(const Node& node, const Collection& focus) {
  step();
  switch (node.type) {
    case NodeType::kLiteral:
      return single(Item(node.literal));
    case NodeType::kEmpty:
      return {};
    case NodeType::kMember:
      return member(node, focus);
    case NodeType::kThis:
      return frames_.back().self;
    case NodeType::kIndex:
      return single(Item(Value(frames_.back().index)));
    case NodeType::kTotal:
      for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
        if (it->total) return *it->total;
      }
      return {};
    case NodeType::kVariable:
      return variable(node);
    case NodeType::kFunction:
      return function(node, focus);
    case NodeType::kInvocation: {
      if (env_.strict) strictInvocation(node);
      Collection left = eval(*node.children[0], focus);
      return eval(*node.children[1], left);
    }
    case NodeType::kIndexer: {
      Collection left = eval(*node.children[0], focus);
      Collection index = eval(*node.children[1], focus);
      bool present;
      std::int64_t i = requireInteger(index, "indexer", present);
      if (!present || i < 0 || static_cast<std::size_t>(i) >= left.size()) return {};
      return single(left[static_cast<std::size_t>(i)]);
    }
    case NodeType::kUnary: {
      Collection operand = eval(*node.children[0], focus);
      auto v = singletonValue(operand, "unary -");
      if (!v) return {};
      if (auto* i = std::get_if<std::int64_t>(&*v)) return single(Item(Value(-*i)));
      if (auto* d = std::get_if<Decimal>(&*v)) return single(Item(Value(d->negate())));
      if (auto* q = std::get_if<Quantity>(&*v))
        return single(Item(Value(Quantity(q->value().negate(), q->unit()))));
      throw EvalError{"unary - expects a number or quantity"};
    }
    case NodeType::kBinary:
      return binary(node, focus);
    case NodeType::kIs: {
      Collection operand = eval(*node.children[0], focus);
      auto item = singleton(operand, "is");
      if (!item) return {};
      return boolResult(typeMatches(*item, node.name, types_, false));
    }
    case NodeType::kAs: {
      Collection operand = eval(*node.children[0], focus);
      if (!env_.enforceAsSingleton) {
        Collection out;
        for (const Item& item : operand) {
          if (typeMatches(item, node.name, types_, true)) out.push_back(item);
        }
        return out;
      }
      auto item = singleton(operand, "as");
      if (!item || !typeMatches(*item, node.name, types_, true)) return {};
      return operand;
    }
  }
  return {};
}

// Strict checks that need the shape of the expression: ordered functions on children() or
// descendants(), whose order is undefined, and properties read after `as T` that T lacks.
void Evaluator::strictInvocation(const Node& node) {
  const Node& left = *node.children[0];
  const Node& right = *node.children[1];
  const Node* producer = &left;
  if (producer->type == NodeType::kInvocation) producer = producer->children[1].get();
  if (right.type == NodeType::kFunction && producer->type == NodeType::kFunction &&
      (producer->fn == Fn::kChildren || producer->fn == Fn::kDescendants)) {
    switch (right.fn) {
      case Fn::kSkip:
      case Fn::kTake:
      case Fn::kFirst:
      case Fn::kLast:
      case Fn::kTail:
        throw EvalError{right.name + "() needs an ordered collection; " + producer->name +
                        "() is unordered"};
      default:
        break;
    }
  }
  if (right.type == NodeType::kMember) {
    std::string type;
    if (left.type == NodeType::kAs) type = left.name;
    if (producer->type == NodeType::kFunction &&
        (producer->fn == Fn::kAs || producer->fn == Fn::kOfType))
      type = producer->children[0]->name;
    if (!type.empty() && types_.typeHasProperty(type, right.name) == false)
      throw EvalError{"type " + type + " has no property '" + right.name + "'"};
  }
}

Collection Evaluator::member(const Node& node, const Collection& focus) {
  Collection out;
  const std::string& name = node.name;
  if (node.atRoot && !name.empty() && name[0] >= 'A' && name[0] <= 'Z') {
    // A leading type name selects the context when it is of that type
    // (https://hl7.org/fhirpath/N1/#path-selection).
    bool matched = false;
    for (const Item& item : focus) {
      if (item.isNode() && item.node()->isResource() &&
          types_.isSubtypeOf(item.node()->type(), name)) {
        out.push_back(item);
        matched = true;
      }
    }
    if (matched) return out;
    if (env_.strict && types_.isKnownType(name) && !focus.empty()) {
      throw EvalError{"'" + name + "' is not the type of the context (" + focus[0].typeName() +
                      ")"};
    }
  }
  for (const Item& item : focus) {
    if (!item.isNode()) continue;
    std::size_t before = out.size();
    for (const auto& child : item.node()->children()) {
      if (child->baseName() == name) {
        out.push_back(child.get());
      } else if (child->isChoice() && child->name() == name) {
        // R4 FHIRPath reaches choice elements by their base name only
        // (https://hl7.org/fhir/R4/fhirpath.html#types, suite test testPolymorphicsB).
        throw EvalError{"'" + name + "' names a choice element with its type: use '" +
                        std::string(child->baseName()) + ".ofType(" +
                        name.substr(child->baseName().size()) + ")'"};
      }
    }
    if (env_.strict && out.size() == before && types_.hasProperty(*item.node(), name) == false) {
      throw EvalError{"type " + item.node()->type() + " has no property '" + name + "'"};
    }
  }
  checkSize(out.size());
  return out;
}

Collection Evaluator::variable(const Node& node) {
  const std::string& name = node.name;
  if (auto it = env_.variables.find(name); it != env_.variables.end()) return it->second;
  if (name == "context") return context_;
  if (name == "resource" || name == "rootResource") {
    const fhir::Element* r = name == "resource" ? env_.resource : env_.rootResource;
    if (!r && !context_.empty() && context_[0].isNode()) {
      r = context_[0].node()->containingResource();
      // %rootResource is the container of a contained resource
      // (https://hl7.org/fhir/R4/fhirpath.html#variables); a Bundle entry is its own root.
      while (name == "rootResource" && r && r->name() == "contained" && r->parent()) {
        const fhir::Element* container = r->parent()->containingResource();
        if (!container) break;
        r = container;
      }
    }
    if (!r) return {};
    return single(Item(r));
  }
  if (name == "ucum") return single(Item(Value(std::string("http://unitsofmeasure.org"))));
  if (name == "sct") return single(Item(Value(std::string("http://snomed.info/sct"))));
  if (name == "loinc") return single(Item(Value(std::string("http://loinc.org"))));
  if (name.rfind("vs-", 0) == 0)
    return single(Item(Value("http://hl7.org/fhir/ValueSet/" + name.substr(3))));
  if (name.rfind("ext-", 0) == 0)
    return single(Item(Value("http://hl7.org/fhir/StructureDefinition/" + name.substr(4))));
  throw EvalError{"unknown variable %" + name};
}

Collection Evaluator::binary(const Node& node, const Collection& focus) {
  const Op op = node.op;
  if (op == Op::kAnd || op == Op::kOr || op == Op::kImplies || op == Op::kXor) {
    // Three-valued logic (https://hl7.org/fhirpath/N1/#boolean-logic), short-circuiting where the
    // left side decides.
    std::optional<bool> l = toBool(eval(*node.children[0], focus), "boolean operator");
    if (op == Op::kAnd && l == false) return boolResult(false);
    if (op == Op::kOr && l == true) return boolResult(true);
    if (op == Op::kImplies && l == false) return boolResult(true);
    std::optional<bool> r = toBool(eval(*node.children[1], focus), "boolean operator");
    switch (op) {
      case Op::kAnd:
        if (r == false) return boolResult(false);
        if (l && r) return boolResult(true);
        return {};
      case Op::kOr:
        if (r == true) return boolResult(true);
        if (l && r) return boolResult(false);
        return {};
      case Op::kXor:
        if (l && r) return boolResult(*l != *r);
        return {};
      default:  // implies
        if (r == true) return boolResult(true);
        if (l == true && r == false) return boolResult(false);
        return {};
    }
  }
  Collection left = eval(*node.children[0], focus);
  Collection right = eval(*node.children[1], focus);
  switch (op) {
    case Op::kUnion: {
      Collection all = std::move(left);
      all.insert(all.end(), right.begin(), right.end());
      checkSize(all.size());
      return distinctItems(all, comparisonBudget());
    }
    case Op::kEqual:
    case Op::kNotEqual: {
      auto r = collectionsEqual(left, right);
      if (!r) return {};
      return boolResult(op == Op::kEqual ? *r : !*r);
    }
    case Op::kEquivalent:
    case Op::kNotEquivalent: {
      charge(left.size(), right.size());
      bool r = collectionsEquivalent(left, right);
      return boolResult(op == Op::kEquivalent ? r : !r);
    }
    case Op::kLess:
    case Op::kLessEqual:
    case Op::kGreater:
    case Op::kGreaterEqual: {
      auto a = singleton(left, "comparison");
      auto b = singleton(right, "comparison");
      if (!a || !b) return {};
      auto c = compareItems(*a, *b);
      if (!c) return {};
      switch (op) {
        case Op::kLess:
          return boolResult(*c < 0);
        case Op::kLessEqual:
          return boolResult(*c <= 0);
        case Op::kGreater:
          return boolResult(*c > 0);
        default:
          return boolResult(*c >= 0);
      }
    }
    case Op::kIn:
    case Op::kContains: {
      const Collection& element = op == Op::kIn ? left : right;
      const Collection& container = op == Op::kIn ? right : left;
      auto item = singleton(element, op == Op::kIn ? "in" : "contains");
      if (!item) return {};
      return boolResult(containsItem(container, *item));
    }
    case Op::kConcat: {
      std::string out;
      bool present;
      out += requireString(left, "&", present);
      out += requireString(right, "&", present);
      return single(Item(Value(std::move(out))));
    }
    default: {
      auto a = singletonValue(left, "arithmetic");
      auto b = singletonValue(right, "arithmetic");
      if (!a || !b) return {};
      try {
        return single(Item(arithmetic(op, *a, *b)));
      } catch (const std::invalid_argument&) {
        return {};  // division by zero and incompatible units yield empty
      }
    }
  }
}

Collection Evaluator::iterate(const Node& node, const Collection& focus) {
  const Node& criteria = *node.children[0];
  Collection out;
  std::int64_t index = 0;
  for (const Item& item : focus) {
    frames_.push_back(Frame{single(item), index++, nullptr});
    Collection r;
    try {
      r = eval(criteria, frames_.back().self);
    } catch (...) {
      frames_.pop_back();
      throw;
    }
    frames_.pop_back();
    switch (node.fn) {
      case Fn::kWhere:
        if (toBool(r, "where()") == true) out.push_back(item);
        break;
      case Fn::kSelect:
        out.insert(out.end(), r.begin(), r.end());
        checkSize(out.size());
        break;
      case Fn::kAll:
        if (toBool(r, "all()") != true) return boolResult(false);
        break;
      case Fn::kExists:
        if (toBool(r, "exists()") == true) return boolResult(true);
        break;
      default:
        break;
    }
  }
  if (node.fn == Fn::kAll) return boolResult(true);
  if (node.fn == Fn::kExists) return boolResult(false);
  return out;
}

Collection Evaluator::function(const Node& node, const Collection& focus) {
  const auto& args = node.children;
  auto arg = [&](std::size_t i) { return evalArg(*args[i]); };
  auto stringInput = [&](bool& present) { return requireString(focus, node.name + "()", present); };
  auto intArg = [&](std::size_t i, bool& present) {
    return requireInteger(arg(i), node.name + "()", present);
  };
  auto stringArg = [&](std::size_t i, bool& present) {
    return requireString(arg(i), node.name + "()", present);
  };
  auto convert = [&](std::optional<Value> (*fn)(const Item&), bool test) -> Collection {
    auto item = singleton(focus, node.name + "()");
    if (!item) return {};
    auto v = fn(*item);
    if (test) return boolResult(v.has_value());
    if (!v) return {};
    return single(Item(std::move(*v)));
  };
  auto math = [&](auto&& fn) -> Collection {
    auto v = singletonValue(focus, node.name + "()");
    if (!v) return {};
    if (!isNumber(*v)) throw EvalError{node.name + "() expects a number"};
    return fn(*v);
  };
  auto viaDouble = [&](double x) -> Collection {
    auto d = Decimal::fromDouble(x);
    if (!d) return {};
    return single(Item(Value(*d)));
  };

  switch (node.fn) {
    case Fn::kEmpty:
      return boolResult(focus.empty());
    case Fn::kExists:
      if (args.empty()) return boolResult(!focus.empty());
      return iterate(node, focus);
    case Fn::kAll:
    case Fn::kWhere:
    case Fn::kSelect:
      return iterate(node, focus);
    case Fn::kAllTrue:
    case Fn::kAnyTrue:
    case Fn::kAllFalse:
    case Fn::kAnyFalse: {
      const bool wantTrue = node.fn == Fn::kAllTrue || node.fn == Fn::kAnyTrue;
      const bool all = node.fn == Fn::kAllTrue || node.fn == Fn::kAllFalse;
      for (const Item& item : focus) {
        auto v = item.toValue();
        auto* b = v ? std::get_if<bool>(&*v) : nullptr;
        if (!b) throw EvalError{node.name + "() expects Booleans"};
        if (all && *b != wantTrue) return boolResult(false);
        if (!all && *b == wantTrue) return boolResult(true);
      }
      return boolResult(all);
    }
    case Fn::kSubsetOf:
    case Fn::kSupersetOf: {
      Collection other = arg(0);
      const Collection& sub = node.fn == Fn::kSubsetOf ? focus : other;
      const Collection& super = node.fn == Fn::kSubsetOf ? other : focus;
      charge(sub.size(), super.size());
      for (const Item& item : sub) {
        if (!containsItem(super, item)) return boolResult(false);
      }
      return boolResult(true);
    }
    case Fn::kCount:
      return single(Item(Value(static_cast<std::int64_t>(focus.size()))));
    case Fn::kDistinct:
      return distinctItems(focus, comparisonBudget());
    case Fn::kIsDistinct:
      return boolResult(distinctItems(focus, comparisonBudget()).size() == focus.size());
    case Fn::kRepeat: {
      Collection out;
      Collection current = focus;
      std::unordered_set<const fhir::Element*> seenNodes;
      while (!current.empty()) {
        Collection next;
        std::int64_t index = 0;
        for (const Item& item : current) {
          frames_.push_back(Frame{single(item), index++, nullptr});
          Collection r;
          try {
            r = eval(*args[0], frames_.back().self);
          } catch (...) {
            frames_.pop_back();
            throw;
          }
          frames_.pop_back();
          for (const Item& x : r) {
            step();
            if (!x.isNode()) charge(1, out.size());
            bool seen = x.isNode() ? !seenNodes.insert(x.node()).second : containsItem(out, x);
            if (!seen) {
              out.push_back(x);
              next.push_back(x);
            }
          }
          checkSize(out.size());
        }
        current = std::move(next);
      }
      return out;
    }
    case Fn::kOfType: {
      Collection out;
      splitType(args[0]->name, types_);
      for (const Item& item : focus) {
        if (typeMatches(item, args[0]->name, types_, true)) out.push_back(item);
      }
      return out;
    }
    case Fn::kIs: {
      splitType(args[0]->name, types_);
      auto item = singleton(focus, "is()");
      if (!item) return {};
      return boolResult(typeMatches(*item, args[0]->name, types_, false));
    }
    case Fn::kAs: {
      splitType(args[0]->name, types_);
      if (!env_.enforceAsSingleton) {
        Collection out;
        for (const Item& item : focus) {
          if (typeMatches(item, args[0]->name, types_, true)) out.push_back(item);
        }
        return out;
      }
      auto item = singleton(focus, "as()");
      if (!item || !typeMatches(*item, args[0]->name, types_, true)) return {};
      return focus;
    }
    case Fn::kType: {
      Collection out;
      for (const Item& item : focus) {
        out.push_back(item.isNode() ? classInfo("FHIR", item.node()->type())
                                    : classInfo("System", systemTypeName(*item.value())));
      }
      return out;
    }
    case Fn::kSort: {
      // Keys per item; a key written -expr sorts descending.
      std::vector<std::vector<Collection>> keys(focus.size());
      std::vector<bool> descending;
      for (const auto& a : args) descending.push_back(a->type == NodeType::kUnary);
      for (std::size_t i = 0; i < focus.size(); ++i) {
        frames_.push_back(Frame{single(focus[i]), static_cast<std::int64_t>(i), nullptr});
        try {
          for (const auto& a : args) {
            const Node& keyNode = a->type == NodeType::kUnary ? *a->children[0] : *a;
            keys[i].push_back(eval(keyNode, frames_.back().self));
          }
        } catch (...) {
          frames_.pop_back();
          throw;
        }
        frames_.pop_back();
      }
      std::vector<std::size_t> order(focus.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      auto compareKeys = [&](const Collection& a, const Collection& b) -> int {
        if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
        return compareItems(a[0], b[0]).value_or(0);
      };
      std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        if (args.empty()) return compareKeys(single(focus[x]), single(focus[y])) < 0;
        for (std::size_t k = 0; k < args.size(); ++k) {
          const Collection& a = keys[x][k];
          const Collection& b = keys[y][k];
          // Empty keys come first in either direction.
          if (a.empty() != b.empty()) return a.empty();
          int c = compareKeys(a, b);
          if (c != 0) return descending[k] ? c > 0 : c < 0;
        }
        return false;
      });
      Collection out;
      for (std::size_t i : order) out.push_back(focus[i]);
      return out;
    }
    case Fn::kPrecision: {
      auto v = singletonValue(focus, "precision()");
      if (!v) return {};
      if (auto* d = std::get_if<Decimal>(&*v)) return single(Item(Value(std::int64_t{d->scale()})));
      if (std::holds_alternative<std::int64_t>(*v)) return single(Item(Value(std::int64_t{0})));
      if (auto* dt = std::get_if<DateTimeValue>(&*v)) {
        static const int kDate[] = {4, 6, 8, 10, 12, 14, 17};
        static const int kTime[] = {2, 2, 2, 2, 4, 6, 9};
        int p = static_cast<int>(dt->precision());
        return single(Item(
            Value(std::int64_t{dt->kind() == DateTimeValue::Kind::kTime ? kTime[p] : kDate[p]})));
      }
      return {};
    }
    case Fn::kLowBoundary:
    case Fn::kHighBoundary: {
      const bool high = node.fn == Fn::kHighBoundary;
      auto v = singletonValue(focus, node.name + "()");
      if (!v) return {};
      std::optional<std::int64_t> digits;
      if (!args.empty()) {
        bool present;
        std::int64_t d = intArg(0, present);
        if (present) digits = d;
      }
      if (isNumber(*v) || std::holds_alternative<Quantity>(*v)) {
        Decimal d =
            std::holds_alternative<Quantity>(*v) ? std::get<Quantity>(*v).value() : asDecimal(*v);
        auto r = decimalBoundary(
            d, static_cast<int>(std::clamp<std::int64_t>(digits.value_or(8), -1, 99)), high);
        if (!r) return {};
        if (auto* q = std::get_if<Quantity>(&*v))
          return single(Item(Value(Quantity(*r, q->unit()))));
        return single(Item(Value(*r)));
      }
      if (auto* dt = std::get_if<DateTimeValue>(&*v)) {
        int defaultDigits = dt->kind() == DateTimeValue::Kind::kTime   ? 9
                            : dt->kind() == DateTimeValue::Kind::kDate ? 8
                                                                       : 17;
        auto r = dateBoundary(
            *dt, static_cast<int>(std::clamp<std::int64_t>(digits.value_or(defaultDigits), -1, 99)),
            high);
        if (!r) return {};
        return single(Item(Value(*r)));
      }
      return {};
    }
    case Fn::kComparable: {
      auto a = singletonValue(focus, "comparable()");
      auto b = singletonValue(arg(0), "comparable()");
      if (!a || !b) return {};
      auto* qa = std::get_if<Quantity>(&*a);
      auto* qb = std::get_if<Quantity>(&*b);
      if (!qa || !qb) throw EvalError{"comparable() expects quantities"};
      return boolResult(qa->comparable(*qb));
    }
    case Fn::kSingle:
      if (focus.size() > 1)
        throw EvalError{"single() found " + std::to_string(focus.size()) + " items"};
      return focus;
    case Fn::kFirst:
      return focus.empty() ? Collection{} : single(focus.front());
    case Fn::kLast:
      return focus.empty() ? Collection{} : single(focus.back());
    case Fn::kTail:
      return focus.size() <= 1 ? Collection{} : Collection(focus.begin() + 1, focus.end());
    case Fn::kSkip:
    case Fn::kTake: {
      bool present;
      std::int64_t n = intArg(0, present);
      if (!present) return node.fn == Fn::kSkip ? focus : Collection{};
      std::size_t count = n < 0 ? 0 : static_cast<std::size_t>(n);
      count = std::min(count, focus.size());
      if (node.fn == Fn::kSkip) return Collection(focus.begin() + count, focus.end());
      return Collection(focus.begin(), focus.begin() + count);
    }
    case Fn::kIntersect: {
      Collection other = arg(0);
      Collection out;
      charge(focus.size(), other.size() + focus.size());
      for (const Item& item : focus) {
        if (containsItem(other, item) && !containsItem(out, item)) out.push_back(item);
      }
      return out;
    }
    case Fn::kExclude: {
      Collection other = arg(0);
      Collection out;
      charge(focus.size(), other.size());
      for (const Item& item : focus) {
        if (!containsItem(other, item)) out.push_back(item);
      }
      return out;
    }
    case Fn::kUnion: {
      Collection all = focus;
      Collection other = arg(0);
      all.insert(all.end(), other.begin(), other.end());
      return distinctItems(all, comparisonBudget());
    }
    case Fn::kCombine: {
      Collection all = focus;
      Collection other = arg(0);
      all.insert(all.end(), other.begin(), other.end());
      checkSize(all.size());
      return all;
    }
    case Fn::kIif: {
      if (focus.size() > 1) throw EvalError{"iif() expects at most one input item"};
      // Arguments see the input as $this when iif() is invoked on one.
      bool invoked = &focus != &frames_.back().self && !focus.empty();
      if (invoked) frames_.push_back(Frame{focus, 0, nullptr});
      struct Pop {
        std::deque<Frame>& frames;
        bool active;
        ~Pop() {
          if (active) frames.pop_back();
        }
      } pop{frames_, invoked};
      Collection criterion = arg(0);
      if (criterion.size() == 1) {
        auto v = criterion[0].toValue();
        if (!v || !std::holds_alternative<bool>(*v))
          throw EvalError{"iif() criterion must be a Boolean"};
      }
      std::optional<bool> c = toBool(criterion, "iif()");
      if (c == true) return arg(1);
      if (args.size() > 2) return arg(2);
      return {};
    }
    case Fn::kToBoolean:
      return convert(convertToBoolean, false);
    case Fn::kConvertsToBoolean:
      return convert(convertToBoolean, true);
    case Fn::kToInteger:
      return convert(convertToInteger, false);
    case Fn::kConvertsToInteger:
      return convert(convertToInteger, true);
    case Fn::kToDecimal:
      return convert(convertToDecimal, false);
    case Fn::kConvertsToDecimal:
      return convert(convertToDecimal, true);
    case Fn::kToString:
      return convert(convertToString, false);
    case Fn::kConvertsToString:
      return convert(convertToString, true);
    case Fn::kToDate:
      return convert(convertToDate, false);
    case Fn::kConvertsToDate:
      return convert(convertToDate, true);
    case Fn::kToDateTime:
      return convert(convertToDateTime, false);
    case Fn::kConvertsToDateTime:
      return convert(convertToDateTime, true);
    case Fn::kToTime:
      return convert(convertToTime, false);
    case Fn::kConvertsToTime:
      return convert(convertToTime, true);
    case Fn::kToQuantity:
    case Fn::kConvertsToQuantity: {
      auto item = singleton(focus, node.name + "()");
      if (!item) return {};
      auto v = convertToQuantity(*item);
      if (v && !args.empty()) {
        bool present;
        std::string unit = stringArg(0, present);
        if (present) {
          auto converted = std::get<Quantity>(*v).convertTo(unit);
          v = converted ? std::optional<Value>(Value(*converted)) : std::nullopt;
        }
      }
      if (node.fn == Fn::kConvertsToQuantity) return boolResult(v.has_value());
      if (!v) return {};
      return single(Item(std::move(*v)));
    }
    case Fn::kIndexOf:
    case Fn::kStartsWith:
    case Fn::kEndsWith:
    case Fn::kContains:
    case Fn::kUpper:
    case Fn::kLower:
    case Fn::kLength:
    case Fn::kToChars:
    case Fn::kSubstring:
    case Fn::kReplace:
    case Fn::kMatches:
    case Fn::kMatchesFull:
    case Fn::kReplaceMatches:
    case Fn::kTrim:
    case Fn::kSplit:
    case Fn::kEncode:
    case Fn::kDecode:
    case Fn::kEscape:
    case Fn::kUnescape: {
      bool present;
      std::string input = stringInput(present);
      if (!present) return {};
      std::vector<Collection> values;
      for (std::size_t i = 0; i < args.size(); ++i) values.push_back(arg(i));
      return stringFunction(node.fn, node.name, input, values, env_);
    }
    case Fn::kJoin: {
      std::string separator;
      if (!args.empty()) {
        bool present;
        separator = stringArg(0, present);
      }
      std::string out;
      bool first = true;
      for (const Item& item : focus) {
        auto s = stringOf(item);
        if (!s) throw EvalError{"join() expects Strings"};
        if (!first) out += separator;
        out += *s;
        first = false;
      }
      return single(Item(Value(std::move(out))));
    }
    case Fn::kAbs: {
      auto item = singleton(focus, "abs()");
      if (!item) return {};
      auto v = item->toValue();
      if (!v) throw EvalError{"abs() expects a number"};
      if (auto* i = std::get_if<std::int64_t>(&*v)) {
        if (*i == INT64_MIN) throw EvalError{"integer overflow"};
        return single(Item(Value(*i < 0 ? -*i : *i)));
      }
      if (auto* d = std::get_if<Decimal>(&*v)) return single(Item(Value(d->abs())));
      if (auto* q = std::get_if<Quantity>(&*v))
        return single(Item(Value(Quantity(q->value().abs(), q->unit()))));
      throw EvalError{"abs() expects a number"};
    }
    case Fn::kCeiling:
    case Fn::kFloor:
    case Fn::kTruncate:
      return math([&](const Value& v) -> Collection {
        Decimal d = asDecimal(v);
        Decimal r = node.fn == Fn::kCeiling ? d.ceiling()
                    : node.fn == Fn::kFloor ? d.floor()
                                            : d.truncate();
        std::int64_t i;
        if (!r.toInteger(i)) throw EvalError{node.name + "(): result out of range"};
        return single(Item(Value(i)));
      });
    case Fn::kRound: {
      std::int64_t digits = 0;
      if (!args.empty()) {
        bool present;
        digits = intArg(0, present);
        if (digits < 0) throw EvalError{"round() precision must be >= 0"};
      }
      return math([&](const Value& v) -> Collection {
        return single(
            Item(Value(asDecimal(v).round(static_cast<int>(std::min<std::int64_t>(digits, 28))))));
      });
    }
    case Fn::kExp:
      return math([&](const Value& v) { return viaDouble(std::exp(asDecimal(v).toDouble())); });
    case Fn::kLn:
      return math([&](const Value& v) { return viaDouble(std::log(asDecimal(v).toDouble())); });
    case Fn::kSqrt:
      return math([&](const Value& v) { return viaDouble(std::sqrt(asDecimal(v).toDouble())); });
    case Fn::kLog: {
      auto base = singletonValue(arg(0), "log()");
      if (!base) return {};
      if (!isNumber(*base)) throw EvalError{"log() expects a numeric base"};
      return math([&](const Value& v) {
        return viaDouble(std::log(asDecimal(v).toDouble()) / std::log(asDecimal(*base).toDouble()));
      });
    }
    case Fn::kPower: {
      auto exponent = singletonValue(arg(0), "power()");
      if (!exponent) return {};
      if (!isNumber(*exponent)) throw EvalError{"power() expects a numeric exponent"};
      return math([&](const Value& v) -> Collection {
        double r = std::pow(asDecimal(v).toDouble(), asDecimal(*exponent).toDouble());
        if (std::holds_alternative<std::int64_t>(v) &&
            std::holds_alternative<std::int64_t>(*exponent)) {
          if (!std::isfinite(r) || std::fabs(r) > 9.2e18) return {};
          return single(Item(Value(static_cast<std::int64_t>(std::llround(r)))));
        }
        return viaDouble(r);
      });
    }
    case Fn::kChildren: {
      Collection out;
      for (const Item& item : focus) {
        if (!item.isNode()) continue;
        for (const auto& c : item.node()->children()) out.push_back(c.get());
      }
      checkSize(out.size());
      return out;
    }
    case Fn::kDescendants: {
      Collection out;
      std::vector<const fhir::Element*> stack;
      for (auto it = focus.rbegin(); it != focus.rend(); ++it) {
        if (!it->isNode()) continue;
        const auto& cs = it->node()->children();
        for (auto c = cs.rbegin(); c != cs.rend(); ++c) stack.push_back(c->get());
      }
      while (!stack.empty()) {
        step();
        const fhir::Element* n = stack.back();
        stack.pop_back();
        out.push_back(n);
        const auto& cs = n->children();
        for (auto c = cs.rbegin(); c != cs.rend(); ++c) stack.push_back(c->get());
      }
      checkSize(out.size());
      return out;
    }
    case Fn::kTrace: {
      bool present;
      std::string name = stringArg(0, present);
      if (env_.trace) {
        if (args.size() > 1) {
          Collection projected;
          std::int64_t index = 0;
          for (const Item& item : focus) {
            frames_.push_back(Frame{single(item), index++, nullptr});
            Collection r;
            try {
              r = eval(*args[1], frames_.back().self);
            } catch (...) {
              frames_.pop_back();
              throw;
            }
            frames_.pop_back();
            projected.insert(projected.end(), r.begin(), r.end());
          }
          env_.trace(name, projected);
        } else {
          env_.trace(name, focus);
        }
      }
      return focus;
    }
    case Fn::kNow:
      return single(Item(Value(currentTime(env_))));
    case Fn::kToday:
      return single(Item(Value(currentTime(env_).asKind(DateTimeValue::Kind::kDate))));
    case Fn::kTimeOfDay: {
      DateTimeValue now = currentTime(env_);
      return single(Item(Value(DateTimeValue::fromFields(
          DateTimeValue::Kind::kTime, DateTimeValue::Precision::kMillisecond, 0, 1, 1, now.hour(),
          now.minute(), now.second(), now.millisecond(), std::nullopt))));
    }
    case Fn::kNot: {
      auto b = toBool(focus, "not()");
      if (!b) return {};
      return boolResult(!*b);
    }
    case Fn::kAggregate: {
      Collection total = args.size() > 1 ? arg(1) : Collection{};
      std::int64_t index = 0;
      for (const Item& item : focus) {
        frames_.push_back(Frame{single(item), index++, &total});
        Collection r;
        try {
          r = eval(*args[0], frames_.back().self);
        } catch (...) {
          frames_.pop_back();
          throw;
        }
        frames_.pop_back();
        total = std::move(r);
      }
      return total;
    }
    case Fn::kExtension: {
      bool present;
      std::string url = stringArg(0, present);
      if (!present) return {};
      Collection out;
      for (const Item& item : focus) {
        if (!item.isNode()) continue;
        for (const auto& c : item.node()->children()) {
          if ((c->name() == "extension" || c->name() == "modifierExtension") &&
              c->childValue("url") == url)
            out.push_back(c.get());
        }
      }
      return out;
    }
    case Fn::kHasValue:
      return boolResult(focus.size() == 1 && focus[0].isNode() && focus[0].node()->isPrimitive() &&
                        focus[0].node()->hasValue());
    case Fn::kGetValue: {
      if (focus.size() != 1 || !focus[0].isNode() || !focus[0].node()->isPrimitive()) return {};
      auto v = focus[0].toValue();
      if (!v) return {};
      return single(Item(std::move(*v)));
    }
    case Fn::kResolve: {
      Collection out;
      for (const Item& item : focus) {
        std::string ref;
        const fhir::Element* from = item.node();
        if (item.isNode() && !item.node()->isPrimitive()) {
          ref = std::string(item.node()->childValue("reference"));
        } else if (auto s = stringOf(item)) {
          ref = *s;
        }
        if (from == nullptr && !context_.empty()) from = context_[0].node();
        if (const fhir::Element* target = resolveReference(from, ref, env_)) out.push_back(target);
      }
      return out;
    }
    case Fn::kHtmlChecks: {
      for (const Item& item : focus) {
        if (!item.isNode() || item.node()->kind() != fhir::NodeKind::kXhtml) continue;
        if (!narrativeIsSafe(item.node()->value())) return boolResult(false);
      }
      return boolResult(true);
    }
    case Fn::kConformsTo: {
      bool present;
      std::string url = stringArg(0, present);
      auto item = singleton(focus, "conformsTo()");
      if (!item || !present) return {};
      if (!item->isNode()) throw EvalError{"conformsTo() expects a resource"};
      std::optional<bool> r;
      if (env_.profiles) r = env_.profiles->conformsTo(*item->node(), url);
      const std::string core = "http://hl7.org/fhir/StructureDefinition/";
      if (!r && url.rfind(core, 0) == 0 && types_.isKnownType(url.substr(core.size()))) {
        // The core profile of a type: conformance is being of that type.
        r = types_.isSubtypeOf(item->node()->type(), url.substr(core.size()));
      }
      if (!r) throw EvalError{"conformsTo(): unknown profile '" + url + "'"};
      return boolResult(*r);
    }
    case Fn::kMemberOf: {
      bool present;
      std::string url = stringArg(0, present);
      auto item = singleton(focus, "memberOf()");
      if (!item || !present || !env_.terminology) return {};
      std::vector<std::pair<std::string, std::string>> codes;
      if (item->isNode() && !item->node()->isPrimitive()) {
        const fhir::Element* n = item->node();
        if (n->type() == "Coding") {
          codes.emplace_back(n->childValue("system"), n->childValue("code"));
        } else if (n->type() == "CodeableConcept") {
          for (const fhir::Element* c : n->childrenNamed("coding"))
            codes.emplace_back(c->childValue("system"), c->childValue("code"));
        } else {
          return {};
        }
      } else if (auto s = stringOf(*item)) {
        codes.emplace_back("", *s);
      }
      bool unknown = false;
      for (const auto& [system, code] : codes) {
        auto r = env_.terminology->isMember(system, code, url);
        if (!r) unknown = true;
        if (r == true) return boolResult(true);
      }
      if (unknown || codes.empty()) return {};
      return boolResult(false);
    }
    case Fn::kSubsumes:
    case Fn::kSubsumedBy:
      return {};
    case Fn::kElementDefinition:
    case Fn::kSlice:
    case Fn::kCheckModifiers:
    case Fn::kDefineVariable:
    case Fn::kHasTemplateIdOf:
      throw EvalError{"function " + node.name + "() is not supported"};
  }
  throw EvalError{"function " + node.name + "() is not supported"};
}

}  // namespace notebridge::fhirpath::detail
