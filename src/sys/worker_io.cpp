// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/worker_io.hpp"

#include <unistd.h>

#include <cstring>
#include <ctime>
#include <map>

#include "hepd/control.hpp"
#include "hepd/files.hpp"
#include "hepd/log.hpp"
#include "hepd/names.hpp"
#include "hepd/netlink.hpp"
#include "hepd/watchdog.hpp"

namespace hepd {

namespace {

std::string wall_time() {
    const time_t now = time(nullptr);
    tm t{};
    localtime_r(&now, &t);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t.tm_hour, t.tm_min, t.tm_sec);
    return buf;
}

// Accepted and dropped packets of one endpoint chain, from the kernel's rule counters, classified
// by what each rule of the compiled chain does: the established-accept and the "Accept mark ->
// RETURN" rules count as accepted, DROP/REJECT rules (INVALID, end of tier, final) as dropped.
// Failsafe accepts live in the shared failsafe chain and are not attributed to an endpoint.
void add_endpoint_counters(const nf::Chain& chain, const std::vector<RuleCounter>& counters, Counters& accepted,
                           Counters& dropped) {
    if (counters.size() != chain.rules.size()) return;  // kernel differs: a repair is on its way
    for (size_t i = 0; i < counters.size(); ++i) {
        const auto& t = chain.rules[i].target;
        if (t.kind == nf::Target::accept ||
            (t.kind == nf::Target::return_ && !chain.rules[i].matches.empty())) {
            accepted.packets += counters[i].packets;
            accepted.bytes += counters[i].bytes;
        } else if (t.kind == nf::Target::drop || t.kind == nf::Target::reject) {
            dropped.packets += counters[i].packets;
            dropped.bytes += counters[i].bytes;
        }
    }
}

// Lost interface notifications (netlink ENOBUFS) and the full re-reads that repaired them: a past
// event, so it does not make the daemon degraded.
void add_netlink_warning(StatusReport& r, const LinkMonitor& links) {
    const LinkMonitorStats& st = links.stats();
    if (st.overruns == 0 && st.truncated == 0) return;
    StatusWarning w;
    w.kind = WarningKind::backend_error;
    w.count = st.overruns + st.truncated;
    w.message = "netlink: interface notifications lost (" + std::to_string(st.overruns) +
                " overruns); every link and address was read again (" + std::to_string(st.resyncs) + " full reads)";
    r.warnings.push_back(std::move(w));
}

}  // namespace

std::vector<WatchdogEvent> read_watchdog_events(const std::string& state_dir) {
    std::vector<WatchdogEvent> out;
    auto text = read_file(state_dir + watchdog_file, 64 * 1024);
    if (!text) return out;
    auto w = parse_watch_file(*text);
    if (!w) return out;
    for (const auto& e : w->events) out.push_back(WatchdogEvent{wall_clock_text(e.at), e.what});
    return out;
}

