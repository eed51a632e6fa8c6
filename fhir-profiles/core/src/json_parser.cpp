// Documents are read by the own reader (json_reader.h) over the text as given; what it gives up on
// (errors to word, rare spellings) is parsed by RapidJSON in situ over a zero-padded copy of the
// input, where RapidJSON's SSE2 string and whitespace scanners are safe (they read whole aligned
// 16-byte blocks). SSE2 is part of every x86-64 CPU. Only this file's reader instantiations (and
// those of its differential test, tests/fhir/json_reader_test.cpp, which defines the same) see
// the SIMD paths: the other streams it uses have no SIMD overloads, so no other file's RapidJSON
// code differs.
#if defined(__x86_64__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_reader.h"
#include "name_table.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/json_text.h"
#include "xhtml_check.h"

// FHIR JSON: https://hl7.org/fhir/R4/json.html
namespace notebridge::fhir {

namespace {

// UTF-8 is checked over the whole input before parsing (findInvalidUtf8), many times faster
// than RapidJSON's byte-by-byte kParseValidateEncodingFlag.
constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
constexpr unsigned kRecursiveFlags = rapidjson::kParseNumbersAsStringsFlag;
// Nesting limits up to this take the recursive reader (a few hundred bytes of stack a level).
constexpr std::size_t kMaxRecursiveDepth = 256;

// Resources whose resourceType is not their first property are re-parsed from their byte range
// once the type is known; this bounds how often that may nest.
constexpr int kMaxDeferredNesting = 8;
// Parsing stops after this many issues.
constexpr std::size_t kMaxIssues = 1000;

bool isPrimitiveCode(std::string_view code) {
  // FHIR names primitive types in lower case and complex types and resources in upper case.
  return !code.empty() && code[0] >= 'a' && code[0] <= 'z';
}

bool hasControlCharacter(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  auto bad = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\t' && u != '\n' && u != '\r';
  };
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time while none is below 0x20 (as unsigned: max(s, 0x1F) == 0x1F).
  const __m128i control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(s, control), control)) != 0) break;
  }
#endif
  // Eight bytes at a time (attachment data and narratives are long); a word with a byte below
  // 0x20, such as a line break, is looked at byte by byte.
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if (((word - kOnes * 0x20) & ~word & kHigh) == 0) continue;
    for (std::size_t k = i; k < i + 8; ++k) {
      if (bad(text[k])) return true;
    }
  }
  for (; i < text.size(); ++i) {
    if (bad(text[i])) return true;
  }
  return false;
}

JsonValueKind jsonKindOf(std::string_view type) {
  // Called for every primitive: the first letter rules out most types without a comparison.
  switch (type.empty() ? '\0' : type[0]) {
    case 'b':
      if (type == "boolean") return JsonValueKind::kBoolean;
      break;
    case 'i':
      if (type == "integer") return JsonValueKind::kInteger;
      break;
    case 'p':
      if (type == "positiveInt") return JsonValueKind::kInteger;
      break;
    case 'u':
      if (type == "unsignedInt") return JsonValueKind::kInteger;
      break;
    case 'd':
      if (type == "decimal") return JsonValueKind::kNumber;
      break;
    default:
      break;
  }
  return JsonValueKind::kString;
}

// Converts byte offsets to line/column. Offsets are mostly asked for in increasing order,
// so the scan is linear over the document.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  void startAt(std::size_t pos, SourceLocation loc) {
    pos_ = pos;
    line_ = loc.line;
    lineStart_ = pos - (loc.column - 1);
    nextNewline_ = 0;
  }
  SourceLocation at(std::size_t offset) {
    // Asked for every key: within the current line (all of a compact document) the answer
    // needs no scan. Inlined; the scan is not. (nextNewline_ is at most the size + 1, so an
    // offset past the end takes the scan, which clamps it.)
    if (offset >= pos_ && offset < nextNewline_ && offset <= text_.size()) [[likely]] {
      pos_ = offset;
      return SourceLocation{line_, static_cast<std::uint32_t>(offset - lineStart_ + 1)};
    }
    return scanTo(offset);
  }

 private:
  [[gnu::noinline]] SourceLocation scanTo(std::size_t offset) {
    if (offset > text_.size()) offset = text_.size();
    if (offset >= pos_ && offset < nextNewline_) {
      pos_ = offset;
      return SourceLocation{line_, static_cast<std::uint32_t>(offset - lineStart_ + 1)};
    }
    if (offset < pos_) {
      pos_ = 0;
      line_ = 1;
      lineStart_ = 0;
    }
    while (pos_ < offset) {
      const void* nl = std::memchr(text_.data() + pos_, '\n', offset - pos_);
      if (!nl) {
        pos_ = offset;
        break;
      }
      const std::size_t p = static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data());
      ++line_;
      lineStart_ = p + 1;
      pos_ = p + 1;
    }
    // Where the current line ends (once per line, not once per key).
    const void* next = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
    nextNewline_ = next ? static_cast<std::size_t>(static_cast<const char*>(next) - text_.data())
                        : text_.size() + 1;
    return SourceLocation{line_, static_cast<std::uint32_t>(offset - lineStart_ + 1)};
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::size_t lineStart_ = 0;
  // The first newline at or after pos_ (text size + 1 when none): offsets before it are on
  // line_. 0 until first computed.
  std::size_t nextNewline_ = 0;
};

