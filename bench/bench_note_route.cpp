// POST /notes without HTTP and without the store: the CPU a note costs on its request thread
// before and after the store's turn, phase by phase, on the load bench's note.
//   bench_note_route [--seconds S] [--cold-mb N]
// Each note is tests/data/mappers/soap.note.json grown to ~4 KB (as bench/run_load_bench.sh
// does), with its own note id and one client per 10 notes (as bench/load/post_notes.lua does):
// parse (mappers::parseNote), record (noteRecordFor: canonical JSON and its SHA-256), map
// (mapNote: noteToFhir, references, ValidationCache, templatedWrite) and answer (postAnswer).
// --cold-mb N touches N MB of other memory between notes (not timed), which is what the server's
// 16 request threads, its writer and checkpointer do to a request's caches between two phases
// (bench/README.md, session 6, cpu9). Prints one JSON line: thread-CPU µs per note per phase.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "notebridge/mappers/note_json.h"
#include "notebridge/validation/standard_definitions.h"
#include "notes_api/note_routes.h"

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string replaceFirst(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

int usage() {
  std::fprintf(stderr, "usage: bench_note_route [--seconds S] [--cold-mb N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace notebridge;
  double seconds = 3.0;
  std::size_t coldMb = 0;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if ((flag != "--seconds" && flag != "--cold-mb") || i + 1 >= argc) return usage();
    const std::string value = argv[i + 1];
    // Plain non-negative numbers: std::stoul would take "-1" as a huge count.
    if (value.empty() || value.find_first_not_of("0123456789.") != std::string::npos) {
      return usage();
    }
    try {
      std::size_t used = 0;
      if (flag == "--seconds") {
        seconds = std::stod(value, &used);
      } else {
        coldMb = std::stoul(value, &used);
      }
      if (used != value.size()) return usage();
    } catch (const std::exception&) {
      return usage();
    }
  }
  std::ifstream in(std::string(NOTEBRIDGE_SOURCE_DIR) + "/tests/data/mappers/soap.note.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto seed = mappers::parseNote(text);
  if (!seed) {
    std::fprintf(stderr, "the note fixture does not parse\n");
    return 1;
  }
  seed->noteId = "__NOTE_ID__";
  seed->client.id = "__CLIENT_ID__";
  for (auto& section : seed->sections) {
    if (section.name != "subjective") continue;
    const std::string extra =
        " Client described the week in detail, including sleep, appetite and work stress.";
    while (mappers::writeNote(*seed, false).size() < 4096) section.text += extra;
  }
  const std::string templateJson = mappers::writeNote(*seed, false);

  auto standard = validation::loadStandardDefinitions();
  if (!standard) {
    std::fprintf(stderr, "cannot load definitions\n");
    return 1;
  }
  auto validator = std::make_shared<const validation::Validator>(*standard);
  gateway::ValidationCache cache(validator, gateway::ValidationCache::noteSharedTypes());

  std::vector<char> other(coldMb << 20, 1);
  double parseCpu = 0, recordCpu = 0, mapCpu = 0, answerCpu = 0;
  long notes = 0;
  std::size_t answerBytes = 0;
  const auto one = [&](long n, bool timed) {
    std::string body = replaceFirst(templateJson, "__NOTE_ID__", "bench-" + std::to_string(n));
    body = replaceFirst(body, "__CLIENT_ID__", "client-" + std::to_string(n / 10));
    for (std::size_t i = 0; i < other.size(); i += 64) other[i] = static_cast<char>(other[i] + 1);
    const double t0 = threadCpuSeconds();
    auto parsed = mappers::parseNote(body, mappers::ParseMode::kStrict);
    const double t1 = threadCpuSeconds();
    if (!parsed) {
      std::fprintf(stderr, "the note does not parse:\n%s\n",
                   parsed.outcome().toOperationOutcomeJson(true).c_str());
      std::exit(1);
    }
    gateway::NoteRecord record = gateway::noteRecordFor(*parsed, "internal");
    const double t2 = threadCpuSeconds();
    auto mapped = gateway::mapNote(*parsed, &cache);
    const double t3 = threadCpuSeconds();
    if (!mapped) {
      std::fprintf(stderr, "the note does not map:\n%s\n",
                   mapped.outcome().toOperationOutcomeJson(true).c_str());
      std::exit(1);
    }
    fhir::Outcome warnings = parsed.outcome();
    warnings.append(mapped.outcome());
    const std::string answer = gateway::postAnswer(record, mapped->refs, {}, warnings);
    const double t4 = threadCpuSeconds();
    if (timed) {
      parseCpu += t1 - t0;
      recordCpu += t2 - t1;
      mapCpu += t3 - t2;
      answerCpu += t4 - t3;
      answerBytes = answer.size();
    }
  };
  long n = 0;
  for (int i = 0; i < 50; ++i) one(n++, false);
  const auto start = std::chrono::steady_clock::now();
  do {
    for (int i = 0; i < 20; ++i) one(n++, true);
    notes += 20;
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
           seconds);
  const double total = parseCpu + recordCpu + mapCpu + answerCpu;
  std::printf(
      "{\"bench\":\"note_route\",\"cold_mb\":%zu,\"notes\":%ld,\"note_bytes\":%zu,"
      "\"answer_bytes\":%zu,\"parse_us\":%.1f,\"record_us\":%.1f,\"map_us\":%.1f,"
      "\"answer_us\":%.1f,\"cpu_us_per_note\":%.1f,\"validation_cache_hits_per_note\":%.2f,"
      "\"write_hits_per_note\":%.2f}\n",
      coldMb, notes, templateJson.size(), answerBytes, parseCpu * 1e6 / notes,
      recordCpu * 1e6 / notes, mapCpu * 1e6 / notes, answerCpu * 1e6 / notes, total * 1e6 / notes,
      static_cast<double>(cache.hits()) / static_cast<double>(n),
      static_cast<double>(cache.writeHits()) / static_cast<double>(n));
  return 0;
}
