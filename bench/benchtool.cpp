// SPDX-License-Identifier: GPL-2.0-or-later
// The measuring half of bench/run.sh (`make bench`): what a shell cannot time precisely.
//
//   benchtool watch [TRIGGER] [CONDITION...] [--log FILE] [--timeout MS]
//       Takes a snapshot of the kernel, pulls the trigger, then polls the kernel in a tight loop
//       until every condition holds, and prints one line of key=value figures. Run it inside the
//       namespace under test. Triggers (at most one):
//         --rename SRC DST     rename(2) SRC over DST (a resource file edit, as editors do it)
//         --exec CMD           sh -c CMD; the clock starts when it has exited (a tamper)
//         --veth NAME          creates a veth pair NAME / NAME-p through rtnetlink (libnl); the
//                              clock starts when the kernel announces NAME (RTM_NEWLINK to
//                              RTNLGRP_LINK, seen by a thread blocked on that group)
//       Conditions (all must hold; each one's time is the poll that first saw it):
//         --table F:T          table T of family F (4/6) differs from the snapshot
//                              (rule bytes, counters masked: a commit that changed something)
//         --restored F:T       table T differs from the snapshot, or did at the trigger, and is
//                              equal to it again (a repaired tamper)
//         --dispatch IFACE     hepd-from-host-endpoint in filter, IPv4 and IPv6, has `-i IFACE`
//         --first-hook F:T:C   the first rule of built-in chain C jumps to a hepd chain
//         --set-has SET,ELEM / --set-lacks SET,ELEM   ipset membership (IPSET_CMD_TEST)
//       --log FILE: hepd's --stderr log; after the conditions hold, waits for the apply line that
//       follows the trigger and reads hepd's own figures from it (table commits, set changes,
//       apply duration); appear_ms: from the creation request to the announcement. --quiet-tables F:T,...: tables to compare with the snapshot at the end
//       (reported as changed=...). Prints: ok=1|0 latency_ms (trigger to the last condition),
//       appear_ms (veth: from the creation request to the announcement), polls, poll_us (median
//       cost of one poll iteration: the resolution), log_ms, commits, set_changes, changed.
//
//   benchtool noop CONF RUNS
//       hepd's no-op resync costs, in process, on what is applied in this namespace: the cheap
//       drift probe (IPT_SO_GET_INFO on every table hepd programs, and the sets' header listing,
//       IpsetBackend::verify: what the worker does every second), the full comparison (iptc_diff of both families + every set's members, what a
//       refresh does), and Engine::apply with nothing to change (cold: first apply of a new
//       process; warm: the next one). Verifies that nothing was written.
//
//   benchtool phases CONF
//       hepd's apply phase by phase in an empty namespace (load, compile, ipset sync, iptc per
//       family, the full comparison, libiptc's read of one table, ipset read and verify), cold and
//       then with nothing to change, and one set member added; wall/CPU milliseconds.
//
//   benchtool maxrss CMD [ARG...]      runs CMD, prints maxrss_kb=N (ru_maxrss) on stderr
//   benchtool tree-stat PID            "rss_kb hwm_kb cpu_ticks nproc" summed over PID and its
//                                      descendants (supervisor + worker)
//   benchtool report SAMPLES SPEC JSON the one table: median / p95 per workload, metric and
//                                      contender, ratios and targets; writes the JSON too
//
// Prints figures, asserts nothing (exit status 0 unless it cannot run at all).
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
// libipset carries its own copies of two things linux/netfilter.h (above) already defines.
#define LIBIPSET_NFPROTO_H
#define LIBIPSET_NF_INET_ADDR_H
#include <libipset/data.h>
#include <libipset/parse.h>
#include <libipset/session.h>
#include <libipset/types.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
}

#include "harness.hpp"
#include "hepd/compile.hpp"
#include "hepd/daemon.hpp"
#include "hepd/iptc.hpp"
#include "hepd/ipset.hpp"
#include "hepd/names.hpp"
#include "hepd/netlink.hpp"
#include "hepd/setup.hpp"

namespace {

using hepd_bench::Clock;
using hepd_bench::ms_since;

double us_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
}

// ---- raw table reads ---------------------------------------------------------------------------

// A table's rules as the kernel hands them out (IPT_SO_GET_ENTRIES), with the per-rule counters
// and the kernel's bookkeeping (comefrom) zeroed, so that two reads compare equal exactly when
// the rules are the same.
struct RawTable {
    uint32_t entries = 0, size = 0;
    std::vector<uint8_t> bytes;
    bool operator==(const RawTable& o) const { return entries == o.entries && size == o.size && bytes == o.bytes; }
};