// Finds the top-level "resourceType" of an object without building anything.
class ResourceTypeScanner
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ResourceTypeScanner> {
 public:
  std::string type;
  bool Default() {
    atKey_ = false;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    atKey_ = depth_ == 1 && std::string_view(s, n) == "resourceType";
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (atKey_) {
      type.assign(s, n);
      return false;  // found: stop
    }
    return true;
  }
  bool StartObject() {
    ++depth_;
    atKey_ = false;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool StartArray() {
    ++depth_;
    atKey_ = false;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  int depth_ = 0;
  bool atKey_ = false;
};

std::string scanResourceType(std::string_view slice) {
  rapidjson::MemoryStream ms(slice.data(), slice.size());
  ResourceTypeScanner scanner;
  rapidjson::Reader reader;
  reader.Parse<kFlags>(ms, scanner);
  return scanner.type;
}

enum class FrameKind : std::uint8_t { kObject, kExtension, kArray, kSkip };

struct Pending {
  Element::Ptr node;
  int index;
  int order;
};

// Where the nodes of one primitive property start among the pending children, so `name` and
// `_name` (in either order) meet on the same nodes.
struct PrimitiveSlot {
  std::string_view name;
  const PropertyInfo* property;  // compared first: cheaper than the name
  std::size_t first;
  int count;        // nodes stored contiguously from `first`
  int total;        // all nodes of this name (more than count when `_name` was the longer array)
  int valueLength;  // -1 when no array was seen
  int extLength;
};

struct Frame {
  FrameKind kind = FrameKind::kObject;
  // object / extension frames
  Element* node = nullptr;
  int nodeIndex = -1;
  const TypeInfo* type = nullptr;
  bool isResource = false;
  bool resourceTypeSeen = false;  // the type is known
  bool resourceTypeKey = false;   // the resourceType property was read
  bool expectResourceType = false;
  bool anyKey = false;
  bool deferred = false;
  std::size_t beginOffset = 0;
  SourceLocation beginLocation;
  std::vector<Pending> children;
  std::vector<PrimitiveSlot> slots;
  std::vector<std::int16_t> valueSeen;  // per property order: chosen type index + 1
  std::vector<std::uint8_t> extSeen;
  // the key whose value comes next
  bool hasPending = false;
  bool pendingSkip = false;
  PropertyMatch pending;
  bool pendingUnderscore = false;
  // The key: a view into the text being read (the caller's, or RapidJSON's in-situ copy),
  // or into pendingStorage when the reader's own buffer holds it only during the call
  // (deferred re-parse).
  std::string_view pendingName;
  std::string pendingStorage;
  SourceLocation keyLocation;
  // array frames: the property the items belong to
  PropertyMatch match;
  bool underscore = false;
  int count = 0;
  std::string name;
  // skip frames
  int skipDepth = 0;

  void reset(FrameKind k) {
    kind = k;
    node = nullptr;
    nodeIndex = -1;
    type = nullptr;
    isResource = resourceTypeSeen = resourceTypeKey = expectResourceType = anyKey = deferred =
        false;
    children.clear();
    slots.clear();
    valueSeen.clear();
    extSeen.clear();
    hasPending = pendingSkip = false;
    pending = PropertyMatch{};
    pendingUnderscore = false;
    match = PropertyMatch{};
    underscore = false;
    count = 0;
    skipDepth = 0;
  }
};

// The frames of a parse are kept per thread between documents: a fresh frame stack allocates
// its vectors again for every document. A parse that starts while another runs on the same
// thread (a nested resource, a definition compiled on first use) takes the next free pool.
struct FramePool {
  std::vector<Frame> frames;
  bool inUse = false;
};
constexpr std::size_t kFramePools = 4;
// A frame whose vectors grew beyond this many entries gives them back after the parse.
constexpr std::size_t kKeptFrameEntries = 1024;

FramePool* acquireFramePool() {
  thread_local std::array<FramePool, kFramePools> tPools;
  for (FramePool& pool : tPools) {
    if (!pool.inUse) {
      pool.inUse = true;
      return &pool;
    }
  }
  return nullptr;
}

// Where a value goes.
struct Target {
  Frame* owner = nullptr;
  PropertyMatch match;
  bool underscore = false;
  bool inArray = false;
  int index = -1;
  std::string_view name;
  SourceLocation location;
};

class ParseHandler {
 public:
  ParseHandler(std::string_view text, std::size_t base, const DefinitionRegistry& registry,
               const JsonParseOptions& options, Outcome& outcome, int nesting)
      : text_(text),
        base_(base),
        registry_(registry),
        options_(options),
        outcome_(outcome),
        lines_(text),
        nesting_(nesting),
        pool_(acquireFramePool()),
        frames_(pool_ ? pool_->frames : ownFrames_) {}
  ParseHandler(const ParseHandler&) = delete;
  ParseHandler& operator=(const ParseHandler&) = delete;
  ~ParseHandler() {
    if (!pool_) return;
    for (Frame& f : frames_) {
      f.children.clear();  // nodes of an aborted parse
      if (f.children.capacity() > kKeptFrameEntries) std::vector<Pending>().swap(f.children);
      if (f.valueSeen.capacity() > kKeptFrameEntries) {
        std::vector<std::int16_t>().swap(f.valueSeen);
        std::vector<std::uint8_t>().swap(f.extSeen);
      }
      if (f.slots.capacity() > kKeptFrameEntries) std::vector<PrimitiveSlot>().swap(f.slots);
    }
    if (frames_.size() > kKeptFrameEntries) std::vector<Frame>().swap(frames_);
    pool_->inUse = false;
  }

  // The type of the root resource when already known (deferred re-parse).
  void setRootType(std::string type, SourceLocation at) {
    rootType_ = std::move(type);
    lines_.startAt(base_, at);
  }
  void setStream(const rapidjson::MemoryStream* stream) { stream_ = stream; }
  void setStream(const rapidjson::InsituStringStream* stream) { insituStream_ = stream; }
  // The recursive reader drives this handler (see offset()).
  void setRecursive(bool recursive) { recursive_ = recursive; }

  Element::Ptr takeRoot() { return std::move(root_); }
  bool needRootType() const { return needRootType_; }
  bool aborted() const { return aborted_; }

  // --- SAX events ---
  bool Null() { return scalar(Scalar::kNull, {}); }
  bool Bool(bool b) { return scalar(Scalar::kBool, b ? "true" : "false"); }
  bool Int(int) { return true; }
  bool Uint(unsigned) { return true; }
  bool Int64(std::int64_t) { return true; }
  bool Uint64(std::uint64_t) { return true; }
  bool Double(double) { return true; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return scalar(Scalar::kNumber, std::string_view(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return scalar(Scalar::kString, std::string_view(s, n));
  }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (aborted_) return false;
    Frame& f = top();
    if (f.kind == FrameKind::kSkip) return true;
    const std::string_view key(s, n);
    // RapidJSON reads strings through a local copy of an in-situ stream, so during this call the
    // stream still stands at the key's opening quote; a MemoryStream stands after its closing one.
    const std::size_t end = offset();
    const std::size_t keyStart = insituStream_ ? end : (end >= n + 2 ? end - n - 2 : 0);
    const SourceLocation loc = lines_.at(base_ + keyStart);
    f.hasPending = true;
    f.pendingSkip = false;
    if (insituStream_) {
      f.pendingName = key;
    } else {
      f.pendingStorage.assign(key);
      f.pendingName = f.pendingStorage;
    }
    f.keyLocation = loc;
    if (f.isResource) {
      if (key == "resourceType") {
        if (f.resourceTypeKey) {
          error("structure", "duplicate property 'resourceType'", pathOf(f, key), loc);
          f.pendingSkip = true;
        } else {
          f.resourceTypeKey = true;
          f.expectResourceType = true;
        }
        f.anyKey = true;
        return true;
      }
      if (!f.resourceTypeSeen) {
        // resourceType comes later in this object: type it once its extent is known.
        if (depth_ == 1 && rootType_.empty()) {
          needRootType_ = true;
          return false;
        }
        if (nesting_ >= kMaxDeferredNesting) {
          fatal("too-costly", "too many nested resources whose resourceType is not first",
                pathOf(f, {}), f.beginLocation);
          return false;
        }
        f.deferred = true;
        f.kind = FrameKind::kSkip;
        f.skipDepth = 1;
        return true;
      }
    }
    f.anyKey = true;
    const bool underscore = key.size() > 1 && key[0] == '_' && f.kind == FrameKind::kObject;
    const std::string_view name = underscore ? key.substr(1) : key;
    PropertyMatch match = f.type ? f.type->findByJsonName(name) : PropertyMatch{};
    if (match && underscore && !isPrimitiveCode(match.typeCode())) match = PropertyMatch{};
    if (!match) {
      const std::string msg = "unknown property '" + std::string(key) + "'";
      if (options_.allowUnknownElements) {
        warning("structure", msg, pathOf(f, key), loc);
      } else {
        error("structure", msg, pathOf(f, key), loc);
      }
      f.pendingSkip = true;
      return true;
    }
    // The value's handling reads the type code next: start loading it while the reader scans.
    __builtin_prefetch(match.code);
    const auto order = static_cast<std::size_t>(match.order);
    if (underscore) {
      if (f.extSeen[order]) {
        error("structure", "duplicate property '" + std::string(key) + "'", pathOf(f, key), loc);
        f.pendingSkip = true;
        return true;
      }
      f.extSeen[order] = 1;
    } else {
      const std::int16_t seen = f.valueSeen[order];
      if (seen) {
        if (seen == match.typeIndex + 1) {
          error("structure", "duplicate property '" + std::string(key) + "'", pathOf(f, key), loc);
        } else {
          error("structure",
                "more than one type given for choice element '" + match.property->name() + "[x]'",
                pathOf(f, key), loc);
        }
        f.pendingSkip = true;
        return true;
      }
      f.valueSeen[order] = static_cast<std::int16_t>(match.typeIndex + 1);
    }
    f.pending = match;
    f.pendingUnderscore = underscore;
    return true;
  }

  bool StartObject() {
    if (aborted_) return false;
    const ContainerStart at(*this);
    const std::size_t begin = offset();
    if (depth_ == 0 && !root_) {
      const SourceLocation loc = lines_.at(base_ + begin);
      std::string type = rootType_;
      // Until resourceType is read the root has no name, so early issues have no expression.
      root_ = Element::makeResource(std::string(), type);
      root_->setLocation(loc);
      Frame& f = push(FrameKind::kObject);
      f.node = root_.get();
      f.isResource = true;
      f.beginOffset = begin;
      f.beginLocation = loc;
      if (!rootType_.empty()) {
        if (!typeResource(f, rootType_, loc)) return false;
      }
      return true;
    }
    if (!checkDepth()) return false;
    if (skipping()) return true;
    if (resourceTypeIsPending()) return resourceTypeNotAString();
    Target t;
    if (!target(t)) return skipContainer();
    if (t.underscore) {
      Element* node = primitiveNode(t);
      const TypeInfo* type = registry_.findType(node->type());
      Frame& f = push(FrameKind::kExtension);
      f.node = node;
      f.nodeIndex = t.index;
      f.type = type;
      f.beginLocation = t.location;
      sizeSeen(f);
      return true;
    }
    const std::string& code = t.match.typeCode();
    if (isPrimitiveCode(code)) {
      error("structure",
            "expected a " + std::string(expectedJson(code)) + " for '" + std::string(t.name) +
                "' (type " + code + "), found an object",
            pathOf(*t.owner, t.name, t.index), t.location);
      return skipContainer();
    }
    const TypeInfo* type =
        t.match.property->resolveTypeAt(static_cast<std::size_t>(t.match.typeIndex));
    if (type && type->isResource()) {
      auto node = nodeFor(t, NodeKind::kResource);
      Element* raw = node.get();
      attach(t, std::move(node));
      Frame& f = push(FrameKind::kObject);
      f.node = raw;
      f.nodeIndex = t.index;
      f.isResource = true;
      f.beginOffset = begin;
      f.beginLocation = lines_.at(base_ + begin);
      raw->setLocation(f.beginLocation);
      return true;
    }
    if (!type) {
      error("not-supported", "unknown type '" + code + "'", pathOf(*t.owner, t.name, t.index),
            t.location);
      return skipContainer();
    }
    auto node = nodeFor(t, NodeKind::kComplex);
    Element* raw = node.get();
    raw->setLocation(t.location);
    attach(t, std::move(node));
    Frame& f = push(FrameKind::kObject);
    f.node = raw;
    f.nodeIndex = t.index;
    f.type = type;
    f.beginLocation = t.location;
    sizeSeen(f);
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    if (aborted_) return false;
    Frame& f = top();
    if (f.kind == FrameKind::kSkip) {
      if (--f.skipDepth > 0) return true;
      if (f.deferred) return finishDeferred();
      pop();
      return true;
    }
    if (f.isResource && !f.resourceTypeSeen) {
      fatalOrError(depth_ == 1, "structure", "resourceType is missing", pathOf(f, {}),
                   f.beginLocation);
      if (depth_ == 1) return false;
    } else if (!f.anyKey) {
      error("structure", "empty objects are not allowed", pathOf(f, {}), f.beginLocation);
    }
    finishObject(f);
    pop();
    return true;
  }

  bool StartArray() {
    if (aborted_) return false;
    const ContainerStart at(*this);
    if (depth_ == 0) {
      fatal("structure", "a FHIR resource must be a JSON object, found an array", {},
            lines_.at(base_ + offset()));
      return false;
    }
    if (!checkDepth()) return false;
    if (skipping()) return true;
    if (resourceTypeIsPending()) return resourceTypeNotAString();
    Frame& owner = top();
    if (owner.kind == FrameKind::kArray) {
      error("structure", "arrays of arrays are not allowed", pathOf(owner, owner.name),
            lines_.at(base_ + offset()));
      return skipContainer();
    }
    if (!owner.hasPending) return skipContainer();
    owner.hasPending = false;
    if (owner.pendingSkip) return skipContainer();
    const PropertyMatch match = owner.pending;
    if (!match.isArray) {
      error("structure", "an array was given where a single value belongs",
            pathOf(owner, owner.pendingName), owner.keyLocation);
      return skipContainer();
    }
    const bool underscore = owner.pendingUnderscore;
    std::string name(owner.pendingName.substr(underscore ? 1 : 0));
    Frame& a = push(FrameKind::kArray);
    a.match = match;
    a.underscore = underscore;
    a.name = std::move(name);
    a.beginLocation = frames_[top_ - 2].keyLocation;
    return true;
  }

  bool EndArray(rapidjson::SizeType) {
    if (aborted_) return false;
    Frame& a = top();
    if (a.kind == FrameKind::kSkip) {
      if (--a.skipDepth == 0) pop();
      return true;
    }
    const int count = a.count;
    const bool underscore = a.underscore;
    const PropertyMatch match = a.match;
    const std::string name = a.name;
    const SourceLocation loc = a.beginLocation;
    pop();
    Frame& owner = top();
    if (count == 0) {
      error("structure", "empty arrays are not allowed", pathOf(owner, name), loc);
      return true;
    }
    if (isPrimitiveCode(match.typeCode())) {
      PrimitiveSlot* slot = findSlot(owner, name, match.property);
      if (slot) {
        (underscore ? slot->extLength : slot->valueLength) = count;
        if (slot->extLength >= 0 && slot->valueLength >= 0 &&
            slot->extLength != slot->valueLength) {
          error("structure",
                "'" + name + "' and '_" + name + "' must be arrays of the same length (" +
                    std::to_string(slot->valueLength) + " and " + std::to_string(slot->extLength) +
                    ")",
                pathOf(owner, name), loc);
        }
      }
    }
    return true;
  }

 private:
  enum class Scalar { kNull, kBool, kNumber, kString };

  // Where the reader stands. The iterative reader reports a container before consuming its
  // bracket, the recursive one after it: during StartObject/StartArray (see ContainerStart)
  // this is the bracket's offset either way.
  std::size_t offset() const {
    const std::size_t back = containerStart_ && recursive_ ? 1 : 0;
    if (insituStream_) {
      return static_cast<std::size_t>(insituStream_->src_ - insituStream_->head_) - back;
    }
    return stream_->Tell() - back;
  }
  struct ContainerStart {
    explicit ContainerStart(ParseHandler& h) : handler(h) { handler.containerStart_ = true; }
    ~ContainerStart() { handler.containerStart_ = false; }
    ContainerStart(const ContainerStart&) = delete;
    ContainerStart& operator=(const ContainerStart&) = delete;
    ParseHandler& handler;
  };

  Frame& top() { return frames_[top_ - 1]; }
  Frame& push(FrameKind kind) {
    if (top_ == frames_.size()) frames_.emplace_back();
    Frame& f = frames_[top_++];
    f.reset(kind);
    ++depth_;
    return f;
  }
  void pop() {
    --top_;
    --depth_;
  }

  void sizeSeen(Frame& f) {
    const std::size_t n = f.type ? f.type->properties().size() : 0;
    f.valueSeen.assign(n, 0);
    f.extSeen.assign(n, 0);
  }

  bool checkDepth() {
    // Containers inside a skipped subtree count too: the recursive reader nests a call per
    // level, so the limit bounds its stack.
    const std::size_t skipped = top_ > 0 && top().kind == FrameKind::kSkip ? top().skipDepth : 0;
    if (depth_ + depthOffset_ + skipped + 1 > options_.maxDepth) {
      fatal("too-costly",
            "JSON nesting deeper than " + std::to_string(options_.maxDepth) + " levels", {},
            lines_.at(base_ + offset()));
      return false;
    }
    return true;
  }

  // In a skipped subtree (unknown property, wrong type): count containers until it closes.
  bool skipping() {
    if (top_ > 0 && top().kind == FrameKind::kSkip) {
      ++top().skipDepth;
      return true;
    }
    return false;
  }
  bool skipContainer() {
    Frame& f = push(FrameKind::kSkip);
    f.skipDepth = 1;
    return true;
  }

  // The value being started is that of a resource's "resourceType" key.
  bool resourceTypeIsPending() {
    const Frame& f = top();
    return f.kind != FrameKind::kArray && f.hasPending && f.expectResourceType;
  }
  // "resourceType" given an object or an array: refused as scalar() refuses a number there
  // (the property has no type to build the container from). The root stops the parse; a
  // nested resource is skipped with the container that begins.
  bool resourceTypeNotAString() {
    Frame& f = top();
    f.hasPending = false;
    f.expectResourceType = false;
    f.resourceTypeSeen = true;
    fatalOrError(depth_ == 1, "structure", "resourceType must be a string", pathOf(f, {}),
                 f.keyLocation);
    if (depth_ == 1) return false;
    skipResource(f);
    return skipping();
  }

  // Resolves where the current value belongs; false when it is to be skipped.
  bool target(Target& t) {
    Frame& f = top();
    if (f.kind == FrameKind::kArray) {
      Frame& owner = frames_[top_ - 2];
      t.owner = &owner;
      t.match = f.match;
      t.underscore = f.underscore;
      t.inArray = true;
      t.index = f.count++;
      t.name = f.name;
      t.location = lines_.at(base_ + offset());
      return true;
    }
    if (!f.hasPending) return false;
    f.hasPending = false;
    if (f.pendingSkip) return false;
    t.owner = &f;
    t.match = f.pending;
    t.underscore = f.pendingUnderscore;
    t.name = f.pendingName.substr(t.underscore ? 1 : 0);
    t.location = f.keyLocation;
    if (t.match.isArray) {
      error("structure", "a single value was given where an array belongs",
            pathOf(f, f.pendingName), f.keyLocation);
      return false;
    }
    return true;
  }

  bool scalar(Scalar kind, std::string_view text) {
    if (aborted_) return false;
    if (depth_ == 0) {
      fatal("structure", "a FHIR resource must be a JSON object", {}, lines_.at(base_));
      return false;
    }
    Frame& f = top();
    if (f.kind == FrameKind::kSkip) return true;
    if (f.kind != FrameKind::kArray && f.hasPending && f.expectResourceType) {
      f.hasPending = false;
      f.expectResourceType = false;
      const bool known = f.resourceTypeSeen;
      f.resourceTypeSeen = true;
      if (kind != Scalar::kString) {
        fatalOrError(depth_ == 1, "structure", "resourceType must be a string", pathOf(f, {}),
                     f.keyLocation);
        return depth_ != 1 ? skipResource(f) : false;
      }
      if (known) {
        if (text != f.node->type()) {
          fatalOrError(depth_ == 1, "structure", "resourceType changed while parsing",
                       pathOf(f, {}), f.keyLocation);
          return depth_ != 1;
        }
        return true;
      }
      return typeResource(f, std::string(text), f.keyLocation) || depth_ != 1;
    }
    Target t;
    if (!target(t)) return true;
    const std::string& code = t.match.typeCode();
    Frame& owner = *t.owner;
    if (t.underscore) {
      if (kind == Scalar::kNull && t.inArray) {
        primitiveNode(t);
        return true;
      }
      error("structure",
            kind == Scalar::kNull ? "null is only allowed inside arrays"
                                  : "'_" + std::string(t.name) + "' must be an object",
            pathOf(owner, t.name, t.index), t.location);
      return true;
    }
    if (kind == Scalar::kNull) {
      if (t.inArray && isPrimitiveCode(code)) {
        primitiveNode(t);  // must be matched by an object in `_name` (checked at the end)
      } else {
        error("structure", "null is not allowed here", pathOf(owner, t.name, t.index), t.location);
      }
      return true;
    }
    if (std::string_view(code) == "xhtml") {
      if (kind != Scalar::kString) {
        error("structure", "the narrative div must be a string", pathOf(owner, t.name, t.index),
              t.location);
        return true;
      }
      // The markup must convert to XML as is, so it is checked here rather than when written.
      std::string problem = checkXhtmlDiv(text);
      if (!problem.empty()) {
        error("value", std::move(problem), pathOf(owner, t.name, t.index), t.location);
        return true;
      }
      auto node = nodeFor(t, NodeKind::kXhtml);
      node->assignValue(text);
      node->setLocation(t.location);
      attach(t, std::move(node));
      return true;
    }
    if (!isPrimitiveCode(code)) {
      error("structure",
            "expected an object for '" + std::string(t.name) + "' (type " + code + "), found " +
                scalarName(kind),
            pathOf(owner, t.name, t.index), t.location);
      return true;
    }
    const JsonValueKind want = jsonKindOf(code);
    bool ok = false;
    switch (want) {
      case JsonValueKind::kString:
        ok = kind == Scalar::kString;
        break;
      case JsonValueKind::kBoolean:
        ok = kind == Scalar::kBool;
        break;
      case JsonValueKind::kNumber:
        ok = kind == Scalar::kNumber;
        break;
      case JsonValueKind::kInteger:
        ok = kind == Scalar::kNumber && text.find_first_of(".eE") == std::string_view::npos;
        break;
    }
    if (!ok) {
      error("structure",
            "expected " + std::string(expectedJson(code)) + " for '" + std::string(t.name) +
                "' (type " + code + "), found " + scalarName(kind),
            pathOf(owner, t.name, t.index), t.location);
      return true;
    }
    if (kind == Scalar::kString && text.empty()) {
      error("value", "empty strings are not allowed", pathOf(owner, t.name, t.index), t.location);
      return true;
    }
    if (kind == Scalar::kString && hasControlCharacter(text)) {
      // https://hl7.org/fhir/R4/datatypes.html#string: SHOULD NOT contain characters below
      // U+0020 other than tab, CR and LF; XML cannot carry them at all.
      warning("value", "string contains control characters", pathOf(owner, t.name, t.index),
              t.location);
    }
    Element* node = primitiveNode(t);
    // The node's value is empty: a string built from the view and moved in takes the plain
    // constructor, cheaper than assign's path (aliasing checks, growth by doubling).
    node->setValue(std::string(text));
    return true;
  }

  static const char* scalarName(Scalar kind) {
    switch (kind) {
      case Scalar::kNull:
        return "null";
      case Scalar::kBool:
        return "a boolean";
      case Scalar::kNumber:
        return "a number";
      case Scalar::kString:
        return "a string";
    }
    return "a value";
  }
  static const char* expectedJson(std::string_view code) {
    switch (jsonKindOf(code)) {
      case JsonValueKind::kBoolean:
        return "a boolean";
      case JsonValueKind::kInteger:
        return "an integer number";
      case JsonValueKind::kNumber:
        return "a number";
      case JsonValueKind::kString:
        return "a string";
    }
    return "a value";
  }

  bool skipResource(Frame& f) {
    f.kind = FrameKind::kSkip;
    f.skipDepth = 1;
    return true;
  }

  // Sets the type of a resource frame from its resourceType.
  bool typeResource(Frame& f, std::string type, SourceLocation loc) {
    const TypeInfo* info = registry_.isResourceType(type) ? registry_.findType(type) : nullptr;
    if (!info || info->isAbstract()) {
      fatalOrError(depth_ == 1, "not-supported",
                   "unknown resourceType '" + type + "'" +
                       (info ? std::string(" (abstract)") : std::string()),
                   pathOf(f, {}), loc);
      if (depth_ == 1) return false;
      return skipResource(f);
    }
    f.type = info;
    f.resourceTypeSeen = true;
    f.node->setType(std::move(type));
    if (depth_ == 1 && f.node == root_.get()) {
      // the root is named after its type
      auto renamed = Element::makeResource(f.node->type());
      renamed->setLocation(root_->location());
      root_ = std::move(renamed);
      f.node = root_.get();
    } else if (depth_ > 1) {
      // A nested resource must fit the property's type ("Resource" or a specific type).
      const Frame& parent = frames_[top_ - 2];
      const PropertyMatch match = parent.kind == FrameKind::kArray ? parent.match : parent.pending;
      // Every resource type is a Resource (the usual case: contained, Bundle.entry.resource).
      if (match && match.typeCode() != "Resource" &&
          !registry_.isSubtypeOf(f.node->type(), match.typeCode())) {
        error("structure",
              "a " + f.node->type() + " is not allowed here (expected " + match.typeCode() + ")",
              pathOf(f, {}), loc);
      }
    }
    sizeSeen(f);
    return true;
  }

  // The primitive node for a target, shared by `name` and `_name`.
  Element* primitiveNode(const Target& t) {
    Frame& owner = *t.owner;
    // Only a property given both as `name` and `_name` needs its nodes found again: the other
    // spelling's key was read already when its flag is set.
    const auto order = static_cast<std::size_t>(t.match.order);
    const bool otherSeen = t.underscore ? owner.valueSeen[order] != 0 : owner.extSeen[order] != 0;
    PrimitiveSlot* slot = otherSeen ? slotFor(owner, t) : nullptr;
    const int index = t.inArray ? t.index : 0;
    if (slot && index < slot->count) {
      Element* node = owner.children[slot->first + static_cast<std::size_t>(index)].node.get();
      if (node->name() == t.name) return node;
    }
    if (slot && index >= slot->count && index < slot->total) {
      // nodes stored apart from the first run: find by scanning (only for mismatched arrays)
      int seen = 0;
      for (Pending& p : owner.children) {
        if (p.node->name() == t.name && seen++ == index) return p.node.get();
      }
    }
    countNode();
    auto node = nodeFor(t, NodeKind::kPrimitive);
    node->setLocation(t.location);
    if (t.match.isChoice) node->setChoiceBaseLength(t.match.baseNameLength);
    node->setProperty(t.match.property);
    Element* raw = node.get();
    const std::size_t position = owner.children.size();
    owner.children.push_back(Pending{std::move(node), t.inArray ? t.index : -1, t.match.order});
    if (slot) {
      if (slot->count == slot->total &&
          slot->first + static_cast<std::size_t>(slot->count) == position) {
        ++slot->count;
      }
      ++slot->total;
    }
    return raw;
  }

  // The slot of a primitive property whose other spelling was read: found, or made from the
  // nodes that spelling left among the pending children (null when it left none). A slot made
  // late records the other spelling's array length, which its EndArray could not.
  PrimitiveSlot* slotFor(Frame& owner, const Target& t) {
    if (PrimitiveSlot* slot = findSlot(owner, t.name, t.match.property)) return slot;
    std::size_t first = 0;
    int count = 0;
    int total = 0;
    for (std::size_t i = 0; i < owner.children.size(); ++i) {
      const Element& n = *owner.children[i].node;
      if (n.property() != t.match.property || n.name() != t.name) continue;
      if (total == 0) first = i;
      if (count == total && first + static_cast<std::size_t>(count) == i) ++count;
      ++total;
    }
    if (total == 0) return nullptr;
    PrimitiveSlot slot{
        owner.children[first].node->name(), t.match.property, first, count, total, -1, -1};
    if (t.match.isArray) (t.underscore ? slot.valueLength : slot.extLength) = total;
    owner.slots.push_back(slot);
    return &owner.slots.back();
  }

  // A node for a target: from the match's interned name and type code when it has them (no
  // string is built or looked up), from the key's text otherwise.
  static Element::Ptr nodeFor(const Target& t, NodeKind kind) {
    if (t.match.jsonName) {
      return Element::makeInterned(
          kind, t.match.jsonName,
          kind == NodeKind::kResource ? &emptyInternedName() : t.match.code);
    }
    return Element::makeNode(
        kind, t.name,
        kind == NodeKind::kResource ? std::string_view() : std::string_view(t.match.typeCode()));
  }

  PrimitiveSlot* findSlot(Frame& owner, std::string_view name, const PropertyInfo* property) {
    for (PrimitiveSlot& s : owner.slots) {
      if (s.property == property && s.name == name) return &s;
    }
    return nullptr;
  }

  // Bounds memory: a tree costs far more per element than its JSON text.
  void countNode() {
    if (++nodes_ == options_.maxElements + 1) tooManyNodes();
  }
  [[gnu::noinline]] void tooManyNodes() {
    fatal("too-costly",
          "more than " + std::to_string(options_.maxElements) + " elements in one document", {},
          lines_.at(base_ + offset()));
  }

  void attach(const Target& t, Element::Ptr node) {
    countNode();
    if (t.match.isChoice) node->setChoiceBaseLength(t.match.baseNameLength);
    node->setProperty(t.match.property);
    t.owner->children.push_back(Pending{std::move(node), t.inArray ? t.index : -1, t.match.order});
  }

  void finishObject(Frame& f) {
    for (const Pending& p : f.children) {
      const Element& n = *p.node;
      if (n.kind() == NodeKind::kPrimitive && !n.hasValue() && !n.hasChildren()) {
        error("structure",
              "null in '" + n.name() + "' at index " + std::to_string(p.index) +
                  " without a matching object in '_" + n.name() + "'",
              pathOf(f, n.name(), p.index), n.location());
      }
    }
    // Stable insertion sort: children mostly arrive in definition order already, and
    // std::stable_sort would allocate a buffer for every object.
    auto& c = f.children;
    for (std::size_t i = 1; i < c.size(); ++i) {
      if (c[i - 1].order <= c[i].order) continue;
      Pending moving = std::move(c[i]);
      std::size_t j = i;
      while (j > 0 && c[j - 1].order > moving.order) {
        c[j] = std::move(c[j - 1]);
        --j;
      }
      c[j] = std::move(moving);
    }
    f.node->reserveChildren(f.node->children().size() + f.children.size());
    for (Pending& p : f.children) f.node->appendChild(std::move(p.node), p.index);
    f.children.clear();
  }

  // The resource whose resourceType came late is re-parsed from its byte range.
  bool finishDeferred() {
    Frame& f = top();
    const std::size_t begin = f.beginOffset;
    const std::size_t end = recursive_ ? offset() : offset() + 1;
    const std::string_view slice = text_.substr(base_ + begin, end - begin);
    const std::string type = scanResourceType(slice);
    Element* node = f.node;
    const SourceLocation loc = f.beginLocation;
    const std::string path = pathOf(frames_[top_ - 2], node->name(), f.nodeIndex);
    pop();
    if (type.empty()) {
      error("structure", "resourceType is missing", path, loc);
      return true;
    }
    Outcome sub;
    ParseHandler handler(text_, base_ + begin, registry_, options_, sub, nesting_ + 1);
    handler.setRootType(type, loc);
    handler.depthOffset_ = depth_;
    rapidjson::MemoryStream ms(slice.data(), slice.size());
    handler.setStream(&ms);
    rapidjson::Reader reader;
    reader.Parse<kFlags>(ms, handler);
    Element::Ptr parsed = handler.takeRoot();
    // Issues of the nested parse carry paths relative to the nested resource.
    for (Issue& issue : sub.issues()) {
      if (issue.expression.rfind(type, 0) == 0) {
        issue.expression = path + issue.expression.substr(type.size());
      } else if (issue.expression.empty()) {
        issue.expression = path;
      }
      outcome_.add(std::move(issue));
    }
    if (!parsed || sub.hasErrors()) {
      if (!sub.hasErrors()) error("structure", "cannot parse nested resource", path, loc);
      if (sub.worst() == Severity::kFatal) {
        aborted_ = true;
        return false;
      }
      return true;
    }
    node->setType(parsed->type());
    while (parsed->hasChildren()) {
      Element::Ptr child = parsed->removeChild(0);
      const int index = child->index();
      node->appendChild(std::move(child), index);
    }
    return true;
  }

  // Issue expression of a property of frame f: "Observation.component[1].code".
  std::string pathOf(const Frame& f, std::string_view name, int index = -1) const {
    std::string out;
    for (std::size_t i = 0; i < top_; ++i) {
      const Frame& g = frames_[i];
      if (g.kind == FrameKind::kArray || g.kind == FrameKind::kSkip) {
        if (&g == &f) break;
        continue;
      }
      if (!out.empty()) out += '.';
      out += g.node->name();
      if (g.nodeIndex >= 0) {
        out += '[';
        out += std::to_string(g.nodeIndex);
        out += ']';
      }
      if (&g == &f) break;
    }
    if (!name.empty()) {
      if (!out.empty()) out += '.';
      out += name;
      if (index >= 0) {
        out += '[';
        out += std::to_string(index);
        out += ']';
      }
    }
    return out;
  }

  void add(Severity severity, const char* code, std::string message, std::string path,
           SourceLocation loc) {
    if (aborted_ && severity != Severity::kFatal) return;
    outcome_.add(Issue{severity, code, std::move(message), std::move(path), loc.line, loc.column});
    // A document made of mistakes must not make an outcome larger than itself.
    if (outcome_.issues().size() == kMaxIssues) {
      outcome_.add(Issue{Severity::kFatal,
                         "too-costly",
                         "more than " + std::to_string(kMaxIssues) + " issues; parsing stopped",
                         {},
                         loc.line,
                         loc.column});
      aborted_ = true;
    }
  }
  void error(const char* code, std::string message, std::string path, SourceLocation loc) {
    add(Severity::kError, code, std::move(message), std::move(path), loc);
  }
  void warning(const char* code, std::string message, std::string path, SourceLocation loc) {
    add(Severity::kWarning, code, std::move(message), std::move(path), loc);
  }
  void fatal(const char* code, std::string message, std::string path, SourceLocation loc) {
    add(Severity::kFatal, code, std::move(message), std::move(path), loc);
    aborted_ = true;
  }
  void fatalOrError(bool isFatal, const char* code, std::string message, std::string path,
                    SourceLocation loc) {
    if (isFatal) {
      fatal(code, std::move(message), std::move(path), loc);
    } else {
      error(code, std::move(message), std::move(path), loc);
    }
  }

  std::string_view text_;
  std::size_t base_;
  const DefinitionRegistry& registry_;
  const JsonParseOptions& options_;
  Outcome& outcome_;
  LineCounter lines_;
  int nesting_;
  const rapidjson::MemoryStream* stream_ = nullptr;
  const rapidjson::InsituStringStream* insituStream_ = nullptr;
  FramePool* pool_;
  std::vector<Frame> ownFrames_;  // when every pool is taken
  std::vector<Frame>& frames_;
  std::size_t top_ = 0;

 public:
  std::size_t depthOffset_ = 0;

 private:
  std::size_t depth_ = 0;
  std::string rootType_;
  Element::Ptr root_;
  bool needRootType_ = false;
  bool aborted_ = false;
  bool recursive_ = false;
  bool containerStart_ = false;
  std::size_t nodes_ = 0;
};

}  // namespace

Result<Element::Ptr> parseJson(std::string_view json, const DefinitionRegistry& registry,
                               const JsonParseOptions& options) {
  Outcome outcome;
  if (json.size() > options.maxBytes) {
    outcome.add(Issue{Severity::kFatal,
                      "too-long",
                      "JSON input of " + std::to_string(json.size()) +
                          " bytes exceeds the limit of " + std::to_string(options.maxBytes),
                      {},
                      0,
                      0});
    return Result<Element::Ptr>(std::move(outcome));
  }
  // RFC 8259 section 8.1: a parser may ignore a byte-order mark; FHIR servers commonly do.
  std::size_t start = 0;
  if (json.size() >= 3 && json.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    outcome.add(Issue{Severity::kWarning, "structure", "byte-order mark ignored", {}, 1, 1});
    start = 3;
  }
  const std::string_view body = json.substr(start);
  if (const std::size_t bad = findInvalidUtf8(body); bad != std::string_view::npos) {
    const SourceLocation loc = LineCounter(json).at(start + bad);
    outcome.add(Issue{Severity::kFatal,
                      "structure",
                      "invalid JSON: Invalid encoding (not well-formed UTF-8)",
                      {},
                      loc.line,
                      loc.column});
    return Result<Element::Ptr>(std::move(outcome));
  }
  std::string rootType;
  // The own reader first while the recursive one would run (the same bound on the stack); what
  // it gives up on is read again by RapidJSON from a fresh handler and a fresh copy.
  bool fast = options.maxDepth <= kMaxRecursiveDepth;
  // At most: the fast reader, again with the root type found, then RapidJSON.
  for (int attempt = 0; attempt < 4; ++attempt) {
    Outcome issues;
    ParseHandler handler(json, start, registry, options, issues, 0);
    if (!rootType.empty()) handler.setRootType(rootType, SourceLocation{1, 1});
    rapidjson::Reader reader;
    // Only RapidJSON's in-situ reader needs the copy of the text.
    rapidjson::InsituStringStream ss(nullptr);
    handler.setStream(&ss);
    if (fast) {
      handler.setRecursive(true);
      const InsituReadResult read =
          InsituJsonReader<ParseHandler>(body.data(), body.data() + body.size(), ss, handler)
              .read();
      // A handler that stops without a fatal issue (other than to learn the root type) gets
      // RapidJSON's "terminated" error: left to RapidJSON too, as is anything given up on.
      if (read == InsituReadResult::kGiveUp ||
          (read == InsituReadResult::kStopped && !handler.aborted() && !handler.needRootType())) {
        fast = false;
        continue;
      }
    } else {
      // In situ: strings are unescaped in the copy and handed over without another copy.
      thread_local std::string tBuffer;
      PaddedCopy copy(tBuffer, body);
      ss = rapidjson::InsituStringStream(copy.data());
      if (options.maxDepth <= kMaxRecursiveDepth) {
        // The recursive reader is the faster one; its stack depth is bounded by maxDepth (the
        // handler stops deeper input), so it is used while that bound is modest.
        handler.setRecursive(true);
        reader.Parse<kRecursiveFlags | rapidjson::kParseInsituFlag>(ss, handler);
      } else {
        reader.Parse<kFlags | rapidjson::kParseInsituFlag>(ss, handler);
      }
    }
    if (handler.needRootType() && rootType.empty()) {
      rootType = scanResourceType(body);
      if (rootType.empty()) {
        outcome.append(issues);
        outcome.add(Issue{Severity::kFatal, "structure", "resourceType is missing", {}, 1, 1});
        return Result<Element::Ptr>(std::move(outcome));
      }
      continue;
    }
    if (reader.HasParseError() && !handler.aborted()) {
      LineCounter lines(json);
      const SourceLocation loc = lines.at(start + reader.GetErrorOffset());
      issues.add(Issue{
          Severity::kFatal,
          "structure",
          std::string("invalid JSON: ") + rapidjson::GetParseError_En(reader.GetParseErrorCode()),
          {},
          loc.line,
          loc.column});
    }
    outcome.append(issues);
    Element::Ptr root = handler.takeRoot();
    if (!root) {
      if (!outcome.hasErrors()) {
        outcome.add(Issue{Severity::kFatal, "structure", "empty document", {}, 1, 1});
      }
      return Result<Element::Ptr>(std::move(outcome));
    }
    const bool failed =
        outcome.worst() == Severity::kFatal || (outcome.hasErrors() && !options.keepTreeOnErrors);
    if (failed) return Result<Element::Ptr>(std::move(outcome));
    return Result<Element::Ptr>(std::move(root), std::move(outcome));
  }
  return Result<Element::Ptr>(std::move(outcome));
}

}  // namespace notebridge::fhir
