// SPDX-License-Identifier: GPL-2.0-or-later
// The benchmark workloads W1-W7 of PERFORMANCE.md, generated with a fixed seed as Calico YAML text,
// so that hepd in-process, `hepd print` and the restore contenders all read the same bytes.
//
// Header-only: the Makefile builds each bench/*_bench.cpp as its own program, and every one that
// needs workloads includes this file. It depends on nothing of hepd (plain C++ and POSIX), so the
// text it writes is an input, not a reflection of the code under test.
//
// What a workload is:
//
//   hepd.conf                 [hepd] node = bench-router, resource_dir = resources.d
//   resources.d/10-endpoints.yaml        HostEndpoints (this node's and other nodes')
//   resources.d/20-policies-NN.yaml      GlobalNetworkPolicies, 100 per file
//   links                     one `hepd print --link` argument per line: IFACE=IPV4,IPV6
//
// Shape (the PERFORMANCE.md table, with the choices it leaves open made here):
//
//   id  policies  endpoints (local)  links  rules per direction      peers of a rule
//   W1        10        1 (1)            1  1-3, ports only           -
//   W2       100       10 (8)           10  1-4, ingress only         nets 1-4 CIDRs, selectors
//   W3      1000       50 (40)          44  1-4, ingress and egress   nets 1-4, a quarter 5-100
//   W4  W3, then 100 churn events (port, CIDR add/remove, relabel, endpoint add/remove)
//   W5  W3 unchanged (a no-op resync)
//   W6  W3, then the tamper ops of tamper_ops()
//   W7        0        1 (1)            1  failsafe only
//
// - Rule selectors (`source.selector` of ingress rules, `destination.selector` of egress rules)
//   each select between 20% and 50% of all endpoints (checked, redrawn otherwise). They compile to
//   ipsets, so their breadth costs set members, not rules.
// - A policy's own `spec.selector` picks one role; every role has two endpoints (W1: one). That is
//   20% of the endpoints in W2 and 4% in W3. A policy that selected 20-50% of W3's 40 local
//   endpoints would be fanned out into ~15 endpoint chains per table and family (over 100k rules),
//   which no router would carry; see bench/README.md.
// - One endpoint in five belongs to another node (`peer-N`): it is not programmed here but its
//   expectedIPs feed the selector sets, as in Calico.
// - W2 and W3 have spare links (interfaces without an endpoint) that W4 adds endpoints to.
// - Addresses: endpoints 198.18.0.0/16 and 2001:db8:1::/48; rule nets 198.19.0.0/16 (prefix
//   16-32) and 2001:db8:8000::/33 (prefix 48-128), always masked as Calico requires.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace hepd_bench {

// ---- PRNG ------------------------------------------------------------------------------------

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence on every platform.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); the modulo bias is below 2^-40 for the n used here.
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    // Uniform in [lo, hi].
    int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1))); }
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

private:
    uint64_t s_;
};

inline constexpr uint64_t base_seed = 0x68657064'62656e63ULL;  // "hepdbenc"

// FNV-1a, to derive one seed per workload id.
inline uint64_t seed_for(std::string_view id) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : id) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
    return base_seed ^ h;
}

// ---- the workload as values ------------------------------------------------------------------

using LabelMap = std::map<std::string, std::string>;

// A selector as the generator builds it: an OR of ANDs of `key == v`, `key != v`, `key in {...}`.
// It is evaluated here (to check the hit fraction) and printed as Calico selector text.
struct SelAtom {
    enum Op { eq, ne, in } op = eq;
    std::string key;
    std::vector<std::string> values;
};
struct Selector {
    std::vector<std::vector<SelAtom>> any_of;  // empty: no selector

    bool empty() const { return any_of.empty(); }
    bool matches(const LabelMap& l) const {
        for (const auto& all : any_of) {
            bool ok = true;
            for (const auto& a : all) {
                auto it = l.find(a.key);
                const bool has = it != l.end();
                switch (a.op) {
                case SelAtom::eq: ok = has && it->second == a.values[0]; break;
                case SelAtom::ne: ok = !has || it->second != a.values[0]; break;
                case SelAtom::in:
                    ok = has && std::find(a.values.begin(), a.values.end(), it->second) != a.values.end();
                    break;
                }
                if (!ok) break;
            }
            if (ok) return true;
        }
        return false;
    }
    std::string text() const {
        std::string out;
        for (size_t i = 0; i < any_of.size(); ++i) {
            if (i) out += " || ";
            for (size_t j = 0; j < any_of[i].size(); ++j) {
                const SelAtom& a = any_of[i][j];
                if (j) out += " && ";
                if (a.op == SelAtom::in) {
                    out += a.key + " in {";
                    for (size_t k = 0; k < a.values.size(); ++k) out += (k ? ", '" : "'") + a.values[k] + "'";
                    out += "}";
                } else {
                    out += a.key + (a.op == SelAtom::eq ? " == '" : " != '") + a.values[0] + "'";
                }
            }
        }
        return out;
    }
};

