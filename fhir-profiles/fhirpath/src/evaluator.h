#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ast.h"
#include "notebridge/fhirpath/evaluation_context.h"
#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath::detail {

// An evaluation failure; thrown inside the evaluator only and turned into an Outcome by
// Expression::evaluate.
struct EvalError {
  std::string message;
};

// Walks a compiled syntax tree over one input. One Evaluator per evaluation (it holds the
// iteration frames and the budget); the tree and the context are only read.
class Evaluator {
 public:
  Evaluator(const EvaluationContext& env, const Collection& context);

  Collection evaluate(const Node& root);

 private:
  struct Frame {
    Collection self;                    // $this
    std::int64_t index = 0;             // $index
    const Collection* total = nullptr;  // $total inside aggregate()
  };

  Collection eval(const Node& node, const Collection& focus);
  Collection evalArg(const Node& node);
  Collection member(const Node& node, const Collection& focus);
  void strictInvocation(const Node& node);
  Collection variable(const Node& node);
  Collection binary(const Node& node, const Collection& focus);
  Collection function(const Node& node, const Collection& focus);
  Collection iterate(const Node& node, const Collection& focus);

  void step();
  void checkSize(std::size_t size) const;
  void charge(std::size_t a, std::size_t b);
  std::uint64_t comparisonBudget() const;

  const EvaluationContext& env_;
  const TypeModel& types_;
  const Collection& context_;
  std::deque<Frame> frames_;  // a deque: evaluation holds references to frames while pushing
  std::uint64_t steps_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace notebridge::fhirpath::detail
