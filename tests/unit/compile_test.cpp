// SPDX-License-Identifier: GPL-2.0-or-later
// compile: model + Felix parameters + links -> Ruleset (SEMANTICS.md sections 2-4).
//
// Inputs are Calico YAML loaded by the real loader (load_resources + finish_model), so each case
// reads like the resources a user writes; outputs are checked as iptables-save rule text of one
// chain (render_rule), or as set members, or as the endpoint bindings. The golden files in
// tests/golden/compile pin whole rulesets; these tables pin one behaviour per row.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/names.hpp"

namespace hepd {
namespace {

using nf::Table;

Model load(const std::string& yaml) {
    Model m;
    Diagnostics d;
    load_resources(yaml, "test.yaml", m, d);
    finish_model(m, d);
    EXPECT_FALSE(d.has_errors()) << d.format();
    return m;
}

Link link(const char* name, std::vector<const char*> ips = {}) {
    Link l;
    l.name = name;
    for (const char* ip : ips) {
        auto a = parse_ip(ip);
        EXPECT_TRUE(a) << ip;
        if (a) l.addrs.push_back(*a);
    }
    return l;
}

struct Env {
    FelixParams felix;
    std::string node = "router";
    bool ipv6 = true;
    std::vector<Link> links{link("eth0", {"198.18.1.1", "2001:db8:1::1"})};