struct Endpoint {
    std::string name;
    std::string node;
    std::string iface;
    LabelMap labels;
    std::string ip4, ip6;
};

struct PolicyRule {
    std::string action = "Allow";  // Allow, Deny
    std::string protocol;          // "TCP", "UDP" or "" (any; then no ports)
    std::vector<std::string> ports;  // destination ports: "443", "8000:8080"
    std::vector<std::string> nets;   // peer nets (source for ingress, destination for egress)
    Selector selector;               // peer selector
};

struct Policy {
    std::string name;
    std::optional<int> order;
    Selector selector;
    bool ingress_type = true;
    bool egress_type = false;
    std::vector<PolicyRule> ingress, egress;
    size_t file = 0;  // index of the 20-policies-NN.yaml file it lives in
};

struct Link {
    std::string name;
    std::vector<std::string> addrs;
};

struct File {
    std::string name;  // relative to resources.d
    std::string text;
};

// One tamper operation of W6, run as root inside the namespace where W3 was applied.
struct TamperOp {
    std::string what;
    std::string command;  // POSIX sh
    std::string repair;   // what the daemon must restore
};

struct Workload {
    std::string id;
    std::string title;
    std::string node = "bench-router";
    std::vector<Endpoint> endpoints;  // sorted by name when rendered
    std::vector<Policy> policies;
    std::vector<Link> links;
    size_t policy_files = 0;

    // Facts for the summary table.
    double rule_sel_min = 0, rule_sel_max = 0;      // hit fraction of rule selectors
    double policy_sel_min = 0, policy_sel_max = 0;  // hit fraction of policy selectors
    size_t local_endpoints() const {
        return static_cast<size_t>(std::count_if(endpoints.begin(), endpoints.end(),
                                                 [&](const Endpoint& e) { return e.node == node; }));
    }
};

inline constexpr size_t policies_per_file = 100;

// ---- generation ------------------------------------------------------------------------------

struct Shape {
    const char* id;
    const char* title;
    int policies;
    int endpoints;
    int local;        // of `endpoints`, on this node
    int spare_links;  // links without an endpoint
    bool ports_only;  // W1: no nets, no selectors
    bool egress;      // W3: egress rules and types too
    int rules_max;    // rules per direction: 1..rules_max
    int nets_max;     // largest nets list (a quarter of the lists are 5..nets_max when > 4)
};

inline const Shape* shape_of(std::string_view id) {
    static const Shape shapes[] = {
        {"W1", "10 policies, 1 endpoint, ports only", 10, 1, 1, 0, true, false, 3, 0},
        {"W2", "100 policies, 10 endpoints, ports + nets 1-4 + selectors", 100, 10, 8, 2, false, false, 4, 4},
        {"W3", "1000 policies, 50 endpoints, as W2 + nets up to 100, ingress and egress", 1000, 50, 40, 4, false,
         true, 4, 100},
        {"W7", "no policy, failsafe only", 0, 1, 1, 0, true, false, 0, 0},
    };
    for (const auto& s : shapes)
        if (id == s.id) return &s;
    return nullptr;
}

namespace detail {

inline std::string ip4_of(size_t i) {  // endpoint addresses: 198.18.0.1, ...
    return "198.18." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1);
}
inline std::string hex(uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
}
inline std::string ip6_of(size_t i) { return "2001:db8:1::" + hex(i + 1); }

// Label values: balanced over the endpoints (a shuffled round robin), so that `zone == 'z1'` hits
// about a third of them, `group == ...` a quarter, `site == ...` a fifth, `plane == ...` half.
struct LabelDim {
    const char* key;
    char letter;
    int values;
};
inline constexpr LabelDim dims[] = {{"zone", 'z', 3}, {"group", 'g', 4}, {"site", 's', 5}, {"plane", 'p', 2}};

