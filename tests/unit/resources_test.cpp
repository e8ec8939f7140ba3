// SPDX-License-Identifier: GPL-2.0-or-later
// Calico YAML -> model (resources.cpp) and the cross-file steps (model.cpp): each table row is a
// YAML snippet and the exact model fields or diagnostics it must produce. Error messages are
// pinned in full by the golden files (tests/golden/fail); here the rows pin what the model holds
// and the few message properties that matter for the code (one message per problem, position).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hepd/model.hpp"

namespace hepd {
namespace {

// Every diagnostic as "LINE:COL: severity: message" (the file name left out), one per line.
std::string render(const Diagnostics& d) {
    std::string out;
    for (const auto& item : d.items()) {
        out += std::to_string(item.where.line) + ":" + std::to_string(item.where.col) + ": " +
               std::string(severity_name(item.severity)) + ": " + item.message + "\n";
    }
    return out;
}

struct Loaded {
    Model model;
    Diagnostics diags;
};

// Loads each text as its own file ("f0.yaml", "f1.yaml", ...), then finishes the model.
Loaded load(const std::vector<std::string>& files) {
    Loaded l;
    for (size_t i = 0; i < files.size(); ++i)
        load_resources(files[i], "f" + std::to_string(i) + ".yaml", l.model, l.diags);
    finish_model(l.model, l.diags);
    return l;
}
Loaded load(const std::string& text) { return load(std::vector<std::string>{text}); }

const std::string v3 = "apiVersion: projectcalico.org/v3\n";

std::string gnp(const std::string& name, const std::string& spec) {
    return v3 + "kind: GlobalNetworkPolicy\nmetadata:\n  name: " + name + "\nspec:\n" + spec;
}

std::string hep(const std::string& name, const std::string& meta, const std::string& spec) {
    return v3 + "kind: HostEndpoint\nmetadata:\n  name: " + name + "\n" + meta + "spec:\n" + spec;
}

std::string profile(const std::string& name, const std::string& spec) {
    return v3 + "kind: Profile\nmetadata:\n  name: " + name + "\nspec:\n" + spec;
}

std::string names(const std::vector<GlobalNetworkPolicy>& v) {
    std::string out;
    for (const auto& p : v) out += (out.empty() ? "" : " ") + p.name;
    return out;
}

// One rule, rendered compactly: action, ipVersion, protocols, icmp, and each side's matches.
std::string render(const Rule& r) {
    std::string out(action_name(r.action));
    if (r.ip_version) out += " v" + std::to_string(r.ip_version);
    if (r.protocol) out += " proto=" + r.protocol->format();
    if (r.not_protocol) out += " !proto=" + r.not_protocol->format();
    auto icmp = [&](const char* what, const std::optional<IcmpMatch>& m) {
        if (!m) return;
        out += std::string(" ") + what + "=" + (m->type ? std::to_string(*m->type) : "-") + "/" +
               (m->code ? std::to_string(*m->code) : "-");
    };
    icmp("icmp", r.icmp);
    icmp("!icmp", r.not_icmp);
    auto side = [&](const char* what, const EntityRule& e) {
        auto list = [&](const char* tag, const auto& v, auto fmt) {
            if (v.empty()) return;
            out += std::string(" ") + what + "." + tag + "=";
            for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + fmt(v[i]);
        };
        auto cidr = [](const Cidr& c) { return c.to_string(); };
        auto port = [](const PortSpec& p) { return p.format(); };
        list("nets", e.nets, cidr);
        list("!nets", e.not_nets, cidr);
        list("ports", e.ports, port);
        list("!ports", e.not_ports, port);
        if (!e.selector.empty()) out += std::string(" ") + what + ".sel=" + e.selector;
        if (!e.not_selector.empty()) out += std::string(" ") + what + ".!sel=" + e.not_selector;
    };
    side("src", r.source);
    side("dst", r.destination);
    return out;
}

// ---- rules: YAML -> model fields -------------------------------------------------------------

TEST(Resources, RuleFields) {
    struct Case {
        std::string rule;  // one ingress rule, indented for "    - "
        std::string want;
    };
    const Case cases[] = {
        {"action: Allow", "Allow"},
        {"action: Deny", "Deny"},
        {"action: Log", "Log"},
        {"action: Pass", "Pass"},
        {"{action: Allow, protocol: TCP}", "Allow proto=TCP"},
        {"{action: Allow, protocol: 6}", "Allow proto=6"},
        {"{action: Allow, protocol: \"17\"}", "Allow proto=17"},
        {"{action: Allow, protocol: UDPLite}", "Allow proto=UDPLite"},
        {"{action: Allow, protocol: 255}", "Allow proto=255"},
        {"{action: Deny, notProtocol: SCTP}", "Deny !proto=SCTP"},
        {"{action: Allow, ipVersion: 6}", "Allow v6"},
        {"{action: Allow, protocol: ICMP, icmp: {type: 8}}", "Allow proto=ICMP icmp=8/-"},
        {"{action: Allow, protocol: ICMPv6, icmp: {type: 1, code: 4}}", "Allow proto=ICMPv6 icmp=1/4"},
        {"{action: Allow, protocol: 1, icmp: {type: 0, code: 0}, ipVersion: 4}", "Allow v4 proto=1 icmp=0/0"},
        {"{action: Allow, protocol: ICMP, notICMP: {type: 254, code: 255}}", "Allow proto=ICMP !icmp=254/255"},
        // Ports: single, range, named (named ports need no protocol).
        {"{action: Allow, protocol: TCP, destination: {ports: [22, \"8000:8080\", https, \"443\"]}}",
         "Allow proto=TCP dst.ports=22,8000:8080,https,443"},
        {"{action: Allow, destination: {ports: [http], notPorts: [metrics]}}", "Allow dst.ports=http dst.!ports=metrics"},
        {"{action: Allow, protocol: SCTP, source: {notPorts: [\"1:65535\"]}}", "Allow proto=SCTP src.!ports=1:65535"},
        {"{action: Allow, protocol: 132, source: {ports: [1]}}", "Allow proto=132 src.ports=1"},
        // Nets: canonical text; one family across all four lists; notNets may be anything but /0.
        {"{action: Allow, source: {nets: [10.0.0.0/8, 192.168.1.0/24]}, destination: {notNets: [10.1.0.0/16]}}",
         "Allow src.nets=10.0.0.0/8,192.168.1.0/24 dst.!nets=10.1.0.0/16"},
        {"{action: Allow, ipVersion: 6, source: {nets: [\"2001:DB8:0:0::/32\", \"::1/128\"]}}",
         "Allow v6 src.nets=2001:db8::/32,::1/128"},
        {"{action: Allow, source: {notNets: [0.0.0.0/1]}}", "Allow src.!nets=0.0.0.0/1"},
        // Selectors keep their text; notSelector may use global().
        {"{action: Allow, source: {selector: \"role == 'admin'\", notSelector: global()}}",
         "Allow src.sel=role == 'admin' src.!sel=global()"},
        {"{action: Allow, destination: {selector: \"\"}}", "Allow"},
        // Fields that hold nothing are the same as absent.
        {"{action: Allow, protocol: null, icmp: null, source: null, metadata: {annotations: {note: x}}}", "Allow"},
    };
    for (const auto& c : cases) {
        auto l = load(gnp("p", "  ingress:\n    - " + c.rule + "\n"));
        ASSERT_EQ(render(l.diags), "") << c.rule;
        ASSERT_EQ(l.model.policies.size(), 1u) << c.rule;
        ASSERT_EQ(l.model.policies[0].ingress.size(), 1u) << c.rule;
        EXPECT_EQ(render(l.model.policies[0].ingress[0]), c.want) << c.rule;
    }
}

TEST(Resources, RuleKeepsItsPosition) {
    auto l = load(gnp("p", "  ingress:\n    - action: Allow\n  egress:\n    - action: Deny\n    -   action: Log\n"));
    ASSERT_EQ(render(l.diags), "");
    const auto& p = l.model.policies.at(0);
    EXPECT_EQ(p.ingress.at(0).where, (Location{"f0.yaml", 7, 7}));
    EXPECT_EQ(p.egress.at(0).where, (Location{"f0.yaml", 9, 7}));
    EXPECT_EQ(p.egress.at(1).where, (Location{"f0.yaml", 10, 9}));
    EXPECT_EQ(p.where, (Location{"f0.yaml", 1, 1}));
}

// ---- policies --------------------------------------------------------------------------------

TEST(Resources, TypesDefaulting) {
    struct Case {
        std::string spec;
        bool ingress, egress;
    };
    const Case cases[] = {
        {"  selector: all()\n", true, false},                                 // no rules: Ingress
        {"  ingress: [{action: Allow}]\n", true, false},                      // ingress only
        {"  egress: [{action: Allow}]\n", false, true},                       // egress only: Egress
        {"  ingress: [{action: Allow}]\n  egress: [{action: Deny}]\n", true, true},
        {"  ingress: []\n  egress: []\n", true, false},                       // empty lists are no rules
        {"  types: []\n  egress: [{action: Allow}]\n", false, true},          // empty types: defaulted
        {"  types: [Egress]\n  ingress: [{action: Allow}]\n", false, true},   // explicit types win
        {"  types: [Ingress, Egress]\n", true, true},                         // listed without rules
        {"  types: [Egress, Ingress]\n  egress: [{action: Allow}]\n", true, true},
    };
    for (const auto& c : cases) {
        auto l = load(gnp("p", c.spec));
        ASSERT_EQ(render(l.diags), "") << c.spec;
        ASSERT_EQ(l.model.policies.size(), 1u) << c.spec;
        EXPECT_EQ(l.model.policies[0].ingress_type, c.ingress) << c.spec;
        EXPECT_EQ(l.model.policies[0].egress_type, c.egress) << c.spec;
    }
}

TEST(Resources, PolicyFields) {
    auto l = load(gnp("web.allow", R"(  tier: default
  order: -2.5
  selector: role == 'web'
  doNotTrack: true
  applyOnForward: yes
  performanceHints: [AssumeNeededOnEveryNode]
)"));
    // performanceHints is accepted with a warning; nothing else is reported.
    ASSERT_EQ(render(l.diags), "11:21: warning: spec.performanceHints: ignored by hepd\n");
    const auto& p = l.model.policies.at(0);
    EXPECT_EQ(p.name, "web.allow");
    EXPECT_EQ(p.tier, "default");
    ASSERT_TRUE(p.order.has_value());
    EXPECT_EQ(*p.order, -2.5);
    EXPECT_EQ(p.selector, "role == 'web'");
    EXPECT_TRUE(p.do_not_track);
    EXPECT_FALSE(p.pre_dnat);
    EXPECT_TRUE(p.apply_on_forward);
    EXPECT_EQ(p.effective_selector(), "role == 'web'");
}

// Calico's order: by order with nil last, then by "NAME//GlobalNetworkPolicy" byte by byte, so
// that "a-b" ('-' 0x2d) and "a.b" ('.' 0x2e) run before "a" ('/' 0x2f) and "a0" after it.
TEST(Resources, PolicyOrder) {
    struct Case {
        std::vector<std::pair<std::string, std::string>> policies;  // name, order ("" = none)
        std::string want;
    };
    const Case cases[] = {
        {{{"c", "3"}, {"a", "1"}, {"b", "2"}}, "a b c"},
        {{{"nil-b", ""}, {"nil-a", ""}, {"ten", "10"}, {"big", "1e9"}}, "ten big nil-a nil-b"},
        {{{"neg", "-1"}, {"zero", "0"}, {"frac", "0.5"}}, "neg zero frac"},
        {{{"a", "5"}, {"a-b", "5"}, {"a.b", "5"}, {"a0", "5"}}, "a-b a.b a a0"},
        {{{"a", ""}, {"a-b", ""}, {"a0", ""}}, "a-b a a0"},
        {{{"x", "100"}, {"y", "100.0"}, {"w", "1e2"}}, "w x y"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> files;
        for (const auto& [name, order] : c.policies)
            files.push_back(gnp(name, order.empty() ? "  selector: all()\n" : "  order: " + order + "\n"));
        auto l = load(files);
        ASSERT_EQ(render(l.diags), "");
        EXPECT_EQ(names(l.model.policies), c.want);
    }
}

TEST(Resources, PolicyLess) {
    GlobalNetworkPolicy a, b;
    a.name = "a";
    b.name = "a-b";
    EXPECT_TRUE(policy_less(b, a));
    EXPECT_FALSE(policy_less(a, b));
    a.order = 1;
    EXPECT_TRUE(policy_less(a, b));  // any order before nil
    b.order = 1;
    EXPECT_TRUE(policy_less(b, a));  // equal orders: the name key
    EXPECT_FALSE(policy_less(a, a));
}

TEST(Resources, EffectiveSelector) {
    struct Case {
        std::string spec;
        std::string want;
    };
    const Case cases[] = {
        {"  selector: role == 'web'\n", "role == 'web'"},
        {"  selector: \"\"\n", ""},
        {"  selector: role == 'web'\n  namespaceSelector: team == 'a'\n", "(role == 'web') && (pcns.team == \"a\")"},
        {"  namespaceSelector: all()\n", "(all()) && (has(projectcalico.org/namespace))"},
        {"  selector: has(x)\n  namespaceSelector: \"!has(team)\"\n", "(has(x)) && (!has(pcns.team))"},
    };
    for (const auto& c : cases) {
        auto l = load(gnp("p", c.spec));
        ASSERT_FALSE(l.diags.has_errors()) << render(l.diags);
        ASSERT_EQ(l.model.policies.size(), 1u);
        EXPECT_EQ(l.model.policies[0].effective_selector(), c.want) << c.spec;
    }
}

// ---- host endpoints, profiles, network sets --------------------------------------------------

TEST(Resources, HostEndpointFields) {
    auto l = load(hep("wan", "  labels:\n    role: wan\n    zone: \"\"\n", R"(  node: router1
  interfaceName: eth1
  expectedIPs: [192.0.2.1, "2001:db8::1", 192.0.2.1]
  profiles: [zeta, alpha]
  ports:
    - {name: http, protocol: TCP, port: 80}
    - {name: http, protocol: 17, port: 8080}
)"));
    ASSERT_EQ(render(l.diags),
              "1:1: warning: HostEndpoint 'wan' lists profile 'zeta', which is not defined: as in Calico, it denies "
              "all traffic\n"
              "1:1: warning: HostEndpoint 'wan' lists profile 'alpha', which is not defined: as in Calico, it denies "
              "all traffic\n");
    const auto& h = l.model.host_endpoints.at(0);
    EXPECT_EQ(h.name, "wan");
    EXPECT_EQ(h.labels.format(), "role=wan,zone=");
    EXPECT_EQ(h.node, "router1");
    EXPECT_EQ(h.interface_name, "eth1");
    ASSERT_EQ(h.expected_ips.size(), 2u);  // the repeat is dropped (a set in Calico)
    EXPECT_EQ(h.expected_ips[0].to_string(), "192.0.2.1");
    EXPECT_EQ(h.expected_ips[1].to_string(), "2001:db8::1");
    EXPECT_EQ(h.profiles, (std::vector<std::string>{"zeta", "alpha"}));  // order matters
    ASSERT_EQ(h.ports.size(), 2u);
    EXPECT_EQ(h.ports[1], (EndpointPort{"http", Protocol{17, false}, 8080}));
}

TEST(Resources, BuiltinProfile) {
    auto l = load(std::vector<std::string>{});
    ASSERT_EQ(render(l.diags), "");
    ASSERT_EQ(l.model.profiles.size(), 1u);
    const Profile* p = l.model.find_profile(default_allow_profile);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->builtin);
    ASSERT_EQ(p->ingress.size(), 1u);
    ASSERT_EQ(p->egress.size(), 1u);
    EXPECT_EQ(render(p->ingress[0]), "Allow");
    EXPECT_EQ(render(p->egress[0]), "Allow");

    // It sorts among the user's profiles, and a HostEndpoint may list it without a warning.
    l = load(profile("zz", "  ingress: []\n") + "---\n" + profile("aa", "  egress: []\n") + "---\n" +
             hep("wan", "", "  node: r\n  interfaceName: eth0\n  profiles: [projectcalico-default-allow]\n"));
    ASSERT_EQ(render(l.diags), "");
    std::string order;
    for (const auto& pr : l.model.profiles) order += pr.name + " ";
    EXPECT_EQ(order, "aa projectcalico-default-allow zz ");

    // Redefining it is an error, and the built-in one stays.
    l = load(profile(default_allow_profile, "  ingress: [{action: Deny}]\n"));
    EXPECT_EQ(render(l.diags),
              "1:1: error: Profile 'projectcalico-default-allow' is built in (one Allow rule each way) and cannot be "
              "redefined; choose another name\n");
    ASSERT_EQ(l.model.profiles.size(), 1u);
    EXPECT_TRUE(l.model.profiles[0].builtin);
}

TEST(Resources, EffectiveLabelsInheritProfiles) {
    struct Case {
        std::string hep_labels;  // metadata lines
        std::string profiles;    // spec.profiles
        std::string want;
    };
    // Profiles: p1 applies role=p1,tier=gold; p2 applies role=p2,zone=z2; p3 applies nothing.
    const std::string defs = profile("p1", "  labelsToApply: {role: p1, tier: gold}\n") + "---\n" +
                             profile("p2", "  labelsToApply: {role: p2, zone: z2}\n") + "---\n" +
                             profile("p3", "  ingress: []\n") + "---\n";
    const Case cases[] = {
        {"", "[p1]", "role=p1,tier=gold"},
        {"", "[p2, p1]", "role=p2,tier=gold,zone=z2"},                       // first listed wins
        {"", "[p1, p2]", "role=p1,tier=gold,zone=z2"},
        {"  labels: {role: own}\n", "[p1, p2]", "role=own,tier=gold,zone=z2"},  // own label wins
        {"  labels: {a: b}\n", "[p3]", "a=b"},
        {"  labels: {a: b}\n", "[missing, p2]", "a=b,role=p2,zone=z2"},       // undefined: no labels
        {"  labels: {a: b}\n", "[]", "a=b"},
    };
    for (const auto& c : cases) {
        auto l = load(defs + hep("wan", c.hep_labels, "  node: r\n  interfaceName: eth0\n  profiles: " + c.profiles + "\n"));
        ASSERT_FALSE(l.diags.has_errors()) << render(l.diags);
        ASSERT_EQ(l.model.host_endpoints.size(), 1u);
        EXPECT_EQ(effective_labels(l.model.host_endpoints[0], l.model).format(), c.want) << c.profiles;
        EXPECT_EQ(l.model.host_endpoints[0].labels.format().find("tier"), std::string::npos);  // not copied in
    }
}

TEST(Resources, NetworkSetNetsAreMasked) {
    auto l = load(v3 + R"(kind: GlobalNetworkSet
metadata:
  name: admins
  labels: {admin: "yes"}
spec:
  nets: [10.1.2.3/8, 192.0.2.7, "2001:db8::5/64", "2001:DB8::1", 0.0.0.0/0]
)");
    ASSERT_EQ(render(l.diags), "");
    const auto& s = l.model.network_sets.at(0);
    std::string nets;
    for (const auto& c : s.nets) nets += c.to_string() + " ";
    EXPECT_EQ(nets, "10.0.0.0/8 192.0.2.7/32 2001:db8::/64 2001:db8::1/128 0.0.0.0/0 ");
    EXPECT_EQ(s.labels.format(), "admin=yes");
}

// ---- files and lists -------------------------------------------------------------------------

TEST(Resources, ListForms) {
    struct Case {
        std::string text;
        std::string want;  // "HEPS|POLICIES|SETS|PROFILES(user)|FELIX"
    };
    const std::string wan = "apiVersion: projectcalico.org/v3\n    kind: HostEndpoint\n    metadata: {name: wan}\n    spec: {node: r, interfaceName: eth0}\n";
    const Case cases[] = {
        {v3 + "kind: HostEndpointList\nitems:\n  - " + wan, "wan||||"},
        // Items of a typed List may leave apiVersion and kind out.
        {v3 + "kind: HostEndpointList\nitems:\n  - metadata: {name: a}\n    spec: {node: r, interfaceName: eth0}\n"
              "  - kind: HostEndpoint\n    metadata: {name: b}\n    spec: {node: r, expectedIPs: [192.0.2.1]}\n",
         "a,b||||"},
        // The generic List (apiVersion v1, as kubectl prints it) takes any kind.
        {"apiVersion: v1\nkind: List\nitems:\n  - " + wan + "  - " + v3 +
             "    kind: Profile\n    metadata: {name: pr}\n  - " + v3 +
             "    kind: GlobalNetworkPolicy\n    metadata: {name: gp}\n  - " + v3 +
             "    kind: FelixConfiguration\n    metadata: {name: default}\n    spec: {logPrefix: x}\n",
         "wan|gp||pr|default"},
        {v3 + "kind: GlobalNetworkSetList\nitems: []\n", "||||"},
        {v3 + "kind: ProfileList\nitems:\n", "||||"},  // null items: an empty list
        // A List and plain documents in one file; status is ignored.
        {v3 + "kind: GlobalNetworkPolicyList\nitems:\n  - metadata: {name: a}\n---\n" + gnp("b", "  order: 1\n") +
             "status: {}\n",
         "|b,a|||"},
    };
    for (const auto& c : cases) {
        auto l = load(c.text);
        ASSERT_EQ(render(l.diags), "") << c.text;
        auto join = [](const auto& v, bool skip_builtin = false) {
            std::string out;
            for (const auto& x : v) {
                if constexpr (requires { x.builtin; })
                    if (skip_builtin && x.builtin) continue;
                out += (out.empty() ? "" : ",") + x.name;
            }
            return out;
        };
        EXPECT_EQ(join(l.model.host_endpoints) + "|" + join(l.model.policies) + "|" + join(l.model.network_sets) + "|" +
                      join(l.model.profiles, true) + "|" + join(l.model.felix_configs),
                  c.want)
            << c.text;
    }
}

TEST(Resources, EmptyFilesWarn) {
    for (const std::string text : {"", "# only a comment\n", "---\n---\n", "--- # nothing\n...\n"}) {
        Model m;
        Diagnostics d;
        load_resources(text, "e.yaml", m, d);
        EXPECT_EQ(d.format(), "e.yaml: warning: no resources in this file (it is empty or has only comments)\n")
            << text;
        EXPECT_EQ(m.resource_count(), 0u);
    }
}

TEST(Resources, CrlfAndBom) {
    auto l = load("\xEF\xBB\xBF" "apiVersion: projectcalico.org/v3\r\nkind: Profile\r\nmetadata:\r\n  name: a\r\n"
                  "spec:\r\n  ingress:\r\n    - action: Allow\r\n      protocol: TCP\r\n");
    ASSERT_EQ(render(l.diags), "");
    ASSERT_NE(l.model.find_profile("a"), nullptr);
    EXPECT_EQ(l.model.find_profile("a")->ingress.at(0).where, (Location{"f0.yaml", 7, 7}));
}

// A document with an error adds nothing; the others in the file still load.
TEST(Resources, BadDocumentAddsNothing) {
    auto l = load(profile("good", "  ingress: []\n") + "---\n" +
                  hep("bad", "", "  node: r\n  interfaceName: eth0\n  expectedIPs: [nope]\n") + "---\n" +
                  gnp("bad-policy", "  ingress: [{action: Allow}, {action: allow}]\n") + "---\n" +
                  gnp("good-policy", "  ingress: [{action: Allow}]\n"));
    EXPECT_EQ(l.diags.error_count(), 2u) << render(l.diags);
    EXPECT_EQ(l.model.host_endpoints.size(), 0u);
    EXPECT_EQ(names(l.model.policies), "good-policy");
    EXPECT_NE(l.model.find_profile("good"), nullptr);
}

TEST(Resources, DuplicateNames) {
    // Across files, each repeat is reported at itself and names the first definition.
    auto l = load(std::vector<std::string>{gnp("x", "  order: 1\n"), "# two\n" + gnp("x", "  order: 2\n"),
                                           "# three\n\n" + gnp("x", "  order: 3\n")});
    EXPECT_EQ(l.diags.format(),
              "f1.yaml:2:1: error: GlobalNetworkPolicy 'x' is already defined at f0.yaml:1:1; names must be unique\n"
              "f2.yaml:3:1: error: GlobalNetworkPolicy 'x' is already defined at f0.yaml:1:1; names must be unique\n");
    // In one file the line is enough; different kinds may share a name.
    l = load(profile("web", "  ingress: []\n") + "---\n" + gnp("web", "  order: 1\n") + "---\n" +
             profile("web", "  egress: []\n"));
    EXPECT_EQ(render(l.diags), "15:1: error: Profile 'web' is already defined at line 1; names must be unique\n");
}

// One mistake is one message: a bad field silences the cross-field checks that depend on it, and
// a misspelt field silences "required".
TEST(Resources, OneProblemOneMessage) {
    struct Case {
        std::string text;
        std::string want;
    };
    const Case cases[] = {
        {gnp("p", "  ingress:\n    - {action: Allow, protocol: tcp, destination: {ports: [22]}}\n"),
         "7:33: error: spec.ingress[0].protocol: 'tcp' is not a valid protocol; did you mean 'TCP'? Names are "
         "case-sensitive\n"},
        {gnp("p", "  ingress:\n    - {acton: Allow}\n"),
         "7:8: error: spec.ingress[0]: unknown field 'acton'; did you mean 'action'?\n"},
        {hep("h", "", "  node: r\n  expectedIPs: [192.0.2.0/24]\n"),
         "7:17: error: spec.expectedIPs[0]: '192.0.2.0/24' is a CIDR; expectedIPs takes plain addresses: write "
         "192.0.2.0\n"},
        {hep("h", "", "  nod: r\n  interfaceName: eth0\n"), "6:3: error: spec: unknown field 'nod'; did you mean 'node'?\n"},
        {hep("h", "", "  node: r\n  interfaceName: eth0\n  ports: [{name: http, proto: TCP, port: 80}]\n"),
         "8:24: error: spec.ports[0]: unknown field 'proto'; did you mean 'protocol'?\n"},
        {gnp("p", "  ingress:\n    - {action: Allow, source: {nets: [10.0.0.0/8, 10.0.0.1]}, destination: {nets: "
                  "[\"::/0\"]}}\n"),
         "7:51: error: spec.ingress[0].source.nets[1]: '10.0.0.1' needs a prefix length (10.0.0.1/32 for one "
         "address)\n"},
        // Two rules with one problem each: two messages.
        {gnp("p", "  ingress:\n    - {action: Allow, ipVersion: 5}\n    - {action: Allow, icmp: {type: 8}}\n"),
         "7:34: error: spec.ingress[0].ipVersion: expected 4 or 6, found '5'\n"
         "8:29: error: spec.ingress[1].icmp: needs protocol ICMP or ICMPv6 (or 1 or 58), but the rule has no "
         "protocol\n"},
    };
    for (const auto& c : cases) {
        auto l = load(c.text);
        EXPECT_EQ(render(l.diags), c.want) << c.text;
    }
}

TEST(Resources, ScalarTypes) {
    struct Case {
        std::string spec;
        bool ok;
    };
    // Strings take any scalar; numbers and booleans only unquoted ones; YAML 1.1 integer forms
    // other than decimal are refused (a YAML 1.1 reader would read 0x16 as 22, hepd as a name).
    const Case cases[] = {
        {"  order: 10\n", true},
        {"  order: +1.5e1\n", true},
        {"  order: \"10\"\n", false},
        {"  order: 0x10\n", false},
        {"  order: .inf\n", false},
        {"  applyOnForward: True\n", true},
        {"  applyOnForward: \"true\"\n", false},
        {"  selector: 123\n", false},  // a number is a string here, and not a valid selector
        {"  ingress: [{action: Allow, protocol: TCP, destination: {ports: [0x16]}}]\n", false},
        {"  ingress: [{action: Allow, protocol: TCP, destination: {ports: [\"0x16\"]}}]\n", true},  // a name
        {"  ingress: [{action: Allow, protocol: TCP, destination: {ports: [010]}}]\n", false},
        {"  ingress: [{action: Allow, protocol: TCP, destination: {ports: [\"010\"]}}]\n", true},
        {"  ingress: [{action: Allow, protocol: ICMP, icmp: {type: \"8\"}}]\n", false},
        {"  ingress: [{action: Allow, ipVersion: \"4\"}]\n", false},
    };
    for (const auto& c : cases) {
        auto l = load(gnp("p", c.spec));
        EXPECT_EQ(l.diags.has_errors(), !c.ok) << c.spec << render(l.diags);
    }
}

TEST(Resources, ResourceLimit) {
    // 10000 resources across two files are fine; the 10001st is refused once, at itself.
    auto list = [](int from, int to) {
        std::string t = v3 + "kind: ProfileList\nitems:\n";
        for (int i = from; i < to; ++i) t += "  - metadata: {name: p" + std::to_string(i) + "}\n";
        return t;
    };
    auto l = load(std::vector<std::string>{list(0, 4000), list(4000, 10000)});
    EXPECT_EQ(render(l.diags), "");
    EXPECT_EQ(l.model.resource_count(), 10001u);  // with the built-in profile
    l = load(std::vector<std::string>{list(0, 4000), list(4000, 10003)});
    EXPECT_EQ(l.diags.format(),
              "f1.yaml:6004:5: error: too many resources: the limit is 10000 across all files; this one and the rest "
              "are not loaded\n");
}

}  // namespace
}  // namespace hepd
