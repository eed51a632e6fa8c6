// From the stored transaction Bundle to what a destination receives: vendor rules, profile
// checks, and the shape of each interaction.
#include "notebridge/gateway/outbound_transform.h"

#include <boost/test/unit_test.hpp>
#include <set>

#include "note_bundles.h"
#include "notebridge/fhir/json_format.h"
#include "shared_registry.h"

using namespace notebridge::gateway;
using notebridge::fhir::Element;
using notebridge::testing::sampleBundleJson;

namespace {

OutboundTransform transform() {
  return OutboundTransform(notebridge::testing::sharedRegistry(),
                           notebridge::testing::sharedValidator());
}

DestinationConfig destination(DeliveryInteraction interaction) {
  DestinationConfig d;
  d.name = "test";
  d.baseUrl = "http://receiver.test/fhir";
  d.interaction = interaction;
  return d;
}

const Element* documentReference(const Element& bundle) {
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    if (r && r->type() == "DocumentReference") return r;
  }
  return nullptr;
}

void collect(const Element& e, std::set<std::string>& refs) {
  if (e.name() == "reference" && e.hasValue()) refs.insert(e.value());
  for (const auto& c : e.children()) collect(*c, refs);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbound_transform)

BOOST_AUTO_TEST_CASE(vendor_rules_keep_one_content_add_charset_and_fill_period_end) {
  auto doc = Element::makeResource("DocumentReference");
  auto content = [&](const std::string& type) {
    auto c = Element::makeComplex("content", "BackboneElement");
    auto a = Element::makeComplex("attachment", "Attachment");
    a->addChild(Element::makePrimitive("contentType", "code", type));
    c->addChild(std::move(a));
    doc->addChild(std::move(c), true);
  };
  doc->addChild(Element::makePrimitive("date", "instant", "2025-03-04T20:55:00Z"));
  content("text/plain");
  content("application/xhtml+xml");
  VendorRules rules;
  rules.singleContent = true;
  rules.requireCharset = true;
  rules.requirePeriodEnd = true;
  auto outcome = applyVendorRules(*doc, rules);
  BOOST_TEST(!outcome.hasErrors());
  BOOST_TEST(doc->childrenNamed("content").size() == 1u);
  BOOST_TEST(doc->child("content")->child("attachment")->childValue("contentType") ==
             "text/plain;charset=utf-8");
  BOOST_TEST(doc->child("context")->child("period")->childValue("end") == "2025-03-04T20:55:00Z");
}

BOOST_AUTO_TEST_CASE(vendor_rules_refuse_what_they_cannot_fix_naming_the_element) {
  auto doc = Element::makeResource("DocumentReference");
  auto context = Element::makeComplex("context", "BackboneElement");
  auto period = Element::makeComplex("period", "Period");
  period->addChild(Element::makePrimitive("start", "dateTime", "2025-03-04"));
  context->addChild(std::move(period));
  doc->addChild(std::move(context));
  VendorRules rules;
  rules.requireTimeOnDates = true;
  auto outcome = applyVendorRules(*doc, rules);
  BOOST_REQUIRE(outcome.hasErrors());
  BOOST_TEST(outcome.issues().front().expression == "DocumentReference.context.period.start");

  auto bare = Element::makeResource("DocumentReference");
  VendorRules end;
  end.requirePeriodEnd = true;
  auto missing = applyVendorRules(*bare, end);
  BOOST_REQUIRE(missing.hasErrors());
  BOOST_TEST(missing.issues().front().expression == "DocumentReference.context.period.end");
}