inline std::string value(char letter, int v) { return std::string(1, letter) + std::to_string(v); }

inline LabelMap random_labels(Rng& rng, int roles) {
    LabelMap l;
    l["role"] = value('r', rng.range(0, roles - 1));
    for (const auto& d : dims) l[d.key] = value(d.letter, rng.range(0, d.values - 1));
    return l;
}

inline SelAtom atom(SelAtom::Op op, const char* key, std::vector<std::string> values) {
    return SelAtom{op, key, std::move(values)};
}

// One candidate rule selector (hit fraction checked by the caller).
inline Selector random_rule_selector(Rng& rng) {
    const auto& d = dims[rng.below(4)];
    auto v = [&](const LabelDim& dim) { return value(dim.letter, rng.range(0, dim.values - 1)); };
    Selector s;
    switch (rng.below(5)) {
    case 0:
    case 1: s.any_of = {{atom(SelAtom::eq, d.key, {v(d)})}}; break;
    case 2: {  // two of group's 4 or site's 5 values
        const auto& dd = rng.chance(0.5) ? dims[1] : dims[2];
        std::string a = v(dd), b = v(dd);
        while (b == a) b = v(dd);
        s.any_of = {{atom(SelAtom::in, dd.key, {a, b})}};
        break;
    }
    case 3: s.any_of = {{atom(SelAtom::eq, "zone", {v(dims[0])})}, {atom(SelAtom::eq, "site", {v(dims[2])})}}; break;
    default:
        s.any_of = {{atom(SelAtom::eq, "plane", {v(dims[3])}), atom(SelAtom::ne, "zone", {v(dims[0])})}};
        break;
    }
    return s;
}

inline double hit_fraction(const Selector& s, const std::vector<Endpoint>& eps) {
    if (eps.empty()) return 0;
    size_t n = 0;
    for (const auto& e : eps) n += s.matches(e.labels) ? 1 : 0;
    return static_cast<double>(n) / static_cast<double>(eps.size());
}

// A rule selector hitting 20-50% of the endpoints (redrawn until it does; with fewer than five
// endpoints no selector can, and the last draw is kept).
inline Selector rule_selector(Rng& rng, const std::vector<Endpoint>& eps) {
    Selector s;
    for (int tries = 0; tries < 50; ++tries) {
        s = random_rule_selector(rng);
        const double f = hit_fraction(s, eps);
        if (f >= 0.2 && f <= 0.5) break;
    }
    return s;
}

inline const int common_ports[] = {22, 53, 67, 80, 123, 179, 443, 853, 1194, 1883, 2379, 3000, 3306, 5060,
                                   5353, 5432, 6443, 8080, 8443, 9100, 10250, 51820};

inline std::string random_port(Rng& rng) {
    if (rng.chance(0.15)) {
        const int a = rng.range(1024, 60000);
        return std::to_string(a) + ":" + std::to_string(a + rng.range(1, 500));
    }
    if (rng.chance(0.6)) return std::to_string(common_ports[rng.below(std::size(common_ports))]);
    return std::to_string(rng.range(1024, 65535));
}

// A masked CIDR from the rule-net ranges.
inline std::string random_cidr(Rng& rng, bool v6) {
    if (!v6) {
        const int prefix = rng.range(16, 32);
        uint32_t a = (198u << 24) | (19u << 16) | static_cast<uint32_t>(rng.below(1u << 16));
        if (prefix < 32) a &= ~((1u << (32 - prefix)) - 1);
        return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
               "." + std::to_string(a & 255) + "/" + std::to_string(prefix);
    }
    // 2001:db8:8000::/33 .. /128: groups 3-8 random, masked to the prefix.
    const int prefix = rng.range(48, 128);
    uint16_t g[8] = {0x2001, 0x0db8, static_cast<uint16_t>(0x8000 | rng.below(0x8000)), 0, 0, 0, 0, 0};
    for (int i = 3; i < 8; ++i) g[i] = static_cast<uint16_t>(rng.below(0x10000));
    for (int bit = prefix; bit < 128; ++bit) g[bit / 16] &= static_cast<uint16_t>(~(0x8000u >> (bit % 16)));
    // RFC 5952: compress the longest run (>= 2) of zero groups.
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ":";
        out += hex(g[i]);
    }
    return out + "/" + std::to_string(prefix);
}

