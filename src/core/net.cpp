// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/net.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hepd {

namespace {

void append_uint(std::string& out, unsigned v, int base = 10) {
    char buf[8];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, base);
    out.append(buf, end);
}

}  // namespace

// inet_ntop's text, without its cost (a libc call and a copy per address; the compiler formats
// tens of thousands of set members): IPv4 dotted decimal; IPv6 as RFC 5952 says, lowercase hex
// words without leading zeros and the first longest run of two or more zero words as "::".
// Addresses whose first five words are zero (IPv4-mapped and -compatible forms, ::, ::1) go to
// inet_ntop, which prints some of them with an embedded dotted quad.
void IpAddr::append_to(std::string& out) const {
    if (family == 4) {
        for (int i = 0; i < 4; ++i) {
            if (i) out += '.';
            append_uint(out, bytes[i]);
        }
        return;
    }
    unsigned words[8];
    for (int i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (words[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && words[j] == 0) ++j;
        if (j - i > best_len) best = i, best_len = j - i;
        i = j;
    }
    if (best_len < 2) best = -1;
    if (best == 0 && best_len >= 5) {
        char buf[INET6_ADDRSTRLEN];
        out += inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf) ? buf : "?";
        return;
    }
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (i != 0 && i != best + best_len) out += ':';
        append_uint(out, words[i], 16);
    }
}

std::string IpAddr::to_string() const {
    std::string out;
    append_to(out);
    return out;
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

void Cidr::append_to(std::string& out) const {
    addr.append_to(out);
    out += '/';
    append_uint(out, prefix);
}

std::string Cidr::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

}  // namespace hepd
