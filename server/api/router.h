// Router: matches a method and a raw request path against route patterns.
//
// Patterns are '/'-separated segments; "{name}" captures one
// percent-decoded segment, a final "{*name}" captures the percent-decoded
// rest of the path (slashes included). Matching happens on the raw target,
// before decoding, so an encoded "%2F" inside a segment never splits it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tenantkv::server {

using PathParams = std::map<std::string, std::string>;

template <typename Route>
class Router {
 public:
  void Add(std::string method, std::string pattern, Route route) {
    std::vector<std::string> split = Split(pattern);
    entries_.push_back({std::move(method), std::move(pattern), std::move(split), std::move(route)});
  }

  // Calls f(method, pattern, route) for every route in the order added, with
  // the route mutable (for numbering routes before serving).
  template <typename F>
  void ForEachRoute(F&& f) {
    for (auto& e : entries_) f(e.method, e.pattern_text, e.route);
  }

  enum class Outcome { kMatched, kNotFound, kMethodNotAllowed, kBadEncoding };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Route* route = nullptr;
    PathParams params;
    std::string allow;  // for kMethodNotAllowed: "GET, HEAD, PUT"
  };

  // `method` HEAD matches GET routes.
  Match Find(std::string_view method, std::string_view raw_path,
             const std::function<bool(std::string_view, std::string*)>& decode) const {
    Match m;
    std::vector<std::string_view> segs = SplitView(raw_path);
    std::vector<std::string> allowed;
    for (const auto& e : entries_) {
      PathParams params;
      int r = MatchPattern(e.pattern, raw_path, segs, decode, &params);
      if (r < 0) {
        m.outcome = Outcome::kBadEncoding;
        return m;
      }
      if (r == 0) continue;
      if (e.method == method || (method == "HEAD" && e.method == "GET")) {
        m.outcome = Outcome::kMatched;
        m.route = &e.route;
        m.params = std::move(params);
        return m;
      }
      allowed.push_back(e.method);
      if (e.method == "GET") allowed.push_back("HEAD");
    }
    if (!allowed.empty()) {
      m.outcome = Outcome::kMethodNotAllowed;
      for (const auto& a : allowed) m.allow += (m.allow.empty() ? "" : ", ") + a;
    }
    return m;
  }

 private:
  struct Entry {
    std::string method;
    std::string pattern_text;
    std::vector<std::string> pattern;
    Route route;
  };

  static std::vector<std::string> Split(std::string_view p) {
    std::vector<std::string> out;
    for (auto s : SplitView(p)) out.emplace_back(s);
    return out;
  }
  static std::vector<std::string_view> SplitView(std::string_view p) {
    std::vector<std::string_view> out;
    out.reserve(8);
    if (!p.empty() && p[0] == '/') p.remove_prefix(1);
    while (true) {
      size_t slash = p.find('/');
      out.push_back(p.substr(0, slash));
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash + 1);
    }
    return out;
  }

  // 1 = match, 0 = no match, -1 = bad percent-encoding in a captured part.
  static int MatchPattern(const std::vector<std::string>& pattern, std::string_view raw_path,
                          const std::vector<std::string_view>& segs,
                          const std::function<bool(std::string_view, std::string*)>& decode,
                          PathParams* params) {
    const bool has_rest = !pattern.empty() && pattern.back().rfind("{*", 0) == 0;
    if (!has_rest && segs.size() != pattern.size()) return 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const std::string& p = pattern[i];
      const bool capture = p.size() > 2 && p.front() == '{' && p.back() == '}';
      if (capture && p[1] == '*') {
        if (i >= segs.size()) return 0;
        // The rest of the raw path from segment i on, slashes included.
        size_t offset = static_cast<size_t>(segs[i].data() - raw_path.data());
        std::string value;
        if (!decode(raw_path.substr(offset), &value)) return -1;
        (*params)[p.substr(2, p.size() - 3)] = std::move(value);
        return 1;
      }
      if (i >= segs.size()) return 0;
      if (capture) {
        std::string value;
        if (!decode(segs[i], &value)) return -1;
        (*params)[p.substr(1, p.size() - 2)] = std::move(value);
      } else if (segs[i] != p) {
        return 0;
      }
    }
    return segs.size() == pattern.size() ? 1 : 0;
  }

  std::vector<Entry> entries_;
};

}  // namespace tenantkv::server
