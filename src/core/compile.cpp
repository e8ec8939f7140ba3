// SPDX-License-Identifier: GPL-2.0-or-later
// The policy compiler: Calico Felix's iptables layout for host endpoints (SEMANTICS.md 2-4).
//
// Wiring, per IP family (chain names without the "hepd-" prefix):
//
//  raw     PREROUTING -> PREROUTING: clear marks; workload -> Scratch0; no Scratch0 -> from-host-endpoint
//          OUTPUT     -> OUTPUT:     clear marks; to-host-endpoint;         Accept -> ACCEPT
//                        dispatch: endpoints with doNotTrack policy -> fh-IF / th-IF (untracked)
//  mangle  PREROUTING -> PREROUTING: established/Accept -> allow; from-host-endpoint (pre-DNAT)
//          POSTROUTING-> POSTROUTING: Accept -> RETURN; clear; DNAT'd -> to-host-endpoint (egress)
//  filter  INPUT      -> INPUT:   workload -> wl-to-host; Accept -> allow; from-host-endpoint
//          OUTPUT     -> OUTPUT:  Accept -> allow; to workload -> RETURN; not DNAT'd -> to-host-endpoint
//          FORWARD    -> FORWARD: from-hep-forward (unless Accept); to-hep-forward
//          FORWARD (appended) -> FORWARD-end: Accept -> allow; set Accept
//
// Endpoint chain (normal): conntrack, INVALID, failsafe, clear, tier of policies, profiles, drop.
// A policy chain sets the Accept, Pass or Drop mark; the endpoint chain returns on Accept.
//
// Deliberate differences from Felix, all semantically neutral: dispatch chains are linear (-i IF
// -g chain per interface, sorted) instead of a prefix tree; rule nets lists with more than one
// CIDR become hash:net sets instead of match blocks (a CIDR added to such a list is then an ipset
// member change, with no table commit); rules carry no comments (they double commit time);
// Felix's two rules at the end of filter FORWARD live in the chain FORWARD-end, so that every
// hepd rule in a built-in chain is a jump to a hepd chain; the forward chains' default allow
// ends with the Accept mark (end of chain) instead of mark + RETURN; the endpoint chains and the
// policies are sorted here, so the caller's vector order does not matter.
//
// Deliberate differences that change behaviour, where Felix's output is broken or unhelpful:
//  - REJECT (IptablesFilterDenyAction) exists only in the filter table: Deny, INVALID and the
//    drops of raw and mangle chains stay DROP (Felix would emit REJECT there, which the kernel
//    refuses).
//  - A rule with an ICMP type match and the numeric protocol 1 or 58 is left out of the family
//    whose ICMP it does not name (Felix would pair -p 1 with an icmp6 match, which the kernel
//    refuses, failing the whole table).
//  - The LOG rate limit comes after the rule's own matches, so only packets the rule matches use
//    up the rate (Felix puts it first, where every packet reaching the rule does).
//
// Known gaps (SEMANTICS 2.3, 2.5, 2.6; ARCHITECTURE "Workloads"): hepd has no workload endpoints,
// so there is no from-/to-wl-dispatch: workload-to-host traffic gets DefaultEndpointToHostAction
// alone, forwarded workload traffic is policed only by host endpoint forward chains (Felix drops
// traffic of unknown workload interfaces), and raw PREROUTING has no RPF check (rpfilter) on
// workload interfaces.
//
// How it is built: a table is first *planned* (every chain's name, with the function that fills
// it), then its chains are built one at a time in name order, so that compile() and the
// piecewise Compilation share one code path and a streaming caller holds one chain at a time.
// Sets are recorded by what they hold (a selector, a nets list, a named port) when a rule first
// refers to one; their members are computed when the set is handed out. Everything a rule
// refers to by name (policy chains, selector sets, nets sets) is named once per compile.
#include "hepd/compile.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "hepd/hash.hpp"
#include "hepd/names.hpp"
#include "hepd/selector.hpp"

namespace hepd {

namespace detail {

using nf::Chain;
using nf::Table;
using nf::Target;
using NfRule = nf::Rule;

// A policy or profile chain per direction ([0] ingress, [1] egress): its name, given on first use,
// and per family ([0] IPv4, [1] IPv6) whether it was built once, so that the sets its rules refer
// to are known.
struct RuleChains {
    std::string name[2];
    bool sets_known[2][2] = {};  // [family][direction]
};

// One policy, in evaluation order, with what every endpoint and table needs from it.
struct PolicyInfo {
    const GlobalNetworkPolicy* policy = nullptr;
    const Selector* selector = nullptr;  // its effective selector, parsed once (null: selects nothing)
    RuleChains chains;
};

struct Endpoint {
    std::string iface;  // "*" for the all-interfaces endpoint
    const HostEndpoint* hep = nullptr;
    // Its chains: from and to the host, and forwarded from and to it.
    std::string fh, th, fhfw, thfw;
    std::vector<PolicyInfo*> normal_in, normal_out, fwd_in, fwd_out, pre_dnat_in, untracked_in, untracked_out;

    bool is_star() const { return iface == "*"; }
    bool has_untracked() const { return !untracked_in.empty() || !untracked_out.empty(); }
    bool has_pre_dnat() const { return !pre_dnat_in.empty(); }
    bool has_forward() const { return !fwd_in.empty() || !fwd_out.empty(); }
};

// Who owns a rule list, for names of per-rule sets and for LOG prefixes.
struct RuleOwner {
    std::string_view kind;  // "gnp" or "pro"
    std::string_view name;
    bool ingress = true;
    std::string_view tier;  // "default" for policies; "" for profiles (Felix renders them tierless)
};

// What an ipset holds. Recorded when a rule first refers to the set; members_of() computes the
// members when the set is handed out.
struct SetDef {
    enum class Kind : uint8_t { selector, named_port, nets };
    Kind kind = Kind::nets;
    uint8_t family = 4;
    // selector: the endpoints and network sets it selects (null: nothing, cannot happen for a
    // validated model). named_port: the endpoints it selects (null: every endpoint).
    const Selector* selector = nullptr;
    std::optional<uint8_t> proto;           // named_port: the port's protocol, when the rule has one
    const std::string* port_name = nullptr;  // named_port: the name, in the model
    const std::vector<Cidr>* nets = nullptr;  // nets: a rule's nets or notNets list
};

// A chain of a planned table: its name (kept by what it is named after) and what fills it.
struct PlannedChain {
    std::string_view name;
    std::function<void(Chain&)> fill;
    // Policy and profile chains, the only ones whose rules refer to sets: set once it was built.
    bool* sets_known = nullptr;
};

namespace {

enum class PolicyKind { normal, pre_dnat, untracked };

PolicyKind kind_of(const GlobalNetworkPolicy& p) {
    if (p.do_not_track) return PolicyKind::untracked;
    if (p.pre_dnat) return PolicyKind::pre_dnat;
    return PolicyKind::normal;
}

NfRule rule_with(Target t) {
    NfRule r;
    r.target = std::move(t);
    return r;
}

nf::MarkMatch mark_set(uint32_t bit) { return nf::MarkMatch{bit, bit, false}; }
nf::MarkMatch mark_clear(uint32_t bit) { return nf::MarkMatch{0, bit, false}; }

NfRule if_mark(nf::MarkMatch m, Target t) {
    NfRule r = rule_with(std::move(t));
    r.matches.push_back(m);
    return r;
}

NfRule ctstate(uint16_t states, Target t, bool negate = false) {
    NfRule r = rule_with(std::move(t));
    r.matches.push_back(nf::CtStateMatch{states, negate});
    return r;
}

std::string protocol_keyword(uint8_t p) {
    switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return std::to_string(p);
    }
}

// Ports of one side split into multiport matches of at most 15 slots (a range takes two).
std::vector<nf::MultiportMatch> multiport_chunks(const std::vector<PortSpec>& ports, bool source, bool negate) {
    std::vector<nf::MultiportMatch> out;
    nf::MultiportMatch cur{source, {}, negate};
    unsigned slots = 0;
    for (const auto& p : ports) {
        if (p.is_named()) continue;
        const unsigned need = p.first == p.last ? 1 : 2;
        if (slots + need > nf::MultiportMatch::max_slots) {
            out.push_back(std::move(cur));
            cur = nf::MultiportMatch{source, {}, negate};
            slots = 0;
        }
        cur.ports.push_back(nf::PortRange{p.first, p.last});
        slots += need;
    }
    if (!cur.ports.empty()) out.push_back(std::move(cur));
    return out;
}

std::string host_member(const IpAddr& ip) { return ip.to_string(); }

// An ipset hash:net member as `ipset save` prints it: a host route without its prefix.
std::string net_member(const Cidr& c) {
    const unsigned host = c.family() == 4 ? 32 : 128;
    return c.prefix == host ? c.addr.to_string() : c.to_string();
}

// A hash:net member for each CIDR; hash:net cannot hold a /0, so that becomes two halves.
void add_net_members(std::vector<std::string>& out, const Cidr& c) {
    if (c.prefix != 0) {
        out.push_back(net_member(c));
        return;
    }
    Cidr lo = c, hi = c;
    lo.prefix = hi.prefix = 1;
    hi.addr.bytes[0] = 0x80;
    out.push_back(net_member(lo));
    out.push_back(net_member(hi));
}

}  // namespace

class Compiler {
public:
    explicit Compiler(const CompileInput& in) : in_(in), m_(mark_bits(in.felix.iptables_mark_mask)) {
        resolve_endpoints();
    }

