// Which notes go where: configured destinations, note status, client, privacy rules, names in
// the request.
#include "notebridge/gateway/configured_note_routing.h"

#include <boost/test/unit_test.hpp>

#include "note_bundles.h"
#include "notebridge/mappers/note.h"

using namespace notebridge::gateway;
using notebridge::mappers::NoteStatus;
using notebridge::testing::sampleNote;

namespace {

DestinationConfig destination(const std::string& name, bool byDefault = true) {
  DestinationConfig d;
  d.name = name;
  d.baseUrl = "https://" + name + ".test/fhir";
  d.routing.byDefault = byDefault;
  return d;
}

using Names = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(configured_note_routing)

BOOST_AUTO_TEST_CASE(default_destinations_take_matching_notes_and_named_ones_only_when_asked) {
  DestinationConfig onlyAsked = destination("payer", false);
  DestinationConfig otherClient = destination("clinic");
  otherClient.routing.clients = {"someone-else"};
  ConfiguredNoteRouting routing({destination("ehr"), onlyAsked, otherClient});
  auto note = sampleNote("N-R1");
  auto routed = routing.destinationsFor(note, {});
  BOOST_REQUIRE(routed.ok());
  BOOST_TEST(*routed == Names{"ehr"});
  auto asked = routing.destinationsFor(note, {"payer", "ehr", "payer"});
  BOOST_REQUIRE(asked.ok());
  BOOST_TEST(*asked == (Names{"payer", "ehr"}));
}

BOOST_AUTO_TEST_CASE(drafts_never_leave_and_unknown_or_unfit_names_are_errors) {
  DestinationConfig signedOnly = destination("signed-only");
  signedOnly.routing.statuses = {"signed"};
  ConfiguredNoteRouting routing({destination("ehr"), signedOnly});
  auto draft = sampleNote("N-R2");
  draft.status = NoteStatus::kDraft;
  BOOST_TEST(routing.destinationsFor(draft, {})->empty());
  BOOST_TEST(routing.destinationsFor(draft, {"ehr"})->empty());

  auto note = sampleNote("N-R3");
  auto unknown = routing.destinationsFor(note, {"nowhere"});
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.outcome().issues().front().diagnostics == "unknown destination 'nowhere'");

  note.status = NoteStatus::kAmended;
  auto unfit = routing.destinationsFor(note, {"signed-only"});
  BOOST_REQUIRE(!unfit.ok());
  BOOST_TEST(unfit.outcome().issues().front().diagnostics ==
             "destination 'signed-only' does not take amended notes");
  // By default the amended note simply skips that destination.
  BOOST_TEST(*routing.destinationsFor(note, {}) == Names{"ehr"});
}

BOOST_AUTO_TEST_CASE(sensitive_notes_need_an_allowing_destination_and_an_authorization) {
  DestinationConfig allowing = destination("allowing");
  allowing.routing.allowSensitive = true;
  ConfiguredNoteRouting routing({destination("ehr"), allowing});
  auto sud = sampleNote("N-R4");
  sud.sensitivity.substanceUse = true;
  // Without an authorization nothing takes it; asked for explicitly, that is an error.
  BOOST_TEST(routing.destinationsFor(sud, {})->empty());
  auto asked = routing.destinationsFor(sud, {"allowing"});
  BOOST_REQUIRE(!asked.ok());
  BOOST_TEST(asked.outcome().issues().front().code == "security");
  BOOST_TEST(asked.outcome().issues().front().expression == "sensitivity.authorization");
  auto refused = routing.destinationsFor(sud, {"ehr"});
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.outcome().issues().front().diagnostics.find("route.allow_sensitive") !=
             std::string::npos);
  // With one, only the allowing destination gets it.
  sud.sensitivity.authorization = notebridge::mappers::Authorization{"AUTH-1", "2025-03-01"};
  BOOST_TEST(*routing.destinationsFor(sud, {}) == Names{"allowing"});

  auto psychotherapy = sampleNote("N-R5");
  psychotherapy.sensitivity.psychotherapyNote = true;
  BOOST_TEST(routing.destinationsFor(psychotherapy, {})->empty());
}

BOOST_AUTO_TEST_CASE(the_privacy_check_is_a_hook) {
  int asked = 0;
  ConfiguredNoteRouting routing({destination("ehr")},
                                [&](const notebridge::mappers::Note&, const DestinationConfig&) {
                                  ++asked;
                                  return notebridge::fhir::Outcome{};
                                });
  auto sud = sampleNote("N-R6");
  sud.sensitivity.substanceUse = true;
  BOOST_TEST(*routing.destinationsFor(sud, {}) == Names{"ehr"});
  BOOST_TEST(asked == 1);
}

BOOST_AUTO_TEST_SUITE_END()
