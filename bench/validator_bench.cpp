// DocumentReferences (realistic progress notes) validated per second on one thread, against our
// progress-note profile and against US Core 6.1.0 DocumentReference. Prints one JSON object per
// measurement. Usage:
//   bench_validator [--docs N] [--seconds S] [--shared DIR] [--corpus-out FILE] [--only mapped]
// The `mapped_note` lines validate what POST /notes validates per note: the resources of
// tests/data/mappers/soap.note.json (subjective grown to a ~4 KB note, as bench/load does)
// mapped by mappers::noteToFhir, each taken out of the Bundle with its urn:uuid references
// rewritten to Type/id; `all` is every resource, `per_note` leaves out the four types the
// gateway's ValidationCache answers from memory (Patient, Practitioner, PractitionerRole,
// Organization). Rates by process CPU time.
// --shared is the ../shared folder (for the US Core package); --corpus-out writes the generated
// notes as a JSON array, for the @medplum/core comparison (bench/run_validator_bench.sh).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"
#include "notes_api/note_routes.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kOurProfile = "https://notebridge.io/fhir/StructureDefinition/progress-note";
constexpr const char* kUsCore =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference|6.1.0";

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A SOAP/DAP/BIRP note of 1-6 KB, as the mappers would render it.
std::string noteText(std::mt19937& rng) {
  static const char* kSentences[] = {
      "Client reports improved sleep over the past week. ",
      "Mood described as 'more even', affect congruent. ",
      "Discussed triggers at work and practiced cognitive restructuring. ",
      "PHQ-9 administered; score reviewed with the client. ",
      "No suicidal ideation, plan or intent reported. ",
      "Homework: thought record daily and one pleasant activity. ",
      "Continue weekly CBT; reassess GAD-7 in two weeks. "};
  static const char* kHeadings[] = {"S: ", "O: ", "A: ", "P: "};
  std::uniform_int_distribution<int> sentences(4, 25);
  std::uniform_int_distribution<int> pick(0, 6);
  std::string text;
  for (const char* heading : kHeadings) {
    text += heading;
    const int n = sentences(rng);
    for (int i = 0; i < n; ++i) text += kSentences[pick(rng)];
    text += "\n";
  }
  return text;
}

std::string makeNote(int index, std::mt19937& rng) {
  const std::string text = noteText(rng);
  const int day = 1 + index % 28;
  char date[64];
  std::snprintf(date, sizeof date, "2025-03-%02d", day);
  const std::string d(date);
  const std::string id = std::to_string(10000 + index);
  std::string json;
  json += R"({"resourceType":"DocumentReference","id":"note-)" + id + R"(-v1",)";
  json +=
      R"("meta":{"profile":[")" + std::string(kOurProfile) +
      R"("],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},)";
  json += R"("identifier":[{"system":"https://notebridge.io/fhir/sid/note","value":")" + id +
          R"(-v1"}],)";
  json += R"("status":"current","docStatus":"final",)";
  json +=
      R"("type":{"coding":[{"system":"http://loinc.org","code":"34904-3","display":"Mental health Progress note"}]},)";
  json +=
      R"("category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category","code":"clinical-note","display":"Clinical Note"}]}],)";
  json += R"("subject":{"reference":"Patient/client-)" + std::to_string(index % 300) + R"("},)";
  json += R"("date":")" + d + R"(T16:10:00-05:00",)";
  json +=
      R"("author":[{"reference":"Practitioner/therapist-)" + std::to_string(index % 12) + R"("}],)";
  json +=
      R"("securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}],)";
  json += R"("content":[{"attachment":{"contentType":"text/plain; charset=utf-8","data":")" +
          base64(text) + R"(","size":)" + std::to_string(text.size()) +
          R"(,"title":"Progress note","creation":")" + d + R"(T16:05:00-05:00"}}],)";
  json += R"("context":{"encounter":[{"reference":"Encounter/enc-)" + id + R"("}],)";
  json +=
      R"("period":{"start":")" + d + R"(T15:00:00-05:00","end":")" + d + R"(T15:53:00-05:00"}}})";
  return json;
}

struct Measurement {
  long docs = 0;
  double seconds = 0;
};

