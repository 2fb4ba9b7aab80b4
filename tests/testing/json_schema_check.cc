#include "tests/testing/json_schema_check.h"

#include <regex>
#include <set>

namespace tenantkv::testing {
namespace {

using nlohmann::json;

bool HasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

class Checker {
 public:
  explicit Checker(const json& root) : root_(root) {}

  void Check(const json& schema, const json& v, const std::string& path) {
    static const std::set<std::string> kAnnotations = {"$schema",  "$id",   "$defs",
                                                       "$comment", "title", "description"};
    for (const auto& [keyword, arg] : schema.items()) {
      if (kAnnotations.count(keyword) != 0) continue;
      if (keyword == "$ref") {
        const std::string ref = arg.get<std::string>();
        const std::string prefix = "#/$defs/";
        if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size()))) {
          Fail(path, "unsupported or unknown $ref " + ref);
        } else {
          Check(root_["$defs"][ref.substr(prefix.size())], v, path);
        }
      } else if (keyword == "type") {
        if (!HasType(v, arg.get<std::string>())) Fail(path, "expected " + arg.get<std::string>());
      } else if (keyword == "enum") {
        bool found = false;
        for (const auto& e : arg) found = found || e == v;
        if (!found) Fail(path, v.dump() + " is not in " + arg.dump());
      } else if (keyword == "pattern") {
        if (v.is_string() && !std::regex_search(v.get<std::string>(), std::regex(arg.get<std::string>()))) {
          Fail(path, v.dump() + " does not match " + arg.get<std::string>());
        }
      } else if (keyword == "minLength" || keyword == "maxLength") {
        if (!v.is_string()) continue;
        const auto n = v.get<std::string>().size();
        if (keyword == "minLength" ? n < arg.get<std::size_t>() : n > arg.get<std::size_t>())
          Fail(path, "bad length");
      } else if (keyword == "minimum" || keyword == "maximum") {
        if (!v.is_number()) continue;
        if (keyword == "minimum" ? v < arg : v > arg)
          Fail(path, v.dump() + " is past the " + keyword + " " + arg.dump());
      } else if (keyword == "required") {
        if (!v.is_object()) continue;
        for (const auto& name : arg) {
          if (!v.contains(name.get<std::string>())) Fail(path, "missing " + name.get<std::string>());
        }
      } else if (keyword == "properties") {
        if (!v.is_object()) continue;
        for (const auto& [name, sub] : arg.items()) {
          if (v.contains(name)) Check(sub, v[name], path + "." + name);
        }
      } else if (keyword == "additionalProperties") {
        if (!v.is_object()) continue;
        const json properties = schema.value("properties", json::object());
        for (const auto& [name, item] : v.items()) {
          if (properties.contains(name)) continue;
          if (arg.is_boolean()) {
            if (!arg.get<bool>()) Fail(path + "." + name, "not allowed");
          } else {
            Check(arg, item, path + "." + name);
          }
        }
      } else if (keyword == "items") {
        if (!v.is_array()) continue;
        for (std::size_t i = 0; i < v.size(); ++i) Check(arg, v[i], path + "[" + std::to_string(i) + "]");
      } else {
        Fail(path, "schema keyword " + keyword + " is not supported by this check");
      }
    }
  }

  std::vector<std::string> errors;

 private:
  void Fail(const std::string& path, const std::string& why) {
    errors.push_back((path.empty() ? "$" : path) + ": " + why);
  }
  const json& root_;
};

}  // namespace

std::vector<std::string> CheckJsonSchema(const nlohmann::json& schema, const nlohmann::json& doc) {
  Checker checker(schema);
  checker.Check(schema, doc, "");
  return checker.errors;
}

}  // namespace tenantkv::testing