class TableReader {
public:
    TableReader() {
        fd4_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        fd6_ = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    }
    ~TableReader() {
        if (fd4_ >= 0) close(fd4_);
        if (fd6_ >= 0) close(fd6_);
    }
    std::optional<std::pair<uint32_t, uint32_t>> info(int fam, const std::string& table) const {
        if (fam == 4) {
            ipt_getinfo gi{};
            std::strncpy(gi.name, table.c_str(), sizeof gi.name - 1);
            socklen_t len = sizeof gi;
            if (getsockopt(fd4_, IPPROTO_IP, IPT_SO_GET_INFO, &gi, &len) != 0) return std::nullopt;
            return std::make_pair(gi.num_entries, gi.size);
        }
        ip6t_getinfo gi{};
        std::strncpy(gi.name, table.c_str(), sizeof gi.name - 1);
        socklen_t len = sizeof gi;
        if (getsockopt(fd6_, IPPROTO_IPV6, IP6T_SO_GET_INFO, &gi, &len) != 0) return std::nullopt;
        return std::make_pair(gi.num_entries, gi.size);
    }
    std::optional<RawTable> read(int fam, const std::string& table) {
        for (int attempt = 0; attempt < 20; ++attempt) {
            auto gi = info(fam, table);
            if (!gi) return std::nullopt;
            RawTable t;
            t.entries = gi->first;
            t.size = gi->second;
            if (fam == 4) {
                buf_.assign(sizeof(ipt_get_entries) + t.size, 0);
                auto* ge = reinterpret_cast<ipt_get_entries*>(buf_.data());
                std::strncpy(ge->name, table.c_str(), sizeof ge->name - 1);
                ge->size = t.size;
                socklen_t len = static_cast<socklen_t>(buf_.size());
                if (getsockopt(fd4_, IPPROTO_IP, IPT_SO_GET_ENTRIES, ge, &len) != 0) continue;  // replaced meanwhile
                uint8_t* p = reinterpret_cast<uint8_t*>(ge->entrytable);
                for (uint32_t off = 0; off + sizeof(ipt_entry) <= t.size;) {
                    auto* e = reinterpret_cast<ipt_entry*>(p + off);
                    e->comefrom = 0;
                    e->counters = {};
                    if (e->next_offset == 0) break;
                    off += e->next_offset;
                }
                t.bytes.assign(p, p + t.size);
            } else {
                buf_.assign(sizeof(ip6t_get_entries) + t.size, 0);
                auto* ge = reinterpret_cast<ip6t_get_entries*>(buf_.data());
                std::strncpy(ge->name, table.c_str(), sizeof ge->name - 1);
                ge->size = t.size;
                socklen_t len = static_cast<socklen_t>(buf_.size());
                if (getsockopt(fd6_, IPPROTO_IPV6, IP6T_SO_GET_ENTRIES, ge, &len) != 0) continue;
                uint8_t* p = reinterpret_cast<uint8_t*>(ge->entrytable);
                for (uint32_t off = 0; off + sizeof(ip6t_entry) <= t.size;) {
                    auto* e = reinterpret_cast<ip6t_entry*>(p + off);
                    e->comefrom = 0;
                    e->counters = {};
                    if (e->next_offset == 0) break;
                    off += e->next_offset;
                }
                t.bytes.assign(p, p + t.size);
            }
            return t;
        }
        return std::nullopt;
    }

private:
    int fd4_ = -1, fd6_ = -1;
    std::vector<uint8_t> buf_;
};

// ---- libiptc checks (only when a cheap read saw a change) ---------------------------------------

bool dispatch_has(int fam, const std::string& iface) {
    const char* chain = hepd::names::from_hep;
    if (fam == 4) {
        xtc_handle* h = iptc_init("filter");
        if (!h) return false;
        bool found = false;
        if (iptc_is_chain(chain, h))
            for (auto* e = iptc_first_rule(chain, h); e && !found; e = iptc_next_rule(e, h))
                found = iface == e->ip.iniface;
        iptc_free(h);
        return found;
    }
    xtc_handle* h = ip6tc_init("filter");
    if (!h) return false;
    bool found = false;
    if (ip6tc_is_chain(chain, h))
        for (auto* e = ip6tc_first_rule(chain, h); e && !found; e = ip6tc_next_rule(e, h))
            found = iface == e->ipv6.iniface;
    ip6tc_free(h);
    return found;
}

bool first_rule_is_hepd(int fam, const std::string& table, const std::string& chain) {
    std::string target;
    if (fam == 4) {
        xtc_handle* h = iptc_init(table.c_str());
        if (!h) return false;
        if (auto* e = iptc_first_rule(chain.c_str(), h)) target = iptc_get_target(e, h);
        iptc_free(h);
    } else {
        xtc_handle* h = ip6tc_init(table.c_str());
        if (!h) return false;
        if (auto* e = ip6tc_first_rule(chain.c_str(), h)) target = ip6tc_get_target(e, h);
        ip6tc_free(h);
    }
    return hepd::names::is_owned_chain(target);
}

// ---- ipset membership ----------------------------------------------------------------------------

int quiet_out(ipset_session*, void*, const char*, ...) { return 0; }

