// Deliveries per second through the real outbox path: notes stored in SQLite (WAL,
// synchronous=FULL) with one outbox row each, claimed in batches by the outbox workers, planned
// by the outbound transform (JSON parse and write of the ~20-resource transaction Bundle), sent
// over HTTP keep-alive to a loopback receiver that answers 201 at once, and recorded as
// delivered. One JSON line per concurrency.
// Usage: bench_delivery [NOTES] [CONCURRENCY...]   (defaults: 3000 notes, concurrency 1 and 8)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/outbox_worker.h"
#include "notebridge/gateway/sqlite_store.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"
#include "scripted_receiver.h"

using namespace notebridge;
using namespace notebridge::gateway;

namespace {

std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  const int notes = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::vector<int> levels;
  for (int i = 2; i < argc; ++i) levels.push_back(std::atoi(argv[i]));
  if (levels.empty()) levels = {1, 8};

  auto registry = fhir::DefinitionRegistry::load(fhir::RegistryOptions{});
  if (!registry) {
    std::cerr << "cannot load the FHIR definitions\n";
    return 1;
  }
  auto note = mappers::parseNote(
      readText(std::filesystem::path(NOTEBRIDGE_SOURCE_DIR) / "tests/data/mappers/soap.note.json"));
  if (!note) {
    std::cerr << "cannot read the sample note\n";
    return 1;
  }
  auto transform = std::make_shared<const OutboundTransform>(*registry, nullptr);

  const char* storedBundle = std::getenv("NB_BENCH_STORED_BUNDLE");
  for (int concurrency : levels) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("notebridge-bench-delivery-" + std::to_string(std::random_device{}()));
    auto store = *SqliteStore::open(dir / "nb.db");
    // Store the notes first (as POST /notes would), so that only delivery is timed.
    std::size_t bundleBytes = 0;
    for (int i = 0; i < notes; ++i) {
      mappers::Note n = *note;
      n.noteId = "B-" + std::to_string(i);
      NoteWrite write;
      write.note.id = n.noteId;
      write.note.version = 1;
      write.note.clientId = n.client.id;
      write.note.status = "signed";
      write.note.source = "internal";
      write.note.contentHash = n.noteId;
      // As POST /notes stores it since migration 5: the note only, its Bundle rebuilt from it
      // when the delivery is claimed (part of what is timed). NB_BENCH_STORED_BUNDLE=1 stores
      // the Bundle text instead, as rows written before migration 5 have it.
      write.note.noteJson = mappers::writeNote(n, false);
      const std::string bundle = fhir::writeJson(**mappers::noteToFhir(n));
      bundleBytes = bundle.size();
      write.note.bundleFromNote = storedBundle == nullptr;
      if (storedBundle) write.note.bundleJson = bundle;
      write.destinations = {"fast"};
      if (!store->writeNote(write)) {
        std::cerr << "cannot store note " << i << "\n";
        return 1;
      }
    }
    testing::ReceiverOptions options;
    options.fhirSemantics = false;
    options.threads = std::max(2, concurrency);
    testing::ScriptedReceiver receiver(options);
    DestinationConfig d;
    d.name = "fast";
    d.baseUrl = receiver.baseUrl();
    d.interaction = DeliveryInteraction::kTransaction;
    d.concurrency = concurrency;
    OutboxWorkerOptions workerOptions;
    workerOptions.instanceId = "bench";
    workerOptions.pollMs = 5;
    workerOptions.batch = 32;
    OutboxWorker worker(store, {*Forwarder::create(d, transform)}, workerOptions);
    const auto start = std::chrono::steady_clock::now();
    // Process CPU (worker, forwarder and the loopback receiver together): the figure that does
    // not depend on what else the machine runs.
    const std::clock_t cpuStart = std::clock();
    worker.start();
    while (worker.finished() < notes) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpuSeconds = static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    worker.stop();
    OutboxQuery delivered;
    delivered.state = "delivered";
    delivered.count = 1000;
    int deliveredRows = 0;
    for (;;) {
      auto page = *store->listDeliveries(delivered);
      deliveredRows += static_cast<int>(page.size());
      if (page.size() < 1000u) break;
      delivered.afterId = page.back().id;
    }
    std::printf(
        "{\"bench\":\"delivery\",\"interaction\":\"transaction\",\"concurrency\":%d,"
        "\"notes\":%d,\"delivered\":%d,\"receiver_requests\":%d,\"bundle_bytes\":%zu,"
        "\"seconds\":%.3f,\"deliveries_per_second\":%.0f,\"cpu_seconds\":%.3f,"
        "\"deliveries_per_cpu_second\":%.0f}\n",
        concurrency, notes, deliveredRows, receiver.fastAnswers(), bundleBytes, seconds,
        notes / seconds, cpuSeconds, notes / std::max(cpuSeconds, 1e-9));
    std::fflush(stdout);
    store->close();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