inline std::vector<std::string> random_nets(Rng& rng, int nets_max, bool v6) {
    int n = rng.range(1, std::min(4, nets_max));
    if (nets_max > 4 && rng.chance(0.25)) n = rng.range(5, nets_max);
    std::vector<std::string> out;
    std::set<std::string> seen;
    while (static_cast<int>(out.size()) < n) {
        std::string c = random_cidr(rng, v6);
        if (seen.insert(c).second) out.push_back(std::move(c));
    }
    return out;
}

inline PolicyRule random_rule(Rng& rng, const Shape& sh, const std::vector<Endpoint>& eps) {
    PolicyRule r;
    r.action = rng.chance(sh.ports_only ? 0.1 : 0.15) ? "Deny" : "Allow";
    const double p = rng.next() % 100 / 100.0;
    r.protocol = sh.ports_only ? (p < 0.7 ? "TCP" : "UDP") : p < 0.6 ? "TCP" : p < 0.9 ? "UDP" : "";
    if (!r.protocol.empty()) {
        const int n = rng.range(1, 4);
        for (int i = 0; i < n; ++i) r.ports.push_back(random_port(rng));
    }
    if (sh.ports_only) return r;
    const double q = rng.next() % 100 / 100.0;
    const bool nets = q < 0.45 || (q >= 0.75 && q < 0.8);
    const bool sel = q >= 0.45 && q < 0.8;
    if (nets) r.nets = random_nets(rng, sh.nets_max, rng.chance(0.25));
    if (sel) r.selector = rule_selector(rng, eps);
    return r;
}

inline void note_fraction(double f, double& lo, double& hi, bool& first) {
    if (first) {
        lo = hi = f;
        first = false;
    }
    lo = std::min(lo, f);
    hi = std::max(hi, f);
}

}  // namespace detail

// Adds one endpoint with the next free address index; `iface` empty picks "ethN".
inline Endpoint make_endpoint(Rng& rng, size_t index, const std::string& node, const std::string& iface,
                              int roles) {
    Endpoint e;
    e.node = node;
    e.iface = iface;
    e.name = node + "-" + iface;
    e.labels = detail::random_labels(rng, roles);
    e.ip4 = detail::ip4_of(index);
    e.ip6 = detail::ip6_of(index);
    return e;
}

