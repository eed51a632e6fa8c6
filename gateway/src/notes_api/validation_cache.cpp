#include "notebridge/gateway/validation_cache.h"

#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/version_template.h"

namespace notebridge::gateway {

ValidationCache::ValidationCache(std::shared_ptr<const validation::Validator> validator,
                                 std::set<std::string, std::less<>> types, std::size_t capacity,
                                 std::size_t maxResourceBytes)
    : validator_(std::move(validator)),
      types_(std::move(types)),
      capacity_(capacity),
      maxResourceBytes_(maxResourceBytes) {}

std::set<std::string, std::less<>> ValidationCache::noteSharedTypes() {
  return {"Patient", "Practitioner", "PractitionerRole", "Organization"};
}

fhir::Outcome ValidationCache::validate(const fhir::Element& resource) {
  if (capacity_ == 0 || !types_.count(resource.type())) return validator_->validate(resource);
  std::string json = fhir::writeJson(resource);
  if (json.size() > maxResourceBytes_) return validator_->validate(resource);
  std::shared_ptr<const fhir::Outcome> known;
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(json);
    if (found != entries_.end()) {
      ++hits_;
      known = found->second.outcome;
    }
  }
  if (known) return *known;  // copied outside the lock
  fhir::Outcome outcome = validator_->validate(resource);
  keep(std::move(json), outcome, nullptr);
  return outcome;
}

namespace {

// The template's two placeholders, in place of a version's stamps.
constexpr std::size_t kPlaceholderBytes =
    VersionTemplate::kVersionMark.size() + VersionTemplate::kUpdatedMark.size();

// What a kept write holds: its template (the body of a version, the stamps aside), digest,
// type, id and index rows.
std::size_t keptBytes(const ResourceWrite& write) {
  std::size_t bytes = write.render(ResourceVersion{}).size() + kPlaceholderBytes +
                      write.contentHash.size() + write.type.size() + write.id.size();
  for (const IndexEntry& e : write.index) {
    bytes += e.param.size() + e.kind.size() + e.system.size() + e.value.size() + e.high.size();
  }
  return bytes;
}

// A resource with errors is refused by the caller: rendering it would be wasted.
ValidationCache::Checked renderUnlessRefused(fhir::Outcome outcome,
                                             std::shared_ptr<fhir::Element> resource,
                                             const std::string& id) {
  if (outcome.hasErrors()) return {std::move(outcome), ResourceWrite{}};
  return {std::move(outcome), templatedWrite(std::move(resource), id)};
}

}  // namespace

ValidationCache::Checked ValidationCache::validateAndRender(std::shared_ptr<fhir::Element> resource,
                                                            const std::string& id) {
  if (capacity_ == 0 || !types_.count(resource->type())) {
    fhir::Outcome outcome = validator_->validate(*resource);
    return renderUnlessRefused(std::move(outcome), std::move(resource), id);
  }
  std::string json = fhir::writeJson(*resource);
  if (json.size() > maxResourceBytes_) {
    fhir::Outcome outcome = validator_->validate(*resource);
    return renderUnlessRefused(std::move(outcome), std::move(resource), id);
  }
  std::shared_ptr<const fhir::Outcome> known;
  std::shared_ptr<const ResourceWrite> rendered;
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(json);
    if (found != entries_.end()) {
      ++hits_;
      known = found->second.outcome;
      // The write's id is part of its body: the same content under another id renders anew.
      if (found->second.write && found->second.write->id == id) {
        ++writeHits_;
        rendered = found->second.write;
      }
    }
  }
  if (rendered) return {*known, *rendered};
  fhir::Outcome outcome = known ? *known : validator_->validate(*resource);
  if (outcome.hasErrors()) {
    if (!known) keep(std::move(json), outcome, nullptr);
    return {std::move(outcome), ResourceWrite{}};
  }
  ResourceWrite write = templatedWrite(std::move(resource), id);
  // Without a digest the write renders from the tree, stamping it per version: not shareable.
  std::shared_ptr<const ResourceWrite> kept;
  if (!write.contentHash.empty() && keptBytes(write) <= maxResourceBytes_) {
    kept = std::make_shared<const ResourceWrite>(write);
  }
  keep(std::move(json), outcome, std::move(kept));
  return {std::move(outcome), std::move(write)};
}

void ValidationCache::keep(std::string json, const fhir::Outcome& outcome,
                           std::shared_ptr<const ResourceWrite> write) {
  auto shared = std::make_shared<const fhir::Outcome>(outcome);
  std::lock_guard lock(mutex_);
  auto [at, inserted] = entries_.try_emplace(std::move(json), Entry{std::move(shared), nullptr});
  if (write) at->second.write = std::move(write);
  if (inserted) {
    order_.push_back(at->first);
    while (entries_.size() > capacity_) {
      entries_.erase(std::string(order_.front()));
      order_.pop_front();
    }
  }
}

std::size_t ValidationCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t ValidationCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::size_t ValidationCache::writeHits() const {
  std::lock_guard lock(mutex_);
  return writeHits_;
}

}  // namespace notebridge::gateway
