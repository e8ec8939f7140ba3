// SPDX-License-Identifier: GPL-2.0-or-later
// hepd's pure pipeline, phase by phase, on the workloads W1, W2, W3 and W7:
//
//   load     YAML + INI text -> validated Model and Felix parameters (parse, validate, finish_model,
//            resolve_felix_params): what `hepd check` does, minus reading the files
//   compile  compile(CompileInput{model, felix, node, ipv6, links}) -> the whole nf::Ruleset +
//            bindings (what the daemon holds)
//   render   render_ipsets + render_family(v4) + render_family(v6) of that Ruleset
//   print    render_compiled(): compile and render one set or chain at a time, what `hepd print`
//            does; the same bytes as compile + render
//
// Each workload runs in fresh processes (fork + exec of this binary), so one workload's heap cannot
// inflate the next one's peak RSS:
//  - a timing process reads the files into memory first (file reads are not timed), then runs the
//    phases RUNS times on the monotonic clock and on its own CPU clock;
//  - a peak process does only what `hepd print` does, once, from the files: load_setup (reads and
//    loads hepd.conf and each resource file in turn), render_compiled to /dev/null; its VmHWM is
//    the peak RSS of load + compile + render, binary and libraries included. A second one does the
//    same through compile() + render_all, holding the whole Ruleset and text (the old hepd print,
//    and what the daemon still holds);
//  - `hepd print` itself (../hepd next to this binary, when it is there), its ru_maxrss: the same
//    work in the real binary, which also maps libiptc, libipset and libnl for the daemon.
//
//   compile_bench                         the tables (make bench)
//   compile_bench --child DIR ID RUNS     timing of DIR/ID (written by workload_bench --write); one
//                                         line of key=value. Profile with:
//     valgrind --tool=callgrind build/bench/compile_bench --child DIR W3 1
//   compile_bench --peak DIR ID print|whole
//                                         one peak process; one line of key=value
//
// HEPD_BENCH_RUNS=N overrides the number of runs of every workload. Prints figures, asserts
// nothing; a child that fails is reported in its row.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "hepd/compile.hpp"
#include "hepd/ruleset.hpp"
#include "hepd/setup.hpp"
#include "workload.hpp"

namespace {

using namespace hepd_bench;

std::string slurp(const std::string& path, bool& ok) {
    std::string out;
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) {
        ok = false;
        return out;
    }
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
}

// CPU time of this thread: unlike wall time, it does not grow while other processes hold the
// cores (the bench machines are shared), though caches and frequency are still shared.
double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string loadavg() {
    bool ok = true;
    std::string s = slurp("/proc/loadavg", ok);
    const size_t third = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
    return ok && third != std::string::npos ? s.substr(0, third) : "?";
}

// ---- the timing child: one workload, RUNS times ------------------------------------------------

