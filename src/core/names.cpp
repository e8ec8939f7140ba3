// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/names.hpp"

#include "hepd/hash.hpp"

namespace hepd::names {

namespace {

std::string hashed(std::string_view head, std::string_view text) {
    return std::string(head) + hash_name(text, hash_chars);
}

}  // namespace

std::string endpoint_chain(std::string_view kind, std::string_view iface) {
    std::string head = "hepd-" + std::string(kind) + "-";
    std::string name = head + (iface == "*" ? std::string("any-interface-at-all") : std::string(iface));
    if (name.size() <= max_chain) return name;
    // Only "*" with the longer kinds gets here (interface names are at most 15 characters).
    return hashed(head, name);
}

std::string policy_chain(bool ingress, std::string_view policy_name) {
    return hashed(ingress ? "hepd-pi-" : "hepd-po-", policy_name);
}

std::string profile_chain(bool ingress, std::string_view profile_name) {
    return hashed(ingress ? "hepd-pri-" : "hepd-pro-", profile_name);
}

std::string selector_set(uint8_t family, std::string_view canonical_selector) {
    return hashed(family == 4 ? "hepd4s-" : "hepd6s-", canonical_selector);
}

std::string named_port_set(uint8_t family, std::string_view key) {
    return hashed(family == 4 ? "hepd4n-" : "hepd6n-", key);
}

bool is_owned_chain(std::string_view name) { return name.starts_with("hepd-"); }

bool is_owned_set(std::string_view name) { return name.starts_with("hepd4") || name.starts_with("hepd6"); }

}  // namespace hepd::names
