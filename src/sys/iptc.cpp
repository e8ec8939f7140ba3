// SPDX-License-Identifier: GPL-2.0-or-later
// libiptc backend; see include/hepd/iptc.hpp for the goals.
//
// Per table and family, apply is:
//
//   lock -> iptc_init -> read hepd chains + hepd jumps in built-in chains -> plan
//        -> nothing differs?  free, unlock (no commit)
//        -> create missing chains (before anything jumps to them: libiptc would otherwise take
//           the name for an extension target), rewrite the differing middle of changed chains,
//           fix the hook jumps, flush then delete stale hepd chains -> commit -> free -> unlock
//   commit EAGAIN (another writer got in between) -> start over, at most 3 times.
#include "hepd/iptc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

extern "C" {
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/xt_CT.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
}

#include "hepd/files.hpp"
#include "hepd/hash.hpp"
#include "hepd/names.hpp"

namespace hepd {

// ---- the xtables lock ----------------------------------------------------------------------

std::string xtables_lock_path(const std::string& configured, bool set_in_config) {
    if (set_in_config) return configured;
    const char* env = std::getenv("XTABLES_LOCKFILE");  // as iptables 1.8 reads it
    return env != nullptr && *env != '\0' ? std::string(env) : configured;
}

XtablesLock::~XtablesLock() {
    if (fd_ >= 0) close(fd_);
}

Result<void> XtablesLock::acquire(unsigned wait_ms) {
    if (held_) return {};
    if (fd_ < 0) {
        fd_ = open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ < 0) return sys_error("open(" + path_ + ")");
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (true) {
        if (flock(fd_, LOCK_EX | LOCK_NB) == 0) {
            held_ = true;
            return {};
        }
        if (errno != EWOULDBLOCK && errno != EINTR) return sys_error("flock(" + path_ + ")");
        if (std::chrono::steady_clock::now() >= deadline)
            return sys_error("flock(" + path_ + ")", ETIMEDOUT,
                             "another program holds the xtables lock (waited " + std::to_string(wait_ms) + " ms)");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void XtablesLock::release() {
    if (held_ && fd_ >= 0) flock(fd_, LOCK_UN);
    held_ = false;
}

namespace {

// ---- family traits -------------------------------------------------------------------------

struct V4 {
    using Entry = ipt_entry;
    static constexpr uint8_t family = 4;
    static constexpr uint8_t goto_flag = IPT_F_GOTO;
    static xtc_handle* init(const char* t) { return iptc_init(t); }
    static void free_(xtc_handle* h) { iptc_free(h); }
    static int commit(xtc_handle* h) { return iptc_commit(h); }
    static const char* first_chain(xtc_handle* h) { return iptc_first_chain(h); }
    static const char* next_chain(xtc_handle* h) { return iptc_next_chain(h); }
    static const Entry* first_rule(const char* c, xtc_handle* h) { return iptc_first_rule(c, h); }
    static const Entry* next_rule(const Entry* e, xtc_handle* h) { return iptc_next_rule(e, h); }
    static const char* get_target(const Entry* e, xtc_handle* h) { return iptc_get_target(e, h); }
    static int builtin(const char* c, xtc_handle* h) { return iptc_builtin(c, h); }
    static int is_chain(const char* c, xtc_handle* h) { return iptc_is_chain(c, h); }
    static int create_chain(const xt_chainlabel c, xtc_handle* h) { return iptc_create_chain(c, h); }
    static int flush(const xt_chainlabel c, xtc_handle* h) { return iptc_flush_entries(c, h); }
    static int delete_chain(const xt_chainlabel c, xtc_handle* h) { return iptc_delete_chain(c, h); }
    static int insert(const xt_chainlabel c, const Entry* e, unsigned n, xtc_handle* h) {
        return iptc_insert_entry(c, e, n, h);
    }
    static int append(const xt_chainlabel c, const Entry* e, xtc_handle* h) { return iptc_append_entry(c, e, h); }
    static int delete_num(const xt_chainlabel c, unsigned n, xtc_handle* h) { return iptc_delete_num_entry(c, n, h); }
    static xt_counters* read_counter(const xt_chainlabel c, unsigned n, xtc_handle* h) {
        return iptc_read_counter(c, n, h);
    }
    static const char* strerror_(int e) { return iptc_strerror(e); }
    static uint8_t& flags(Entry& e) { return e.ip.flags; }
    static uint8_t flags(const Entry& e) { return e.ip.flags; }
};

struct V6 {
    using Entry = ip6t_entry;
    static constexpr uint8_t family = 6;
    static constexpr uint8_t goto_flag = IP6T_F_GOTO;
    static xtc_handle* init(const char* t) { return ip6tc_init(t); }
    static void free_(xtc_handle* h) { ip6tc_free(h); }
    static int commit(xtc_handle* h) { return ip6tc_commit(h); }
    static const char* first_chain(xtc_handle* h) { return ip6tc_first_chain(h); }
    static const char* next_chain(xtc_handle* h) { return ip6tc_next_chain(h); }
    static const Entry* first_rule(const char* c, xtc_handle* h) { return ip6tc_first_rule(c, h); }
    static const Entry* next_rule(const Entry* e, xtc_handle* h) { return ip6tc_next_rule(e, h); }
    static const char* get_target(const Entry* e, xtc_handle* h) { return ip6tc_get_target(e, h); }
    static int builtin(const char* c, xtc_handle* h) { return ip6tc_builtin(c, h); }
    static int is_chain(const char* c, xtc_handle* h) { return ip6tc_is_chain(c, h); }
    static int create_chain(const xt_chainlabel c, xtc_handle* h) { return ip6tc_create_chain(c, h); }
    static int flush(const xt_chainlabel c, xtc_handle* h) { return ip6tc_flush_entries(c, h); }
    static int delete_chain(const xt_chainlabel c, xtc_handle* h) { return ip6tc_delete_chain(c, h); }
    static int insert(const xt_chainlabel c, const Entry* e, unsigned n, xtc_handle* h) {
        return ip6tc_insert_entry(c, e, n, h);
    }
    static int append(const xt_chainlabel c, const Entry* e, xtc_handle* h) { return ip6tc_append_entry(c, e, h); }
    static int delete_num(const xt_chainlabel c, unsigned n, xtc_handle* h) { return ip6tc_delete_num_entry(c, n, h); }
    static xt_counters* read_counter(const xt_chainlabel c, unsigned n, xtc_handle* h) {
        return ip6tc_read_counter(c, n, h);
    }
    static const char* strerror_(int e) { return ip6tc_strerror(e); }
    static uint8_t& flags(Entry& e) { return e.ipv6.flags; }
    static uint8_t flags(const Entry& e) { return e.ipv6.flags; }
};

// A chain label as libiptc wants it: a zero-filled 32-byte buffer (LIBIPTC.md section 1).
struct Label {
    xt_chainlabel buf{};
    explicit Label(const std::string& s) { std::strncpy(buf, s.c_str(), sizeof(buf) - 1); }
};

// ---- encoding nf::Rule -> kernel entry -----------------------------------------------------

// The kernel index of an ipset, which the set match carries instead of the name.
class SetIndex {
public:
    ~SetIndex() {
        if (fd_ >= 0) close(fd_);
    }
    Result<ip_set_id_t> lookup(const std::string& name) {
        auto it = cache_.find(name);
        if (it != cache_.end()) return it->second;
        if (fd_ < 0) {
            fd_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
            if (fd_ < 0) return sys_error("socket(raw) for ipset lookups");
            ip_set_req_version v{};
            v.op = IP_SET_OP_VERSION;
            socklen_t len = sizeof v;
            if (getsockopt(fd_, SOL_IP, SO_IP_SET, &v, &len) != 0) return sys_error("getsockopt(SO_IP_SET version)");
            version_ = v.version;
        }
        ip_set_req_get_set_family req{};
        req.op = IP_SET_OP_GET_FNAME;
        req.version = version_;
        std::strncpy(req.set.name, name.c_str(), IPSET_MAXNAMELEN - 1);
        socklen_t len = sizeof req;
        if (getsockopt(fd_, SOL_IP, SO_IP_SET, &req, &len) != 0) return sys_error("getsockopt(SO_IP_SET " + name + ")");
        if (req.set.index == IPSET_INVALID_ID) return sys_error("ipset " + name, ENOENT, "the set does not exist");
        cache_[name] = req.set.index;
        return req.set.index;
    }

private:
    int fd_ = -1;
    unsigned version_ = 0;
    std::map<std::string, ip_set_id_t> cache_;
};

// An encoded entry, 8-byte aligned storage.
struct Encoded {
    std::vector<uint64_t> storage;
    size_t size = 0;
    bool standard = true;  // standard target: compared by name, not by bytes
    std::string target;    // ACCEPT/DROP/RETURN/chain name, or the extension name
    bool is_goto = false;

    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(storage.data()); }
    uint8_t* data() { return reinterpret_cast<uint8_t*>(storage.data()); }
};

template <class F>
class Encoder {
public:
    using Entry = typename F::Entry;

    explicit Encoder(SetIndex& sets) : sets_(sets) {}

    Result<Encoded> encode(const nf::Rule& r) {
        bytes_.assign(sizeof(Entry), 0);
        Entry e{};
        fill_ip(e, r);
        std::memcpy(bytes_.data(), &e, sizeof e);
        for (const auto& m : r.matches) {
            auto res = std::visit([this](const auto& x) { return add(x); }, m);
            if (!res) return res.error();
        }
        const size_t target_offset = bytes_.size();
        Encoded out;
        add_target(r.target, out);
        Entry* hdr = reinterpret_cast<Entry*>(bytes_.data());
        hdr->target_offset = static_cast<uint16_t>(target_offset);
        hdr->next_offset = static_cast<uint16_t>(bytes_.size());
        out.size = bytes_.size();
        out.storage.assign((bytes_.size() + 7) / 8, 0);
        std::memcpy(out.data(), bytes_.data(), bytes_.size());
        return out;
    }

private:
    SetIndex& sets_;
    std::vector<uint8_t> bytes_;

    static void iface(const std::string& name, char* field, unsigned char* mask) {
        if (name.empty()) return;
        std::strncpy(field, name.c_str(), IFNAMSIZ - 1);
        // The CLI's way: an exact name compares its NUL too; "eth+" keeps the '+' and compares
        // the characters before it.
        const size_t n = name.back() == '+' ? name.size() - 1 : name.size() + 1;
        std::memset(mask, 0xFF, std::min<size_t>(n, IFNAMSIZ));
    }

    void fill_ip(Entry& e, const nf::Rule& r) {
        uint8_t inv = 0;
        if constexpr (F::family == 4) {
            auto& ip = e.ip;
            if (r.src) set_addr4(*r.src, ip.src, ip.smsk);
            if (r.dst) set_addr4(*r.dst, ip.dst, ip.dmsk);
            iface(r.in_iface, ip.iniface, ip.iniface_mask);
            iface(r.out_iface, ip.outiface, ip.outiface_mask);
            ip.proto = r.proto;
        } else {
            auto& ip = e.ipv6;
            if (r.src) set_addr6(*r.src, ip.src, ip.smsk);
            if (r.dst) set_addr6(*r.dst, ip.dst, ip.dmsk);
            iface(r.in_iface, ip.iniface, ip.iniface_mask);
            iface(r.out_iface, ip.outiface, ip.outiface_mask);
            ip.proto = r.proto;
            // Without IP6T_F_PROTO the kernel ignores the protocol (LIBIPTC.md section 10).
            if (r.proto != 0) ip.flags |= IP6T_F_PROTO;
        }
        if (r.in_negate) inv |= IPT_INV_VIA_IN;
        if (r.out_negate) inv |= IPT_INV_VIA_OUT;
        if (r.src && r.src_negate) inv |= IPT_INV_SRCIP;
        if (r.dst && r.dst_negate) inv |= IPT_INV_DSTIP;
        if (r.proto != 0 && r.proto_negate) inv |= XT_INV_PROTO;
        if constexpr (F::family == 4) {
            e.ip.invflags = inv;
        } else {
            e.ipv6.invflags = inv;
        }
        if (r.target.kind == nf::Target::goto_) F::flags(e) |= F::goto_flag;
    }

    static void set_addr4(const Cidr& c, in_addr& addr, in_addr& mask) {
        const Cidr m = c.masked();  // the kernel does not mask; the CLI does
        std::memcpy(&addr, m.addr.bytes.data(), 4);
        uint32_t bits = c.prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - c.prefix);
        mask.s_addr = htonl(bits);
    }

    static void set_addr6(const Cidr& c, in6_addr& addr, in6_addr& mask) {
        const Cidr m = c.masked();
        std::memcpy(&addr, m.addr.bytes.data(), 16);
        uint8_t* mb = reinterpret_cast<uint8_t*>(&mask);
        for (unsigned i = 0; i < 16; ++i) {
            const unsigned bit0 = i * 8;
            mb[i] = bit0 + 8 <= c.prefix ? 0xFF : bit0 >= c.prefix ? 0 : static_cast<uint8_t>(0xFF << (8 - (c.prefix - bit0)));
        }
    }

    template <class T>
    void put(const char* name, uint8_t revision, const T& data) {
        const size_t size = XT_ALIGN(sizeof(xt_entry_match)) + XT_ALIGN(sizeof(T));
        const size_t at = bytes_.size();
        bytes_.resize(at + size, 0);
        auto* m = reinterpret_cast<xt_entry_match*>(bytes_.data() + at);
        m->u.user.match_size = static_cast<uint16_t>(size);
        std::strncpy(m->u.user.name, name, sizeof(m->u.user.name) - 1);
        m->u.user.revision = revision;
        std::memcpy(m->data, &data, sizeof(T));
    }

    Result<void> add(const nf::CtStateMatch& m) {
        xt_conntrack_mtinfo3 info{};
        info.match_flags = XT_CONNTRACK_STATE;
        if (m.negate) info.invert_flags = XT_CONNTRACK_STATE;
        info.state_mask = m.states;
        put("conntrack", 3, info);
        return {};
    }
    Result<void> add(const nf::MarkMatch& m) {
        xt_mark_mtinfo1 info{};
        info.mark = m.value;
        info.mask = m.mask;
        info.invert = m.negate ? 1 : 0;
        put("mark", 1, info);
        return {};
    }
    Result<void> add(const nf::MultiportMatch& m) {
        xt_multiport_v1 info{};
        info.flags = m.source ? XT_MULTIPORT_SOURCE : XT_MULTIPORT_DESTINATION;
        unsigned n = 0;
        for (const auto& p : m.ports) {
            if (p.first == p.last) {
                info.ports[n++] = p.first;
            } else {
                info.pflags[n] = 1;
                info.ports[n++] = p.first;
                info.ports[n++] = p.last;
            }
        }
        info.count = static_cast<uint8_t>(n);
        info.invert = m.negate ? 1 : 0;
        put("multiport", 1, info);
        return {};
    }
    Result<void> add(const nf::SetMatch& m) {
        auto index = sets_.lookup(m.set);
        if (!index) return index.error();
        xt_set_info_match_v4 info{};
        info.match_set.index = *index;
        // One word per direction; bit (1 << i) marks word i (from 1) as "src".
        uint8_t dim = 0, flags = 0;
        size_t start = 0;
        while (start <= m.flags.size()) {
            size_t comma = m.flags.find(',', start);
            std::string word = m.flags.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            ++dim;
            if (word == "src") flags |= static_cast<uint8_t>(1u << dim);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        if (m.negate) flags |= IPSET_INV_MATCH;
        info.match_set.dim = dim;
        info.match_set.flags = flags;
        put("set", 4, info);
        return {};
    }
    Result<void> add(const nf::IcmpTypeMatch& m) {
        if constexpr (F::family == 4) {
            ipt_icmp info{};
            info.type = m.type;
            info.code[0] = m.code ? *m.code : 0;
            info.code[1] = m.code ? *m.code : 0xFF;
            info.invflags = m.negate ? IPT_ICMP_INV : 0;
            put("icmp", 0, info);
        } else {
            ip6t_icmp info{};
            info.type = m.type;
            info.code[0] = m.code ? *m.code : 0;
            info.code[1] = m.code ? *m.code : 0xFF;
            info.invflags = m.negate ? IP6T_ICMP_INV : 0;
            put("icmp6", 0, info);
        }
        return {};
    }
    Result<void> add(const nf::LimitMatch& m) {
        xt_rateinfo info{};
        uint32_t per = m.unit == 'm' ? 60 : m.unit == 'h' ? 3600 : m.unit == 'd' ? 86400 : 1;
        info.avg = static_cast<uint32_t>(uint64_t{XT_LIMIT_SCALE} * per / std::max<uint32_t>(m.count, 1));
        info.burst = m.burst;
        put("limit", 0, info);
        return {};
    }

    template <class T>
    void put_target(const char* name, uint8_t revision, const T& data) {
        const size_t size = XT_ALIGN(sizeof(xt_entry_target)) + XT_ALIGN(sizeof(T));
        const size_t at = bytes_.size();
        bytes_.resize(at + size, 0);
        auto* t = reinterpret_cast<xt_entry_target*>(bytes_.data() + at);
        t->u.user.target_size = static_cast<uint16_t>(size);
        std::strncpy(t->u.user.name, name, sizeof(t->u.user.name) - 1);
        t->u.user.revision = revision;
        std::memcpy(t->data, &data, sizeof(T));
    }

    void standard(const std::string& name, Encoded& out) {
        const size_t size = XT_ALIGN(sizeof(xt_standard_target));
        const size_t at = bytes_.size();
        bytes_.resize(at + size, 0);
        auto* t = reinterpret_cast<xt_standard_target*>(bytes_.data() + at);
        t->target.u.user.target_size = static_cast<uint16_t>(size);
        // The label, not the kernel verdict: libiptc maps it (LIBIPTC.md section 3).
        std::strncpy(t->target.u.user.name, name.c_str(), sizeof(t->target.u.user.name) - 1);
        out.standard = true;
        out.target = name;
    }

    void add_target(const nf::Target& t, Encoded& out) {
        out.is_goto = t.kind == nf::Target::goto_;
        switch (t.kind) {
        case nf::Target::accept: standard("ACCEPT", out); return;
        case nf::Target::drop: standard("DROP", out); return;
        case nf::Target::return_: standard("RETURN", out); return;
        case nf::Target::jump:
        case nf::Target::goto_: standard(t.chain, out); return;
        case nf::Target::set_mark: {
            xt_mark_tginfo2 info{};
            info.mark = t.mark;
            info.mask = t.mask;
            put_target("MARK", 2, info);
            out.standard = false;
            out.target = "MARK";
            return;
        }
        case nf::Target::reject:
            if constexpr (F::family == 4) {
                ipt_reject_info info{};
                info.with = IPT_ICMP_PORT_UNREACHABLE;
                put_target("REJECT", 0, info);
            } else {
                ip6t_reject_info info{};
                info.with = IP6T_ICMP6_PORT_UNREACH;
                put_target("REJECT", 0, info);
            }
            out.standard = false;
            out.target = "REJECT";
            return;
        case nf::Target::log: {
            xt_log_info info{};
            info.level = t.log_level;
            std::strncpy(info.prefix, t.log_prefix.c_str(), sizeof(info.prefix) - 1);
            put_target("LOG", 0, info);
            out.standard = false;
            out.target = "LOG";
            return;
        }
        case nf::Target::notrack: {
            // What iptables 1.8.9 sends for -j NOTRACK (LIBIPTC.md section 5).
            xt_ct_target_info_v1 info{};
            info.flags = XT_CT_NOTRACK | XT_CT_NOTRACK_ALIAS;
            put_target("CT", 2, info);
            out.standard = false;
            out.target = "CT";
            return;
        }
        }
    }
};

// ---- reading the kernel --------------------------------------------------------------------

struct KernelRule {
    std::vector<uint8_t> bytes;
    std::string target;
    bool is_goto = false;
};

struct KernelChain {
    std::vector<KernelRule> rules;
};

// One match or target as read back: the kernel writes only strlen(name) + 1 bytes of the name on
// the way out, so the rest of the 29-byte name field holds whatever its own bookkeeping left there
// (pointer bits). Compare size, name, revision and data, never the raw header.
bool same_extension(const uint8_t* k, const uint8_t* d) {
    const auto* km = reinterpret_cast<const xt_entry_match*>(k);
    const auto* dm = reinterpret_cast<const xt_entry_match*>(d);
    const uint16_t size = dm->u.user.match_size;
    if (km->u.user.match_size != size || size < sizeof(xt_entry_match)) return false;
    if (std::strncmp(km->u.user.name, dm->u.user.name, sizeof(dm->u.user.name)) != 0) return false;
    if (km->u.user.revision != dm->u.user.revision) return false;
    return std::memcmp(k + sizeof(xt_entry_match), d + sizeof(xt_entry_match), size - sizeof(xt_entry_match)) == 0;
}

template <class F>
bool same_rule(const KernelRule& k, const Encoded& d) {
    using Entry = typename F::Entry;
    if (k.bytes.size() != d.size) return false;
    const auto* ke = reinterpret_cast<const Entry*>(k.bytes.data());
    const auto* de = reinterpret_cast<const Entry*>(d.data());
    // The ip part, nfcache and both offsets; comefrom and counters are the kernel's.
    if (std::memcmp(ke, de, offsetof(Entry, comefrom)) != 0) return false;
    for (size_t off = sizeof(Entry); off < de->target_offset;) {
        if (!same_extension(k.bytes.data() + off, d.data() + off)) return false;
        off += reinterpret_cast<const xt_entry_match*>(d.data() + off)->u.user.match_size;
    }
    // A standard target reads back as a verdict or an offset: compare what it means.
    if (d.standard) return k.target == d.target && k.is_goto == d.is_goto;
    return same_extension(k.bytes.data() + de->target_offset, d.data() + de->target_offset);
}

template <class F>
struct TableView {
    std::map<std::string, KernelChain> owned;                 // hepd chains
    std::map<std::string, std::vector<std::string>> jumps;    // built-in chain -> target of each rule ("" = foreign)
};

struct EncodedTable {
    std::map<std::string, std::vector<Encoded>> chains;
};

// `want`, when given, limits the copies of rule bytes to the chains it has: a stale chain is only
// flushed and deleted, so its name is all that is needed (the supervisor's default rules replace
// a whole policy without copying it).
template <class F>
TableView<F> read_view(xtc_handle* h, const EncodedTable* want = nullptr);

template <class F>
TableView<F> read_view(xtc_handle* h, const EncodedTable* want) {
    TableView<F> v;
    for (const char* c = F::first_chain(h); c; c = F::next_chain(h)) {
        const std::string name = c;
        const bool builtin = F::builtin(c, h);
        if (!builtin && !names::is_owned_chain(name)) continue;
        std::vector<std::string>* jumps = builtin ? &v.jumps[name] : nullptr;
        KernelChain* kc = builtin ? nullptr : &v.owned[name];
        if (kc && want && !want->chains.count(name)) continue;
        for (auto* e = F::first_rule(c, h); e; e = F::next_rule(e, h)) {
            const char* t = F::get_target(e, h);
            std::string target = t ? t : "";
            if (jumps) {
                jumps->push_back(names::is_owned_chain(target) ? target : std::string());
                continue;
            }
            KernelRule r;
            const auto* p = reinterpret_cast<const uint8_t*>(e);
            r.bytes.assign(p, p + e->next_offset);
            r.target = std::move(target);
            r.is_goto = (F::flags(*e) & F::goto_flag) != 0;
            kc->rules.push_back(std::move(r));
        }
    }
    return v;
}

// ---- planning and writing ------------------------------------------------------------------


template <class F>
Result<EncodedTable> encode_table(const nf::TableRuleset& t, SetIndex& sets) {
    Encoder<F> enc(sets);
    EncodedTable out;
    for (const auto& c : t.chains) {
        auto& rules = out.chains[c.name];
        for (const auto& r : c.rules) {
            auto e = enc.encode(r);
            if (!e) return e.error();
            rules.push_back(std::move(*e));
        }
    }
    return out;
}

template <class F>
Encoded encode_jump(SetIndex& sets, const std::string& chain) {
    nf::Rule r;
    r.target = nf::Target::Jump(chain);
    Encoder<F> enc(sets);
    return *enc.encode(r);  // a plain jump has no set match: cannot fail
}

// Whether the hepd jumps of a built-in chain are exactly the desired hooks, in place: an inserted
// hook is the chain's first rule, an appended one follows every foreign rule... except that
// another hepd hook may follow it; FORWARD-end must be the very last rule.
bool hooks_in_place(const std::vector<std::string>& jumps, const std::vector<nf::Hook>& want) {
    std::vector<std::string> ours;
    for (const auto& j : jumps)
        if (!j.empty()) ours.push_back(j);
    std::vector<std::string> expected;
    for (const auto& h : want) expected.push_back(h.chain);
    std::vector<std::string> a = ours, b = expected;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) return false;
    for (const auto& h : want) {
        auto it = std::find(jumps.begin(), jumps.end(), h.chain);
        const size_t pos = static_cast<size_t>(it - jumps.begin());
        if (!h.append) {
            // Every rule before an inserted hook must be another inserted hepd hook.
            for (size_t i = 0; i < pos; ++i) {
                bool inserted_hook = std::any_of(want.begin(), want.end(),
                                                 [&](const nf::Hook& o) { return !o.append && o.chain == jumps[i]; });
                if (!inserted_hook) return false;
            }
        } else if (h.chain == names::forward_end) {
            if (pos + 1 != jumps.size()) return false;
        }
    }
    return true;
}

struct Plan {
    bool differs = false;
};

template <class F>
bool table_differs(const TableView<F>& v, const nf::TableRuleset& want, const EncodedTable& enc) {
    static const bool debug = std::getenv("HEPD_DEBUG_IPTC") != nullptr;
    for (const auto& [name, rules] : enc.chains) {
        auto it = v.owned.find(name);
        if (it == v.owned.end() || it->second.rules.size() != rules.size()) return true;
        for (size_t i = 0; i < rules.size(); ++i) {
            if (same_rule<F>(it->second.rules[i], rules[i])) continue;
            if (debug) {
                std::fprintf(stderr, "%s rule %zu differs: kernel target %s goto %d, want %s goto %d\n", name.c_str(), i,
                             it->second.rules[i].target.c_str(), it->second.rules[i].is_goto, rules[i].target.c_str(),
                             rules[i].is_goto);
                const auto& kb = it->second.rules[i].bytes;
                for (size_t o = 0; o < std::min(kb.size(), rules[i].size); ++o)
                    if (kb[o] != rules[i].data()[o]) std::fprintf(stderr, "  @%zu kernel %02x want %02x\n", o, kb[o], rules[i].data()[o]);
            }
            return true;
        }
    }
    for (const auto& [name, kc] : v.owned)
        if (!enc.chains.count(name)) return true;
    std::map<std::string, std::vector<nf::Hook>> hooks;
    for (const auto& h : want.hooks) hooks[h.builtin].push_back(h);
    for (const auto& [builtin, jumps] : v.jumps) {
        auto it = hooks.find(builtin);
        static const std::vector<nf::Hook> none;
        if (!hooks_in_place(jumps, it == hooks.end() ? none : it->second)) return true;
    }
    for (const auto& [builtin, hs] : hooks)
        if (!v.jumps.count(builtin)) return true;  // a built-in chain of the table: always present
    return false;
}

std::string call_error(const char* what, const std::string& obj, nf::Table t, uint8_t family) {
    return std::string(what) + "(" + obj + ", " + std::string(nf::table_name(t)) + ", ipv" + std::to_string(family) + ")";
}

// Writes `want` into the handle; counts into `ch`.
template <class F>
Result<void> write_table(xtc_handle* h, const TableView<F>& v, const nf::TableRuleset& want, const EncodedTable& enc,
                         SetIndex& sets, TableChange& ch) {
    const nf::Table t = want.table;
    auto fail = [&](const char* what, const std::string& obj) {
        const int e = errno;
        return sys_error(call_error(what, obj, t, F::family), e, F::strerror_(e));
    };
    // 1. Missing chains first.
    for (const auto& [name, rules] : enc.chains) {
        if (v.owned.count(name)) continue;
        if (!F::create_chain(Label(name).buf, h)) return fail("create_chain", name);
        ++ch.chains_created;
    }
    // 2. Chain contents: keep the common first and last rules, replace the middle.
    for (const auto& [name, rules] : enc.chains) {
        Label label(name);
        auto it = v.owned.find(name);
        if (it == v.owned.end()) {
            for (const auto& r : rules) {
                if (!F::append(label.buf, reinterpret_cast<const typename F::Entry*>(r.data()), h)) return fail("append", name);
                ++ch.rules_added;
            }
            continue;
        }
        const auto& have = it->second.rules;
        size_t pre = 0;
        while (pre < have.size() && pre < rules.size() && same_rule<F>(have[pre], rules[pre])) ++pre;
        size_t suf = 0;
        while (suf < have.size() - pre && suf < rules.size() - pre &&
               same_rule<F>(have[have.size() - 1 - suf], rules[rules.size() - 1 - suf]))
            ++suf;
        for (size_t i = pre; i < have.size() - suf; ++i) {
            if (!F::delete_num(label.buf, static_cast<unsigned>(pre), h)) return fail("delete_num_entry", name);
            ++ch.rules_deleted;
        }
        for (size_t i = pre; i < rules.size() - suf; ++i) {
            if (!F::insert(label.buf, reinterpret_cast<const typename F::Entry*>(rules[i].data()), static_cast<unsigned>(i), h))
                return fail("insert_entry", name);
            ++ch.rules_added;
        }
    }
    // 3. Hooks: where a built-in chain's hepd jumps are not exactly right, remove them all and
    //    put the desired ones back (inserted at the top in order, appended at the end in order).
    std::map<std::string, std::vector<nf::Hook>> hooks;
    for (const auto& hk : want.hooks) hooks[hk.builtin].push_back(hk);
    for (const auto& [builtin, jumps] : v.jumps) {
        auto hit = hooks.find(builtin);
        static const std::vector<nf::Hook> none;
        const auto& wanted = hit == hooks.end() ? none : hit->second;
        if (hooks_in_place(jumps, wanted)) continue;
        Label label(builtin);
        for (size_t i = jumps.size(); i-- > 0;) {
            if (jumps[i].empty()) continue;
            if (!F::delete_num(label.buf, static_cast<unsigned>(i), h)) return fail("delete_num_entry", builtin);
        }
        unsigned at = 0;
        for (const auto& hk : wanted) {
            Encoded j = encode_jump<F>(sets, hk.chain);
            const auto* e = reinterpret_cast<const typename F::Entry*>(j.data());
            if (hk.append) {
                if (!F::append(label.buf, e, h)) return fail("append_entry", builtin);
            } else if (!F::insert(label.buf, e, at++, h)) {
                return fail("insert_entry", builtin);
            }
        }
        ++ch.hooks_fixed;
    }
    // 4. Stale hepd chains: flush all (dropping their jumps to each other), then delete.
    for (const auto& [name, kc] : v.owned) {
        if (enc.chains.count(name)) continue;
        if (!F::flush(Label(name).buf, h)) return fail("flush_entries", name);
    }
    for (const auto& [name, kc] : v.owned) {
        if (enc.chains.count(name)) continue;
        if (!F::delete_chain(Label(name).buf, h)) return fail("delete_chain", name);
        ++ch.chains_deleted;
    }
    return {};
}

struct Handle {
    xtc_handle* h = nullptr;
    void (*free_fn)(xtc_handle*) = nullptr;
    ~Handle() {
        if (h) free_fn(h);
    }
};

// `prepared`, when given, are the entries of want's chains encoded ahead of time (IptcBlob);
// want then only supplies the table and its hooks.
// The table's summary as hepd leaves it, for IptcReport::info; TableInfo{} when GET_INFO fails.
TableInfo info_now(uint8_t family, nf::Table t) {
    auto i = iptc_table_info(family, t);
    return i ? *i : TableInfo{};
}

// `info`, when given, receives the table's IptcReport::info (taken while the lock is held).
template <class F>
Result<bool> apply_table(const nf::TableRuleset& want, XtablesLock& lock, unsigned wait_ms, TableChange& ch,
                         const EncodedTable* prepared = nullptr, TableInfo* info = nullptr) {
    const std::string table(nf::table_name(want.table));
    for (int attempt = 0;; ++attempt) {
        SetIndex sets;
        Result<EncodedTable> fresh = prepared ? Result<EncodedTable>(EncodedTable{}) : encode_table<F>(want, sets);
        if (!fresh) return fresh.error();
        const EncodedTable* enc = prepared ? prepared : &*fresh;
        auto locked = lock.acquire(wait_ms);
        if (!locked) return locked.error();
        struct Unlock {
            XtablesLock& l;
            ~Unlock() { l.release(); }
        } unlock{lock};
        // Before the read: a write that lands between this and the read makes the summary differ
        // from the table the next probe sees, so it is looked at again; never the other way round.
        if (info) *info = info_now(F::family, want.table);
        Handle handle{F::init(table.c_str()), F::free_};
        if (!handle.h) {
            const int e = errno;
            return sys_error(call_error("init", table, want.table, F::family), e, F::strerror_(e));
        }
        TableView<F> view = read_view<F>(handle.h, enc);
        if (!table_differs<F>(view, want, *enc)) return false;
        ch = TableChange{want.table, F::family};
        auto w = write_table<F>(handle.h, view, want, *enc, sets, ch);
        if (!w) return w.error();
        if (test_hook("HEPD_TEST_FAIL_COMMIT"))  // fault injection for tests/netns/61-faults.sh
            return sys_error(call_error("commit", table, want.table, F::family), EINVAL,
                             "refused by the kernel (simulated: HEPD_TEST_FAIL_COMMIT)");
        if (F::commit(handle.h)) {
            // Still under the lock: the table exactly as hepd committed it (a writer that honours
            // the lock cannot come in between).
            if (info) *info = info_now(F::family, want.table);
            return true;
        }
        const int e = errno;
        if (e == EAGAIN && attempt < 3) continue;  // the table changed under us: re-read, re-plan
        return sys_error(call_error("commit", table, want.table, F::family), e, F::strerror_(e));
    }
}

template <class F>
Result<IptcReport> apply_family(const nf::FamilyRuleset& desired, XtablesLock& lock, unsigned wait_ms) {
    IptcReport report;
    for (const auto& t : desired.tables) {
        TableChange ch;
        TableInfo info;
        auto r = apply_table<F>(t, lock, wait_ms, ch, nullptr, &info);
        if (!r) return r.error();
        if (*r) report.committed.push_back(ch);
        report.info.push_back(info);
    }
    return report;
}

template <class F>
Result<std::vector<nf::Table>> diff_family(const nf::FamilyRuleset& desired) {
    std::vector<nf::Table> out;
    for (const auto& t : desired.tables) {
        SetIndex sets;
        auto enc = encode_table<F>(t, sets);
        if (!enc) return enc.error();
        const std::string table(nf::table_name(t.table));
        Handle handle{F::init(table.c_str()), F::free_};
        if (!handle.h) {
            const int e = errno;
            return sys_error(call_error("init", table, t.table, F::family), e, F::strerror_(e));
        }
        if (table_differs<F>(read_view<F>(handle.h, &*enc), t, *enc)) out.push_back(t.table);
    }
    return out;
}

template <class F>
Result<IptcReport> teardown_family(XtablesLock& lock, unsigned wait_ms) {
    IptcReport report;
    for (nf::Table t : nf::all_tables) {
        nf::TableRuleset empty;
        empty.table = t;
        TableChange ch;
        auto r = apply_table<F>(empty, lock, wait_ms, ch);
        if (!r) return r.error();
        if (*r) report.committed.push_back(ch);
    }
    return report;
}

template <class F>
Result<std::vector<RuleCounter>> counters_of(nf::Table t, const std::string& chain) {
    const std::string table(nf::table_name(t));
    Handle handle{F::init(table.c_str()), F::free_};
    if (!handle.h) {
        const int e = errno;
        return sys_error(call_error("init", table, t, F::family), e, F::strerror_(e));
    }
    std::vector<RuleCounter> out;
    if (!F::is_chain(chain.c_str(), handle.h)) return out;
    for (auto* e = F::first_rule(chain.c_str(), handle.h); e; e = F::next_rule(e, handle.h))
        out.push_back(RuleCounter{e->counters.pcnt, e->counters.bcnt});
    return out;
}

template <class F>
Result<ChainCounters> table_counters_of(nf::Table t) {
    const std::string table(nf::table_name(t));
    Handle handle{F::init(table.c_str()), F::free_};
    if (!handle.h) {
        const int e = errno;
        return sys_error(call_error("init", table, t, F::family), e, F::strerror_(e));
    }
    ChainCounters out;
    for (const char* c = F::first_chain(handle.h); c; c = F::next_chain(handle.h)) {
        if (std::strncmp(c, "hepd-", 5) != 0) continue;
        auto& v = out[c];
        for (auto* e = F::first_rule(c, handle.h); e; e = F::next_rule(e, handle.h))
            v.push_back(RuleCounter{e->counters.pcnt, e->counters.bcnt});
    }
    return out;
}

}  // namespace

Result<ChainCounters> iptc_table_counters(uint8_t family, nf::Table table) {
    return family == 4 ? table_counters_of<V4>(table) : table_counters_of<V6>(table);
}

Result<IptcReport> iptc_apply(const nf::FamilyRuleset& desired, XtablesLock& lock, unsigned lock_wait_ms) {
    return desired.family == 4 ? apply_family<V4>(desired, lock, lock_wait_ms)
                               : apply_family<V6>(desired, lock, lock_wait_ms);
}

Result<std::vector<nf::Table>> iptc_diff(const nf::FamilyRuleset& desired) {
    return desired.family == 4 ? diff_family<V4>(desired) : diff_family<V6>(desired);
}

Result<IptcReport> iptc_teardown(uint8_t family, XtablesLock& lock, unsigned lock_wait_ms) {
    return family == 4 ? teardown_family<V4>(lock, lock_wait_ms) : teardown_family<V6>(lock, lock_wait_ms);
}

namespace {

template <class F>
Result<OwnedView> owned_of(nf::Table t) {
    const std::string table(nf::table_name(t));
    Handle handle{F::init(table.c_str()), F::free_};
    if (!handle.h) {
        const int e = errno;
        return sys_error(call_error("init", table, t, F::family), e, F::strerror_(e));
    }
    OwnedView out;
    TableView<F> v = read_view<F>(handle.h);
    for (const auto& [name, kc] : v.owned) out.chains.push_back(name);
    for (const auto& [builtin, jumps] : v.jumps)
        for (const auto& j : jumps) out.hooked = out.hooked || !j.empty();
    for (auto* e = F::first_rule(names::from_hep, handle.h); F::is_chain(names::from_hep, handle.h) && e;
         e = F::next_rule(e, handle.h)) {
        const char* iface = nullptr;
        if constexpr (F::family == 4) iface = e->ip.iniface; else iface = e->ipv6.iniface;
        out.ingress_ifaces.push_back(iface[0] ? iface : "*");
    }
    return out;
}

}  // namespace

Result<OwnedView> iptc_owned(uint8_t family, nf::Table table) {
    return family == 4 ? owned_of<V4>(table) : owned_of<V6>(table);
}

Result<TableInfo> iptc_table_info(uint8_t family, nf::Table table) {
    const int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) return sys_error("socket(raw) for table info");
    TableInfo out;
    int rc = 0;
    if (family == 4) {
        ipt_getinfo info{};
        std::strncpy(info.name, std::string(nf::table_name(table)).c_str(), sizeof(info.name) - 1);
        socklen_t len = sizeof info;
        rc = getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len);
        out = TableInfo{info.num_entries, info.size};
    } else {
        ip6t_getinfo info{};
        std::strncpy(info.name, std::string(nf::table_name(table)).c_str(), sizeof(info.name) - 1);
        socklen_t len = sizeof info;
        rc = getsockopt(fd, IPPROTO_IPV6, IP6T_SO_GET_INFO, &info, &len);
        out = TableInfo{info.num_entries, info.size};
    }
    const int e = errno;
    close(fd);
    if (rc != 0) return sys_error("getsockopt(GET_INFO " + std::string(nf::table_name(table)) + ", ipv" + std::to_string(family) + ")", e);
    return out;
}

