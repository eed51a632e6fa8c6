// The XHTML renderings built together (the mapper's fast path) are the ones built apart.
#include <boost/test/unit_test.hpp>

#include "mapper_test_support.h"
#include "note_text.h"

using namespace notebridge::mappers;
using notebridge::mappers::testing::exampleNote;

BOOST_AUTO_TEST_SUITE(note_text)

BOOST_AUTO_TEST_CASE(xhtml_document_and_div_rendered_together_match_the_separate_renderings) {
  for (const char* name : {"soap", "dap", "birp", "girp", "narrative"}) {
    const Note note = exampleNote(name);
    const XhtmlRenderings both = renderXhtmlAndNarrativeDiv(note);
    BOOST_TEST(both.document == renderXhtml(note), name);
    BOOST_TEST(both.div == renderNarrativeDiv(note), name);
    BOOST_TEST(both.div.rfind("<div xmlns=\"http://www.w3.org/1999/xhtml\">", 0) == 0u);
    BOOST_TEST(both.document.find("<body>") != std::string::npos);
    BOOST_TEST(sectionsFromOwnXhtml(both.div).has_value(), name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
