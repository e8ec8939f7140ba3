// SPDX-License-Identifier: GPL-2.0-or-later
// Every kernel-visible name hepd uses, and the kernel's limits on them (LIBIPTC.md section 13).
//
// hepd owns exactly the chains and sets whose names start with `hepd`, plus one jump per hooked
// built-in chain. Chains are named like Felix's with `hepd-` for `cali-`. A name that contains
// user text (a policy or profile name, a selector) is a hash of that text, never the text cut to
// fit: `hepd-pi-` + 16 base32 characters (80 bits) of SHA-256. Interface names fit as they are
// (at most 15 characters), so endpoint chains stay readable: `hepd-fh-eth0`.
#pragma once

#include <string>
#include <string_view>

namespace hepd::names {

inline constexpr std::string_view prefix = "hepd";  // chains "hepd-...", sets "hepd4...", "hepd6..."
inline constexpr size_t max_chain = 28;            // what a jump can name (xt_standard_target)
inline constexpr size_t max_set = 31;              // IPSET_MAXNAMELEN - 1
inline constexpr size_t hash_chars = 16;

// Per-table entry chains, jumped to from the built-in chain of the same name.
inline constexpr const char* prerouting = "hepd-PREROUTING";
inline constexpr const char* postrouting = "hepd-POSTROUTING";
inline constexpr const char* input = "hepd-INPUT";
inline constexpr const char* output = "hepd-OUTPUT";
inline constexpr const char* forward = "hepd-FORWARD";
// Appended to the end of filter FORWARD whatever the insert mode (SEMANTICS 2.2): holds the two
// rules Felix appends there directly, so that every hepd rule in a built-in chain is a jump.
inline constexpr const char* forward_end = "hepd-FORWARD-end";

inline constexpr const char* from_hep = "hepd-from-host-endpoint";
inline constexpr const char* to_hep = "hepd-to-host-endpoint";
inline constexpr const char* from_hep_fwd = "hepd-from-hep-forward";
inline constexpr const char* to_hep_fwd = "hepd-to-hep-forward";
inline constexpr const char* failsafe_in = "hepd-failsafe-in";
inline constexpr const char* failsafe_out = "hepd-failsafe-out";
inline constexpr const char* wl_to_host = "hepd-wl-to-host";
// The supervisor's default rules (default_rules.hpp): one chain per direction for every
// protected interface, in place of the endpoint chains.
inline constexpr const char* default_in = "hepd-dfl-in";
inline constexpr const char* default_out = "hepd-dfl-out";
inline constexpr const char* default_fwd = "hepd-dfl-fwd";

// Endpoint chains: kind is "fh", "th", "fhfw" or "thfw"; iface "*" is the all-interfaces endpoint.
std::string endpoint_chain(std::string_view kind, std::string_view iface);
// Policy chains: "hepd-pi-HASH" (ingress), "hepd-po-HASH" (egress).
std::string policy_chain(bool ingress, std::string_view policy_name);
// Profile chains: "hepd-pri-HASH", "hepd-pro-HASH".
std::string profile_chain(bool ingress, std::string_view profile_name);
// IP sets: "hepd4s-HASH" for a selector (hash of its canonical form), "hepd4n-HASH" for a named
// port set (hash of "selector|protocol|port name"); 6 for IPv6.
std::string selector_set(uint8_t family, std::string_view canonical_selector);
std::string named_port_set(uint8_t family, std::string_view key);

// True for a chain or set name hepd owns.
bool is_owned_chain(std::string_view name);
bool is_owned_set(std::string_view name);

}  // namespace hepd::names
