#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"
#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// A resource's canonical JSON rendered once, before the store's write lock, with placeholders
// where Resource.id's version stamp goes (meta.versionId and meta.lastUpdated): the body of
// any version is then a copy with the two values spliced in, no tree and no JSON writer while
// the store holds its writer. The text with the placeholders doubles as the content the store
// compares for ResourceWrite::skipUnchanged (contentHash). Immutable after make(); thread-safe.
class VersionTemplate {
 public:
  // Stamps `resource` with `id` and the placeholders (stampVersion) and renders it. Nothing
  // when the placeholders do not appear exactly once each in the text (content that contains
  // them): the caller renders the tree per version instead.
  static std::optional<VersionTemplate> make(fhir::Element& resource, const std::string& id);

  // The body of `version` (its versionId and lastUpdated; id and content as rendered).
  std::string bodyFor(const ResourceVersion& version) const;
  // Hex SHA-256 of the text with the placeholders: equal for equal content whatever the version.
  const std::string& contentHash() const { return contentHash_; }

  // The two placeholders the text holds where a version's stamps go: characters no version id
  // ([A-Za-z0-9\-\.]) or instant has, so that a valid resource cannot hold them there; anything
  // else holding them is found by make(), which then gives no template.
  static constexpr std::string_view kVersionMark = "~nb:versionId~";
  static constexpr std::string_view kUpdatedMark = "~nb:lastUpdated~";

 private:
  std::string text_;
  std::size_t versionAt_ = 0;  // offset of the versionId placeholder
  std::size_t updatedAt_ = 0;  // offset of the lastUpdated placeholder (after versionAt_)
  std::string contentHash_;
};

// A write of `resource` under `type`/`id` whose bodies come from a VersionTemplate (rendered
// here, outside any lock) with its contentHash and search index set; falls back to rendering
// the tree per version when no template can be made. `resource` is kept only in that case.
ResourceWrite templatedWrite(std::shared_ptr<fhir::Element> resource, const std::string& id);

}  // namespace notebridge::gateway