// W1, W2, W3, W7 (W4-W6 are W3 plus what churn() and tamper_ops() describe).
inline Workload generate(std::string_view id) {
    std::string_view base_id = id;
    if (id == "W4" || id == "W5" || id == "W6") base_id = "W3";
    const Shape* shp = shape_of(base_id);
    if (!shp) return Workload{};
    const Shape& sh = *shp;
    Rng rng(seed_for(base_id));
    Workload w;
    w.id = std::string(id);
    w.title = id == "W4"   ? "W3 + 100 churn events"
              : id == "W5" ? "W3 unchanged (no-op resync)"
              : id == "W6" ? "W3, tampered"
                           : sh.title;

    // Roles: two endpoints each, assigned as a shuffled round robin, so every role is used.
    const int roles = std::max(1, sh.endpoints / 2);
    std::vector<int> role_of(static_cast<size_t>(sh.endpoints));
    for (int i = 0; i < sh.endpoints; ++i) role_of[static_cast<size_t>(i)] = i % roles;
    rng.shuffle(role_of);
    // The other label dimensions: balanced too.
    std::vector<std::vector<int>> dim_of;
    for (const auto& d : detail::dims) {
        std::vector<int> v(static_cast<size_t>(sh.endpoints));
        for (int i = 0; i < sh.endpoints; ++i) v[static_cast<size_t>(i)] = i % d.values;
        rng.shuffle(v);
        dim_of.push_back(std::move(v));
    }
    for (int i = 0; i < sh.endpoints; ++i) {
        const bool local = i < sh.local;
        const std::string node = local ? w.node : "peer-" + std::to_string((i - sh.local) % 5 + 1);
        const std::string iface = "eth" + std::to_string(local ? i : (i - sh.local) / 5);
        Endpoint e = make_endpoint(rng, static_cast<size_t>(i), node, iface, roles);
        e.labels["role"] = detail::value('r', role_of[static_cast<size_t>(i)]);
        for (size_t d = 0; d < std::size(detail::dims); ++d)
            e.labels[detail::dims[d].key] = detail::value(detail::dims[d].letter, dim_of[d][static_cast<size_t>(i)]);
        if (local) w.links.push_back(Link{iface, {e.ip4, e.ip6}});
        w.endpoints.push_back(std::move(e));
    }
    // Spare links: interfaces of this node without an endpoint (W4 adds endpoints to them).
    for (int i = 0; i < sh.spare_links; ++i) {
        const size_t index = static_cast<size_t>(sh.endpoints + i);
        w.links.push_back(Link{"eth" + std::to_string(sh.local + i), {detail::ip4_of(index), detail::ip6_of(index)}});
    }

    bool first_rule = true, first_policy = true;
    for (int i = 0; i < sh.policies; ++i) {
        Policy p;
        char name[32];
        std::snprintf(name, sizeof name, "bench-%04d", i);
        p.name = name;
        p.file = static_cast<size_t>(i) / policies_per_file;
        if (!rng.chance(0.1)) p.order = rng.range(1, 2000);
        p.selector.any_of = {{detail::atom(SelAtom::eq, "role", {detail::value('r', rng.range(0, roles - 1))})}};
        detail::note_fraction(detail::hit_fraction(p.selector, w.endpoints), w.policy_sel_min, w.policy_sel_max,
                              first_policy);
        if (sh.egress) {
            const int t = rng.range(0, 9);  // 40% ingress, 20% egress, 40% both
            p.ingress_type = t < 4 || t >= 6;
            p.egress_type = t >= 4;
        }
        auto rules = [&](std::vector<PolicyRule>& out) {
            const int n = rng.range(1, sh.rules_max);
            for (int k = 0; k < n; ++k) {
                out.push_back(detail::random_rule(rng, sh, w.endpoints));
                if (!out.back().selector.empty())
                    detail::note_fraction(detail::hit_fraction(out.back().selector, w.endpoints), w.rule_sel_min,
                                          w.rule_sel_max, first_rule);
            }
        };
        if (p.ingress_type) rules(p.ingress);
        if (p.egress_type) rules(p.egress);
        w.policies.push_back(std::move(p));
    }
    w.policy_files = (w.policies.size() + policies_per_file - 1) / policies_per_file;
    return w;
}

// ---- YAML ------------------------------------------------------------------------------------

inline std::string conf_text(const Workload& w) {
    return "; hepd bench workload " + w.id + ": " + w.title + " (generated by bench/workload.hpp)\n" +
           "[hepd]\nnode = " + w.node + "\nresource_dir = resources.d\nipv6 = true\n\n[global]\n" +
           "; built-in failsafes and defaults\n";
}

inline std::string links_text(const Workload& w) {
    std::string out;
    for (const auto& l : w.links) {
        out += l.name;
        for (size_t i = 0; i < l.addrs.size(); ++i) out += (i ? "," : "=") + l.addrs[i];
        out += "\n";
    }
    return out;
}

inline std::string endpoints_yaml(const Workload& w) {
    std::vector<const Endpoint*> eps;
    for (const auto& e : w.endpoints) eps.push_back(&e);
    std::sort(eps.begin(), eps.end(), [](const Endpoint* a, const Endpoint* b) { return a->name < b->name; });
    std::string out;
    for (const Endpoint* e : eps) {
        out += "---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: " + e->name +
               "\n  labels:\n";
        for (const auto& [k, v] : e->labels) out += "    " + k + ": " + v + "\n";
        out += "spec:\n  node: " + e->node + "\n  interfaceName: " + e->iface + "\n  expectedIPs:\n  - " + e->ip4 +
               "\n  - " + e->ip6 + "\n";
    }
    return out;
}

inline void rules_yaml(std::string& out, const char* key, const std::vector<PolicyRule>& rules, bool ingress) {
    if (rules.empty()) return;
    out += "  " + std::string(key) + ":\n";
    for (const auto& r : rules) {
        out += "  - action: " + r.action + "\n";
        if (!r.protocol.empty()) out += "    protocol: " + r.protocol + "\n";
        std::string peer;
        if (!r.selector.empty()) peer += "      selector: \"" + r.selector.text() + "\"\n";
        if (!r.nets.empty()) {
            peer += "      nets:\n";
            for (const auto& n : r.nets) peer += "      - " + n + "\n";
        }
        std::string ports;
        if (!r.ports.empty()) {
            ports += "      ports:\n";
            for (const auto& p : r.ports)
                ports += p.find(':') == std::string::npos ? "      - " + p + "\n" : "      - \"" + p + "\"\n";
        }
        if (ingress) {
            if (!peer.empty()) out += "    source:\n" + peer;
            if (!ports.empty()) out += "    destination:\n" + ports;
        } else if (!peer.empty() || !ports.empty()) {
            out += "    destination:\n" + peer + ports;
        }
    }
}