class SetTester {
public:
    SetTester() {
        ipset_load_types();
        s_ = ipset_session_init(&quiet_out, nullptr);
        if (s_) ipset_envopt_set(s_, IPSET_ENV_QUIET);
    }
    ~SetTester() {
        if (s_) ipset_session_fini(s_);
    }
    // true: member, false: not, nullopt: cannot tell (no such set, bad element)
    std::optional<bool> test(const std::string& set, const std::string& elem) {
        if (!s_) return std::nullopt;
        ipset_session_report_reset(s_);
        ipset_data_reset(ipset_session_data(s_));
        if (ipset_parse_setname(s_, IPSET_SETNAME, set.c_str()) < 0) return std::nullopt;
        const ipset_type* t = ipset_type_get(s_, IPSET_CMD_TEST);
        if (!t) {
            ipset_session_report_reset(s_);
            return std::nullopt;
        }
        if (ipset_parse_elem(s_, t->last_elem_optional, elem.c_str()) < 0) {
            ipset_session_report_reset(s_);
            return std::nullopt;
        }
        const int r = ipset_cmd(s_, IPSET_CMD_TEST, 0);
        const std::string report = ipset_session_report_msg(s_);
        ipset_session_report_reset(s_);
        if (r == 0) return true;
        // Not a member: libipset reports "... is NOT in set ..." as a warning, which the quiet
        // session may drop; a missing set is an error that says so.
        if (report.find("does not exist") != std::string::npos) return std::nullopt;
        return false;
    }

private:
    ipset_session* s_ = nullptr;
};

// ---- watch ---------------------------------------------------------------------------------------

struct FamTable {
    int fam = 4;
    std::string table;
    std::string key() const { return std::to_string(fam) + ":" + table; }
};

std::optional<FamTable> parse_fam_table(const std::string& s) {
    const size_t c = s.find(':');
    if (c == std::string::npos || (s[0] != '4' && s[0] != '6')) return std::nullopt;
    return FamTable{s[0] - '0', s.substr(c + 1)};
}

struct Condition {
    enum Kind { table_changed, restored, dispatch, first_hook, set_has, set_lacks } kind;
    FamTable ft;
    std::string a, b;  // iface / chain / set, element
    bool saw_differ = false;
    bool met = false;
    Clock::time_point at{};
};

// hepd's apply line after `offset` in the log: "applied (WHY): N table commits, M set changes in X ms"
struct LogApply {
    bool found = false;
    bool failed = false;
    double ms = -1;
    long commits = -1, set_changes = -1;
};

LogApply scan_log(const std::string& path, long offset) {
    LogApply out;
    std::ifstream f(path);
    if (!f) return out;
    f.seekg(offset);
    std::string line;
    while (std::getline(f, line)) {
        if (line.find("apply failed") != std::string::npos || line.find("configuration rejected") != std::string::npos) {
            out.found = out.failed = true;
            return out;
        }
        const size_t a = line.find("applied");
        if (a == std::string::npos) continue;
        const size_t tc = line.find(" table commits");
        const size_t in = line.rfind(" in ");
        if (tc == std::string::npos || in == std::string::npos) continue;
        size_t start = line.rfind(' ', tc - 1);
        out.commits = std::strtol(line.c_str() + start + 1, nullptr, 10);
        const size_t sc = line.find(" set changes");
        if (sc != std::string::npos) {
            size_t s2 = line.rfind(' ', sc - 1);
            out.set_changes = std::strtol(line.c_str() + s2 + 1, nullptr, 10);
        }
        out.ms = std::strtod(line.c_str() + in + 4, nullptr);
        out.found = true;
        return out;
    }
    return out;
}

long file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

int run_sh(const std::string& cmd) {
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

// The time the kernel announced IFACE (RTM_NEWLINK to RTNLGRP_LINK), seen by a thread blocked on
// its own multicast socket, as the daemon's is: "the interface appears".
class LinkAnnounce {
public:
    explicit LinkAnnounce(std::string iface) : iface_(std::move(iface)) {
        fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        sockaddr_nl sa{};
        sa.nl_family = AF_NETLINK;
        sa.nl_groups = RTMGRP_LINK;
        if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            close(fd_);
            fd_ = -1;
        }
        timeval tv{5, 0};
        if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (fd_ >= 0) thread_ = std::thread([this] { run(); });
    }
    ~LinkAnnounce() {
        if (thread_.joinable()) thread_.join();
        if (fd_ >= 0) close(fd_);
    }
    // Waits for the announcement (at most the socket's 5 s timeout); nullopt if none came.
    std::optional<Clock::time_point> wait() {
        if (thread_.joinable()) thread_.join();
        return seen_;
    }

private:
    void run() {
        std::vector<char> buf(1 << 16);
        while (true) {
            const ssize_t got = recv(fd_, buf.data(), buf.size(), 0);
            const auto now = Clock::now();
            if (got <= 0) return;
            int n = static_cast<int>(got);
            for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
                if (h->nlmsg_type != RTM_NEWLINK) continue;
                auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
                int len = static_cast<int>(IFLA_PAYLOAD(h));
                for (auto* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                    if (a->rta_type == IFLA_IFNAME && iface_ == static_cast<const char*>(RTA_DATA(a))) {
                        seen_ = now;
                        return;
                    }
                }
            }
        }
    }
    std::string iface_;
    int fd_ = -1;
    std::thread thread_;
    std::optional<Clock::time_point> seen_;
};

bool make_veth(const std::string& name) {
    nl_sock* sk = nl_socket_alloc();
    if (!sk) return false;
    bool ok = nl_connect(sk, NETLINK_ROUTE) == 0 &&
              rtnl_link_veth_add(sk, name.c_str(), (name + "-p").c_str(), getpid()) == 0;
    nl_socket_free(sk);
    return ok;
}

