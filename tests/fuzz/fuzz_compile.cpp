// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the compiler and the renderer: the input is one YAML resource file. It is
// loaded (load_resources + finish_model); when valid it is compiled for node "router" with a few
// fixed links under two fixed sets of Felix parameters, then rendered.
//
// Beyond "no crash, no leak, no UB" it checks what the rest of hepd relies on:
//  1. determinism: compiling twice gives equal Rulesets, rendering twice equal text;
//  2. names: every chain starts with "hepd-" and fits 28 characters, every set "hepd4"/"hepd6"
//     and 31; chains and sets are sorted and unique;
//  3. references: every jump/goto names a chain of the same table, every set match a set of the
//     rule's family; every hook names a chain of its table;
//  4. kernel limits the backend would otherwise hit: at most 15 multiport slots per match, LOG
//     prefixes of at most 29 characters, sets with sorted, unique members;
//  5. render_compiled (hepd print, rendered while compiling) gives the text of compile() +
//     render_all, and of each part.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/model.hpp"
#include "hepd/names.hpp"

namespace {

using namespace hepd;

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

Link make_link(const char* name, std::initializer_list<const char*> ips) {
    Link l;
    l.name = name;
    for (const char* ip : ips) l.addrs.push_back(*parse_ip(ip));
    return l;
}

const std::vector<Link>& links() {
    static const std::vector<Link> v = {
        make_link("eth0", {"198.18.1.1", "2001:db8:1::1"}),
        make_link("eth1", {"198.18.2.1"}),
        make_link("lo", {"127.0.0.1", "::1"}),
        make_link("cali0", {"198.18.3.1"}),
        make_link("wan", {"198.18.4.1", "2001:db8:4::1"}),
    };
    return v;
}

// Felix's defaults, and a second set that takes every other branch of the compiler.
const std::vector<FelixParams>& params() {
    static const std::vector<FelixParams> v = [] {
        std::vector<FelixParams> out(2);
        FelixParams& p = out[1];
        p.iptables_mark_mask = 0xff00;
        p.iptables_filter_allow_action = Verdict::return_;
        p.iptables_mangle_allow_action = Verdict::return_;
        p.iptables_filter_deny_action = Verdict::reject;
        p.default_endpoint_to_host_action = Verdict::accept;
        p.chain_insert_mode = ChainInsertMode::append;
        p.interface_prefixes = {"cali", "tap"};
        p.log_prefix = "%t/%k/%n %p";
        p.log_action_rate_limit = LogRateLimit{60, RateUnit::minute};
        p.log_action_rate_limit_burst = 10;
        p.disable_conntrack_invalid_check = true;
        p.failsafe_icmpv6_nd = false;
        p.failsafe_inbound = {FailsafePort{FailsafeProto::tcp, 22, parse_cidr("198.18.10.0/24")},
                              FailsafePort{FailsafeProto::udp, 547, parse_cidr("2001:db8:10::/64")}};
        p.failsafe_outbound = {FailsafePort{FailsafeProto::udp, 53, std::nullopt}};
        return out;
    }();
    return v;
}

void check_family(const nf::FamilyRuleset& f, const std::set<std::string>& sets4, const std::set<std::string>& sets6) {
    const auto& family_sets = f.family == 4 ? sets4 : sets6;
    for (const auto& t : f.tables) {
        std::set<std::string> chains;
        std::string prev;
        for (const auto& c : t.chains) {
            CHECK(names::is_owned_chain(c.name));
            CHECK(c.name.size() <= names::max_chain);
            CHECK(prev.empty() || prev < c.name);
            prev = c.name;
            chains.insert(c.name);
        }
        for (const auto& h : t.hooks) CHECK(chains.count(h.chain));
        for (const auto& c : t.chains) {
            for (const auto& r : c.rules) {
                if (r.target.kind == nf::Target::jump || r.target.kind == nf::Target::goto_)
                    CHECK(chains.count(r.target.chain));
                if (r.target.kind == nf::Target::log) CHECK(r.target.log_prefix.size() <= 29);
                if (r.src) CHECK(r.src->family() == f.family);
                if (r.dst) CHECK(r.dst->family() == f.family);
                for (const auto& m : r.matches) {
                    if (const auto* s = std::get_if<nf::SetMatch>(&m)) CHECK(family_sets.count(s->set));
                    if (const auto* mp = std::get_if<nf::MultiportMatch>(&m)) {
                        unsigned slots = 0;
                        for (const auto& p : mp->ports) slots += p.first == p.last ? 1 : 2;
                        CHECK(slots >= 1 && slots <= nf::MultiportMatch::max_slots);
                        CHECK(r.proto == 6 || r.proto == 17 || r.proto == 132);
                        CHECK(!r.proto_negate);
                    }
                }
                (void)nf::render_rule(r, f.family);
            }
        }
    }
}

void check(const Compiled& c) {
    std::set<std::string> sets4, sets6;
    std::string prev;
    for (const auto& s : c.rules.sets) {
        CHECK(names::is_owned_set(s.name));
        CHECK(s.name.size() <= names::max_set);
        CHECK(prev.empty() || prev < s.name);
        prev = s.name;
        CHECK(s.type == "hash:net" || s.type == "hash:ip,port");
        for (size_t i = 1; i < s.members.size(); ++i) CHECK(s.members[i - 1] < s.members[i]);
        (s.family == 4 ? sets4 : sets6).insert(s.name);
    }
    CHECK(c.rules.v4.family == 4);
    check_family(c.rules.v4, sets4, sets6);
    if (c.rules.v6) {
        CHECK(c.rules.v6->family == 6);
        check_family(*c.rules.v6, sets4, sets6);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Model model;
    Diagnostics diags;
    load_resources(text, "fuzz.yaml", model, diags);
    finish_model(model, diags);
    for (const auto& item : diags.items()) CHECK(!item.message.empty());
    if (diags.has_errors()) return 0;

    // Defaults with IPv6, twice (determinism); the other parameters with and without IPv6.
    struct Round {
        const FelixParams* felix;
        bool ipv6;
        bool twice;
    } rounds[] = {{&params()[0], true, true}, {&params()[1], true, false}, {&params()[1], false, false}};
    for (const auto& r : rounds) {
        const CompileInput in{model, *r.felix, "router", r.ipv6, links()};
        const Compiled a = compile(in);
        CHECK(a.rules.v6.has_value() == r.ipv6);
        check(a);
        const std::string text = nf::render_all(a.rules);
        CHECK(text == nf::render_all(a.rules));
        // Rendering while compiling (hepd print) gives the same bytes, whole and per part.
        auto streamed = [&](std::optional<nf::RenderPart> only) {
            std::string out;
            const RenderStats st = render_compiled(in, only, [&](std::string_view piece) { out += piece; });
            CHECK(st.bytes == out.size());
            if (!only) CHECK(st.rules == a.rules.rule_count() && st.members == a.rules.set_member_count());
            return out;
        };
        CHECK(streamed(std::nullopt) == text);
        CHECK(streamed(nf::RenderPart::ipset) == nf::render_ipsets(a.rules));
        CHECK(streamed(nf::RenderPart::ipv4) == nf::render_family(a.rules.v4));
        CHECK(streamed(nf::RenderPart::ipv6) == (a.rules.v6 ? nf::render_family(*a.rules.v6) : std::string()));
        if (r.twice) {
            const Compiled b = compile(in);
            CHECK(a.rules == b.rules);
            CHECK(a.bindings == b.bindings);
            CHECK(text == nf::render_all(b.rules));
        }
    }
    return 0;
}
