// Parse and serialize throughput of the FHIR JSON and XML codecs on a generated corpus of
// progress-note DocumentReferences (4-8 KB base64 note text), Observations and transaction
// Bundles, beside raw RapidJSON parse+write of the same bytes. Prints one JSON object per line.
//
// usage: bench_fhir_codecs [seconds-per-measurement (default 1)]
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/xml_format.h"

using namespace notebridge::fhir;

namespace {

// Deterministic xorshift so every run measures the same corpus.
struct Random {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  int between(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

std::string base64Text(Random& rng, int bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(static_cast<std::size_t>(bytes));
  for (int i = 0; i < bytes; ++i) out += kAlphabet[rng.next() % 64];
  return out;
}

std::string id(Random& rng) { return std::to_string(rng.next() % 1000000000ull); }

std::string documentReference(Random& rng) {
  const int noteBytes = rng.between(4096, 8192) / 4 * 4;
  return R"({"resourceType":"DocumentReference","id":"note-)" + id(rng) +
         R"(","meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"]},)"
         R"("identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:)" +
         id(rng) +
         R"("}],)"
         R"("status":"current","docStatus":"final","type":{"coding":[{"system":"http://loinc.org","code":"11506-3","display":"Progress note"}],"text":"SOAP progress note"},)"
         R"("category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category","code":"clinical-note"}]}],)"
         R"("subject":{"reference":"Patient/)" +
         id(rng) + R"("},"date":"2026-11-2)" + std::to_string(rng.between(0, 9)) +
         R"(T10:15:00Z",)"
         R"("author":[{"reference":"Practitioner/)" +
         id(rng) +
         R"(","display":"Dr. A. Clinician"}],)"
         R"("securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}],)"
         R"("content":[{"attachment":{"contentType":"text/plain; charset=utf-8","language":"en-US","data":")" +
         base64Text(rng, noteBytes) +
         R"(","title":"Session note","creation":"2026-11-29T10:00:00Z"},)"
         R"("format":{"system":"http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode","code":"urn:ihe:iti:xds:2017:mimeTypeSufficient"}}],)"
         R"("context":{"encounter":[{"reference":"Encounter/)" +
         id(rng) +
         R"("}],"period":{"start":"2026-11-29T09:00:00Z","end":"2026-11-29T09:50:00Z"}}})";
}

std::string observation(Random& rng) {
  return R"({"resourceType":"Observation","id":"obs-)" + id(rng) +
         R"(","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],)"
         R"("code":{"coding":[{"system":"http://loinc.org","code":"44261-6","display":"PHQ-9 total score"}]},)"
         R"("subject":{"reference":"Patient/)" +
         id(rng) +
         R"("},"effectiveDateTime":"2026-11-29T10:00:00Z",)"
         R"("valueQuantity":{"value":)" +
         std::to_string(rng.between(0, 27)) + "." + std::to_string(rng.between(0, 9)) +
         R"(0,"unit":"{score}","system":"http://unitsofmeasure.org","code":"{score}"},)"
         R"("interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"H"}]}],)"
         R"("component":[{"code":{"text":"item 1"},"valueInteger":)" +
         std::to_string(rng.between(0, 3)) + R"(},{"code":{"text":"item 9"},"valueInteger":)" +
         std::to_string(rng.between(0, 3)) + "}]}";
}

std::string bundle(Random& rng) {
  std::string out =
      R"({"resourceType":"Bundle","id":"tx-)" + id(rng) + R"(","type":"transaction","entry":[)";
  for (int i = 0; i < 6; ++i) {
    if (i) out += ',';
    const bool doc = i == 0;
    const std::string resource = doc ? documentReference(rng) : observation(rng);
    out += R"({"fullUrl":"urn:uuid:)" + id(rng) + R"(","resource":)" + resource +
           R"(,"request":{"method":"PUT","url":")" + (doc ? "DocumentReference" : "Observation") +
           "/" + id(rng) + R"("}})";
  }
  return out + "]}";
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `work` (one pass over the corpus) until `budget` seconds passed; returns passes/second.
template <typename F>
double passesPerSecond(double budget, F&& work) {
  const auto start = std::chrono::steady_clock::now();
  int passes = 0;
  do {
    work();
    ++passes;
  } while (seconds(std::chrono::steady_clock::now() - start) < budget);
  return passes / seconds(std::chrono::steady_clock::now() - start);
}