int child(const std::string& dir, const std::string& id, int runs) {
    const std::string root = dir + "/" + id;
    bool ok = true;
    const std::string conf = slurp(root + "/hepd.conf", ok);
    const std::vector<hepd::Link> links = parse_links(slurp(root + "/links", ok));
    std::vector<File> files;
    if (DIR* d = opendir((root + "/resources.d").c_str())) {
        while (const dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0)
                files.push_back(File{name, slurp(root + "/resources.d/" + name, ok)});
        }
        closedir(d);
    } else {
        ok = false;
    }
    if (!ok) {
        std::printf("error=cannot-read-%s\n", root.c_str());
        return 1;
    }
    std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.name < b.name; });

    struct Phase {
        std::vector<double> wall, cpu;
    };
    Phase load, compile, render, print;
    size_t rules = 0, members = 0, sets = 0, chains = 0, bytes = 0, errors = 0, warnings = 0;
    bool same_text = true;
    using ms = std::chrono::duration<double, std::milli>;
    for (int run = 0; run < runs; ++run) {
        auto t0 = Clock::now();
        double c0 = cpu_ms();
        Loaded l;
        load_texts(conf, files, "bench-router", l);
        auto t1 = Clock::now();
        double c1 = cpu_ms();
        load.wall.push_back(ms(t1 - t0).count());
        load.cpu.push_back(c1 - c0);

        const hepd::CompileInput in{l.model, l.felix, l.daemon.node, hepd::ipv6_enabled(l.daemon, l.felix), links};
        t0 = Clock::now();
        c0 = cpu_ms();
        std::optional<hepd::Compiled> out = hepd::compile(in);
        t1 = Clock::now();
        c1 = cpu_ms();
        compile.wall.push_back(ms(t1 - t0).count());
        compile.cpu.push_back(c1 - c0);

        t0 = Clock::now();
        c0 = cpu_ms();
        std::string text = hepd::nf::render_ipsets(out->rules);
        text += hepd::nf::render_family(out->rules.v4);
        if (out->rules.v6) text += hepd::nf::render_family(*out->rules.v6);
        t1 = Clock::now();
        c1 = cpu_ms();
        render.wall.push_back(ms(t1 - t0).count());
        render.cpu.push_back(c1 - c0);
        if (run == 0) {
            rules = out->rules.rule_count();
            members = out->rules.set_member_count();
            sets = out->rules.sets.size();
            for (const auto* f : {&out->rules.v4, out->rules.v6 ? &*out->rules.v6 : nullptr})
                if (f)
                    for (const auto& t : f->tables) chains += t.chains.size();
            errors = l.diags.error_count();
            warnings = l.diags.warning_count();
        }
        out.reset();

        // The streamed print, compared with the text above (without its "# ..." headers) on the
        // first run: it must be the same bytes.
        std::string streamed;
        size_t streamed_bytes = 0;
        t0 = Clock::now();
        c0 = cpu_ms();
        const hepd::RenderStats st = hepd::render_compiled(in, std::nullopt, [&](std::string_view piece) {
            streamed_bytes += piece.size();
            if (run == 0) streamed += piece;
        });
        t1 = Clock::now();
        c1 = cpu_ms();
        print.wall.push_back(ms(t1 - t0).count());
        print.cpu.push_back(c1 - c0);
        if (run == 0) {
            bytes = streamed_bytes;
            same_text = st.rules == rules && st.members == members && st.bytes == streamed_bytes;
            std::string plain;
            for (size_t i = 0; i < streamed.size();) {
                const size_t eol = streamed.find('\n', i);
                const size_t end = eol == std::string::npos ? streamed.size() : eol + 1;
                if (streamed[i] != '#') plain.append(streamed, i, end - i);
                i = end;
            }
            same_text = same_text && plain == text;
        }
    }
    auto put = [](const char* name, const Phase& p) {
        const Stats w = stats_of(p.wall), c = stats_of(p.cpu);
        std::printf("%s_med=%.3f %s_p95=%.3f %s_cpu=%.3f %s_cpu_p95=%.3f ", name, w.median, name, w.p95, name,
                    c.median, name, c.p95);
    };
    std::printf("runs=%d ", runs);
    put("load", load);
    put("compile", compile);
    put("render", render);
    put("print", print);
    std::printf("rules=%zu sets=%zu members=%zu chains=%zu bytes=%zu errors=%zu warnings=%zu same_text=%d\n", rules,
                sets, members, chains, bytes, errors, warnings, same_text ? 1 : 0);
    return 0;
}

// ---- the peak child: what hepd print does, once ----------------------------------------------

int peak_child(const std::string& dir, const std::string& id, const std::string& mode) {
    const long floor_kb = proc_status_kb("VmRSS");
    const std::string root = dir + "/" + id;
    bool ok = true;
    const std::vector<hepd::Link> links = parse_links(slurp(root + "/links", ok));
    FILE* null = std::fopen("/dev/null", "w");
    if (!ok || !null) {
        std::printf("error=cannot-read-%s\n", root.c_str());
        return 1;
    }
    hepd::Diagnostics diags;
    const hepd::Setup setup = hepd::load_setup(root + "/hepd.conf", true, diags);
    const long load_kb = proc_status_kb("VmHWM");
    const hepd::CompileInput in{setup.model, setup.felix, setup.daemon.node,
                                hepd::ipv6_enabled(setup.daemon, setup.felix), links};
    size_t rules = 0, members = 0, bytes = 0;
    if (mode == "print") {
        const hepd::RenderStats st = hepd::render_compiled(
            in, std::nullopt, [&](std::string_view piece) { std::fwrite(piece.data(), 1, piece.size(), null); });
        rules = st.rules;
        members = st.members;
        bytes = st.bytes;
    } else {
        const hepd::Compiled out = hepd::compile(in);
        const std::string text = hepd::nf::render_all(out.rules);
        std::fwrite(text.data(), 1, text.size(), null);
        rules = out.rules.rule_count();
        members = out.rules.set_member_count();
        bytes = text.size();
    }
    std::fclose(null);
    std::printf("floor_kb=%ld load_kb=%ld peak_kb=%ld rules=%zu members=%zu bytes=%zu errors=%zu\n", floor_kb, load_kb,
                proc_status_kb("VmHWM"), rules, members, bytes, diags.error_count());
    return 0;
}

// ---- the parent: the tables ------------------------------------------------------------------