BOOST_AUTO_TEST_CASE(a_transaction_posts_the_bundle_with_the_rules_applied) {
  DestinationConfig d = destination(DeliveryInteraction::kTransaction);
  d.rules.requireCharset = true;
  d.rules.requirePeriodEnd = true;
  auto plan = transform().plan(sampleBundleJson("N-T1"), d);
  BOOST_REQUIRE_MESSAGE(plan.ok(), (plan.ok() ? "" : plan.outcome().issues().front().diagnostics));
  BOOST_REQUIRE(plan->body);
  BOOST_TEST(plan->body->type() == "Bundle");
  BOOST_TEST(plan->body->childValue("type") == "transaction");
  const Element* doc = documentReference(*plan->body);
  BOOST_REQUIRE(doc);
  BOOST_TEST(!doc->child("context")->child("period")->childValue("end").empty());
  for (const Element* c : doc->childrenNamed("content")) {
    const std::string type(c->child("attachment")->childValue("contentType"));
    if (type.rfind("text/", 0) == 0) BOOST_TEST(type.find("charset=utf-8") != std::string::npos);
  }
  const std::string xml = transform().render(*plan->body, DestinationFormat::kXml);
  BOOST_TEST(xml.find("<Bundle xmlns=\"http://hl7.org/fhir\">") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_transaction_with_nothing_to_change_sends_the_stored_text) {
  const std::string stored = sampleBundleJson("N-T2");
  auto plan = transform().plan(stored, destination(DeliveryInteraction::kTransaction));
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(!plan->body);
  BOOST_TEST(plan->verbatimBody == stored);
  // XML needs a rewrite.
  DestinationConfig xml = destination(DeliveryInteraction::kTransaction);
  xml.format = DestinationFormat::kXml;
  BOOST_TEST(transform().plan(stored, xml)->body != nullptr);
}

BOOST_AUTO_TEST_CASE(a_note_without_a_bundle_is_refused_not_sent_empty) {
  // What a claim holds when the store could not rebuild the note's Bundle: even the verbatim
  // path (plain JSON transaction) refuses it instead of posting an empty body.
  for (DeliveryInteraction interaction :
       {DeliveryInteraction::kTransaction, DeliveryInteraction::kPut}) {
    auto plan = transform().plan("", destination(interaction));
    BOOST_TEST(!plan.ok());
  }
}

BOOST_AUTO_TEST_CASE(put_uses_ids_from_the_note_and_rewrites_references_to_them) {
  const std::string bundleJson = sampleBundleJson("N-P1");
  auto plan = transform().plan(bundleJson, destination(DeliveryInteraction::kPut));
  BOOST_REQUIRE(plan.ok());
  auto again = transform().plan(bundleJson, destination(DeliveryInteraction::kPut));
  BOOST_REQUIRE(plan->resources.size() == again->resources.size());
  std::set<std::string> urls;
  for (std::size_t i = 0; i < plan->resources.size(); ++i) {
    const OutboundResource& r = plan->resources[i];
    BOOST_TEST(r.method == "PUT");
    BOOST_TEST(r.url == r.type + "/" + r.fullUrl.substr(9));
    BOOST_TEST(r.resource->childValue("id") == r.fullUrl.substr(9));
    BOOST_TEST(again->resources[i].url == r.url);  // deterministic
    urls.insert(r.url);
  }
  // No reference is left as urn:uuid; what the DocumentReference references is sent before it
  // (Encounter.diagnosis <-> Condition.encounter is a cycle, so not everything can be).
  std::set<std::string> sent;
  for (const OutboundResource& r : plan->resources) {
    std::set<std::string> refs;
    collect(*r.resource, refs);
    for (const std::string& ref : refs) {
      BOOST_TEST(ref.rfind("urn:uuid:", 0) != 0u, ref);
      if (r.type == "DocumentReference" && urls.count(ref)) {
        BOOST_TEST(sent.count(ref) == 1u, r.url << " -> " << ref);
      }
    }
    sent.insert(r.url);
  }
}

BOOST_AUTO_TEST_CASE(conditional_create_keeps_if_none_exist_and_urn_references_for_the_sender) {
  auto plan = transform().plan(sampleBundleJson("N-C1"),
                               destination(DeliveryInteraction::kConditionalCreate));
  BOOST_REQUIRE(plan.ok());
  bool sawDocument = false;
  for (const OutboundResource& r : plan->resources) {
    if (r.type == "Provenance") {
      // R4 Provenance has no identifier to create on, so the mapper writes it by its
      // deterministic id: a retried delivery overwrites the same record.
      BOOST_TEST(r.method == "PUT");
      BOOST_TEST(r.url.rfind("Provenance/", 0) == 0u, r.url);
      BOOST_TEST(r.ifNoneExist.empty());
      continue;
    }
    BOOST_TEST(r.method == "POST", r.type);
    BOOST_TEST(r.url == r.type);
    BOOST_TEST(r.ifNoneExist.rfind("identifier=", 0) == 0u, r.type);
    if (r.type == "DocumentReference") {
      sawDocument = true;
      std::set<std::string> refs;
      collect(*r.resource, refs);
      BOOST_TEST(std::any_of(refs.begin(), refs.end(), [](const std::string& ref) {
        return ref.rfind("urn:uuid:", 0) == 0;
      }));
    }
  }
  BOOST_TEST(sawDocument);
}

BOOST_AUTO_TEST_CASE(a_profile_the_resources_do_not_meet_refuses_the_delivery_with_its_issues) {
  DestinationConfig d = destination(DeliveryInteraction::kPut);
  // PHQ-9 and GAD-7 scores are not vital signs: the R4 vital-signs profile must refuse them.
  d.profiles = {"http://hl7.org/fhir/StructureDefinition/vitalsigns"};
  auto plan = transform().plan(sampleBundleJson("N-V1"), d);
  BOOST_REQUIRE(!plan.ok());
  BOOST_TEST(plan.outcome().hasErrors());
  bool named = false;
  for (const auto& issue : plan.outcome().issues()) {
    named = named || (issue.expression.rfind("Observation", 0) == 0 &&
                      issue.diagnostics.rfind("Observation: ", 0) == 0);
  }
  BOOST_TEST(named, plan.outcome().issues().front().expression
                        << " | " << plan.outcome().issues().front().diagnostics);
  // Our own progress-note profile is met.
  d.profiles = {"https://notebridge.io/fhir/StructureDefinition/progress-note"};
  auto ok = transform().plan(sampleBundleJson("N-V1"), d);
  BOOST_TEST(ok.ok(), (ok.ok() ? "" : ok.outcome().issues().front().diagnostics));
  d.profiles = {"http://example.org/unknown"};
  BOOST_TEST(!transform().plan(sampleBundleJson("N-V1"), d).ok());
}

BOOST_AUTO_TEST_CASE(submit_attachment_needs_its_builder_and_bad_bundles_are_refused) {
  auto plan = transform().plan(sampleBundleJson("N-S1"),
                               destination(DeliveryInteraction::kSubmitAttachment));
  BOOST_REQUIRE(!plan.ok());
  BOOST_TEST(plan.outcome().issues().front().code == "not-supported");
  OutboundTransform withBuilder(
      notebridge::testing::sharedRegistry(), nullptr, [](const Element&, const DestinationConfig&) {
        return notebridge::fhir::Result<Element::Ptr>(Element::makeResource("Parameters"));
      });
  auto built = withBuilder.plan(sampleBundleJson("N-S1"),
                                destination(DeliveryInteraction::kSubmitAttachment));
  BOOST_REQUIRE(built.ok());
  BOOST_TEST(built->body->type() == "Parameters");
  BOOST_TEST(!transform().plan("{not json", destination(DeliveryInteraction::kPut)).ok());
  BOOST_TEST(!transform()
                  .plan(R"({"resourceType":"Patient"})", destination(DeliveryInteraction::kPut))
                  .ok());
}

BOOST_AUTO_TEST_SUITE_END()
