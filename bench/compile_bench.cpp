// SPDX-License-Identifier: GPL-2.0-or-later
// hepd's pure pipeline, phase by phase, on the workloads W1, W2, W3 and W7:
//
//   load     YAML + INI text -> validated Model and Felix parameters (parse, validate, finish_model,
//            resolve_felix_params): what `hepd check` does, minus reading the files
//   compile  compile(CompileInput{model, felix, node, ipv6, links}) -> nf::Ruleset + bindings
//   render   render_ipsets + render_family(v4) + render_family(v6): the `hepd print` text
//
// Each workload runs in a fresh process (fork + exec of this binary with --child), so one
// workload's heap cannot inflate the next one's peak RSS. The parent writes the workload files to
// a scratch directory first; the child reads them (as hepd would), notes its RSS floor, then runs
// the three phases RUNS times on the monotonic clock and reports medians, p95s, VmHWM after the
// first load+compile and after everything, and the size of what was produced.
//
//   compile_bench                      the table (make bench)
//   compile_bench --child DIR ID RUNS  one workload from DIR/ID (written by workload_bench
//                                      --write); prints one line of key=value. Profile with:
//     valgrind --tool=callgrind build/bench/compile_bench --child DIR W3 1
//
// HEPD_BENCH_RUNS=N overrides the number of runs of every workload. Prints figures, asserts
// nothing; a child that fails is reported in its row.
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"
#include "hepd/compile.hpp"
#include "hepd/ruleset.hpp"
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

// ---- the child: one workload -----------------------------------------------------------------

int child(const std::string& dir, const std::string& id, int runs) {
    const long rss_floor = proc_status_kb("VmRSS");
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

    std::vector<double> t_load, t_compile, t_render, t_total, c_load, c_compile, c_render;
    long peak_load = -1, peak_compile = -1;
    size_t rules = 0, members = 0, sets = 0, chains = 0, bytes = 0, errors = 0, warnings = 0;
    for (int run = 0; run < runs; ++run) {
        const double u0 = cpu_ms();
        const auto t0 = Clock::now();
        Loaded l;
        load_texts(conf, files, "bench-router", l);
        const auto t1 = Clock::now();
        const double u1 = cpu_ms();
        if (run == 0) peak_load = proc_status_kb("VmHWM");
        hepd::CompileInput in{l.model, l.felix, l.daemon.node, hepd::ipv6_enabled(l.daemon, l.felix), links};
        hepd::Compiled out = hepd::compile(in);
        const auto t2 = Clock::now();
        const double u2 = cpu_ms();
        if (run == 0) peak_compile = proc_status_kb("VmHWM");
        std::string text = hepd::nf::render_ipsets(out.rules);
        text += hepd::nf::render_family(out.rules.v4);
        if (out.rules.v6) text += hepd::nf::render_family(*out.rules.v6);
        const auto t3 = Clock::now();
        const double u3 = cpu_ms();
        c_load.push_back(u1 - u0);
        c_compile.push_back(u2 - u1);
        c_render.push_back(u3 - u2);
        using ms = std::chrono::duration<double, std::milli>;
        t_load.push_back(ms(t1 - t0).count());
        t_compile.push_back(ms(t2 - t1).count());
        t_render.push_back(ms(t3 - t2).count());
        t_total.push_back(ms(t3 - t0).count());
        if (run == 0) {
            rules = out.rules.rule_count();
            members = out.rules.set_member_count();
            sets = out.rules.sets.size();
            for (const auto* f : {&out.rules.v4, out.rules.v6 ? &*out.rules.v6 : nullptr})
                if (f)
                    for (const auto& t : f->tables) chains += t.chains.size();
            bytes = text.size();
            errors = l.diags.error_count();
            warnings = l.diags.warning_count();
        }
    }
    const Stats load = stats_of(t_load), comp = stats_of(t_compile), rend = stats_of(t_render),
                total = stats_of(t_total);
    std::printf("runs=%d load_med=%.3f load_p95=%.3f compile_med=%.3f compile_p95=%.3f render_med=%.3f "
                "render_p95=%.3f total_med=%.3f total_p95=%.3f rss_floor_kb=%ld peak_load_kb=%ld "
                "peak_compile_kb=%ld peak_all_kb=%ld rules=%zu sets=%zu members=%zu chains=%zu bytes=%zu errors=%zu warnings=%zu "
                "cpu_load=%.3f cpu_compile=%.3f cpu_render=%.3f\n",
                runs, load.median, load.p95, comp.median, comp.p95, rend.median, rend.p95, total.median, total.p95,
                rss_floor, peak_load, peak_compile, proc_status_kb("VmHWM"), rules, sets, members, chains, bytes, errors,
                warnings, stats_of(c_load).median, stats_of(c_compile).median, stats_of(c_render).median);
    return 0;
}

