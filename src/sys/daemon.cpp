// SPDX-License-Identifier: GPL-2.0-or-later
// The worker's engine and event loop; see include/hepd/daemon.hpp for the wiring.
//
// Timing decisions:
//  - file events are debounced: applied after 20 ms of quiet, at most 150 ms after the first event
//  - link and address events are applied as soon as the pending events are drained (the
//    interface-appears-to-protected target is 20 ms), which coalesces bursts by itself;
//  - a failed apply is retried after 1 s, doubling to 30 s;
//  - the cheap drift probe runs every second: IPT_SO_GET_INFO on each table (about a
//    microsecond), compared with what hepd's own last apply left (taken under the xtables lock
//    at its commit, so a write just after it is not mistaken for hepd's), and the header-only
//    listing of the sets (IpsetBackend::verify, entry counts and hash seeds: a flushed set, a
//    member deleted or added behind hepd's back); a full comparison, and a repair if needed,
//    runs when it sees a change and every IptablesRefreshInterval.
#include "hepd/daemon.hpp"

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "hepd/iptc.hpp"
#include "hepd/ipset.hpp"
#include "hepd/log.hpp"
#include "hepd/netlink.hpp"

namespace hepd {

using Clock = std::chrono::steady_clock;

struct Engine::Backends {
    std::unique_ptr<IpsetBackend> ipset;
    std::unique_ptr<XtablesLock> lock;
};

Engine::Engine(std::string config_path, bool explicit_path)
    : config_path_(std::move(config_path)), explicit_path_(explicit_path), backends_(new Backends) {}

Engine::~Engine() { delete backends_; }

bool Engine::reload(Diagnostics& diags) {
    auto next = load(diags);
    if (!next) return false;
    adopt(std::move(*next));
    return true;
}

std::optional<LoadedSetup> Engine::load(Diagnostics& diags, std::string* hash) {
    LoadedSetup l;
    l.setup = load_setup(config_path_, explicit_path_, diags, &l.sources);
    l.hash = sources_hash(l.sources);
    if (hash) *hash = l.hash;
    if (diags.has_errors()) {
        rejected_ = diags;
        return std::nullopt;
    }
    rejected_.reset();
    return l;
}

void Engine::adopt(LoadedSetup l) {
    (void)compiled();  // compiled() stays what the last apply() compiled, not what `l` would
    adopted_ = apply_count_ > 0;
    setup_ = std::move(l.setup);
    sources_ = std::move(l.sources);
    hash_ = std::move(l.hash);
    loaded_ = true;
    rejected_.reset();
}

LoadedSetup Engine::current() const { return LoadedSetup{setup_, sources_, hash_}; }

Result<void> Engine::open_backends() {
    const std::string lock_path =
        xtables_lock_path(setup_.daemon.xtables_lock, setup_.daemon.origins.count("xtables_lock") > 0);
    if (!backends_->lock || backends_->lock->path() != lock_path) backends_->lock = std::make_unique<XtablesLock>(lock_path);
    if (!backends_->ipset) {
        auto s = IpsetBackend::open();
        if (!s) return s.error();
        backends_->ipset = std::move(*s);
    }
    return {};
}

Compiled Engine::compile_applied() const {
    CompileInput in{setup_.model, setup_.felix, setup_.daemon.node, ipv6_enabled(setup_.daemon, setup_.felix),
                    last_links_};
    return compile(in);
}

const Compiled& Engine::compiled() const {
    if (shed_) {
        compiled_ = compile_applied();
        shed_ = false;
    }
    return compiled_;
}

bool Engine::shed() {
    if (shed_ || apply_count_ == 0 || adopted_) return false;
    nf::Ruleset none;
    compiled_.rules = std::move(none);
    shed_ = true;
    return true;
}

ApplyOutcome Engine::apply(const std::vector<Link>& links) {
    const auto start = Clock::now();
    ApplyOutcome out;
    ++apply_count_;
    last_links_ = links;
    compiled_ = Compiled{};  // the previous rules go before the new ones are built
    compiled_ = compile_applied();
    shed_ = adopted_ = false;
    applied_v6_ = compiled_.rules.v6.has_value();
    applied_sets_ = !compiled_.rules.sets.empty();
    applied_table_list_.clear();
    for (const nf::FamilyRuleset* f : {&compiled_.rules.v4, compiled_.rules.v6 ? &*compiled_.rules.v6 : nullptr})
        if (f)
            for (const auto& t : f->tables) applied_table_list_.emplace_back(f->family, t.table);
    out.rules = compiled_.rules.rule_count();
    out.set_members = compiled_.rules.set_member_count();
    auto fail = [&](const SysError& e) {
        out.ok = false;
        out.error = e.message();
        out.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        last_apply_ = out;
        return out;
    };
    // Without IP set support in the kernel (no ip_set module), a ruleset that needs no set is still
    // programmed; one that needs sets is refused whole (rules without their sets would not mean
    // what the policies say) and the previous rules stay. The next retry tries the kernel again.
    if (auto b = open_backends(); !b) {
        if (!backends_->lock || !compiled_.rules.sets.empty()) {
            SysError e = b.error();
            if (backends_->lock)
                e.detail += "; the rules need " + std::to_string(compiled_.rules.sets.size()) +
                            " IP sets, so nothing was changed";
            return fail(e);
        }
        if (!ipset_missing_logged_) HEPD_LOG_WARN("%s; the rules need no IP set", b.error().message().c_str());
        ipset_missing_logged_ = true;
    }
    const unsigned wait_ms = setup_.daemon.lock_wait * 1000;
    applied_tables_.clear();
    // Sets before the rules that name them, stale sets after the rules stopped naming them.
    if (backends_->ipset) {
        auto synced = backends_->ipset->sync(compiled_.rules.sets);
        if (!synced) return fail(synced.error());
        out.set_changes += synced->created + synced->added + synced->removed;
    }
    auto v4 = iptc_apply(compiled_.rules.v4, *backends_->lock, wait_ms);
    if (!v4) return fail(v4.error());
    out.tables_committed += v4->committed.size();
    ProbeState tables = std::move(v4->info);
    if (compiled_.rules.v6) {
        auto v6 = iptc_apply(*compiled_.rules.v6, *backends_->lock, wait_ms);
        if (!v6) return fail(v6.error());
        out.tables_committed += v6->committed.size();
        tables.insert(tables.end(), v6->info.begin(), v6->info.end());
    } else {
        auto v6 = iptc_teardown(6, *backends_->lock, wait_ms);  // IPv6 turned off: remove what was there
        if (!v6) return fail(v6.error());
        out.tables_committed += v6->committed.size();
    }
    if (backends_->ipset) {
        auto stale = backends_->ipset->destroy_stale(compiled_.rules.sets);
        if (!stale) return fail(stale.error());
        out.set_changes += stale->destroyed;
    }
    out.ok = true;
    applied_tables_ = std::move(tables);
    sets_drifted_ = false;  // the sync above brought every set the cache doubted back
    out.changed = out.tables_committed > 0 || out.set_changes > 0;
    out.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    last_apply_ = out;
    return out;
}

ProbeState Engine::probe_tables() const {
    // From the table list kept through shed(): the rules themselves may not be in memory.
    ProbeState p;
    for (const auto& [family, table] : applied_table_list_) {
        auto info = iptc_table_info(family, table);
        p.push_back(info ? *info : TableInfo{});
    }
    return p;
}

namespace {

Clock::duration thread_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

bool Engine::sets_changed() {
    if (!last_apply_.ok || !backends_->ipset || !applied_sets_) return false;  // (kept through shed())
    // The listing costs about 10 us of CPU a set (most of it the kernel's walk of each set's
    // hash buckets for the header's memory size, then libipset's text): nothing for tens of
    // sets, 10-17 ms for W3's 1405. Each listing waits for set_probe_spacing times its own CPU
    // cost (at least the 1 s of the worker's probe), so that it never takes more than 0.1% of a
    // CPU; at most a minute.
    const auto now = Clock::now();
    if (now < next_set_probe_) return sets_drifted_;
    const auto cpu0 = thread_cpu();
    // verify() drops the sets that disagree from the backend's cache, so a second call would not
    // see them again: the finding is kept until the apply that repairs them.
    auto n = backends_->ipset->verify();
    next_set_probe_ = now + std::min<Clock::duration>((thread_cpu() - cpu0) * set_probe_spacing, std::chrono::minutes(1));
    if (!n) {
        if (!set_probe_failing_)
            HEPD_LOG_WARN("drift probe of the sets failed: %s (the full check every IptablesRefreshInterval "
                          "still runs)",
                          n.error().message().c_str());
        set_probe_failing_ = true;
        return sets_drifted_;
    }
    set_probe_failing_ = false;
    if (*n > 0) sets_drifted_ = true;
    return sets_drifted_;
}

DriftReport Engine::check_and_repair() {
    DriftReport report;
    if (!last_apply_.ok) return report;
    (void)compiled();
    report.sets = sets_drifted_;
    auto note = [&](const nf::FamilyRuleset& f) {
        auto d = iptc_diff(f);
        if (!d) {
            HEPD_LOG_WARN("drift check failed: %s", d.error().message().c_str());
            return;
        }
        for (nf::Table t : *d)
            report.tables.push_back("ipv" + std::to_string(f.family) + " " + std::string(nf::table_name(t)));
    };
    note(compiled_.rules.v4);
    if (compiled_.rules.v6) note(*compiled_.rules.v6);
    // The sets: the header-only verify() (a set destroyed, recreated, flushed, grown or shrunk;
    // it drops such sets from the backend's cache, so the apply below reads and repairs them),
    // and a full read of every member at most once per IptablesRefreshInterval, which also
    // catches a member swapped for another. Measured (20 sets of 1000 members, loaded 2-core
    // machine): read() 250 ms, verify() 3 ms; 50 sets of 5000: 3.5 s and 25 ms.
    const auto refresh = setup_.felix.iptables_refresh_interval;
    const bool full = refresh.count() > 0 && Clock::now() - last_full_set_check_ >= refresh;
    if (backends_->ipset && !full) {
        auto n = backends_->ipset->verify();
        if (!n)
            HEPD_LOG_WARN("drift check of the sets failed: %s", n.error().message().c_str());
        else if (*n > 0)
            report.sets = true;
    }
    if (backends_->ipset && full) {
        last_full_set_check_ = Clock::now();
        auto have = backends_->ipset->read();
        if (have) {
            for (const auto& want : compiled_.rules.sets) {
                auto it = std::find_if(have->begin(), have->end(), [&](const nf::IpSet& s) { return s.name == want.name; });
                if (it == have->end() || it->members != want.members) report.sets = true;
            }
        }
    }
    if (!report.any()) return report;
    ++repairs_;
    const std::vector<Link> links = last_links_;
    ApplyOutcome again = apply(links);
    if (!again.ok) HEPD_LOG_ERROR("repair failed: %s", again.error.c_str());
    return report;
}

Result<void> Engine::teardown() {
    if (auto b = open_backends(); !b) return b.error();
    const unsigned wait_ms = setup_.daemon.lock_wait * 1000;
    for (uint8_t fam : {4, 6}) {
        auto r = iptc_teardown(fam, *backends_->lock, wait_ms);
        if (!r) return r.error();
    }
    auto s = backends_->ipset->destroy_all();
    if (!s) return s.error();
    return {};
}

}  // namespace hepd