int cmd_watch(int argc, char** argv) {
    std::string rename_src, rename_dst, exec_cmd, veth, log_path;
    std::vector<Condition> conds;
    std::vector<FamTable> quiet;
    double timeout_ms = 10000;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "benchtool watch: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        auto ft = [&](const std::string& v) {
            auto t = parse_fam_table(v);
            if (!t) {
                std::fprintf(stderr, "benchtool watch: bad FAMILY:TABLE '%s'\n", v.c_str());
                std::exit(2);
            }
            return *t;
        };
        if (a == "--rename") {
            rename_src = next();
            rename_dst = next();
        } else if (a == "--exec") {
            exec_cmd = next();
        } else if (a == "--veth") {
            veth = next();
        } else if (a == "--log") {
            log_path = next();
        } else if (a == "--timeout") {
            timeout_ms = std::strtod(next().c_str(), nullptr);
        } else if (a == "--table" || a == "--restored") {
            Condition c{a == "--table" ? Condition::table_changed : Condition::restored, ft(next()), "", "", false, false, {}};
            conds.push_back(c);
        } else if (a == "--dispatch") {
            conds.push_back(Condition{Condition::dispatch, FamTable{4, "filter"}, next(), "", false, false, {}});
        } else if (a == "--first-hook") {
            const std::string v = next();
            const size_t c2 = v.rfind(':');
            conds.push_back(Condition{Condition::first_hook, ft(v.substr(0, c2)), v.substr(c2 + 1), "", false, false, {}});
        } else if (a == "--set-has" || a == "--set-lacks") {
            const std::string v = next();
            const size_t comma = v.find(',');
            conds.push_back(Condition{a == "--set-has" ? Condition::set_has : Condition::set_lacks, {},
                                      v.substr(0, comma), v.substr(comma + 1), false, false, {}});
        } else if (a == "--quiet-tables") {
            std::stringstream ss(next());
            std::string item;
            while (std::getline(ss, item, ','))
                if (!item.empty()) quiet.push_back(ft(item));
        } else {
            std::fprintf(stderr, "benchtool watch: unknown argument '%s'\n", a.c_str());
            return 2;
        }
    }

    TableReader reader;
    SetTester sets;
    // Snapshots of every table a condition or the final comparison names.
    std::map<std::string, RawTable> snap;
    auto want_snap = [&](const FamTable& t) {
        if (snap.count(t.key())) return;
        auto r = reader.read(t.fam, t.table);
        snap[t.key()] = r ? *r : RawTable{};
    };
    for (const auto& c : conds)
        if (c.kind == Condition::table_changed || c.kind == Condition::restored) want_snap(c.ft);
    for (const auto& q : quiet) want_snap(q);
    const long log_offset = log_path.empty() ? 0 : file_size(log_path);

    // The trigger.
    Clock::time_point t0 = Clock::now();
    double appear_ms = -1;
    if (!rename_src.empty()) {
        t0 = Clock::now();
        if (::rename(rename_src.c_str(), rename_dst.c_str()) != 0) {
            std::printf("ok=0 error=rename:%s\n", std::strerror(errno));
            return 0;
        }
    } else if (!exec_cmd.empty()) {
        const int rc = run_sh(exec_cmd);
        t0 = Clock::now();
        if (rc != 0) std::fprintf(stderr, "benchtool watch: '%s' exited %d\n", exec_cmd.c_str(), rc);
    } else if (!veth.empty()) {
        // The clock starts when the kernel announces the link to RTNLGRP_LINK (the daemon's
        // multicast group), as seen by a thread of ours waiting on the same group.
        LinkAnnounce announce(veth);
        const auto c0 = Clock::now();
        if (!make_veth(veth)) {
            std::printf("ok=0 error=veth\n");
            return 0;
        }
        const auto seen = announce.wait();
        t0 = seen ? *seen : Clock::now();
        appear_ms = std::chrono::duration<double, std::milli>(t0 - c0).count();
    }

    // The poll loop.
    std::vector<double> poll_us;
    size_t polls = 0;
    std::map<std::string, std::pair<uint32_t, uint32_t>> last_info;  // for the libiptc checks
    auto info_changed = [&](int fam, const std::string& table) {
        auto gi = reader.info(fam, table);
        if (!gi) return false;
        const std::string k = std::to_string(fam) + ":" + table;
        auto it = last_info.find(k);
        const bool changed = it == last_info.end() || it->second != *gi;
        last_info[k] = *gi;
        return changed;
    };
    std::map<std::string, bool> dispatch_state;  // per family, re-checked when the table changed
    bool all = conds.empty();
    while (!all) {
        const auto p0 = Clock::now();
        if (ms_since(t0) > timeout_ms) break;
        all = true;
        // One read per table per iteration, shared by the conditions on it.
        std::map<std::string, std::optional<RawTable>> now_tables;
        for (auto& c : conds) {
            if (c.met) continue;
            switch (c.kind) {
            case Condition::table_changed:
            case Condition::restored: {
                auto& r = now_tables[c.ft.key()];
                if (!r) r = reader.read(c.ft.fam, c.ft.table);
                const bool differs = !r || !(*r == snap[c.ft.key()]);
                if (c.kind == Condition::table_changed) {
                    c.met = differs;
                } else {
                    // A tamper changes the table; `restored` waits for it to come back.
                    if (differs) c.saw_differ = true;
                    c.met = !differs && c.saw_differ;
                }
                break;
            }
            case Condition::dispatch: {
                bool ok = true;
                for (int fam : {4, 6}) {
                    const std::string k = std::to_string(fam);
                    if (info_changed(fam, "filter")) dispatch_state[k] = dispatch_has(fam, c.a);
                    ok = ok && dispatch_state[k];
                }
                c.met = ok;
                break;
            }
            case Condition::first_hook: {
                if (info_changed(c.ft.fam, c.ft.table) || polls % 16 == 0)
                    c.met = first_rule_is_hepd(c.ft.fam, c.ft.table, c.a);
                break;
            }
            case Condition::set_has:
            case Condition::set_lacks: {
                auto r = sets.test(c.a, c.b);
                c.met = r && (*r == (c.kind == Condition::set_has));
                break;
            }
            }
            if (c.met) c.at = p0;  // the poll that saw it started here
            all = all && c.met;
        }
        ++polls;
        poll_us.push_back(us_between(p0, Clock::now()));
    }
    double latency_ms = 0;
    for (const auto& c : conds)
        if (c.met) latency_ms = std::max(latency_ms, std::chrono::duration<double, std::milli>(c.at - t0).count());

    LogApply la;
    if (!log_path.empty()) {
        const auto l0 = Clock::now();
        while (ms_since(l0) < timeout_ms) {
            la = scan_log(log_path, log_offset);
            if (la.found) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    std::string changed;
    for (const auto& q : quiet) {
        auto r = reader.read(q.fam, q.table);
        if (!r || !(*r == snap[q.key()])) changed += (changed.empty() ? "" : ",") + q.key();
    }
    const auto ps = hepd_bench::stats_of(poll_us);
    std::printf("ok=%d latency_ms=%.3f appear_ms=%.3f polls=%zu poll_us=%.1f log_ms=%.1f commits=%ld set_changes=%ld "
                "log_failed=%d changed=%s\n",
                all ? 1 : 0, all ? latency_ms : -1.0, appear_ms, polls, ps.median, la.ms, la.commits, la.set_changes,
                la.failed ? 1 : 0, changed.empty() ? "-" : changed.c_str());
    return 0;
}

// ---- noop ----------------------------------------------------------------------------------------

int cmd_noop(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: benchtool noop CONF RUNS\n");
        return 2;
    }
    const std::string conf = argv[2];
    const int runs = std::max(1, std::atoi(argv[3]));
    hepd::Diagnostics diags;
    hepd::Setup setup = hepd::load_setup(conf, true, diags);
    if (diags.has_errors()) {
        std::fprintf(stderr, "%s", diags.format().c_str());
        return 1;
    }
    auto mon = hepd::LinkMonitor::open();
    if (!mon) {
        std::fprintf(stderr, "netlink: %s\n", mon.error().message().c_str());
        return 1;
    }
    const std::vector<hepd::Link> links = (*mon)->links();
    hepd::CompileInput in{setup.model, setup.felix, setup.daemon.node, hepd::ipv6_enabled(setup.daemon, setup.felix),
                          links};
    const hepd::Compiled compiled = hepd::compile(in);
    const auto& rules = compiled.rules;
    std::vector<std::pair<uint8_t, hepd::nf::Table>> tables;
    for (const hepd::nf::FamilyRuleset* f : {&rules.v4, rules.v6 ? &*rules.v6 : nullptr})
        if (f)
            for (const auto& t : f->tables) tables.emplace_back(f->family, t.table);
    auto info_all = [&] {
        std::vector<hepd::TableInfo> v;
        for (auto [fam, t] : tables) {
            auto i = hepd::iptc_table_info(fam, t);
            v.push_back(i ? *i : hepd::TableInfo{});
        }
        return v;
    };
    const auto before = info_all();

    // 1. The probe (WorkerIo::probe: one GET_INFO per table).
    std::vector<double> probe;
    for (int i = 0; i < runs * 100; ++i) {
        const auto t = Clock::now();
        auto v = info_all();
        probe.push_back(us_between(t, Clock::now()));
        if (v != before) break;
    }
    // 2. The full comparison (Engine::check_and_repair without the repair).
    std::vector<double> full, set_probe;
    size_t drift = 0;
    {
        auto ipset = hepd::IpsetBackend::open();
        if (!ipset) {
            std::fprintf(stderr, "ipset: %s\n", ipset.error().message().c_str());
            return 1;
        }
        for (int i = 0; i < runs; ++i) {
            const auto t = Clock::now();
            auto d4 = hepd::iptc_diff(rules.v4);
            if (d4) drift += d4->size();
            if (rules.v6) {
                auto d6 = hepd::iptc_diff(*rules.v6);
                if (d6) drift += d6->size();
            }
            auto have = (*ipset)->read();
            if (have) {
                for (const auto& want : rules.sets) {
                    auto it = std::find_if(have->begin(), have->end(),
                                           [&](const hepd::nf::IpSet& s) { return s.name == want.name; });
                    if (it == have->end() || it->members != want.members) ++drift;
                }
            }
            full.push_back(us_between(t, Clock::now()));
        }
        // The sets' part of the 1 s probe (Engine::sets_changed: one header-only listing of every
        // set, compared with the cache the read above filled).
        for (int i = 0; i < runs * 10; ++i) {
            const auto t = Clock::now();
            auto v = (*ipset)->verify();
            set_probe.push_back(us_between(t, Clock::now()));
            if (!v || *v != 0) {
                ++drift;
                break;
            }
        }
    }
    // 3. Engine::apply with nothing to do: a new engine (cold set cache), then again (warm).
    std::vector<double> cold, warm;
    size_t writes = 0;
    {
        hepd::Engine engine(conf, true);
        hepd::Diagnostics d;
        engine.reload(d);
        for (int i = 0; i < runs + 1; ++i) {
            hepd::ApplyOutcome o = engine.apply(links);
            writes += o.tables_committed + o.set_changes;
            (i == 0 ? cold : warm).push_back(static_cast<double>(o.duration.count()));
        }
    }
    const auto after = info_all();
    const auto ps = hepd_bench::stats_of(probe), fs = hepd_bench::stats_of(full), cs = hepd_bench::stats_of(cold),
               ws = hepd_bench::stats_of(warm), ss = hepd_bench::stats_of(set_probe);
    std::printf("sets=%zu set_probe_us=%.1f set_probe_p95_us=%.1f ", rules.sets.size(), ss.median, ss.p95);
    std::printf("tables=%zu probe_us=%.2f probe_p95_us=%.2f full_ms=%.3f full_p95_ms=%.3f drift=%zu apply_cold_ms=%.3f "
                "apply_warm_ms=%.3f apply_warm_p95_ms=%.3f writes=%zu tables_unchanged=%d\n",
                tables.size(), ps.median, ps.p95, fs.median / 1000, fs.p95 / 1000, drift, cs.median / 1000,
                ws.median / 1000, ws.p95 / 1000, writes, before == after ? 1 : 0);
    return 0;
}

