// SPDX-License-Identifier: GPL-2.0-or-later
// The watchdog's pure parts: the restart backoff, the beat period, the supervisor's state file;
// the default rules derived from a compiled ruleset (rendered as iptables-save text); and the
// prepared kernel entries the supervisor installs them from (IptcBlob: packed and loaded without
// touching the kernel).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/default_rules.hpp"
#include "hepd/iptc.hpp"
#include "hepd/names.hpp"
#include "hepd/watchdog.hpp"

namespace hepd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- backoff and beats -------------------------------------------------------------------------

TEST(Backoff, DoublesFromOneSecondToAMinute) {
    Backoff b;
    std::vector<long> got;
    for (int i = 0; i < 9; ++i) got.push_back(static_cast<long>(b.on_failure(seconds(0)).count()));
    EXPECT_EQ(got, (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
}

TEST(Backoff, AWorkerHealthyForAMinuteStartsTheScheduleAgain) {
    struct Row {
        long healthy_s;
        long want_s;
    };
    const Row rows[] = {{0, 16}, {5, 16}, {59, 16}, {60, 1}, {3600, 1}};
    for (const auto& row : rows) {
        Backoff b;
        for (int i = 0; i < 4; ++i) b.on_failure(seconds(0));  // 1, 2, 4, 8
        EXPECT_EQ(b.on_failure(seconds(row.healthy_s)).count(), row.want_s) << "healthy " << row.healthy_s << " s";
    }
    Backoff b;
    b.on_failure(seconds(0));
    b.on_failure(seconds(0));
    b.reset();
    EXPECT_EQ(b.peek().count(), 1);
}

TEST(Beat, AQuarterOfTheTimeoutBetween100msAnd1s) {
    struct Row {
        uint32_t timeout_s;
        long want_ms;
    };
    const Row rows[] = {{0, 100}, {1, 250}, {2, 500}, {4, 1000}, {10, 1000}, {3600, 1000}};
    for (const auto& row : rows) EXPECT_EQ(beat_period(row.timeout_s).count(), row.want_ms) << row.timeout_s;
}

// --- the supervisor's state file ---------------------------------------------------------------

TEST(WatchFile, RoundTrip) {
    WatchFile w;
    w.pid = 812;
    w.worker = 0;
    w.state = WatchState::default_rules;
    w.restarts = 3;
    w.restart_at = 1767225600;
    w.add_event(1767225590, "worker 900 killed by signal 9; default rules installed (0.4 ms); restart in 4 s");
    w.add_event(1767225591, "worker 901 started (restart 3)");
    const std::string text = format_watch_file(w);
    EXPECT_EQ(text,
              "hepd-watchdog 1\npid 812\nworker 0\nstate default_rules\nrestarts 3\nrestart_at 1767225600\n"
              "event 1767225590 worker 900 killed by signal 9; default rules installed (0.4 ms); restart in 4 s\n"
              "event 1767225591 worker 901 started (restart 3)\n");
    auto back = parse_watch_file(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, w);
}

TEST(WatchFile, EventsAreOnePrintableLineAndTheLast20) {
    WatchFile w;
    w.pid = 1;
    for (int i = 0; i < 25; ++i) w.add_event(i, "event " + std::to_string(i) + "\nwith\ta break\x01");
    ASSERT_EQ(w.events.size(), WatchFile::max_events);
    EXPECT_EQ(w.events.front().at, 5);
    EXPECT_EQ(w.events.back().what, "event 24?with?a break?");
    auto back = parse_watch_file(format_watch_file(w));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->events, w.events);
}

TEST(WatchFile, RejectsWhatIsNotOne) {
    const char* bad[] = {
        "",
        "hepd-watchdog 1",
        "hepd-watchdog 2\npid 1\n",
        "hepd-watchdog 1\npid 0\n",
        "hepd-watchdog 1\npid x\n",
        "hepd-watchdog 1\npid 5\nstate sleeping\n",
        "hepd-watchdog 1\npid 5\nnoise\n",
        "hepd-watchdog 1\npid 5\nevent x y\n",
        "hepd-watchdog 1\npid 5\ncolour 3\n",
        "hepd-watchdog 1\npid 5",
    };
    for (const char* b : bad) EXPECT_FALSE(parse_watch_file(b)) << b;
    EXPECT_TRUE(parse_watch_file("hepd-watchdog 1\npid 5\n"));
}

// --- default rules -----------------------------------------------------------------------------

Model load(const std::string& yaml) {
    Model m;
    Diagnostics d;
    load_resources(yaml, "test.yaml", m, d);
    finish_model(m, d);
    EXPECT_FALSE(d.has_errors()) << d.format();
    return m;
}

Link link(const char* name) {
    Link l;
    l.name = name;
    return l;
}

// Two endpoints: wan (an ingress policy, applyOnForward: forwarded traffic in from wan is
// policed, out to wan is not) and lan (a policy, not on forward); eth9 and the workload cali0
// have none.
const char* kRouter = R"(
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: wan, labels: {role: wan}}
spec: {node: gw, interfaceName: wan}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: lan, labels: {role: lan}}
spec: {node: gw, interfaceName: br-lan}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: wan-in}
spec:
  selector: role == 'wan'
  applyOnForward: true
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: lan-in}
spec:
  selector: role == 'lan'
  ingress: [{action: Allow}]
)";

