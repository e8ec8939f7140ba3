// SPDX-License-Identifier: GPL-2.0-or-later
// The supervisor's default rules, derived from the last good ruleset (see default_rules.hpp).
#include "hepd/default_rules.hpp"

#include <algorithm>

#include "hepd/names.hpp"

namespace hepd {

namespace {

using nf::Chain;
using nf::Rule;
using nf::Target;

Rule with_target(Target t) {
    Rule r;
    r.target = std::move(t);
    return r;
}

// An endpoint forward chain polices forwarded traffic when it runs policies (applyOnForward):
// the compiler then jumps to policy chains from it; without, it only sets the Accept mark.
bool polices_forward(const nf::TableRuleset& filter, const std::string& chain) {
    const Chain* c = filter.find(chain);
    if (!c) return false;
    return std::any_of(c->rules.begin(), c->rules.end(),
                       [](const Rule& r) { return r.target.kind == Target::jump; });
}

// The last good dispatch chain `name` with every goto into an endpoint chain sent to `to`; for
// forward dispatch (`to` == default_fwd), endpoints that did not police forwarded traffic RETURN
// instead, so that the other direction's dispatch still sees the packet.
Chain redirect_dispatch(const nf::TableRuleset& filter, const char* name, const char* to) {
    Chain out{name, {}};
    const Chain* c = filter.find(name);
    if (!c) return out;
    const bool forward = std::string_view(to) == names::default_fwd;
    for (const Rule& r : c->rules) {
        if (r.target.kind != Target::goto_) continue;  // e.g. the workload RETURNs of mangle
        Rule d = r;
        if (forward && !polices_forward(filter, r.target.chain)) {
            if (r.in_iface.empty() && r.out_iface.empty()) continue;  // "*": nothing to skip
            d.target = Target::Return();
        } else {
            d.target = Target::Goto(to);
        }
        out.rules.push_back(std::move(d));
    }
    return out;
}

Chain default_chain(const char* name, const char* failsafe, Verdict fallback) {
    Chain c{name, {}};
    Rule ct = with_target(Target::Accept());
    ct.matches.push_back(nf::CtStateMatch{nf::ct_related | nf::ct_established, false});
    c.rules.push_back(std::move(ct));
    if (failsafe) c.rules.push_back(with_target(Target::Jump(failsafe)));
    c.rules.push_back(with_target(fallback == Verdict::accept ? Target::Accept() : Target::Drop()));
    return c;
}

bool appended(const nf::TableRuleset& filter, std::string_view builtin, std::string_view chain) {
    for (const auto& h : filter.hooks)
        if (h.builtin == builtin && h.chain == chain) return h.append;
    return false;
}

nf::FamilyRuleset default_family(const nf::FamilyRuleset& good, Verdict fallback,
                                 const std::vector<std::string>& prefixes) {
    nf::FamilyRuleset out;
    out.family = good.family;
    out.tables.push_back(nf::TableRuleset{nf::Table::raw, {}, {}});
    out.tables.push_back(nf::TableRuleset{nf::Table::mangle, {}, {}});
    nf::TableRuleset f{nf::Table::filter, {}, {}};
    static const nf::TableRuleset none{nf::Table::filter, {}, {}};
    const nf::TableRuleset* gf = good.find(nf::Table::filter);
    const nf::TableRuleset& g = gf ? *gf : none;

    std::vector<Chain> chains;
    Chain input{names::input, {}};
    Chain output{names::output, {}};
    for (const auto& p : prefixes) {
        Rule in = with_target(Target::Return());
        in.in_iface = p + "+";
        input.rules.push_back(std::move(in));
        Rule out_r = with_target(Target::Return());
        out_r.out_iface = p + "+";
        output.rules.push_back(std::move(out_r));
    }
    input.rules.push_back(with_target(Target::Jump(names::from_hep)));
    output.rules.push_back(with_target(Target::Jump(names::to_hep)));
    Chain forward{names::forward, {}};
    forward.rules.push_back(with_target(Target::Jump(names::from_hep_fwd)));
    forward.rules.push_back(with_target(Target::Jump(names::to_hep_fwd)));

    chains.push_back(std::move(input));
    chains.push_back(std::move(output));
    chains.push_back(std::move(forward));
    chains.push_back(redirect_dispatch(g, names::from_hep, names::default_in));
    chains.push_back(redirect_dispatch(g, names::to_hep, names::default_out));
    chains.push_back(redirect_dispatch(g, names::from_hep_fwd, names::default_fwd));
    chains.push_back(redirect_dispatch(g, names::to_hep_fwd, names::default_fwd));
    chains.push_back(default_chain(names::default_in, names::failsafe_in, fallback));
    chains.push_back(default_chain(names::default_out, names::failsafe_out, fallback));
    chains.push_back(default_chain(names::default_fwd, nullptr, fallback));
    for (const char* fs : {names::failsafe_in, names::failsafe_out}) {
        const Chain* c = g.find(fs);
        chains.push_back(c ? *c : Chain{fs, {}});
    }
    std::sort(chains.begin(), chains.end(), [](const Chain& a, const Chain& b) { return a.name < b.name; });
    f.chains = std::move(chains);
    // The hook order of the compiler (iptables-save lists built-in chains in hook order).
    f.hooks.push_back(nf::Hook{"INPUT", names::input, appended(g, "INPUT", names::input)});
    f.hooks.push_back(nf::Hook{"FORWARD", names::forward, appended(g, "FORWARD", names::forward)});
    f.hooks.push_back(nf::Hook{"OUTPUT", names::output, appended(g, "OUTPUT", names::output)});
    out.tables.push_back(std::move(f));
    return out;
}

}  // namespace

nf::Ruleset default_rules(const nf::Ruleset& last_good, Verdict fallback,
                          const std::vector<std::string>& workload_prefixes) {
    nf::Ruleset out;
    out.v4 = default_family(last_good.v4, fallback, workload_prefixes);
    if (last_good.v6) out.v6 = default_family(*last_good.v6, fallback, workload_prefixes);
    return out;
}

}  // namespace hepd
