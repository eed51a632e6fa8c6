#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/structure_definition.h"

namespace notebridge::validation {

// The conformance resources validation works from: StructureDefinitions, ValueSets and
// CodeSystems, looked up by canonical URL ("url" or "url|version"; a plain URL finds the one
// loaded last). A store may sit on a parent store (e.g. the R4 core, loaded once) and sees its
// resources behind its own.
//
// Loading is not thread-safe: load everything, then share the store as const. Lookups are
// thread-safe; a StructureDefinition without snapshot gets one generated on first lookup
// (cached). Loading never throws: problems come back as issues.
class ConformanceStore {
 public:
  explicit ConformanceStore(std::shared_ptr<const ConformanceStore> parent = nullptr);

  // A JSON resource or a Bundle of them (only StructureDefinition, ValueSet, CodeSystem are
  // kept). `source` names the input in messages.
  fhir::Outcome loadJson(std::string_view text, const std::string& source);
  fhir::Outcome loadFile(const std::filesystem::path& file);
  // Every *.json file in `directory` (not recursive).
  fhir::Outcome loadDirectory(const std::filesystem::path& directory);
  // A FHIR package folder (`<dir>/package/*.json`, or the package folder itself).
  fhir::Outcome loadPackage(const std::filesystem::path& directory);
  // The R4 core definitions as unpacked by the build (types, resources, extensions, value sets,
  // code systems). A missing file is a fatal issue.
  fhir::Outcome loadR4Core(const std::filesystem::path& directory);

  // The definition with a snapshot, or null when unknown. Issues met while generating its
  // snapshot are in snapshotIssues(url).
  std::shared_ptr<const StructureDefinition> structureDefinition(std::string_view url) const;
  // The base definition of a type code ("Patient", "string", "Extension"), or null.
  std::shared_ptr<const StructureDefinition> typeDefinition(std::string_view type) const;
  const ValueSet* valueSet(std::string_view url) const;
  const CodeSystem* codeSystem(std::string_view url) const;
  fhir::Outcome snapshotIssues(std::string_view url) const;

  // Every StructureDefinition URL of this store (not of the parent), in load order.
  const std::vector<std::string>& structureDefinitionUrls() const { return sdOrder_; }

 private:
  using SdPtr = std::shared_ptr<const StructureDefinition>;
  void add(std::shared_ptr<StructureDefinition> sd);
  SdPtr findRaw(std::string_view url) const;
  SdPtr withSnapshot(const SdPtr& raw, int depth) const;

  std::shared_ptr<const ConformanceStore> parent_;
  std::unordered_map<std::string, SdPtr> structureDefinitions_;
  std::vector<std::string> sdOrder_;
  std::unordered_map<std::string, std::string> typeUrls_;  // type code -> base definition URL
  std::unordered_map<std::string, std::shared_ptr<const ValueSet>> valueSets_;
  std::unordered_map<std::string, std::shared_ptr<const CodeSystem>> codeSystems_;

  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, SdPtr> snapshots_;
  mutable std::map<std::string, fhir::Outcome, std::less<>> snapshotIssues_;
};

}  // namespace notebridge::validation
