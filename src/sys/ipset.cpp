// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's IP sets through libipset's session API (LIBIPTC.md section 12).
//
// Goals, and how this file meets them:
//  1. Nothing of libipset can end the process or write to the terminal. Only the session API is
//     used (ipset_init/ipset_parse_line's default handlers call exit()); the session's output
//     callback collects list/save text into a string and never prints; the session is QUIET, so
//     the parser's "Warning:" lines never reach stderr. The callback is noexcept: an allocation
//     failure is recorded and reported as libipset's own print failure, nothing unwinds through C.
//  2. No hostname reaches libipset. Every element is parsed by hepd first (ipset::parse_member,
//     numeric only) and handed to ipset_parse_elem as Member::elem_text(): digits and separators,
//     the protocol as a number, so no getaddrinfo lookup, no /etc/protocols, no /etc/services.
//  3. Errors are values. Every failure becomes a SysError naming the operation, the set and the
//     member, with libipset's report (the kernel's reason) copied into `detail`; input errors are
//     all found before the first change (sync plans everything, then applies).
//  4. A member change never empties a set: sync adds the new members, then deletes the old ones,
//     in place; no flush, no swap. Only a set of the wrong type, family or options is destroyed
//     and created again, and only while no rule references it (the kernel refuses otherwise and
//     sync says so before touching anything).
//  5. Cheap when nothing changed. The backend keeps each set's members as of its own last write
//     or read, and sync diffs against that: a no-op sync over known sets makes no kernel request
//     (a header listing costs about 10 us per set in the kernel and libipset, far over the no-op
//     budget, see the Timing test). A set the cache does not know is read (SAVE of that one set).
//     Changes behind hepd's back are found two ways: a write that fails (set destroyed or
//     retyped) re-reads that set and retries once; verify() (the daemon's tamper timer) lists
//     every set's header (type, family, options, entry count, initval: a random hash seed per
//     creation) and drops the sets that disagree, so the next sync repairs them. A member
//     swapped for another (same count) is only seen after invalidate() (the full refresh).
//  6. Fast writes. Adds and deletes of one set go out as one batched netlink message per page
//     (ipset_cmd with a line number, then ipset_commit), with IPSET_ENV_EXIST so a member that
//     someone else already added (or deleted) does not abort the batch.
//  7. Foreign sets are never touched or read member by member: only names passing
//     names::is_owned_set are created, changed, destroyed or saved.
//
// Kernel and library behaviour this file works around:
//  - A SAVE or LIST dump of a set that does not exist is answered with two error messages
//    (ip_set_dump_start acks by hand, then netlink acks again); libipset reads one and the next
//    command would read the stale one. So a set is looked up with IPSET_CMD_HEADER (a plain
//    request, one answer) before it is listed, and the session is replaced after any failed dump.
//  - After a batch, the session keeps the last line number and prefixes later errors with
//    "Error in line N: "; it is reset after every batch.
//
// Known limitations:
//  - verify() costs about 5-10 us per set in the kernel (one dump message per set, each header
//    sizing the hash) and libipset (text per set): about 0.6 ms for 100 sets here.
//  - Set names are read from libipset's text, split on spaces: a foreign set whose name contains a
//    space could be mistaken; hepd's own names never contain one.
//  - One IpsetBackend per process (libipset's name-to-type cache is process-wide and cleared by
//    every ipset_session_fini).
#include "hepd/ipset.hpp"

#include <libipset/data.h>
#include <libipset/nfproto.h>
#include <libipset/parse.h>
#include <libipset/session.h>
#include <libipset/types.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <set>

#include "hepd/files.hpp"
#include "hepd/ipset_output.hpp"
#include "hepd/names.hpp"

namespace hepd {

namespace {

std::atomic<bool> backend_open{false};

SysError input_error(std::string detail) { return SysError{"ipset sync", EINVAL, std::move(detail)}; }

std::string family_name(uint8_t f) { return f == 4 ? "inet" : f == 6 ? "inet6" : "?"; }

}  // namespace

struct IpsetBackend::Impl {
    ipset_session* s = nullptr;
    ipset::OutputBuffer output;  // what the output callback collects for the running command
    // Types resolved at open(): [hash:net, hash:ip,port] x [IPv4, IPv6].
    const ipset_type* types[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};

    struct Cached {
        std::string type;
        uint8_t family = 4;
        std::vector<std::string> members;  // canonical, sorted
        std::optional<uint32_t> initval;   // unknown right after our own create
    };
    std::map<std::string, Cached, std::less<>> cache;
    IpsetCounters counters;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        if (s) ipset_session_fini(s);
        backend_open.store(false);
    }

