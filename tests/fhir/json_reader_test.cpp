// The own JSON reader (json_reader.h) must give the core parser's handler exactly the events
// RapidJSON's recursive in-situ reader gives (over a zero-padded copy), at the same stream
// positions, and give up on anything it does not read the way RapidJSON does. These cases compare
// the two readers event by event, then whole parses through parseJson against RapidJSON's iterative
// reader.
// The same RapidJSON as json_parser.cpp's: its in-situ reader instantiations are the same
// symbols in both files, so they must be the same code (SSE2 scans), or the linker picks one.
#if defined(__x86_64__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/reader.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "json_reader.h"
#include "notebridge/fhir/json_format.h"

using namespace notebridge::fhir;

namespace {

// Records every event as text with the stream position the handler would read.
class Recorder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Recorder> {
 public:
  explicit Recorder(const rapidjson::InsituStringStream& stream, std::size_t stopAfter = 1u << 30)
      : stream_(stream), stopAfter_(stopAfter) {}
  std::vector<std::string> events;

  bool Null() { return add("null"); }
  bool Bool(bool b) { return add(b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return add("number " + std::string(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return add("string " + std::string(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return add("key " + std::string(s, n)); }
  bool StartObject() { return add("{"); }
  bool EndObject(rapidjson::SizeType n) { return add("} " + std::to_string(n)); }
  bool StartArray() { return add("["); }
  bool EndArray(rapidjson::SizeType n) { return add("] " + std::to_string(n)); }

 private:
  bool add(const std::string& what) {
    events.push_back(what + " @" + std::to_string(stream_.src_ - stream_.head_));
    return events.size() < stopAfter_;
  }
  const rapidjson::InsituStringStream& stream_;
  std::size_t stopAfter_;
};

struct Run {
  std::vector<std::string> events;
  bool error = false;  // RapidJSON: a parse error other than the handler's stop
  InsituReadResult result = InsituReadResult::kDone;
};

std::string padded(const std::string& json) { return json + std::string(32, '\0'); }

Run rapidJsonRun(const std::string& json, std::size_t stopAfter) {
  std::string buffer = padded(json);
  rapidjson::InsituStringStream ss(buffer.data());
  Recorder recorder(ss, stopAfter);
  rapidjson::Reader reader;
  reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag>(ss, recorder);
  Run run;
  run.events = recorder.events;
  run.error =
      reader.HasParseError() && reader.GetParseErrorCode() != rapidjson::kParseErrorTermination;
  return run;
}

Run ownRun(const std::string& json, std::size_t stopAfter) {
  // An exact-size copy: nothing after the text may be read (the sanitizer build checks).
  std::unique_ptr<char[]> text(new char[json.size()]);
  std::memcpy(text.get(), json.data(), json.size());
  rapidjson::InsituStringStream ss(nullptr);
  Recorder recorder(ss, stopAfter);
  Run run;
  run.result =
      InsituJsonReader<Recorder>(text.get(), text.get() + json.size(), ss, recorder).read();
  run.events = recorder.events;
  return run;
}

// What the parser relies on: a finished or stopped read saw RapidJSON's events exactly (and
// RapidJSON found no error); a read given up on saw a prefix of them.
void checkSame(const std::string& json, std::size_t stopAfter = 1u << 30) {
  const Run theirs = rapidJsonRun(json, stopAfter);
  const Run ours = ownRun(json, stopAfter);
  BOOST_TEST_CONTEXT(json) {
    if (ours.result == InsituReadResult::kGiveUp) {
      BOOST_TEST_REQUIRE(ours.events.size() <= theirs.events.size());
      for (std::size_t i = 0; i < ours.events.size(); ++i) {
        BOOST_TEST(ours.events[i] == theirs.events[i]);
      }
      return;
    }
    BOOST_TEST(!theirs.error);
    BOOST_TEST(ours.events == theirs.events, boost::test_tools::per_element());
    BOOST_TEST((ours.result == InsituReadResult::kStopped) == (theirs.events.size() >= stopAfter));
  }
}

const std::string kDocument =
    R"({"resourceType":"Observation","id":"o1","meta":{"security":[{"system":"http://x","code":"R"}]},)"
    R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a \u00e9 \u20AC b\/c</p></div>"},)"
    R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}],"text":"PHQ-9"},)"
    R"("valueQuantity":{"value":-12.50,"unit":"{score}"},"component":[{"code":{"text":"a\tb\nc\\d\"e"},)"
    R"("valueInteger":0}],"note":[{"text":"x"}],"_status":{"extension":[{"url":"u","valueBoolean":false}]},)"
    R"("issued":"2025-03-04T15:00:00-05:00","focus":[{"reference":"Patient/1"},{"display":"\u0041"}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(json_reader)

