#include "notebridge/conformance/capability_statement.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>

namespace notebridge::conformance {
namespace {

// The order the spec's restful-interaction code system lists the codes in, so the statement
// reads the same whatever order routes were registered in.
constexpr std::array<std::string_view, 13> kInteractionOrder = {
    "read",          "vread",  "update",      "patch",       "delete", "history-instance",
    "history-type",  "create", "search-type", "transaction", "batch",  "search-system",
    "history-system"};

std::size_t rank(std::string_view code) {
  auto it = std::find(kInteractionOrder.begin(), kInteractionOrder.end(), code);
  return static_cast<std::size_t>(it - kInteractionOrder.begin());
}

struct CodeOrder {
  bool operator()(const std::string& a, const std::string& b) const {
    const std::size_t ra = rank(a), rb = rank(b);
    return ra != rb ? ra < rb : a < b;
  }
};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void writeOperations(Writer& w, const std::vector<const RestOperation*>& operations) {
  if (operations.empty()) return;
  w.Key("operation");
  w.StartArray();
  for (const RestOperation* op : operations) {
    w.StartObject();
    w.Key("name");
    writeString(w, op->name);
    w.Key("definition");
    writeString(w, op->definition);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string buildCapabilityStatementJson(const ServerDescription& server,
                                         const std::vector<RestInteraction>& interactions,
                                         const std::vector<RestOperation>& operations,
                                         const std::vector<RestSearchParam>& searchParams) {
  std::map<std::string, std::set<std::string, CodeOrder>> byType;
  std::set<std::string, CodeOrder> system;
  for (const RestInteraction& i : interactions) {
    if (i.resourceType.empty()) {
      system.insert(i.code);
    } else {
      byType[i.resourceType].insert(i.code);
    }
  }
  std::map<std::string, std::vector<const RestOperation*>> operationsByType;
  for (const RestOperation& op : operations) {
    auto& list = operationsByType[op.resourceType];
    if (std::none_of(list.begin(), list.end(), [&](const RestOperation* o) { return *o == op; })) {
      list.push_back(&op);
    }
    if (!op.resourceType.empty()) byType[op.resourceType];  // a type with operations only
  }
  std::map<std::string, std::vector<const RestSearchParam*>> searchParamsByType;
  for (const RestSearchParam& param : searchParams) {
    auto& list = searchParamsByType[param.resourceType];
    if (std::none_of(list.begin(), list.end(),
                     [&](const RestSearchParam* p) { return *p == param; })) {
      list.push_back(&param);
    }
    byType[param.resourceType];
  }

  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("resourceType");
  w.String("CapabilityStatement");
  w.Key("status");
  w.String("active");
  w.Key("date");
  writeString(w, server.date);
  w.Key("kind");
  w.String("instance");
  w.Key("software");
  w.StartObject();
  w.Key("name");
  writeString(w, server.softwareName);
  if (!server.softwareVersion.empty()) {
    w.Key("version");
    writeString(w, server.softwareVersion);
  }
  w.EndObject();
  w.Key("implementation");
  w.StartObject();
  w.Key("description");
  writeString(w, server.implementationDescription.empty() ? server.softwareName
                                                          : server.implementationDescription);
  w.EndObject();
  w.Key("fhirVersion");
  w.String("4.0.1");
  w.Key("format");
  w.StartArray();
  for (const std::string& f : server.formats) writeString(w, f);
  w.EndArray();
  w.Key("rest");
  w.StartArray();
  w.StartObject();
  w.Key("mode");
  w.String("server");
  if (!server.securityServices.empty()) {
    w.Key("security");
    w.StartObject();
    w.Key("service");
    w.StartArray();
    for (const std::string& code : server.securityServices) {
      w.StartObject();
      w.Key("coding");
      w.StartArray();
      w.StartObject();
      w.Key("system");
      w.String("http://terminology.hl7.org/CodeSystem/restful-security-service");
      w.Key("code");
      writeString(w, code);
      w.EndObject();
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (!byType.empty()) {
    w.Key("resource");
    w.StartArray();
    for (const auto& [type, codes] : byType) {
      w.StartObject();
      w.Key("type");
      writeString(w, type);
      if (!codes.empty()) {
        w.Key("interaction");
        w.StartArray();
        for (const std::string& code : codes) {
          w.StartObject();
          w.Key("code");
          writeString(w, code);
          w.EndObject();
        }
        w.EndArray();
      }
      // Element order of CapabilityStatement.rest.resource: searchParam before operation.
      auto params = searchParamsByType.find(type);
      if (params != searchParamsByType.end()) {
        w.Key("searchParam");
        w.StartArray();
        for (const RestSearchParam* param : params->second) {
          w.StartObject();
          w.Key("name");
          writeString(w, param->name);
          w.Key("type");
          writeString(w, param->type);
          w.EndObject();
        }
        w.EndArray();
      }
      auto ops = operationsByType.find(type);
      if (ops != operationsByType.end()) writeOperations(w, ops->second);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!system.empty()) {
    w.Key("interaction");
    w.StartArray();
    for (const std::string& code : system) {
      w.StartObject();
      w.Key("code");
      writeString(w, code);
      w.EndObject();
    }
    w.EndArray();
  }
  auto systemOps = operationsByType.find("");
  if (systemOps != operationsByType.end()) writeOperations(w, systemOps->second);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace notebridge::conformance
