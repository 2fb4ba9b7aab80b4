#include "tools/admin/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>
#include <set>

namespace tenantkv::tools {
namespace {

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument((path.empty() ? std::string("the file") : path) + ": " + what,
                                 "invalid_file");
}

bool IsNullWord(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A plain scalar as YAML 1.2's core schema reads it; integers past 64 bits
// are refused rather than rounded.
Result<Json> PlainScalar(const std::string& s, const std::string& path) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (IsNullWord(s)) return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  if (std::regex_match(s, kInt)) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == ERANGE) return Invalid(path, "integer " + s + " does not fit in 64 bits");
    return Json(static_cast<std::int64_t>(v));
  }
  if (std::regex_match(s, kFloat)) return Json(std::strtod(s.c_str(), nullptr));
  return Json(s);
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

Result<Json> Convert(const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return Json(nullptr);
    case YAML::NodeType::Scalar: {
      // "!" marks a quoted scalar, and an explicit !!str tag asks for a string.
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(node.Scalar());
      return PlainScalar(node.Scalar(), path);
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      std::size_t i = 0;
      for (const YAML::Node& item : node) {
        TKV_ASSIGN_OR_RETURN(Json v, Convert(item, path + "[" + std::to_string(i++) + "]"));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      std::set<std::string> seen;
      for (const auto& pair : node) {
        if (!pair.first.IsScalar()) return Invalid(path, "a mapping key that is not a plain value");
        const std::string key = pair.first.Scalar();
        if (!seen.insert(key).second) return Invalid(path, "key '" + key + "' given twice");
        TKV_ASSIGN_OR_RETURN(Json v, Convert(pair.second, Child(path, key)));
        out[key] = std::move(v);
      }
      return out;
    }
  }
  return Invalid(path, "a YAML node of an unknown kind");
}

// Whether `s` must be quoted so that it reads back as this very string.
bool NeedsQuotes(const std::string& s) {
  Result<Json> plain = PlainScalar(s, "");
  return !plain.ok() || !plain->is_string();
}

void Emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      if (value.empty()) out << YAML::Flow;  // "{}" on the key's line
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : value) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case Json::value_t::boolean: out << value.get<bool>(); return;
    case Json::value_t::number_integer: out << value.get<std::int64_t>(); return;
    case Json::value_t::number_unsigned: out << value.get<std::uint64_t>(); return;
    case Json::value_t::number_float: out << value.get<double>(); return;
    default: out << YAML::Null; return;
  }
}

}  // namespace

Result<Json> YamlToJson(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {  // yaml-cpp reports by throwing: turn it into a value here
    return Status::InvalidArgument("not valid YAML: line " + std::to_string(e.mark.line + 1) + ", column " +
                                       std::to_string(e.mark.column + 1) + ": " + e.msg,
                                   "invalid_file");
  }
  if (docs.empty()) return Invalid("", "it is empty");
  if (docs.size() > 1)
    return Invalid("", "it holds " + std::to_string(docs.size()) + " YAML documents, not one");
  try {
    return Convert(docs.front(), "");
  } catch (const YAML::Exception& e) {
    return Invalid("", std::string("cannot read the YAML: ") + e.what());
  }
}

std::string JsonToYaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace tenantkv::tools
