// SPDX-License-Identifier: GPL-2.0-or-later
// Ruleset -> iptables-save and ipset text, formatted exactly as iptables-legacy-save 1.8.9 and
// ipset 7 print them (verified in a namespace: see LIBIPTC.md section 5 and tests/golden), so
// that what the kernel shows after an apply can be compared with `hepd print` line by line.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <utility>
#include <vector>

#include "hepd/ruleset.hpp"

namespace hepd::nf {

namespace {

// Everything appends to one output string: W3 renders 27k rules, and a temporary string per
// piece (or snprintf per number) costs more than the text itself.
void append_uint(std::string& out, uint32_t v, int base = 10) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, base);
    out.append(buf, end);
}

void append_hex(std::string& out, uint32_t v) {
    out += "0x";
    append_uint(out, v, 16);
}

// iptables-save quotes a string unless it is made only of [A-Za-z0-9_-]; inside quotes it
// escapes '"', '\' and '\''.
void append_save_quoted(std::string& out, const std::string& s) {
    bool bare = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (bare) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    out += '"';
}

void append_ports(std::string& out, const std::vector<PortRange>& ports) {
    bool first = true;
    for (const auto& p : ports) {
        if (!first) out += ',';
        first = false;
        append_uint(out, p.first);
        if (p.last != p.first) {
            out += ':';
            append_uint(out, p.last);
        }
    }
}

void append_ctstate(std::string& out, uint16_t s) {
    // Fixed print order of the conntrack match.
    static constexpr std::pair<uint16_t, const char*> order[] = {
        {ct_invalid, "INVALID"}, {ct_new, "NEW"},         {ct_related, "RELATED"}, {ct_established, "ESTABLISHED"},
        {ct_untracked, "UNTRACKED"}, {ct_snat, "SNAT"},   {ct_dnat, "DNAT"},
    };
    bool first = true;
    for (const auto& [bit, name] : order) {
        if (!(s & bit)) continue;
        if (!first) out += ',';
        first = false;
        out += name;
    }
}

// The limit match stores an average interval, not the rate: avg = XT_LIMIT_SCALE (10000) x
// seconds-per-unit / N, as iptables' parse_rate computes it (and hepd's backend must too).
// iptables-save prints avg back in the largest unit whose count comes out whole enough
// (libxt_limit.c print_rate): 60/minute saves as 1/sec, 24/day as 1/hour, 9999/second as
// 10000/sec. Printing the configured count and unit instead would differ from the kernel's view.
void append_limit(std::string& out, uint32_t count, char unit) {
    constexpr uint32_t scale = 10000;
    uint32_t seconds = 1;
    switch (unit) {
    case 'm': seconds = 60; break;
    case 'h': seconds = 60 * 60; break;
    case 'd': seconds = 24 * 60 * 60; break;
    default: break;
    }
    const uint32_t period = count == 0 ? 0 : scale * seconds / count;
    if (period == 0) {
        out += "inf";  // iptables refuses such a rate ("Rate too fast")
        return;
    }
    static constexpr std::pair<uint32_t, const char*> rates[] = {
        {scale * 24 * 60 * 60, "day"}, {scale * 60 * 60, "hour"}, {scale * 60, "min"}, {scale, "sec"}};
    size_t i = 1;
    for (; i < std::size(rates); ++i) {
        if (period > rates[i].first || rates[i].first / period < rates[i].first % period) break;
    }
    append_uint(out, rates[i - 1].first / period);
    out += '/';
    out += rates[i - 1].second;
}

struct MatchText {
    uint8_t family;
    std::string& out;

    void operator()(const CtStateMatch& m) {
        out += " -m conntrack";
        out += m.negate ? " ! --ctstate " : " --ctstate ";
        append_ctstate(out, m.states);
    }
    void operator()(const MarkMatch& m) {
        out += " -m mark";
        out += m.negate ? " ! --mark " : " --mark ";
        append_hex(out, m.value);
        if (m.mask != 0xffffffff) {
            out += '/';
            append_hex(out, m.mask);
        }
    }
    void operator()(const MultiportMatch& m) {
        out += " -m multiport";
        out += m.negate ? " !" : "";
        out += m.source ? " --sports " : " --dports ";
        append_ports(out, m.ports);
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
        append_uint(out, m.type);
        if (m.code) {
            out += '/';
            append_uint(out, *m.code);
        }
    }
    void operator()(const LimitMatch& m) {
        out += " -m limit --limit ";
        append_limit(out, m.count, m.unit);
        if (m.burst != 5) {
            out += " --limit-burst ";
            append_uint(out, m.burst);
        }
    }
};