    const CompileInput& input() const { return in_; }

    // ---- what Compilation asks for -----------------------------------------------------------

    void plan(PlannedTable& pt) {
        TablePlan tp{pt.family(), pt.table(), {}, {}, std::vector<uint8_t>(policies_.size()), {}};
        switch (pt.table()) {
        case Table::raw: plan_raw(tp); break;
        case Table::mangle: plan_mangle(tp); break;
        case Table::filter: plan_filter(tp); break;
        }
        // In name order, as iptables-save lists them (names are unique: fuzz_compile checks).
        std::stable_sort(tp.chains.begin(), tp.chains.end(),
                         [](const PlannedChain& a, const PlannedChain& b) { return a.name < b.name; });
        pt.hooks_ = std::move(tp.hooks);
        pt.chains_ = std::move(tp.chains);
    }

    void build(const PlannedChain& pc, Chain& out) {
        out.name = pc.name;
        out.rules.clear();
        pc.fill(out);
        if (pc.sets_known) *pc.sets_known = true;
    }

    // Builds every policy and profile chain of every table that was not built yet, for the sets
    // their rules refer to.
    void find_sets(const std::vector<uint8_t>& families) {
        Chain scratch;
        for (uint8_t family : families) {
            for (Table t : nf::all_tables) {
                PlannedTable pt(*this, family, t);
                for (const auto& pc : pt.chains_)
                    if (pc.sets_known && !*pc.sets_known) build(pc, scratch);
            }
        }
    }

    // The sets found so far, in name order.
    std::vector<const std::pair<const std::string, SetDef>*> sets() const {
        std::vector<const std::pair<const std::string, SetDef>*> out;
        out.reserve(sets_.size());
        for (const auto& entry : sets_) out.push_back(&entry);
        return out;
    }

    static nf::IpSet set_header(const std::string& name, const SetDef& def) {
        return nf::IpSet{name, def.kind == SetDef::Kind::named_port ? "hash:ip,port" : "hash:net", def.family, {}};
    }

    // The members of a set, sorted and unique, as `ipset save` prints them.
    std::vector<std::string> members_of(const SetDef& def) const {
        std::vector<std::string> out;
        switch (def.kind) {
        case SetDef::Kind::selector:
            // Everything the selector selects: expectedIPs of host endpoints of every node, and
            // the nets of global network sets (SEMANTICS 4).
            if (!def.selector) break;
            for (size_t i = 0; i < heps_.size(); ++i) {
                if (!def.selector->matches(hep_labels_[i])) continue;
                for (const auto& ip : heps_[i]->expected_ips)
                    if (ip.family == def.family) out.push_back(host_member(ip));
            }
            for (const auto& g : in_.model.network_sets) {
                if (!def.selector->matches(g.labels)) continue;
                for (const auto& c : g.nets)
                    if (c.family() == def.family) add_net_members(out, c);
            }
            break;
        case SetDef::Kind::named_port:
            // Every selected endpoint's IP with its port of that name (and protocol).
            for (size_t i = 0; i < heps_.size(); ++i) {
                const auto& h = *heps_[i];
                if (def.selector && !def.selector->matches(hep_labels_[i])) continue;
                for (const auto& p : h.ports) {
                    if (p.name != *def.port_name) continue;
                    if (def.proto && p.protocol.number != *def.proto) continue;
                    for (const auto& ip : h.expected_ips) {
                        if (ip.family != def.family) continue;
                        out.push_back(ip.to_string() + "," + protocol_keyword(p.protocol.number) + ":" +
                                      std::to_string(p.port));
                    }
                }
            }
            break;
        case SetDef::Kind::nets:
            for (const auto& c : *def.nets) add_net_members(out, c);
            break;
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    std::vector<Binding> bindings() const {
        std::vector<Binding> out;
        for (const auto& e : endpoints_) {
            Binding b;
            b.iface = e.iface;
            b.endpoint = e.hep->name;
            auto names = [](const std::vector<PolicyInfo*>& v, std::vector<std::string>& dst) {
                for (const auto* p : v)
                    if (std::find(dst.begin(), dst.end(), p->policy->name) == dst.end()) dst.push_back(p->policy->name);
            };
            names(e.untracked_in, b.ingress_policies);
            names(e.pre_dnat_in, b.ingress_policies);
            names(e.normal_in, b.ingress_policies);
            names(e.untracked_out, b.egress_policies);
            names(e.normal_out, b.egress_policies);
            b.profiles = e.hep->profiles;
            out.push_back(std::move(b));
        }
        return out;
    }

private:
    // A table being planned: its hooks and its chains, in the order they were planned.
    struct TablePlan {
        uint8_t family;
        Table table;
        std::vector<nf::Hook> hooks;
        std::vector<PlannedChain> chains;
        // Policy and profile chains already planned (every endpoint whose tier has the policy
        // jumps to the same chain): per policy of policies_, bit 0 ingress, bit 1 egress.
        std::vector<uint8_t> policies_planned;
        std::set<std::string_view> profiles_planned;  // chain names

        // `name` must outlive the plan: a constant, or a name kept by the Compiler.
        void add(std::string_view name, std::function<void(Chain&)> fill, bool* sets_known = nullptr) {
            chains.push_back(PlannedChain{name, std::move(fill), sets_known});
        }
    };

    const CompileInput& in_;
    MarkBits m_;
    std::map<std::string, std::optional<Selector>> selectors_;  // by text, parsed once
    std::vector<Endpoint> endpoints_;  // sorted by interface, "*" last
    // The model's endpoints sorted by name and its policies in Calico's order, whatever order the
    // caller's vectors are in (finish_model sorts them, but compile does not rely on it).
    std::vector<const HostEndpoint*> heps_;
    std::vector<Labels> hep_labels_;  // effective labels of heps_, same index
    std::vector<PolicyInfo> policies_;

    std::map<std::string, SetDef> sets_;  // by name
    // Set names already given (pointing at the keys of sets_), so that each is hashed once.
    std::map<std::string, const std::string*> selector_set_names_[2];    // [family] selector text -> set
    std::map<std::string, const std::string*> named_port_set_names_[2];  // [family] key -> set
    std::map<std::pair<const std::vector<Cidr>*, uint8_t>, const std::string*> net_set_names_;  // (list, family)
    std::map<std::string, RuleChains> profiles_;  // profile chains, by profile name

    const Selector* selector(const std::string& text) {
        auto it = selectors_.find(text);
        if (it == selectors_.end()) {
            Diagnostics ignored;  // validated at load time
            it = selectors_.emplace(text, Selector::parse(text, ignored)).first;
        }
        return it->second ? &*it->second : nullptr;
    }

    // ---- which endpoint governs which interface (SEMANTICS 2.11) ---------------------------

    void sort_model() {
        const Model& model = in_.model;
        for (const auto& h : model.host_endpoints) heps_.push_back(&h);
        std::stable_sort(heps_.begin(), heps_.end(),
                         [](const HostEndpoint* a, const HostEndpoint* b) { return a->name < b->name; });
        hep_labels_.reserve(heps_.size());
        for (const auto* h : heps_) hep_labels_.push_back(effective_labels(*h, model));
        std::vector<const GlobalNetworkPolicy*> sorted;
        sorted.reserve(model.policies.size());
        for (const auto& p : model.policies) sorted.push_back(&p);
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const GlobalNetworkPolicy* a, const GlobalNetworkPolicy* b) { return policy_less(*a, *b); });
        policies_.reserve(sorted.size());
        for (const auto* p : sorted) policies_.push_back(PolicyInfo{p, selector(p->effective_selector()), {}});
    }

