#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "json_tree.h"
#include "mapper_test_support.h"
#include "notebridge/mappers/record_import.h"
#include "notebridge/mappers/transfer_summary.h"
#include "validator_fixture.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
using notebridge::fhir::Severity;

namespace {

const char* const kNow = "2025-04-01T09:30:00Z";

std::vector<Note> twoNotes() {
  auto early = parseNote(notebridge::testing::readFile(notebridge::testing::testDataDir() /
                                                       "mappers" / "transfer-early.note.json"));
  BOOST_REQUIRE_MESSAGE(early.ok(), issuesText(early.outcome()));
  return {*early, exampleNote("soap")};
}

Element::Ptr summary(const std::vector<Note>& notes) {
  TransferOptions options;
  options.now = kNow;
  auto built = buildTransferSummary(notes, options);
  BOOST_REQUIRE_MESSAGE(built.ok(), issuesText(built.outcome()));
  return std::move(built).value();
}

// The text of each <li> of a section narrative, entities decoded.
std::vector<std::string> listItems(const Element& section) {
  std::string div = section.child("text")->child("div")->value();
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = div.find("<li>", pos)) != std::string::npos) {
    const auto end = div.find("</li>", pos);
    std::string item = div.substr(pos + 4, end - pos - 4);
    for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
             {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
      for (auto at = item.find(entity); at != std::string::npos; at = item.find(entity, at)) {
        item.replace(at, entity.size(), c);
        at += c.size();
      }
    }
    out.push_back(item);
    pos = end;
  }
  return out;
}

