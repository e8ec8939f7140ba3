// SPDX-License-Identifier: GPL-2.0-or-later
// The pure part of the IP set backend: member text, `ipset save` and `ipset list -t` text, the
// diff, and the wording of open() failures. The kernel side is in ipset_kernel_test.cpp.
#include <gtest/gtest.h>

#include <cerrno>

#include "hepd/ipset.hpp"

namespace hepd {
namespace {

using ipset::SetType;

TEST(IpsetMember, Canonical) {
    struct Case {
        SetType type;
        uint8_t family;
        const char* in;
        const char* want;  // nullptr = refused
    } cases[] = {
        // hash:net: hosts print bare, host bits are cleared, /1 halves are fine, /0 is not.
        {SetType::hash_net, 4, "198.18.0.0/15", "198.18.0.0/15"},
        {SetType::hash_net, 4, "198.18.1.1", "198.18.1.1"},
        {SetType::hash_net, 4, "198.18.1.1/32", "198.18.1.1"},
        {SetType::hash_net, 4, "198.18.1.5/24", "198.18.1.0/24"},
        {SetType::hash_net, 4, "0.0.0.0/1", "0.0.0.0/1"},
        {SetType::hash_net, 4, "128.0.0.0/1", "128.0.0.0/1"},
        {SetType::hash_net, 4, "200.1.2.3/1", "128.0.0.0/1"},
        {SetType::hash_net, 4, "0.0.0.0/0", nullptr},
        {SetType::hash_net, 4, "198.18.0.0/33", nullptr},
        {SetType::hash_net, 4, "198.18.0.0/015", nullptr},
        {SetType::hash_net, 4, "2001:db8::/32", nullptr},       // wrong family
        {SetType::hash_net, 4, "198.18.1.1,tcp:80", nullptr},   // not a net
        {SetType::hash_net, 4, "localhost", nullptr},           // never resolved
        {SetType::hash_net, 4, "router.lan", nullptr},
        {SetType::hash_net, 4, "198.18.1", nullptr},
        {SetType::hash_net, 4, "0x7f.0.0.1", nullptr},
        {SetType::hash_net, 4, "198.018.1.1", nullptr},
        {SetType::hash_net, 4, " 198.18.1.1", nullptr},
        {SetType::hash_net, 4, "198.18.1.1 ", nullptr},
        {SetType::hash_net, 4, "", nullptr},
        {SetType::hash_net, 6, "2001:db8::/32", "2001:db8::/32"},
        {SetType::hash_net, 6, "2001:DB8:0:0::1", "2001:db8::1"},
        {SetType::hash_net, 6, "2001:db8::1/128", "2001:db8::1"},
        {SetType::hash_net, 6, "2001:db8:1::5/64", "2001:db8:1::/64"},
        {SetType::hash_net, 6, "::/1", "::/1"},
        {SetType::hash_net, 6, "8000::/1", "8000::/1"},
        {SetType::hash_net, 6, "::/0", nullptr},
        {SetType::hash_net, 6, "fe80::1%eth0", nullptr},
        {SetType::hash_net, 6, "198.18.1.1", nullptr},
        {SetType::hash_net, 6, "ip6-localhost", nullptr},
        // hash:ip,port: host, protocol by name or number, port without leading zeros.
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:8055", "198.18.1.1,tcp:8055"},
        {SetType::hash_ip_port, 4, "198.18.1.1,udp:53", "198.18.1.1,udp:53"},
        {SetType::hash_ip_port, 4, "198.18.1.1,sctp:9", "198.18.1.1,sctp:9"},
        {SetType::hash_ip_port, 4, "198.18.1.1,udplite:0", "198.18.1.1,udplite:0"},
        {SetType::hash_ip_port, 4, "198.18.1.1,6:22", "198.18.1.1,tcp:22"},
        {SetType::hash_ip_port, 4, "198.18.1.1,132:22", "198.18.1.1,sctp:22"},
        {SetType::hash_ip_port, 4, "198.18.1.1,22", "198.18.1.1,tcp:22"},
        {SetType::hash_ip_port, 4, "198.18.1.1/32,tcp:22", "198.18.1.1,tcp:22"},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:65535", "198.18.1.1,tcp:65535"},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:65536", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:022", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:ssh", nullptr},   // no /etc/services
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,icmp:8", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,TCP:22", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,17:0", "198.18.1.1,udp:0"},
        {SetType::hash_ip_port, 4, "198.18.1.1,1:0", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.0/24,tcp:22", nullptr},  // a range, not a host
        {SetType::hash_ip_port, 4, "198.18.1.1", nullptr},
        {SetType::hash_ip_port, 4, "host.lan,tcp:22", nullptr},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:22,x", nullptr},
        {SetType::hash_ip_port, 6, "2001:db8::1,tcp:443", "2001:db8::1,tcp:443"},
        {SetType::hash_ip_port, 6, "2001:DB8::0:1,udp:5000", "2001:db8::1,udp:5000"},
        {SetType::hash_ip_port, 6, "2001:db8::3,sctp:36412", "2001:db8::3,sctp:36412"},
        {SetType::hash_ip_port, 6, "198.18.1.1,tcp:22", nullptr},
    };
    for (const auto& c : cases) {
        std::string why;
        auto got = ipset::canonical_member(c.type, c.family, c.in, &why);
        if (!c.want) {
            EXPECT_FALSE(got.has_value()) << c.in << " -> " << got.value_or("");
            EXPECT_FALSE(why.empty()) << c.in;
            continue;
        }
        ASSERT_TRUE(got.has_value()) << c.in << ": " << why;
        EXPECT_EQ(*got, c.want) << c.in;
        // Canonical text is a fixed point.
        EXPECT_EQ(ipset::canonical_member(c.type, c.family, *got).value_or("?"), *got) << c.in;
    }
}

TEST(IpsetMember, ElemTextIsNumeric) {
    struct Case {
        SetType type;
        uint8_t family;
        const char* in;
        const char* elem;
    } cases[] = {
        {SetType::hash_net, 4, "198.18.1.1", "198.18.1.1/32"},
        {SetType::hash_net, 4, "198.18.0.0/15", "198.18.0.0/15"},
        {SetType::hash_net, 6, "2001:db8::1", "2001:db8::1/128"},
        {SetType::hash_ip_port, 4, "198.18.1.1,tcp:8055", "198.18.1.1,6:8055"},
        {SetType::hash_ip_port, 4, "198.18.1.1,udplite:7", "198.18.1.1,136:7"},
        {SetType::hash_ip_port, 6, "2001:db8::1,sctp:9", "2001:db8::1,132:9"},
    };
    for (const auto& c : cases) {
        auto m = ipset::parse_member(c.type, c.family, c.in);
        ASSERT_TRUE(m) << c.in;
        EXPECT_EQ(m->elem_text(), c.elem) << c.in;
        for (char ch : m->elem_text())
            EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == ':' || ch == '/' ||
                        ch == ',')
                << c.in;
    }
}

TEST(IpsetSet, HeaderChecks) {
    struct Case {
        nf::IpSet set;
        const char* error_part;  // nullptr = fine
    } cases[] = {
        {{"hepd4s-ABC", "hash:net", 4, {}}, nullptr},
        {{"hepd6n-ABC", "hash:ip,port", 6, {}}, nullptr},
        {{"hepd4-abcdefghijklmnopqrstuvwxy", "hash:net", 4, {}}, nullptr},   // 31
        {{"hepd4-abcdefghijklmnopqrstuvwxyz", "hash:net", 4, {}}, "longer than 31"},
        {{"cali40s-ABC", "hash:net", 4, {}}, "not a hepd set"},
        {{"hepd-x", "hash:net", 4, {}}, "not a hepd set"},
        {{"hepd4 x", "hash:net", 4, {}}, "without spaces"},
        {{"hepd4s-ABC", "hash:ip", 4, {}}, "is not hash:net or hash:ip,port"},
        {{"hepd4s-ABC", "hash:net", 5, {}}, "family 5"},
    };
    for (const auto& c : cases) {
        auto e = ipset::check_set_header(c.set);
        if (!c.error_part) {
            EXPECT_FALSE(e) << c.set.name << ": " << e.value_or("");
        } else {
            ASSERT_TRUE(e) << c.set.name;
            EXPECT_NE(e->find(c.error_part), std::string::npos) << *e;
        }
    }
}

TEST(IpsetSet, CanonicalSortsAndDeduplicates) {
    nf::IpSet in{"hepd4s-X", "hash:net", 4, {"198.18.2.0/24", "198.18.1.5/24", "198.18.1.0/24", "198.18.0.9/32"}};
    auto out = ipset::canonical_set(in);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->members, (std::vector<std::string>{"198.18.0.9", "198.18.1.0/24", "198.18.2.0/24"}));