inline std::string policy_yaml(const Policy& p) {
    std::string out = "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: " + p.name +
                      "\nspec:\n";
    if (p.order) out += "  order: " + std::to_string(*p.order) + "\n";
    out += "  selector: \"" + p.selector.text() + "\"\n  types:\n";
    if (p.ingress_type) out += "  - Ingress\n";
    if (p.egress_type) out += "  - Egress\n";
    rules_yaml(out, "ingress", p.ingress, true);
    rules_yaml(out, "egress", p.egress, false);
    return out;
}

inline std::string policy_file_name(size_t file) {
    return std::string(file < 10 ? "20-policies-0" : "20-policies-") + std::to_string(file) + ".yaml";
}

inline std::string policies_yaml(const Workload& w, size_t file) {
    std::string out;
    for (const auto& p : w.policies)
        if (p.file == file) out += policy_yaml(p);
    return out;
}

inline constexpr const char* endpoints_file = "10-endpoints.yaml";

// Every resource file of the workload, in name order.
inline std::vector<File> files_of(const Workload& w) {
    std::vector<File> out;
    out.push_back(File{endpoints_file, endpoints_yaml(w)});
    for (size_t f = 0; f < w.policy_files; ++f) out.push_back(File{policy_file_name(f), policies_yaml(w, f)});
    return out;
}

// ---- W4: churn -------------------------------------------------------------------------------

struct ChurnEvent {
    int index = 0;      // 1..n
    std::string kind;   // port, cidr-add, cidr-remove, relabel, endpoint-add, endpoint-remove
    std::string what;   // one line for humans
    std::string file;   // the one resource file that changed (its new text is in the sink's state)
};

