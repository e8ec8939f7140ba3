// SPDX-License-Identifier: GPL-2.0-or-later
// Ruleset -> iptables-save and ipset text, formatted exactly as iptables-legacy-save 1.8.9 and
// ipset 7 print them (verified in a namespace: see LIBIPTC.md section 5 and tests/golden), so
// that what the kernel shows after an apply can be compared with `hepd print` line by line.
#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>
#include <vector>

#include "hepd/ruleset.hpp"

namespace hepd::nf {

namespace {

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

// iptables-save quotes a string unless it is made only of [A-Za-z0-9_-]; inside quotes it
// escapes '"', '\' and '\''.
std::string save_quote(const std::string& s) {
    bool bare = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (bare) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string ports_text(const std::vector<PortRange>& ports) {
    std::string out;
    for (const auto& p : ports) {
        if (!out.empty()) out += ',';
        out += std::to_string(p.first);
        if (p.last != p.first) {
            out += ':';
            out += std::to_string(p.last);
        }
    }
    return out;
}

std::string ctstate_text(uint16_t s) {
    // Fixed print order of the conntrack match.
    static constexpr std::pair<uint16_t, const char*> order[] = {
        {ct_invalid, "INVALID"}, {ct_new, "NEW"},         {ct_related, "RELATED"}, {ct_established, "ESTABLISHED"},
        {ct_untracked, "UNTRACKED"}, {ct_snat, "SNAT"},   {ct_dnat, "DNAT"},
    };
    std::string out;
    for (const auto& [bit, name] : order) {
        if (!(s & bit)) continue;
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

// The limit match stores an average interval, not the rate: avg = XT_LIMIT_SCALE (10000) x
// seconds-per-unit / N, as iptables' parse_rate computes it (and hepd's backend must too).
// iptables-save prints avg back in the largest unit whose count comes out whole enough
// (libxt_limit.c print_rate): 60/minute saves as 1/sec, 24/day as 1/hour, 9999/second as
// 10000/sec. Printing the configured count and unit instead would differ from the kernel's view.
std::string limit_text(uint32_t count, char unit) {
    constexpr uint32_t scale = 10000;
    uint32_t seconds = 1;
    switch (unit) {
    case 'm': seconds = 60; break;
    case 'h': seconds = 60 * 60; break;
    case 'd': seconds = 24 * 60 * 60; break;
    default: break;
    }
    const uint32_t period = count == 0 ? 0 : scale * seconds / count;
    if (period == 0) return "inf";  // iptables refuses such a rate ("Rate too fast")
    static constexpr std::pair<uint32_t, const char*> rates[] = {
        {scale * 24 * 60 * 60, "day"}, {scale * 60 * 60, "hour"}, {scale * 60, "min"}, {scale, "sec"}};
    size_t i = 1;
    for (; i < std::size(rates); ++i) {
        if (period > rates[i].first || rates[i].first / period < rates[i].first % period) break;
    }
    return std::to_string(rates[i - 1].first / period) + "/" + rates[i - 1].second;
}

struct MatchText {
    uint8_t family;
    std::string& out;

    void operator()(const CtStateMatch& m) {
        out += " -m conntrack";
        out += m.negate ? " ! --ctstate " : " --ctstate ";
        out += ctstate_text(m.states);
    }
    void operator()(const MarkMatch& m) {
        out += " -m mark";
        out += m.negate ? " ! --mark " : " --mark ";
        out += hex(m.value);
        if (m.mask != 0xffffffff) {
            out += '/';
            out += hex(m.mask);
        }
    }
    void operator()(const MultiportMatch& m) {
        out += " -m multiport";
        out += m.negate ? " !" : "";
        out += m.source ? " --sports " : " --dports ";
        out += ports_text(m.ports);
    }
    void operator()(const SetMatch& m) {
        out += " -m set";
        out += m.negate ? " ! --match-set " : " --match-set ";
        out += m.set;
        out += ' ';
        out += m.flags;
    }
    void operator()(const IcmpTypeMatch& m) {
        out += family == 4 ? " -m icmp" : " -m icmp6";
        out += m.negate ? " !" : "";
        out += family == 4 ? " --icmp-type " : " --icmpv6-type ";
        out += std::to_string(m.type);
        if (m.code) {
            out += '/';
            out += std::to_string(*m.code);
        }
    }
    void operator()(const LimitMatch& m) {
        out += " -m limit --limit ";
        out += limit_text(m.count, m.unit);
        if (m.burst != 5) {
            out += " --limit-burst ";
            out += std::to_string(m.burst);
        }
    }
};

void target_text(const Target& t, uint8_t family, std::string& out) {
    switch (t.kind) {
    case Target::accept: out += " -j ACCEPT"; break;
    case Target::drop: out += " -j DROP"; break;
    case Target::return_: out += " -j RETURN"; break;
    case Target::jump: out += " -j " + t.chain; break;
    case Target::goto_: out += " -g " + t.chain; break;
    case Target::set_mark: out += " -j MARK --set-xmark " + hex(t.mark) + "/" + hex(t.mask); break;
    case Target::reject:
        out += family == 4 ? " -j REJECT --reject-with icmp-port-unreachable"
                           : " -j REJECT --reject-with icmp6-port-unreachable";
        break;
    case Target::log:
        out += " -j LOG --log-prefix " + save_quote(t.log_prefix);
        if (t.log_level != 4) out += " --log-level " + std::to_string(t.log_level);
        break;
    case Target::notrack: out += " -j NOTRACK"; break;
    }
}

void iface_text(const char* flag, const std::string& name, bool neg, std::string& out) {
    if (name.empty()) return;
    out += neg ? " ! " : " ";
    out += flag;
    out += ' ';
    out += name;
}

void cidr_text(const char* flag, const std::optional<Cidr>& c, bool neg, std::string& out) {
    if (!c) return;
    out += neg ? " ! " : " ";
    out += flag;
    out += ' ';
    out += c->to_string();
}

// The kernel's order of the built-in chains (NF_INET_PRE_ROUTING ... NF_INET_POST_ROUTING).
int builtin_rank(const std::string& chain) {
    static constexpr const char* order[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
    for (size_t i = 0; i < std::size(order); ++i)
        if (chain == order[i]) return static_cast<int>(i);
    return static_cast<int>(std::size(order));
}

}  // namespace

std::string_view table_name(Table t) {
    switch (t) {
    case Table::raw: return "raw";
    case Table::mangle: return "mangle";
    case Table::filter: return "filter";
    }
    return "?";
}

std::string protocol_save_name(uint8_t proto, uint8_t /*family*/) {
    // The names libxtables knows itself; iptables-save takes any other name from /etc/protocols,
    // which differs between systems, so hepd prints those as numbers (restore accepts both).
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    case 136: return "udplite";
    default: return std::to_string(proto);
    }
}

std::string render_rule(const Rule& r, uint8_t family) {
    std::string out;
    cidr_text("-s", r.src, r.src_negate, out);
    cidr_text("-d", r.dst, r.dst_negate, out);
    iface_text("-i", r.in_iface, r.in_negate, out);
    iface_text("-o", r.out_iface, r.out_negate, out);
    if (r.proto != 0) {
        out += r.proto_negate ? " ! -p " : " -p ";
        out += protocol_save_name(r.proto, family);
    }
    MatchText mt{family, out};
    for (const auto& m : r.matches) std::visit(mt, m);
    target_text(r.target, family, out);
    return out.empty() ? out : out.substr(1);
}

const Chain* TableRuleset::find(std::string_view name) const {
    for (const auto& c : chains)
        if (c.name == name) return &c;
    return nullptr;
}

const TableRuleset* FamilyRuleset::find(Table t) const {
    for (const auto& tr : tables)
        if (tr.table == t) return &tr;
    return nullptr;
}

size_t Ruleset::rule_count() const {
    size_t n = 0;
    auto add = [&](const FamilyRuleset& f) {
        for (const auto& t : f.tables) {
            n += t.hooks.size();
            for (const auto& c : t.chains) n += c.rules.size();
        }
    };
    add(v4);
    if (v6) add(*v6);
    return n;
}

size_t Ruleset::set_member_count() const {
    size_t n = 0;
    for (const auto& s : sets) n += s.members.size();
    return n;
}

std::string render_ipsets(const Ruleset& rs) {
    std::string out;
    for (const auto& s : rs.sets) {
        out += "create " + s.name + " " + s.type + " family " + (s.family == 4 ? "inet" : "inet6") + "\n";
    }
    for (const auto& s : rs.sets) {
        for (const auto& m : s.members) out += "add " + s.name + " " + m + "\n";
    }
    return out;
}

std::string render_family(const FamilyRuleset& f) {
    std::string out;
    for (const auto& t : f.tables) {
        out += "*";
        out += table_name(t.table);
        out += "\n";
        for (const auto& c : t.chains) out += ":" + c.name + " - [0:0]\n";
        // iptables-save lists the built-in chains in the kernel's order, so the hooks are printed
        // in that order too (stable: an appended hook follows the inserted one of its chain).
        // hepd installs at most one inserted hook per built-in chain, so the text is at once a
        // restore script and what the kernel shows afterwards.
        std::vector<const Hook*> hooks;
        for (const auto& h : t.hooks) hooks.push_back(&h);
        std::stable_sort(hooks.begin(), hooks.end(),
                         [](const Hook* a, const Hook* b) { return builtin_rank(a->builtin) < builtin_rank(b->builtin); });
        for (const Hook* h : hooks) {
            out += h->append ? "-A " + h->builtin : "-I " + h->builtin + " 1";
            out += " -j " + h->chain + "\n";
        }
        for (const auto& c : t.chains) {
            for (const auto& r : c.rules) out += "-A " + c.name + " " + render_rule(r, f.family) + "\n";
        }
        out += "COMMIT\n";
    }
    return out;
}

std::string render_all(const Ruleset& rs) {
    std::string out = "# ipset\n" + render_ipsets(rs);
    out += "# ipv4 (iptables-legacy-restore --noflush)\n" + render_family(rs.v4);
    if (rs.v6) out += "# ipv6 (ip6tables-legacy-restore --noflush)\n" + render_family(*rs.v6);
    return out;
}

}  // namespace hepd::nf
