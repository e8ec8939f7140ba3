// SPDX-License-Identifier: GPL-2.0-or-later
// Selector parse and evaluation speed, single core. Prints figures, asserts nothing.
//
//     selector parse: 2.1 us (...)
//     selector eval: 23.4 M/s (matching), ...
//
// The expression is the one from the README; the label map has 8 labels, as a router's host
// endpoint might. Each figure is the best of a few rounds, to be robust against a noisy machine.
#include <chrono>
#include <cstdio>
#include <string>

#include "hepd/selector.hpp"

namespace {

using Clock = std::chrono::steady_clock;

const char* const expr =
    "role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine)";

hepd::Labels eight_labels(const char* role, bool quarantined) {
    hepd::Labels l{{"role", role},
                   {"environment", "production"},
                   {"zone", "eu-west-1a"},
                   {"rack", "r12"},
                   {"kubernetes.io/os", "linux"},
                   {"tier", "edge"},
                   {"owner", "netops"},
                   {"hostname", "gw-01"}};
    if (quarantined) {
        l.erase("hostname");  // stay at 8 labels
        l.set("quarantine", "true");
    }
    return l;
}

// Best rate over a few rounds, in evaluations per second.
double eval_rate(const hepd::Selector& sel, const hepd::Labels& labels, bool want) {
    constexpr long per_round = 5'000'000;
    double best = 0;
    for (int round = 0; round < 5; ++round) {
        long hits = 0;
        const auto t0 = Clock::now();
        for (long i = 0; i < per_round; ++i) hits += sel.matches(labels) ? 1 : 0;
        const std::chrono::duration<double> dt = Clock::now() - t0;
        if (hits != (want ? per_round : 0)) {
            std::fprintf(stderr, "selector_bench: wrong result\n");
            return 0;
        }
        best = std::max(best, per_round / dt.count());
    }
    return best;
}

}  // namespace

int main() {
    // Parse: tokenize, parse, canonical form, SHA-256 of it, compile.
    constexpr int parses = 200'000;
    double best_parse = 1e9;
    for (int round = 0; round < 3; ++round) {
        const auto t0 = Clock::now();
        size_t sink = 0;
        for (int i = 0; i < parses; ++i) {
            hepd::Diagnostics diags;
            auto sel = hepd::Selector::parse(expr, diags);
            sink += sel ? sel->to_string().size() : 0;
        }
        const std::chrono::duration<double> dt = Clock::now() - t0;
        if (sink == 0) return 1;
        best_parse = std::min(best_parse, dt.count() / parses);
    }

    hepd::Diagnostics diags;
    const auto sel = hepd::Selector::parse(expr, diags);
    if (!sel) {
        std::fputs(diags.format().c_str(), stderr);
        return 1;
    }
    const double matching = eval_rate(*sel, eight_labels("k8s-worker", false), true);
    const double first_fails = eval_rate(*sel, eight_labels("k8s-master", false), false);
    const double last_fails = eval_rate(*sel, eight_labels("k8s-worker", true), false);

    std::printf("selector parse: %.2f us per parse (tokenize, parse, canonical form, hash, compile)\n",
                best_parse * 1e6);
    std::printf("selector eval: %.1f M/s (matching), %.1f M/s (no match: first test fails), "
                "%.1f M/s (no match: last test fails); 3 tests, 8-label map, one core\n",
                matching / 1e6, first_fails / 1e6, last_fails / 1e6);
    return 0;
}