    std::string why;
    EXPECT_FALSE(ipset::canonical_set({"hepd4s-X", "hash:net", 4, {"198.18.1.0/24", "example.com"}}, &why));
    EXPECT_EQ(why, "set 'hepd4s-X': member 'example.com' is not an IPv4 network");
    EXPECT_FALSE(ipset::canonical_set({"hepd6n-X", "hash:ip,port", 6, {"2001:db8::1,tcp:http"}}, &why));
    EXPECT_EQ(why, "set 'hepd6n-X': member '2001:db8::1,tcp:http': 'http' is not a port number (0-65535)");

    nf::IpSet big{"hepd4s-B", "hash:net", 4, {}};
    for (unsigned i = 0; i <= ipset::default_maxelem; ++i)
        big.members.push_back("198." + std::to_string(18 + (i >> 16)) + "." + std::to_string((i >> 8) & 255) + "." +
                              std::to_string(i & 255));
    EXPECT_FALSE(ipset::canonical_set(big, &why));
    EXPECT_NE(why.find("65537 members, more than maxelem 65536"), std::string::npos) << why;
    big.members.pop_back();
    EXPECT_TRUE(ipset::canonical_set(big, &why)) << why;
}

// What `ipset save` printed on the test machine (ipset 7.17, kernel 6.18), with a foreign set
// and a hepd set created with options hepd never uses.
constexpr const char* save_text =
    "create foreign hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x11111111\n"
    "add foreign 192.0.2.1\n"
    "create hepd4x hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x7f7f9c5f\n"
    "add hepd4x 198.18.2.1\n"
    "add hepd4x 198.18.1.0/24\n"
    "create hepd6p hash:ip,port family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0xfa6cb6d4\n"
    "add hepd6p 2001:db8::1,sctp:80\n"
    "add hepd6p 2001:db8::2,tcp:0\n"
    "add hepd6p 2001:db8::1,udplite:0\n"
    "create hepd4y hash:net family inet hashsize 1024 maxelem 65536 timeout 10 counters comment bucketsize 12 "
    "initval 0xacb8aeef\n"
    "add hepd4y 198.18.0.0/16 timeout 9 packets 0 bytes 0 comment \"x y\"\n"
    "create hepd4e hash:net family inet hashsize 1024 maxelem 65536\n";