    const ipset_type* type_of(ipset::SetType t, uint8_t family) const {
        return types[t == ipset::SetType::hash_net ? 0 : 1][family == 4 ? 0 : 1];
    }

    // libipset's report (the kernel's reason, or the parser's), without the trailing newline;
    // clears it for the next command.
    std::string take_report() {
        std::string r = ipset_session_report_msg(s);
        while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
        ipset_session_report_reset(s);
        return r;
    }

    SysError lib_error(std::string op, int err = 0) { return SysError{std::move(op), err, take_report()}; }

    // Runs one listing command and returns the text the callback collected.
    Result<std::string> listing(enum ipset_cmd cmd, ipset_output_mode mode, const std::string* setname, bool headers) {
        output.text.clear();
        output.failed = false;
        ipset_session_report_reset(s);
        ipset_data_reset(ipset_session_data(s));
        ipset_session_output(s, mode);
        if (headers) ipset_envopt_set(s, IPSET_ENV_LIST_HEADER);
        if (setname) ipset_data_set(ipset_session_data(s), IPSET_SETNAME, setname->c_str());
        const int r = ipset_cmd(s, cmd, 0);
        if (headers) ipset_envopt_unset(s, IPSET_ENV_LIST_HEADER);
        const std::string what = std::string(cmd == IPSET_CMD_SAVE ? "ipset save" : "ipset list -t") +
                                 (setname ? " " + *setname : std::string());
        if (r >= 0 && !output.failed) return std::move(output.text);
        SysError e = output.failed ? SysError{what, ENOMEM, "listing output larger than " +
                                                               std::to_string(output.limit >> 20) + " MiB or out of memory"}
                                : lib_error(what);
        output.text.clear();
        // A dump that fails to start (no such set) is answered with two error messages (the
        // kernel's ip_set_dump_start acks by hand, then netlink acks again); libipset reads one,
        // so the next command would read the stale one. A new session (socket) starts clean.
        if (auto re = restart(); !re) return re.error();
        return e;
    }

    // Opens the session and checks the kernel's protocol version (IPSET_CMD_NONE does only that).
    Result<void> start() {
        if (test_hook("HEPD_TEST_NO_IPSET")) {  // fault injection for tests/netns/61-faults.sh
            // What a kernel without ip_set answers (nfnetlink has no such subsystem).
            SysError e = ipset_open_error("Kernel error received: Invalid argument\n", 0);
            e.detail += " (simulated: HEPD_TEST_NO_IPSET)";
            return e;
        }
        s = ipset_session_init(&ipset::collect_output, &output);
        if (!s) return sys_error("ipset_session_init", ENOMEM);
        ipset_envopt_set(s, IPSET_ENV_QUIET);
        errno = 0;
        if (ipset_cmd(s, IPSET_CMD_NONE, 0) < 0) {
            const int e = errno;
            SysError err = ipset_open_error(take_report(), e);
            ipset_session_fini(s);
            s = nullptr;
            return err;
        }
        return {};
    }

    // A session to work with: the current one, or a new one if a restart failed before.
    Result<void> ready() { return s ? Result<void>() : start(); }

    // Replaces the session (a new netlink socket). The cache stays: it describes the kernel.
    Result<void> restart() {
        if (s) ipset_session_fini(s);
        s = nullptr;
        return start();
    }

    // True when the kernel has a set of that name: IPSET_CMD_HEADER, a plain request (no dump),
    // answered by one message either way.
    Result<bool> exists(const std::string& name) {
        ipset_session_report_reset(s);
        ipset_data_reset(ipset_session_data(s));
        ipset_data_set(ipset_session_data(s), IPSET_SETNAME, name.c_str());
        const int r = ipset_cmd(s, IPSET_CMD_HEADER, 0);
        ipset_data_reset(ipset_session_data(s));
        if (r == 0) return true;
        SysError e = lib_error("ipset header " + name);
        if (e.detail.find("does not exist") != std::string::npos) return false;
        return e;
    }

    // The cheap check: headers of every set, hepd's only.
    Result<std::vector<ipset::KernelSet>> probe() {
        ++counters.probes;
        auto text = listing(IPSET_CMD_LIST, IPSET_LIST_PLAIN, nullptr, true);
        if (!text) return text.error();
        std::string why;
        auto sets = ipset::parse_list_headers(*text, &why);
        if (!sets) return SysError{"ipset list -t", EPROTO, why};
        return std::move(*sets);
    }

