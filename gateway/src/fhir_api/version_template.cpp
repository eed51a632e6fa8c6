#include "notebridge/gateway/version_template.h"

#include <string_view>

#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/api_keys.h"
#include "notes_api/note_routes.h"

namespace notebridge::gateway {

namespace {

std::size_t onlyOccurrence(const std::string& text, std::string_view mark) {
  const std::size_t at = text.find(mark);
  if (at == std::string::npos || text.find(mark, at + 1) != std::string::npos) {
    return std::string::npos;
  }
  return at;
}

}  // namespace

std::optional<VersionTemplate> VersionTemplate::make(fhir::Element& resource,
                                                     const std::string& id) {
  ResourceVersion marks;
  marks.id = id;
  stampVersion(resource, marks);
  // stampVersion writes the number; the placeholder goes in as the element's text instead.
  fhir::Element* meta = resource.child("meta");
  if (!meta) return std::nullopt;
  fhir::Element* versionId = meta->child("versionId");
  fhir::Element* lastUpdated = meta->child("lastUpdated");
  if (!versionId || !lastUpdated) return std::nullopt;
  versionId->setValue(std::string(kVersionMark));
  lastUpdated->setValue(std::string(kUpdatedMark));
  VersionTemplate t;
  t.text_ = fhir::writeJson(resource);
  t.versionAt_ = onlyOccurrence(t.text_, kVersionMark);
  t.updatedAt_ = onlyOccurrence(t.text_, kUpdatedMark);
  if (t.versionAt_ == std::string::npos || t.updatedAt_ == std::string::npos ||
      t.updatedAt_ < t.versionAt_ + kVersionMark.size()) {
    return std::nullopt;
  }
  // SHA-256, not the faster SHA-1: an equal hash skips a write, so a sender able to make two
  // bodies collide must not be able to have its update silently dropped.
  t.contentHash_ = sha256Hex(t.text_);
  return t;
}

std::string VersionTemplate::bodyFor(const ResourceVersion& version) const {
  const std::string number = std::to_string(version.version);
  std::string out;
  out.reserve(text_.size() + number.size() + version.lastUpdated.size());
  const std::string_view text = text_;
  out.append(text.substr(0, versionAt_));
  out.append(number);
  const std::size_t afterVersion = versionAt_ + kVersionMark.size();
  out.append(text.substr(afterVersion, updatedAt_ - afterVersion));
  out.append(version.lastUpdated);
  out.append(text.substr(updatedAt_ + kUpdatedMark.size()));
  return out;
}

ResourceWrite templatedWrite(std::shared_ptr<fhir::Element> resource, const std::string& id) {
  ResourceWrite write;
  write.type = resource->type();
  write.id = id;
  write.index = indexResource(*resource);
  if (auto made = VersionTemplate::make(*resource, id)) {
    write.contentHash = made->contentHash();
    write.render = [t = std::make_shared<const VersionTemplate>(std::move(*made))](
                       const ResourceVersion& v) { return t->bodyFor(v); };
  } else {
    write.render = [resource](const ResourceVersion& v) {
      stampVersion(*resource, v);
      return fhir::writeJson(*resource);
    };
  }
  return write;
}

}  // namespace notebridge::gateway