// ---- phases ----------------------------------------------------------------------------------------

double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1000 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// hepd's apply, phase by phase, in an empty namespace: what `hepd run --once` does, timed with
// the public APIs of each step (wall and CPU ms), then the same again with nothing to change,
// then one set member added (the kernel part of a nets-only change).
int cmd_phases(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: benchtool phases CONF\n");
        return 2;
    }
    const std::string conf = argv[2];
    auto phase = [](const char* name, auto&& fn) {
        const auto t = Clock::now();
        const double c = cpu_ms();
        fn();
        std::printf("%s=%.2f/%.2f ", name, ms_since(t), cpu_ms() - c);
        std::fflush(stdout);
    };
    hepd::Diagnostics diags;
    hepd::Setup setup;
    phase("load", [&] { setup = hepd::load_setup(conf, true, diags); });
    if (diags.has_errors()) return 1;
    auto mon = hepd::LinkMonitor::open();
    if (!mon) return 1;
    const std::vector<hepd::Link> links = (*mon)->links();
    hepd::CompileInput in{setup.model, setup.felix, setup.daemon.node, hepd::ipv6_enabled(setup.daemon, setup.felix),
                          links};
    hepd::Compiled compiled;
    phase("compile", [&] { compiled = hepd::compile(in); });
    auto ipset = hepd::IpsetBackend::open();
    if (!ipset) return 1;
    hepd::XtablesLock lock(setup.daemon.xtables_lock);
    for (int pass = 0; pass < 2; ++pass) {
        std::printf("%s", pass == 0 ? "cold: " : "noop: ");
        phase("ipset_sync", [&] { (void)(*ipset)->sync(compiled.rules.sets); });
        phase("iptc_v4", [&] { (void)hepd::iptc_apply(compiled.rules.v4, lock, 5000); });
        if (compiled.rules.v6) phase("iptc_v6", [&] { (void)hepd::iptc_apply(*compiled.rules.v6, lock, 5000); });
        phase("iptc_diff_both", [&] {
            (void)hepd::iptc_diff(compiled.rules.v4);
            if (compiled.rules.v6) (void)hepd::iptc_diff(*compiled.rules.v6);
        });
        phase("libiptc_init_v4_filter", [&] {
            xtc_handle* h = iptc_init("filter");
            if (h) iptc_free(h);
        });
        phase("ipset_read", [&] { (void)(*ipset)->read(); });
        phase("ipset_verify", [&] { (void)(*ipset)->verify(); });
        std::printf("\n");
    }
    // One member more in the largest hash:net set: the kernel part of a nets-only change.
    auto sets = compiled.rules.sets;
    hepd::nf::IpSet* big = nullptr;
    for (auto& st : sets)
        if (st.family == 4 && st.type == "hash:net" && (!big || st.members.size() > big->members.size())) big = &st;
    if (big) {
        big->members.push_back("198.19.255.254");
        std::sort(big->members.begin(), big->members.end());
        hepd::SetSyncStats st;
        phase("nets_only_sync", [&] {
            auto r = (*ipset)->sync(sets);
            if (r) st = *r;
        });
        std::printf("(added %zu to %s, %zu members)\n", st.added, big->name.c_str(), big->members.size());
    }
    return 0;
}