// ---- the parent: the table -------------------------------------------------------------------

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

// Runs this binary with --child and returns its output (empty on failure).
std::string run_child(const std::string& dir, const std::string& id, int runs) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid < 0) return {};
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        const std::string r = std::to_string(runs);
        execl("/proc/self/exe", "compile_bench", "--child", dir.c_str(), id.c_str(), r.c_str(),
              static_cast<char*>(nullptr));
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

double num(const std::map<std::string, std::string>& kv, const char* key) {
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

    std::printf("compile_bench: hepd's pure pipeline per workload, one fresh process each; milliseconds, "
                "median / p95\n(monotonic clock); RSS in MB from /proc/self/status (floor = VmRSS before reading "
                "the files,\npeak = VmHWM after the first load, after the first compile, and after all runs incl. "
                "render);\n%d cores, load average %s when it started\n\n",
                static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), loadavg().c_str());
    std::printf("%-3s %4s %15s %15s %15s %15s %6s %6s %6s %6s %7s %5s %8s %7s %8s\n", "wl", "runs", "load",
                "compile", "render", "total", "floor", "peak L", "L+C", "all", "rules", "sets", "members", "chains",
                "text KB");
    std::map<std::string, std::map<std::string, std::string>> results;
    for (const auto& r : rows) {
        const std::string out = run_child(dir, r.id, r.runs);
        auto kv = parse_kv(out);
        if (kv.count("error") || !kv.count("runs")) {
            std::printf("%-3s child failed: %s\n", r.id, out.empty() ? "(no output)" : out.c_str());
            continue;
        }
        auto pair = [&](const char* med, const char* p95) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.2f / %.2f", num(kv, med), num(kv, p95));
            return std::string(buf);
        };
        std::printf("%-3s %4s %15s %15s %15s %15s %6.1f %6.1f %6.1f %6.1f %7s %5s %8s %7s %8.0f\n", r.id,
                    kv["runs"].c_str(), pair("load_med", "load_p95").c_str(),
                    pair("compile_med", "compile_p95").c_str(), pair("render_med", "render_p95").c_str(),
                    pair("total_med", "total_p95").c_str(), num(kv, "rss_floor_kb") / 1024,
                    num(kv, "peak_load_kb") / 1024, num(kv, "peak_compile_kb") / 1024, num(kv, "peak_all_kb") / 1024, kv["rules"].c_str(),
                    kv["sets"].c_str(), kv["members"].c_str(), kv["chains"].c_str(), num(kv, "bytes") / 1024);
        if (num(kv, "errors") > 0)
            std::printf("    %s: hepd reported %s errors loading the workload\n", r.id, kv["errors"].c_str());
        results[r.id] = kv;
    }
    remove_tree(dir);

    std::printf("\nCPU time of the same runs (CLOCK_THREAD_CPUTIME_ID), median ms: robust against a busy machine\n");
    std::printf("%-3s %9s %9s %9s %9s\n", "wl", "load", "compile", "render", "total");
    for (const auto& [id, kv] : results) {
        const double l = num(kv, "cpu_load"), c = num(kv, "cpu_compile"), r = num(kv, "cpu_render");
        std::printf("%-3s %9.2f %9.2f %9.2f %9.2f\n", id.c_str(), l, c, r, l + c + r);
    }

    if (results.count("W3")) {
        auto& kv = results["W3"];
        const double c = num(kv, "compile_med"), lc = num(kv, "load_med") + c, peak = num(kv, "peak_compile_kb") / 1024;
        const double cc = num(kv, "cpu_compile");
        std::printf("\ntarget (issue): compile W3 <= 50 ms and <= 8 MB peak RSS\n"
                    "  compile alone %.1f ms wall (%.1f ms CPU): %s; load + compile %.1f ms wall: %s;\n"
                    "  peak RSS after load+compile %.1f MB: %s\n",
                    c, cc, c <= 50 ? "met" : "MISSED", lc, lc <= 50 ? "met" : "MISSED", peak,
                    peak <= 8 ? "met" : "MISSED");
    }
    std::printf("rules = nf::Ruleset::rule_count() (both families, hook jumps included); members = set_member_count().\n"
                "Profile one workload: build/bench/workload_bench --write /tmp/wl W3 &&\n"
                "  valgrind --tool=callgrind build/bench/compile_bench --child /tmp/wl W3 1\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--child") == 0) return child(argv[2], argv[3], std::max(1, std::atoi(argv[4])));
    if (argc != 1) {
        std::fprintf(stderr, "usage: compile_bench [--child DIR ID RUNS]\n");
        return 2;
    }
    return table();
}
