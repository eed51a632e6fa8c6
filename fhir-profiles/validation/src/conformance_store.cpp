#include "notebridge/validation/conformance_store.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "json_reader.h"
#include "notebridge/validation/snapshot_generator.h"

namespace notebridge::validation {
namespace {

using detail::member;
using detail::stringMember;
using fhir::Outcome;
using fhir::Severity;

constexpr int kMaxBaseDepth = 16;

std::string str(std::string_view view) { return std::string(view); }

std::vector<std::string> stringArray(const rapidjson::Value& object, const char* name) {
  std::vector<std::string> out;
  const rapidjson::Value* array = member(object, name);
  if (!array || !array->IsArray()) return out;
  for (const auto& item : array->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

// FHIRPath system types stand for the primitive's own value (Element.id, Extension.url).
std::string normalizeTypeCode(std::string_view code) {
  constexpr std::string_view kSystem = "http://hl7.org/fhirpath/System.";
  if (code.substr(0, kSystem.size()) != kSystem) return str(code);
  const std::string_view name = code.substr(kSystem.size());
  if (name == "String") return "string";
  if (name == "Boolean") return "boolean";
  if (name == "Integer") return "integer";
  if (name == "Decimal") return "decimal";
  if (name == "Date") return "date";
  if (name == "DateTime") return "dateTime";
  if (name == "Time") return "time";
  return "string";
}

// The FHIR type of a `fixedXxx` suffix: primitives start lower case ("Code" -> "code"),
// complex types keep theirs ("CodeableConcept").
std::string typeFromSuffix(std::string_view suffix) {
  static const char* kPrimitives[] = {"boolean",  "integer",     "string",       "decimal", "uri",
                                      "url",      "canonical",   "base64Binary", "instant", "date",
                                      "dateTime", "time",        "code",         "oid",     "id",
                                      "markdown", "unsignedInt", "positiveInt",  "uuid"};
  for (const char* primitive : kPrimitives) {
    std::string_view p(primitive);
    if (p.size() == suffix.size() && (p[0] == suffix[0] || p[0] == suffix[0] + 32) &&
        p.substr(1) == suffix.substr(1)) {
      return str(p);
    }
  }
  return str(suffix);
}

TypedValue typedValue(const rapidjson::Value& object, std::string_view prefix) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] >= 'A' && key[prefix.size()] <= 'Z') {
      TypedValue out;
      out.type = typeFromSuffix(key.substr(prefix.size()));
      out.value = std::shared_ptr<const fhir::Element>(detail::toElement(it->value, str(key)));
      return out;
    }
  }
  return {};
}

ElementDefinition parseElement(const rapidjson::Value& json) {
  ElementDefinition e;
  e.path = str(stringMember(json, "path"));
  e.id = str(stringMember(json, "id"));
  if (e.id.empty()) e.id = e.path;
  e.sliceName = str(stringMember(json, "sliceName"));
  if (const auto* min = member(json, "min"); min && min->IsString()) {
    e.min = std::atoi(min->GetString());
  }
  if (const auto* max = member(json, "max"); max && max->IsString()) e.max = max->GetString();
  if (const auto* base = member(json, "base")) e.basePath = str(stringMember(*base, "path"));
  e.contentReference = str(stringMember(json, "contentReference"));
  // Resource.id is an `id` (https://hl7.org/fhir/R4/resource.html#id) though the R4
  // definitions type it as a system string.
  const bool resourceId = e.basePath == "Resource.id";
  if (const auto* types = member(json, "type"); types && types->IsArray()) {
    for (const auto& t : types->GetArray()) {
      TypeRef ref;
      ref.code = normalizeTypeCode(stringMember(t, "code"));
      // Resource.id and friends carry their FHIR type in an extension beside the system type.
      if (const auto* extensions = member(t, "extension"); extensions && extensions->IsArray()) {
        for (const auto& x : extensions->GetArray()) {
          if (stringMember(x, "url") ==
              "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type") {
            std::string_view fhirType = stringMember(x, "valueUrl");
            if (fhirType.empty()) fhirType = stringMember(x, "valueUri");
            if (!fhirType.empty()) ref.code = str(fhirType);
          }
        }
      }
      ref.profiles = stringArray(t, "profile");
      ref.targetProfiles = stringArray(t, "targetProfile");
      if (resourceId) ref.code = "id";
      e.types.push_back(std::move(ref));
    }
  }
  e.fixed = typedValue(json, "fixed");
  e.pattern = typedValue(json, "pattern");
  e.minValue = typedValue(json, "minValue");
  e.maxValue = typedValue(json, "maxValue");
  if (const auto* maxLength = member(json, "maxLength"); maxLength && maxLength->IsString()) {
    e.maxLength = std::atoi(maxLength->GetString());
  }
  if (const auto* binding = member(json, "binding")) {
    e.binding =
        Binding{str(stringMember(*binding, "strength")), str(stringMember(*binding, "valueSet"))};
  }
  if (const auto* constraints = member(json, "constraint"); constraints && constraints->IsArray()) {
    for (const auto& c : constraints->GetArray()) {
      e.constraints.push_back(
          Constraint{str(stringMember(c, "key")), str(stringMember(c, "severity")),
                     str(stringMember(c, "human")), str(stringMember(c, "expression")),
                     str(stringMember(c, "source"))});
    }
  }
  if (const auto* slicing = member(json, "slicing")) {
    Slicing s;
    if (const auto* ds = member(*slicing, "discriminator"); ds && ds->IsArray()) {
      for (const auto& d : ds->GetArray()) {
        s.discriminators.push_back(
            Discriminator{str(stringMember(d, "type")), str(stringMember(d, "path"))});
      }
    }
    s.ordered = stringMember(*slicing, "ordered") == "true" ||
                (member(*slicing, "ordered") && member(*slicing, "ordered")->IsBool() &&
                 member(*slicing, "ordered")->GetBool());
    const std::string_view rules = stringMember(*slicing, "rules");
    if (!rules.empty()) s.rules = str(rules);
    e.slicing = std::move(s);
  }
  if (const auto* modifier = member(json, "isModifier"); modifier && modifier->IsBool()) {
    e.isModifier = modifier->GetBool();
  }
  if (const auto* ms = member(json, "mustSupport"); ms && ms->IsBool()) {
    e.mustSupport = ms->GetBool();
  }
  return e;
}