// ---- process figures ------------------------------------------------------------------------------

long status_kb(pid_t pid, const char* field) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string want = std::string(field) + ":";
    while (std::getline(f, line))
        if (line.rfind(want, 0) == 0) return std::strtol(line.c_str() + want.size(), nullptr, 10);
    return 0;
}

// utime + stime and the parent, from /proc/PID/stat (the name may hold spaces: parse after ')').
bool stat_of(pid_t pid, long& ticks, pid_t& ppid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t rp = s.rfind(')');
    if (rp == std::string::npos) return false;
    std::istringstream in(s.substr(rp + 2));
    std::vector<std::string> f2;
    std::string x;
    while (in >> x) f2.push_back(x);
    if (f2.size() < 13) return false;
    ppid = static_cast<pid_t>(std::atol(f2[1].c_str()));  // field 4
    ticks = std::atol(f2[11].c_str()) + std::atol(f2[12].c_str());  // fields 14, 15
    return true;
}

int cmd_tree_stat(int argc, char** argv) {
    if (argc < 3) return 2;
    const pid_t root = static_cast<pid_t>(std::atol(argv[2]));
    std::map<pid_t, pid_t> parent;
    std::map<pid_t, long> ticks;
    if (auto* d = opendir("/proc")) {
        while (auto* e = readdir(d)) {
            const pid_t p = static_cast<pid_t>(std::atol(e->d_name));
            if (p <= 0) continue;
            long t = 0;
            pid_t pp = 0;
            if (stat_of(p, t, pp)) {
                parent[p] = pp;
                ticks[p] = t;
            }
        }
        closedir(d);
    }
    long rss = 0, hwm = 0, cpu = 0;
    int n = 0;
    for (const auto& [p, pp] : parent) {
        (void)pp;
        pid_t q = p;
        for (int depth = 0; depth < 16 && q > 1 && q != root; ++depth) q = parent.count(q) ? parent[q] : 0;
        if (q != root) continue;
        rss += status_kb(p, "VmRSS");
        hwm += status_kb(p, "VmHWM");
        cpu += ticks[p];
        ++n;
    }
    std::printf("%ld %ld %ld %d\n", rss, hwm, cpu, n);
    return 0;
}

