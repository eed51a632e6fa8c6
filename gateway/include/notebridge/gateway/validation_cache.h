#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/store.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway {

// What one validator said about resources it has seen before. Notes repeat the client's
// Patient, the Practitioner, PractitionerRole and Organization word for word; validating them
// again gives the same issues, so those are kept and given back. The key is the resource's
// whole canonical JSON (fhir::writeJson), compared as text, not a hash of it: a resource that
// differs in one byte is validated anew. Only resources of `types` are kept (the others rarely
// repeat and would push the useful ones out). Bounded: at most `capacity` entries; an entry
// holds its key (at most `maxResourceBytes` of JSON: larger resources are validated, not kept),
// the validator's issues, and at most one write (validateAndRender) whose body template,
// digest and index rows together take at most `maxResourceBytes` too (a larger write is
// rendered, not kept). So about capacity x (2 x maxResourceBytes + issues) at worst: 32 MB plus
// the issues with the defaults. When full the oldest entry goes. Thread-safe; validation and
// rendering run outside the lock.
class ValidationCache {
 public:
  ValidationCache(std::shared_ptr<const validation::Validator> validator,
                  std::set<std::string, std::less<>> types, std::size_t capacity = 1024,
                  std::size_t maxResourceBytes = 16 * 1024);

  // validator->validate(resource) (default options), or the issues it gave for the same JSON.
  fhir::Outcome validate(const fhir::Element& resource);

  // A resource validated and made ready for the store: the issues validate() gives and, when
  // they hold no error, the write templatedWrite(resource, id) gives; with errors nothing is
  // rendered and `write` is empty (no render: the caller refuses the resource). `resource` is
  // consumed: what it holds after the call is unspecified (it may be stamped, kept by the write,
  // or untouched). For a kept type both come from the cache when the same JSON came before under
  // the same id: neither validated nor rendered, digested or indexed again (writeHits() counts
  // those). A write is kept only when it renders from its VersionTemplate, so it holds no tree
  // and ResourceWrite::render is safe to share, and only when it fits the bound above.
  struct Checked {
    fhir::Outcome issues;
    ResourceWrite write;
  };
  Checked validateAndRender(std::shared_ptr<fhir::Element> resource, const std::string& id);

  // Entries kept now; answers given from the cache so far (issues, with or without a write);
  // writes given from the cache so far (validateAndRender answers neither rendered nor
  // validated).
  std::size_t size() const;
  std::size_t hits() const;
  std::size_t writeHits() const;

  // The types a note repeats across notes (DESIGN: the client's and the practice's resources).
  static std::set<std::string, std::less<>> noteSharedTypes();

 private:
  std::shared_ptr<const validation::Validator> validator_;
  std::set<std::string, std::less<>> types_;
  std::size_t capacity_;
  std::size_t maxResourceBytes_;
  struct Entry;
  // Adds (or completes with `write`) the entry of `json`; drops the oldest past the capacity.
  void keep(std::string json, const fhir::Outcome& outcome,
            std::shared_ptr<const ResourceWrite> write);

  // Shared, so that a hit copies them outside the lock.
  struct Entry {
    std::shared_ptr<const fhir::Outcome> outcome;
    std::shared_ptr<const ResourceWrite> write;  // the last write rendered for this JSON, if any
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string_view> order_;  // keys of entries_, oldest first (node keys are stable)
  std::size_t hits_ = 0;
  std::size_t writeHits_ = 0;
};

}  // namespace notebridge::gateway
