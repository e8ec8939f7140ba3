// SPDX-License-Identifier: GPL-2.0-or-later
// Links and addresses through rtnetlink. The design (goals, why not nl_cache_mngr, what counts as
// a link's address) is in include/hepd/netlink.hpp.
#include "hepd/netlink.hpp"

#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "hepd/log.hpp"

namespace hepd {

namespace {

// Only the flags LinkState shows; a change in any other (PROMISC, ...) is no change.
constexpr unsigned kLinkFlags = IFF_UP | IFF_RUNNING;

// 32 KiB: the kernel sizes dump datagrams by the reader's buffer, up to 32 KiB
// (netlink_recvmsg's max_recvmsg_len). Notifications are one message each, 1-4 KiB.
constexpr size_t kInitialBuffer = 32 * 1024;
// A datagram larger than this would need a link with absurd attributes; beyond it, give up
// growing and keep resynchronising.
constexpr size_t kMaxBuffer = 1024 * 1024;
constexpr int kDumpTimeoutSeconds = 5;

// A libnl call failed: errno when the call left one (libnl returns its own NLE_ codes; errno is
// cleared before the call, so a non-zero value is this call's), libnl's text as the detail.
SysError nl_failure(std::string op, int nl_err, int saved_errno) {
    return sys_error(std::move(op), saved_errno, nl_geterror(nl_err));
}

IpAddr ip_from(int family, const void* data) {
    IpAddr ip;
    ip.family = family == AF_INET ? 4 : 6;
    std::memcpy(ip.bytes.data(), data, family == AF_INET ? 4 : 16);
    return ip;
}

// Attribute policies: libnl checks each attribute's length against them before anything reads it.
struct LinkPolicy {
    struct nla_policy p[IFLA_MAX + 1] = {};
    LinkPolicy() {
        p[IFLA_IFNAME].type = NLA_STRING;  // NUL-terminated, at most IFNAMSIZ with the NUL
        p[IFLA_IFNAME].maxlen = IFNAMSIZ;
    }
};
struct AddrPolicy {
    struct nla_policy p[IFA_MAX + 1] = {};
    explicit AddrPolicy(uint16_t len) {  // exactly 4 or 16 bytes
        for (int type : {IFA_ADDRESS, IFA_LOCAL}) {
            p[type].minlen = len;
            p[type].maxlen = len;
        }
    }
};

const char* state_word(const LinkState& l) {
    if (l.up) return "up";
    return l.admin_up ? "down (admin up)" : "down";
}

}  // namespace

// --- diff ----------------------------------------------------------------------------------------

LinkDiff diff_links(const std::vector<LinkState>& before, const std::vector<LinkState>& after) {
    std::map<int, const LinkState*> old_by_index;
    for (const auto& l : before) old_by_index.emplace(l.ifindex, &l);
    std::set<int> new_indexes;
    LinkDiff d;
    for (const auto& l : after) {
        new_indexes.insert(l.ifindex);
        auto it = old_by_index.find(l.ifindex);
        if (it == old_by_index.end())
            d.added.push_back(l);
        else if (!(*it->second == l))
            d.changed.push_back({*it->second, l});
    }
    for (const auto& l : before)
        if (!new_indexes.count(l.ifindex)) d.removed.push_back(l);
    return d;
}

std::string format_link_diff(const LinkDiff& diff) {
    std::string out;
    auto head = [&out](char mark, const LinkState& l) {
        out += mark;
        out += ' ';
        out += l.name;
        out += " (" + std::to_string(l.ifindex) + ")";
    };
    for (const auto& l : diff.removed) {
        head('-', l);
        out += '\n';
    }
    for (const auto& l : diff.added) {
        head('+', l);
        out += ' ';
        out += state_word(l);
        for (const auto& ip : l.addrs) out += ", " + ip.to_string();
        out += '\n';
    }
    for (const auto& c : diff.changed) {
        head('~', c.after);
        std::vector<std::string> parts;
        if (c.before.name != c.after.name) parts.push_back("name " + c.before.name + " -> " + c.after.name);
        if (c.before.up != c.after.up || c.before.admin_up != c.after.admin_up)
            parts.push_back(state_word(c.after));
        for (const auto& ip : c.after.addrs)
            if (!std::binary_search(c.before.addrs.begin(), c.before.addrs.end(), ip))
                parts.push_back("+" + ip.to_string());
        for (const auto& ip : c.before.addrs)
            if (!std::binary_search(c.after.addrs.begin(), c.after.addrs.end(), ip))
                parts.push_back("-" + ip.to_string());
        for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? ": " : ", ") + parts[i];
        out += '\n';
    }
    return out;
}

