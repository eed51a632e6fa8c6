// Compiling: syntax errors name the column and what was expected; semantic errors name the
// function; oversize and overdeep input is refused with a clear error.
#include <boost/test/unit_test.hpp>
#include <string>

#include "notebridge/fhirpath/expression.h"

namespace fp = notebridge::fhirpath;

namespace {

std::string compileError(const std::string& text) {
  auto r = fp::Expression::compile(text);
  if (r) return {};
  return r.outcome().issues().front().diagnostics;
}

unsigned errorColumn(const std::string& text) {
  auto r = fp::Expression::compile(text);
  return r ? 0u : r.outcome().issues().front().column;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compile)

BOOST_AUTO_TEST_CASE(valid_expressions_compile) {
  for (const char* text :
       {"Patient.name.where(use = 'official').given.first()", "1 + 2 * 3 - -4",
        "@2014-01-01T10:00:00.000+01:00 > @2014", "%`vs-administrative-gender`",
        "%vs-observation-status", "value.ofType(FHIR.Quantity).value", "`div`.exists()",
        "(1 | 2).aggregate($this + $total, 0)", "5.5 'mg' + 3 days", "{}",
        "a /* comment */ and b // trailing"}) {
    BOOST_TEST(compileError(text).empty(), text << ": " << compileError(text));
  }
}

BOOST_AUTO_TEST_CASE(syntax_errors_give_column_and_expectation) {
  BOOST_TEST(compileError("Patient.name.") ==
             "FHIRPath syntax error at column 14: expected an identifier or function name after "
             "'.', found end of expression");
  BOOST_TEST(errorColumn("name.where(use = 'x'") == 21u);
  BOOST_TEST(compileError("name.where(use = 'x'").find("expected ')' to close the arguments of where()") !=
             std::string::npos);
  BOOST_TEST(compileError("'unterminated").find("unterminated string") != std::string::npos);
  BOOST_TEST(errorColumn("1 + + ") == 7u);
  BOOST_TEST(compileError("name given").find("unexpected 'given'") != std::string::npos);
  BOOST_TEST(compileError("2 + 2 /* open").find("unterminated comment") != std::string::npos);
  BOOST_TEST(compileError("$that").find("$this, $index or $total") != std::string::npos);
  BOOST_TEST(!compileError("@2014-13-01").empty());
  BOOST_TEST(!compileError("").empty());
}

BOOST_AUTO_TEST_CASE(semantic_errors_name_the_function) {
  BOOST_TEST(compileError("name.frist()") ==
             "FHIRPath semantic error at column 6: unknown function 'frist'");
  BOOST_TEST(compileError("name.substring()").find("takes 1 to 2 arguments, found 0") !=
             std::string::npos);
  BOOST_TEST(compileError("name.count(1)").find("takes 0 arguments, found 1") != std::string::npos);
  BOOST_TEST(compileError("name.ofType('x')").find("expects a type name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(deep_and_long_input_is_refused_cleanly) {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  BOOST_TEST(compileError(deep).find("nested too deeply") != std::string::npos);

  std::string chain = "1";
  for (int i = 0; i < 3000; ++i) chain += " + 1";
  BOOST_TEST(compileError(chain).find("nested too deeply") != std::string::npos);

  std::string path = "a";
  for (int i = 0; i < 3000; ++i) path += ".a";
  BOOST_TEST(compileError(path).find("nested too deeply") != std::string::npos);

  std::string huge(200'000, 'a');
  BOOST_TEST(compileError(huge).find("too long") != std::string::npos);

  std::string ok = "1";
  for (int i = 0; i < 300; ++i) ok += " + 1";
  BOOST_TEST(compileError(ok).empty());
}

BOOST_AUTO_TEST_SUITE_END()
