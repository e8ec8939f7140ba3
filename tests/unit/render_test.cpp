// SPDX-License-Identifier: GPL-2.0-or-later
// render: Ruleset values -> the exact text iptables-legacy-save 1.8.9 and ipset 7 print.
//
// Every expected string here is what the real tools print for that kernel entry (LIBIPTC.md
// section 5, and checked against the kernel by tests/golden/compile.sh): render_rule for every
// match and target kind, LOG prefix quoting, limit rates as iptables normalises them, the hook
// order of a table, and the ipset text.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "hepd/ruleset.hpp"

namespace hepd::nf {
namespace {

Cidr cidr(const char* text) {
    auto c = parse_cidr(text, false);
    EXPECT_TRUE(c) << text;
    return c.value_or(Cidr{});
}

Rule with_target(Target t) {
    Rule r;
    r.target = std::move(t);
    return r;
}

Rule with_match(Match m, Target t = Target::Accept()) {
    Rule r = with_target(std::move(t));
    r.matches.push_back(std::move(m));
    return r;
}

struct RuleCase {
    const char* name;
    Rule rule;
    uint8_t family;
    const char* want;
};

std::vector<RuleCase> rule_cases() {
    std::vector<RuleCase> v;
    auto add = [&](const char* name, Rule r, uint8_t fam, const char* want) { v.push_back({name, std::move(r), fam, want}); };

    // ---- targets
    add("accept", with_target(Target::Accept()), 4, "-j ACCEPT");
    add("drop", with_target(Target::Drop()), 4, "-j DROP");
    add("return", with_target(Target::Return()), 4, "-j RETURN");
    add("jump", with_target(Target::Jump("hepd-fh-eth0")), 4, "-j hepd-fh-eth0");
    add("goto", with_target(Target::Goto("hepd-fh-eth0")), 6, "-g hepd-fh-eth0");
    add("set mark", with_target(Target::SetMark(0x10000, 0x10000)), 4, "-j MARK --set-xmark 0x10000/0x10000");
    add("clear mark", with_target(Target::SetMark(0, 0x1b0000)), 4, "-j MARK --set-xmark 0x0/0x1b0000");
    add("reject v4", with_target(Target::Reject()), 4, "-j REJECT --reject-with icmp-port-unreachable");
    add("reject v6", with_target(Target::Reject()), 6, "-j REJECT --reject-with icmp6-port-unreachable");
    add("notrack", with_target(Target::NoTrack()), 4, "-j NOTRACK");
    add("log level 5", with_target(Target::Log("calico-packet: ")), 4,
        "-j LOG --log-prefix \"calico-packet: \" --log-level 5");
    add("log level 4 is the default", with_target(Target::Log("drop: ", 4)), 4, "-j LOG --log-prefix \"drop: \"");
    add("log bare prefix", with_target(Target::Log("hepd_drop-1")), 4, "-j LOG --log-prefix hepd_drop-1 --log-level 5");

    // ---- addresses, interfaces, protocol
    {
        Rule r = with_target(Target::Drop());
        r.src = cidr("198.18.0.0/15");
        r.dst = cidr("198.18.1.1/32");
        r.in_iface = "eth0";
        r.out_iface = "cali+";
        r.proto = 6;
        add("header fields in save order", r, 4, "-s 198.18.0.0/15 -d 198.18.1.1/32 -i eth0 -o cali+ -p tcp -j DROP");
    }
    {
        Rule r = with_target(Target::Return());
        r.src = cidr("2001:db8::/32");
        r.src_negate = true;
        r.dst = cidr("2001:db8:1::1/128");
        r.dst_negate = true;
        r.in_iface = "lo";
        r.in_negate = true;
        r.out_iface = "eth1";
        r.out_negate = true;
        r.proto = 17;
        r.proto_negate = true;
        add("negated header fields", r, 6,
            "! -s 2001:db8::/32 ! -d 2001:db8:1::1/128 ! -i lo ! -o eth1 ! -p udp -j RETURN");
    }
    for (auto [proto, fam, name] : std::vector<std::tuple<uint8_t, uint8_t, const char*>>{
             {1, 4, "-p icmp -j ACCEPT"},
             {58, 6, "-p ipv6-icmp -j ACCEPT"},
             {132, 4, "-p sctp -j ACCEPT"},
             {136, 6, "-p udplite -j ACCEPT"},
             {253, 4, "-p 253 -j ACCEPT"},
         }) {
        Rule r = with_target(Target::Accept());
        r.proto = proto;
        add(name, r, fam, name);
    }

    // ---- conntrack
    add("ctstate established", with_match(CtStateMatch{ct_established | ct_related, false}), 4,
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    add("ctstate invalid", with_match(CtStateMatch{ct_invalid, false}, Target::Drop()), 4,
        "-m conntrack --ctstate INVALID -j DROP");
    add("ctstate not DNAT", with_match(CtStateMatch{ct_dnat, true}, Target::Jump("x")), 4,
        "-m conntrack ! --ctstate DNAT -j x");
    add("ctstate print order", with_match(CtStateMatch{0x1ff, false}), 4,
        "-m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT -j ACCEPT");

    // ---- mark
    add("mark set", with_match(MarkMatch{0x10000, 0x10000, false}), 4, "-m mark --mark 0x10000/0x10000 -j ACCEPT");
    add("mark clear", with_match(MarkMatch{0, 0x80000, false}), 4, "-m mark --mark 0x0/0x80000 -j ACCEPT");
    add("mark full mask", with_match(MarkMatch{1, 0xffffffff, false}), 4, "-m mark --mark 0x1 -j ACCEPT");
    add("mark negated", with_match(MarkMatch{0x100, 0x100, true}), 4, "-m mark ! --mark 0x100/0x100 -j ACCEPT");

    // ---- multiport (needs a protocol in the kernel; render does not care)
    {
        Rule r = with_match(MultiportMatch{false, {{22, 22}, {80, 80}, {8000, 8080}}, false});
        r.proto = 6;
        add("multiport dports", r, 4, "-p tcp -m multiport --dports 22,80,8000:8080 -j ACCEPT");
    }
    {
        Rule r = with_match(MultiportMatch{true, {{53, 53}, {123, 123}}, true}, Target::Drop());
        r.proto = 17;
        add("multiport negated sports", r, 6, "-p udp -m multiport ! --sports 53,123 -j DROP");
    }

    // ---- set
    add("set src", with_match(SetMatch{"hepd4s-abc", "src", false}), 4, "-m set --match-set hepd4s-abc src -j ACCEPT");
    add("set dst negated", with_match(SetMatch{"hepd6s-abc", "dst", true}), 6,
        "-m set ! --match-set hepd6s-abc dst -j ACCEPT");
    add("set ip,port", with_match(SetMatch{"hepd4n-abc", "dst,dst", false}), 4,
        "-m set --match-set hepd4n-abc dst,dst -j ACCEPT");
    add("set ip,port src negated", with_match(SetMatch{"hepd4n-abc", "src,src", true}), 4,
        "-m set ! --match-set hepd4n-abc src,src -j ACCEPT");

    // ---- icmp
    {
        Rule r = with_match(IcmpTypeMatch{8, std::nullopt, false});
        r.proto = 1;
        add("icmp type", r, 4, "-p icmp -m icmp --icmp-type 8 -j ACCEPT");
    }
    {
        Rule r = with_match(IcmpTypeMatch{3, 4, true}, Target::Drop());
        r.proto = 1;
        add("icmp type/code negated", r, 4, "-p icmp -m icmp ! --icmp-type 3/4 -j DROP");
    }
    {
        Rule r = with_match(IcmpTypeMatch{135, std::nullopt, false});
        r.proto = 58;
        add("icmp6 type", r, 6, "-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT");
    }
    {
        Rule r = with_match(IcmpTypeMatch{1, 4, true});
        r.proto = 58;
        add("icmp6 type/code negated", r, 6, "-p ipv6-icmp -m icmp6 ! --icmpv6-type 1/4 -j ACCEPT");
    }

    // ---- limit: iptables-save prints the stored average in the largest unit that divides evenly
    add("limit per minute", with_match(LimitMatch{10, 'm', 20}, Target::Log("x: ")), 4,
        "-m limit --limit 10/min --limit-burst 20 -j LOG --log-prefix \"x: \" --log-level 5");
    add("limit default burst left out", with_match(LimitMatch{5, 's', 5}), 4, "-m limit --limit 5/sec -j ACCEPT");
    add("limit 60/minute prints as 1/sec", with_match(LimitMatch{60, 'm', 5}), 4, "-m limit --limit 1/sec -j ACCEPT");
    add("limit 24/day prints as 1/hour", with_match(LimitMatch{24, 'd', 5}), 4, "-m limit --limit 1/hour -j ACCEPT");
    add("limit 120/hour prints as 2/min", with_match(LimitMatch{120, 'h', 5}), 4, "-m limit --limit 2/min -j ACCEPT");
    add("limit 7/minute stays", with_match(LimitMatch{7, 'm', 5}), 4, "-m limit --limit 7/min -j ACCEPT");
    add("limit 5/day stays", with_match(LimitMatch{5, 'd', 1}), 4, "-m limit --limit 5/day --limit-burst 1 -j ACCEPT");
    add("limit 9999/second rounds to 10000/sec", with_match(LimitMatch{9999, 's', 5}), 4,
        "-m limit --limit 10000/sec -j ACCEPT");
    add("limit 3/second rounds to 3/sec", with_match(LimitMatch{3, 's', 5}), 4, "-m limit --limit 3/sec -j ACCEPT");

    // ---- several matches keep their order
    {
        Rule r = with_target(Target::SetMark(0x10000, 0x10000));
        r.proto = 6;
        r.src = cidr("198.18.10.0/24");
        r.matches = {SetMatch{"hepd4s-x", "src", false}, MultiportMatch{false, {{443, 443}}, false},
                     MarkMatch{0x80000, 0x80000, false}};
        add("matches in order", r, 4,
            "-s 198.18.10.0/24 -p tcp -m set --match-set hepd4s-x src -m multiport --dports 443 -m mark "
            "--mark 0x80000/0x80000 -j MARK --set-xmark 0x10000/0x10000");
    }
    return v;
}

TEST(RenderRule, EveryMatchAndTargetKind) {
    for (const auto& c : rule_cases()) {
        EXPECT_EQ(render_rule(c.rule, c.family), c.want) << c.name;
    }
}

TEST(RenderRule, EmptyRuleHasNoLeadingSpace) {
    Rule r;
    r.target = Target::Accept();
    EXPECT_EQ(render_rule(r, 4), "-j ACCEPT");
}

// LOG prefixes are quoted like every string iptables-save prints: bare when made only of
// [A-Za-z0-9_-], otherwise in double quotes with '"', '\' and '\'' escaped.
TEST(RenderRule, LogPrefixQuoting) {
    struct Case {
        const char* prefix;
        const char* want;
    } cases[] = {
        {"plain", "-j LOG --log-prefix plain --log-level 5"},
        {"with_under-and-9", "-j LOG --log-prefix with_under-and-9 --log-level 5"},
        {"with space", "-j LOG --log-prefix \"with space\" --log-level 5"},
        {"colon: ", "-j LOG --log-prefix \"colon: \" --log-level 5"},
        {"a/b%c", "-j LOG --log-prefix \"a/b%c\" --log-level 5"},
        {"q\"uote", "-j LOG --log-prefix \"q\\\"uote\" --log-level 5"},
        {"back\\slash", "-j LOG --log-prefix \"back\\\\slash\" --log-level 5"},
        {"it's", "-j LOG --log-prefix \"it\\'s\" --log-level 5"},
        {"", "-j LOG --log-prefix \"\" --log-level 5"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(render_rule(with_target(Target::Log(c.prefix)), 4), c.want) << c.prefix;
    }
}

TEST(RenderProtocol, SaveNames) {
    EXPECT_EQ(protocol_save_name(6, 4), "tcp");
    EXPECT_EQ(protocol_save_name(17, 6), "udp");
    EXPECT_EQ(protocol_save_name(1, 6), "icmp");
    EXPECT_EQ(protocol_save_name(58, 4), "ipv6-icmp");
    EXPECT_EQ(protocol_save_name(132, 4), "sctp");
    EXPECT_EQ(protocol_save_name(136, 4), "udplite");
    EXPECT_EQ(protocol_save_name(254, 4), "254");
}

TEST(RenderIpsets, CreateThenAdd) {
    Ruleset rs;
    rs.sets.push_back(IpSet{"hepd4n-a", "hash:ip,port", 4, {"198.18.1.1,tcp:8080", "198.18.1.2,udp:53"}});
    rs.sets.push_back(IpSet{"hepd4s-b", "hash:net", 4, {"198.18.0.0/15", "198.18.1.1"}});
    rs.sets.push_back(IpSet{"hepd6s-c", "hash:net", 6, {}});
    EXPECT_EQ(render_ipsets(rs),
              "create hepd4n-a hash:ip,port family inet\n"
              "create hepd4s-b hash:net family inet\n"
              "create hepd6s-c hash:net family inet6\n"
              "add hepd4n-a 198.18.1.1,tcp:8080\n"
              "add hepd4n-a 198.18.1.2,udp:53\n"
              "add hepd4s-b 198.18.0.0/15\n"
              "add hepd4s-b 198.18.1.1\n");
    EXPECT_EQ(render_ipsets(Ruleset{}), "");
}

// iptables-save lists the rules of the built-in chains in the kernel's chain order (PREROUTING,
// INPUT, FORWARD, OUTPUT, POSTROUTING), so the hooks are printed in that order, an appended hook
// after the inserted one of the same chain.
TEST(RenderFamily, HooksInKernelChainOrder) {
    FamilyRuleset f;
    f.family = 4;
    TableRuleset t;
    t.table = Table::filter;
    t.hooks = {Hook{"INPUT", "hepd-INPUT", false}, Hook{"OUTPUT", "hepd-OUTPUT", false},
               Hook{"FORWARD", "hepd-FORWARD", false}, Hook{"FORWARD", "hepd-FORWARD-end", true}};
    t.chains = {Chain{"hepd-FORWARD", {}}, Chain{"hepd-FORWARD-end", {with_target(Target::Accept())}},
                Chain{"hepd-INPUT", {}}, Chain{"hepd-OUTPUT", {}}};
    f.tables.push_back(t);
    TableRuleset m;
    m.table = Table::mangle;
    m.hooks = {Hook{"POSTROUTING", "hepd-POSTROUTING", true}, Hook{"PREROUTING", "hepd-PREROUTING", false}};
    m.chains = {Chain{"hepd-POSTROUTING", {}}, Chain{"hepd-PREROUTING", {}}};
    f.tables.insert(f.tables.begin(), m);
    EXPECT_EQ(render_family(f),
              "*mangle\n"
              ":hepd-POSTROUTING - [0:0]\n"
              ":hepd-PREROUTING - [0:0]\n"
              "-I PREROUTING 1 -j hepd-PREROUTING\n"
              "-A POSTROUTING -j hepd-POSTROUTING\n"
              "COMMIT\n"
              "*filter\n"
              ":hepd-FORWARD - [0:0]\n"
              ":hepd-FORWARD-end - [0:0]\n"
              ":hepd-INPUT - [0:0]\n"
              ":hepd-OUTPUT - [0:0]\n"
              "-I INPUT 1 -j hepd-INPUT\n"
              "-I FORWARD 1 -j hepd-FORWARD\n"
              "-A FORWARD -j hepd-FORWARD-end\n"
              "-I OUTPUT 1 -j hepd-OUTPUT\n"
              "-A hepd-FORWARD-end -j ACCEPT\n"
              "COMMIT\n");
}

TEST(RenderAll, PartsHeadedByComments) {
    Ruleset rs;
    rs.v4.family = 4;
    EXPECT_EQ(render_all(rs), "# ipset\n# ipv4 (iptables-legacy-restore --noflush)\n");
    rs.v6 = FamilyRuleset{6, {}};
    EXPECT_EQ(render_all(rs),
              "# ipset\n# ipv4 (iptables-legacy-restore --noflush)\n# ipv6 (ip6tables-legacy-restore --noflush)\n");
}

}  // namespace
}  // namespace hepd::nf