    // One set's create line and members; nullopt when the kernel has no set of that name.
    Result<std::optional<ipset::KernelSet>> read_set(const std::string& name) {
        ++counters.set_reads;
        auto there = exists(name);
        if (!there) return there.error();
        if (!*there) return std::optional<ipset::KernelSet>();
        auto text = listing(IPSET_CMD_SAVE, IPSET_LIST_SAVE, &name, false);
        if (!text) {
            if (text.error().detail.find("does not exist") != std::string::npos)
                return std::optional<ipset::KernelSet>();
            return text.error();
        }
        std::string why;
        auto sets = ipset::parse_save(*text, &why);
        if (!sets) return SysError{"ipset save " + name, EPROTO, why};
        for (auto& k : *sets)
            if (k.set.name == name) return std::optional<ipset::KernelSet>(std::move(k));
        return std::optional<ipset::KernelSet>();
    }

    void remember(const ipset::KernelSet& k) {
        if (!k.conforms()) {
            cache.erase(k.set.name);
            return;
        }
        cache[k.set.name] = Cached{k.set.type, k.set.family, k.set.members, k.initval};
    }

    // True when the header listing of a set agrees with what the cache holds for it: same type,
    // family, no options, same entry count and (when both are known) the same initval. Learns
    // the initval of a set hepd created itself.
    static bool agrees(Cached& c, const ipset::KernelSet& p) {
        bool ok = c.type == p.set.type && c.family == p.set.family && p.options.empty();
        if (ok && p.entries && *p.entries != c.members.size()) ok = false;
        if (ok && c.initval && p.initval && *c.initval != *p.initval) ok = false;
        if (ok && !c.initval) c.initval = p.initval;
        return ok;
    }

    // One set's header (references, entries, options); nullopt when there is no such set.
    Result<std::optional<ipset::KernelSet>> header(const std::string& name) {
        ++counters.probes;
        auto there = exists(name);
        if (!there) return there.error();
        if (!*there) return std::optional<ipset::KernelSet>();
        auto text = listing(IPSET_CMD_LIST, IPSET_LIST_PLAIN, &name, true);
        if (!text) {
            if (text.error().detail.find("does not exist") != std::string::npos)
                return std::optional<ipset::KernelSet>();
            return text.error();
        }
        std::string why;
        auto sets = ipset::parse_list_headers(*text, &why);
        if (!sets) return SysError{"ipset list -t " + name, EPROTO, why};
        for (auto& k : *sets)
            if (k.set.name == name) return std::optional<ipset::KernelSet>(std::move(k));
        return std::optional<ipset::KernelSet>();
    }

    struct Step {
        ipset::SetChange change;
        std::vector<std::string> final_members;
        size_t desired = 0;  // index into sync's argument
    };

    // What one desired set needs, from the cache or, when the cache does not know the set, from
    // the kernel (one SAVE of that set). A set that must be recreated while rules reference it
    // is described in `blocked` instead.
    Result<std::optional<Step>> plan_one(const nf::IpSet& d, std::vector<std::string>& blocked) {
        auto it = cache.find(d.name);
        Cached* c = it == cache.end() ? nullptr : &it->second;
        std::optional<ipset::KernelSet> k;
        if (!c) {
            auto r = read_set(d.name);
            if (!r) return r.error();
            if (*r) {
                k = std::move(**r);
                remember(*k);
                if (k->conforms() && k->set.type == d.type && k->set.family == d.family) c = &cache.find(d.name)->second;
            }
        }
        if (c && c->members == d.members) return std::optional<Step>();  // in sync; `d` was canonical
        std::string why;
        auto want = ipset::canonical_set(d, &why);
        if (!want) return input_error(why);
        if (c) {
            if (c->members == want->members) return std::optional<Step>();
            Step step;
            step.change = ipset::SetChange{ipset::SetChange::update, d.name, *ipset::parse_set_type(d.type), d.family, {}, {}};
            ipset::diff_members(want->members, c->members, step.change.add, step.change.del);
            step.final_members = std::move(want->members);
            return std::optional<Step>(std::move(step));
        }
        auto ch = ipset::diff_set(*want, k ? &*k : nullptr);
        if (!ch) return std::optional<Step>();
        if (ch->kind == ipset::SetChange::recreate) {
            auto h = header(d.name);
            if (!h) return h.error();
            if (!*h) {
                ch->kind = ipset::SetChange::create;  // destroyed meanwhile
            } else if (const uint32_t refs = (*h)->references.value_or(0); refs > 0) {
                std::string is = k->set.type + " family " + family_name(k->set.family);
                if (!k->options.empty()) is += " " + k->options;
                if (!k->odd_members.empty()) is += " with members hepd cannot read";
                blocked.push_back(d.name + " (the kernel has " + is + ", hepd wants " + d.type + " family " +
                                  family_name(d.family) + "; " + std::to_string(refs) + " reference" +
                                  (refs == 1 ? "" : "s") + ")");
                return std::optional<Step>();
            }
        }
        Step step;
        step.change = std::move(*ch);
        step.final_members = std::move(want->members);
        return std::optional<Step>(std::move(step));
    }