StatusReport make_status_report(const Engine& engine, const std::vector<LinkState>& links, bool with_counters,
                                std::chrono::steady_clock::time_point started, const std::vector<StatusWarning>& warnings) {
    StatusReport r;
    const Setup& s = engine.setup();
    const ApplyOutcome& last = engine.last_apply();
    r.version = HEPD_VERSION;
    r.pid = getpid();
    r.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    r.backend = "iptables-legacy (libiptc)";
    r.node = s.daemon.node;
    if (engine.apply_count() > 0) {
        ApplySummary a;
        a.seq = engine.apply_count();
        a.result = last.ok ? ApplyResult::ok : ApplyResult::failed;
        a.duration_ms = static_cast<uint64_t>(last.duration.count() / 1000);
        a.v4 = true;
        a.v6 = engine.applied_v6();
        a.rules = last.rules;
        a.set_members = last.set_members;
        a.error = last.error;
        r.last_apply = a;
    }
    r.failsafe = FailsafeReport{s.felix.failsafe_inbound, s.felix.failsafe_outbound, s.felix.failsafe_icmpv6_nd};

    // Endpoints: every binding, and this node's endpoints whose interface is absent.
    std::map<std::string, const LinkState*> by_name;
    for (const auto& l : links) by_name[l.name] = &l;
    // The rules themselves only for the counters (an idle engine compiles them again for that).
    const nf::Ruleset no_rules;
    const nf::Ruleset& rules = with_counters ? engine.compiled().rules : no_rules;
    auto chain_of = [&](uint8_t fam, const std::string& name) -> const nf::Chain* {
        const nf::FamilyRuleset* f = fam == 4 ? &rules.v4 : rules.v6 ? &*rules.v6 : nullptr;
        if (!f) return nullptr;
        const nf::TableRuleset* t = f->find(nf::Table::filter);
        return t ? t->find(name) : nullptr;
    };
    // Rule counters: one read of each family's filter table for the whole report.
    ChainCounters counters4, counters6;
    if (with_counters) {
        if (auto c = iptc_table_counters(4, nf::Table::filter)) counters4 = std::move(*c);
        if (rules.v6)
            if (auto c = iptc_table_counters(6, nf::Table::filter)) counters6 = std::move(*c);
    }
    auto counters_of = [&](uint8_t fam, const std::string& name) -> const std::vector<RuleCounter>* {
        const ChainCounters& m = fam == 4 ? counters4 : counters6;
        auto it = m.find(name);
        return it == m.end() ? nullptr : &it->second;
    };
    std::vector<std::string> bound;
    for (const auto& b : engine.bindings()) {
        EndpointStatus e;
        e.name = b.endpoint;
        e.iface = b.iface;
        bound.push_back(b.endpoint);
        if (b.iface == "*") {
            e.state = IfaceState::any;
        } else {
            auto it = by_name.find(b.iface);
            e.state = it == by_name.end() ? IfaceState::absent : it->second->up ? IfaceState::up : IfaceState::down;
        }
        for (const auto& h : s.model.host_endpoints)
            if (h.name == b.endpoint) e.labels = effective_labels(h, s.model);
        e.policies_in = static_cast<uint32_t>(b.ingress_policies.size() + b.profiles.size());
        e.policies_out = static_cast<uint32_t>(b.egress_policies.size() + b.profiles.size());
        if (with_counters) {
            Counters acc, drop;
            for (uint8_t fam : {4, 6}) {
                for (const char* kind : {"fh", "th"}) {
                    const std::string name = names::endpoint_chain(kind, b.iface);
                    const nf::Chain* c = chain_of(fam, name);
                    if (!c) continue;
                    if (const auto* counters = counters_of(fam, name)) add_endpoint_counters(*c, *counters, acc, drop);
                }
            }
            e.accepted = acc;
            e.dropped = drop;
        }
        r.endpoints.push_back(std::move(e));
    }
    for (const auto& h : s.model.host_endpoints) {
        if (h.node != s.daemon.node || std::find(bound.begin(), bound.end(), h.name) != bound.end()) continue;
        EndpointStatus e;
        e.name = h.name;
        e.iface = h.interface_name.empty() ? "(by IP)" : h.interface_name;
        e.state = IfaceState::absent;
        e.labels = effective_labels(h, s.model);
        r.endpoints.push_back(std::move(e));
    }
    for (const auto& p : s.model.policies) {
        PolicyStatus ps;
        ps.order = p.order;
        ps.name = p.name;
        ps.selector = p.selector.empty() ? "all()" : p.selector;
        if (with_counters) {
            uint64_t hits = 0;
            for (uint8_t fam : {4, 6}) {
                for (bool in : {true, false}) {
                    const std::string name = names::policy_chain(in, p.name);
                    const nf::Chain* c = chain_of(fam, name);
                    if (!c) continue;
                    const auto* counters = counters_of(fam, name);
                    if (!counters || counters->size() != c->rules.size()) continue;
                    for (size_t i = 0; i < c->rules.size(); ++i) {
                        const auto& t = c->rules[i].target;
                        if (t.kind == nf::Target::set_mark || t.kind == nf::Target::log) hits += (*counters)[i].packets;
                    }
                }
            }
            ps.hits = hits;
        }
        r.policies.push_back(std::move(ps));
    }
    r.warnings = warnings;
    if (engine.rejected()) {
        StatusWarning w;
        w.kind = WarningKind::config_rejected;
        w.ongoing = true;
        w.message = std::to_string(engine.rejected()->error_count()) +
                    " errors in the configuration on flash; the previous rules stay";
        size_t n = 0;
        for (const auto& d : engine.rejected()->items()) {
            if (d.severity != Severity::error) continue;
            if (++n > 5) break;
            w.details.push_back(d.format());
        }
        r.warnings.push_back(std::move(w));
    }
    if (engine.apply_count() > 0 && !last.ok) {
        StatusWarning w;
        w.kind = last.error.find("xtables lock") != std::string::npos ? WarningKind::lock_timeout : WarningKind::backend_error;
        w.ongoing = true;
        w.message = last.error;
        r.warnings.push_back(std::move(w));
    }
    if (!engine.loaded()) {
        r.state = DaemonState::degraded;
        r.notes.push_back("no valid configuration yet: only hepd's static and failsafe rules are installed");
    } else if (engine.apply_count() == 0) {
        r.state = DaemonState::starting;
    } else if (s.daemon.mode == RunMode::audit) {
        r.state = DaemonState::audit;
    } else {
        r.state = DaemonState::enforcing;
    }
    return r;
}

