// Notes mapped per second, each way, for a ~4 KB SOAP note with two scores (issue 6: target
// 20,000/s per core each way). Prints one JSON object per measurement on stdout.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/mappers/fhir_to_note.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"

namespace {

using namespace notebridge;

std::string paragraph(int sentences) {
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    out += "Client described the week in detail, including sleep, work stress and coping steps";
    out += " (sentence " + std::to_string(i + 1) + "). ";
  }
  return out;
}

std::string soapNoteJson() {
  return R"({"noteId": "N-BENCH-1", "version": 1, "status": "signed", "format": "SOAP",
  "sections": {"subjective": ")" +
         paragraph(12) + R"(", "objective": ")" + paragraph(8) + R"(", "assessment": ")" +
         paragraph(8) + R"(", "plan": ")" + paragraph(6) + R"("},
  "client": {"id": "C-1", "names": [{"family": "Rivera", "given": ["Ana"]}],
             "birthDate": "1988-07-14", "sex": "female",
             "identifiers": [{"type": "MR", "system": "https://practice.example.org/mrn", "value": "55821"}]},
  "clinician": {"id": "P-7", "names": [{"family": "Okafor", "given": ["Daniel"]}],
                "npi": "1234567893", "credentials": ["LCSW"]},
  "practice": {"name": "Riverside Counseling Group", "npi": "1987654328"},
  "session": {"start": "2025-03-04T15:00:00-05:00", "end": "2025-03-04T15:55:00-05:00",
              "minutes": 55, "modality": "video", "placeOfService": "10", "cpt": "90837",
              "modifiers": ["95"]},
  "diagnoses": [{"code": "F41.1", "display": "Generalized anxiety disorder", "rank": 1}],
  "measures": [{"instrument": "PHQ-9", "total": 12}, {"instrument": "GAD-7", "total": 13}],
  "signature": {"signedAt": "2025-03-04T17:20:00-05:00", "attestation": "Signed."}})";
}

// Rates from wall time and from this process's CPU time: the machine may be shared, and CPU
// time is the fairer "per core" figure then.
// Only the benchmarks whose name contains this text run (all when empty): for profiling one.
std::string gFilter;

template <typename F>
void measure(const char* name, std::size_t inputBytes, F&& once) {
  if (!gFilter.empty() && std::string(name).find(gFilter) == std::string::npos) return;
  for (int i = 0; i < 200; ++i) once();  // warm up
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpuStart = std::clock();
  long count = 0;
  std::chrono::duration<double> elapsed{};
  do {
    for (int i = 0; i < 500; ++i) once();
    count += 500;
    elapsed = std::chrono::steady_clock::now() - start;
  } while (elapsed.count() < 2.0);
  const double cpu = static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC;
  std::printf(
      "{\"benchmark\": \"%s\", \"input_bytes\": %zu, \"notes\": %ld, \"wall_seconds\": %.3f, "
      "\"cpu_seconds\": %.3f, \"notes_per_second_wall\": %.0f, \"notes_per_cpu_second\": %.0f}\n",
      name, inputBytes, count, elapsed.count(), cpu, static_cast<double>(count) / elapsed.count(),
      static_cast<double>(count) / cpu);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) gFilter = argv[1];
  const std::string noteJson = soapNoteJson();
  auto note = mappers::parseNote(noteJson);
  if (!note) {
    std::fprintf(stderr, "benchmark note does not parse\n");
    return 1;
  }
  auto bundle = mappers::noteToFhir(*note);
  const std::string bundleJson = fhir::writeJson(**bundle);
  auto registry = fhir::DefinitionRegistry::r4();
  if (!registry) {
    std::fprintf(stderr, "R4 definitions not found\n");
    return 1;
  }
  volatile std::size_t sink = 0;

  // note -> FHIR: the mapping alone (Note to Bundle tree), then text to text.
  measure("note_to_fhir_tree", noteJson.size(), [&] {
    auto b = mappers::noteToFhir(*note);
    sink = sink + (*b)->children().size();
  });
  measure("note_json_to_fhir_json", noteJson.size(), [&] {
    auto n = mappers::parseNote(noteJson);
    auto b = mappers::noteToFhir(*n);
    sink = sink + fhir::writeJson(**b).size();
  });
  // FHIR -> note: the mapping alone (Bundle tree to Note), then text to text.
  measure("fhir_tree_to_note", bundleJson.size(), [&] {
    auto n = mappers::fhirToNote(**bundle);
    sink = sink + n->sections.size();
  });
  measure("fhir_json_to_note_json", bundleJson.size(), [&] {
    auto tree = fhir::parseJson(bundleJson, *registry);
    auto n = mappers::fhirToNote(**tree);
    sink = sink + mappers::writeNote(*n, false).size();
  });
  // The parts of the text-level figures, to see where the time goes.
  measure("part_parse_note_json", noteJson.size(), [&] {
    auto n = mappers::parseNote(noteJson);
    sink = sink + n->sections.size();
  });
  auto parsedNote = mappers::fhirToNote(**bundle);
  const std::string readBackJson = mappers::writeNote(*parsedNote, false);
  measure("part_write_note_json", readBackJson.size(),
          [&] { sink = sink + mappers::writeNote(*parsedNote, false).size(); });
  measure("part_write_fhir_json", bundleJson.size(),
          [&] { sink = sink + fhir::writeJson(**bundle).size(); });
  measure("part_parse_fhir_json", bundleJson.size(), [&] {
    auto tree = fhir::parseJson(bundleJson, *registry);
    sink = sink + (*tree)->children().size();
  });
  return sink == 0 ? 2 : 0;
}