Compiled compile_router(ChainInsertMode mode = ChainInsertMode::insert) {
    static const Model m = load(kRouter);
    FelixParams felix;
    felix.chain_insert_mode = mode;
    felix.failsafe_inbound = {FailsafePort{FailsafeProto::tcp, 22, std::nullopt}};
    felix.failsafe_outbound = {FailsafePort{FailsafeProto::udp, 53, std::nullopt}};
    return compile(CompileInput{m, felix, "gw", true, {link("br-lan"), link("cali0"), link("eth9"), link("wan")}});
}

std::string render_table(const nf::FamilyRuleset& f, nf::Table t) {
    nf::FamilyRuleset one;
    one.family = f.family;
    for (const auto& tr : f.tables)
        if (tr.table == t) one.tables.push_back(tr);
    return nf::render_family(one);
}

TEST(DefaultRules, FilterTableFromTheLastGoodRuleset) {
    const Compiled c = compile_router();
    const nf::Ruleset d = default_rules(c.rules, Verdict::drop, {"cali"});
    EXPECT_TRUE(d.sets.empty());
    EXPECT_EQ(render_table(d.v4, nf::Table::filter),
              "*filter\n"
              ":hepd-FORWARD - [0:0]\n"
              ":hepd-INPUT - [0:0]\n"
              ":hepd-OUTPUT - [0:0]\n"
              ":hepd-dfl-fwd - [0:0]\n"
              ":hepd-dfl-in - [0:0]\n"
              ":hepd-dfl-out - [0:0]\n"
              ":hepd-failsafe-in - [0:0]\n"
              ":hepd-failsafe-out - [0:0]\n"
              ":hepd-from-hep-forward - [0:0]\n"
              ":hepd-from-host-endpoint - [0:0]\n"
              ":hepd-to-hep-forward - [0:0]\n"
              ":hepd-to-host-endpoint - [0:0]\n"
              "-I INPUT 1 -j hepd-INPUT\n"
              "-I FORWARD 1 -j hepd-FORWARD\n"
              "-I OUTPUT 1 -j hepd-OUTPUT\n"
              "-A hepd-FORWARD -j hepd-from-hep-forward\n"
              "-A hepd-FORWARD -j hepd-to-hep-forward\n"
              "-A hepd-INPUT -i cali+ -j RETURN\n"
              "-A hepd-INPUT -j hepd-from-host-endpoint\n"
              "-A hepd-OUTPUT -o cali+ -j RETURN\n"
              "-A hepd-OUTPUT -j hepd-to-host-endpoint\n"
              "-A hepd-dfl-fwd -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
              "-A hepd-dfl-fwd -j DROP\n"
              "-A hepd-dfl-in -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
              "-A hepd-dfl-in -j hepd-failsafe-in\n"
              "-A hepd-dfl-in -j DROP\n"
              "-A hepd-dfl-out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
              "-A hepd-dfl-out -j hepd-failsafe-out\n"
              "-A hepd-dfl-out -j DROP\n"
              "-A hepd-failsafe-in -p tcp -m multiport --dports 22 -j ACCEPT\n"
              "-A hepd-failsafe-out -p udp -m multiport --dports 53 -j ACCEPT\n"
              "-A hepd-from-hep-forward -i br-lan -j RETURN\n"
              "-A hepd-from-hep-forward -i wan -g hepd-dfl-fwd\n"
              "-A hepd-from-host-endpoint -i br-lan -g hepd-dfl-in\n"
              "-A hepd-from-host-endpoint -i wan -g hepd-dfl-in\n"
              "-A hepd-to-hep-forward -o br-lan -j RETURN\n"
              "-A hepd-to-hep-forward -o wan -j RETURN\n"
              "-A hepd-to-host-endpoint -o br-lan -g hepd-dfl-out\n"
              "-A hepd-to-host-endpoint -o wan -g hepd-dfl-out\n"
              "COMMIT\n");
}

