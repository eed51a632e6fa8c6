#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "name_table.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "type_compiler.h"

namespace notebridge::fhir {

std::filesystem::path defaultR4DefinitionsDir() { return NOTEBRIDGE_R4_DEFINITIONS_DIR; }
std::filesystem::path defaultOwnDefinitionsDir() { return NOTEBRIDGE_OWN_DEFINITIONS_DIR; }

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct Entry {
  ResourceSummary summary;
  std::size_t file = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Compares FHIR/semver-ish versions part by part, numerically where both parts are numbers.
bool versionLess(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto cut = [](std::string_view& s) {
      auto dot = s.find_first_of(".-");
      std::string_view part = s.substr(0, dot);
      s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
      return part;
    };
    std::string_view pa = cut(a), pb = cut(b);
    long na = 0, nb = 0;
    auto ra = std::from_chars(pa.data(), pa.data() + pa.size(), na);
    auto rb = std::from_chars(pb.data(), pb.data() + pb.size(), nb);
    const bool numeric = !pa.empty() && !pb.empty() && ra.ptr == pa.data() + pa.size() &&
                         rb.ptr == pb.data() + pb.size();
    if (numeric) {
      if (na != nb) return na < nb;
    } else if (pa != pb) {
      return pa < pb;
    }
  }
  return false;
}

std::string lastSegment(std::string_view url) {
  auto slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

// SAX handler that finds the resources of a definitions file (the root resource, or each
// Bundle.entry.resource) and records their byte ranges and summary fields, without a DOM.
class IndexHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, IndexHandler> {
 public:
  explicit IndexHandler(rapidjson::StringStream& stream) : stream_(stream) {}

  std::vector<Entry> entries;
  Entry root;
  bool rootIsBundle = false;

  bool Default() {
    key_.clear();
    return true;
  }
  bool String(const char* s, rapidjson::SizeType length, bool) {
    if (frames_.size() == resourceDepth() && current_) {
      std::string value(s, length);
      ResourceSummary& sum = current_->summary;
      if (key_ == "resourceType")
        sum.resourceType = value;
      else if (key_ == "id")
        sum.id = value;
      else if (key_ == "url")
        sum.url = value;
      else if (key_ == "version")
        sum.version = value;
      else if (key_ == "name")
        sum.name = value;
      else if (key_ == "type")
        sum.type = value;
      else if (key_ == "kind")
        sum.kind = value;
      else if (key_ == "derivation")
        sum.derivation = value;
      else if (key_ == "baseDefinition")
        sum.baseDefinition = value;
      if (frames_.size() == 1 && key_ == "resourceType" && value == "Bundle") rootIsBundle = true;
    }
    key_.clear();
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    key_.assign(s, length);
    return true;
  }
  bool StartObject() {
    const std::size_t begin = stream_.Tell() - 1;
    // root, entry array, entry object, resource object
    if (frames_.empty()) {
      root.begin = begin;
      current_ = &root;
    } else if (frames_.size() == 3 && key_ == "resource" && frames_[1].key == "entry" &&
               rootIsBundle) {
      entries.emplace_back();
      entries.back().begin = begin;
      current_ = &entries.back();
    }
    frames_.push_back(Frame{std::move(key_)});
    key_.clear();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    frames_.pop_back();
    if (frames_.size() == 3 && rootIsBundle && !entries.empty() && current_ == &entries.back()) {
      current_->end = stream_.Tell();
      current_ = nullptr;
    } else if (frames_.empty()) {
      root.end = stream_.Tell();
    }
    key_.clear();
    return true;
  }
  bool StartArray() {
    frames_.push_back(Frame{std::move(key_)});
    key_.clear();
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    frames_.pop_back();
    key_.clear();
    return true;
  }

 private:
  struct Frame {
    std::string key;
  };
  std::size_t resourceDepth() const { return current_ == &root ? 1 : 4; }

  rapidjson::StringStream& stream_;
  std::vector<Frame> frames_;
  std::string key_;
  Entry* current_ = nullptr;
};

std::string readWhole(const std::filesystem::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  if (!ok) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  ok = static_cast<bool>(in);
  return text;
}

}  // namespace

struct DefinitionRegistry::Impl {
  std::vector<std::filesystem::path> files;
  std::vector<Entry> entries;
  StringMap<std::vector<std::size_t>> byUrl;  // load order
  StringMap<std::size_t> byCanonical;         // "url|version"
  StringMap<std::size_t> typeSlotByName;
  std::vector<std::size_t> typeEntry;  // slot -> entry
  std::unique_ptr<std::atomic<const TypeInfo*>[]> typeSlots;
  std::vector<std::unique_ptr<TypeInfo>> compiled;
  std::unique_ptr<TypeInfo> placeholder;  // marks slots whose compilation failed
  std::vector<std::shared_ptr<const Element>> trees;
  std::vector<bool> treeTried;
  mutable std::mutex mutex;

