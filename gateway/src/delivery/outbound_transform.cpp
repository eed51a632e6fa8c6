#include "notebridge/gateway/outbound_transform.h"

#include <algorithm>
#include <map>
#include <set>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/tree_typing.h"
#include "notebridge/fhir/xml_format.h"
#include "notebridge/validation/conformance_store.h"
#include "notebridge/validation/structure_definition.h"

namespace notebridge::gateway {

using fhir::Element;
using fhir::Outcome;
using fhir::Severity;

namespace {

bool needsCharset(std::string_view contentType) {
  if (contentType.find("charset") != std::string_view::npos) return false;
  return contentType.rfind("text/", 0) == 0 || contentType.rfind("application/xml", 0) == 0 ||
         contentType.rfind("application/xhtml+xml", 0) == 0;
}

void visit(Element& node, const std::function<void(Element&)>& f) {
  f(node);
  for (const auto& child : node.children()) visit(*child, f);
}

void collectReferences(const Element& node, std::set<std::string>& out) {
  if (node.name() == "reference" && node.hasValue()) out.insert(node.value());
  for (const auto& child : node.children()) collectReferences(*child, out);
}

std::size_t childPosition(const Element& parent, const Element* child) {
  const auto& children = parent.children();
  for (std::size_t i = 0; i < children.size(); ++i)
    if (children[i].get() == child) return i;
  return children.size();
}

}  // namespace

Outcome applyVendorRules(Element& doc, const VendorRules& rules) {
  Outcome outcome;
  if (rules.singleContent) {
    // Oracle Health takes exactly one content entry (DOMAIN §1.6).
    const auto contents = doc.childrenNamed("content");
    for (std::size_t i = contents.size(); i > 1; --i) {
      doc.removeChild(childPosition(doc, contents[i - 1]));
    }
  }
  if (rules.requireCharset) {
    for (const Element* content : doc.childrenNamed("content")) {
      Element* attachment = const_cast<Element*>(content)->child("attachment");
      Element* type = attachment ? attachment->child("contentType") : nullptr;
      if (type && type->hasValue() && needsCharset(type->value())) {
        type->setValue(type->value() + ";charset=utf-8");
      }
    }
  }
  if (rules.requirePeriodEnd) {
    Element* context = doc.child("context");
    Element* period = context ? context->child("period") : nullptr;
    Element* end = period ? period->child("end") : nullptr;
    if (!end || !end->hasValue()) {
      std::string value;
      if (period && !period->childValue("start").empty()) {
        value = std::string(period->childValue("start"));
      } else {
        value = std::string(doc.childValue("date"));
      }
      if (value.empty()) {
        outcome.add(Severity::kError, "required",
                    "the destination requires context.period.end and the note has neither a "
                    "period start nor a date to take it from",
                    "DocumentReference.context.period.end");
      } else {
        if (!context) context = &doc.addChild(Element::makeComplex("context", "BackboneElement"));
        if (!period) period = &context->addChild(Element::makeComplex("period", "Period"));
        if (end) {
          end->setValue(value);
        } else {
          period->addChild(Element::makePrimitive("end", "dateTime", value));
        }
      }
    }
  }
  if (rules.requireTimeOnDates) {
    visit(doc, [&](Element& node) {
      if (node.type() == "dateTime" && node.hasValue() &&
          node.value().find('T') == std::string::npos) {
        outcome.add(
            Severity::kError, "value",
            "the destination requires a time on every date; '" + node.value() + "' has none",
            node.path());
      }
    });
  }
  return outcome;
}

OutboundTransform::OutboundTransform(std::shared_ptr<const fhir::DefinitionRegistry> registry,
                                     std::shared_ptr<const validation::Validator> validator,
                                     SubmitAttachmentBuilder submitAttachment)
    : registry_(std::move(registry)),
      validator_(std::move(validator)),
      submitAttachment_(std::move(submitAttachment)) {}

std::string_view OutboundTransform::contentType(DestinationFormat format) {
  return format == DestinationFormat::kXml ? "application/fhir+xml; charset=utf-8"
                                           : "application/fhir+json; charset=utf-8";
}

std::string OutboundTransform::render(const Element& resource, DestinationFormat format) const {
  return format == DestinationFormat::kXml ? fhir::writeXml(resource) : fhir::writeJson(resource);
}

void OutboundTransform::dropUnresolvedReferences(Element& resource, fhir::Outcome& dropped) {
  // Collect first: removing while walking would invalidate the walk.
  std::vector<const Element*> doomed;
  visit(resource, [&](Element& node) {
    if (node.name() != "reference" || !node.hasValue() || node.value().rfind("urn:uuid:", 0) != 0) {
      return;
    }
    // The whole repeating backbone entry (Encounter.diagnosis[n]) when there is one, since it
    // may be meaningless without its reference; otherwise the Reference itself.
    const Element* target = node.parent();
    const Element* top = target;
    while (top && top->parent() && top->parent() != &resource) top = top->parent();
    if (top && top->parent() == &resource && top->type() == "BackboneElement") target = top;
    doomed.push_back(target);
  });
  for (const Element* target : doomed) {
    Element* parent = target->parent();
    if (!parent) continue;
    dropped.add(Severity::kInformation, "informational",
                "a reference cycle cannot be sent with conditional creates; left out",
                target->path());
    parent->removeChild(childPosition(*parent, target));
  }
}

void OutboundTransform::rewriteReferences(
    Element& resource, const std::vector<std::pair<std::string, std::string>>& map) {
  visit(resource, [&](Element& node) {
    if (node.name() != "reference" || !node.hasValue()) return;
    for (const auto& [from, to] : map) {
      if (node.value() == from) {
        node.setValue(to);
        return;
      }
    }
  });
}

Outcome OutboundTransform::validate(const Element& resource, const DestinationConfig& destination,
                                    const std::string& where) const {
  Outcome outcome;
  if (destination.profiles.empty()) return outcome;
  if (!validator_) {
    outcome.add(Severity::kError, "processing",
                "destination " + destination.name + " names profiles but no validator is loaded");
    return outcome;
  }
  validation::ValidationOptions options;
  for (const std::string& url : destination.profiles) {
    auto sd = validator_->store().structureDefinition(url);
    if (!sd) {
      outcome.add(Severity::kError, "not-found",
                  "destination " + destination.name + ": unknown profile " + url);
    } else if (sd->type == resource.type()) {
      options.profiles.push_back(url);
    }
  }
  if (options.profiles.empty()) return outcome;
  const Outcome found = validator_->validate(resource, options);
  for (fhir::Issue issue : found.issues()) {
    if (issue.severity < Severity::kError) continue;
    if (!where.empty()) issue.diagnostics = where + ": " + issue.diagnostics;
    // A Bundle entry's resource is named "resource" in the tree; name it by its type.
    if (issue.expression.rfind("resource", 0) == 0) {
      issue.expression = resource.type() + issue.expression.substr(8);
    }
    outcome.add(std::move(issue));
  }
  return outcome;
}

fhir::Result<OutboundPlan> OutboundTransform::plan(std::string_view bundleJson,
                                                   const DestinationConfig& destination) const {
  using R = fhir::Result<OutboundPlan>;
  if (bundleJson.empty()) {
    // The store could not rebuild the note's Bundle (see OutboxClaim): nothing to send.
    return R::failure(Severity::kError, "not-found", "the note has no FHIR Bundle to send");
  }
  const VendorRules& rules = destination.rules;
  if (destination.interaction == DeliveryInteraction::kTransaction &&
      destination.format == DestinationFormat::kJson && destination.profiles.empty() &&
      !rules.singleContent && !rules.requireCharset && !rules.requirePeriodEnd &&
      !rules.requireTimeOnDates) {
    // The stored Bundle was validated and written by the gateway itself when the note was
    // accepted; with nothing to change it goes as it is.
    OutboundPlan plan;
    plan.interaction = DeliveryInteraction::kTransaction;
    plan.verbatimBody = std::string(bundleJson);
    return plan;
  }
  auto parsed = fhir::parseJson(bundleJson, *registry_);
  if (!parsed) return R(std::move(parsed.outcome()));
  Element::Ptr bundle = std::move(*parsed);
  if (bundle->type() != "Bundle") {
    return R::failure(Severity::kError, "invalid", "the stored note is not a Bundle");
  }

  Outcome problems;
  struct Entry {
    Element* entry;
    Element* resource;
    std::string fullUrl;
  };
  std::vector<Entry> entries;
  for (const Element* e : bundle->childrenNamed("entry")) {
    Element* entry = const_cast<Element*>(e);
    Element* resource = entry->child("resource");
    if (!resource) continue;
    entries.push_back({entry, resource, std::string(entry->childValue("fullUrl"))});
    if (resource->type() == "DocumentReference") {
      problems.append(applyVendorRules(*resource, destination.rules));
      problems.append(fhir::assignDefinitions(*resource, *registry_));
    }
  }

  OutboundPlan plan;
  plan.interaction = destination.interaction;
  if (destination.interaction == DeliveryInteraction::kTransaction ||
      destination.interaction == DeliveryInteraction::kSubmitAttachment) {
    for (const Entry& entry : entries) {
      problems.append(validate(*entry.resource, destination, entry.resource->type()));
    }
    if (problems.hasErrors()) return R(std::move(problems));
    if (destination.interaction == DeliveryInteraction::kSubmitAttachment) {
      if (!submitAttachment_) {
        return R::failure(Severity::kError, "not-supported",
                          "destination " + destination.name +
                              ": submit-attachment is not available in this build");
      }
      auto parameters = submitAttachment_(*bundle, destination);
      if (!parameters) return R(std::move(parameters.outcome()));
      plan.body = std::move(*parameters);
    } else {
      plan.body = std::move(bundle);
    }
    return R(std::move(plan), std::move(problems));
  }

  // Per-resource interactions: referenced resources go first, so that a receiver that checks
  // references (and the conditional-create rewrite) finds them.
  std::map<std::string, std::size_t> byUrl;
  for (std::size_t i = 0; i < entries.size(); ++i) byUrl[entries[i].fullUrl] = i;
  std::vector<std::set<std::size_t>> needs(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::set<std::string> refs;
    collectReferences(*entries[i].resource, refs);
    for (const std::string& ref : refs) {
      auto it = byUrl.find(ref);
      if (it != byUrl.end() && it->second != i) needs[i].insert(it->second);
    }
  }
  std::vector<std::size_t> order;
  std::vector<bool> placed(entries.size(), false);
  while (order.size() < entries.size()) {
    bool progressed = false;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (placed[i]) continue;
      if (std::all_of(needs[i].begin(), needs[i].end(), [&](std::size_t n) { return placed[n]; })) {
        placed[i] = true;
        order.push_back(i);
        progressed = true;
      }
    }
    if (!progressed) {
      // A reference cycle (Encounter.diagnosis <-> Condition.encounter): send first the
      // resource waiting on the fewest others. With PUT its references resolve once the rest
      // arrive; with conditional creates the sender drops the references it cannot resolve yet.
      std::size_t best = entries.size(), fewest = entries.size() + 1;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (placed[i]) continue;
        const std::size_t waiting = static_cast<std::size_t>(std::count_if(
            needs[i].begin(), needs[i].end(), [&](std::size_t n) { return !placed[n]; }));
        if (waiting < fewest) {
          fewest = waiting;
          best = i;
        }
      }
      placed[best] = true;
      order.push_back(best);
    }
  }

  // PUT: the id is the UUID of the resource's urn:uuid fullUrl (deterministic, DESIGN §6).
  std::vector<std::pair<std::string, std::string>> ids;
  if (destination.interaction == DeliveryInteraction::kPut) {
    for (const Entry& entry : entries) {
      if (entry.fullUrl.rfind("urn:uuid:", 0) == 0) {
        ids.emplace_back(entry.fullUrl, entry.resource->type() + "/" + entry.fullUrl.substr(9));
      }
    }
  }
  for (std::size_t i : order) {
    Entry& entry = entries[i];
    OutboundResource out;
    out.type = entry.resource->type();
    out.fullUrl = entry.fullUrl;
    const Element* request = entry.entry->child("request");
    const std::string method = request ? std::string(request->childValue("method")) : "POST";
    const std::string url = request ? std::string(request->childValue("url")) : out.type;
    std::size_t position = childPosition(*entry.entry, entry.resource);
    out.resource = entry.entry->removeChild(position);
    if (destination.interaction == DeliveryInteraction::kPut) {
      if (entry.fullUrl.rfind("urn:uuid:", 0) != 0) {
        problems.add(Severity::kError, "invalid",
                     "entry " + std::to_string(i) + " has no urn:uuid fullUrl to derive an id from",
                     "Bundle.entry[" + std::to_string(i) + "].fullUrl");
        continue;
      }
      const std::string id = entry.fullUrl.substr(9);
      if (Element* existing = out.resource->child("id")) {
        existing->setValue(id);
      } else {
        out.resource->insertChild(0, Element::makePrimitive("id", "id", id));
      }
      rewriteReferences(*out.resource, ids);
      problems.append(fhir::assignDefinitions(*out.resource, *registry_));
      out.method = "PUT";
      out.url = out.type + "/" + id;
    } else if (method == "PUT") {
      out.method = "PUT";  // a conditional update (entered-in-error replaces a version)
      out.url = url;
    } else {
      out.method = "POST";
      out.url = out.type;
      if (request) out.ifNoneExist = std::string(request->childValue("ifNoneExist"));
    }
    problems.append(validate(*out.resource, destination, out.type));
    plan.resources.push_back(std::move(out));
  }
  if (problems.hasErrors()) return R(std::move(problems));
  return R(std::move(plan), std::move(problems));
}

}  // namespace notebridge::gateway
