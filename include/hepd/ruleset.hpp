// SPDX-License-Identifier: GPL-2.0-or-later
// Ruleset: the exact netfilter state hepd wants, as plain values.
//
// compile() produces it, render_save() turns it into iptables-save/ipset text (`hepd print`,
// golden files), and the libiptc backend turns the same values into kernel entries. A rule holds
// only the few matches and targets hepd uses, each a struct that maps one-to-one onto a kernel
// match (LIBIPTC.md section 5), in the order iptables-save prints them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hepd/net.hpp"

namespace hepd::nf {

enum class Table : uint8_t { raw, mangle, filter };
inline constexpr Table all_tables[] = {Table::raw, Table::mangle, Table::filter};
std::string_view table_name(Table t);  // "raw", "mangle", "filter"

// conntrack --ctstate bits, as the kernel numbers them.
enum CtBits : uint16_t {
    ct_invalid = 0x1,
    ct_established = 0x2,
    ct_related = 0x4,
    ct_new = 0x8,
    ct_snat = 0x40,
    ct_dnat = 0x80,
    ct_untracked = 0x100,
};

struct CtStateMatch {
    uint16_t states = 0;
    bool negate = false;
    bool operator==(const CtStateMatch&) const = default;
};

struct MarkMatch {
    uint32_t value = 0;
    uint32_t mask = 0;
    bool negate = false;
    bool operator==(const MarkMatch&) const = default;
};

// multiport: up to 15 slots, a range takes two.
struct PortRange {
    uint16_t first = 0;
    uint16_t last = 0;
    bool operator==(const PortRange&) const = default;
};
struct MultiportMatch {
    bool source = false;  // --sports, else --dports
    std::vector<PortRange> ports;
    bool negate = false;
    bool operator==(const MultiportMatch&) const = default;
    static constexpr unsigned max_slots = 15;
};

// -m set --match-set NAME src|dst|dst,dst ...
struct SetMatch {
    std::string set;
    std::string flags;  // "src", "dst", "dst,dst", "src,src"
    bool negate = false;
    bool operator==(const SetMatch&) const = default;
};

// -m icmp --icmp-type T[/C] (IPv4) or -m icmp6 --icmpv6-type T[/C] (IPv6).
struct IcmpTypeMatch {
    uint8_t type = 0;
    std::optional<uint8_t> code;
    bool negate = false;
    bool operator==(const IcmpTypeMatch&) const = default;
};

struct LimitMatch {
    uint32_t count = 0;   // per unit
    char unit = 's';      // 's', 'm', 'h', 'd'
    uint32_t burst = 5;
    bool operator==(const LimitMatch&) const = default;
};

using Match = std::variant<CtStateMatch, MarkMatch, MultiportMatch, SetMatch, IcmpTypeMatch, LimitMatch>;

struct Target {
    enum Kind : uint8_t { accept, drop, return_, jump, goto_, set_mark, reject, log, notrack };
    Kind kind = accept;
    std::string chain;       // jump/goto
    uint32_t mark = 0;       // set_mark: --set-xmark mark/mask
    uint32_t mask = 0;
    std::string log_prefix;  // log
    uint8_t log_level = 5;
    bool operator==(const Target&) const = default;

