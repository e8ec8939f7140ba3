// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/labels.hpp"

#include <algorithm>

namespace hepd {

namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]  -- the "qualified name" part of a key, and label values.
bool is_qualified_part(std::string_view s) {
    if (s.empty()) return false;
    if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
    for (char c : s) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
}

// compare() rather than `e.first < k`: clang 14 with libstdc++ 12 (the fuzz build) rejects the
// rewritten operator<=> between std::string and std::string_view.
template <class Vec>
auto lower_bound_key(Vec& v, std::string_view key) {
    return std::lower_bound(v.begin(), v.end(), key, [](const Labels::Entry& e, std::string_view k) {
        return e.first.compare(k) < 0;
    });
}

}  // namespace

Labels::Labels(std::initializer_list<Entry> init) {
    for (const auto& e : init) set(e.first, e.second);
}

void Labels::set(std::string key, std::string value) {
    auto it = lower_bound_key(entries_, key);
    if (it != entries_.end() && it->first == key) {
        it->second = std::move(value);
        return;
    }
    entries_.insert(it, Entry{std::move(key), std::move(value)});
}

void Labels::set_default(std::string_view key, std::string_view value) {
    auto it = lower_bound_key(entries_, key);
    if (it != entries_.end() && it->first == key) return;
    entries_.insert(it, Entry{std::string(key), std::string(value)});
}

bool Labels::erase(std::string_view key) {
    auto it = lower_bound_key(entries_, key);
    if (it == entries_.end() || it->first != key) return false;
    entries_.erase(it);
    return true;
}

const std::string* Labels::find(std::string_view key) const {
    auto it = lower_bound_key(entries_, key);
    if (it == entries_.end() || it->first != key) return nullptr;
    return &it->second;
}

std::string Labels::format() const {
    std::string out;
    for (const auto& [k, v] : entries_) {
        if (!out.empty()) out += ',';
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

bool is_dns1123_label(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    if (!is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
    for (char c : s) {
        if (!is_lower_alnum(c) && c != '-') return false;
    }
    return true;
}

bool is_dns1123_subdomain(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    size_t start = 0;
    while (true) {
        size_t dot = s.find('.', start);
        std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
        // Parts of a subdomain follow the label character rules; their length is bounded only by
        // the total.
        if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) return false;
        for (char c : part) {
            if (!is_lower_alnum(c) && c != '-') return false;
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

std::optional<std::string> check_label_key(std::string_view key) {
    std::string_view name = key;
    size_t slash = key.find('/');
    if (slash != std::string_view::npos) {
        std::string_view prefix = key.substr(0, slash);
        name = key.substr(slash + 1);
        if (prefix.empty()) return "the prefix before '/' must not be empty";
        if (prefix.size() > 253) return "the prefix before '/' must be at most 253 characters";
        if (!is_dns1123_subdomain(prefix))
            return "the prefix before '/' must be a DNS subdomain: lowercase letters, digits, '-' "
                   "and '.', starting and ending with a letter or digit";
    }
    if (name.empty()) return "the name part must not be empty";
    if (name.size() > 63) return "the name part must be at most 63 characters";
    if (!is_qualified_part(name))
        return "the name part must consist of letters, digits, '-', '_' or '.', and start and end "
               "with a letter or digit";
    return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view value) {
    if (value.empty()) return std::nullopt;
    if (value.size() > 63) return "a label value must be at most 63 characters";
    if (!is_qualified_part(value))
        return "a label value must consist of letters, digits, '-', '_' or '.', and start and end "
               "with a letter or digit";
    return std::nullopt;
}

}  // namespace hepd