    Compiled operator()(const Model& m) const { return compile(CompileInput{m, felix, node, ipv6, links}); }
};

// The rules of one chain as iptables-save prints them (without "-A CHAIN "); empty when absent.
std::vector<std::string> chain(const Compiled& c, uint8_t family, Table table, const std::string& name) {
    std::vector<std::string> out;
    const nf::FamilyRuleset* f = family == 4 ? &c.rules.v4 : c.rules.v6 ? &*c.rules.v6 : nullptr;
    if (!f) return out;
    const nf::TableRuleset* t = f->find(table);
    if (!t) return out;
    const nf::Chain* ch = t->find(name);
    if (!ch) return out;
    for (const auto& r : ch->rules) out.push_back(nf::render_rule(r, family));
    return out;
}

bool has_chain(const Compiled& c, uint8_t family, Table table, const std::string& name) {
    const nf::FamilyRuleset* f = family == 4 ? &c.rules.v4 : c.rules.v6 ? &*c.rules.v6 : nullptr;
    return f && f->find(table) && f->find(table)->find(name);
}

const nf::IpSet* find_set(const Compiled& c, const std::string& name) {
    for (const auto& s : c.rules.sets)
        if (s.name == name) return &s;
    return nullptr;
}

const char* kHep = R"(
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: router-eth0
  labels: {role: router}
spec:
  node: router
  interfaceName: eth0
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
)";

// A model of kHep plus one policy "p" selecting it with the given spec (YAML, indented by 2).
Model with_policy(const std::string& spec, const std::string& extra = "") {
    return load(std::string(kHep) + "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
                                    "  name: p\nspec:\n" +
                spec + extra);
}

// Set names are hashes: tests find a set by its members.
std::string set_with_members(const Compiled& c, const std::vector<std::string>& members) {
    for (const auto& s : c.rules.sets)
        if (s.members == members) return s.name;
    return "<no set with those members>";
}

std::string pi() { return names::policy_chain(true, "p"); }
std::string po() { return names::policy_chain(false, "p"); }

// ---- mark bits -------------------------------------------------------------------------------

TEST(MarkBits, TakenLowestFirstFromTheMask) {
    struct Case {
        uint32_t mask;
        MarkBits want;
    } cases[] = {
        {0xffff0000, {0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x1b0000}},
        {0x0000ff00, {0x100, 0x200, 0x400, 0x800, 0x1000, 0x1b00}},
        {0x0000003f, {0x1, 0x2, 0x4, 0x8, 0x10, 0x1b}},
        {0xaaaa0000, {0x20000, 0x80000, 0x200000, 0x800000, 0x2000000, 0x28a0000}},
        {0xf0000001, {0x1, 0x10000000, 0x20000000, 0x40000000, 0x80000000, 0xd0000001}},
        {0x00000003, {0x1, 0x2, 0, 0, 0, 0x3}},
        {0x00000000, {0, 0, 0, 0, 0, 0}},
    };
    for (const auto& c : cases) {
        MarkBits b = mark_bits(c.mask);
        SCOPED_TRACE(testing::Message() << std::hex << "mask 0x" << c.mask);
        EXPECT_EQ(b.accept, c.want.accept);
        EXPECT_EQ(b.pass, c.want.pass);
        EXPECT_EQ(b.drop, c.want.drop);
        EXPECT_EQ(b.scratch0, c.want.scratch0);
        EXPECT_EQ(b.scratch1, c.want.scratch1);
        EXPECT_EQ(b.all, c.want.all);
    }
}

TEST(MarkBits, EveryMarkFollowsTheMask) {
    Env run;
    run.felix.iptables_mark_mask = 0xff00;
    run.ipv6 = false;
    Compiled c = run(with_policy("  ingress:\n  - action: Allow\n"));
    EXPECT_EQ(chain(c, 4, Table::filter, "hepd-INPUT"),
              (std::vector<std::string>{"-i cali+ -g hepd-wl-to-host", "-m mark --mark 0x100/0x100 -j ACCEPT",
                                        "-j MARK --set-xmark 0x0/0x1b00", "-j hepd-from-host-endpoint",
                                        "-m mark --mark 0x100/0x100 -j ACCEPT"}));
    EXPECT_EQ(chain(c, 4, Table::filter, pi()), (std::vector<std::string>{"-j MARK --set-xmark 0x100/0x100"}));
    EXPECT_EQ(chain(c, 4, Table::raw, "hepd-PREROUTING"),
              (std::vector<std::string>{"-j MARK --set-xmark 0x0/0x1b00", "-i cali+ -j MARK --set-xmark 0x800/0x800",
                                        "-m mark --mark 0x0/0x800 -j hepd-from-host-endpoint",
                                        "-m mark --mark 0x100/0x100 -j ACCEPT"}));
}

// ---- which endpoint governs an interface (SEMANTICS 2.11) --------------------------------------

std::string hep_doc(const std::string& name, const std::string& node, const std::string& iface,
                    const std::string& ips = "") {
    std::string s = "---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: " + name +
                    "\nspec:\n  node: " + node + "\n";
    if (!iface.empty()) s += "  interfaceName: \"" + iface + "\"\n";
    if (!ips.empty()) s += "  expectedIPs: [" + ips + "]\n";
    return s;
}

TEST(EndpointResolution, Table) {
    struct Case {
        const char* name;
        std::string yaml;
        std::vector<Link> links;
        std::vector<std::pair<std::string, std::string>> want;  // iface -> endpoint
        std::vector<std::string> felix_exclude = {"kube-ipvs0"};
    } cases[] = {
        {"named", hep_doc("h", "router", "eth0"), {link("eth0")}, {{"eth0", "h"}}},
        {"lowest name wins among named", hep_doc("b", "router", "eth0") + hep_doc("a", "router", "eth0"),
         {link("eth0")}, {{"eth0", "a"}}},
        {"by address", hep_doc("h", "router", "", "198.18.2.1"), {link("eth0"), link("eth1", {"198.18.2.1"})},
         {{"eth1", "h"}}},
        {"by IPv6 address", hep_doc("h", "router", "", "\"2001:db8:2::1\""),
         {link("eth1", {"198.18.2.1", "2001:db8:2::1"})}, {{"eth1", "h"}}},
        {"lowest name wins between named and address", hep_doc("z-named", "router", "eth0") + hep_doc("a-ip", "router", "", "198.18.1.1"),
         {link("eth0", {"198.18.1.1"})}, {{"eth0", "a-ip"}}},
        {"named is preferred only by name order", hep_doc("a-named", "router", "eth0") + hep_doc("z-ip", "router", "", "198.18.1.1"),
         {link("eth0", {"198.18.1.1"})}, {{"eth0", "a-named"}}},
        {"a named endpoint never matches by address", hep_doc("h", "router", "eth9", "198.18.1.1"),
         {link("eth0", {"198.18.1.1"})}, {}},
        {"other node ignored", hep_doc("h", "elsewhere", "eth0") + hep_doc("s", "elsewhere", "*"), {link("eth0")}, {}},
        {"absent interface programs nothing", hep_doc("h", "router", "eth7"), {link("eth0")}, {}},
        {"no links, no star", hep_doc("h", "router", "eth0"), {}, {}},
        {"star is last, lowest star name wins", hep_doc("s2", "router", "*") + hep_doc("s1", "router", "*") + hep_doc("h", "router", "eth1"),
         {link("eth1"), link("eth0")}, {{"eth1", "h"}, {"*", "s1"}}},
        {"star with no links at all", hep_doc("s", "router", "*"), {}, {{"*", "s"}}},
        {"workload interfaces are never governed", hep_doc("h", "router", "cali0") + hep_doc("i", "router", "", "198.18.3.1"),
         {link("cali0", {"198.18.3.1"})}, {}},
        {"excluded interfaces are never governed", hep_doc("h", "router", "kube-ipvs0") + hep_doc("i", "router", "", "198.18.3.1"),
         {link("kube-ipvs0", {"198.18.3.1"})}, {}},
        {"interfaces sorted by name", hep_doc("h", "router", "", "198.18.1.1, 198.18.2.1"),
         {link("eth1", {"198.18.2.1"}), link("eth0", {"198.18.1.1"})}, {{"eth0", "h"}, {"eth1", "h"}}},
        {"a link listed twice counts once", hep_doc("h", "router", "eth0"), {link("eth0"), link("eth0", {"198.18.1.1"})},
         {{"eth0", "h"}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Model m = load(c.yaml);
        Env run;
        run.links = c.links;
        Compiled out = run(m);
        std::vector<std::pair<std::string, std::string>> got;
        for (const auto& b : out.bindings) got.emplace_back(b.iface, b.endpoint);
        EXPECT_EQ(got, c.want);
    }
}

// The dispatch chains follow the bindings: one goto per governed interface, sorted, then the *
// default; an interface listed twice gets one rule and one set of endpoint chains.
TEST(EndpointResolution, DispatchChains) {
    Model m = load(hep_doc("h", "router", "eth1") + hep_doc("g", "router", "eth0") + hep_doc("s", "router", "*"));
    Env run;
    run.ipv6 = false;
    run.links = {link("eth1"), link("eth0"), link("eth1"), link("lo")};
    Compiled c = run(m);
    EXPECT_EQ(chain(c, 4, Table::filter, "hepd-from-host-endpoint"),
              (std::vector<std::string>{"-i eth0 -g hepd-fh-eth0", "-i eth1 -g hepd-fh-eth1",
                                        "-g hepd-fh-any-interface-at-all"}));
    EXPECT_EQ(chain(c, 4, Table::mangle, "hepd-to-host-endpoint"),
              (std::vector<std::string>{"-o eth0 -g hepd-th-eth0", "-o eth1 -g hepd-th-eth1", "-o cali+ -j RETURN",
                                        "-g hepd-th-any-interface-at-all"}));
    EXPECT_EQ(chain(c, 4, Table::filter, "hepd-fh-eth1").size(), 5u);
    EXPECT_TRUE(has_chain(c, 4, Table::mangle, "hepd-th-any-interface-at-all"));
    EXPECT_FALSE(has_chain(c, 4, Table::mangle, "hepd-fh-any-interface-at-all"));  // no pre-DNAT policy
    EXPECT_FALSE(has_chain(c, 4, Table::raw, "hepd-fh-eth0"));                     // no untracked policy
    EXPECT_EQ(chain(c, 4, Table::filter, "hepd-from-hep-forward").back(),
              "-g " + names::endpoint_chain("fhfw", "*"));
}

// ---- IP family filtering (SEMANTICS 2.9, gotcha 10) ------------------------------------------

TEST(FamilyFiltering, Table) {
    struct Case {
        const char* rule;  // one ingress rule, YAML indented by 4
        bool v4, v6;
    } cases[] = {
        {"    protocol: ICMP\n", true, false},
        {"    protocol: ICMPv6\n", false, true},
        {"    protocol: 1\n", true, true},
        {"    protocol: 58\n", true, true},
        {"    protocol: 1\n    icmp: {type: 8}\n", true, false},
        {"    protocol: 58\n    icmp: {type: 128}\n", false, true},
        {"    protocol: 58\n    notICMP: {type: 128}\n", false, true},
        {"    protocol: TCP\n", true, true},
        {"    ipVersion: 4\n", true, false},
        {"    ipVersion: 6\n", false, true},
        {"    source:\n      nets: [198.18.0.0/15]\n", true, false},
        {"    source:\n      nets: [\"2001:db8::/32\"]\n", false, true},
        {"    source:\n      notNets: [198.18.0.0/15]\n", true, false},
        {"    destination:\n      notNets: [\"2001:db8::/32\"]\n", false, true},
        {"    destination:\n      nets: [198.18.0.0/16, 198.19.0.0/16]\n", true, false},
        {"    source:\n      selector: all()\n", true, true},
        {"    notProtocol: ICMP\n", true, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.rule);
        Compiled out = Env{}(with_policy("  ingress:\n  - action: Allow\n" + std::string(c.rule)));
        EXPECT_EQ(!chain(out, 4, Table::filter, pi()).empty(), c.v4);
        EXPECT_EQ(!chain(out, 6, Table::filter, pi()).empty(), c.v6);
    }
}

// ---- rule rendering: one Calico rule -> iptables rules ----------------------------------------

struct RuleCase {
    const char* name;
    const char* rules;  // the ingress list, YAML indented by 2
    std::vector<std::string> want;  // IPv4 rules of the policy chain
};

void check_rules(const std::vector<RuleCase>& cases, Env run = Env{}) {
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Compiled out = run(with_policy(std::string("  ingress:\n") + c.rules));
        EXPECT_EQ(chain(out, 4, Table::filter, pi()), c.want);
    }
}

TEST(RuleRendering, ActionsAndProtocols) {
    check_rules({
        {"allow (trailing RETURN dropped)", "  - action: Allow\n", {"-j MARK --set-xmark 0x10000/0x10000"}},
        {"allow then log",
         "  - action: Allow\n    protocol: TCP\n  - action: Log\n",
         {"-p tcp -j MARK --set-xmark 0x10000/0x10000", "-m mark --mark 0x10000/0x10000 -j RETURN",
          "-j LOG --log-prefix \"calico-packet: \" --log-level 5"}},
        {"deny", "  - action: Deny\n    protocol: UDP\n",
         {"-p udp -j MARK --set-xmark 0x40000/0x40000", "-m mark --mark 0x40000/0x40000 -j DROP"}},
        {"pass", "  - action: Pass\n    protocol: 253\n",
         {"-p 253 -j MARK --set-xmark 0x20000/0x20000"}},
        {"notProtocol", "  - action: Deny\n    notProtocol: TCP\n",
         {"! -p tcp -j MARK --set-xmark 0x40000/0x40000", "-m mark --mark 0x40000/0x40000 -j DROP"}},
        {"protocol and a different notProtocol", "  - action: Pass\n    protocol: UDP\n    notProtocol: TCP\n",
         {"-p udp -j MARK --set-xmark 0x20000/0x20000"}},
        {"protocol == notProtocol never matches", "  - action: Allow\n    protocol: TCP\n    notProtocol: 6\n", {}},
        {"icmp type/code", "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 3, code: 4}\n    notICMP: {type: 0}\n",
         {"-p icmp -m icmp --icmp-type 3/4 -m icmp ! --icmp-type 0 -j MARK --set-xmark 0x10000/0x10000"}},
    });
}

TEST(RuleRendering, NetsAndSelectors) {
    check_rules({
        {"one net inline", "  - action: Allow\n    source:\n      nets: [198.18.10.0/24]\n    destination:\n      nets: [198.18.1.1/32]\n",
         {"-s 198.18.10.0/24 -d 198.18.1.1/32 -j MARK --set-xmark 0x10000/0x10000"}},
        {"lone /0 is no match at all", "  - action: Allow\n    source:\n      nets: [0.0.0.0/0]\n",
         {"-j MARK --set-xmark 0x10000/0x10000"}},
        {"one notNet inline", "  - action: Allow\n    source:\n      notNets: [198.18.10.0/24]\n",
         {"! -s 198.18.10.0/24 -j MARK --set-xmark 0x10000/0x10000"}},
    });
}

// The set names of nets lists are hashes; the sets' members are what matters.
TEST(RuleRendering, NetsListSets) {
    Compiled out = Env{}(with_policy(
        "  ingress:\n  - action: Allow\n    source:\n      nets: [198.18.11.0/24, 198.18.12.7/32, 0.0.0.0/0]\n"
        "      notNets: [198.18.11.0/28]\n    destination:\n      notNets: [198.18.1.0/24, 198.18.2.0/24]\n"
        "  - action: Deny\n    source:\n      nets: [198.18.10.0/24]\n      notNets: [198.18.10.0/25]\n"));
    auto rules = chain(out, 4, Table::filter, pi());
    ASSERT_EQ(rules.size(), 4u);
    ASSERT_EQ(out.rules.sets.size(), 3u);
    for (const auto& s : out.rules.sets) {
        EXPECT_EQ(s.type, "hash:net");
        EXPECT_EQ(s.family, 4);
        EXPECT_TRUE(s.name.starts_with("hepd4c-")) << s.name;
        EXPECT_LE(s.name.size(), names::max_set);
    }
    const std::string src = set_with_members(out, {"0.0.0.0/1", "128.0.0.0/1", "198.18.11.0/24", "198.18.12.7"});
    const std::string dst = set_with_members(out, {"198.18.1.0/24", "198.18.2.0/24"});
    const std::string neg = set_with_members(out, {"198.18.10.0/25"});
    // Several positive nets: a set; the single notNet then takes the inline slot.
    EXPECT_EQ(rules[0], "! -s 198.18.11.0/28 -m set --match-set " + src + " src -m set ! --match-set " + dst +
                            " dst -j MARK --set-xmark 0x10000/0x10000");
    // One positive net inline: the notNet goes to a set of one.
    EXPECT_EQ(rules[2], "-s 198.18.10.0/24 -m set ! --match-set " + neg + " src -j MARK --set-xmark 0x40000/0x40000");
}

TEST(RuleRendering, PortsAndChunks) {
    check_rules({
        {"ports and ranges", "  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [22, \"8000:8080\"]\n",
         {"-p tcp -m multiport --dports 22,8000:8080 -j MARK --set-xmark 0x10000/0x10000"}},
        {"source and destination", "  - action: Allow\n    protocol: UDP\n    source:\n      ports: [123]\n    destination:\n      ports: [\"1024:65535\"]\n",
         {"-p udp -m multiport --sports 123 -m multiport --dports 1024:65535 -j MARK --set-xmark 0x10000/0x10000"}},
        {"notPorts", "  - action: Deny\n    protocol: UDP\n    destination:\n      notPorts: [53, \"67:68\"]\n",
         {"-p udp -m multiport ! --dports 53,67:68 -j MARK --set-xmark 0x40000/0x40000",
          "-m mark --mark 0x40000/0x40000 -j DROP"}},
        {"exactly 15 slots fit one match",
         "  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, \"20:21\"]\n",
         {"-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,20:21 -j MARK --set-xmark 0x10000/0x10000"}},
        {"16 slots: a match block",
         "  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, \"20:21\"]\n",
         {"-j MARK --set-xmark 0x0/0x180000",
          "-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14 -j MARK --set-xmark 0x80000/0x80000",
          "-p tcp -m multiport --dports 20:21 -j MARK --set-xmark 0x80000/0x80000",
          "-p tcp -m mark --mark 0x80000/0x80000 -j MARK --set-xmark 0x10000/0x10000"}},
        {"blocks on both sides AND through Scratch1",
         "  - action: Deny\n    protocol: UDP\n    source:\n      ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n"
         "    destination:\n      ports: [21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36]\n",
         {"-j MARK --set-xmark 0x0/0x180000",
          "-p udp -m multiport --sports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j MARK --set-xmark 0x80000/0x80000",
          "-p udp -m multiport --sports 16 -j MARK --set-xmark 0x80000/0x80000",
          "-p udp -m multiport --dports 21,22,23,24,25,26,27,28,29,30,31,32,33,34,35 -j MARK --set-xmark 0x100000/0x100000",
          "-p udp -m multiport --dports 36 -j MARK --set-xmark 0x100000/0x100000",
          "-m mark --mark 0x0/0x100000 -j MARK --set-xmark 0x0/0x80000",
          "-p udp -m mark --mark 0x80000/0x80000 -j MARK --set-xmark 0x40000/0x40000",
          "-m mark --mark 0x40000/0x40000 -j DROP"}},
        {"negated chunks stay in the rule (AND of negations)",
         "  - action: Allow\n    protocol: TCP\n    destination:\n      notPorts: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n",
         {"-p tcp -m multiport ! --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -m multiport ! --dports 16,17 -j MARK "
          "--set-xmark 0x10000/0x10000"}},
    });
}

const char* kNamedPortHeps = R"(
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: router-eth0
  labels: {role: router}
spec:
  node: router
  interfaceName: eth0
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
  ports:
  - {name: http, protocol: TCP, port: 8080}
  - {name: dns, protocol: UDP, port: 53}
  - {name: dns, protocol: TCP, port: 53}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: peer
  labels: {role: peer, quarantine: "true"}
spec:
  node: peer
  interfaceName: eth0
  expectedIPs: [198.18.1.2]
  ports:
  - {name: http, protocol: TCP, port: 80}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: peer2
  labels: {role: peer}
spec:
  node: peer2
  expectedIPs: [198.18.1.3]
  ports:
  - {name: http, protocol: SCTP, port: 81}
)";

Compiled named_ports(const std::string& egress) {
    Env run;
    run.ipv6 = false;
    return run(load(std::string(kNamedPortHeps) +
                    "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n"
                    "  types: [Egress]\n  egress:\n" +
                    egress));
}

TEST(NamedPorts, SetMembership) {
    // Rule protocol TCP: only TCP ports named http, of every node's endpoints.
    Compiled c = named_ports("  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [http]\n");
    std::string s = set_with_members(c, {"198.18.1.1,tcp:8080", "198.18.1.2,tcp:80"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-p tcp -m set --match-set " + s + " dst,dst -j MARK --set-xmark 0x10000/0x10000"}));
    EXPECT_EQ(find_set(c, s)->type, "hash:ip,port");

    // No protocol: each port's own, SCTP included.
    c = named_ports("  - action: Allow\n    destination:\n      ports: [http]\n");
    s = set_with_members(c, {"198.18.1.1,tcp:8080", "198.18.1.2,tcp:80", "198.18.1.3,sctp:81"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-m set --match-set " + s + " dst,dst -j MARK --set-xmark 0x10000/0x10000"}));

    // Two ports of one name on one endpoint.
    c = named_ports("  - action: Allow\n    destination:\n      ports: [dns]\n");
    s = set_with_members(c, {"198.18.1.1,tcp:53", "198.18.1.1,udp:53"});
    EXPECT_NE(find_set(c, s), nullptr);

    // The positive selector of the side filters the endpoints; no separate selector set.
    c = named_ports("  - action: Allow\n    protocol: TCP\n    destination:\n      selector: role == 'peer'\n      ports: [http]\n");
    s = set_with_members(c, {"198.18.1.2,tcp:80"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-p tcp -m set --match-set " + s + " dst,dst -j MARK --set-xmark 0x10000/0x10000"}));
}

// Felix filters a named port by the side's positive selector combined with its notSelector
// ((S) && (!(N)), rule_scanner.go), and renders no separate negated set then.
TEST(NamedPorts, CombinedSelectorFiltersTheSet) {
    Compiled c = named_ports(
        "  - action: Allow\n    destination:\n      selector: role == 'peer'\n      notSelector: quarantine == 'true'\n"
        "      ports: [http]\n");
    std::string s = set_with_members(c, {"198.18.1.3,sctp:81"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-m set --match-set " + s + " dst,dst -j MARK --set-xmark 0x10000/0x10000"}));

    // With a numeric port too: the combined selector set, and a block of numeric OR named.
    c = named_ports(
        "  - action: Allow\n    protocol: TCP\n    destination:\n      selector: role == 'peer'\n"
        "      notSelector: quarantine == 'true'\n      ports: [8443, http]\n");
    std::string np = set_with_members(c, {});  // no TCP http port on an unquarantined peer
    std::string sel = set_with_members(c, {"198.18.1.3"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-j MARK --set-xmark 0x0/0x180000",
                                        "-p tcp -m multiport --dports 8443 -j MARK --set-xmark 0x80000/0x80000",
                                        "-m set --match-set " + np + " dst,dst -j MARK --set-xmark 0x80000/0x80000",
                                        "-p tcp -m set --match-set " + sel + " dst -m mark --mark 0x80000/0x80000 -j MARK "
                                        "--set-xmark 0x10000/0x10000"}));

    // notPorts: a negated ip,port set over the same (combined) endpoints.
    c = named_ports(
        "  - action: Deny\n    protocol: TCP\n    destination:\n      selector: role == 'peer'\n"
        "      notSelector: quarantine == 'true'\n      notPorts: [http]\n");
    sel = set_with_members(c, {"198.18.1.3"});
    EXPECT_EQ(chain(c, 4, Table::filter, po()),
              (std::vector<std::string>{"-p tcp -m set --match-set " + sel + " dst -m set ! --match-set " + np +
                                            " dst,dst -j MARK --set-xmark 0x40000/0x40000",
                                        "-m mark --mark 0x40000/0x40000 -j DROP"}));
}

// ---- selector sets (SEMANTICS 4) -----------------------------------------------------------

TEST(SelectorSets, Membership) {
    const std::string yaml = std::string(kHep) + R"(
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: db-1, labels: {role: db}}
spec: {node: db-1, interfaceName: eth0, expectedIPs: [198.18.20.1, "2001:db8:20::1"]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: db-2, labels: {role: db, tier: legacy}}
spec: {node: db-2, interfaceName: eth0, expectedIPs: [198.18.20.2]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: db-3, labels: {role: db}}
spec: {node: db-3, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: web-1}
spec: {node: web-1, expectedIPs: [198.18.30.1], profiles: [web]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: web}
spec: {labelsToApply: {role: web}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: block, labels: {role: db}}
spec: {nets: [198.18.66.0/24, "2001:db8:66::/48", 198.18.67.5, 0.0.0.0/0, "::/0"]}
)";
    struct Case {
        const char* side;  // the source entity, YAML indented by 6
        std::vector<std::string> v4, v6;
        const char* flags;
    } cases[] = {
        {"      selector: role == 'db'\n",
         {"0.0.0.0/1", "128.0.0.0/1", "198.18.20.1", "198.18.20.2", "198.18.66.0/24", "198.18.67.5"},
         {"2001:db8:20::1", "2001:db8:66::/48", "8000::/1", "::/1"},
         "src"},
        {"      selector: role == 'web'\n", {"198.18.30.1"}, {}, "src"},
        {"      selector: role == 'router'\n", {"198.18.1.1"}, {"2001:db8:1::1"}, "src"},
        {"      selector: role == 'db'\n      notSelector: has(tier)\n",
         {"0.0.0.0/1", "128.0.0.0/1", "198.18.20.1", "198.18.66.0/24", "198.18.67.5"},
         {"2001:db8:20::1", "2001:db8:66::/48", "8000::/1", "::/1"},
         "src"},
        {"      notSelector: has(tier)\n", {"198.18.20.2"}, {}, "! src"},
        {"      selector: nothing == 'at all'\n", {}, {}, "src"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.side);
        Compiled out = Env{}(load(yaml + "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
                                         "metadata: {name: p}\nspec:\n  selector: role == 'router'\n  ingress:\n"
                                         "  - action: Allow\n    source:\n" +
                                  c.side));
        for (uint8_t fam : {4, 6}) {
            const auto& want = fam == 4 ? c.v4 : c.v6;
            auto rules = chain(out, fam, Table::filter, pi());
            ASSERT_EQ(rules.size(), 1u);
            std::string name = set_with_members(out, want);
            // Empty sets are ambiguous by members alone: take the family's only set.
            if (want.empty()) {
                for (const auto& s : out.rules.sets)
                    if (s.family == fam) name = s.name;
            }
            const nf::IpSet* s = find_set(out, name);
            ASSERT_NE(s, nullptr) << "family " << int(fam);
            EXPECT_EQ(s->family, fam);
            EXPECT_EQ(s->type, "hash:net");
            EXPECT_TRUE(s->name.starts_with(fam == 4 ? "hepd4s-" : "hepd6s-"));
            const std::string flags = c.flags;
            std::string want_match = flags[0] == '!' ? "-m set ! --match-set " + name + " src"
                                                     : "-m set --match-set " + name + " src";
            EXPECT_EQ(rules[0], want_match + " -j MARK --set-xmark 0x10000/0x10000");
        }
    }
}

// Equivalent selectors share one set (named after the canonical form).
TEST(SelectorSets, SharedByCanonicalForm) {
    Compiled c = Env{}(with_policy(
        "  ingress:\n  - action: Allow\n    source:\n      selector: \"role=='router'\"\n"
        "  - action: Deny\n    source:\n      selector: \"role == \\\"router\\\"\"\n"));
    size_t v4 = 0;
    for (const auto& s : c.rules.sets) v4 += s.family == 4;
    EXPECT_EQ(v4, 1u);
}

// ---- endpoint chains: the discrepancies with Felix found in review --------------------------

// Felix renders the mangle egress chain with RETURN as its allow action (endpoints.go
// HostEndpointToMangleEgressChains), whatever IptablesMangleAllowAction says: established
// DNAT'd traffic sets the Accept mark and returns, so later mangle POSTROUTING rules still run.
TEST(EndpointChains, MangleEgressAlwaysReturns) {
    Env run;
    run.ipv6 = false;
    run.felix.failsafe_inbound.clear();
    run.felix.failsafe_outbound.clear();
    EXPECT_EQ(chain(run(load(kHep)), 4, Table::mangle, "hepd-th-eth0"),
              (std::vector<std::string>{"-m conntrack --ctstate RELATED,ESTABLISHED -j MARK --set-xmark 0x10000/0x10000",
                                        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
                                        "-m conntrack --ctstate INVALID -j DROP", "-j hepd-failsafe-out",
                                        "-j MARK --set-xmark 0x0/0x30000", "-j DROP"}));
}

// DefaultEndpointToHostAction maps to plain DROP / ACCEPT / RETURN (rule_defs.go NewRenderer),
// not to the configured deny or allow actions.
TEST(EndpointChains, EndpointToHostActionIsPlain) {
    struct Case {
        Verdict to_host, allow, deny;
        const char* want;
    } cases[] = {
        {Verdict::drop, Verdict::accept, Verdict::drop, "-j DROP"},
        {Verdict::drop, Verdict::accept, Verdict::reject, "-j DROP"},
        {Verdict::accept, Verdict::accept, Verdict::drop, "-j ACCEPT"},
        {Verdict::accept, Verdict::return_, Verdict::drop, "-j ACCEPT"},
        {Verdict::return_, Verdict::accept, Verdict::reject, "-j RETURN"},
    };
    for (const auto& c : cases) {
        Env run;
        run.felix.default_endpoint_to_host_action = c.to_host;
        run.felix.iptables_filter_allow_action = c.allow;
        run.felix.iptables_filter_deny_action = c.deny;
        Compiled out = run(load(kHep));
        EXPECT_EQ(chain(out, 4, Table::filter, "hepd-wl-to-host"), std::vector<std::string>{c.want});
        auto v6 = chain(out, 6, Table::filter, "hepd-wl-to-host");
        ASSERT_EQ(v6.size(), 7u);
        EXPECT_EQ(v6.back(), c.want);
        EXPECT_EQ(v6.front(), std::string("-p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ") +
                                  (c.allow == Verdict::accept ? "ACCEPT" : "RETURN"));
    }
}

// LogPrefix %t is the tier for policies and empty for profiles (Felix renders profiles with an
// empty tier, policy.go ProfileToIptablesChains).
TEST(EndpointChains, LogPrefixTierOfProfilesIsEmpty) {
    Env run;
    run.ipv6 = false;
    run.felix.log_prefix = "[%t|%k|%n|%p]";
    Compiled out = run(load(std::string(kHep) + R"(
  profiles: [prof]
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: prof}
spec:
  ingress: [{action: Log}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  ingress: [{action: Log}]
)"));
    EXPECT_EQ(chain(out, 4, Table::filter, pi()),
              std::vector<std::string>{"-j LOG --log-prefix \"[default|gnp|p|p]: \" --log-level 5"});
    EXPECT_EQ(chain(out, 4, Table::filter, names::profile_chain(true, "prof")),
              std::vector<std::string>{"-j LOG --log-prefix \"[|pro|prof|prof]: \" --log-level 5"});
}

TEST(EndpointChains, LogPrefixKeeps29Characters) {
    Env run;
    run.ipv6 = false;
    run.felix.log_prefix = "%n-%n";
    run.felix.log_action_rate_limit = LogRateLimit{10, RateUnit::minute};
    run.felix.log_action_rate_limit_burst = 20;
    Compiled out = run(load(std::string(kHep) + R"(
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a-rather-long-policy-name}
spec:
  ingress: [{action: Log, protocol: TCP}]
)"));
    EXPECT_EQ(chain(out, 4, Table::filter, names::policy_chain(true, "a-rather-long-policy-name")),
              std::vector<std::string>{
                  "-p tcp -m limit --limit 10/min --limit-burst 20 -j LOG --log-prefix a-rather-long-policy-name-a-r "
                  "--log-level 5"});
}

// ---- determinism -----------------------------------------------------------------------------

const char* kBig = R"(
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: eth0, labels: {role: router}}
spec:
  node: router
  interfaceName: eth0
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
  ports: [{name: http, protocol: TCP, port: 8080}]
  profiles: [prof-b, prof-a]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: by-ip, labels: {role: lan}}
spec: {node: router, expectedIPs: [198.18.2.1]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: all, labels: {role: any}}
spec: {node: router, interfaceName: "*"}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: peer, labels: {role: peer}}
spec: {node: peer, expectedIPs: [198.18.9.9], ports: [{name: http, protocol: TCP, port: 80}]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: prof-a}
spec: {labelsToApply: {zone: a}, ingress: [{action: Allow, protocol: TCP}]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: prof-b}
spec: {labelsToApply: {zone: b}, egress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: gns-1, labels: {list: x}}
spec: {nets: [198.18.66.0/24, "2001:db8:66::/48"]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: gns-2, labels: {list: x}}
spec: {nets: [198.18.67.0/24]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a}
spec:
  order: 10
  ingress:
  - {action: Deny, source: {selector: list == 'x'}}
  - {action: Allow, protocol: TCP, destination: {ports: [http, 443]}}
  egress:
  - {action: Allow, destination: {selector: role == 'peer', ports: [http]}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a-b}
spec:
  order: 10
  applyOnForward: true
  ingress: [{action: Pass, source: {nets: [198.18.10.0/24, 198.18.11.0/24]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: pre}
spec:
  preDNAT: true
  applyOnForward: true
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [30080]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: dnt}
spec:
  selector: role == 'router'
  doNotTrack: true
  applyOnForward: true
  ingress: [{action: Allow, protocol: UDP, source: {nets: ["2001:db8:9::/48"]}}]
  egress: [{action: Log}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: z}
spec:
  order: 1
  ingress: [{action: Log, protocol: ICMP}]
)";

std::vector<std::string> split_docs(const std::string& yaml) {
    std::vector<std::string> docs;
    size_t start = 0;
    while (true) {
        size_t sep = yaml.find("\n---\n", start);
        docs.push_back(yaml.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
        if (sep == std::string::npos) break;
        start = sep + 5;
    }
    return docs;
}

std::string join_docs(const std::vector<std::string>& docs) {
    std::string out;
    for (const auto& d : docs) out += d + "\n---\n";
    return out;
}

TEST(Determinism, SameInputSameRuleset) {
    Model m = load(kBig);
    Env run;
    run.links = {link("eth0", {"198.18.1.1"}), link("eth1", {"198.18.2.1"}), link("lo", {"127.0.0.1"})};
    Compiled a = run(m);
    Compiled b = run(m);
    EXPECT_EQ(a.rules, b.rules);
    EXPECT_EQ(a.bindings, b.bindings);
    EXPECT_EQ(nf::render_all(a.rules), nf::render_all(b.rules));
    EXPECT_GT(a.rules.rule_count(), 100u);
    EXPECT_GT(a.rules.sets.size(), 5u);
}

TEST(Determinism, ShuffledInputsSameRuleset) {
    Env run;
    run.links = {link("eth0", {"198.18.1.1"}), link("eth1", {"198.18.2.1"}), link("lo", {"127.0.0.1"})};
    const Compiled want = run(load(kBig));
    std::mt19937 rng(20240601);
    auto docs = split_docs(kBig);
    for (int i = 0; i < 25; ++i) {
        SCOPED_TRACE(i);
        // Documents in another order in the file.
        std::shuffle(docs.begin(), docs.end(), rng);
        Model m = load(join_docs(docs));
        Env r = run;
        std::shuffle(r.links.begin(), r.links.end(), rng);
        Compiled got = r(m);
        EXPECT_EQ(got.rules, want.rules);
        EXPECT_EQ(got.bindings, want.bindings);

        // The model's own vectors in another order, as a caller that skipped finish_model's
        // sorting would hand them over.
        std::shuffle(m.host_endpoints.begin(), m.host_endpoints.end(), rng);
        std::shuffle(m.policies.begin(), m.policies.end(), rng);
        std::shuffle(m.network_sets.begin(), m.network_sets.end(), rng);
        std::shuffle(m.profiles.begin(), m.profiles.end(), rng);
        got = r(m);
        EXPECT_EQ(got.rules, want.rules);
        EXPECT_EQ(got.bindings, want.bindings);
    }
}

// ---- piece by piece (Compilation, render_compiled) -----------------------------------------

// kBig with and without IPv6 and under non-default parameters: the pieces are compile()'s values
// and render_compiled's text is render_all's, whole and per part.
TEST(Streaming, SameValuesAndTextAsCompile) {
    const Model m = load(kBig);
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE(round);
        Env run;
        run.links = {link("eth0", {"198.18.1.1"}), link("eth1", {"198.18.2.1"}), link("lo", {"127.0.0.1"})};
        run.ipv6 = round != 1;
        if (round == 2) {
            run.felix.iptables_filter_deny_action = Verdict::reject;
            run.felix.chain_insert_mode = ChainInsertMode::append;
        }
        const CompileInput in{m, run.felix, run.node, run.ipv6, run.links};
        const Compiled want = compile(in);

        Compilation c(in);
        std::vector<nf::IpSet> sets;
        for (size_t i = 0; i < c.set_count(); ++i) {
            const nf::IpSet header = c.set(i, false);
            EXPECT_TRUE(header.members.empty());
            sets.push_back(c.set(i));
            EXPECT_EQ(header.name, sets.back().name);
        }
        EXPECT_EQ(sets, want.rules.sets);
        std::vector<nf::FamilyRuleset> families;
        for (uint8_t family : c.families()) {
            nf::FamilyRuleset f;
            f.family = family;
            for (nf::Table t : nf::all_tables) {
                const PlannedTable pt = c.table(family, t);
                nf::TableRuleset tr{t, pt.hooks(), {}};
                for (size_t i = 0; i < pt.size(); ++i) {
                    tr.chains.push_back(pt.chain(i));
                    EXPECT_EQ(tr.chains.back().name, pt.chain_name(i));
                }
                f.tables.push_back(std::move(tr));
            }
            families.push_back(std::move(f));
        }
        ASSERT_EQ(families.size(), run.ipv6 ? 2u : 1u);
        EXPECT_EQ(families[0], want.rules.v4);
        if (run.ipv6) {
            EXPECT_EQ(families[1], *want.rules.v6);
        }
        EXPECT_EQ(c.bindings(), want.bindings);

        auto streamed = [&](std::optional<nf::RenderPart> only) {
            std::string out;
            size_t pieces = 0;
            const RenderStats st = render_compiled(in, only, [&](std::string_view piece) {
                out += piece;
                ++pieces;
            });
            EXPECT_EQ(st.bytes, out.size());
            EXPECT_EQ(pieces == 0, out.empty());  // nothing to write, no call
            if (!only) {
                EXPECT_EQ(st.rules, want.rules.rule_count());
                EXPECT_EQ(st.sets, want.rules.sets.size());
                EXPECT_EQ(st.members, want.rules.set_member_count());
            }
            return out;
        };
        EXPECT_EQ(streamed(std::nullopt), nf::render_all(want.rules));
        EXPECT_EQ(streamed(nf::RenderPart::ipset), nf::render_ipsets(want.rules));
        EXPECT_EQ(streamed(nf::RenderPart::ipv4), nf::render_family(want.rules.v4));
        EXPECT_EQ(streamed(nf::RenderPart::ipv6), run.ipv6 ? nf::render_family(*want.rules.v6) : std::string());
    }
}

// ---- names -----------------------------------------------------------------------------------

TEST(Names, EndpointChainsFitAndStayReadable) {
    EXPECT_EQ(names::endpoint_chain("fh", "eth0"), "hepd-fh-eth0");
    EXPECT_EQ(names::endpoint_chain("thfw", "a-15-char-iface"), "hepd-thfw-a-15-char-iface");
    EXPECT_EQ(names::endpoint_chain("fh", "*"), "hepd-fh-any-interface-at-all");
    EXPECT_EQ(names::endpoint_chain("th", "*"), "hepd-th-any-interface-at-all");
    for (const char* kind : {"fh", "th", "fhfw", "thfw"}) {
        const std::string n = names::endpoint_chain(kind, "*");
        EXPECT_LE(n.size(), names::max_chain) << n;
        EXPECT_TRUE(n.starts_with(std::string("hepd-") + kind + "-")) << n;
    }
    EXPECT_NE(names::endpoint_chain("fhfw", "*"), names::endpoint_chain("thfw", "*"));
    for (const std::string& n : {names::policy_chain(true, std::string(253, 'a')), names::profile_chain(false, "x"),
                                 names::selector_set(6, "all()"), names::named_port_set(4, "all()|6|http")}) {
        EXPECT_LE(n.size(), n.starts_with("hepd-") ? names::max_chain : names::max_set) << n;
    }
}

}  // namespace
}  // namespace hepd