std::vector<ElementDefinition> parseElements(const rapidjson::Value& sd, const char* name) {
  std::vector<ElementDefinition> out;
  const rapidjson::Value* holder = member(sd, name);
  if (!holder) return out;
  const rapidjson::Value* elements = member(*holder, "element");
  if (!elements || !elements->IsArray()) return out;
  out.reserve(elements->Size());
  for (const auto& e : elements->GetArray()) out.push_back(parseElement(e));
  return out;
}

std::shared_ptr<StructureDefinition> parseStructureDefinition(const rapidjson::Value& json,
                                                              const std::string& source) {
  auto sd = std::make_shared<StructureDefinition>();
  sd->url = str(stringMember(json, "url"));
  sd->version = str(stringMember(json, "version"));
  sd->name = str(stringMember(json, "name"));
  sd->kind = str(stringMember(json, "kind"));
  sd->type = str(stringMember(json, "type"));
  sd->baseDefinition = str(stringMember(json, "baseDefinition"));
  sd->derivation = str(stringMember(json, "derivation"));
  if (const auto* abstract = member(json, "abstract"); abstract && abstract->IsBool()) {
    sd->isAbstract = abstract->GetBool();
  }
  if (const auto* contexts = member(json, "context"); contexts && contexts->IsArray()) {
    for (const auto& c : contexts->GetArray()) {
      sd->contexts.emplace_back(str(stringMember(c, "type")), str(stringMember(c, "expression")));
    }
  }
  sd->snapshot = parseElements(json, "snapshot");
  sd->differential = parseElements(json, "differential");
  sd->source = source;
  return sd;
}

Concept parseConcept(const rapidjson::Value& json) {
  Concept c;
  c.code = str(stringMember(json, "code"));
  c.display = str(stringMember(json, "display"));
  if (const auto* props = member(json, "property"); props && props->IsArray()) {
    for (const auto& p : props->GetArray()) {
      std::string value;
      for (auto it = p.MemberBegin(); it != p.MemberEnd(); ++it) {
        const std::string_view key(it->name.GetString(), it->name.GetStringLength());
        if (key.substr(0, 5) == "value") {
          if (it->value.IsString()) value = it->value.GetString();
          if (it->value.IsBool()) value = it->value.GetBool() ? "true" : "false";
        }
      }
      c.properties.emplace_back(str(stringMember(p, "code")), std::move(value));
    }
  }
  if (const auto* children = member(json, "concept"); children && children->IsArray()) {
    for (const auto& child : children->GetArray()) c.children.push_back(parseConcept(child));
  }
  return c;
}

std::shared_ptr<CodeSystem> parseCodeSystem(const rapidjson::Value& json) {
  auto cs = std::make_shared<CodeSystem>();
  cs->url = str(stringMember(json, "url"));
  cs->version = str(stringMember(json, "version"));
  cs->content = str(stringMember(json, "content"));
  if (const auto* sensitive = member(json, "caseSensitive"); sensitive && sensitive->IsBool()) {
    cs->caseSensitive = sensitive->GetBool();
  }
  if (const auto* concepts = member(json, "concept"); concepts && concepts->IsArray()) {
    for (const auto& c : concepts->GetArray()) cs->concepts.push_back(parseConcept(c));
  }
  return cs;
}