// Applies `n` churn events to `w` (a W3), one at a time; after each, `sink(event, state)` sees
// the event and the workload as it now is (render the changed file from it). Events are drawn
// with weights: port 20, cidr-add 20, cidr-remove 15, relabel 20, endpoint-add 12,
// endpoint-remove 13. Each changes exactly one file.
inline void churn(Workload w, int n, const std::function<void(const ChurnEvent&, const Workload&)>& sink) {
    Rng rng(seed_for("W4-churn"));
    const int roles = std::max(1, static_cast<int>(w.endpoints.size()) / 2);
    size_t next_index = w.endpoints.size() + w.links.size();  // fresh addresses for new remote endpoints
    auto rules_where = [&](auto pred) {
        std::vector<std::pair<size_t, PolicyRule*>> out;  // policy index, rule
        for (size_t i = 0; i < w.policies.size(); ++i) {
            for (auto* list : {&w.policies[i].ingress, &w.policies[i].egress})
                for (auto& r : *list)
                    if (pred(r)) out.emplace_back(i, &r);
        }
        return out;
    };
    for (int k = 1; k <= n; ++k) {
        ChurnEvent ev;
        ev.index = k;
        const int roll = rng.range(0, 99);
        ev.kind = roll < 20 ? "port" : roll < 40 ? "cidr-add" : roll < 55 ? "cidr-remove" : roll < 75 ? "relabel"
                : roll < 87 ? "endpoint-add" : "endpoint-remove";
        // A kind with nothing to act on (no rule with ports, no list of two nets, no endpoint
        // left) becomes a relabel or an endpoint-add.
        if ((ev.kind == "port" && rules_where([](const PolicyRule& r) { return !r.ports.empty(); }).empty()) ||
            (ev.kind == "cidr-add" && rules_where([](const PolicyRule& r) { return !r.nets.empty(); }).empty()) ||
            (ev.kind == "cidr-remove" && rules_where([](const PolicyRule& r) { return r.nets.size() >= 2; }).empty()))
            ev.kind = "relabel";
        if (w.endpoints.empty() && (ev.kind == "relabel" || ev.kind == "endpoint-remove")) ev.kind = "endpoint-add";
        if (ev.kind == "port") {
            auto c = rules_where([](const PolicyRule& r) { return !r.ports.empty(); });
            auto& [pi, r] = c[rng.below(c.size())];
            std::string& port = r->ports[rng.below(r->ports.size())];
            const std::string old = port;
            while (port == old) port = detail::random_port(rng);
            ev.what = w.policies[pi].name + ": port " + old + " -> " + port;
            ev.file = policy_file_name(w.policies[pi].file);
        } else if (ev.kind == "cidr-add" || ev.kind == "cidr-remove") {
            const size_t min = ev.kind == "cidr-add" ? 1 : 2;
            auto c = rules_where([&](const PolicyRule& r) { return r.nets.size() >= min; });
            auto& [pi, r] = c[rng.below(c.size())];
            const bool v6 = r->nets[0].find(':') != std::string::npos;
            if (ev.kind == "cidr-add") {
                std::string cidr;
                do cidr = detail::random_cidr(rng, v6);
                while (std::find(r->nets.begin(), r->nets.end(), cidr) != r->nets.end());
                r->nets.push_back(cidr);
                ev.what = w.policies[pi].name + ": nets + " + cidr + " (now " + std::to_string(r->nets.size()) + ")";
            } else {
                const size_t at = rng.below(r->nets.size());
                ev.what = w.policies[pi].name + ": nets - " + r->nets[at] + " (now " +
                          std::to_string(r->nets.size() - 1) + ")";
                r->nets.erase(r->nets.begin() + static_cast<long>(at));
            }
            ev.file = policy_file_name(w.policies[pi].file);
        } else if (ev.kind == "relabel") {
            Endpoint& e = w.endpoints[rng.below(w.endpoints.size())];
            const size_t d = rng.below(std::size(detail::dims) + 1);
            const char* key = d == std::size(detail::dims) ? "role" : detail::dims[d].key;
            const char letter = d == std::size(detail::dims) ? 'r' : detail::dims[d].letter;
            const int values = d == std::size(detail::dims) ? roles : detail::dims[d].values;
            const std::string old = e.labels[key];
            while (e.labels[key] == old && values > 1) e.labels[key] = detail::value(letter, rng.range(0, values - 1));
            ev.what = e.name + ": " + key + " " + old + " -> " + e.labels[key];
            ev.file = endpoints_file;
        } else if (ev.kind == "endpoint-add") {
            // A spare local link (no endpoint on it) if there is one, else another node's endpoint.
            std::vector<const Link*> spare;
            for (const auto& l : w.links) {
                bool used = std::any_of(w.endpoints.begin(), w.endpoints.end(),
                                        [&](const Endpoint& e) { return e.node == w.node && e.iface == l.name; });
                if (!used) spare.push_back(&l);
            }
            Endpoint e;
            if (!spare.empty()) {
                const Link& l = *spare[rng.below(spare.size())];
                e = make_endpoint(rng, 0, w.node, l.name, roles);
                e.ip4 = l.addrs[0];
                e.ip6 = l.addrs[1];
            } else {
                const std::string node = "peer-" + std::to_string(rng.range(6, 9));
                std::string iface;
                do iface = "eth" + std::to_string(rng.range(0, 15));
                while (std::any_of(w.endpoints.begin(), w.endpoints.end(),
                                   [&](const Endpoint& x) { return x.name == node + "-" + iface; }));
                e = make_endpoint(rng, next_index++, node, iface, roles);
            }
            ev.what = "+ endpoint " + e.name + (e.node == w.node ? " (this node)" : " (other node)");
            w.endpoints.push_back(std::move(e));
            ev.file = endpoints_file;
        } else {
            const size_t at = rng.below(w.endpoints.size());
            ev.what = "- endpoint " + w.endpoints[at].name +
                      (w.endpoints[at].node == w.node ? " (this node)" : " (other node)");
            w.endpoints.erase(w.endpoints.begin() + static_cast<long>(at));
            ev.file = endpoints_file;
        }
        sink(ev, w);
    }
}

// The text of `file` in workload state `w`.
inline std::string file_text(const Workload& w, const std::string& file) {
    if (file == endpoints_file) return endpoints_yaml(w);
    for (size_t f = 0; f < w.policy_files; ++f)
        if (policy_file_name(f) == file) return policies_yaml(w, f);
    return {};
}