    // One entry per interface name, sorted, addresses merged (netlink never repeats a name, but
    // `hepd print --link` may).
    std::vector<Link> unique_links() const {
        std::vector<Link> links = in_.links;
        std::stable_sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.name < b.name; });
        std::vector<Link> out;
        for (auto& l : links) {
            if (!out.empty() && out.back().name == l.name) {
                out.back().addrs.insert(out.back().addrs.end(), l.addrs.begin(), l.addrs.end());
            } else {
                out.push_back(std::move(l));
            }
        }
        return out;
    }

    void resolve_endpoints() {
        sort_model();
        const HostEndpoint* star = nullptr;
        size_t star_idx = 0;
        for (size_t i = 0; i < heps_.size(); ++i) {
            const auto& h = *heps_[i];  // sorted by name: the first match wins
            if (h.node == in_.node && h.interface_name == "*" && !star) {
                star = &h;
                star_idx = i;
            }
        }
        for (const auto& link : unique_links()) {
            if (is_workload_interface(in_.felix, link.name) || is_excluded_interface(in_.felix, link.name)) continue;
            for (size_t i = 0; i < heps_.size(); ++i) {
                const auto& h = *heps_[i];
                if (h.node != in_.node) continue;
                bool match = h.interface_name == link.name;
                if (h.interface_name.empty()) {
                    for (const auto& ip : h.expected_ips)
                        match = match || std::find(link.addrs.begin(), link.addrs.end(), ip) != link.addrs.end();
                }
                if (!match) continue;
                endpoints_.push_back(make_endpoint(link.name, h, hep_labels_[i]));
                break;
            }
        }
        if (star) endpoints_.push_back(make_endpoint("*", *star, hep_labels_[star_idx]));
    }

    Endpoint make_endpoint(const std::string& iface, const HostEndpoint& h, const Labels& labels) {
        Endpoint e;
        e.iface = iface;
        e.hep = &h;
        e.fh = names::endpoint_chain("fh", iface);
        e.th = names::endpoint_chain("th", iface);
        e.fhfw = names::endpoint_chain("fhfw", iface);
        e.thfw = names::endpoint_chain("thfw", iface);
        for (auto& info : policies_) {
            const GlobalNetworkPolicy& p = *info.policy;
            if (!info.selector || !info.selector->matches(labels)) continue;
            switch (kind_of(p)) {
            case PolicyKind::untracked:
                // DoNotTrack is not supported on the all-interfaces endpoint (Felix logs and
                // ignores it); the policy does nothing there.
                if (e.is_star()) break;
                if (p.ingress_type) e.untracked_in.push_back(&info);
                if (p.egress_type) e.untracked_out.push_back(&info);
                break;
            case PolicyKind::pre_dnat:
                if (p.ingress_type) e.pre_dnat_in.push_back(&info);
                break;
            case PolicyKind::normal:
                if (p.ingress_type) e.normal_in.push_back(&info);
                if (p.egress_type) e.normal_out.push_back(&info);
                if (p.apply_on_forward) {
                    if (p.ingress_type) e.fwd_in.push_back(&info);
                    if (p.egress_type) e.fwd_out.push_back(&info);
                }
                break;
            }
        }
        return e;
    }

    // ---- verdicts per table ------------------------------------------------------------------

    Target verdict(Verdict v) const {
        switch (v) {
        case Verdict::accept: return Target::Accept();
        case Verdict::drop: return Target::Drop();
        case Verdict::reject: return Target::Reject();
        case Verdict::return_: return Target::Return();
        }
        return Target::Drop();
    }

    Target allow_action(Table t) const {
        if (t == Table::filter) return verdict(in_.felix.iptables_filter_allow_action);
        if (t == Table::mangle) return verdict(in_.felix.iptables_mangle_allow_action);
        return Target::Accept();
    }

    // REJECT exists only in the filter table; elsewhere Deny drops.
    Target deny_action(Table t) const {
        if (t == Table::filter) return verdict(in_.felix.iptables_filter_deny_action);
        return Target::Drop();
    }

    // ---- sets --------------------------------------------------------------------------------

    // The hash:net set of everything a selector selects.
    const std::string& selector_set(uint8_t family, const std::string& text) {
        auto& known = selector_set_names_[family == 4 ? 0 : 1];
        auto it = known.find(text);
        if (it != known.end()) return *it->second;
        const Selector* s = selector(text);
        SetDef def;
        def.kind = SetDef::Kind::selector;
        def.family = family;
        def.selector = s;
        // Selectors with the same canonical form share the set.
        auto set = sets_.try_emplace(names::selector_set(family, s ? s->to_string() : text), def).first;
        return *known.emplace(text, &set->first).first->second;
    }

    // The hash:ip,port set of a named port over the endpoints a selector picks ("" = all).
    const std::string& named_port_set(uint8_t family, const std::string& sel_text, std::optional<uint8_t> proto,
                                      const std::string& port_name) {
        const Selector* s = sel_text.empty() ? nullptr : selector(sel_text);
        const std::string canonical = s ? s->to_string() : "all()";
        const std::string key = canonical + "|" + (proto ? std::to_string(*proto) : "any") + "|" + port_name;
        auto& known = named_port_set_names_[family == 4 ? 0 : 1];
        auto it = known.find(key);
        if (it != known.end()) return *it->second;
        SetDef def;
        def.kind = SetDef::Kind::named_port;
        def.family = family;
        def.selector = s;
        def.proto = proto;
        def.port_name = &port_name;
        auto set = sets_.try_emplace(names::named_port_set(family, key), def).first;
        return *known.emplace(key, &set->first).first->second;
    }

    // A nets list of more than one CIDR: a set named after its place in its policy, so that
    // editing the list changes members, not rules. Each list of the model is one set per family.
    const std::string& net_list_set(uint8_t family, const RuleOwner& o, size_t rule_index, const char* field,
                                    const std::vector<Cidr>& nets) {
        auto it = net_set_names_.find({&nets, family});
        if (it != net_set_names_.end()) return *it->second;
        std::string key;
        key.append(o.kind).append("/").append(o.name).append(o.ingress ? "/in/" : "/out/");
        key.append(std::to_string(rule_index)).append("/").append(field);
        std::string name = std::string(family == 4 ? "hepd4c-" : "hepd6c-") + hash_name(key, names::hash_chars);
        SetDef def;
        def.kind = SetDef::Kind::nets;
        def.family = family;
        def.nets = &nets;
        auto set = sets_.try_emplace(std::move(name), def).first;
        return *net_set_names_.emplace(std::pair{&nets, family}, &set->first).first->second;
    }

    // ---- one Calico rule -> iptables rules (SEMANTICS 2.9) -----------------------------------

    static bool rule_applies(const Rule& r, uint8_t family) {
        if (r.ip_version != 0 && r.ip_version != family) return false;
        if (r.protocol && r.protocol->by_name) {
            if (r.protocol->is_icmp() && family != 4) return false;
            if (r.protocol->is_icmpv6() && family != 6) return false;
        }
        for (const auto* list : {&r.source.nets, &r.source.not_nets, &r.destination.nets, &r.destination.not_nets}) {
            if (!list->empty() && (*list)[0].family() != family) return false;
        }
        // An ICMP type match needs the family's own ICMP protocol.
        if ((r.icmp || r.not_icmp) && r.protocol) {
            if (family == 4 && !r.protocol->is_icmp()) return false;
            if (family == 6 && !r.protocol->is_icmpv6()) return false;
        }
        return true;
    }

    // Adds the nets of one side to `base` (inline when one CIDR fits the rule's -s/-d slot,
    // otherwise as a set).
    void side_nets(NfRule& base, uint8_t family, const EntityRule& e, bool source, const RuleOwner& o, size_t idx) {
        std::optional<Cidr>& slot = source ? base.src : base.dst;
        bool& slot_neg = source ? base.src_negate : base.dst_negate;
        const char* dir = source ? "src" : "dst";
        if (e.nets.size() == 1) {
            if (e.nets[0].prefix != 0) slot = e.nets[0];
        } else if (e.nets.size() > 1) {
            base.matches.push_back(nf::SetMatch{net_list_set(family, o, idx, source ? "src-nets" : "dst-nets", e.nets),
                                                dir, false});
        }
        if (e.not_nets.size() == 1 && !slot) {
            slot = e.not_nets[0];
            slot_neg = true;
        } else if (!e.not_nets.empty()) {
            base.matches.push_back(nf::SetMatch{
                net_list_set(family, o, idx, source ? "src-not-nets" : "dst-not-nets", e.not_nets), dir, true});
        }
    }

    // The selectors of one side as Felix reduces them (rule_scanner.go combineMatchesIfPossible):
    // with both a selector S and a notSelector N, one positive selector (S) && (!(N)) and no
    // negative one; otherwise each as written.
    struct SideSelectors {
        std::string positive;
        std::string negative;
    };
    static SideSelectors side_selectors_of(const EntityRule& e) {
        if (!e.selector.empty() && !e.not_selector.empty())
            return {"(" + e.selector + ") && (!(" + e.not_selector + "))", ""};
        return {e.selector, e.not_selector};
    }

    // Selector sets of one side. With only named ports on the side, the positive selector is
    // carried by the named-port sets instead (SEMANTICS 4).
    void side_selectors(NfRule& base, uint8_t family, const EntityRule& e, bool source) {
        if (e.selector.empty() && e.not_selector.empty()) return;
        const char* dir = source ? "src" : "dst";
        const bool only_named = !e.ports.empty() &&
                                std::all_of(e.ports.begin(), e.ports.end(), [](const PortSpec& p) { return p.is_named(); });
        const SideSelectors sel = side_selectors_of(e);
        if (!sel.positive.empty() && !only_named)
            base.matches.push_back(nf::SetMatch{selector_set(family, sel.positive), dir, false});
        if (!sel.negative.empty()) base.matches.push_back(nf::SetMatch{selector_set(family, sel.negative), dir, true});
    }

    // The alternatives of one side's positive ports, OR'ed: each multiport chunk and each named
    // port (an ip,port set over the endpoints the side's positive selector picks, SEMANTICS 4).
    // A multiport chunk carries the rule's protocol, which the kernel's multiport match needs.
    std::vector<NfRule> side_port_alternatives(uint8_t family, const Rule& r, const EntityRule& e, bool source) {
        std::vector<NfRule> alts;
        if (e.ports.empty()) return alts;
        for (auto& mp : multiport_chunks(e.ports, source, false)) {
            NfRule a;
            a.proto = r.protocol ? r.protocol->number : 0;
            a.matches.push_back(std::move(mp));
            alts.push_back(std::move(a));
        }
        std::optional<uint8_t> proto;
        if (r.protocol) proto = r.protocol->number;
        std::optional<std::string> filter;  // the side's positive selector, built for the first named port
        for (const auto& p : e.ports) {
            if (!p.is_named()) continue;
            if (!filter) filter = side_selectors_of(e).positive;
            NfRule a;
            a.matches.push_back(
                nf::SetMatch{named_port_set(family, *filter, proto, p.name), source ? "src,src" : "dst,dst", false});
            alts.push_back(std::move(a));
        }
        return alts;
    }

    void side_not_ports(NfRule& base, uint8_t family, const Rule& r, const EntityRule& e, bool source) {
        if (e.not_ports.empty()) return;
        for (auto& mp : multiport_chunks(e.not_ports, source, true)) base.matches.push_back(std::move(mp));
        std::optional<uint8_t> proto;
        if (r.protocol) proto = r.protocol->number;
        std::optional<std::string> filter;
        for (const auto& p : e.not_ports) {
            if (!p.is_named()) continue;
            if (!filter) filter = side_selectors_of(e).positive;
            base.matches.push_back(
                nf::SetMatch{named_port_set(family, *filter, proto, p.name), source ? "src,src" : "dst,dst", true});
        }
    }

    std::string log_prefix(const RuleOwner& o) const {
        std::string out;
        const std::string& pattern = in_.felix.log_prefix;
        for (size_t i = 0; i < pattern.size(); ++i) {
            if (pattern[i] == '%' && i + 1 < pattern.size()) {
                switch (pattern[i + 1]) {
                case 't': out += o.tier; ++i; continue;
                case 'k': out += o.kind; ++i; continue;
                case 'n': out += o.name; ++i; continue;
                case 'p': out += o.name; ++i; continue;
                default: break;
                }
            }
            out += pattern[i];
        }
        out += ": ";
        // The kernel's LOG prefix holds 29 characters; iptables cuts longer text the same way.
        if (out.size() > 29) out.resize(29);
        return out;
    }

    // Appends the action rules for a match `m` (already complete apart from the target).
    void action_rules(std::vector<NfRule>& out, NfRule m, const Rule& r, Table t, const RuleOwner& o) {
        switch (r.action) {
        case Action::allow:
            m.target = Target::SetMark(m_.accept, m_.accept);
            out.push_back(std::move(m));
            out.push_back(if_mark(mark_set(m_.accept), Target::Return()));
            break;
        case Action::pass:
            m.target = Target::SetMark(m_.pass, m_.pass);
            out.push_back(std::move(m));
            out.push_back(if_mark(mark_set(m_.pass), Target::Return()));
            break;
        case Action::deny:
            m.target = Target::SetMark(m_.drop, m_.drop);
            out.push_back(std::move(m));
            out.push_back(if_mark(mark_set(m_.drop), deny_action(t)));
            break;
        case Action::log:
            // The limit goes after the rule's own matches, so that only packets the rule matches
            // use up the rate (Felix puts it first, where every packet reaching the rule does).
            if (in_.felix.log_action_rate_limit) {
                const auto& lim = *in_.felix.log_action_rate_limit;
                static constexpr char units[] = {'s', 'm', 'h', 'd'};
                m.matches.push_back(nf::LimitMatch{lim.count, units[static_cast<int>(lim.unit)],
                                                   in_.felix.log_action_rate_limit_burst});
            }
            m.target = Target::Log(log_prefix(o), 5);
            out.push_back(std::move(m));
            break;
        }
    }

    void render_rule(std::vector<NfRule>& out, const Rule& r, size_t idx, uint8_t family, Table t, const RuleOwner& o) {
        if (!rule_applies(r, family)) return;
        NfRule base;
        if (r.protocol) {
            base.proto = r.protocol->number;
            if (r.not_protocol) {
                if (r.not_protocol->number == r.protocol->number) return;  // can never match
            }
        } else if (r.not_protocol) {
            base.proto = r.not_protocol->number;
            base.proto_negate = true;
        }
        side_nets(base, family, r.source, true, o, idx);
        side_nets(base, family, r.destination, false, o, idx);
        side_selectors(base, family, r.source, true);
        side_selectors(base, family, r.destination, false);
        side_not_ports(base, family, r, r.source, true);
        side_not_ports(base, family, r, r.destination, false);
        if (r.icmp && r.icmp->type) base.matches.push_back(nf::IcmpTypeMatch{*r.icmp->type, r.icmp->code, false});
        if (r.not_icmp && r.not_icmp->type)
            base.matches.push_back(nf::IcmpTypeMatch{*r.not_icmp->type, r.not_icmp->code, true});

        // Positive ports are an OR on each side (multiport chunks and named ports), ANDed across
        // sides. A side with one alternative goes into the rule itself; a side with several
        // becomes a match block as Felix renders it (policy.go matchBlockBuilder): clear
        // Scratch0|Scratch1; the first block's alternatives set Scratch0, a second block's set
        // Scratch1 and then "Scratch1 clear -> clear Scratch0"; the rule matches on Scratch0.
        std::vector<NfRule> block;
        bool first_block_done = false;
        for (bool source : {true, false}) {
            auto alts = side_port_alternatives(family, r, source ? r.source : r.destination, source);
            if (alts.size() == 1) {
                for (auto& m : alts[0].matches) base.matches.push_back(std::move(m));
                continue;
            }
            if (alts.empty()) continue;
            if (block.empty()) block.push_back(rule_with(Target::SetMark(0, m_.scratch0 | m_.scratch1)));
            const uint32_t bit = first_block_done ? m_.scratch1 : m_.scratch0;
            for (auto& a : alts) {
                a.target = Target::SetMark(bit, bit);
                block.push_back(std::move(a));
            }
            if (first_block_done) block.push_back(if_mark(mark_clear(m_.scratch1), Target::SetMark(0, m_.scratch0)));
            first_block_done = true;
        }
        if (!block.empty()) base.matches.push_back(mark_set(m_.scratch0));
        out.insert(out.end(), std::make_move_iterator(block.begin()), std::make_move_iterator(block.end()));
        action_rules(out, std::move(base), r, t, o);
    }

    void render_rules(Chain& c, const std::vector<Rule>& rules, uint8_t family, Table t, const RuleOwner& o) {
        c.rules.reserve(c.rules.size() + 2 * rules.size());  // most rules become a mark and a return
        for (size_t i = 0; i < rules.size(); ++i) render_rule(c.rules, rules[i], i, family, t, o);
        // A trailing conditional RETURN does nothing at the end of a chain.
        if (!c.rules.empty() && c.rules.back().target.kind == Target::return_ && c.rules.back().proto == 0 &&
            c.rules.back().matches.size() == 1 && std::holds_alternative<nf::MarkMatch>(c.rules.back().matches[0]))
            c.rules.pop_back();
    }

    // ---- policy and profile chains -----------------------------------------------------------

    const std::string& policy_chain_name(PolicyInfo& p, bool ingress) {
        std::string& name = p.chains.name[ingress ? 0 : 1];
        if (name.empty()) name = names::policy_chain(ingress, p.policy->name);
        return name;
    }

    RuleChains& profile_chains(const std::string& profile, bool ingress) {
        RuleChains& pc = profiles_[profile];
        std::string& name = pc.name[ingress ? 0 : 1];
        if (name.empty()) name = names::profile_chain(ingress, profile);
        return pc;
    }

    static bool* sets_known(RuleChains& rc, uint8_t family, bool ingress) {
        return &rc.sets_known[family == 4 ? 0 : 1][ingress ? 0 : 1];
    }

    void plan_policy_chain(TablePlan& tp, PolicyInfo& p, bool ingress) {
        uint8_t& planned = tp.policies_planned[static_cast<size_t>(&p - policies_.data())];
        const uint8_t bit = ingress ? 1 : 2;
        if (planned & bit) return;
        planned |= bit;
        const uint8_t family = tp.family;
        const Table table = tp.table;
        tp.add(
            policy_chain_name(p, ingress),
            [this, &p, family, table, ingress](Chain& c) {
                const GlobalNetworkPolicy& g = *p.policy;
                render_rules(c, ingress ? g.ingress : g.egress, family, table, RuleOwner{"gnp", g.name, ingress, g.tier});
            },
            sets_known(p.chains, family, ingress));
    }

    void plan_profile_chain(TablePlan& tp, const std::string& profile, bool ingress) {
        const uint8_t family = tp.family;
        const Table table = tp.table;
        RuleChains& rc = profile_chains(profile, ingress);
        if (!tp.profiles_planned.insert(rc.name[ingress ? 0 : 1]).second) return;
        tp.add(
            rc.name[ingress ? 0 : 1],
            [this, &profile, family, table, ingress](Chain& c) {
                const Profile* p = in_.model.find_profile(profile);
                RuleOwner o{"pro", profile, ingress, ""};
                if (p) {
                    render_rules(c, ingress ? p->ingress : p->egress, family, table, o);
                } else {
                    // An undefined profile denies, as Felix's placeholder does.
                    Rule deny;
                    deny.action = Action::deny;
                    render_rules(c, {deny}, family, table, o);
                }
            },
            sets_known(rc, family, ingress));
    }

    // ---- endpoint chains (SEMANTICS 2.8) -----------------------------------------------------

    void conntrack_rules(Chain& c, Table t, const Target& allow) {
        if (allow.kind == Target::return_) {
            c.rules.push_back(ctstate(nf::ct_related | nf::ct_established, Target::SetMark(m_.accept, m_.accept)));
        }
        c.rules.push_back(ctstate(nf::ct_related | nf::ct_established, allow));
        if (!in_.felix.disable_conntrack_invalid_check) c.rules.push_back(ctstate(nf::ct_invalid, deny_action(t)));
    }

    enum class TierMode { normal, pass, untracked };

    // The policy chains a tier jumps to are planned with the endpoint chain that holds the tier.
    void plan_tier(TablePlan& tp, const std::vector<PolicyInfo*>& pols, bool ingress) {
        for (PolicyInfo* p : pols) plan_policy_chain(tp, *p, ingress);
    }

    void tier_rules(Chain& c, Table t, const std::vector<PolicyInfo*>& pols, bool ingress, TierMode mode) {
        if (pols.empty()) return;
        c.rules.reserve(c.rules.size() + (mode == TierMode::untracked ? 3 : 2) * pols.size() + 2);
        c.rules.push_back(rule_with(Target::SetMark(0, m_.pass)));  // start of tier
        for (const auto* p : pols) {
            c.rules.push_back(if_mark(mark_clear(m_.pass), Target::Jump(p->chains.name[ingress ? 0 : 1])));
            if (mode == TierMode::untracked) c.rules.push_back(if_mark(mark_set(m_.accept), Target::NoTrack()));
            c.rules.push_back(if_mark(mark_set(m_.accept), Target::Return()));
        }
        if (mode == TierMode::normal) c.rules.push_back(if_mark(mark_clear(m_.pass), deny_action(t)));
    }

    void plan_normal_chain(TablePlan& tp, const Endpoint& e, bool ingress) {
        const auto& pols = ingress ? e.normal_in : e.normal_out;
        plan_tier(tp, pols, ingress);
        for (const auto& prof : e.hep->profiles) plan_profile_chain(tp, prof, ingress);
        const Table table = tp.table;
        tp.add(ingress ? e.fh : e.th, [this, &e, &pols, table, ingress](Chain& c) {
            c.rules.reserve(8 + 2 * pols.size() + 2 * e.hep->profiles.size());
            // The mangle egress chain allows with RETURN whatever IptablesMangleAllowAction says
            // (endpoints.go HostEndpointToMangleEgressChains): mangle POSTROUTING goes on after it.
            conntrack_rules(c, table, table == Table::mangle ? Target::Return() : allow_action(table));
            c.rules.push_back(rule_with(Target::Jump(ingress ? names::failsafe_in : names::failsafe_out)));
            c.rules.push_back(rule_with(Target::SetMark(0, m_.accept | m_.pass)));
            tier_rules(c, table, pols, ingress, TierMode::normal);
            for (const auto& prof : e.hep->profiles) {
                c.rules.push_back(rule_with(Target::Jump(profile_chains(prof, ingress).name[ingress ? 0 : 1])));
                c.rules.push_back(if_mark(mark_set(m_.accept), Target::Return()));
            }
            c.rules.push_back(rule_with(deny_action(table)));
        });
    }

    void plan_forward_chain(TablePlan& tp, const Endpoint& e, bool ingress) {
        const auto& pols = ingress ? e.fwd_in : e.fwd_out;
        plan_tier(tp, pols, ingress);
        const Table table = tp.table;
        tp.add(ingress ? e.fhfw : e.thfw, [this, &e, &pols, table, ingress](Chain& c) {
            conntrack_rules(c, table, allow_action(table));
            c.rules.push_back(rule_with(Target::SetMark(0, m_.accept | m_.pass)));
            tier_rules(c, table, pols, ingress, TierMode::normal);
            // No forward policy at all on this endpoint: forwarded traffic is allowed by default.
            if (!e.has_forward()) c.rules.push_back(rule_with(Target::SetMark(m_.accept, m_.accept)));
        });
    }

    void plan_pre_dnat_chain(TablePlan& tp, const Endpoint& e) {
        plan_tier(tp, e.pre_dnat_in, true);
        const Table table = tp.table;
        tp.add(e.fh, [this, &e, table](Chain& c) {
            conntrack_rules(c, table, allow_action(table));
            c.rules.push_back(rule_with(Target::Jump(names::failsafe_in)));
            c.rules.push_back(rule_with(Target::SetMark(0, m_.accept | m_.pass)));
            tier_rules(c, table, e.pre_dnat_in, true, TierMode::pass);
        });
    }

    void plan_untracked_chain(TablePlan& tp, const Endpoint& e, bool ingress) {
        const auto& pols = ingress ? e.untracked_in : e.untracked_out;
        plan_tier(tp, pols, ingress);
        const Table table = tp.table;
        tp.add(ingress ? e.fh : e.th, [this, &pols, table, ingress](Chain& c) {
            c.rules.push_back(rule_with(Target::Jump(ingress ? names::failsafe_in : names::failsafe_out)));
            c.rules.push_back(rule_with(Target::SetMark(0, m_.accept | m_.pass)));
            tier_rules(c, table, pols, ingress, TierMode::untracked);
        });
    }

    // ---- dispatch (SEMANTICS 2.7) ------------------------------------------------------------

    // A dispatch chain: a goto per endpoint to its `chain` (&Endpoint::fh, ...), by interface.
    template <class Pred>
    void plan_dispatch(TablePlan& tp, const char* name, std::string Endpoint::*chain, bool in, Pred include,
                       bool star_default, bool skip_workloads = false) {
        tp.add(name, [this, chain, in, include, star_default, skip_workloads](Chain& c) {
            const Endpoint* star = nullptr;
            for (const auto& e : endpoints_) {
                if (e.is_star()) {
                    star = &e;
                    continue;
                }
                if (!include(e)) continue;
                NfRule r = rule_with(Target::Goto(e.*chain));
                (in ? r.in_iface : r.out_iface) = e.iface;
                c.rules.push_back(std::move(r));
            }
            if (star && star_default && include(*star)) {
                if (skip_workloads) {
                    for (const auto& p : in_.felix.interface_prefixes) {
                        NfRule r = rule_with(Target::Return());
                        r.out_iface = p + "+";
                        c.rules.push_back(std::move(r));
                    }
                }
                c.rules.push_back(rule_with(Target::Goto(star->*chain)));
            }
        });
    }

    // ---- failsafe (SEMANTICS 2.10) -----------------------------------------------------------

    void failsafe_rule(Chain& c, uint8_t family, const FailsafePort& fp, bool dport, bool net_is_src) {
        if (fp.net && fp.net->family() != family) return;
        NfRule r = rule_with(Target::Accept());
        r.proto = fp.proto == FailsafeProto::tcp ? 6 : fp.proto == FailsafeProto::udp ? 17 : 132;
        if (fp.net && fp.net->prefix != 0) (net_is_src ? r.src : r.dst) = *fp.net;
        r.matches.push_back(nf::MultiportMatch{!dport, {nf::PortRange{fp.port, fp.port}}, false});
        c.rules.push_back(std::move(r));
    }

    // Neighbour discovery (router/neighbour solicitation and advertisement, redirect): conntrack
    // does not track it, and IPv6 dies on a protected interface without it.
    void failsafe_nd(Chain& c, uint8_t family) {
        if (family != 6 || !in_.felix.failsafe_icmpv6_nd) return;
        for (uint8_t type = 133; type <= 137; ++type) {
            NfRule r = rule_with(Target::Accept());
            r.proto = 58;
            r.matches.push_back(nf::IcmpTypeMatch{type, std::nullopt, false});
            c.rules.push_back(std::move(r));
        }
    }

    void plan_failsafe(TablePlan& tp) {
        const uint8_t family = tp.family;
        const bool raw = tp.table == Table::raw;
        tp.add(names::failsafe_in, [this, family, raw](Chain& in) {
            for (const auto& fp : in_.felix.failsafe_inbound) failsafe_rule(in, family, fp, true, true);
            // Untracked: replies to the outbound failsafe connections come back from their port.
            if (raw)
                for (const auto& fp : in_.felix.failsafe_outbound) failsafe_rule(in, family, fp, false, true);
            failsafe_nd(in, family);
        });
        tp.add(names::failsafe_out, [this, family, raw](Chain& out) {
            for (const auto& fp : in_.felix.failsafe_outbound) failsafe_rule(out, family, fp, true, false);
            if (raw)
                for (const auto& fp : in_.felix.failsafe_inbound) failsafe_rule(out, family, fp, false, false);
            failsafe_nd(out, family);
        });
    }

    // ---- static chains and tables ------------------------------------------------------------

    void plan_raw(TablePlan& tp) {
        tp.add(names::prerouting, [this](Chain& pre) {
            pre.rules.push_back(rule_with(Target::SetMark(0, m_.all)));
            for (const auto& p : in_.felix.interface_prefixes) {
                NfRule r = rule_with(Target::SetMark(m_.scratch0, m_.scratch0));
                r.in_iface = p + "+";
                pre.rules.push_back(std::move(r));
            }
            pre.rules.push_back(if_mark(mark_clear(m_.scratch0), Target::Jump(names::from_hep)));
            pre.rules.push_back(if_mark(mark_set(m_.accept), Target::Accept()));
        });
        tp.add(names::output, [this](Chain& out) {
            out.rules.push_back(rule_with(Target::SetMark(0, m_.all)));
            out.rules.push_back(rule_with(Target::Jump(names::to_hep)));
            out.rules.push_back(if_mark(mark_set(m_.accept), Target::Accept()));
        });

        auto untracked = [](const Endpoint& e) { return e.has_untracked(); };
        plan_dispatch(tp, names::from_hep, &Endpoint::fh, true, untracked, false);
        plan_dispatch(tp, names::to_hep, &Endpoint::th, false, untracked, false);
        for (const auto& e : endpoints_) {
            if (e.is_star() || !e.has_untracked()) continue;
            plan_untracked_chain(tp, e, true);
            plan_untracked_chain(tp, e, false);
        }
        plan_failsafe(tp);
        tp.hooks.push_back(hook("PREROUTING", names::prerouting));
        tp.hooks.push_back(hook("OUTPUT", names::output));
    }

    void plan_mangle(TablePlan& tp) {
        tp.add(names::prerouting, [this](Chain& pre) {
            const Target allow = allow_action(Table::mangle);
            pre.rules.push_back(ctstate(nf::ct_related | nf::ct_established, allow));
            pre.rules.push_back(if_mark(mark_set(m_.accept), allow));
            pre.rules.push_back(rule_with(Target::Jump(names::from_hep)));
            pre.rules.push_back(if_mark(mark_set(m_.accept), allow));
        });
        tp.add(names::postrouting, [this](Chain& post) {
            post.rules.push_back(if_mark(mark_set(m_.accept), Target::Return()));
            post.rules.push_back(rule_with(Target::SetMark(0, m_.all)));
            post.rules.push_back(ctstate(nf::ct_dnat, Target::Jump(names::to_hep)));
            post.rules.push_back(if_mark(mark_set(m_.accept), Target::Return()));
        });

        plan_dispatch(tp, names::from_hep, &Endpoint::fh, true, [](const Endpoint& e) { return e.has_pre_dnat(); }, true);
        plan_dispatch(tp, names::to_hep, &Endpoint::th, false, [](const Endpoint&) { return true; }, true, true);
        for (const auto& e : endpoints_) {
            if (e.has_pre_dnat()) plan_pre_dnat_chain(tp, e);
            plan_normal_chain(tp, e, false);
        }
        plan_failsafe(tp);
        tp.hooks.push_back(hook("PREROUTING", names::prerouting));
        tp.hooks.push_back(hook("POSTROUTING", names::postrouting));
    }

    void plan_filter(TablePlan& tp) {
        tp.add(names::input, [this](Chain& input) {
            const Target allow = allow_action(Table::filter);
            for (const auto& p : in_.felix.interface_prefixes) {
                NfRule r = rule_with(Target::Goto(names::wl_to_host));
                r.in_iface = p + "+";
                input.rules.push_back(std::move(r));
            }
            input.rules.push_back(if_mark(mark_set(m_.accept), allow));
            input.rules.push_back(rule_with(Target::SetMark(0, m_.all)));
            input.rules.push_back(rule_with(Target::Jump(names::from_hep)));
            input.rules.push_back(if_mark(mark_set(m_.accept), allow));
        });
        tp.add(names::output, [this](Chain& output) {
            const Target allow = allow_action(Table::filter);
            output.rules.push_back(if_mark(mark_set(m_.accept), allow));
            for (const auto& p : in_.felix.interface_prefixes) {
                NfRule r = rule_with(Target::Return());
                r.out_iface = p + "+";
                output.rules.push_back(std::move(r));
            }
            output.rules.push_back(rule_with(Target::SetMark(0, m_.all)));
            output.rules.push_back(ctstate(nf::ct_dnat, Target::Jump(names::to_hep), true));
            output.rules.push_back(if_mark(mark_set(m_.accept), allow));
        });
        tp.add(names::forward, [this](Chain& fwd) {
            fwd.rules.push_back(rule_with(Target::SetMark(0, m_.all & ~m_.accept)));
            fwd.rules.push_back(if_mark(mark_clear(m_.accept), Target::Jump(names::from_hep_fwd)));
            fwd.rules.push_back(rule_with(Target::Jump(names::to_hep_fwd)));
        });
        tp.add(names::forward_end, [this](Chain& end) {
            end.rules.push_back(if_mark(mark_set(m_.accept), allow_action(Table::filter)));
            end.rules.push_back(rule_with(Target::SetMark(m_.accept, m_.accept)));
        });
        // Workload to host: hepd has no workload endpoints, so DefaultEndpointToHostAction alone
        // decides (ARCHITECTURE.md); RETURN resumes the kernel INPUT chain (entered by goto).
        const uint8_t family = tp.family;
        tp.add(names::wl_to_host, [this, family](Chain& wl) {
            if (family == 6) {
                for (uint8_t type : {130, 131, 132, 133, 135, 136}) {
                    NfRule r = rule_with(allow_action(Table::filter));
                    r.proto = 58;
                    r.matches.push_back(nf::IcmpTypeMatch{type, std::nullopt, false});
                    wl.rules.push_back(std::move(r));
                }
            }
            // Plain verdicts, not the configured allow/deny actions (rule_defs.go NewRenderer).
            switch (in_.felix.default_endpoint_to_host_action) {
            case Verdict::accept: wl.rules.push_back(rule_with(Target::Accept())); break;
            case Verdict::return_: wl.rules.push_back(rule_with(Target::Return())); break;
            default: wl.rules.push_back(rule_with(Target::Drop())); break;
            }
        });

        auto all = [](const Endpoint&) { return true; };
        plan_dispatch(tp, names::from_hep, &Endpoint::fh, true, all, true);
        plan_dispatch(tp, names::to_hep, &Endpoint::th, false, all, true);
        plan_dispatch(tp, names::from_hep_fwd, &Endpoint::fhfw, true, all, true);
        plan_dispatch(tp, names::to_hep_fwd, &Endpoint::thfw, false, all, true);
        for (const auto& e : endpoints_) {
            plan_normal_chain(tp, e, true);
            plan_normal_chain(tp, e, false);
            plan_forward_chain(tp, e, true);
            plan_forward_chain(tp, e, false);
        }
        plan_failsafe(tp);
        // In the order iptables-save lists built-in chains (hook order), so print matches save.
        tp.hooks.push_back(hook("INPUT", names::input));
        tp.hooks.push_back(hook("FORWARD", names::forward));
        tp.hooks.push_back(nf::Hook{"FORWARD", names::forward_end, true});
        tp.hooks.push_back(hook("OUTPUT", names::output));
    }

    nf::Hook hook(const char* builtin, const char* chain) const {
        return nf::Hook{builtin, chain, in_.felix.chain_insert_mode == ChainInsertMode::append};
    }
};

}  // namespace detail