std::map<std::string, const Element*> byFullUrl(const Element& bundle) {
  std::map<std::string, const Element*> out;
  for (const Element* e : bundle.childrenNamed("entry")) {
    out[std::string(e->childValue("fullUrl"))] = e->child("resource");
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transfer_summary)

BOOST_AUTO_TEST_CASE(the_document_is_a_composition_first_bundle_of_the_clients_record) {
  auto bundle = summary(twoNotes());
  BOOST_TEST(bundle->childValue("type") == "document");
  BOOST_TEST(bundle->childValue("timestamp") == kNow);
  BOOST_TEST(!bundle->child("identifier")->childValue("value").empty());
  const auto entries = bundle->childrenNamed("entry");
  BOOST_REQUIRE(!entries.empty());
  const Element* composition = entries.front()->child("resource");
  BOOST_TEST(composition->type() == "Composition");
  const Element* coding = composition->child("type")->child("coding");
  BOOST_TEST(coding->childValue("system") == "http://loinc.org");
  BOOST_TEST(coding->childValue("code") == "18761-7");
  BOOST_TEST(composition->childValue("date") == kNow);
  BOOST_TEST(composition->childValue("status") == "final");
  // One Patient, Practitioner and Organization for the whole record; two notes.
  BOOST_TEST(resourcesOf(*bundle, "Patient").size() == 1u);
  BOOST_TEST(resourcesOf(*bundle, "Practitioner").size() == 1u);
  BOOST_TEST(resourcesOf(*bundle, "Organization").size() == 1u);
  BOOST_TEST(resourcesOf(*bundle, "DocumentReference").size() == 2u);
  BOOST_TEST(resourcesOf(*bundle, "Provenance").size() == 2u);
  // A document carries no transaction requests, and every fullUrl is unique (bdl-7).
  std::set<std::string> urls;
  for (const Element* e : entries) {
    BOOST_TEST(!e->child("request"));
    BOOST_TEST(urls.insert(std::string(e->childValue("fullUrl"))).second);
  }
  // Subject, author and custodian resolve inside the document.
  const auto resources = byFullUrl(*bundle);
  BOOST_TEST(
      resources.at(std::string(composition->child("subject")->childValue("reference")))->type() ==
      "Patient");
  BOOST_TEST(
      resources.at(std::string(composition->child("author")->childValue("reference")))->type() ==
      "Practitioner");
}

BOOST_AUTO_TEST_CASE(sections_answer_the_new_therapists_questions_as_the_golden_file_says) {
  auto bundle = summary(twoNotes());
  const Element* composition = bundle->childrenNamed("entry").front()->child("resource");
  const auto resources = byFullUrl(*bundle);
  rapidjson::Document golden;
  const std::string text = notebridge::testing::readFile(
      notebridge::testing::testDataDir() / "mappers" / "transfer.expected.sections.json");
  golden.Parse(text.c_str());
  BOOST_REQUIRE(!golden.HasParseError());
  const auto sections = composition->childrenNamed("section");
  const auto& expected = golden["sections"].GetArray();
  BOOST_REQUIRE(sections.size() == expected.Size());
  for (rapidjson::SizeType i = 0; i < expected.Size(); ++i) {
    const auto& want = expected[i];
    const Element* got = sections[i];
    BOOST_TEST_CONTEXT(want["title"].GetString()) {
      BOOST_TEST(got->childValue("title") == want["title"].GetString());
      BOOST_TEST(got->child("code")->child("coding")->childValue("code") ==
                 want["code"].GetString());
      std::vector<std::string> lines;
      for (const auto& l : want["lines"].GetArray()) lines.emplace_back(l.GetString());
      const auto items = listItems(*got);
      BOOST_TEST(items == lines, boost::test_tools::per_element());
      std::map<std::string, int> types;
      for (const Element* e : got->childrenNamed("entry")) {
        auto it = resources.find(std::string(e->childValue("reference")));
        BOOST_REQUIRE_MESSAGE(it != resources.end(), "section entry does not resolve");
        ++types[it->second->type()];
      }
      std::map<std::string, int> wantTypes;
      for (auto m = want["entries"].MemberBegin(); m != want["entries"].MemberEnd(); ++m) {
        wantTypes[m->name.GetString()] = m->value.GetInt();
      }
      BOOST_TEST(types == wantTypes);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_document_validates_with_zero_errors) {
  BOOST_REQUIRE(ValidatorFixture::get().validator);
  const auto& v = *ValidatorFixture::get().validator;
  auto bundle = summary(twoNotes());
  const auto whole = v.validate(*bundle);
  BOOST_TEST(errorsOf(whole).empty(), errorsOf(whole));
  notebridge::validation::ValidationOptions progressNote;
  progressNote.profiles = {"https://notebridge.io/fhir/StructureDefinition/progress-note"};
  for (const Element* doc : resourcesOf(*bundle, "DocumentReference")) {
    const auto outcome = v.validate(*doc, progressNote);
    BOOST_TEST(errorsOf(outcome).empty(), errorsOf(outcome));
  }
}

BOOST_AUTO_TEST_CASE(every_resource_carries_the_security_labels_of_what_it_holds) {
  std::vector<Note> notes = twoNotes();
  notes[0].diagnoses.push_back({"F10.20", "Alcohol dependence, uncomplicated", 2});
  notes[0].sensitivity.substanceUse = true;
  auto consent = treeFromJson(notebridge::testing::readFile(
      notebridge::testing::testDataDir() / "mappers" / "transfer-part2.consent.json"));
  BOOST_REQUIRE(consent);
  TransferOptions options;
  options.now = kNow;
  options.consent = consent.get();
  auto built = buildTransferSummary(notes, options);
  BOOST_REQUIRE_MESSAGE(built.ok(), issuesText(built.outcome()));
  auto bundle = std::move(built).value();
  BOOST_TEST(resourcesOf(*bundle, "Consent").size() == 1u);
  for (const Element* e : bundle->childrenNamed("entry")) {
    const Element* r = e->child("resource");
    std::set<std::string> codes;
    for (const Element* s : r->child("meta")->childrenNamed("security")) {
      codes.insert(std::string(s->childValue("code")));
    }
    BOOST_TEST_CONTEXT(r->type()) {
      BOOST_TEST(codes.count("R"));
      BOOST_TEST(codes.count("PSY"));
      BOOST_TEST(!codes.count("PSYTHPN"));
    }
  }
  // The document as a whole is labelled with the Part 2 content it holds, and says so.
  const Element* composition = bundle->childrenNamed("entry").front()->child("resource");
  std::set<std::string> codes;
  for (const Element* s : composition->child("meta")->childrenNamed("security")) {
    codes.insert(std::string(s->childValue("code")));
  }
  BOOST_TEST(codes.count("42CFRPart2"));
  BOOST_TEST(composition->childrenNamed("section").back()->childValue("title") ==
             "42 CFR Part 2 redisclosure notice");
}

BOOST_AUTO_TEST_CASE(psychotherapy_drafts_and_old_versions_stay_out) {
  std::vector<Note> notes = twoNotes();
  Note psychotherapy = exampleNote("soap");
  psychotherapy.noteId = "N-PSY-1";
  psychotherapy.sensitivity.psychotherapyNote = true;
  psychotherapy.sensitivity.authorization = Authorization{"AUTH-9", "2025-03-01"};
  Note draft = exampleNote("soap");
  draft.noteId = "N-DRAFT";
  draft.status = NoteStatus::kDraft;
  draft.signature.reset();
  Note amended = exampleNote("soap");
  amended.version = 2;
  amended.status = NoteStatus::kAmended;
  amended.replaces = NoteRef{"N-2025-0412", 1};
  notes.push_back(psychotherapy);
  notes.push_back(draft);
  notes.push_back(amended);
  TransferOptions options;
  options.now = kNow;
  auto built = buildTransferSummary(notes, options);
  BOOST_REQUIRE_MESSAGE(built.ok(), issuesText(built.outcome()));
  BOOST_TEST(hasIssue(built.outcome(), Severity::kWarning,
                      "notes[N-PSY-1].sensitivity.psychotherapyNote"));
  BOOST_TEST(hasIssue(built.outcome(), Severity::kWarning, "notes[N-DRAFT].status"));
  const auto docs = resourcesOf(**built, "DocumentReference");
  BOOST_REQUIRE(docs.size() == 2u);  // the early note and version 2 of the SOAP note
  BOOST_TEST(docs[1]->childValue("docStatus") == "amended");
  // Only psychotherapy notes: nothing may leave.
  auto none = buildTransferSummary({psychotherapy}, options);
  BOOST_TEST(!none.ok());
  BOOST_TEST(hasIssue(none.outcome(), Severity::kError, "notes", "no note"));
}

BOOST_AUTO_TEST_CASE(notes_of_another_client_are_refused) {
  std::vector<Note> notes = twoNotes();
  notes[1].client.id = "C-2002";
  TransferOptions options;
  options.now = kNow;
  auto built = buildTransferSummary(notes, options);
  BOOST_TEST(!built.ok());
  BOOST_TEST(hasIssue(built.outcome(), Severity::kError, "notes[N-2025-0412].client.id"));
}

BOOST_AUTO_TEST_CASE(the_same_input_gives_the_same_document) {
  BOOST_TEST(dump(*summary(twoNotes())) == dump(*summary(twoNotes())));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(record_import)

BOOST_AUTO_TEST_CASE(a_transfer_document_gives_back_the_client_and_every_note) {
  const std::vector<Note> notes = twoNotes();
  auto bundle = summary(notes);
  auto imported = importRecord(*bundle);
  BOOST_REQUIRE_MESSAGE(imported.ok(), issuesText(imported.outcome()));
  BOOST_TEST(!imported.outcome().hasErrors(), issuesText(imported.outcome()));
  BOOST_TEST((imported->client == notes[1].client));
  BOOST_REQUIRE(imported->notes.size() == 2u);
  // The newest note comes back field for field (shared resources are as it has them).
  BOOST_TEST(writeNote(imported->notes[1].note) == writeNote(notes[1]));
  const Note& early = imported->notes[0].note;
  BOOST_TEST(early.noteId == notes[0].noteId);
  BOOST_TEST((early.sections == notes[0].sections));
  BOOST_TEST((early.session == notes[0].session));
  BOOST_TEST((early.measures == notes[0].measures));
  BOOST_TEST((early.interventions == notes[0].interventions));
  BOOST_TEST((early.signature == notes[0].signature));
  BOOST_TEST(imported->documentKey.find("https://notebridge.io/fhir/sid/transfer|") == 0u);
}

BOOST_AUTO_TEST_CASE(the_dedup_key_is_stable_and_distinct_per_note) {
  auto first = importRecord(*summary(twoNotes()));
  auto second = importRecord(*summary(twoNotes()));
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE(second.ok());
  BOOST_TEST(first->notes[0].key == second->notes[0].key);
  BOOST_TEST(first->notes[1].key == second->notes[1].key);
  BOOST_TEST(first->notes[0].key != first->notes[1].key);
  BOOST_TEST(first->notes[1].key ==
             "https://notebridge.io/fhir/sid/note|1987654328/N-2025-0412/v1");
  // A single note's transaction Bundle is a record too, with the same key for the same note.
  auto single = importRecord(**noteToFhir(exampleNote("soap")));
  BOOST_REQUIRE(single.ok());
  BOOST_TEST(single->notes.at(0).key == first->notes[1].key);
}

BOOST_AUTO_TEST_CASE(what_is_not_a_record_is_refused) {
  auto patient = Element::makeResource("Patient");
  BOOST_TEST(!importRecord(*patient).ok());
  auto empty = Element::makeResource("Bundle");
  const auto result = importRecord(*empty);
  BOOST_TEST(!result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "Bundle", "no note"));
}

BOOST_AUTO_TEST_SUITE_END()