std::vector<Link> to_links(const std::vector<LinkState>& snapshot) {
    std::vector<Link> out;
    out.reserve(snapshot.size());
    for (const auto& l : snapshot) out.push_back(Link{l.name, l.addrs});
    return out;
}

// --- LinkTable -----------------------------------------------------------------------------------

LinkTable::Outcome LinkTable::apply(const struct nlmsghdr* msg) {
    if (!msg || msg->nlmsg_len < NLMSG_HDRLEN) return Outcome::Malformed;
    switch (msg->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
        return apply_link(msg);
    case RTM_NEWADDR:
    case RTM_DELADDR:
        return apply_addr(msg);
    default:
        return Outcome::Ignored;
    }
}

LinkTable::Outcome LinkTable::apply_link(const struct nlmsghdr* msg) {
    if (!nlmsg_valid_hdr(msg, sizeof(struct ifinfomsg))) return Outcome::Malformed;
    const auto* ifi = static_cast<const struct ifinfomsg*>(nlmsg_data(msg));
    // AF_BRIDGE: a port joining or leaving a bridge (its DELLINK leaves the link in place).
    // Other families (AF_INET6 per-protocol link info) carry nothing we follow.
    if (ifi->ifi_family != AF_UNSPEC) return Outcome::Ignored;
    if (ifi->ifi_index <= 0) return Outcome::Malformed;

    static const LinkPolicy policy;
    struct nlattr* tb[IFLA_MAX + 1];
    // libnl takes the header as non-const but only reads it.
    if (nlmsg_parse(const_cast<struct nlmsghdr*>(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX,
                    policy.p) < 0)
        return Outcome::Malformed;

    const int index = ifi->ifi_index;
    if (msg->nlmsg_type == RTM_DELLINK) {
        bool changed = links_.erase(index) > 0;
        auto first = addrs_.lower_bound(AddrKey{index, {}, 0, {}});
        auto last = addrs_.lower_bound(AddrKey{index + 1, {}, 0, {}});
        if (first != last) {
            addrs_.erase(first, last);
            changed = true;
        }
        if (!changed) return Outcome::Unchanged;
        ++generation_;
        return Outcome::Changed;
    }

    auto it = links_.find(index);
    const char* name = tb[IFLA_IFNAME] ? nla_get_string(tb[IFLA_IFNAME]) : nullptr;
    if (name && name[0] == '\0') return Outcome::Malformed;
    if (!name && it == links_.end()) return Outcome::Malformed;  // nothing to call it
    const unsigned flags = ifi->ifi_flags & kLinkFlags;
    if (it == links_.end()) {
        links_.emplace(index, LinkRec{name, flags});
        if (flags & IFF_UP) ++up_transitions_;
    } else {
        if ((!name || it->second.name == name) && it->second.flags == flags) return Outcome::Unchanged;
        if (flags & ~it->second.flags) ++up_transitions_;
        if (name) it->second.name = name;
        it->second.flags = flags;
    }
    ++generation_;
    return Outcome::Changed;
}

LinkTable::Outcome LinkTable::apply_addr(const struct nlmsghdr* msg) {
    if (!nlmsg_valid_hdr(msg, sizeof(struct ifaddrmsg))) return Outcome::Malformed;
    const auto* ifa = static_cast<const struct ifaddrmsg*>(nlmsg_data(msg));
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return Outcome::Ignored;
    if (ifa->ifa_index == 0 || ifa->ifa_index > INT_MAX) return Outcome::Malformed;
    const int alen = ifa->ifa_family == AF_INET ? 4 : 16;
    if (ifa->ifa_prefixlen > alen * 8) return Outcome::Malformed;

    static const AddrPolicy policy4(4), policy6(16);
    struct nlattr* tb[IFA_MAX + 1];
    if (nlmsg_parse(const_cast<struct nlmsghdr*>(msg), sizeof(struct ifaddrmsg), tb, IFA_MAX,
                    alen == 4 ? policy4.p : policy6.p) < 0)
        return Outcome::Malformed;
    const struct nlattr* local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    if (!local) return Outcome::Malformed;

    AddrKey key;
    key.ifindex = static_cast<int>(ifa->ifa_index);
    key.local = ip_from(ifa->ifa_family, nla_data(local));
    if (ifa->ifa_family == AF_INET) {
        // The kernel's own identity of an IPv4 address: local, prefix and peer.
        key.prefixlen = ifa->ifa_prefixlen;
        key.peer = tb[IFA_ADDRESS] ? ip_from(AF_INET, nla_data(tb[IFA_ADDRESS])) : key.local;
    }

    bool changed;
    if (msg->nlmsg_type == RTM_NEWADDR)
        changed = addrs_.insert(key).second;
    else
        changed = addrs_.erase(key) > 0;
    if (!changed) return Outcome::Unchanged;
    ++generation_;
    return Outcome::Changed;
}

void LinkTable::clear() {
    if (links_.empty() && addrs_.empty()) return;
    links_.clear();
    addrs_.clear();
    ++generation_;
}

std::vector<LinkState> LinkTable::snapshot() const {
    std::vector<LinkState> out;
    out.reserve(links_.size());
    for (const auto& [index, rec] : links_) {
        LinkState l;
        l.name = rec.name;
        l.ifindex = index;
        l.up = (rec.flags & IFF_RUNNING) != 0;
        l.admin_up = (rec.flags & IFF_UP) != 0;
        // The set is ordered by ifindex, then address: each link's addresses are one sorted run,
        // and the same IP under several IPv4 prefixes is adjacent.
        for (auto it = addrs_.lower_bound(AddrKey{index, {}, 0, {}}); it != addrs_.end() && it->ifindex == index;
             ++it)
            if (l.addrs.empty() || l.addrs.back() != it->local) l.addrs.push_back(it->local);
        out.push_back(std::move(l));
    }
    std::sort(out.begin(), out.end(), [](const LinkState& a, const LinkState& b) {
        return a.name != b.name ? a.name < b.name : a.ifindex < b.ifindex;
    });
    return out;
}

// --- LinkMonitor ---------------------------------------------------------------------------------

void LinkMonitor::SockDeleter::operator()(struct nl_sock* sk) const noexcept { nl_socket_free(sk); }

Result<std::unique_ptr<LinkMonitor>> LinkMonitor::open() {
    LinkMonitorOptions o;
    // Fault injection for tests/netns/61-faults.sh: a tiny receive buffer, so that a burst of
    // changes while the daemon is stopped overruns it (ENOBUFS) and forces a full resync.
    if (const char* b = std::getenv("HEPD_TEST_NETLINK_RCVBUF"); b != nullptr && std::atoi(b) > 0)
        o.rcvbuf_bytes = std::atoi(b);
    return open(o);
}

Result<std::unique_ptr<LinkMonitor>> LinkMonitor::open(const LinkMonitorOptions& options) {
    std::unique_ptr<LinkMonitor> m(new LinkMonitor(options));
    m->buf_.resize(kInitialBuffer);

    // Each step's errno is cleared first: libnl returns NLE_ codes, and errno, when set, is the
    // system's reason.
    auto connect = [](Sock& sock, const char* what) -> Result<void> {
        errno = 0;
        sock.reset(nl_socket_alloc());
        if (!sock) return sys_error(std::string("nl_socket_alloc(") + what + ")", ENOMEM);
        errno = 0;
        if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
            return nl_failure(std::string("nl_connect(NETLINK_ROUTE, ") + what + ")", err, errno);
        return {};
    };

    if (auto r = connect(m->events_, "events"); !r) return r.error();
    struct nl_sock* ev = m->events_.get();
    const int ev_fd = nl_socket_get_fd(ev);
    errno = 0;
    if (int err = nl_socket_set_buffer_size(ev, options.rcvbuf_bytes, 0); err < 0)
        return nl_failure("nl_socket_set_buffer_size(" + std::to_string(options.rcvbuf_bytes) + ")", err, errno);
    int got = 0;
    socklen_t got_len = sizeof got;
    if (::getsockopt(ev_fd, SOL_SOCKET, SO_RCVBUF, &got, &got_len) != 0) return sys_error("getsockopt(SO_RCVBUF)");
    if (got / 2 < options.rcvbuf_bytes) {
        // SO_RCVBUF stops at net.core.rmem_max (OpenWrt: 160 KiB by default). With CAP_NET_ADMIN
        // SO_RCVBUFFORCE goes beyond; without it we keep what we got.
        int want = options.rcvbuf_bytes;
        if (::setsockopt(ev_fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) == 0) {
            got_len = sizeof got;
            if (::getsockopt(ev_fd, SOL_SOCKET, SO_RCVBUF, &got, &got_len) != 0)
                return sys_error("getsockopt(SO_RCVBUF)");
        }
    }
    m->stats_.rcvbuf = got;
    errno = 0;
    if (int err = nl_socket_add_memberships(ev, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0); err < 0)
        return nl_failure("nl_socket_add_memberships(RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR)", err,
                          errno);
    errno = 0;
    if (int err = nl_socket_set_nonblocking(ev); err < 0) return nl_failure("nl_socket_set_nonblocking", err, errno);

    if (auto r = connect(m->sync_, "dumps"); !r) return r.error();
    struct timeval tv{kDumpTimeoutSeconds, 0};
    if (::setsockopt(nl_socket_get_fd(m->sync_.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        return sys_error("setsockopt(SO_RCVTIMEO)");

    // Subscribed above, so whatever changes from here on is queued behind the dump.
    if (auto r = m->resync(); !r) return r.error();
    m->reported_ = m->table_.snapshot();
    m->reported_generation_ = m->table_.generation();
    m->table_replaced_ = false;
    return m;
}

LinkMonitor::~LinkMonitor() = default;

int LinkMonitor::fd() const { return nl_socket_get_fd(events_.get()); }

std::vector<LinkState> LinkMonitor::snapshot() const { return table_.snapshot(); }

void LinkMonitor::apply_datagram(size_t len) {
    auto* h = reinterpret_cast<struct nlmsghdr*>(buf_.data());
    int rem = static_cast<int>(len);
    for (; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
        ++stats_.messages;
        switch (table_.apply(h)) {
        case LinkTable::Outcome::Changed:
            ++stats_.changes;
            break;
        case LinkTable::Outcome::Malformed:
            ++stats_.malformed;
            break;
        default:
            break;
        }
    }
}

Result<bool> LinkMonitor::drain_events() {
    // The queue holds at most rcvbuf bytes; reading twice that means changes keep arriving as fast
    // as we read, and the caller resynchronises again on the next process().
    const size_t budget = 2 * static_cast<size_t>(std::max(stats_.rcvbuf, 65536));
    size_t read = 0;
    const int fd = nl_socket_get_fd(events_.get());
    while (read <= budget) {
        ssize_t n = ::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            int e = errno;
            if (e == EINTR || e == ENOBUFS) {  // ENOBUFS: more was dropped; the dump covers it
                ++read;
                continue;
            }
            if (e == EAGAIN || e == EWOULDBLOCK) return true;
            return sys_error("recv(netlink events)", e);
        }
        read += static_cast<size_t>(n) + 1;
    }
    return false;
}

Result<void> LinkMonitor::dump(int rtm_type, LinkTable& into) {
    const int fd = nl_socket_get_fd(sync_.get());
    const uint32_t port = nl_socket_get_local_port(sync_.get());
    const char* what = rtm_type == RTM_GETLINK ? "RTM_GETLINK" : "RTM_GETADDR";
    // The family-specific header is all zero (AF_UNSPEC: every family). The kernel's strict
    // checking (NETLINK_GET_STRICT_CHK, off here) would accept it too.
    struct {
        struct nlmsghdr h;
        union {
            struct ifinfomsg ifi;
            struct ifaddrmsg ifa;
        } body;
    } req{};
    req.h.nlmsg_len = NLMSG_LENGTH(rtm_type == RTM_GETLINK ? sizeof(struct ifinfomsg) : sizeof(struct ifaddrmsg));
    req.h.nlmsg_type = static_cast<uint16_t>(rtm_type);
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = ++seq_;
    req.h.nlmsg_pid = port;
    errno = 0;
    if (int err = nl_sendto(sync_.get(), &req, req.h.nlmsg_len); err < 0)
        return nl_failure(std::string("nl_sendto(") + what + " dump)", err, errno);

    for (;;) {
        // Dumps are rare, so each datagram's size is peeked first and the buffer grown to fit:
        // a truncated dump datagram could take NLMSG_DONE with it. EAGAIN is SO_RCVTIMEO expiring.
        ssize_t need = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
        if (need < 0) {
            int e = errno;
            if (e == EINTR) continue;
            return sys_error(std::string("recv(") + what + " dump)", e);
        }
        if (static_cast<size_t>(need) > buf_.size()) {
            if (static_cast<size_t>(need) > kMaxBuffer)
                return sys_error(std::string(what) + " dump: a " + std::to_string(need) + "-byte datagram", EMSGSIZE);
            buf_.resize((static_cast<size_t>(need) + 4095) & ~size_t{4095});
        }
        struct sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        ssize_t n = ::recvfrom(fd, buf_.data(), buf_.size(), 0, reinterpret_cast<struct sockaddr*>(&from), &from_len);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            return sys_error(std::string("recv(") + what + " dump)", e);
        }
        if (from.nl_pid != 0) continue;
        auto* h = reinterpret_cast<struct nlmsghdr*>(buf_.data());
        int rem = static_cast<int>(n);
        for (; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
            if (h->nlmsg_seq != req.h.nlmsg_seq || h->nlmsg_pid != port) continue;  // an older dump's tail
            if (h->nlmsg_type == NLMSG_DONE) {
                // A dump that failed midway says so in NLMSG_DONE's payload.
                int status = 0;
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) std::memcpy(&status, nlmsg_data(h), sizeof status);
                if (status < 0) return sys_error(std::string(what) + " dump", -status);
                return {};
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                int error = -EPROTO;
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                    error = static_cast<const struct nlmsgerr*>(nlmsg_data(h))->error;
                if (error != 0) return sys_error(std::string(what) + " dump", -error);
                continue;
            }
            // NLM_F_DUMP_INTR needs no retry (header comment, goal 2).
            if (into.apply(h) == LinkTable::Outcome::Malformed) ++stats_.malformed;
        }
    }
}

Result<void> LinkMonitor::resync() {
    auto drained = drain_events();
    if (!drained) {
        resync_pending_ = true;
        return drained.error();
    }
    LinkTable fresh;
    for (int type : {RTM_GETLINK, RTM_GETADDR}) {
        if (auto r = dump(type, fresh); !r) {
            resync_pending_ = true;
            return r;
        }
    }
    table_ = std::move(fresh);
    table_replaced_ = true;
    resync_pending_ = !*drained;
    ++stats_.resyncs;
    return {};
}

Result<bool> LinkMonitor::process() {
    if (resync_pending_) {
        if (auto r = resync(); !r) return r.error();
    }
    const int fd = nl_socket_get_fd(events_.get());
    const uint64_t ups_before = table_.up_transitions();
    bool lost = false, overrun = false;
    for (size_t i = 0; i < options_.max_datagrams_per_call && !lost; ++i) {
        struct sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        ssize_t n = ::recvfrom(fd, buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC,
                               reinterpret_cast<struct sockaddr*>(&from), &from_len);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            if (e == EAGAIN || e == EWOULDBLOCK) break;
            if (e == ENOBUFS) {
                ++stats_.overruns;
                lost = overrun = true;
                break;
            }
            return sys_error("recv(netlink events)", e);
        }
        ++stats_.datagrams;
        if (static_cast<size_t>(n) > buf_.size()) {
            ++stats_.truncated;
            buf_.resize(std::min(kMaxBuffer, (static_cast<size_t>(n) + 4095) & ~size_t{4095}));
            lost = true;
            break;
        }
        if (from.nl_pid != 0) continue;  // only the kernel speaks on these groups
        apply_datagram(static_cast<size_t>(n));
    }
    if (lost) {
        overrun_pending_ = true;
        HEPD_LOG_WARN("netlink: interface notifications were lost (%s; receive buffer %d bytes): reading every "
                      "link and address again",
                      overrun ? "ENOBUFS: the kernel's queue overflowed" : "a notification larger than the buffer",
                      stats_.rcvbuf);
        if (auto r = resync(); !r) return r.error();
    } else if (table_.up_transitions() != ups_before) {
        // Addresses the kernel made for the link that came up are not announced until DAD is
        // done (header comment); the dump only adds, so it cannot undo a queued deletion.
        if (auto r = dump(RTM_GETADDR, table_); !r) {
            resync_pending_ = true;
            return r.error();
        }
        ++stats_.address_refreshes;
    }

    bool changed = false;
    last_diff_ = LinkDiff{};
    if (table_replaced_ || table_.generation() != reported_generation_) {
        auto now = table_.snapshot();
        last_diff_ = diff_links(reported_, now);
        if (!last_diff_.empty()) {
            changed = true;
            reported_ = std::move(now);
        }
        reported_generation_ = table_.generation();
        table_replaced_ = false;
    }
    if (overrun_pending_) {
        overrun_pending_ = false;
        changed = true;
    }
    return changed;
}

}  // namespace hepd