std::map<std::string, std::string> parse_kv(const std::string& line) {
    std::map<std::string, std::string> kv;
    size_t i = 0;
    while (i < line.size()) {
        size_t sp = line.find_first_of(" \n", i);
        if (sp == std::string::npos) sp = line.size();
        const std::string tok = line.substr(i, sp - i);
        const size_t eq = tok.find('=');
        if (eq != std::string::npos) kv[tok.substr(0, eq)] = tok.substr(eq + 1);
        i = sp + 1;
    }
    return kv;
}

// Runs `hepd print -c DIR/ID/hepd.conf --link ...` with its output to /dev/null and returns its
// peak RSS in kB (ru_maxrss), or -1 when there is no hepd binary next to this one's directory.
long hepd_print_maxrss(const std::string& dir, const std::string& id) {
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    std::string hepd(self, static_cast<size_t>(n));
    hepd = hepd.substr(0, hepd.rfind('/'));        // build/bench
    hepd = hepd.substr(0, hepd.rfind('/')) + "/hepd";  // build/hepd
    if (access(hepd.c_str(), X_OK) != 0) return -1;
    bool ok = true;
    const std::string links = slurp(dir + "/" + id + "/links", ok);
    std::vector<std::string> args = {hepd, "print", "-c", dir + "/" + id + "/hepd.conf"};
    for (size_t i = 0; ok && i < links.size();) {
        const size_t eol = links.find('\n', i);
        const std::string line = links.substr(i, eol == std::string::npos ? std::string::npos : eol - i);
        if (!line.empty()) args.insert(args.end(), {"--link", line});
        i = eol == std::string::npos ? links.size() : eol + 1;
    }
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(hepd.c_str(), argv.data());
        _exit(127);
    }
    int ws = 0;
    rusage ru{};
    while (wait4(pid, &ws, 0, &ru) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? ru.ru_maxrss : -1;
}

// Runs this binary with `args` and returns its output (empty on failure).
std::string run_self(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid < 0) return {};
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>("compile_bench"));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv("/proc/self/exe", argv.data());
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) return "error=child-exit-" + std::to_string(ws) + " " + out;
    return out;
}

double num(const std::map<std::string, std::string>& kv, const std::string& key) {
    auto it = kv.find(key);
    return it == kv.end() ? -1 : std::atof(it->second.c_str());
}

void remove_tree(const std::string& path) {
    if (DIR* d = opendir(path.c_str())) {
        while (const dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            const std::string p = path + "/" + name;
            if (unlink(p.c_str()) != 0) remove_tree(p);
        }
        closedir(d);
    }
    rmdir(path.c_str());
}

