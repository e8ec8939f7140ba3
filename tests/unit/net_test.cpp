// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>

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

// The hand-written formatter must print exactly what inet_ntop prints: every pattern of zero and
// non-zero words (which decides where "::" goes), with small and large word values.
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
            EXPECT_EQ(ip.to_string(), buf);
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