Result<std::vector<RuleCounter>> iptc_chain_counters(uint8_t family, nf::Table table, const std::string& chain) {
    return family == 4 ? counters_of<V4>(table, chain) : counters_of<V6>(table, chain);
}

// ---- prepared rules (IptcBlob) -------------------------------------------------------------

namespace {

constexpr std::string_view blob_magic = "HEPDIPTC";
constexpr uint32_t blob_version = 1;
constexpr size_t blob_max = size_t{64} << 20;

class BlobWriter {
public:
    template <class T>
    void num(T v) {
        const char* p = reinterpret_cast<const char*>(&v);
        out.append(p, sizeof v);
    }
    void str(std::string_view v) {
        num(static_cast<uint16_t>(v.size()));
        out.append(v);
    }
    std::string out;
};

class BlobReader {
public:
    explicit BlobReader(std::string_view d) : d_(d) {}
    template <class T>
    bool num(T& v) {
        if (d_.size() - pos_ < sizeof v) return false;
        std::memcpy(&v, d_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return true;
    }
    bool str(std::string& v, size_t max) {
        uint16_t n = 0;
        if (!num(n) || n > max || d_.size() - pos_ < n) return false;
        v.assign(d_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    bool bytes(size_t n, const char*& p) {
        if (d_.size() - pos_ < n) return false;
        p = d_.data() + pos_;
        pos_ += n;
        return true;
    }
    bool at_end() const { return pos_ == d_.size(); }

private:
    std::string_view d_;
    size_t pos_ = 0;
};

bool is_builtin_name(std::string_view n) {
    return n == "PREROUTING" || n == "INPUT" || n == "FORWARD" || n == "OUTPUT" || n == "POSTROUTING";
}

bool is_verdict_name(std::string_view n) { return n == "ACCEPT" || n == "DROP" || n == "RETURN"; }

// The offsets of one kernel entry as read from a blob: every match and the target lie inside it,
// end to end, so that libiptc never reads beyond it; a standard target names a verdict or a hepd
// chain, and its label is the one the entry carries.
template <class F>
bool entry_ok(const Encoded& e) {
    using Entry = typename F::Entry;
    if (e.size < sizeof(Entry) + sizeof(xt_entry_target) || e.size % 8 != 0 || e.size > 65535) return false;
    const auto* h = reinterpret_cast<const Entry*>(e.data());
    if (h->next_offset != e.size || h->target_offset < sizeof(Entry) ||
        h->target_offset + sizeof(xt_entry_target) > e.size)
        return false;
    size_t off = sizeof(Entry);
    while (off < h->target_offset) {
        const auto* m = reinterpret_cast<const xt_entry_match*>(e.data() + off);
        if (off + sizeof(xt_entry_match) > h->target_offset) return false;
        const size_t ms = m->u.user.match_size;
        if (ms < sizeof(xt_entry_match) || off + ms > h->target_offset || ms % 8 != 0) return false;
        if (m->u.user.name[0] == '\0' || ::strnlen(m->u.user.name, sizeof m->u.user.name) == sizeof m->u.user.name)
            return false;
        off += ms;
    }
    if (off != h->target_offset) return false;
    const auto* t = reinterpret_cast<const xt_entry_target*>(e.data() + h->target_offset);
    if (t->u.user.target_size != e.size - h->target_offset) return false;
    const size_t len = ::strnlen(t->u.user.name, sizeof t->u.user.name);
    if (len == 0 || len == sizeof t->u.user.name) return false;
    const std::string_view label(t->u.user.name, len);
    if (e.standard) {
        if (t->u.user.target_size != XT_ALIGN(sizeof(xt_standard_target))) return false;
        if (label != e.target) return false;
        if (!is_verdict_name(label) && !names::is_owned_chain(label)) return false;
        if (e.is_goto != ((F::flags(*h) & F::goto_flag) != 0)) return false;
    } else if (label != e.target) {
        return false;
    }
    return true;
}

}  // namespace

struct IptcBlob::Impl {
    struct Table {
        uint8_t family = 4;
        nf::TableRuleset want;  // table and hooks; the chains are in `enc`
        EncodedTable enc;
    };
    std::vector<Table> tables;
    size_t rules = 0;
};

IptcBlob::IptcBlob() : impl_(std::make_shared<Impl>()) {}

bool IptcBlob::empty() const { return impl_->tables.empty(); }
size_t IptcBlob::tables() const { return impl_->tables.size(); }
size_t IptcBlob::rules() const { return impl_->rules; }

Result<std::string> iptc_pack(const nf::Ruleset& rs) {
    BlobWriter p;
    std::vector<const nf::FamilyRuleset*> fams{&rs.v4};
    if (rs.v6) fams.push_back(&*rs.v6);
    uint32_t ntables = 0;
    for (const auto* f : fams) ntables += static_cast<uint32_t>(f->tables.size());
    p.num(ntables);
    for (const auto* f : fams) {
        for (const auto& t : f->tables) {
            SetIndex sets;
            auto enc = f->family == 4 ? encode_table<V4>(t, sets) : encode_table<V6>(t, sets);
            if (!enc) return enc.error();
            p.num(f->family);
            p.num(static_cast<uint8_t>(t.table));
            p.num(static_cast<uint16_t>(t.hooks.size()));
            p.num(static_cast<uint32_t>(enc->chains.size()));
            for (const auto& h : t.hooks) {
                p.num(static_cast<uint8_t>(h.append ? 1 : 0));
                p.str(h.builtin);
                p.str(h.chain);
            }
            for (const auto& [name, rules] : enc->chains) {
                p.str(name);
                p.num(static_cast<uint32_t>(rules.size()));
                for (const auto& r : rules) {
                    p.num(static_cast<uint8_t>(r.standard ? 1 : 0));
                    p.num(static_cast<uint8_t>(r.is_goto ? 1 : 0));
                    p.str(r.target);
                    p.num(static_cast<uint32_t>(r.size));
                    p.out.append(reinterpret_cast<const char*>(r.data()), r.size);
                }
            }
        }
    }
    BlobWriter out;
    out.out.append(blob_magic);
    out.num(blob_version);
    out.num(static_cast<uint32_t>(p.out.size()));
    out.out += p.out;
    const Sha256Digest d = sha256(p.out);
    out.out.append(reinterpret_cast<const char*>(d.data()), d.size());
    return std::move(out.out);
}

Result<IptcBlob> IptcBlob::load(std::string_view bytes) {
    auto bad = [](const std::string& why) { return sys_error("default rules", EINVAL, why); };
    if (bytes.size() > blob_max) return bad("larger than 64 MiB");
    BlobReader head(bytes);
    const char* magic = nullptr;
    uint32_t version = 0, size = 0;
    if (!head.bytes(blob_magic.size(), magic) || std::string_view(magic, blob_magic.size()) != blob_magic)
        return bad("not a hepd default-rules file");
    if (!head.num(version) || version != blob_version) return bad("unknown version");
    const char* payload = nullptr;
    const char* digest = nullptr;
    if (!head.num(size) || !head.bytes(size, payload) || !head.bytes(32, digest) || !head.at_end())
        return bad("cut short or too long");
    const std::string_view body(payload, size);
    const Sha256Digest want = sha256(body);
    if (std::memcmp(want.data(), digest, 32) != 0) return bad("checksum mismatch");

    auto impl = std::make_shared<Impl>();
    BlobReader r(body);
    uint32_t ntables = 0;
    if (!r.num(ntables) || ntables > 6) return bad("bad table count");
    for (uint32_t i = 0; i < ntables; ++i) {
        Impl::Table t;
        uint8_t table = 0;
        uint16_t nhooks = 0;
        uint32_t nchains = 0;
        if (!r.num(t.family) || (t.family != 4 && t.family != 6) || !r.num(table) || table > 2 || !r.num(nhooks) ||
            nhooks > 16 || !r.num(nchains) || nchains > 1000000)
            return bad("bad table header");
        t.want.table = static_cast<nf::Table>(table);
        for (uint16_t k = 0; k < nhooks; ++k) {
            nf::Hook h;
            uint8_t append = 0;
            if (!r.num(append) || append > 1 || !r.str(h.builtin, 31) || !r.str(h.chain, names::max_chain) ||
                !is_builtin_name(h.builtin) || !names::is_owned_chain(h.chain))
                return bad("bad hook");
            h.append = append == 1;
            t.want.hooks.push_back(std::move(h));
        }
        for (uint32_t c = 0; c < nchains; ++c) {
            std::string name;
            uint32_t nrules = 0;
            if (!r.str(name, names::max_chain) || !names::is_owned_chain(name) || !r.num(nrules) ||
                t.enc.chains.count(name))
                return bad("bad chain");
            auto& rules = t.enc.chains[name];
            for (uint32_t k = 0; k < nrules; ++k) {
                Encoded e;
                uint8_t standard = 0, is_goto = 0;
                uint32_t n = 0;
                const char* p = nullptr;
                if (!r.num(standard) || standard > 1 || !r.num(is_goto) || is_goto > 1 || !r.str(e.target, 32) ||
                    !r.num(n) || !r.bytes(n, p))
                    return bad("bad rule in " + name);
                e.standard = standard == 1;
                e.is_goto = is_goto == 1;
                e.size = n;
                e.storage.assign((n + 7) / 8, 0);
                std::memcpy(e.data(), p, n);
                if (!(t.family == 4 ? entry_ok<V4>(e) : entry_ok<V6>(e))) return bad("bad kernel entry in " + name);
                rules.push_back(std::move(e));
                ++impl->rules;
            }
        }
        impl->tables.push_back(std::move(t));
    }
    if (!r.at_end()) return bad("bytes after the last table");
    IptcBlob b;
    b.impl_ = std::move(impl);
    return b;
}

Result<IptcReport> IptcBlob::apply(XtablesLock& lock, unsigned lock_wait_ms) const {
    IptcReport report;
    for (const auto& t : impl_->tables) {
        TableChange ch;
        auto r = t.family == 4 ? apply_table<V4>(t.want, lock, lock_wait_ms, ch, &t.enc)
                               : apply_table<V6>(t.want, lock, lock_wait_ms, ch, &t.enc);
        if (!r) return r.error();
        if (*r) report.committed.push_back(ch);
    }
    return report;
}

}  // namespace hepd