// ---- PlannedTable, Compilation, compile() ---------------------------------------------------

PlannedTable::PlannedTable(detail::Compiler& c, uint8_t family, nf::Table t)
    : compiler_(&c), family_(family), table_(t) {
    c.plan(*this);
}
PlannedTable::PlannedTable(PlannedTable&&) noexcept = default;
PlannedTable& PlannedTable::operator=(PlannedTable&&) noexcept = default;
PlannedTable::~PlannedTable() = default;

size_t PlannedTable::size() const { return chains_.size(); }

std::string_view PlannedTable::chain_name(size_t i) const { return chains_.at(i).name; }

nf::Chain PlannedTable::chain(size_t i) const {
    nf::Chain c;
    compiler_->build(chains_.at(i), c);
    return c;
}

Compilation::Compilation(const CompileInput& in) : c_(std::make_unique<detail::Compiler>(in)) {}
Compilation::~Compilation() = default;

size_t Compilation::set_count() {
    if (!sets_known_) {
        c_->find_sets(families());
        sets_ = c_->sets();
        sets_known_ = true;
    }
    return sets_.size();
}

nf::IpSet Compilation::set(size_t i, bool members) const {
    const auto& [name, def] = *sets_.at(i);
    nf::IpSet s = detail::Compiler::set_header(name, def);
    if (members) s.members = c_->members_of(def);
    return s;
}

