#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace notebridge::testing {

// Compares two JSON texts as JSON: object key order ignored, numbers compared as their text
// (so 1.50 differs from 1.5). Returns an empty string when equal, else where they differ.
inline std::string jsonDifference(const rapidjson::Value& a, const rapidjson::Value& b,
                                  const std::string& path) {
  if (a.GetType() != b.GetType()) return path + ": different JSON types";
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) {
      std::string names;
      for (auto& m : a.GetObject()) {
        if (!b.HasMember(m.name)) names += std::string(" -") + m.name.GetString();
      }
      for (auto& m : b.GetObject()) {
        if (!a.HasMember(m.name)) names += std::string(" +") + m.name.GetString();
      }
      return path + ": different member count" + names;
    }
    for (auto& m : a.GetObject()) {
      auto it = b.FindMember(m.name);
      if (it == b.MemberEnd()) return path + ": missing " + m.name.GetString();
      std::string d = jsonDifference(m.value, it->value, path + "." + m.name.GetString());
      if (!d.empty()) return d;
    }
    return {};
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return path + ": different array length";
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      std::string d = jsonDifference(a[i], b[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return {};
  }
  if (a.IsString()) {
    if (std::string_view(a.GetString(), a.GetStringLength()) !=
        std::string_view(b.GetString(), b.GetStringLength())) {
      return path + ": '" + std::string(a.GetString()).substr(0, 80) + "' vs '" +
             std::string(b.GetString()).substr(0, 80) + "'";
    }
    return {};
  }
  if (a.IsBool() && a.GetBool() != b.GetBool()) return path + ": different boolean";
  return {};
}

inline std::string jsonDifference(std::string_view a, std::string_view b) {
  rapidjson::Document da, db;
  da.Parse<rapidjson::kParseNumbersAsStringsFlag>(a.data(), a.size());
  db.Parse<rapidjson::kParseNumbersAsStringsFlag>(b.data(), b.size());
  if (da.HasParseError()) return "first text is not JSON";
  if (db.HasParseError()) return "second text is not JSON";
  std::string text = jsonDifference(da, db, "$");
  if (!text.empty()) return text;
  // Numbers-as-strings hides a quoted number: compare the JSON types once more.
  rapidjson::Document ta, tb;
  ta.Parse(a.data(), a.size());
  tb.Parse(b.data(), b.size());
  return jsonDifference(ta, tb, "$");
}

}  // namespace notebridge::testing
