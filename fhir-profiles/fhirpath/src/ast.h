#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath::detail {

enum class NodeType : std::uint8_t {
  kLiteral,     // literal: a System value
  kEmpty,       // {}
  kMember,      // identifier navigated from the focus
  kThis,        // $this
  kIndex,       // $index
  kTotal,       // $total
  kVariable,    // %name
  kFunction,    // name(args) applied to the focus
  kInvocation,  // children[0] then children[1] with children[0]'s result as focus
  kIndexer,     // children[0][children[1]]
  kUnary,       // op children[0]
  kBinary,      // children[0] op children[1]
  kIs,          // children[0] is typeName
  kAs,          // children[0] as typeName
};

enum class Op : std::uint8_t {
  kNone,
  kPlus,
  kMinus,
  kTimes,
  kDivide,
  kDiv,
  kMod,
  kConcat,
  kUnion,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kEquivalent,
  kNotEquivalent,
  kIn,
  kContains,
  kAnd,
  kOr,
  kXor,
  kImplies,
};

enum class Fn : std::uint8_t {
  kEmpty, kExists, kAll, kAllTrue, kAnyTrue, kAllFalse, kAnyFalse, kSubsetOf, kSupersetOf,
  kCount, kDistinct, kIsDistinct, kWhere, kSelect, kRepeat, kOfType, kSingle, kFirst, kLast,
  kTail, kSkip, kTake, kIntersect, kExclude, kUnion, kCombine, kIif, kToBoolean,
  kConvertsToBoolean, kToInteger, kConvertsToInteger, kToDate, kConvertsToDate, kToDateTime,
  kConvertsToDateTime, kToDecimal, kConvertsToDecimal, kToQuantity, kConvertsToQuantity,
  kToString, kConvertsToString, kToTime, kConvertsToTime, kIndexOf, kSubstring, kStartsWith,
  kEndsWith, kContains, kUpper, kLower, kReplace, kMatches, kReplaceMatches, kLength, kToChars,
  kAbs, kCeiling, kExp, kFloor, kLn, kLog, kPower, kRound, kSqrt, kTruncate, kChildren,
  kDescendants, kTrace, kNow, kTimeOfDay, kToday, kNot, kIs, kAs, kType, kAggregate, kExtension,
  kHasValue, kGetValue, kResolve, kHtmlChecks, kConformsTo, kMemberOf, kSubsumes, kSubsumedBy,
  kTrim, kSplit, kJoin, kEncode, kDecode, kEscape, kUnescape, kElementDefinition, kSlice,
  kCheckModifiers, kLowBoundary, kHighBoundary, kPrecision, kComparable, kSort, kDefineVariable,
  kMatchesFull, kHasTemplateIdOf,
};

// One node of a compiled expression's syntax tree. Immutable after compile.
struct Node {
  NodeType type = NodeType::kLiteral;
  Op op = Op::kNone;
  Fn fn = Fn::kEmpty;
  bool atRoot = false;      // kMember not preceded by '.': may name the context's type
  std::uint32_t column = 0; // 1-based position in the text
  std::string name;         // member, variable, function or type name
  std::shared_ptr<const Value> literal;
  std::vector<std::unique_ptr<Node>> children;
};

}  // namespace notebridge::fhirpath::detail