int cmd_maxrss(int argc, char** argv) {
    if (argc < 3) return 2;
    int status = 0;
    const long kb = hepd_bench::run_maxrss(argv + 2, status);
    std::fprintf(stderr, "maxrss_kb=%ld\n", kb);
    return status;
}

// ---- report ----------------------------------------------------------------------------------------

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (true) {
        const size_t t = line.find('\t', i);
        out.push_back(line.substr(i, t == std::string::npos ? std::string::npos : t - i));
        if (t == std::string::npos) break;
        i = t + 1;
    }
    return out;
}

std::string json_str(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            o += ' ';
            continue;
        }
        o += c;
    }
    return o + "\"";
}

std::string fmt_num(double v) {
    char b[32];
    const double a = std::fabs(v);
    if (a >= 1e9)
        std::snprintf(b, sizeof b, "%.3g", v);
    else if (a >= 1000)
        std::snprintf(b, sizeof b, "%.0f", v);
    else if (a >= 100)
        std::snprintf(b, sizeof b, "%.1f", v);
    else if (a >= 1)
        std::snprintf(b, sizeof b, "%.2f", v);
    else if (a == 0)
        std::snprintf(b, sizeof b, "0");
    else
        std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

// SPEC lines (tab separated): wl metric unit ratio_base target_kind target_value target_text
//   ratio_base: contender whose median divides hepd's ("-": none)
//   target_kind: le (hepd <= value), lt, ge, eq, le_ratio, ge_ratio, "-" (no target)
// SAMPLES lines: wl metric contender value [note]
int cmd_report(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: benchtool report SAMPLES SPEC JSON\n");
        return 2;
    }
    struct Spec {
        std::string wl, metric, unit, base, kind, text;
        double value = 0;
    };
    std::vector<Spec> specs;
    {
        std::ifstream f(argv[3]);
        std::string line;
        while (std::getline(f, line)) {
            if (line.empty() || line[0] == '#') continue;
            auto v = split_tabs(line);
            if (v.size() < 7) continue;
            specs.push_back(Spec{v[0], v[1], v[2], v[3], v[4], v[6], std::strtod(v[5].c_str(), nullptr)});
        }
    }
    std::map<std::string, std::map<std::string, std::vector<double>>> samples;  // wl|metric -> contender -> values
    std::map<std::string, std::string> notes;
    {
        std::ifstream f(argv[2]);
        std::string line;
        while (std::getline(f, line)) {
            auto v = split_tabs(line);
            if (v.size() < 4) continue;
            const std::string k = v[0] + "|" + v[1];
            if (v[3] == "NA" || v[3] == "-") {
                samples[k][v[2]];  // present, no value
            } else {
                samples[k][v[2]].push_back(std::strtod(v[3].c_str(), nullptr));
            }
            if (v.size() >= 5 && !v[4].empty()) notes[k + "|" + v[2]] = v[4];
        }
    }
    const std::vector<std::string> contenders = {"hepd", "legacy", "felix", "nft", "none"};
    auto cell = [&](const std::vector<double>& v) -> std::string {
        if (v.empty()) return "-";
        const auto s = hepd_bench::stats_of(v);
        if (v.size() == 1) return fmt_num(s.median);
        return fmt_num(s.median) + "/" + fmt_num(s.p95);
    };
    std::printf("%-3s %-40s %-6s %-15s %-15s %-15s %-15s %-13s %-7s %-14s %s\n", "wl", "metric", "unit", "hepd",
                "legacy-restore", "felix-delta", "nft-restore", "no rules", "ratio", "target", "met?");
    std::string json = "{\n  \"rows\": [\n";
    bool first = true;
    for (const auto& s : specs) {
        const std::string k = s.wl + "|" + s.metric;
        auto it = samples.find(k);
        static const std::map<std::string, std::vector<double>> none;
        const auto& by = it == samples.end() ? none : it->second;
        auto get = [&](const std::string& c) -> const std::vector<double>* {
            auto i = by.find(c);
            return i == by.end() ? nullptr : &i->second;
        };
        std::string cells[5];
        for (size_t i = 0; i < contenders.size(); ++i) {
            const auto* v = get(contenders[i]);
            cells[i] = v ? cell(*v) : "-";
            if (v && v->empty()) cells[i] = "n/a";
        }
        double hepd_med = NAN, ratio = NAN;
        if (const auto* h = get("hepd"); h && !h->empty()) hepd_med = hepd_bench::stats_of(*h).median;
        if (s.base != "-")
            if (const auto* b = get(s.base); b && !b->empty() && !std::isnan(hepd_med)) {
                const double bm = hepd_bench::stats_of(*b).median;
                if (bm != 0) ratio = hepd_med / bm;
            }
        std::string met = "-";
        if (s.kind != "-" && !std::isnan(hepd_med)) {
            bool ok = false;
            const double x = (s.kind == "le_ratio" || s.kind == "ge_ratio") ? ratio : hepd_med;
            if (std::isnan(x)) {
                met = "?";
            } else {
                if (s.kind == "le" || s.kind == "le_ratio") ok = x <= s.value;
                if (s.kind == "lt") ok = x < s.value;
                if (s.kind == "ge" || s.kind == "ge_ratio") ok = x >= s.value;
                if (s.kind == "eq") ok = x == s.value;
                met = ok ? "yes" : "NO";
            }
        }
        std::string ratio_s = std::isnan(ratio) ? "-" : fmt_num(ratio) + "x";
        std::printf("%-3s %-40s %-6s %-15s %-15s %-15s %-15s %-13s %-7s %-14s %s\n", s.wl.c_str(), s.metric.c_str(),
                    s.unit.c_str(), cells[0].c_str(), cells[1].c_str(), cells[2].c_str(), cells[3].c_str(),
                    cells[4].c_str(), ratio_s.c_str(), s.text.c_str(), met.c_str());
        json += std::string(first ? "" : ",\n") + "    {\"workload\": " + json_str(s.wl) +
                ", \"metric\": " + json_str(s.metric) + ", \"unit\": " + json_str(s.unit) + ", \"contenders\": {";
        bool fc = true;
        for (const auto& c : contenders) {
            const auto* v = get(c);
            if (!v) continue;
            json += std::string(fc ? "" : ", ") + json_str(c) + ": ";
            fc = false;
            if (v->empty()) {
                json += "null";
                continue;
            }
            const auto st = hepd_bench::stats_of(*v);
            char b[160];
            std::snprintf(b, sizeof b, "{\"median\": %.6g, \"p95\": %.6g, \"n\": %zu", st.median, st.p95, v->size());
            json += b;
            auto n = notes.find(k + "|" + c);
            if (n != notes.end()) json += ", \"note\": " + json_str(n->second);
            json += "}";
        }
        json += "}";
        if (!std::isnan(ratio)) {
            char b[64];
            std::snprintf(b, sizeof b, ", \"ratio\": %.4g, \"ratio_to\": ", ratio);
            json += b + json_str(s.base);
        }
        json += ", \"target\": " + json_str(s.text) + ", \"met\": " +
                (met == "yes" ? "true" : met == "NO" ? "false" : "null") + "}";
        first = false;
    }
    json += "\n  ]\n}\n";
    std::ofstream out(argv[4]);
    out << json;
    std::printf("\nCells: median/p95 over the runs (one figure: one run); n/a: not applicable to that contender;\n"
                "ratio: hepd's median over the contender named in the spec; met?: hepd's median against the target.\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: benchtool watch|noop|tree-stat|maxrss|report ...\n");
        return 2;
    }
    const std::string c = argv[1];
    if (c == "watch") return cmd_watch(argc, argv);
    if (c == "noop") return cmd_noop(argc, argv);
    if (c == "phases") return cmd_phases(argc, argv);
    if (c == "tree-stat") return cmd_tree_stat(argc, argv);
    if (c == "maxrss") return cmd_maxrss(argc, argv);
    if (c == "report") return cmd_report(argc, argv);
    std::fprintf(stderr, "benchtool: unknown command '%s'\n", c.c_str());
    return 2;
}
