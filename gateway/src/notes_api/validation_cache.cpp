#include "notebridge/gateway/validation_cache.h"

#include "notebridge/fhir/json_format.h"

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
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(json);
    if (found != entries_.end()) {
      ++hits_;
      return found->second;
    }
  }
  fhir::Outcome outcome = validator_->validate(resource);
  std::lock_guard lock(mutex_);
  auto [at, inserted] = entries_.try_emplace(std::move(json), outcome);
  if (inserted) {
    order_.push_back(at->first);
    while (entries_.size() > capacity_) {
      entries_.erase(std::string(order_.front()));
      order_.pop_front();
    }
  }
  return outcome;
}

std::size_t ValidationCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t ValidationCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

}  // namespace notebridge::gateway
