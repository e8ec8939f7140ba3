// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the resource loader: arbitrary bytes -> load_resources -> finish_model.
// Beyond "no crash, no leak, no UB" it checks what the compiler and `hepd check` rely on:
//   - every diagnostic names the file and has a position (whole-file problems excepted);
//   - loading is deterministic (the same input gives the same report);
//   - an input without errors gives a model the compiler can trust: names valid and unique per
//     kind, policies in Calico's order, rules within the limits and self-consistent (ports only
//     with a port protocol, one IP family, ICMP matches only with an ICMP protocol, no /0 in
//     notNets), selectors that parse, the built-in profile exactly once.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/model.hpp"
#include "hepd/selector.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

void check_selector(const std::string& s) {
    if (s.empty()) return;
    CHECK(s.size() <= hepd::ModelLimits::max_selector);
    hepd::Diagnostics d;
    CHECK(hepd::Selector::parse(s, d).has_value());
}

void check_rules(const std::vector<hepd::Rule>& rules) {
    CHECK(rules.size() <= hepd::ModelLimits::max_rules);
    for (const auto& r : rules) {
        CHECK(r.where.line >= 1 || r.where.file == "<built-in>");
        CHECK(r.ip_version == 0 || r.ip_version == 4 || r.ip_version == 6);
        if (r.protocol) CHECK(r.protocol->number >= 1);
        const bool icmp = r.protocol && (r.protocol->is_icmp() || r.protocol->is_icmpv6());
        if (r.icmp || r.not_icmp) CHECK(icmp);
        for (const auto* m : {&r.icmp, &r.not_icmp}) {
            if (!*m) continue;
            if ((*m)->code) CHECK((*m)->type.has_value());
            if ((*m)->type) CHECK(*(*m)->type <= 254);
        }
        if (r.protocol && r.protocol->is_icmp()) CHECK(r.ip_version != 6);
        if (r.protocol && r.protocol->is_icmpv6()) CHECK(r.ip_version != 4);
        uint8_t family = 0;
        for (const auto* e : {&r.source, &r.destination}) {
            check_selector(e->selector);
            check_selector(e->not_selector);
            CHECK(e->nets.size() <= hepd::ModelLimits::max_nets && e->not_nets.size() <= hepd::ModelLimits::max_nets);
            CHECK(e->ports.size() <= hepd::ModelLimits::max_ports && e->not_ports.size() <= hepd::ModelLimits::max_ports);
            for (const auto* nets : {&e->nets, &e->not_nets}) {
                for (const auto& c : *nets) {
                    CHECK(c.is_network());
                    if (family == 0) family = c.family();
                    CHECK(c.family() == family);
                }
            }
            for (const auto& c : e->not_nets) CHECK(c.prefix != 0);
            for (const auto* ports : {&e->ports, &e->not_ports}) {
                for (const auto& p : *ports) {
                    if (p.is_named()) {
                        CHECK(p.first == 0 && p.last == 0);
                        CHECK(!r.protocol || r.protocol->supports_ports());
                    } else {
                        CHECK(p.first >= 1 && p.first <= p.last);
                        CHECK(r.protocol && r.protocol->supports_ports());
                    }
                }
            }
        }
        if (family != 0 && r.ip_version != 0) CHECK(family == r.ip_version);
    }
}

template <class T>
void check_names(const std::vector<T>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
        CHECK(!v[i].name.empty() && v[i].name.size() <= 253);
        if (i) CHECK(v[i - 1].name < v[i].name);  // sorted and unique
    }
}

void check_model(const hepd::Model& m) {
    CHECK(m.resource_count() <= hepd::ModelLimits::max_resources + 1);
    check_names(m.host_endpoints);
    check_names(m.network_sets);
    check_names(m.profiles);
    CHECK(std::count_if(m.profiles.begin(), m.profiles.end(), [](const hepd::Profile& p) { return p.builtin; }) == 1);
    for (size_t i = 1; i < m.policies.size(); ++i) CHECK(!hepd::policy_less(m.policies[i], m.policies[i - 1]));
    for (const auto& h : m.host_endpoints) {
        CHECK(!h.node.empty());
        CHECK(!h.interface_name.empty() || !h.expected_ips.empty());
        for (const auto& p : h.ports) CHECK(p.port >= 1 && p.protocol.supports_ports() && !p.name.empty());
        (void)hepd::effective_labels(h, m);
    }
    for (const auto& p : m.policies) {
        CHECK(p.ingress_type || p.egress_type);
        CHECK(!(p.do_not_track && p.pre_dnat));
        if (p.do_not_track || p.pre_dnat) CHECK(p.apply_on_forward);
        if (p.pre_dnat) CHECK(p.egress.empty() && !p.egress_type);
        check_selector(p.selector);
        check_selector(p.namespace_selector);
        hepd::Diagnostics d;
        CHECK(hepd::Selector::parse(p.effective_selector(), d).has_value());
        check_rules(p.ingress);
        check_rules(p.egress);
    }
    for (const auto& p : m.profiles) {
        check_rules(p.ingress);
        check_rules(p.egress);
    }
    for (const auto& s : m.network_sets) {
        CHECK(s.nets.size() <= hepd::ModelLimits::max_gns_nets);
        for (const auto& c : s.nets) CHECK(c.is_network());
    }
}

std::string run(std::string_view text, hepd::Model& m) {
    hepd::Diagnostics d;
    hepd::load_resources(text, "fuzz.yaml", m, d);
    hepd::finish_model(m, d);
    for (const auto& item : d.items()) {
        CHECK(!item.message.empty());
        CHECK(item.message.find('\n') == std::string::npos);
        CHECK(item.where.file == "fuzz.yaml");
        const bool whole_file = item.message.starts_with("no resources") || item.message.starts_with("file is");
        CHECK(whole_file || (item.where.line >= 1 && item.where.col >= 1));
    }
    if (!d.has_errors()) check_model(m);
    return d.format();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    hepd::Model a, b;
    CHECK(run(text, a) == run(text, b));
    return 0;
}