    // Carries out one step; counts into `st` only when the whole step succeeded. On failure the
    // set's cache entry is gone (its state is whatever the kernel did).
    Result<void> apply(Step& step, SetSyncStats& st) {
        const auto& ch = step.change;
        SetSyncStats here;
        if (ch.kind == ipset::SetChange::recreate) {
            bool busy = false;
            if (auto r = destroy(ch.name, &busy); !r) return r.error();
            if (busy)
                return SysError{"ipset destroy " + ch.name, EBUSY, "cannot recreate with another type: a rule references it"};
            ++here.destroyed;
        }
        if (ch.kind != ipset::SetChange::update) {
            cache.erase(ch.name);
            if (auto r = create(ch.name, ch.type, ch.family); !r) return r.error();
            ++here.created;
            cache[ch.name] = Cached{std::string(ipset::set_type_name(ch.type)), ch.family, {}, std::nullopt};
        }
        if (auto r = add_del(IPSET_CMD_ADD, ch.name, ch.type, ch.family, ch.add); !r) return r.error();
        here.added += ch.add.size();
        if (auto r = add_del(IPSET_CMD_DEL, ch.name, ch.type, ch.family, ch.del); !r) return r.error();
        here.removed += ch.del.size();
        if (auto it = cache.find(ch.name); it != cache.end()) it->second.members = std::move(step.final_members);
        st.created += here.created;
        st.destroyed += here.destroyed;
        st.added += here.added;
        st.removed += here.removed;
        return {};
    }

    Result<void> create(const std::string& name, ipset::SetType type, uint8_t family) {
        ++counters.writes;
        ipset_session_report_reset(s);
        ipset_data_reset(ipset_session_data(s));
        const std::string op = "ipset create " + name + " " + std::string(ipset::set_type_name(type)) + " family " +
                               (family == 4 ? "inet" : "inet6");
        const std::string tname(ipset::set_type_name(type));
        if (ipset_parse_setname(s, IPSET_SETNAME, name.c_str()) < 0 ||
            ipset_parse_family(s, IPSET_OPT_FAMILY, family == 4 ? "inet" : "inet6") < 0 ||
            ipset_parse_typename(s, IPSET_OPT_TYPENAME, tname.c_str()) < 0 || ipset_cmd(s, IPSET_CMD_CREATE, 0) < 0)
            return lib_error(op);
        return {};
    }

    // Destroys one set; *busy is set (and no error returned) when a rule still references it.
    Result<void> destroy(const std::string& name, bool* busy) {
        ++counters.writes;
        ipset_session_report_reset(s);
        ipset_data_reset(ipset_session_data(s));
        ipset_data_set(ipset_session_data(s), IPSET_SETNAME, name.c_str());
        if (ipset_cmd(s, IPSET_CMD_DESTROY, 0) < 0) {
            SysError e = lib_error("ipset destroy " + name);
            // libipset's text for the kernel's IPSET_ERR_BUSY on DESTROY.
            if (busy && e.detail.find("in use by a kernel component") != std::string::npos) {
                *busy = true;
                return {};
            }
            return e;
        }
        cache.erase(name);
        return {};
    }