    static Target make(Kind k) {
        Target t;
        t.kind = k;
        return t;
    }
    static Target Accept() { return make(accept); }
    static Target Drop() { return make(drop); }
    static Target Return() { return make(return_); }
    static Target Jump(std::string c) {
        Target t = make(jump);
        t.chain = std::move(c);
        return t;
    }
    static Target Goto(std::string c) {
        Target t = make(goto_);
        t.chain = std::move(c);
        return t;
    }
    static Target SetMark(uint32_t m, uint32_t k) {
        Target t = make(set_mark);
        t.mark = m;
        t.mask = k;
        return t;
    }
    static Target Reject() { return make(reject); }
    static Target NoTrack() { return make(notrack); }
    static Target Log(std::string prefix, uint8_t level = 5) {
        Target t = make(log);
        t.log_prefix = std::move(prefix);
        t.log_level = level;
        return t;
    }
};

struct Rule {
    std::string in_iface;   // "eth0", "cali+" (trailing + = prefix); "" = any
    bool in_negate = false;
    std::string out_iface;
    bool out_negate = false;
    uint8_t proto = 0;      // 0 = any
    bool proto_negate = false;
    std::optional<Cidr> src;
    bool src_negate = false;
    std::optional<Cidr> dst;
    bool dst_negate = false;
    std::vector<Match> matches;  // in save order
    Target target;
    bool operator==(const Rule&) const = default;
};

struct Chain {
    std::string name;
    std::vector<Rule> rules;
    bool operator==(const Chain&) const = default;
};

// hepd's one rule in a built-in chain: a jump to a hepd chain, at the top (insert) or the end.
struct Hook {
    std::string builtin;  // "INPUT", "PREROUTING", ...
    std::string chain;    // the hepd chain jumped to
    bool append = false;
    bool operator==(const Hook&) const = default;
};

struct TableRuleset {
    Table table = Table::filter;
    std::vector<Hook> hooks;    // in the order they are installed
    std::vector<Chain> chains;  // sorted by name (strcmp), as iptables-save lists them
    bool operator==(const TableRuleset&) const = default;
    const Chain* find(std::string_view name) const;
};

struct FamilyRuleset {
    uint8_t family = 4;
    std::vector<TableRuleset> tables;  // raw, mangle, filter (a table with no chains is omitted)
    bool operator==(const FamilyRuleset&) const = default;
    const TableRuleset* find(Table t) const;
};

struct IpSet {
    std::string name;
    std::string type;    // "hash:net" or "hash:ip,port"
    uint8_t family = 4;
    std::vector<std::string> members;  // canonical text ("198.18.0.0/15", "198.18.1.1,tcp:8055"), sorted
    bool operator==(const IpSet&) const = default;
};

struct Ruleset {
    std::vector<IpSet> sets;   // sorted by name
    FamilyRuleset v4;
    std::optional<FamilyRuleset> v6;  // absent when IPv6 is off
    bool operator==(const Ruleset&) const = default;

    size_t rule_count() const;
    size_t set_member_count() const;
};

// ---- text ----------------------------------------------------------------------------------

// One rule in iptables-save syntax, without the "-A CHAIN " prefix.
std::string render_rule(const Rule& r, uint8_t family);

enum class RenderPart : uint8_t { ipset, ipv4, ipv6 };

// `ipset restore` text (create + add lines) for the sets.
std::string render_ipsets(const Ruleset& rs);
// `iptables-legacy-restore --noflush` text for one family: per table, the chain declarations, the
// hooks (-I BUILTIN 1 / -A BUILTIN), then every rule, then COMMIT.
std::string render_family(const FamilyRuleset& f);
// All three parts, each headed by a "# ..." comment line (hepd print without --only).
std::string render_all(const Ruleset& rs);

// The same text piece by piece, appended to `out`, for a caller that renders while it compiles
// (render_compiled in compile.hpp) instead of holding a whole Ruleset. render_ipsets is every
// set's create line, then every set's members; render_family is, per table: begin, one
// declaration per chain, the hooks, every chain's rules, end.
void render_ipset_create(const IpSet& s, std::string& out);
void render_ipset_members(const IpSet& s, std::string& out);
void render_table_begin(Table t, std::string& out);
void render_chain_declaration(std::string_view chain, std::string& out);
void render_hooks(const std::vector<Hook>& hooks, std::string& out);
void render_chain_rules(const Chain& c, uint8_t family, std::string& out);
void render_table_end(std::string& out);

// The name iptables-save prints for a protocol ("tcp", "ipv6-icmp"), or its number.
std::string protocol_save_name(uint8_t proto, uint8_t family);

}  // namespace hepd::nf