TEST(IpsetText, ParseSave) {
    std::string why;
    auto sets = ipset::parse_save(save_text, &why);
    ASSERT_TRUE(sets) << why;
    ASSERT_EQ(sets->size(), 4u);  // sorted by name, foreign left out
    const auto& e = (*sets)[0];
    EXPECT_EQ(e.set, (nf::IpSet{"hepd4e", "hash:net", 4, {}}));
    EXPECT_FALSE(e.initval);  // an older kernel prints none
    EXPECT_TRUE(e.conforms());
    const auto& x = (*sets)[1];
    EXPECT_EQ(x.set, (nf::IpSet{"hepd4x", "hash:net", 4, {"198.18.1.0/24", "198.18.2.1"}}));
    EXPECT_EQ(x.initval, 0x7f7f9c5fu);
    EXPECT_EQ(x.entries, 2u);
    EXPECT_EQ(x.options, "");
    EXPECT_TRUE(x.conforms());
    const auto& y = (*sets)[2];
    EXPECT_EQ(y.set.name, "hepd4y");
    EXPECT_EQ(y.options, "timeout 10 counters comment");
    EXPECT_EQ(y.odd_members, (std::vector<std::string>{"198.18.0.0/16 timeout 9 packets 0 bytes 0 comment \"x y\""}));
    EXPECT_FALSE(y.conforms());
    const auto& p = (*sets)[3];
    EXPECT_EQ(p.set, (nf::IpSet{"hepd6p", "hash:ip,port", 6,
                                {"2001:db8::1,sctp:80", "2001:db8::1,udplite:0", "2001:db8::2,tcp:0"}}));
    EXPECT_TRUE(p.conforms());
}