template <typename F>
Measurement measure(double seconds, std::size_t count, F&& once) {
  Measurement m;
  const auto start = Clock::now();
  std::size_t i = 0;
  while (true) {
    once(i % count);
    ++i;
    ++m.docs;
    if ((m.docs & 63) == 0) {
      m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (m.seconds >= seconds) break;
    }
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return m;
}

void print(const char* profile, const char* mode, const Measurement& m, std::size_t bytes) {
  std::printf(
      "{\"bench\":\"validator\",\"profile\":\"%s\",\"mode\":\"%s\",\"docs\":%ld,\"seconds\":%.3f,"
      "\"docs_per_second\":%.0f,\"avg_doc_bytes\":%zu}\n",
      profile, mode, m.docs, m.seconds, m.docs / m.seconds, bytes);
  std::fflush(stdout);
}

// The resources of a mapped note as the gateway validates them (note_routes.cpp mapNote).
std::vector<notebridge::fhir::Element::Ptr> mappedNoteResources(const std::string& sourceDir) {
  std::ifstream in(sourceDir + "/tests/data/mappers/soap.note.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto note = notebridge::mappers::parseNote(text);
  if (!note) return {};
  for (auto& section : note->sections) {
    if (section.name != "subjective") continue;
    while (section.text.size() < 3000) {
      section.text += " Client described the week in detail, including sleep, appetite and work.";
    }
  }
  auto bundle = notebridge::mappers::noteToFhir(*note);
  if (!bundle) return {};
  std::map<std::string, std::string> targets;
  for (const auto* entry : (*bundle)->childrenNamed("entry")) {
    const auto* resource = entry->child("resource");
    const std::string url(entry->childValue("fullUrl"));
    if (resource && url.rfind("urn:uuid:", 0) == 0)
      targets[url] = resource->type() + "/" + url.substr(9);
  }
  std::vector<notebridge::fhir::Element::Ptr> out;
  for (const auto& entry : (*bundle)->children()) {
    if (entry->name() != "entry") continue;
    for (std::size_t i = 0; i < entry->children().size(); ++i) {
      if (entry->children()[i]->name() != "resource") continue;
      auto resource = entry->removeChild(i);
      notebridge::gateway::rewriteReferences(*resource, targets);
      out.push_back(std::move(resource));
      break;
    }
  }
  return out;
}

bool sharedType(const std::string& type) {
  return type == "Patient" || type == "Practitioner" || type == "PractitionerRole" ||
         type == "Organization";
}

// Validates the mapped note's resources for `seconds`; prints notes and resources per CPU second.
void benchMappedNote(const notebridge::validation::Validator& validator,
                     const std::vector<notebridge::fhir::Element::Ptr>& resources, bool perNote,
                     double seconds) {
  std::vector<const notebridge::fhir::Element*> selected;
  for (const auto& r : resources) {
    if (!perNote || !sharedType(r->type())) selected.push_back(r.get());
  }
  const auto once = [&] {
    for (const auto* r : selected) (void)validator.validate(*r);
  };
  for (int i = 0; i < 50; ++i) once();
  const auto start = Clock::now();
  const std::clock_t cpuStart = std::clock();
  long notes = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 20; ++i) once();
    notes += 20;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  const double cpu = static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC;
  std::printf(
      "{\"bench\":\"validator\",\"profile\":\"mapped_note\",\"mode\":\"%s\","
      "\"resources_per_note\":%zu,\"notes\":%ld,\"cpu_seconds\":%.3f,"
      "\"notes_per_cpu_second\":%.0f,\"resources_per_cpu_second\":%.0f,"
      "\"cpu_us_per_note\":%.1f}\n",
      perNote ? "per_note" : "all", selected.size(), notes, cpu, notes / cpu,
      static_cast<double>(notes * static_cast<long>(selected.size())) / cpu, cpu * 1e6 / notes);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 1000;
  double seconds = 3.0;
  std::string shared;
  std::string corpusOut;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--docs") count = static_cast<std::size_t>(std::stoul(argv[i + 1]));
    if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    if (flag == "--shared") shared = argv[i + 1];
    if (flag == "--corpus-out") corpusOut = argv[i + 1];
    if (flag == "--only") only = argv[i + 1];
  }
  std::mt19937 rng(20250304);
  std::vector<std::string> notes;
  std::size_t totalBytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    notes.push_back(makeNote(static_cast<int>(i), rng));
    totalBytes += notes.back().size();
  }
  const std::size_t avgBytes = totalBytes / count;
  if (!corpusOut.empty()) {
    std::ofstream out(corpusOut);
    out << '[';
    for (std::size_t i = 0; i < notes.size(); ++i) out << (i ? ",\n" : "") << notes[i];
    out << "]\n";
  }

  auto standard = notebridge::validation::loadStandardDefinitions();
  if (!standard.ok()) {
    std::cerr << "cannot load definitions\n";
    return 1;
  }
  std::shared_ptr<const notebridge::validation::ConformanceStore> ours = *standard;
  const notebridge::validation::Validator validator(ours);
  auto registry = notebridge::fhir::DefinitionRegistry::r4();

  {
    const auto resources = mappedNoteResources(NOTEBRIDGE_SOURCE_DIR);
    if (resources.empty()) {
      std::cerr << "the mapped note could not be built\n";
      return 1;
    }
    for (const auto& r : resources) {
      const auto outcome = validator.validate(*r);
      if (std::getenv("BENCH_SHOW_ISSUES")) {  // what each resource costs in reported issues
        for (const auto& issue : outcome.issues()) {
          std::cerr << r->type() << " " << notebridge::fhir::toString(issue.severity) << " "
                    << issue.expression << ": " << issue.diagnostics << "\n";
        }
      }
      if (outcome.hasErrors()) {
        std::cerr << "mapped " << r->type() << " is invalid:\n"
                  << outcome.toOperationOutcomeJson(true);
        return 1;
      }
    }
    benchMappedNote(validator, resources, false, seconds);
    benchMappedNote(validator, resources, true, seconds);
    if (only == "mapped") return 0;
  }

  std::vector<notebridge::fhir::Element::Ptr> trees;
  for (const auto& note : notes) {
    auto parsed = notebridge::fhir::parseJson(note, *registry);
    if (!parsed.ok()) {
      std::cerr << "generated note does not parse\n";
      return 1;
    }
    trees.push_back(std::move(*parsed));
  }
  // Every generated note must be valid, or the figures mean nothing.
  for (std::size_t i = 0; i < std::min<std::size_t>(count, 50); ++i) {
    const auto outcome = validator.validate(*trees[i]);
    if (outcome.hasErrors()) {
      std::cerr << "generated note " << i << " is invalid:\n"
                << outcome.toOperationOutcomeJson(true);
      return 1;
    }
  }

  print("progress-note", "validate",
        measure(seconds, count, [&](std::size_t i) { (void)validator.validate(*trees[i]); }),
        avgBytes);
  if (std::getenv("BENCH_QUICK")) return 0;
  print("progress-note", "parse+validate",
        measure(seconds, count, [&](std::size_t i) { (void)validator.validateJson(notes[i]); }),
        avgBytes);

  if (!shared.empty()) {
    auto layered = std::make_shared<notebridge::validation::ConformanceStore>(ours);
    layered->loadPackage(shared + "/fhir-packages/hl7.fhir.us.core#6.1.0");
    const notebridge::validation::Validator usCore(layered);
    notebridge::validation::ValidationOptions options;
    options.useMetaProfiles = false;
    options.profiles = {kUsCore};
    const auto check = usCore.validate(*trees[0], options);
    if (check.hasErrors()) {
      std::cerr << "generated note 0 is invalid against US Core:\n"
                << check.toOperationOutcomeJson(true);
      return 1;
    }
    print(
        "us-core-documentreference-6.1.0", "validate",
        measure(seconds, count, [&](std::size_t i) { (void)usCore.validate(*trees[i], options); }),
        avgBytes);
    print("us-core-documentreference-6.1.0", "parse+validate",
          measure(seconds, count,
                  [&](std::size_t i) { (void)usCore.validateJson(notes[i], options); }),
          avgBytes);
  }
  return 0;
}
