// SPDX-License-Identifier: GPL-2.0-or-later
// IP addresses and CIDRs, IPv4 and IPv6, parsed strictly (inet_pton rules: no leading zeros
// trickery, no zone ids) and printed canonically (RFC 5952 for IPv6).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace hepd {

struct IpAddr {
    uint8_t family = 4;               // 4 or 6
    std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4 bytes

    std::string to_string() const;
    // Appends the same text to `out` (no temporary string: the compiler formats thousands).
    void append_to(std::string& out) const;
    // Family, then bytes in order: what `= default` gives, spelled out because libc++ 16 (the
    // static build's) has no operator<=> for std::array.
    std::strong_ordering operator<=>(const IpAddr& o) const {
        if (auto c = family <=> o.family; c != 0) return c;
        return std::memcmp(bytes.data(), o.bytes.data(), bytes.size()) <=> 0;
    }
    bool operator==(const IpAddr&) const = default;
};

struct Cidr {
    IpAddr addr;
    uint8_t prefix = 0;  // 0..32 or 0..128

    uint8_t family() const { return addr.family; }
    // True when no bit beyond the prefix is set (Calico's `net` validator requires it for rule nets).
    bool is_network() const;
    Cidr masked() const;
    bool contains(const IpAddr& ip) const;
    // "198.18.0.0/15", "2001:db8::/32"; host routes keep their /32 or /128.
    std::string to_string() const;
    void append_to(std::string& out) const;
    auto operator<=>(const Cidr&) const = default;
};

std::optional<IpAddr> parse_ip(std::string_view text);
// "ADDR/PREFIX", or a bare address (as /32 or /128) when allow_bare is true. Host bits are kept as
// written; use masked() or is_network() as the field's rules require.
std::optional<Cidr> parse_cidr(std::string_view text, bool allow_bare = true);

}  // namespace hepd
