#include <boost/test/unit_test.hpp>

#include "mapper_test_support.h"
#include "note_generator.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
namespace fhir = notebridge::fhir;

namespace {

constexpr std::uint64_t kSeed = 20250304;
constexpr int kNotes = 300;

}  // namespace

BOOST_AUTO_TEST_SUITE(roundtrip_property)

// Every generated note survives JSON: writeNote then parseNote (strict) gives it back.
BOOST_AUTO_TEST_CASE(generated_notes_are_valid_and_survive_json) {
  NoteGenerator gen(kSeed);
  for (int i = 0; i < kNotes; ++i) {
    const Note note = gen.note();
    auto parsed = parseNote(writeNote(note));
    BOOST_TEST_CONTEXT("note " << i << " (seed " << kSeed << ")") {
      BOOST_REQUIRE_MESSAGE(parsed.ok(), issuesText(parsed.outcome()));
      BOOST_TEST((parsed.value() == note));
    }
  }
}

// note -> FHIR -> note gives the note back field for field; FHIR -> note -> FHIR gives the
// same resources; the Bundle passes the core R4 parser without issues.
BOOST_AUTO_TEST_CASE(note_fhir_note_and_fhir_note_fhir) {
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  NoteGenerator gen(kSeed + 1);
  for (int i = 0; i < kNotes; ++i) {
    const Note note = gen.note();
    BOOST_TEST_CONTEXT("note " << i << " (seed " << kSeed + 1 << ")") {
      auto bundle = noteToFhir(note);
      BOOST_REQUIRE_MESSAGE(bundle.ok(), issuesText(bundle.outcome()));
      auto back = fhirToNote(**bundle);
      BOOST_REQUIRE(back.ok());
      BOOST_TEST(writeNote(back.value()) == writeNote(note));
      auto again = noteToFhir(back.value());
      BOOST_REQUIRE(again.ok());
      BOOST_TEST(dump(**again) == dump(**bundle));
      const std::string json = fhir::writeJson(**bundle);
      auto parsed = fhir::parseJson(json, *registry);
      BOOST_TEST(parsed.outcome().empty(), issuesText(parsed.outcome()));
    }
  }
}

// A 1 MB note (DOMAIN §9.8) goes through both directions unchanged.
BOOST_AUTO_TEST_CASE(one_megabyte_note_round_trips) {
  NoteGenerator gen(kSeed + 2);
  for (int i = 0; i < 2; ++i) {
    const Note note = gen.note(true);
    BOOST_REQUIRE(note.sections.back().text.size() > (1u << 20));
    auto parsed = parseNote(writeNote(note));
    BOOST_REQUIRE(parsed.ok());
    auto bundle = noteToFhir(parsed.value());
    BOOST_REQUIRE(bundle.ok());
    auto back = fhirToNote(**bundle);
    BOOST_REQUIRE(back.ok());
    BOOST_TEST((back.value() == note));
  }
}

BOOST_AUTO_TEST_SUITE_END()