  std::string text(const Entry& e) const {
    std::ifstream in(files[e.file], std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(e.begin));
    std::string out(e.end - e.begin, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    if (!in) return {};
    return out;
  }

  // Indexes one file; false with an issue when it is not JSON.
  bool indexFile(const std::filesystem::path& path, Outcome& outcome) {
    bool ok = false;
    std::string text = readWhole(path, ok);
    if (!ok) {
      outcome.add(Severity::kFatal, "exception", "cannot read definitions file " + path.string());
      return false;
    }
    rapidjson::StringStream stream(text.c_str());
    IndexHandler handler(stream);
    rapidjson::Reader reader;
    if (!reader.Parse<rapidjson::kParseDefaultFlags>(stream, handler)) {
      outcome.add(Severity::kFatal, "structure",
                  "definitions file " + path.string() + " is not valid JSON (offset " +
                      std::to_string(reader.GetErrorOffset()) + ")");
      return false;
    }
    const std::size_t fileIndex = files.size();
    files.push_back(path);
    auto add = [&](Entry e) {
      if (e.summary.url.empty() || e.end <= e.begin) return;
      e.file = fileIndex;
      e.summary.source = path.string();
      const std::size_t index = entries.size();
      std::string canonical = e.summary.url + "|" + e.summary.version;
      if (!e.summary.version.empty() && byCanonical.count(canonical)) return;  // first wins
      if (!e.summary.version.empty()) byCanonical.emplace(std::move(canonical), index);
      byUrl[e.summary.url].push_back(index);
      entries.push_back(std::move(e));
    };
    if (handler.rootIsBundle) {
      for (Entry& e : handler.entries) add(std::move(e));
    } else {
      add(std::move(handler.root));
    }
    return true;
  }

  void indexFolder(const std::filesystem::path& dir, Outcome& outcome) {
    std::error_code ec;
    std::vector<std::filesystem::path> paths;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
      const auto& p = item.path();
      const std::string name = p.filename().string();
      if (!item.is_regular_file() || p.extension() != ".json" || name.front() == '.' ||
          name == "package.json") {
        continue;
      }
      paths.push_back(p);
    }
    if (ec) {
      outcome.add(Severity::kFatal, "exception",
                  "cannot list " + dir.string() + ": " + ec.message());
      return;
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) indexFile(p, outcome);
  }
};

DefinitionRegistry::DefinitionRegistry() : impl_(std::make_unique<Impl>()) {}
DefinitionRegistry::~DefinitionRegistry() = default;

Result<std::shared_ptr<const DefinitionRegistry>> DefinitionRegistry::load(
    const RegistryOptions& options) {
  std::shared_ptr<DefinitionRegistry> registry(new DefinitionRegistry());
  Impl& impl = *registry->impl_;
  Outcome outcome;
  if (!options.r4Dir.empty()) {
    // The core files that hold conformance resources; dataelements.json, fhir.schema.json and
    // the Medplum-specific files are not part of the R4 specification's definitions.
    static const char* const kCoreFiles[] = {"profiles-types.json",   "profiles-resources.json",
                                             "profiles-others.json",  "extension-definitions.json",
                                             "valuesets.json",        "v3-codesystems.json",
                                             "v2-tables.json",        "conceptmaps.json",
                                             "search-parameters.json"};
    for (const char* name : kCoreFiles) {
      const auto path = options.r4Dir / name;
      if (!std::filesystem::exists(path)) {
        outcome.add(Severity::kFatal, "not-found", "R4 definitions file missing: " + path.string());
        continue;
      }
      impl.indexFile(path, outcome);
    }
  }
  if (!options.ownDir.empty() && std::filesystem::is_directory(options.ownDir)) {
    impl.indexFolder(options.ownDir, outcome);
  }
  for (const auto& dir : options.packageDirs) {
    std::filesystem::path folder = dir;
    if (std::filesystem::is_directory(dir / "package")) folder = dir / "package";
    if (!std::filesystem::exists(folder / "package.json")) {
      outcome.add(Severity::kFatal, "not-found",
                  "not a FHIR package (no package.json): " + dir.string());
      continue;
    }
    impl.indexFolder(folder, outcome);
  }
  if (outcome.hasErrors()) return Result<std::shared_ptr<const DefinitionRegistry>>(outcome);

  // Types: base definitions only (specializations and the roots Element, Resource, ...);
  // profiles (derivation = constraint) are not types. First definition of a name wins.
  for (std::size_t i = 0; i < impl.entries.size(); ++i) {
    const ResourceSummary& s = impl.entries[i].summary;
    if (s.resourceType != "StructureDefinition" || s.derivation == "constraint" || s.type.empty()) {
      continue;
    }
    if (impl.typeSlotByName.count(s.type)) continue;
    impl.typeSlotByName.emplace(s.type, impl.typeEntry.size());
    impl.typeEntry.push_back(i);
    if (s.kind == "resource") registry->resourceTypes_.push_back(s.type);
  }
  std::sort(registry->resourceTypes_.begin(), registry->resourceTypes_.end());
  impl.typeSlots = std::make_unique<std::atomic<const TypeInfo*>[]>(impl.typeEntry.size());
  for (std::size_t i = 0; i < impl.typeEntry.size(); ++i) impl.typeSlots[i] = nullptr;
  impl.placeholder = std::make_unique<TypeInfo>();
  impl.trees.resize(impl.entries.size());
  impl.treeTried.resize(impl.entries.size());
  return Result<std::shared_ptr<const DefinitionRegistry>>(
      std::shared_ptr<const DefinitionRegistry>(std::move(registry)), std::move(outcome));
}

std::shared_ptr<const DefinitionRegistry> DefinitionRegistry::r4() {
  static const std::shared_ptr<const DefinitionRegistry> instance = [] {
    auto loaded = load(RegistryOptions{});
    return loaded.ok() ? loaded.value() : nullptr;
  }();
  return instance;
}

const TypeInfo* DefinitionRegistry::findType(std::string_view name) const {
  auto slot = impl_->typeSlotByName.find(name);
  if (slot == impl_->typeSlotByName.end()) return nullptr;
  std::atomic<const TypeInfo*>& cell = impl_->typeSlots[slot->second];
  const TypeInfo* type = cell.load(std::memory_order_acquire);
  if (!type) {
    std::lock_guard lock(impl_->mutex);
    type = cell.load(std::memory_order_relaxed);
    if (!type) {
      const Entry& entry = impl_->entries[impl_->typeEntry[slot->second]];
      auto compiled = TypeCompiler::compile(impl_->text(entry), *this);
      if (compiled) {
        type = compiled.get();
        impl_->compiled.push_back(std::move(compiled));
      } else {
        type = impl_->placeholder.get();
      }
      cell.store(type, std::memory_order_release);
    }
  }
  return type == impl_->placeholder.get() ? nullptr : type;
}

bool DefinitionRegistry::isSubtypeOf(std::string_view derived, std::string_view base) const {
  std::string current(derived);
  for (int guard = 0; guard < 32 && !current.empty(); ++guard) {
    if (current == base) return true;
    auto slot = impl_->typeSlotByName.find(current);
    if (slot == impl_->typeSlotByName.end()) return false;
    current = lastSegment(impl_->entries[impl_->typeEntry[slot->second]].summary.baseDefinition);
  }
  return false;
}

bool DefinitionRegistry::isResourceType(std::string_view name) const {
  return std::binary_search(resourceTypes_.begin(), resourceTypes_.end(), name);
}

namespace {

const Entry* findEntry(const DefinitionRegistry::Impl& impl, std::string_view canonical) {
  auto bar = canonical.find('|');
  if (bar != std::string_view::npos) {
    auto it = impl.byCanonical.find(canonical);
    if (it != impl.byCanonical.end()) return &impl.entries[it->second];
    canonical = canonical.substr(0, bar);
    // A version that is not loaded: no match (the caller asked for that exact version).
    return nullptr;
  }
  auto it = impl.byUrl.find(canonical);
  if (it == impl.byUrl.end()) return nullptr;
  const Entry* best = nullptr;
  for (std::size_t index : it->second) {
    const Entry& e = impl.entries[index];
    if (!best || versionLess(best->summary.version, e.summary.version)) best = &e;
  }
  return best;
}

}  // namespace

const ResourceSummary* DefinitionRegistry::findSummary(std::string_view canonical) const {
  const Entry* e = findEntry(*impl_, canonical);
  return e ? &e->summary : nullptr;
}

std::string DefinitionRegistry::resourceJson(std::string_view canonical) const {
  const Entry* e = findEntry(*impl_, canonical);
  return e ? impl_->text(*e) : std::string();
}

std::shared_ptr<const Element> DefinitionRegistry::findResource(std::string_view canonical) const {
  const Entry* e = findEntry(*impl_, canonical);
  if (!e) return nullptr;
  const auto index = static_cast<std::size_t>(e - impl_->entries.data());
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->treeTried[index]) return impl_->trees[index];
  }
  // Parse outside the lock: parsing looks up types, which takes the lock itself.
  auto parsed = parseJson(impl_->text(*e), *this, JsonParseOptions{});
  std::shared_ptr<const Element> tree;
  if (parsed.ok()) tree = std::shared_ptr<const Element>(std::move(parsed).value());
  std::lock_guard lock(impl_->mutex);
  if (!impl_->treeTried[index]) {
    impl_->treeTried[index] = true;
    impl_->trees[index] = std::move(tree);
  }
  return impl_->trees[index];
}

