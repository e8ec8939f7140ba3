// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hepd
