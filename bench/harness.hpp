// SPDX-License-Identifier: GPL-2.0-or-later
// What the benchmark mains share besides the workloads: loading a workload's text through hepd's
// pure core exactly as `hepd check`/`hepd print` do (minus the file reads), the link list, robust
// statistics, and the kernel's own memory figures for this process.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/config.hpp"
#include "hepd/diag.hpp"
#include "hepd/ini.hpp"
#include "hepd/model.hpp"
#include "workload.hpp"

namespace hepd_bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Everything load_paths() builds, from text already in memory: hepd.conf (INI), then every
// resource file, finish_model (cross-file checks, policy order), then the Felix parameters.
struct Loaded {
    hepd::DaemonConfig daemon;
    hepd::FelixParams felix;
    hepd::Model model;
    hepd::Diagnostics diags;
};

inline void load_texts(const std::string& conf, const std::vector<File>& files, const std::string& hostname,
                       Loaded& out) {
    const hepd::ini::File ini = hepd::ini::parse_ini(conf, "hepd.conf", out.diags);
    out.daemon = hepd::load_daemon_config(&ini, "hepd.conf", nullptr, "", hostname, out.diags);
    for (const auto& f : files) hepd::load_resources(f.text, "resources.d/" + f.name, out.model, out.diags);
    hepd::finish_model(out.model, out.diags);
    std::vector<hepd::FelixConfigDoc> docs;
    for (const auto& fc : out.model.felix_configs) docs.push_back(hepd::FelixConfigDoc{fc.name, &fc.spec, fc.where});
    out.felix = hepd::resolve_felix_params(&ini, "hepd.conf", nullptr, "", docs, out.daemon.node, out.diags);
}

// hepd::Link values from "IFACE=IP,IP" lines (the `links` file); bad addresses are skipped.
inline std::vector<hepd::Link> parse_links(const std::string& text) {
    std::vector<hepd::Link> out;
    size_t i = 0;
    while (i < text.size()) {
        size_t eol = text.find('\n', i);
        if (eol == std::string::npos) eol = text.size();
        const std::string line = text.substr(i, eol - i);
        i = eol + 1;
        if (line.empty()) continue;
        hepd::Link l;
        const size_t eq = line.find('=');
        l.name = line.substr(0, eq);
        if (eq != std::string::npos) {
            size_t a = eq + 1;
            while (a <= line.size()) {
                size_t comma = line.find(',', a);
                if (comma == std::string::npos) comma = line.size();
                if (auto ip = hepd::parse_ip(std::string_view(line).substr(a, comma - a))) l.addrs.push_back(*ip);
                a = comma + 1;
            }
        }
        out.push_back(std::move(l));
    }
    return out;
}

// Median and p95 (nearest rank) of a sample.
struct Stats {
    double median = 0, p95 = 0, min = 0;
};
inline Stats stats_of(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.p95 = v[static_cast<size_t>(std::ceil(0.95 * static_cast<double>(n))) - 1];
    s.min = v[0];
    return s;
}

// A field of /proc/self/status in kB (VmRSS, VmHWM), or -1.
inline long proc_status_kb(const char* field) {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    const size_t n = std::strlen(field);
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = std::strtol(line + n + 1, nullptr, 10);
            break;
        }
    }
    std::fclose(f);
    return kb;
}

// Resets VmHWM to the current VmRSS (Linux >= 4.0); false when the kernel refuses.
inline bool reset_peak_rss() {
    FILE* f = std::fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    const bool ok = std::fputs("5", f) >= 0;
    return std::fclose(f) == 0 && ok;
}

// Runs argv to completion and returns its peak RSS in kB (ru_maxrss, what GNU time's %M prints),
// or -1; `status` gets the exit status (128 + signal when killed).
inline long run_maxrss(char* const argv[], int& status) {
    status = 127;
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    int ws = 0;
    rusage ru{};
    while (wait4(pid, &ws, 0, &ru) < 0) {
        if (errno != EINTR) return -1;
    }
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return ru.ru_maxrss;
}

}  // namespace hepd_bench