    // Adds or deletes members of one set in batches. `members` are canonical.
    Result<void> add_del(enum ipset_cmd cmd, const std::string& name, ipset::SetType type, uint8_t family,
                         const std::vector<std::string>& members) {
        if (members.empty()) return {};
        ++counters.writes;
        const char* verb = cmd == IPSET_CMD_ADD ? "add" : "del";
        // Every element is converted before the first is handed over, so a bad one cannot leave
        // half a batch buffered in the session.
        std::vector<std::string> elems;
        elems.reserve(members.size());
        for (const auto& m : members) {
            std::string why;
            auto mm = ipset::parse_member(type, family, m, &why);
            if (!mm) return SysError{std::string("ipset ") + verb + " " + name, EINVAL, why};
            elems.push_back(mm->elem_text());
        }
        const ipset_type* t = type_of(type, family);
        const uint8_t nfproto = family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
        ipset_session_report_reset(s);
        ipset_data_reset(ipset_session_data(s));
        ipset_envopt_set(s, IPSET_ENV_EXIST);
        auto failed = [&](size_t index) {
            std::string report = take_report();
            // In a batch the kernel names the failing element by its line number.
            size_t at = index;
            constexpr std::string_view prefix = "Error in line ";
            if (report.starts_with(prefix)) {
                unsigned line = 0;
                const char* b = report.data() + prefix.size();
                auto [end, ec] = std::from_chars(b, report.data() + report.size(), line);
                if (ec == std::errc() && line >= 1 && line <= members.size()) {
                    at = line - 1;
                    report.erase(0, static_cast<size_t>(end - report.data()));
                    if (report.starts_with(": ")) report.erase(0, 2);
                }
            }
            ipset_envopt_unset(s, IPSET_ENV_EXIST);
            ipset_session_lineno(s, 0);  // else later errors read "Error in line N: ..."
            ipset_data_reset(ipset_session_data(s));
            cache.erase(name);
            const std::string& m = members[std::min(at, members.size() - 1)];
            return SysError{std::string("ipset ") + verb + " " + name + " " + m, 0, report};
        };
        for (size_t i = 0; i < elems.size(); ++i) {
            ipset_data* d = ipset_session_data(s);
            ipset_data_set(d, IPSET_SETNAME, name.c_str());
            ipset_data_set(d, IPSET_OPT_FAMILY, &nfproto);
            ipset_data_set(d, IPSET_OPT_TYPE, t);
            if (ipset_parse_elem(s, t->last_elem_optional, elems[i].c_str()) < 0) {
                SysError e = failed(i);
                (void)ipset_commit(s);  // hand over what is buffered: valid elements, now known
                take_report();
                return e;
            }
            if (ipset_cmd(s, cmd, static_cast<uint32_t>(i + 1)) < 0) return failed(i);
        }
        if (ipset_commit(s) < 0) return failed(elems.size() - 1);
        ipset_envopt_unset(s, IPSET_ENV_EXIST);
        ipset_session_lineno(s, 0);
        return {};
    }
};

IpsetBackend::IpsetBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IpsetBackend::~IpsetBackend() = default;

const IpsetCounters& IpsetBackend::counters() const { return impl_->counters; }

void IpsetBackend::invalidate() { impl_->cache.clear(); }

Result<std::unique_ptr<IpsetBackend>> IpsetBackend::open() {
    // libipset's type table, filled once per process (a static local's initialisation is
    // itself thread-safe, without pulling std::call_once's machinery into the static binary).
    static const bool types_loaded = (ipset_load_types(), true);
    (void)types_loaded;
    if (backend_open.exchange(true))
        return SysError{"ipset: open a second backend", EBUSY,
                        "one IpsetBackend per process (libipset's set cache is process-wide)"};
    auto impl = std::make_unique<Impl>();  // from here on, ~Impl clears backend_open
    if (auto r = impl->start(); !r) return r.error();
    // Asks the kernel which revisions of the two types it has (IPSET_CMD_TYPE), once per type.
    for (auto type : {ipset::SetType::hash_net, ipset::SetType::hash_ip_port}) {
        for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
            ipset_data* d = ipset_session_data(impl->s);
            ipset_data_reset(d);
            const std::string tname(ipset::set_type_name(type));
            if (ipset_parse_family(impl->s, IPSET_OPT_FAMILY, family == 4 ? "inet" : "inet6") < 0 ||
                ipset_parse_typename(impl->s, IPSET_OPT_TYPENAME, tname.c_str()) < 0)
                return impl->lib_error("ipset: the kernel has no " + tname + " family " + family_name(family) +
                                       " sets");
            impl->types[type == ipset::SetType::hash_net ? 0 : 1][family == 4 ? 0 : 1] =
                static_cast<const ipset_type*>(ipset_data_get(d, IPSET_OPT_TYPE));
            ipset_data_reset(d);
        }
    }
    return std::unique_ptr<IpsetBackend>(new IpsetBackend(std::move(impl)));
}