std::vector<uint8_t> Compilation::families() const {
    if (c_->input().ipv6) return {4, 6};
    return {4};
}

PlannedTable Compilation::table(uint8_t family, nf::Table t) { return PlannedTable(*c_, family, t); }

std::vector<Binding> Compilation::bindings() const { return c_->bindings(); }

MarkBits mark_bits(uint32_t mask) {
    MarkBits b;
    uint32_t* slots[] = {&b.accept, &b.pass, &b.drop, &b.scratch0, &b.scratch1};
    size_t next = 0;
    for (uint32_t bit = 1; bit != 0 && next < 5; bit <<= 1) {
        if (mask & bit) *slots[next++] = bit;
    }
    b.all = b.accept | b.pass | b.scratch0 | b.scratch1;
    return b;
}

Compiled compile(const CompileInput& in) {
    Compilation c(in);
    Compiled out;
    // The tables first: building them finds every set, so set_count() has nothing left to build.
    for (uint8_t family : c.families()) {
        nf::FamilyRuleset f;
        f.family = family;
        for (nf::Table t : nf::all_tables) {
            PlannedTable pt = c.table(family, t);
            nf::TableRuleset tr;
            tr.table = t;
            tr.hooks = pt.hooks();
            tr.chains.reserve(pt.size());
            for (size_t i = 0; i < pt.size(); ++i) {
                tr.chains.push_back(pt.chain(i));
                tr.chains.back().rules.shrink_to_fit();
            }
            f.tables.push_back(std::move(tr));
        }
        if (family == 4)
            out.rules.v4 = std::move(f);
        else
            out.rules.v6 = std::move(f);
    }
    const size_t sets = c.set_count();
    out.rules.sets.reserve(sets);
    for (size_t i = 0; i < sets; ++i) out.rules.sets.push_back(c.set(i));
    out.bindings = c.bindings();
    return out;
}