ValueSetInclude parseInclude(const rapidjson::Value& json) {
  ValueSetInclude include;
  include.system = str(stringMember(json, "system"));
  include.version = str(stringMember(json, "version"));
  if (const auto* concepts = member(json, "concept"); concepts && concepts->IsArray()) {
    for (const auto& c : concepts->GetArray()) {
      include.concepts.emplace_back(str(stringMember(c, "code")), str(stringMember(c, "display")));
    }
  }
  if (const auto* filters = member(json, "filter"); filters && filters->IsArray()) {
    for (const auto& f : filters->GetArray()) {
      include.filters.push_back(ValueSetFilter{str(stringMember(f, "property")),
                                               str(stringMember(f, "op")),
                                               str(stringMember(f, "value"))});
    }
  }
  include.valueSets = stringArray(json, "valueSet");
  return include;
}

void flattenContains(const rapidjson::Value& contains, ValueSet& vs) {
  if (!contains.IsArray()) return;
  for (const auto& c : contains.GetArray()) {
    const std::string_view code = stringMember(c, "code");
    if (!code.empty()) vs.expansion.emplace_back(str(stringMember(c, "system")), str(code));
    if (const auto* nested = member(c, "contains")) flattenContains(*nested, vs);
  }
}

std::shared_ptr<ValueSet> parseValueSet(const rapidjson::Value& json) {
  auto vs = std::make_shared<ValueSet>();
  vs->url = str(stringMember(json, "url"));
  vs->version = str(stringMember(json, "version"));
  if (const auto* compose = member(json, "compose")) {
    if (const auto* includes = member(*compose, "include"); includes && includes->IsArray()) {
      for (const auto& i : includes->GetArray()) vs->includes.push_back(parseInclude(i));
    }
    if (const auto* excludes = member(*compose, "exclude"); excludes && excludes->IsArray()) {
      for (const auto& i : excludes->GetArray()) vs->excludes.push_back(parseInclude(i));
    }
  }
  if (const auto* expansion = member(json, "expansion")) {
    if (const auto* contains = member(*expansion, "contains")) {
      vs->hasExpansion = true;
      flattenContains(*contains, *vs);
    }
  }
  return vs;
}

std::string_view stripVersion(std::string_view url) {
  const auto bar = url.find('|');
  return bar == std::string_view::npos ? url : url.substr(0, bar);
}

template <typename Map>
auto findVersioned(const Map& map, std::string_view url) -> decltype(map.begin()->second) {
  auto it = map.find(std::string(url));
  if (it != map.end()) return it->second;
  it = map.find(std::string(stripVersion(url)));
  if (it != map.end()) return it->second;
  return nullptr;
}

}  // namespace

ConformanceStore::ConformanceStore(std::shared_ptr<const ConformanceStore> parent)
    : parent_(std::move(parent)) {}

void ConformanceStore::add(std::shared_ptr<StructureDefinition> sd) {
  if (sd->url.empty()) return;
  if (sd->derivation == "specialization" || sd->baseDefinition.empty()) {
    typeUrls_[sd->type] = sd->url;
  }
  const std::string url = sd->url;
  if (!structureDefinitions_.count(url)) sdOrder_.push_back(url);
  if (!sd->version.empty()) structureDefinitions_[url + "|" + sd->version] = sd;
  structureDefinitions_[url] = std::move(sd);
}

Outcome ConformanceStore::loadJson(std::string_view text, const std::string& source) {
  Outcome outcome;
  rapidjson::Document document;
  document.Parse<detail::kParseFlags>(text.data(), text.size());
  if (document.HasParseError() || !document.IsObject()) {
    outcome.add(Severity::kError, "structure", source + " is not a JSON object");
    return outcome;
  }
  auto loadOne = [&](const rapidjson::Value& resource) {
    const std::string_view type = stringMember(resource, "resourceType");
    if (type == "StructureDefinition") {
      add(parseStructureDefinition(resource, source));
    } else if (type == "ValueSet") {
      auto vs = parseValueSet(resource);
      if (!vs->url.empty()) {
        if (!vs->version.empty()) valueSets_[vs->url + "|" + vs->version] = vs;
        valueSets_[vs->url] = vs;
      }
    } else if (type == "CodeSystem") {
      auto cs = parseCodeSystem(resource);
      if (!cs->url.empty()) {
        if (!cs->version.empty()) codeSystems_[cs->url + "|" + cs->version] = cs;
        codeSystems_[cs->url] = cs;
      }
    }
  };
  if (stringMember(document, "resourceType") == "Bundle") {
    if (const auto* entries = member(document, "entry"); entries && entries->IsArray()) {
      for (const auto& entry : entries->GetArray()) {
        if (const auto* resource = member(entry, "resource")) loadOne(*resource);
      }
    }
  } else {
    loadOne(document);
  }
  return outcome;
}