void report(const char* name, const char* corpus, double passes, std::size_t bytes,
            std::size_t resources) {
  std::cout << "{\"bench\":\"" << name << "\",\"corpus\":\"" << corpus
            << "\",\"mb_per_s\":" << passes * static_cast<double>(bytes) / 1e6
            << ",\"resources_per_s\":" << passes * static_cast<double>(resources) << "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  auto registry = DefinitionRegistry::r4();
  if (!registry) return 1;
  Random rng;
  struct Corpus {
    const char* name;
    std::vector<std::string> json;
    std::vector<std::string> xml;
    std::vector<Element::Ptr> trees;
    std::size_t jsonBytes = 0;
    std::size_t xmlBytes = 0;
  };
  std::vector<Corpus> corpora(4);
  corpora[0].name = "document_reference";
  corpora[1].name = "observation";
  corpora[2].name = "transaction_bundle";
  corpora[3].name = "mixed";
  for (int i = 0; i < 200; ++i) corpora[0].json.push_back(documentReference(rng));
  for (int i = 0; i < 2000; ++i) corpora[1].json.push_back(observation(rng));
  for (int i = 0; i < 50; ++i) corpora[2].json.push_back(bundle(rng));
  for (int c = 0; c < 3; ++c) {
    for (const auto& j : corpora[c].json) corpora[3].json.push_back(j);
  }
  for (Corpus& corpus : corpora) {
    for (const auto& text : corpus.json) {
      auto parsed = parseJson(text, *registry);
      if (!parsed.ok()) {
        std::cerr << corpus.name << ": " << parsed.outcome().toOperationOutcomeJson(true) << '\n';
        return 1;
      }
      corpus.xml.push_back(writeXml(*parsed.value()));
      corpus.trees.push_back(std::move(parsed).value());
      corpus.jsonBytes += text.size();
      corpus.xmlBytes += corpus.xml.back().size();
    }
  }

  for (Corpus& corpus : corpora) {
    const std::size_t n = corpus.json.size();
    std::size_t sink = 0;
    const double parse = passesPerSecond(budget, [&] {
      for (const auto& text : corpus.json) sink += parseJson(text, *registry).ok();
    });
    report("json_parse", corpus.name, parse, corpus.jsonBytes, n);
    const double write = passesPerSecond(budget, [&] {
      for (const auto& tree : corpus.trees) sink += writeJson(*tree).size();
    });
    report("json_write", corpus.name, write, corpus.jsonBytes, n);
    const double roundTrip = passesPerSecond(budget, [&] {
      for (const auto& text : corpus.json) {
        auto parsed = parseJson(text, *registry);
        sink += writeJson(*parsed.value()).size();
      }
    });
    report("json_parse_write", corpus.name, roundTrip, corpus.jsonBytes, n);
    // The baseline: RapidJSON DOM parse (same flags: iterative, numbers as text, UTF-8
    // validated) and compact write of the same bytes.
    const double raw = passesPerSecond(budget, [&] {
      for (const auto& text : corpus.json) {
        rapidjson::Document doc;
        doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
                  rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        doc.Accept(writer);
        sink += buffer.GetSize();
      }
    });
    report("rapidjson_parse_write", corpus.name, raw, corpus.jsonBytes, n);
    std::cout << "{\"bench\":\"json_ratio_vs_rapidjson\",\"corpus\":\"" << corpus.name
              << "\",\"ratio\":" << roundTrip / raw << "}\n";
    const double xmlParse = passesPerSecond(budget, [&] {
      for (const auto& text : corpus.xml) sink += parseXml(text, *registry).ok();
    });
    report("xml_parse", corpus.name, xmlParse, corpus.xmlBytes, n);
    const double xmlWrite = passesPerSecond(budget, [&] {
      for (const auto& tree : corpus.trees) sink += writeXml(*tree).size();
    });
    report("xml_write", corpus.name, xmlWrite, corpus.xmlBytes, n);
    if (sink == 0) std::cerr << "nothing measured\n";
  }
  return 0;
}