BOOST_AUTO_TEST_CASE(events_and_positions_match_rapidjson) {
  const std::vector<std::string> documents = {
      kDocument,
      "  {\n  \"a\" : [ 1 , 2.5 , -0 , true , false , null ] ,\r\n\t\"b\" : { } , \"c\" : [ ] }\n ",
      R"({"a":{"b":{"c":[[[{}]]]}}})",
      R"({"key":"v\u0000w","":"","e":"\b\f\n\r\t\/\\","f":"\"","g":"x\u00e9y\u0800z"})",
      R"({"n":123456789012345678,"m":-0.000001,"t":true})",
      "{\"utf8\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}",
  };
  for (const auto& json : documents) {
    checkSame(json);
    BOOST_TEST((ownRun(json, 1u << 30).result == InsituReadResult::kDone), json);
  }
}

BOOST_AUTO_TEST_CASE(what_rapidjson_treats_otherwise_is_given_up) {
  const std::vector<std::string> documents = {
      "",
      "  ",
      "[1]",
      "\"x\"",
      R"({"a":1,})",
      R"({"a" 1})",
      R"({"a":1 "b":2})",
      R"({"a":[1,]})",
      R"({"a":[1 2]})",
      R"({"a":tru})",
      R"({"a":nul})",
      R"({"a":fals})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":-})",
      R"({"a":+1})",
      R"({"a":.5})",
      R"({"a":1e5})",
      R"({"a":1E-5})",
      R"({"a":12345678901234567890})",
      R"({"a":"\ud83d\ude00"})",
      R"({"a":"\udc00"})",
      R"({"a":"\u12G4"})",
      R"({"a":"\x"})",
      R"({"k\"ey":1})",
      R"({"a":"\u00")",
      R"({"a":"x\)",
      R"({"a":"x)",
      R"({"a":tr)",
      R"({"a":-)",
      R"({"a":1.)",
      R"({"a":12)",
      "{\"a\":\"tab\there\"}",
      "{\"a\":\"line\nbreak\"}",
      R"({"a":"unterminated})",
      R"({"a":1)",
      R"({"a":1}})",
      R"({"a":1} x)",
      R"({a:1})",
      R"({"a":'x'})",
      R"({"a":1}/*c*/)",
  };
  for (const auto& json : documents) {
    checkSame(json);
    BOOST_TEST((ownRun(json, 1u << 30).result == InsituReadResult::kGiveUp), json);
  }
  // A zero byte ends the document for RapidJSON's in-situ stream, and so for this reader.
  checkSame(std::string(R"({"a":1})") + '\0' + "garbage");
}

BOOST_AUTO_TEST_CASE(a_stopping_handler_stops_both_readers_at_the_same_event) {
  for (std::size_t stop = 1; stop < 60; ++stop) checkSame(kDocument, stop);
}

BOOST_AUTO_TEST_CASE(mutated_documents_match_rapidjson) {
  std::mt19937 rng(20261207);
  const std::string alphabet = "{}[]:,\"\\ \n01-.eEtrufalsn\x01u";
  for (int round = 0; round < 3000; ++round) {
    std::string json = kDocument;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % json.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          json.erase(at, 1);
          break;
        case 1:
          json.insert(at, 1, c);
          break;
        default:
          json[at] = c;
          break;
      }
    }
    checkSame(json);
  }
}

// Through the whole parser: the own reader (the default depth limit) and RapidJSON's iterative
// reader (a limit above the recursive bound) give the same issues and the same tree.
BOOST_AUTO_TEST_CASE(parses_match_the_rapidjson_path) {
  auto registry = DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  JsonParseOptions iterative;
  iterative.maxDepth = 1000;
  iterative.keepTreeOnErrors = true;
  JsonParseOptions own;
  own.keepTreeOnErrors = true;
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]:,\"\\ \n01-.etrunl\x01";
  std::vector<std::string> documents = {
      kDocument,
      // resourceType late (the root and a nested resource re-parsed), unknown properties,
      // wrong value kinds, primitive extensions with nulls.
      R"({"id":"x","resourceType":"Patient","active":"yes","bogus":1})",
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"id":"p","resourceType":"Patient"}}]})",
      R"({"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"g"}]}]})",
      "{\n  \"resourceType\": \"Patient\",\n  \"birthDate\": 1970,\n  \"active\": true\n}",
  };
  for (int round = 0; round < 400; ++round) {
    std::string json = kDocument;
    // The opening brace stays: RapidJSON's two readers word a bad first byte differently.
    const std::size_t at = 1 + rng() % (json.size() - 1);
    json[at] = alphabet[rng() % alphabet.size()];
    documents.push_back(json);
  }
  for (const auto& json : documents) {
    auto a = parseJson(json, *registry, own);
    auto b = parseJson(json, *registry, iterative);
    BOOST_TEST_CONTEXT(json) {
      BOOST_TEST(
          (a.outcome().issues() == b.outcome().issues()),
          a.outcome().toOperationOutcomeJson() + " vs " + b.outcome().toOperationOutcomeJson());
      BOOST_TEST_REQUIRE(a.ok() == b.ok());
      if (a.ok()) BOOST_TEST(writeJson(*a.value()) == writeJson(*b.value()));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