TEST(IpsetText, ParseSaveOddCases) {
    struct Case {
        const char* text;
        const char* error_part;  // nullptr = parses
    } cases[] = {
        {"", nullptr},
        {"\n\n", nullptr},
        {"add hepd4x 198.18.1.1\n", "add before the set's create"},
        {"add other 198.18.1.1\n", "add before the set's create"},
        {"flush hepd4x\n", "not a create or add line"},
        {"create hepd4x\n", "not a create or add line"},
        {"create hepd4x hash:net family inet\ncreate hepd4x hash:net family inet\n", "second create"},
        {"create hepd4x hash:net family inet\nadd hepd4x 198.18.1.1", nullptr},  // no final newline
    };
    for (const auto& c : cases) {
        std::string why;
        auto got = ipset::parse_save(c.text, &why);
        if (!c.error_part) {
            EXPECT_TRUE(got) << c.text << ": " << why;
        } else {
            EXPECT_FALSE(got) << c.text;
            EXPECT_NE(why.find(c.error_part), std::string::npos) << why;
        }
    }
    // A type hepd does not use, a family it cannot read, members it cannot parse: kept, but not
    // conforming, so sync recreates the set (or says why it cannot).
    auto got = ipset::parse_save(
        "create hepd4a hash:ip family inet hashsize 1024 maxelem 65536\nadd hepd4a 198.18.1.1\n"
        "create hepd4b hash:net hashsize 1024 maxelem 65536\nadd hepd4b 198.18.1.1\n"
        "create hepd6c hash:net family inet6\nadd hepd6c 198.18.1.1\nadd hepd6c 2001:db8::/32 nomatch\n");
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ((*got)[0].odd_members, (std::vector<std::string>{"198.18.1.1"}));
    EXPECT_FALSE((*got)[0].conforms());
    EXPECT_EQ((*got)[1].set.family, 0);
    EXPECT_FALSE((*got)[1].conforms());
    EXPECT_EQ((*got)[2].odd_members, (std::vector<std::string>{"198.18.1.1", "2001:db8::/32 nomatch"}));
    EXPECT_EQ((*got)[2].entries, 2u);
    EXPECT_FALSE((*got)[2].conforms());
}

TEST(IpsetText, ParseListHeaders) {
    // `ipset list -t` on the test machine, a foreign set in the middle.
    constexpr const char* text =
        "Name: hepd6p\nType: hash:ip,port\nRevision: 7\n"
        "Header: family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0xfa6cb6d4\n"
        "Size in memory: 448\nReferences: 0\nNumber of entries: 3\n"
        "\nName: foreign\nType: hash:ip\nRevision: 6\nHeader: family inet hashsize 1024 maxelem 65536\n"
        "Size in memory: 200\nReferences: 4\nNumber of entries: 9\n"
        "\nName: hepd4x\nType: hash:net\nRevision: 7\n"
        "Header: family inet hashsize 1024 maxelem 65536 timeout 5 bucketsize 12 initval 0x7f7f9c5f\n"
        "Size in memory: 552\nReferences: 1\nNumber of entries: 2\n";
    std::string why;
    auto sets = ipset::parse_list_headers(text, &why);
    ASSERT_TRUE(sets) << why;
    ASSERT_EQ(sets->size(), 2u);
    const auto& x = (*sets)[0];
    EXPECT_EQ(x.set, (nf::IpSet{"hepd4x", "hash:net", 4, {}}));
    EXPECT_EQ(x.options, "timeout 5");
    EXPECT_EQ(x.references, 1u);
    EXPECT_EQ(x.entries, 2u);
    EXPECT_EQ(x.initval, 0x7f7f9c5fu);
    const auto& p = (*sets)[1];
    EXPECT_EQ(p.set, (nf::IpSet{"hepd6p", "hash:ip,port", 6, {}}));
    EXPECT_EQ(p.references, 0u);
    EXPECT_EQ(p.entries, 3u);
    EXPECT_TRUE(p.conforms());

    // A full listing's members are skipped; a kernel without entry counts leaves entries empty.
    sets = ipset::parse_list_headers(
        "Name: hepd4a\nType: hash:net\nHeader: family inet\nReferences: 0\nMembers:\n198.18.1.1\nName: x\n", &why);
    ASSERT_TRUE(sets) << why;
    ASSERT_EQ(sets->size(), 1u);
    EXPECT_FALSE((*sets)[0].entries);
    EXPECT_TRUE((*sets)[0].set.members.empty());

    EXPECT_FALSE(ipset::parse_list_headers("Type: hash:net\n", &why));
    EXPECT_NE(why.find("before the first Name"), std::string::npos) << why;
    EXPECT_TRUE(ipset::parse_list_headers("", &why));
}

