// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "hepd/net.hpp"

namespace hepd {
namespace {

TEST(Net, ParseCidr) {
    struct Case {
        const char* in;
        bool bare;
        const char* want;  // nullptr = invalid
        bool network;
    } cases[] = {
        {"198.18.0.0/15", true, "198.18.0.0/15", true},
        {"198.18.1.2/15", true, "198.18.1.2/15", false},
        {"198.18.1.2", true, "198.18.1.2/32", true},
        {"198.18.1.2", false, nullptr, false},
        {"0.0.0.0/0", true, "0.0.0.0/0", true},
        {"2001:db8::/32", true, "2001:db8::/32", true},
        {"2001:DB8:0:0::1", true, "2001:db8::1/128", true},
        {"2001:db8::1/64", true, "2001:db8::1/64", false},
        {"::/0", true, "::/0", true},
        {"1.2.3.4/33", true, nullptr, false},
        {"1.2.3.4/", true, nullptr, false},
        {"1.2.3.4/08", true, nullptr, false},
        {"1.2.3/8", true, nullptr, false},
        {"2001:db8::/129", true, nullptr, false},
        {"fe80::1%eth0", true, nullptr, false},
        {"", true, nullptr, false},
        {"a.b.c.d", true, nullptr, false},
        {"01.2.3.4", true, nullptr, false},
    };
    for (const auto& c : cases) {
        auto got = parse_cidr(c.in, c.bare);
        if (!c.want) {
            EXPECT_FALSE(got.has_value()) << c.in;
            continue;
        }
        ASSERT_TRUE(got.has_value()) << c.in;
        EXPECT_EQ(got->to_string(), c.want) << c.in;
        EXPECT_EQ(got->is_network(), c.network) << c.in;
    }
}

TEST(Net, MaskAndContain) {
    auto c = parse_cidr("198.18.77.9/12").value();
    EXPECT_EQ(c.masked().to_string(), "198.16.0.0/12");
    EXPECT_TRUE(c.contains(parse_ip("198.31.255.255").value()));
    EXPECT_FALSE(c.contains(parse_ip("198.32.0.0").value()));
    EXPECT_FALSE(c.contains(parse_ip("2001:db8::1").value()));
    auto v6 = parse_cidr("2001:db8:ffff::1/33").value();
    EXPECT_EQ(v6.masked().to_string(), "2001:db8:8000::/33");
    EXPECT_EQ(parse_cidr("10.1.2.3/0")->masked().to_string(), "0.0.0.0/0");
}

// RFC 5952 4.2.3: when two runs of zero words tie for longest, "::" replaces the first. glibc's
// inet_ntop does so; musl's (the static build's libc) picks another run. Returns the index of the
// first longest run of two or more zero words, and whether another run has the same length.
std::pair<int, bool> first_longest_zero_run(const IpAddr& ip) {
    int best = -1, best_len = 1, start = -1;
    bool tie = false;
    for (int w = 0; w <= 8; ++w) {
        const bool zero = w < 8 && ip.bytes[2 * w] == 0 && ip.bytes[2 * w + 1] == 0;
        if (zero && start < 0) start = w;
        if (!zero && start >= 0) {
            const int len = w - start;
            if (len > best_len) {
                best = start, best_len = len, tie = false;
            } else if (len == best_len && best >= 0) {
                tie = true;
            }
            start = -1;
        }
    }
    return {best, tie};
}

// The hand-written formatter must print exactly what inet_ntop prints: every pattern of zero and
// non-zero words (which decides where "::" goes), with small and large word values. Where the C
// library departs from RFC 5952 (musl, for tied zero runs) the text must still read back as the
// same address, with "::" at the first longest run.
TEST(Net, FormatMatchesInetNtop) {
    uint32_t seed = 12345;
    auto next = [&] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 8;
    };
    for (unsigned zeros = 0; zeros < 256; ++zeros) {
        for (int round = 0; round < 8; ++round) {
            IpAddr ip;
            ip.family = 6;
            for (int w = 0; w < 8; ++w) {
                unsigned v = 0;
                if (!(zeros & (1u << w))) {
                    v = next() & 0xffff;
                    if (round % 4 == 1) v &= 0xf;
                    if (round % 4 == 2) v = 0xffff;
                    if (v == 0) v = 1;
                }
                ip.bytes[2 * w] = static_cast<uint8_t>(v >> 8);
                ip.bytes[2 * w + 1] = static_cast<uint8_t>(v);
            }
            char buf[INET6_ADDRSTRLEN];
            ASSERT_NE(inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf), nullptr);
            const std::string text = ip.to_string();
            const auto [run, tie] = first_longest_zero_run(ip);
            if (!tie || text == buf) {
                EXPECT_EQ(text, buf);
                continue;
            }
            uint8_t back[16];
            ASSERT_EQ(inet_pton(AF_INET6, text.c_str(), back), 1) << text;
            EXPECT_EQ(std::memcmp(back, ip.bytes.data(), 16), 0) << text;
            // "::" after exactly `run` words (each word before it is followed by one ':').
            const size_t dc = text.find("::");
            ASSERT_NE(dc, std::string::npos) << text;
            EXPECT_EQ(std::count(text.begin(), text.begin() + static_cast<long>(dc), ':') + (run > 0 ? 1 : 0), run)
                << text;
        }
    }
    for (int round = 0; round < 2000; ++round) {
        IpAddr ip;
        const uint32_t v = next() ^ (next() << 16);
        for (int i = 0; i < 4; ++i) ip.bytes[i] = static_cast<uint8_t>(v >> (8 * i));
        if (round % 3 == 0) ip.bytes[round % 4] = 0;
        char buf[INET_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET, ip.bytes.data(), buf, sizeof buf), nullptr);
        EXPECT_EQ(ip.to_string(), buf);
    }
    Cidr c = parse_cidr("2001:db8:8000::/33").value();
    std::string text = "x ";
    c.append_to(text);
    EXPECT_EQ(text, "x 2001:db8:8000::/33");
}

}  // namespace
}  // namespace hepd