int table() {
    char tmpl[] = "/tmp/hepd-compile-bench.XXXXXX";
    if (!mkdtemp(tmpl)) {
        std::perror("compile_bench: mkdtemp");
        return 0;
    }
    const std::string dir = tmpl;
    struct Row {
        const char* id;
        int runs;
    };
    std::vector<Row> rows = {{"W1", 300}, {"W2", 100}, {"W3", 21}, {"W7", 300}};
    if (const char* env = std::getenv("HEPD_BENCH_RUNS")) {
        const int n = std::atoi(env);
        if (n > 0)
            for (auto& r : rows) r.runs = n;
    }
    for (const auto& r : rows) write_workload(dir, r.id);

    std::printf("compile_bench: hepd's pure pipeline per workload, fresh processes for each; %d cores, load average "
                "%s when it started\n\n",
                static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), loadavg().c_str());
    std::printf("Wall time, ms, median / p95 (print = compile + render one chain at a time, as hepd print)\n");
    std::printf("%-3s %4s %15s %15s %15s %15s\n", "wl", "runs", "load", "compile", "render", "print");
    std::map<std::string, std::map<std::string, std::string>> results;
    for (const auto& r : rows) {
        const std::string out = run_self({"--child", dir, r.id, std::to_string(r.runs)});
        auto kv = parse_kv(out);
        if (kv.count("error") || !kv.count("runs")) {
            std::printf("%-3s child failed: %s\n", r.id, out.empty() ? "(no output)" : out.c_str());
            continue;
        }
        auto pair = [&](const std::string& phase) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.2f / %.2f", num(kv, phase + "_med"), num(kv, phase + "_p95"));
            return std::string(buf);
        };
        std::printf("%-3s %4s %15s %15s %15s %15s\n", r.id, kv["runs"].c_str(), pair("load").c_str(),
                    pair("compile").c_str(), pair("render").c_str(), pair("print").c_str());
        if (num(kv, "errors") > 0)
            std::printf("    %s: hepd reported %s errors loading the workload\n", r.id, kv["errors"].c_str());
        if (kv["same_text"] != "1") std::printf("    %s: print's text differs from compile + render!\n", r.id);
        for (const char* mode : {"print", "whole"}) {
            auto pk = parse_kv(run_self({"--peak", dir, r.id, mode}));
            for (const auto& [k, v] : pk) kv[std::string(mode) + "_" + k] = v;
        }
        kv["hepd_kb"] = std::to_string(hepd_print_maxrss(dir, r.id));
        results[r.id] = kv;
    }
    remove_tree(dir);

    std::printf("\nCPU time of the same runs (CLOCK_THREAD_CPUTIME_ID), ms, median / p95: robust against a busy "
                "machine\n");
    std::printf("%-3s %15s %15s %15s %15s %15s\n", "wl", "load", "compile", "render", "print", "load + print");
    for (const auto& [id, kv] : results) {
        auto pair = [&](const std::string& phase) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.2f / %.2f", num(kv, phase + "_cpu"), num(kv, phase + "_cpu_p95"));
            return std::string(buf);
        };
        std::printf("%-3s %15s %15s %15s %15s %15.2f\n", id.c_str(), pair("load").c_str(), pair("compile").c_str(),
                    pair("render").c_str(), pair("print").c_str(), num(kv, "load_cpu") + num(kv, "print_cpu"));
    }

    std::printf("\nPeak RSS (VmHWM, MB) of a fresh process that does only load + compile + render from the files:\n"
                "  print: as hepd print (load_setup, render_compiled);  whole: compile() + render_all, the whole\n"
                "  Ruleset and text at once.  floor = VmRSS at start (binary and libraries), load = VmHWM after "
                "load_setup;\n  hepd = ru_maxrss of build/hepd print itself (its floor is higher: it also maps "
                "libiptc, libipset, libnl)\n");
    std::printf("%-3s %6s %6s %7s %7s %6s %8s %5s %8s %7s %8s\n", "wl", "floor", "load", "print", "whole", "hepd",
                "rules", "sets", "members", "chains", "text KB");
    for (const auto& [id, kv] : results) {
        if (num(kv, "print_peak_kb") < 0) {
            std::printf("%-3s peak process failed\n", id.c_str());
            continue;
        }
        if (num(kv, "print_rules") != num(kv, "rules") || num(kv, "print_members") != num(kv, "members"))
            std::printf("    %s: the peak process produced other counts (%s rules, %s members)\n", id.c_str(),
                        kv.at("print_rules").c_str(), kv.at("print_members").c_str());
        char hepd[16] = "-";
        if (num(kv, "hepd_kb") > 0) std::snprintf(hepd, sizeof hepd, "%.1f", num(kv, "hepd_kb") / 1024);
        std::printf("%-3s %6.1f %6.1f %7.1f %7.1f %6s %8.0f %5.0f %8.0f %7.0f %8.0f\n", id.c_str(),
                    num(kv, "print_floor_kb") / 1024, num(kv, "print_load_kb") / 1024, num(kv, "print_peak_kb") / 1024,
                    num(kv, "whole_peak_kb") / 1024, hepd, num(kv, "rules"), num(kv, "sets"), num(kv, "members"),
                    num(kv, "chains"), num(kv, "bytes") / 1024);
    }

    if (results.count("W3")) {
        auto& kv = results["W3"];
        const double c = num(kv, "compile_cpu"), lp = num(kv, "load_cpu") + num(kv, "print_cpu");
        const double peak = num(kv, "print_peak_kb") / 1024;
        auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
        std::printf("\ntarget (issue 4): compile W3 in <= 50 ms CPU and <= 8 MB peak RSS\n"
                    "  compile() %.1f ms CPU (%.1f wall): %s; load + compile + render as hepd print %.1f ms CPU: %s\n"
                    "  peak RSS of load + compile + render as hepd print %.1f MB: %s (whole Ruleset: %.1f MB;\n"
                    "  build/hepd print itself: %.1f MB)\n",
                    c, num(kv, "compile_med"), verdict(c <= 50), lp, verdict(lp <= 50), peak, verdict(peak <= 8),
                    num(kv, "whole_peak_kb") / 1024, num(kv, "hepd_kb") / 1024);
    }
    std::printf("rules = nf::Ruleset::rule_count() (both families, hook jumps included); members = set_member_count().\n"
                "Profile one workload: build/bench/workload_bench --write /tmp/wl W3 &&\n"
                "  valgrind --tool=callgrind build/bench/compile_bench --child /tmp/wl W3 1\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--child") == 0) return child(argv[2], argv[3], std::max(1, std::atoi(argv[4])));
    if (argc == 5 && std::strcmp(argv[1], "--peak") == 0 &&
        (std::strcmp(argv[4], "print") == 0 || std::strcmp(argv[4], "whole") == 0))
        return peak_child(argv[2], argv[3], argv[4]);
    if (argc != 1) {
        std::fprintf(stderr, "usage: compile_bench [--child DIR ID RUNS | --peak DIR ID print|whole]\n");
        return 2;
    }
    return table();
}