TEST(DefaultRules, FailsafeChainsAreTheCompilersOwn) {
    const Compiled c = compile_router();
    const nf::Ruleset d = default_rules(c.rules, Verdict::drop, {"cali"});
    for (const nf::FamilyRuleset* pair : {&c.rules.v4, &*c.rules.v6}) {
        const nf::FamilyRuleset& dd = pair->family == 4 ? d.v4 : *d.v6;
        for (const char* fs : {names::failsafe_in, names::failsafe_out}) {
            const nf::Chain* want = pair->find(nf::Table::filter)->find(fs);
            const nf::Chain* got = dd.find(nf::Table::filter)->find(fs);
            ASSERT_TRUE(want && got) << fs;
            EXPECT_EQ(*got, *want) << fs << " ipv" << int(pair->family);
        }
    }
    // IPv6 keeps neighbour discovery in the failsafe chains (the compiler's default).
    const std::string v6 = render_table(*d.v6, nf::Table::filter);
    EXPECT_NE(v6.find("-A hepd-failsafe-in -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT"), std::string::npos);
}

TEST(DefaultRules, RawAndMangleAreEmptiedAndOnlyHepdChainsAppear) {
    const Compiled c = compile_router();
    for (Verdict fb : {Verdict::drop, Verdict::accept}) {
        const nf::Ruleset d = default_rules(c.rules, fb, {"cali"});
        for (const nf::FamilyRuleset* f : {&d.v4, &*d.v6}) {
            ASSERT_EQ(f->tables.size(), 3u);
            EXPECT_TRUE(f->find(nf::Table::raw)->chains.empty());
            EXPECT_TRUE(f->find(nf::Table::raw)->hooks.empty());
            EXPECT_TRUE(f->find(nf::Table::mangle)->chains.empty());
            for (const auto& ch : f->find(nf::Table::filter)->chains) {
                EXPECT_TRUE(names::is_owned_chain(ch.name)) << ch.name;
                for (const auto& r : ch.rules) {
                    if (r.target.kind == nf::Target::jump || r.target.kind == nf::Target::goto_) {
                        EXPECT_TRUE(names::is_owned_chain(r.target.chain)) << r.target.chain;
                    }
                }
            }
        }
    }
}

TEST(DefaultRules, FallbackAcceptFailsOpenAndAppendModeIsKept) {
    const Compiled c = compile_router(ChainInsertMode::append);
    const nf::Ruleset d = default_rules(c.rules, Verdict::accept, {});
    const std::string text = render_table(d.v4, nf::Table::filter);
    EXPECT_NE(text.find("-A hepd-dfl-in -j ACCEPT\n"), std::string::npos);
    EXPECT_EQ(text.find("-j DROP"), std::string::npos);
    EXPECT_NE(text.find("-A INPUT -j hepd-INPUT\n"), std::string::npos);
    EXPECT_EQ(text.find("-i cali+"), std::string::npos);
}

TEST(DefaultRules, TheAllInterfacesEndpointCoversTheRest) {
    const Model m = load(R"(
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: all, labels: {role: any}}
spec: {node: gw, interfaceName: "*"}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: wan}
spec: {node: gw, interfaceName: wan}
)");
    FelixParams felix;
    const Compiled c = compile(CompileInput{m, felix, "gw", false, {link("wan"), link("eth1")}});
    const nf::Ruleset d = default_rules(c.rules, Verdict::drop, felix.interface_prefixes);
    EXPECT_FALSE(d.v6);
    const std::string text = render_table(d.v4, nf::Table::filter);
    EXPECT_NE(text.find("-A hepd-from-host-endpoint -i wan -g hepd-dfl-in\n"
                        "-A hepd-from-host-endpoint -g hepd-dfl-in\n"),
              std::string::npos)
        << text;
    // No forward policy anywhere: forwarded traffic is not policed on the default rules either.
    EXPECT_EQ(text.find("-g hepd-dfl-fwd"), std::string::npos) << text;
}

