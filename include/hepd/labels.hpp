// SPDX-License-Identifier: GPL-2.0-or-later
// Labels: the key/value map that selectors are evaluated against, and the Kubernetes rules that
// label keys and values obey (Calico validates resource labels with them).
//
// The map is a flat vector sorted by key: endpoints carry a handful of labels, and a binary search
// over a contiguous array is faster than any node-based map at that size and never allocates on
// lookup, which is what selector evaluation needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hepd {

class Labels {
public:
    using Entry = std::pair<std::string, std::string>;

    Labels() = default;
    Labels(std::initializer_list<Entry> init);

    // Sets key to value, replacing an existing value.
    void set(std::string key, std::string value);
    // Sets key only when it is absent (for inherited labels: the endpoint's own label wins).
    void set_default(std::string_view key, std::string_view value);
    bool erase(std::string_view key);

    // The value of key, or nullptr when the label is absent. Never allocates.
    const std::string* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }

    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }

    // "k1=v1,k2=v2" in key order (for status lines and test output).
    std::string format() const;

    bool operator==(const Labels&) const = default;

private:
    std::vector<Entry> entries_;  // sorted by key, keys unique
};

// Kubernetes label rules (k8s.io/apimachinery validation IsQualifiedName / IsValidLabelValue).
// Each returns std::nullopt when valid, or a message describing the problem (without the value
// itself, so the caller can phrase the context: "label key 'Foo/x': <message>").
std::optional<std::string> check_label_key(std::string_view key);
std::optional<std::string> check_label_value(std::string_view value);

// DNS-1123 subdomain: lowercase alphanumerics, '-' and '.', each dot-separated part starting and
// ending alphanumeric, at most 253 characters. Calico resource names follow it.
bool is_dns1123_subdomain(std::string_view s);
// DNS-1123 label: one part of the above, at most 63 characters.
bool is_dns1123_label(std::string_view s);

}  // namespace hepd