std::vector<const ResourceSummary*> DefinitionRegistry::listResources(
    std::string_view resourceType) const {
  std::vector<const ResourceSummary*> out;
  for (const Entry& e : impl_->entries) {
    if (e.summary.resourceType == resourceType) out.push_back(&e.summary);
  }
  return out;
}

std::size_t DefinitionRegistry::size() const { return impl_->entries.size(); }

// TypeInfo and PropertyInfo lookups.

const PropertyInfo* TypeInfo::property(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

namespace {

PropertyMatch withDetails(PropertyMatch m) {
  if (!m.property) return m;
  const PropertyInfo& p = *m.property;
  m.code = &p.types()[static_cast<std::size_t>(m.typeIndex)].code;
  m.order = p.order();
  m.isArray = p.isArray();
  m.isChoice = p.isChoice();
  m.baseNameLength = static_cast<std::uint16_t>(p.name().size());
  return m;
}

}  // namespace

void TypeInfo::buildJsonNameTable() {
  std::size_t size = 8;
  while (size < byJsonName_.size() * 2) size *= 2;
  jsonNameTable_.assign(size, JsonNameSlot{});
  for (const auto& [name, match] : byJsonName_) {
    const NameWords words(name);
    std::size_t i = words.hash(name.size()) & (size - 1);
    while (jsonNameTable_[i].name) i = (i + 1) & (size - 1);
    jsonNameTable_[i] =
        JsonNameSlot{words.head, words.tail, name.data(), name.size(), withDetails(match)};
    // Interned once here, so the nodes a parse builds point at process-lifetime strings.
    PropertyMatch& m = jsonNameTable_[i].match;
    const std::string* code = m.property ? Element::intern(m.typeCode()) : nullptr;
    const std::string* jsonName = code ? Element::intern(name) : nullptr;
    if (jsonName) {
      m.code = code;
      m.jsonName = jsonName;
    }
  }
}

PropertyMatch TypeInfo::findByJsonName(std::string_view jsonName) const {
  if (jsonNameTable_.empty()) {
    auto it = byJsonName_.find(jsonName);
    return it == byJsonName_.end() ? PropertyMatch{} : withDetails(it->second);
  }
  const std::size_t mask = jsonNameTable_.size() - 1;
  const std::size_t n = jsonName.size();
  const NameWords words(jsonName);
  // At most half full, so every probe sequence ends at an empty slot.
  for (std::size_t i = words.hash(n) & mask;; i = (i + 1) & mask) {
    const JsonNameSlot& slot = jsonNameTable_[i];
    if (!slot.name) return PropertyMatch{};
    if (slot.head == words.head && slot.tail == words.tail && slot.length == n &&
        (n <= 16 || std::memcmp(slot.name, jsonName.data(), n) == 0)) {
      return slot.match;
    }
  }
}

const TypeInfo* PropertyInfo::resolveType(std::string_view code) const {
  if (nested_ && !isChoice_) return nested_;
  if (resolved_) {
    for (std::size_t i = 0; i < types_.size(); ++i) {
      if (types_[i].code != code) continue;
      const TypeInfo* type = resolved_[i].load(std::memory_order_acquire);
      if (!type) {
        type = owner_->registry().findType(code);
        if (type) resolved_[i].store(type, std::memory_order_release);
      }
      return type;
    }
  }
  return owner_->registry().findType(code);
}

const TypeInfo* PropertyInfo::resolveTypeAt(std::size_t index) const {
  if (nested_ && !isChoice_) return nested_;
  if (index >= types_.size()) return nullptr;
  if (!resolved_) return owner_->registry().findType(types_[index].code);
  const TypeInfo* type = resolved_[index].load(std::memory_order_acquire);
  if (!type) {
    type = owner_->registry().findType(types_[index].code);
    if (type) resolved_[index].store(type, std::memory_order_release);
  }
  return type;
}

const Element* PropertyInfo::elementDefinition() const {
  if (elementIndex_ < 0) return nullptr;
  auto definition = owner_->registry().findResource(owner_->url());
  if (!definition) return nullptr;
  const Element* snapshot = definition->child("snapshot");
  if (!snapshot) return nullptr;
  const auto elements = snapshot->childrenNamed("element");
  const auto index = static_cast<std::size_t>(elementIndex_);
  // The tree is cached by the registry, so the pointer outlives this shared_ptr.
  return index < elements.size() ? elements[index] : nullptr;
}

}  // namespace notebridge::fhir