TEST(DefaultRules, NoEndpointNoDispatch) {
    const Model m;
    FelixParams felix;
    const Compiled c = compile(CompileInput{m, felix, "gw", true, {link("eth0")}});
    const nf::Ruleset d = default_rules(c.rules, Verdict::drop, {});
    const std::string text = render_table(d.v4, nf::Table::filter);
    EXPECT_EQ(text.find("-g hepd-dfl"), std::string::npos) << text;
}

// --- prepared kernel entries (no kernel needed: default rules name no set) ---------------------

TEST(IptcBlob, PackAndLoad) {
    const Compiled c = compile_router();
    const nf::Ruleset d = default_rules(c.rules, Verdict::drop, {"cali"});
    auto blob = iptc_pack(d);
    ASSERT_TRUE(blob) << blob.error().message();
    auto loaded = IptcBlob::load(*blob);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->tables(), 6u);
    size_t rules = 0;
    for (const nf::FamilyRuleset* f : {&d.v4, &*d.v6})
        for (const auto& t : f->tables)
            for (const auto& ch : t.chains) rules += ch.rules.size();
    EXPECT_EQ(loaded->rules(), rules);
    EXPECT_FALSE(loaded->empty());
    EXPECT_TRUE(IptcBlob().empty());
    // Deterministic: the same rules, the same bytes.
    EXPECT_EQ(*iptc_pack(d), *blob);
}

TEST(IptcBlob, RefusesDamage) {
    const nf::Ruleset d = default_rules(compile_router().rules, Verdict::drop, {"cali"});
    const std::string good = *iptc_pack(d);
    EXPECT_FALSE(IptcBlob::load(""));
    EXPECT_FALSE(IptcBlob::load("HEPDIPTC"));
    EXPECT_FALSE(IptcBlob::load(good.substr(0, good.size() - 1)));
    EXPECT_FALSE(IptcBlob::load(good + "x"));
    // Every single flipped byte is caught (header, payload or checksum).
    for (size_t i = 0; i < good.size(); i += 7) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x20);
        EXPECT_FALSE(IptcBlob::load(bad)) << "byte " << i;
    }
}

TEST(IptcBlob, RefusesAnythingThatIsNotHepds) {
    auto ruleset_with = [](const std::string& chain, const std::string& jump_to) {
        nf::Ruleset rs;
        rs.v4.family = 4;
        nf::TableRuleset t{nf::Table::filter, {}, {}};
        nf::Rule r;
        r.target = nf::Target::Jump(jump_to);
        t.chains.push_back(nf::Chain{chain, {r}});
        rs.v4.tables.push_back(t);
        return rs;
    };
    EXPECT_TRUE(IptcBlob::load(*iptc_pack(ruleset_with("hepd-x", "hepd-y"))));
    EXPECT_TRUE(IptcBlob::load(*iptc_pack(ruleset_with("hepd-x", "DROP"))));
    EXPECT_FALSE(IptcBlob::load(*iptc_pack(ruleset_with("fw3-zone", "hepd-y")))) << "a foreign chain";
    EXPECT_FALSE(IptcBlob::load(*iptc_pack(ruleset_with("hepd-x", "zone_wan_input")))) << "a jump out of hepd";
    nf::Ruleset hook = ruleset_with("hepd-x", "ACCEPT");
    hook.v4.tables[0].hooks.push_back(nf::Hook{"INPUT", "docker-user", false});
    EXPECT_FALSE(IptcBlob::load(*iptc_pack(hook))) << "a hook into a foreign chain";
    hook.v4.tables[0].hooks[0] = nf::Hook{"zone_lan", "hepd-x", false};
    EXPECT_FALSE(IptcBlob::load(*iptc_pack(hook))) << "a hook from a non-built-in chain";
}

}  // namespace
}  // namespace hepd