// ---- W6: tamper ------------------------------------------------------------------------------

// The three tampers of PERFORMANCE.md W6, in the order they are applied after W3 is in place.
inline std::vector<TamperOp> tamper_ops() {
    return {
        {"flush a hepd chain (the ingress endpoint chain of eth0, IPv4 filter)",
         "iptables-legacy -t filter -F hepd-fh-eth0",
         "the chain's rules are back (size-changing: the table's entry count drops)"},
        {"a foreign rule at the top of INPUT",
         "iptables-legacy -t filter -I INPUT 1 -s 198.18.255.254/32 -j ACCEPT",
         "hepd's jump is first in INPUT again (ChainInsertMode insert); the foreign rule stays, below it"},
        {"ipset flush of one hepd set (the first `ipset list -n` names)",
         "set=$(ipset list -n | grep '^hepd' | head -n 1); [ -z \"$set\" ] || ipset flush \"$set\"",
         "the set's members are back (no table commit needed)"},
    };
}

inline std::string tamper_script(const Workload& w) {
    std::string out = "#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0-or-later\n# " + w.id + ": " + w.title +
                      ". Run as root inside the namespace where hepd applied W3:\n"
                      "#   ip netns exec NS sh tamper.sh\n# Each op is followed by what the daemon must repair.\n"
                      "set -u\n";
    for (const auto& op : tamper_ops())
        out += "\n# " + op.what + "\n# repair: " + op.repair + "\n" + op.command + "\n";
    return out;
}

// ---- writing ---------------------------------------------------------------------------------

inline bool make_dir(const std::string& path) { return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

inline bool write_text(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), std::strerror(errno));
        return false;
    }
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    return std::fclose(f) == 0 && ok;
}

// Writes DIR/ID/{hepd.conf,links,resources.d/*.yaml} and, for W4, events/NNN/{event.txt,FILE}
// plus events.txt (one line per event: index, kind, file, what; `events` of them, numbered with
// four digits when there are over 999); for W6 tamper.sh. An event's
// directory holds the full new text of the one file it changed: copy it over resources.d/ to
// apply the event (events are cumulative, apply them in order). Returns false on an I/O error.
inline bool write_workload(const std::string& dir, std::string_view id, int events = 100) {
    const Workload w = generate(id);
    if (w.id.empty()) {
        std::fprintf(stderr, "unknown workload '%.*s' (W1..W7)\n", static_cast<int>(id.size()), id.data());
        return false;
    }
    const std::string root = dir + "/" + w.id;
    bool ok = make_dir(dir) && make_dir(root) && make_dir(root + "/resources.d");
    ok = ok && write_text(root + "/hepd.conf", conf_text(w)) && write_text(root + "/links", links_text(w));
    for (const auto& f : files_of(w)) ok = ok && write_text(root + "/resources.d/" + f.name, f.text);
    std::string about = w.id + ": " + w.title + "\n";
    if (id == "W4") {
        ok = ok && make_dir(root + "/events");
        std::string index;
        churn(w, events, [&](const ChurnEvent& ev, const Workload& state) {
            char num[16];
            std::snprintf(num, sizeof num, events > 999 ? "%04d" : "%03d", ev.index);
            const std::string ed = root + "/events/" + num;
            ok = ok && make_dir(ed) && write_text(ed + "/" + ev.file, file_text(state, ev.file)) &&
                 write_text(ed + "/event.txt", ev.kind + " " + ev.file + " " + ev.what + "\n");
            index += std::string(num) + " " + ev.kind + " " + ev.file + " " + ev.what + "\n";
        });
        ok = ok && write_text(root + "/events.txt", index);
        about += "events/NNN/ holds the one file event NNN changed (full text); copy it over resources.d/, "
                 "in order.\n";
    } else if (id == "W5") {
        about += "Apply, then apply again: the second apply must write nothing.\n";
    } else if (id == "W6") {
        ok = ok && write_text(root + "/tamper.sh", tamper_script(w));
        about += "Apply, then run tamper.sh inside the namespace; the daemon must repair each op.\n";
    }
    ok = ok && write_text(root + "/README", about);
    return ok;
}

inline const std::vector<std::string>& all_ids() {
    static const std::vector<std::string> ids = {"W1", "W2", "W3", "W4", "W5", "W6", "W7"};
    return ids;
}

}  // namespace hepd_bench