RenderStats render_compiled(const CompileInput& in, std::optional<nf::RenderPart> only,
                            const std::function<void(std::string_view)>& write) {
    constexpr size_t chunk = 16 * 1024;
    RenderStats stats;
    std::string buf;
    buf.reserve(chunk + 4096);
    auto flush = [&](bool always) {
        if (buf.empty() || (!always && buf.size() < chunk)) return;
        stats.bytes += buf.size();
        write(buf);
        buf.clear();
    };
    Compilation c(in);
    if (!only || *only == nf::RenderPart::ipset) {
        if (!only) buf += "# ipset\n";
        const size_t sets = c.set_count();
        for (size_t i = 0; i < sets; ++i) {
            nf::render_ipset_create(c.set(i, false), buf);
            flush(false);
        }
        for (size_t i = 0; i < sets; ++i) {
            const nf::IpSet s = c.set(i);
            nf::render_ipset_members(s, buf);
            stats.members += s.members.size();
            flush(false);
        }
        stats.sets = sets;
    }
    for (uint8_t family : c.families()) {
        const nf::RenderPart part = family == 4 ? nf::RenderPart::ipv4 : nf::RenderPart::ipv6;
        if (only && *only != part) continue;
        if (!only)
            buf += family == 4 ? "# ipv4 (iptables-legacy-restore --noflush)\n"
                               : "# ipv6 (ip6tables-legacy-restore --noflush)\n";
        for (nf::Table t : nf::all_tables) {
            const PlannedTable pt = c.table(family, t);
            nf::render_table_begin(t, buf);
            for (size_t i = 0; i < pt.size(); ++i) {
                nf::render_chain_declaration(pt.chain_name(i), buf);
                flush(false);
            }
            nf::render_hooks(pt.hooks(), buf);
            stats.rules += pt.hooks().size();
            for (size_t i = 0; i < pt.size(); ++i) {
                const nf::Chain chain = pt.chain(i);
                nf::render_chain_rules(chain, family, buf);
                stats.rules += chain.rules.size();
                flush(false);
            }
            stats.chains += pt.size();
            nf::render_table_end(buf);
        }
    }
    flush(true);
    return stats;
}

}  // namespace hepd
