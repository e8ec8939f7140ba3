// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/net.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hepd {

std::string IpAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    const int af = family == 4 ? AF_INET : AF_INET6;
    if (inet_ntop(af, bytes.data(), buf, sizeof buf) == nullptr) return "?";
    return buf;
}

std::optional<IpAddr> parse_ip(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddr ip;
    if (text.find(':') != std::string_view::npos) {
        if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.family = 6;
    } else {
        if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.family = 4;
    }
    return ip;
}

std::optional<Cidr> parse_cidr(std::string_view text, bool allow_bare) {
    size_t slash = text.find('/');
    auto ip = parse_ip(text.substr(0, slash));
    if (!ip) return std::nullopt;
    const unsigned max = ip->family == 4 ? 32 : 128;
    Cidr c{*ip, static_cast<uint8_t>(max)};
    if (slash == std::string_view::npos) {
        if (!allow_bare) return std::nullopt;
        return c;
    }
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    if (p.size() > 1 && p[0] == '0') return std::nullopt;
    unsigned n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec != std::errc() || end != p.data() + p.size() || n > max) return std::nullopt;
    c.prefix = static_cast<uint8_t>(n);
    return c;
}

bool Cidr::is_network() const { return masked().addr == addr; }

Cidr Cidr::masked() const {
    Cidr out = *this;
    const unsigned len = addr.family == 4 ? 4 : 16;
    for (unsigned i = 0; i < 16; ++i) {
        unsigned bit0 = i * 8;
        if (i >= len || bit0 >= prefix) {
            out.addr.bytes[i] = 0;
        } else if (bit0 + 8 > prefix) {
            out.addr.bytes[i] &= static_cast<uint8_t>(0xFF << (8 - (prefix - bit0)));
        }
    }
    return out;
}

bool Cidr::contains(const IpAddr& ip) const {
    if (ip.family != addr.family) return false;
    Cidr probe{ip, prefix};
    return probe.masked().addr == masked().addr;
}

std::string Cidr::to_string() const { return addr.to_string() + "/" + std::to_string(prefix); }

}  // namespace hepd