TEST(IpsetDiff, Members) {
    struct Case {
        std::vector<std::string> want, have, add, del;
    } cases[] = {
        {{}, {}, {}, {}},
        {{"a", "b"}, {}, {"a", "b"}, {}},
        {{}, {"a", "b"}, {}, {"a", "b"}},
        {{"a", "c", "e"}, {"b", "c", "d"}, {"a", "e"}, {"b", "d"}},
        {{"a", "b", "c"}, {"a", "b", "c"}, {}, {}},
    };
    for (const auto& c : cases) {
        std::vector<std::string> add{"junk"}, del{"junk"};
        ipset::diff_members(c.want, c.have, add, del);
        EXPECT_EQ(add, c.add);
        EXPECT_EQ(del, c.del);
    }
}

TEST(IpsetDiff, Sets) {
    using ipset::KernelSet;
    using ipset::SetChange;
    const nf::IpSet want{"hepd4x", "hash:net", 4, {"198.18.1.0/24", "198.18.2.1"}};
    auto kernel = [](nf::IpSet s, std::string options = {}, std::vector<std::string> odd = {}) {
        KernelSet k;
        k.set = std::move(s);
        k.options = std::move(options);
        k.odd_members = std::move(odd);
        return k;
    };
    // Missing: create with every member.
    auto c = ipset::diff_set(want, nullptr);
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, (SetChange{SetChange::create, "hepd4x", SetType::hash_net, 4, want.members, {}}));
    // Same: nothing.
    auto same = kernel(want);
    EXPECT_FALSE(ipset::diff_set(want, &same));
    // Members differ: add and delete, in place.
    auto other = kernel({"hepd4x", "hash:net", 4, {"198.18.2.1", "198.18.3.0/24"}});
    c = ipset::diff_set(want, &other);
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, (SetChange{SetChange::update, "hepd4x", SetType::hash_net, 4, {"198.18.1.0/24"}, {"198.18.3.0/24"}}));
    // Type, family, options or unreadable members: recreate.
    for (const auto& k : {kernel({"hepd4x", "hash:ip,port", 4, {}}), kernel({"hepd4x", "hash:net", 6, {}}),
                          kernel(want, "timeout 10"), kernel({"hepd4x", "hash:net", 4, {}}, "", {"198.18.1.1 nomatch"}),
                          kernel({"hepd4x", "hash:ip", 4, {}})}) {
        c = ipset::diff_set(want, &k);
        ASSERT_TRUE(c);
        EXPECT_EQ(c->kind, SetChange::recreate) << k.set.type << " " << k.options;
        EXPECT_EQ(c->add, want.members);
        EXPECT_TRUE(c->del.empty());
    }
}

TEST(IpsetOpen, ErrorWording) {
    struct Case {
        const char* report;
        int err;
        const char* op_part;
        int want_err;
    } cases[] = {
        {"Cannot open session to kernel.\n", EPROTONOSUPPORT, "kernel without nfnetlink", EPROTONOSUPPORT},
        {"", ECOMM, "netlink socket", ECOMM},
        {"Kernel error received: Operation not permitted\n", 0, "needs CAP_NET_ADMIN", EPERM},
        // nfnetlink's answer when no ip_set registered its subsystem.
        {"Kernel error received: Invalid argument\n", 11, "ip_set module not loaded", 0},
        {"Kernel error received: ipset protocol error\n", 0, "ip_set module not loaded", 0},
        {"Cannot communicate with kernel: Kernel support protocol versions 6-6 while userspace supports "
         "protocol versions 7-7\n",
         0, "ip_set module not loaded", 0},
        {"Something else\n", 0, "first contact", 0},
    };
    for (const auto& c : cases) {
        SysError e = ipset_open_error(c.report, c.err);
        EXPECT_NE(e.op.find(c.op_part), std::string::npos) << c.report << " -> " << e.op;
        EXPECT_EQ(e.err, c.want_err) << c.report;
        EXPECT_TRUE(e.detail.empty() || e.detail.back() != '\n') << c.report;
    }
    EXPECT_EQ(ipset_open_error("Kernel error received: Invalid argument\n", 0).message(),
              "ipset: no IP set support in the kernel (ip_set module not loaded or not built): "
              "Kernel error received: Invalid argument");
}

}  // namespace
}  // namespace hepd
