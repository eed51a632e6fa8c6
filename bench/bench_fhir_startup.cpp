// Start-up cost of the FHIR core: time and resident memory to load the R4 definitions and be
// ready to parse (first resource parsed, which compiles the types it needs), then the memory with
// every type compiled. Prints one JSON object.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "notebridge/fhir/json_format.h"

namespace {

long statusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

}  // namespace

int main() {
  using Clock = std::chrono::steady_clock;
  const long rssBefore = statusKb("VmRSS:");
  const auto start = Clock::now();
  auto loaded = notebridge::fhir::DefinitionRegistry::load(notebridge::fhir::RegistryOptions{});
  if (!loaded.ok()) {
    std::cerr << loaded.outcome().toOperationOutcomeJson(true) << '\n';
    return 1;
  }
  const auto& registry = *loaded.value();
  const auto indexed = Clock::now();
  const char* observation =
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},)"
      R"("subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-11-29T10:00:00Z","valueInteger":12})";
  auto parsed = notebridge::fhir::parseJson(observation, registry);
  if (!parsed.ok()) return 1;
  const auto ready = Clock::now();
  const long rssReady = statusKb("VmRSS:");
  const long hwmReady = statusKb("VmHWM:");
  for (const auto& type : registry.resourceTypes()) registry.findType(type);
  const auto all = Clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::cout << "{\"bench\":\"fhir_startup\",\"definitions_indexed\":" << registry.size()
            << ",\"index_ms\":" << ms(start, indexed) << ",\"ready_ms\":" << ms(start, ready)
            << ",\"rss_before_kb\":" << rssBefore << ",\"rss_ready_kb\":" << rssReady
            << ",\"peak_rss_ready_kb\":" << hwmReady
            << ",\"compile_all_resource_types_ms\":" << ms(ready, all)
            << ",\"rss_all_types_kb\":" << statusKb("VmRSS:")
            << ",\"peak_rss_kb\":" << statusKb("VmHWM:") << "}\n";
  return 0;
}
