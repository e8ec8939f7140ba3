// SPDX-License-Identifier: GPL-2.0-or-later
// The workloads W1-W7 (bench/workload.hpp): a summary of what each one holds, or the files.
//
//   workload_bench                     summary table (make bench); each workload is also loaded
//                                      through hepd's validation, and its diagnostics counted
//   workload_bench --write DIR [ID...] [--events N]
//                                      writes DIR/ID/{hepd.conf,links,resources.d/,...} for the
//                                      given workloads (default all), for `hepd print` and the
//                                      shell contenders; W4 gets N churn events (default 100)
//   workload_bench --maxrss CMD [ARG...]
//                                      runs CMD, then prints "maxrss_kb=N" on stderr (ru_maxrss,
//                                      as GNU time's %M): restore_bench.sh's fallback when
//                                      /usr/bin/time is missing
//
// Prints figures, asserts nothing.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"
#include "workload.hpp"

namespace {

using namespace hepd_bench;

struct Summary {
    size_t rules = 0, nets_lists = 0, cidrs = 0, largest = 0, selectors = 0, ports = 0;
};

Summary summarize(const Workload& w) {
    Summary s;
    for (const auto& p : w.policies) {
        for (const auto* list : {&p.ingress, &p.egress}) {
            for (const auto& r : *list) {
                ++s.rules;
                s.ports += r.ports.size();
                if (!r.selector.empty()) ++s.selectors;
                if (!r.nets.empty()) {
                    ++s.nets_lists;
                    s.cidrs += r.nets.size();
                    s.largest = std::max(s.largest, r.nets.size());
                }
            }
        }
    }
    return s;
}

std::string pct_range(double lo, double hi, bool any) {
    if (!any) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f-%.0f%%", lo * 100, hi * 100);
    return buf;
}

int summary() {
    std::printf("workloads (bench/workload.hpp, splitmix64, fixed seed): what each holds; 'hepd load' is hepd's own\n"
                "validation of the generated text (errors/warnings)\n\n");
    std::printf("%-3s %5s %9s %5s %6s %6s %6s %7s %6s %9s %9s %8s %7s %9s  %s\n", "id", "pols", "eps(loc)", "links",
                "rules", "ports", "nets", "cidrs", "maxnet", "rule-sel", "pol-sel", "yaml KB", "gen ms", "hepd load",
                "what");
    for (const auto& id : all_ids()) {
        const auto t0 = Clock::now();
        const Workload w = generate(id);
        const auto files = files_of(w);
        const double gen_ms = ms_since(t0);
        size_t bytes = 0;
        for (const auto& f : files) bytes += f.text.size();
        const Summary s = summarize(w);
        Loaded l;
        load_texts(conf_text(w), files, "bench-router", l);
        char eps[48], load[48];
        std::snprintf(eps, sizeof eps, "%zu(%zu)", w.endpoints.size(), w.local_endpoints());
        std::snprintf(load, sizeof load, "%zu/%zu", l.diags.error_count(), l.diags.warning_count());
        std::printf("%-3s %5zu %9s %5zu %6zu %6zu %6zu %7zu %6zu %9s %9s %8.1f %7.1f %9s  %s\n", w.id.c_str(),
                    w.policies.size(), eps, w.links.size(), s.rules, s.ports, s.nets_lists, s.cidrs, s.largest,
                    pct_range(w.rule_sel_min, w.rule_sel_max, s.selectors > 0).c_str(),
                    pct_range(w.policy_sel_min, w.policy_sel_max, !w.policies.empty()).c_str(),
                    static_cast<double>(bytes) / 1024, gen_ms, load, w.title.c_str());
        if (l.diags.has_errors()) {
            std::string text = l.diags.format();
            if (text.size() > 2000) text.resize(2000);
            std::printf("    first diagnostics:\n%s", text.c_str());
        }
        if (id == "W4") {
            std::map<std::string, int> kinds;
            Workload last;
            const auto c0 = Clock::now();
            churn(w, 100, [&](const ChurnEvent& ev, const Workload& state) {
                ++kinds[ev.kind];
                if (ev.index == 100) last = state;
            });
            const double churn_ms = ms_since(c0);
            Loaded after;
            load_texts(conf_text(last), files_of(last), "bench-router", after);
            std::string k;
            for (const auto& [kind, n] : kinds) k += (k.empty() ? "" : ", ") + kind + " " + std::to_string(n);
            std::printf("    W4 events: %s (%.1f ms); after event 100: %zu endpoints (%zu local), hepd load %zu/%zu\n",
                        k.c_str(), churn_ms, last.endpoints.size(), last.local_endpoints(), after.diags.error_count(),
                        after.diags.warning_count());
        }
        if (id == "W6") {
            for (const auto& op : tamper_ops()) std::printf("    W6 tamper: %s: %s\n", op.what.c_str(), op.command.c_str());
        }
    }
    std::printf("\nrule-sel: hit fraction of rule (source/destination) selectors over all endpoints; pol-sel: of\n"
                "policy selectors. Files: workload_bench --write DIR [W1..W7].\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--write") == 0) {
        if (argc < 3) {
            std::fprintf(stderr, "usage: workload_bench --write DIR [W1..W7 ...] [--events N]\n");
            return 2;
        }
        std::vector<std::string> ids;
        int events = 100;
        for (int i = 3; i < argc; ++i) {
            if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
                events = std::max(1, std::atoi(argv[++i]));
                continue;
            }
            ids.emplace_back(argv[i]);
        }
        if (ids.empty()) ids = all_ids();
        for (const auto& id : ids)
            if (!write_workload(argv[2], id, events)) return 1;
        return 0;
    }
    if (argc >= 3 && std::strcmp(argv[1], "--maxrss") == 0) {
        int status = 0;
        const long kb = run_maxrss(argv + 2, status);
        std::fprintf(stderr, "maxrss_kb=%ld\n", kb);
        return status;
    }
    if (argc > 1) {
        std::fprintf(stderr, "usage: workload_bench [--write DIR [ID...] | --maxrss CMD [ARG...]]\n");
        return 2;
    }
    return summary();
}