struct WorkerIo::Impl {
    std::optional<ControlServer> server;
};

WorkerIo::WorkerIo(Engine& engine, LinkMonitor& links)
    : impl_(std::make_unique<Impl>()), engine_(engine), links_(links), started_(std::chrono::steady_clock::now()) {}

WorkerIo::~WorkerIo() = default;

Result<void> WorkerIo::open() {
    ControlServerOptions o;
    o.log = [](std::string_view line) { HEPD_LOG_WARN("control: %.*s", static_cast<int>(line.size()), line.data()); };
    auto s = ControlServer::open(engine_.setup().daemon.socket, o);
    if (!s) return s.error();
    impl_->server.emplace(std::move(*s));
    write_status_file();
    return {};
}

void WorkerIo::add_pollfds(std::vector<pollfd>& fds) {
    if (impl_->server) fds.push_back({impl_->server->fd(), POLLIN, 0});
}

int WorkerIo::poll_timeout_ms() const { return impl_->server ? impl_->server->poll_timeout_ms() : -1; }

void WorkerIo::handle_pollfds(const std::vector<pollfd>& /*fds*/, size_t /*first*/) {
    // The server keeps its own deadlines; calling it on every wake-up is cheap and keeps them.
    if (!impl_->server) return;
    impl_->server->serve([this](const ControlIncoming& in) { return handle(in); });
}

StatusReport WorkerIo::report(bool with_counters) {
    StatusReport r = make_status_report(engine_, links_.snapshot(), with_counters, started_, warnings_);
    add_netlink_warning(r, links_);
    if (decorate_) decorate_(r);
    return r;
}

std::string WorkerIo::handle(const ControlIncoming& in) {
    switch (in.request.verb) {
    case ControlVerb::ping: return control_reply_ok("pong\n");
    case ControlVerb::status:
    case ControlVerb::status_json: {
        StatusReport r = report(true);
        if (in.request.verb == ControlVerb::status_json) return control_reply_ok(format_status_json(r));
        return control_reply_ok(std::string(status_exit_prefix) + std::to_string(status_exit_code(r)) + "\n" +
                                format_status_text(r));
    }
    case ControlVerb::reload:
    case ControlVerb::apply:
    case ControlVerb::confirm:
    case ControlVerb::rollback:
    case ControlVerb::teardown:
        if (command_) return command_(in);
        return control_reply_error(95, std::string(control_verb_name(in.request.verb)) + " is not available");
    }
    return control_reply_error(22, "unknown request");
}

// A failed apply shows as an ongoing warning built from the engine's last outcome, so only the
// status file needs refreshing here.
void WorkerIo::after_apply(const ApplyOutcome& /*out*/) { write_status_file(); }

void WorkerIo::note_repair(const DriftReport& d) {
    std::string what;
    for (const auto& t : d.tables) what += (what.empty() ? "" : ", ") + t;
    if (d.sets) what += (what.empty() ? "" : ", ") + std::string("ipsets");
    HEPD_LOG_WARN("repaired hepd rules changed by someone else: %s", what.c_str());
    for (auto& w : warnings_) {
        if (w.kind != WarningKind::rules_repaired) continue;
        ++w.count;
        w.at = wall_time();
        w.message = "hepd rules changed by someone else were restored (last: " + what + ")";
        write_status_file();
        return;
    }
    StatusWarning w;
    w.kind = WarningKind::rules_repaired;
    w.at = wall_time();
    w.message = "hepd rules changed by someone else were restored (last: " + what + ")";
    warnings_.push_back(std::move(w));
    write_status_file();
}

// The last status, written atomically after every apply, so that `hepd status` has something to
// show when the daemon does not answer (hung, or stopped).
void WorkerIo::write_status_file() {
    const std::string& dir = engine_.setup().daemon.state_dir;
    StatusReport r = report(false);
    r.notes.push_back("written at " + wall_time() + " by pid " + std::to_string(getpid()));
    auto j = write_file_atomic(dir + status_file_json, format_status_json(r), 0600);
    auto t = write_file_atomic(dir + status_file_txt,
                               std::string(status_exit_prefix) + std::to_string(status_exit_code(r)) + "\n" +
                                   format_status_text(r),
                               0600);
    if (!j || !t) HEPD_LOG_DEBUG("status file: %s", (!j ? j.error() : t.error()).message().c_str());
}

}  // namespace hepd