void target_text(const Target& t, uint8_t family, std::string& out) {
    switch (t.kind) {
    case Target::accept: out += " -j ACCEPT"; break;
    case Target::drop: out += " -j DROP"; break;
    case Target::return_: out += " -j RETURN"; break;
    case Target::jump:
        out += " -j ";
        out += t.chain;
        break;
    case Target::goto_:
        out += " -g ";
        out += t.chain;
        break;
    case Target::set_mark:
        out += " -j MARK --set-xmark ";
        append_hex(out, t.mark);
        out += '/';
        append_hex(out, t.mask);
        break;
    case Target::reject:
        out += family == 4 ? " -j REJECT --reject-with icmp-port-unreachable"
                           : " -j REJECT --reject-with icmp6-port-unreachable";
        break;
    case Target::log:
        out += " -j LOG --log-prefix ";
        append_save_quoted(out, t.log_prefix);
        if (t.log_level != 4) {
            out += " --log-level ";
            append_uint(out, t.log_level);
        }
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
    c->append_to(out);
}

// The rule's text with a leading space (" -s ... -j X"), or nothing for an empty rule.
void append_rule_words(std::string& out, const Rule& r, uint8_t family) {
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
    append_rule_words(out, r, family);
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

// ---- text, piece by piece ------------------------------------------------------------------

void render_ipset_create(const IpSet& s, std::string& out) {
    out += "create ";
    out += s.name;
    out += ' ';
    out += s.type;
    out += s.family == 4 ? " family inet\n" : " family inet6\n";
}

void render_ipset_members(const IpSet& s, std::string& out) {
    for (const auto& m : s.members) {
        out += "add ";
        out += s.name;
        out += ' ';
        out += m;
        out += '\n';
    }
}

void render_table_begin(Table t, std::string& out) {
    out += '*';
    out += table_name(t);
    out += '\n';
}

void render_chain_declaration(std::string_view chain, std::string& out) {
    out += ':';
    out += chain;
    out += " - [0:0]\n";
}

void render_hooks(const std::vector<Hook>& hooks, std::string& out) {
    // iptables-save lists the built-in chains in the kernel's order, so the hooks are printed in
    // that order too (stable: an appended hook follows the inserted one of its chain). hepd
    // installs at most one inserted hook per built-in chain, so the text is at once a restore
    // script and what the kernel shows afterwards.
    std::vector<const Hook*> sorted;
    for (const auto& h : hooks) sorted.push_back(&h);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Hook* a, const Hook* b) { return builtin_rank(a->builtin) < builtin_rank(b->builtin); });
    for (const Hook* h : sorted) {
        out += h->append ? "-A " : "-I ";
        out += h->builtin;
        out += h->append ? " -j " : " 1 -j ";
        out += h->chain;
        out += '\n';
    }
}

void render_chain_rules(const Chain& c, uint8_t family, std::string& out) {
    for (const auto& r : c.rules) {
        out += "-A ";
        out += c.name;
        // render_rule's text after one space; an empty rule leaves "-A NAME " as it always has.
        const size_t mark = out.size();
        append_rule_words(out, r, family);
        if (out.size() == mark) out += ' ';
        out += '\n';
    }
}

void render_table_end(std::string& out) { out += "COMMIT\n"; }

// ---- whole texts ---------------------------------------------------------------------------

std::string render_ipsets(const Ruleset& rs) {
    std::string out;
    for (const auto& s : rs.sets) render_ipset_create(s, out);
    for (const auto& s : rs.sets) render_ipset_members(s, out);
    return out;
}

std::string render_family(const FamilyRuleset& f) {
    std::string out;
    for (const auto& t : f.tables) {
        render_table_begin(t.table, out);
        for (const auto& c : t.chains) render_chain_declaration(c.name, out);
        render_hooks(t.hooks, out);
        for (const auto& c : t.chains) render_chain_rules(c, f.family, out);
        render_table_end(out);
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
