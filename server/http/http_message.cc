#include "server/http/http_message.h"

#include <algorithm>

namespace tenantkv::server {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

const std::string& Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

const std::string* HttpHeaders::Find(std::string_view name) const {
  for (const auto& f : fields_) {
    if (HeaderNameEquals(f.first, name)) return &f.second;
  }
  return nullptr;
}

size_t HttpHeaders::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [name](const Field& f) { return HeaderNameEquals(f.first, name); }));
}

void HttpHeaders::Set(std::string_view name, std::string value) {
  Erase(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void HttpHeaders::Erase(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [name](const Field& f) { return HeaderNameEquals(f.first, name); }),
                fields_.end());
}

const std::string& HttpRequest::Header(std::string_view name) const {
  const std::string* v = headers.Find(name);
  return v != nullptr ? *v : Empty();
}

std::string_view HttpRequest::Path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

void HttpResponse::SetHeader(std::string_view name, std::string value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return;
  headers.Set(name, std::move(value));
}

const std::string& HttpResponse::Header(std::string_view name) const {
  const std::string* v = headers.Find(name);
  return v != nullptr ? *v : Empty();
}

void HttpResponse::SetBody(std::string body_in, std::string_view content_type) {
  body = std::move(body_in);
  headers.Set("Content-Type", std::string(content_type));
}

}  // namespace tenantkv::server
