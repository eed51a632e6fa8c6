// The narrative div check (json_parser) answers most divs without libxml2; these cases pin
// that the quick answer never accepts what libxml2 rejects.
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "xhtml_check.h"

using notebridge::fhir::checkXhtmlDiv;
using notebridge::fhir::checkXhtmlDivWithLibxml2;
using notebridge::fhir::isCertainlyWellFormedDiv;

namespace {

const std::string kOpen = R"(<div xmlns="http://www.w3.org/1999/xhtml">)";

}  // namespace

BOOST_AUTO_TEST_SUITE(xhtml_check)

BOOST_AUTO_TEST_CASE(plain_narratives_are_accepted_without_libxml2) {
  const std::vector<std::string> good = {
      kOpen + "Hi</div>",
      "  \n" + kOpen +
          "<h1>Note &amp; plan</h1>\n<p class='x' id=\"s1\">a &lt; b &gt; c</p></div>\n",
      kOpen + "<p>line<br/>next<br />&#10;&#x2014; caf\xC3\xA9 &quot;q&quot; &apos;</p></div>",
      kOpen + "<table><tr><td colspan=\"2\">x</td></tr></table><img src=\"a.png\" alt=\"\"/></div>",
      R"(<div xmlns="http://www.w3.org/1999/xhtml"/>)",
  };
  for (const auto& markup : good) {
    BOOST_TEST(isCertainlyWellFormedDiv(markup), markup);
    BOOST_TEST(checkXhtmlDiv(markup).empty(), markup);
    BOOST_TEST(checkXhtmlDivWithLibxml2(markup).empty(), markup);
  }
}

BOOST_AUTO_TEST_CASE(malformed_or_foreign_markup_is_refused) {
  const std::vector<std::string> bad = {
      kOpen + "<p>unclosed</div>",
      kOpen + "<p>x</b></p></div>",
      kOpen + "<p a=\"1\" a=\"2\">x</p></div>",
      kOpen + "<p a=1>x</p></div>",
      kOpen + "a &nbsp; b</div>",
      kOpen + "a & b</div>",
      kOpen + "a ]]> b</div>",
      kOpen + "bell \x07</div>",
      kOpen + "nul &#0; ref</div>",
      kOpen + "x</div><div/>",
      kOpen + "x</div>trailing",
      R"(<div xmlns="http://www.w3.org/1999/html">x</div>)",
      "<div>no namespace</div>",
      "<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>",
      kOpen + "<p<>x</p></div>",
      kOpen + "<p title=\"a<b\">x</p></div>",
      kOpen + "<p>x</p>",
  };
  for (const auto& markup : bad) {
    BOOST_TEST(!isCertainlyWellFormedDiv(markup), markup);
    BOOST_TEST(!checkXhtmlDiv(markup).empty(), markup);
  }
}

BOOST_AUTO_TEST_CASE(markup_beyond_the_quick_subset_still_goes_to_libxml2) {
  // Comments, CDATA and prefixed names are legal: libxml2 accepts what the quick scan leaves.
  const std::vector<std::string> legal = {
      kOpen + "<!-- c -->x</div>",
      kOpen + "<![CDATA[a < b]]></div>",
      kOpen + "<p xml:lang=\"en\">x</p></div>",
  };
  for (const auto& markup : legal) {
    BOOST_TEST(!isCertainlyWellFormedDiv(markup), markup);
    BOOST_TEST(checkXhtmlDiv(markup).empty(), markup);
  }
}

BOOST_AUTO_TEST_CASE(quick_acceptance_agrees_with_libxml2_on_mutated_markup) {
  // Seeded mutations of a valid div: whatever the quick scan accepts, libxml2 must accept.
  const std::string base = kOpen +
                           "<h1>T &amp; x</h1><p class=\"a\" id='b'>one<br/>two &#233;</p>"
                           "<div class=\"s\"><ul><li>i</li></ul></div></div>";
  const std::string alphabet = "<>/&;#=\"' x]!?:-\x01\n";
  std::mt19937 rng(6);
  int quick = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string m = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (m.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (at < m.size()) m.erase(at, 1);
          break;
        case 1:
          m.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          if (at < m.size()) m[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    if (isCertainlyWellFormedDiv(m)) {
      ++quick;
      BOOST_TEST(checkXhtmlDivWithLibxml2(m).empty(), m);
    }
  }
  BOOST_TEST(quick > 100);  // the mutations do reach the accepting path
}

BOOST_AUTO_TEST_SUITE_END()
