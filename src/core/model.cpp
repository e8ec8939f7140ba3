// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>

#include "hepd/model.hpp"
#include "hepd/selector.hpp"

namespace hepd {

namespace {

// Calico's within-tier key for equal orders: NAME + "/" + NAMESPACE + "/" + KIND, compared byte
// by byte. For global policies the namespace is empty, so "a-b" sorts before "a" ('-' < '/').
// Compared here without building the keys (sorting 1000 policies compares them 10,000 times).
constexpr std::string_view tie_suffix = "//GlobalNetworkPolicy";

bool tie_key_less(const std::string& a, const std::string& b) {
    auto at = [](const std::string& name, size_t i) -> unsigned char {
        return static_cast<unsigned char>(i < name.size() ? name[i] : tie_suffix[i - name.size()]);
    };
    const size_t na = a.size() + tie_suffix.size(), nb = b.size() + tie_suffix.size();
    for (size_t i = 0; i < na && i < nb; ++i) {
        if (at(a, i) != at(b, i)) return at(a, i) < at(b, i);
    }
    return na < nb;
}

template <class T>
void sort_by_name(std::vector<T>& v) {
    std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.name < b.name; });
}

// `sorted` is sorted by name with a stable sort of the load order, so the first of a run of equal
// names is the definition that was read first; every later one is reported, naming that one.
template <class T>
void report_duplicates(const std::vector<const T*>& sorted, std::string_view kind, Diagnostics& diags) {
    size_t run = 0;
    for (size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i]->name != sorted[run]->name) {
            run = i;
            continue;
        }
        const Location& first = sorted[run]->where;
        const std::string there = first.file == sorted[i]->where.file && first.line > 0
                                      ? "line " + std::to_string(first.line)
                                      : first.format();
        diags.error(sorted[i]->where, std::string(kind) + " '" + sorted[i]->name + "' is already defined at " + there +
                                          "; names must be unique");
    }
}

// The elements of v, in v's order (for report_duplicates on a vector already sorted by name).
template <class T>
std::vector<const T*> pointers(const std::vector<T>& v) {
    std::vector<const T*> out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(&x);
    return out;
}

Rule allow_all_rule(const Location& where) {
    Rule r;
    r.action = Action::allow;
    r.where = where;
    return r;
}

}  // namespace

bool policy_less(const GlobalNetworkPolicy& a, const GlobalNetworkPolicy& b) {
    constexpr double last = std::numeric_limits<double>::infinity();
    const double oa = a.order.value_or(last);
    const double ob = b.order.value_or(last);
    if (oa != ob) return oa < ob;
    return tie_key_less(a.name, b.name);
}

const Profile* Model::find_profile(std::string_view name) const {
    auto it = std::lower_bound(profiles.begin(), profiles.end(), name,
                               [](const Profile& p, std::string_view n) { return p.name < n; });
    if (it != profiles.end() && it->name == name) return &*it;
    // Before finish_model the vector may be unsorted.
    for (const auto& p : profiles)
        if (p.name == name) return &p;
    return nullptr;
}

size_t Model::resource_count() const {
    return host_endpoints.size() + policies.size() + network_sets.size() + profiles.size() + felix_configs.size();
}

Labels effective_labels(const HostEndpoint& hep, const Model& model) {
    Labels out = hep.labels;
    for (const auto& name : hep.profiles) {
        const Profile* p = model.find_profile(name);
        if (!p) continue;
        for (const auto& [k, v] : p->labels_to_apply) out.set_default(k, v);
    }
    return out;
}

std::string GlobalNetworkPolicy::effective_selector() const {
    if (namespace_selector.empty()) return selector;
    Diagnostics ignored;
    auto ns = Selector::parse(namespace_selector, ignored);
    std::string rewritten = ns ? ns->with_prefixed_labels("pcns.", "projectcalico.org/namespace") : "all()";
    std::string base = selector.empty() ? "all()" : selector;
    return "(" + base + ") && (" + rewritten + ")";
}

void finish_model(Model& model, Diagnostics& diags) {
    sort_by_name(model.host_endpoints);
    sort_by_name(model.network_sets);
    for (const auto& p : model.profiles) {
        if (p.name == default_allow_profile && !p.builtin)
            diags.error(p.where, std::string("Profile '") + default_allow_profile +
                                     "' is built in (one Allow rule each way) and cannot be redefined; choose another "
                                     "name");
    }
    std::erase_if(model.profiles, [](const Profile& p) { return p.name == default_allow_profile; });
    Profile allow;
    allow.name = default_allow_profile;
    allow.builtin = true;
    allow.where = Location{"<built-in>", 0, 0};
    allow.ingress.push_back(allow_all_rule(allow.where));
    allow.egress.push_back(allow_all_rule(allow.where));
    model.profiles.push_back(std::move(allow));
    sort_by_name(model.profiles);

    // Duplicate policies are found in name order (stable, so the first read comes first);
    // evaluation order differs.
    std::vector<const GlobalNetworkPolicy*> by_name = pointers(model.policies);
    std::stable_sort(by_name.begin(), by_name.end(),
                     [](const GlobalNetworkPolicy* a, const GlobalNetworkPolicy* b) { return a->name < b->name; });
    report_duplicates(pointers(model.host_endpoints), "HostEndpoint", diags);
    report_duplicates(by_name, "GlobalNetworkPolicy", diags);
    report_duplicates(pointers(model.network_sets), "GlobalNetworkSet", diags);
    report_duplicates(pointers(model.profiles), "Profile", diags);
    // Duplicate FelixConfiguration names are reported by resolve_felix_params.

    std::stable_sort(model.policies.begin(), model.policies.end(), policy_less);

    for (const auto& h : model.host_endpoints) {
        for (const auto& name : h.profiles) {
            if (!model.find_profile(name))
                diags.warning(h.where, "HostEndpoint '" + h.name + "' lists profile '" + name +
                                           "', which is not defined: as in Calico, it denies all traffic");
        }
    }
    // load_object refuses resources beyond the limit as they come, so this holds already; the
    // built-in profile does not count.
    const size_t user = model.resource_count() - 1;
    if (user > ModelLimits::max_resources)
        diags.error(Location{}, "too many resources: " + std::to_string(user) + ", the limit is " +
                                    std::to_string(ModelLimits::max_resources));
}

}  // namespace hepd