Outcome ConformanceStore::loadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    Outcome outcome;
    outcome.add(Severity::kFatal, "not-found", "Cannot read " + file.string());
    return outcome;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return loadJson(text.str(), file.string());
}

Outcome ConformanceStore::loadDirectory(const std::filesystem::path& directory) {
  Outcome outcome;
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    outcome.add(Severity::kFatal, "not-found", directory.string() + " is not a directory");
    return outcome;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json" &&
        entry.path().filename() != "package.json" &&
        entry.path().filename().string().rfind(".index", 0) != 0) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());  // load order must not depend on the file system
  for (const auto& file : files) outcome.append(loadFile(file));
  return outcome;
}

Outcome ConformanceStore::loadPackage(const std::filesystem::path& directory) {
  std::error_code ec;
  if (std::filesystem::is_directory(directory / "package", ec)) {
    return loadDirectory(directory / "package");
  }
  return loadDirectory(directory);
}

Outcome ConformanceStore::loadR4Core(const std::filesystem::path& directory) {
  Outcome outcome;
  for (const char* name :
       {"profiles-types.json", "profiles-resources.json", "profiles-others.json",
        "extension-definitions.json", "valuesets.json", "v3-codesystems.json", "v2-tables.json"}) {
    outcome.append(loadFile(directory / name));
  }
  return outcome;
}

ConformanceStore::SdPtr ConformanceStore::findRaw(std::string_view url) const {
  if (auto sd = findVersioned(structureDefinitions_, url)) return sd;
  return parent_ ? parent_->findRaw(url) : nullptr;
}

ConformanceStore::SdPtr ConformanceStore::withSnapshot(const SdPtr& raw, int depth) const {
  if (!raw->snapshot.empty() || raw->differential.empty()) return raw;
  const std::string key = raw->url + "|" + raw->version;
  {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = snapshots_.find(key);
    if (it != snapshots_.end()) return it->second;
  }
  Outcome issues;
  auto generated = std::make_shared<StructureDefinition>(*raw);
  SdPtr base = findRaw(raw->baseDefinition);
  if (!base) {
    issues.add(Severity::kError, "not-found",
               "Cannot generate the snapshot of " + raw->url + ": base definition " +
                   raw->baseDefinition + " is not loaded");
  } else if (depth > kMaxBaseDepth) {
    issues.add(Severity::kError, "processing", "Base definition chain too deep at " + raw->url);
    base = nullptr;
  } else {
    base = withSnapshot(base, depth + 1);
  }
  if (base && !base->snapshot.empty()) {
    auto result = generateSnapshot(*raw, *base, *this);
    issues.append(result.outcome());
    if (result.ok()) generated->snapshot = std::move(result.value());
  }
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto [it, inserted] = snapshots_.emplace(key, generated);
  if (inserted) snapshotIssues_[raw->url] = std::move(issues);
  return it->second;
}

std::shared_ptr<const StructureDefinition> ConformanceStore::structureDefinition(
    std::string_view url) const {
  SdPtr raw = findRaw(url);
  if (!raw) return nullptr;
  // Snapshots are generated and cached by the store that owns the lookup, so a package store
  // can resolve bases from itself and its parent.
  return withSnapshot(raw, 0);
}

std::shared_ptr<const StructureDefinition> ConformanceStore::typeDefinition(
    std::string_view type) const {
  auto it = typeUrls_.find(std::string(type));
  if (it != typeUrls_.end()) return structureDefinition(it->second);
  if (parent_) return parent_->typeDefinition(type);
  return nullptr;
}

const ValueSet* ConformanceStore::valueSet(std::string_view url) const {
  if (auto vs = findVersioned(valueSets_, url)) return vs.get();
  return parent_ ? parent_->valueSet(url) : nullptr;
}

const CodeSystem* ConformanceStore::codeSystem(std::string_view url) const {
  if (auto cs = findVersioned(codeSystems_, url)) return cs.get();
  return parent_ ? parent_->codeSystem(url) : nullptr;
}

Outcome ConformanceStore::snapshotIssues(std::string_view url) const {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto it = snapshotIssues_.find(url);
  return it == snapshotIssues_.end() ? Outcome{} : it->second;
}

}  // namespace notebridge::validation