Result<std::vector<nf::IpSet>> IpsetBackend::read() {
    Impl& m = *impl_;
    if (auto r = m.ready(); !r) return r.error();
    auto probe = m.probe();
    if (!probe) return probe.error();
    std::vector<nf::IpSet> out;
    m.cache.clear();
    for (const auto& p : *probe) {
        auto k = m.read_set(p.set.name);
        if (!k) return k.error();
        if (!*k) continue;  // destroyed since the probe
        m.remember(**k);
        nf::IpSet s = std::move((*k)->set);
        if (!(*k)->odd_members.empty()) {
            s.members.insert(s.members.end(), (*k)->odd_members.begin(), (*k)->odd_members.end());
            std::sort(s.members.begin(), s.members.end());
        }
        out.push_back(std::move(s));
    }
    return out;
}

Result<SetSyncStats> IpsetBackend::sync(const std::vector<nf::IpSet>& desired) {
    Impl& m = *impl_;
    if (auto r = m.ready(); !r) return r.error();
    // 1. Names, types and families of every desired set, before asking the kernel anything.
    std::vector<std::string_view> names;
    names.reserve(desired.size());
    for (const auto& d : desired) {
        if (auto e = ipset::check_set_header(d)) return input_error(*e);
        names.push_back(d.name);
    }
    std::sort(names.begin(), names.end());
    if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
        return input_error("set '" + std::string(*dup) + "' is listed twice");
    // 2. The plan: every change, with every member checked, before the first write.
    std::vector<Impl::Step> plan;
    std::vector<std::string> blocked;
    for (size_t i = 0; i < desired.size(); ++i) {
        auto step = m.plan_one(desired[i], blocked);
        if (!step) return step.error();
        if (*step) {
            (*step)->desired = i;
            plan.push_back(std::move(**step));
        }
    }
    if (!blocked.empty()) {
        std::string detail = "cannot recreate, rules still reference ";
        for (size_t i = 0; i < blocked.size(); ++i) detail += (i ? "; " : "") + blocked[i];
        return SysError{"ipset sync", EBUSY, detail};
    }
    // 3. Apply, one set at a time. A set whose write fails is read back and planned again once
    //    (the cache was stale: destroyed or changed behind hepd's back); a second failure stops.
    SetSyncStats st;
    for (auto& step : plan) {
        auto r = m.apply(step, st);
        if (r) continue;
        std::vector<std::string> again_blocked;
        auto again = m.plan_one(desired[step.desired], again_blocked);
        if (!again) return again.error();
        if (!again_blocked.empty()) return SysError{"ipset sync", EBUSY, "cannot recreate, rules still reference " + again_blocked[0]};
        if (!*again) continue;  // someone else made it right meanwhile
        if (auto r2 = m.apply(**again, st); !r2) return r2.error();
    }
    return st;
}

Result<size_t> IpsetBackend::verify() {
    Impl& m = *impl_;
    if (auto r = m.ready(); !r) return r.error();
    auto probe = m.probe();
    if (!probe) return probe.error();
    std::map<std::string_view, const ipset::KernelSet*> in_kernel;
    for (const auto& p : *probe) in_kernel[p.set.name] = &p;
    size_t dropped = 0;
    for (auto it = m.cache.begin(); it != m.cache.end();) {
        auto k = in_kernel.find(it->first);
        if (k == in_kernel.end() || !Impl::agrees(it->second, *k->second)) {
            it = m.cache.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

Result<SetSyncStats> IpsetBackend::destroy_stale(const std::vector<nf::IpSet>& keep) {
    Impl& m = *impl_;
    if (auto r = m.ready(); !r) return r.error();
    std::set<std::string_view> kept;
    for (const auto& k : keep) kept.insert(k.name);
    auto probe = m.probe();
    if (!probe) return probe.error();
    SetSyncStats st;
    std::string busy_names;
    for (const auto& p : *probe) {
        if (kept.count(p.set.name)) continue;
        bool busy = p.references.value_or(0) > 0;
        if (!busy) {
            if (auto r = m.destroy(p.set.name, &busy); !r) return r.error();
        }
        if (busy) {
            busy_names += (busy_names.empty() ? "" : ", ") + p.set.name;
            continue;
        }
        ++st.destroyed;
    }
    if (!busy_names.empty())
        return SysError{"ipset destroy", EBUSY,
                        "still referenced by rules, left in place: " + busy_names + " (" +
                            std::to_string(st.destroyed) + " other set" + (st.destroyed == 1 ? "" : "s") +
                            " destroyed)"};
    return st;
}

Result<SetSyncStats> IpsetBackend::destroy_all() { return destroy_stale({}); }

}  // namespace hepd
