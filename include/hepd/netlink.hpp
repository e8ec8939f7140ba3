// SPDX-License-Identifier: GPL-2.0-or-later
// Following this host's interfaces and their addresses through rtnetlink (libnl-3, NETLINK_ROUTE).
//
//     kernel rtnetlink
//       | RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,                     RTM_GETLINK, RTM_GETADDR dumps
//       | RTNLGRP_IPV6_IFADDR notifications                            ^             |
//       v                                                              |             v
//     event socket (O_NONBLOCK, 1 MiB) --fd()--> daemon poll()      sync socket (blocking, 5 s)
//       |                                                              |             |
//     process(): recv(MSG_DONTWAIT) -> LinkTable::apply()              |             |
//       |-- ENOBUFS, truncated datagram --> resync(): drain the event socket, dump links and
//       |                                   addresses into a new table, swap it in
//       |-- a link came up ---------------> RTM_GETADDR dump applied to the table (adds only)
//       v
//     LinkTable: ifindex -> {name, flags}; {ifindex, address} keys
//       -> snapshot() (LinkState, sorted by name) -> links() (compile's Link)
//       -> diff_links(last reported, now): process() returns !empty(); last_diff()
//
// Goals, and how this module meets them:
//  1. An interface that appears is seen at once (PERFORMANCE.md: interface appears -> protected
//     <= 20 ms). The event socket is the fd the daemon polls; the kernel queues a notification on
//     it inside the very syscall that made the change, and process() reads what is queued with
//     MSG_DONTWAIT and applies it. No timer, no batching delay. (Measured by the tests, the loop
//     asleep in poll() while another thread makes the change: a new veth is in the snapshot a
//     median 0.4-0.9 ms after its request began, most of it the kernel creating the pair; an
//     address 0.1-0.2 ms. From the kernel's acknowledgement to process() having it: 15-100 us.)
//  2. The table is never silently wrong. When the socket's queue is full the kernel drops
//     notifications and reports it once, as ENOBUFS, before the messages still queued. process()
//     then discards what is queued (those messages predate the gap: replayed after the dump, an
//     address whose deletion was dropped would come back), dumps links and addresses on a second
//     socket and replaces the table. Subscription always comes before a dump, so any change that
//     races the dump is queued behind it and replayed afterwards; every notification carries the
//     object's whole state, so replaying one the dump already shows is harmless, and the table
//     converges on the kernel's. For the same reason a dump marked NLM_F_DUMP_INTR (it raced a
//     change) needs no retry. A datagram larger than the receive buffer (MSG_TRUNC) is a lost
//     notification too: the buffer grows to fit and the table is resynchronised.
//     The receive buffer is 1 MiB (nl_socket_set_buffer_size, i.e. SO_RCVBUF, which the kernel caps
//     at net.core.rmem_max; then SO_RCVBUFFORCE, which CAP_NET_ADMIN may use beyond it). A link or
//     address notification takes roughly 1-4 KiB of it, so a burst of a few hundred changes
//     between two polls is absorbed without an overrun (the tests: 200 address events, none).
//  3. Flat memory under churn. One receive buffer, allocated once and shared by events and dumps:
//     32 KiB, which is what the kernel fills a dump datagram up to for a reader with such a
//     buffer; dump datagrams are peeked first and the buffer grows if one is larger (a truncated
//     dump datagram could take NLMSG_DONE with it). The table keeps a name and the flags per link
//     and one small key per address. Per message nothing is allocated except the table node of a
//     link or address that appears (freed when it goes); the snapshot and the diff of change
//     detection are built only when the table really changed.
//  4. Bounded work per call. process() reads at most LinkMonitorOptions::max_datagrams_per_call;
//     if more is queued the fd stays readable and the loop comes back to it, so a notification
//     storm cannot starve the heartbeat or the control socket.
//  5. Testable without root, and against fakes. LinkTable turns raw rtnetlink messages into state
//     and is pure (the tests feed it hand-built messages); diff_links() compares two snapshots;
//     LinkSource is all the daemon loop needs, so the loop can run against a scripted fake.
//
// Why our own socket and dumps instead of libnl's cache manager (nl_cache_mngr):
//  - It cannot tell an overrun from an allocation failure: libnl maps ENOBUFS to NLE_NOMEM, and
//    nl_cache_mngr_data_ready() returns that like any other error. Its caches are then stale until
//    the caller resyncs each one, and it does not drain the stale queue first (see goal 2).
//  - nl_cache_mngr_data_ready() reads until EAGAIN (unbounded under a storm), peeks every datagram
//    before reading it (two syscalls) and allocates a message and a cache object per notification;
//    the link objects carry statistics and per-family data we never look at.
//  - The cache objects would still have to be translated into LinkState; the table here holds only
//    what the compiler needs, and it can be tested with hand-built messages.
//  libnl still does the socket work (allocation, port, membership, buffer sizes, sending) and the
//  attribute parsing (nlmsg_parse with a policy, so lengths are checked before anything is read).
//
// What the table records:
//  - Links are keyed by ifindex, so a rename is a change of name, not a removal and an addition.
//    Link messages of family AF_BRIDGE are ignored: the bridge sends RTM_NEWLINK/RTM_DELLINK
//    AF_BRIDGE for a port joining or leaving it, and that DELLINK does not mean the link is gone.
//  - `up` is the operational state, as Felix's interface monitor reads it: IFF_RUNNING, which the
//    kernel sets only when the link is administratively up (IFF_UP) and its operstate is UP or
//    UNKNOWN. A veth whose peer is down is admin_up but not up. Links that are down are still in
//    the snapshot: protection must be in place before a link comes up, never after.
//  - Every address is included: IPv4 secondaries, IPv6 link-local (fe80::/10; the compiler only
//    matches expectedIPs, so they do no harm), tentative, optimistic, deprecated and DAD-failed
//    ones: an address is the interface's from the moment the kernel has it until RTM_DELADDR.
//    The kernel announces addresses it makes itself (IPv6 link-local, SLAAC) only when DAD
//    completes, 1-2 s after it made them (seen on 6.18: a dump lists the tentative address, no
//    RTM_NEWADDR comes until DAD is done); addresses added through netlink (ip, netifd, odhcp6c)
//    are announced at once, tentative. So when a link comes up (IFF_UP or IFF_RUNNING newly set)
//    process() also dumps the addresses, once the queue is read, and adds what it finds (nothing
//    is removed this way: every deletion is announced). The link-local address made on carrier-up
//    (NETDEV_CHANGE) exists before the RTM_NEWLINK that reports it, so the dump finds it; the one
//    made on admin-up (NETDEV_UP) comes just after that RTM_NEWLINK, so the dump may miss it, and
//    then it arrives with DAD's completion, which is also when it becomes usable.
//    The address is IFA_LOCAL when present, else IFA_ADDRESS (with a peer, IFA_ADDRESS is the
//    peer's). IPv4 addresses are identified as the kernel identifies them (local, prefix length,
//    peer), so 198.18.0.1/24 and 198.18.0.1/16 on one link are two entries and deleting one keeps
//    the address; IPv6 ones by the address alone, so a prefix-length change replaces the entry.
//    A Link lists each IP once, sorted (IPv4 first).
//  - An address whose link is not in the table (its RTM_NEWADDR replayed after a dump that no
//    longer has the link) is kept but not shown; the link's RTM_DELLINK, queued behind it, removes
//    the link's addresses with it.
//
// Known limitations:
//  - Only this process's network namespace is watched.
//  - A link whose ifindex the kernel reuses after deleting the old one is a new link (the old
//    one's RTM_DELLINK came first); a dump cannot tell the two apart, and need not.
//  - The sync socket waits at most 5 s (SO_RCVTIMEO) for a dump; a kernel that does not answer
//    makes resync() fail with EAGAIN rather than hang the daemon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/net.hpp"
#include "hepd/result.hpp"

struct nlmsghdr;  // <linux/netlink.h>
struct nl_sock;   // <netlink/socket.h>

namespace hepd {

struct LinkState {
    std::string name;
    int ifindex = 0;
    bool up = false;        // operationally up: IFF_RUNNING (see above)
    bool admin_up = false;  // IFF_UP
    std::vector<IpAddr> addrs;  // sorted, each once; IPv6 link-local and tentative included

    bool operator==(const LinkState&) const = default;
};

// --- Comparing snapshots (pure) ----------------------------------------------------------------

// What changed between two snapshots. Links are matched by ifindex, so a rename is one change, and
// a link deleted and created again under the same name (a new ifindex) is a removal plus an
// addition.
struct LinkDiff {
    struct Change {
        LinkState before;
        LinkState after;
    };
    std::vector<LinkState> added;    // in `after` only; sorted by name
    std::vector<LinkState> removed;  // in `before` only; sorted by name
    std::vector<Change> changed;     // name, up, admin_up or addrs differ; sorted by after.name

    bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

// Both inputs as snapshot() returns them (ifindexes unique).
LinkDiff diff_links(const std::vector<LinkState>& before, const std::vector<LinkState>& after);

// One line per link, for logs and `hepd status`:
//     + veth0 (3) down
//     - eth1 (4)
//     ~ eth0 (2): name eth9 -> eth0, up, +198.18.0.1, -2001:db8::1
std::string format_link_diff(const LinkDiff& diff);

// compile's view: name and addresses, in snapshot order.
std::vector<Link> to_links(const std::vector<LinkState>& snapshot);

// --- The state machine (pure) ------------------------------------------------------------------

// Links and addresses as rtnetlink messages describe them. apply() takes one message as the
// kernel sends it (notification or dump reply); it reads nothing but the message.
class LinkTable {
public:
    enum class Outcome {
        Changed,    // the table changed
        Unchanged,  // a message about what the table already holds (address flags, stats, ...)
        Ignored,    // not a link or address message, or a family we do not follow
        Malformed,  // too short, bad attributes, no name for a new link, wrong address length
    };

    Outcome apply(const struct nlmsghdr* msg);
    void clear();

    std::vector<LinkState> snapshot() const;  // sorted by name, then ifindex
    // Incremented by every apply() that returns Changed and by clear() of a non-empty table.
    uint64_t generation() const { return generation_; }
    // Links that came up: appeared with IFF_UP, or gained IFF_UP or IFF_RUNNING.
    uint64_t up_transitions() const { return up_transitions_; }
    size_t link_count() const { return links_.size(); }
    size_t address_count() const { return addrs_.size(); }  // orphans included

private:
    struct LinkRec {
        std::string name;
        unsigned flags = 0;  // ifi_flags
    };
    struct AddrKey {
        int ifindex = 0;
        IpAddr local;
        uint8_t prefixlen = 0;  // 0 for IPv6 (identified by the address alone)
        IpAddr peer;            // IFA_ADDRESS when it differs from IFA_LOCAL (IPv4 only)
        auto operator<=>(const AddrKey&) const = default;
    };

    Outcome apply_link(const struct nlmsghdr* msg);
    Outcome apply_addr(const struct nlmsghdr* msg);

    std::map<int, LinkRec> links_;
    std::set<AddrKey> addrs_;
    uint64_t generation_ = 0;
    uint64_t up_transitions_ = 0;
};

// --- The interface the daemon loop sees --------------------------------------------------------

class LinkSource {
public:
    virtual ~LinkSource() = default;
    virtual int fd() const = 0;
    // Reads what is pending without blocking; true when snapshot() differs from what it was when
    // process() last returned (or from the first snapshot), or after an overrun.
    virtual Result<bool> process() = 0;
    virtual Result<void> resync() = 0;
    virtual std::vector<LinkState> snapshot() const = 0;
    virtual uint64_t overruns() const = 0;

    std::vector<Link> links() const { return to_links(snapshot()); }
};

// --- rtnetlink ----------------------------------------------------------------------------------

struct LinkMonitorOptions {
    int rcvbuf_bytes = 1 << 20;           // the event socket's SO_RCVBUF (the kernel doubles it)
    size_t max_datagrams_per_call = 1024;  // per process(); the fd stays readable beyond it
};

struct LinkMonitorStats {
    uint64_t datagrams = 0;  // read from the event socket
    uint64_t messages = 0;   // rtnetlink messages in them
    uint64_t changes = 0;    // messages that changed the table
    uint64_t malformed = 0;  // messages LinkTable refused (from the kernel: never expected)
    uint64_t overruns = 0;   // ENOBUFS on the event socket
    uint64_t truncated = 0;  // event datagrams larger than the buffer (it grows; then a resync)
    uint64_t resyncs = 0;    // full dumps, the first one included
    uint64_t address_refreshes = 0;  // address dumps after a link came up
    int rcvbuf = 0;          // SO_RCVBUF as the kernel reports it (twice what was asked for)
};

class LinkMonitor final : public LinkSource {
public:
    // Subscribes to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, then dumps links
    // and addresses (the first resync). Errors name the step: "nl_connect(NETLINK_ROUTE)", ...
    static Result<std::unique_ptr<LinkMonitor>> open();
    static Result<std::unique_ptr<LinkMonitor>> open(const LinkMonitorOptions& options);
    ~LinkMonitor() override;
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    // Poll it for POLLIN; it stays the same descriptor for the monitor's lifetime.
    int fd() const override;
    // Reads pending events (non-blocking); returns true when the set of links, their names, up/down
    // state or addresses changed since the last call (diff_links() of the two snapshots is not
    // empty). On ENOBUFS it resynchronises with a full dump, counts an overrun and returns true.
    // It dumps on the sync socket after an overrun and when a link came up; the kernel answers
    // those at once (the wait is bounded by SO_RCVTIMEO). On an error the table is the last good
    // one; call again (a failed resync is retried by the next process()). Not thread-safe: one
    // loop owns the monitor.
    Result<bool> process() override;
    // Full dump of links and addresses; the table is replaced only when both dumps succeed.
    Result<void> resync() override;
    std::vector<LinkState> snapshot() const override;  // sorted by name
    uint64_t overruns() const override { return stats_.overruns; }
    // What the last process() found changed (empty when it returned false, or when only an
    // overrun made it return true); format_link_diff() makes it a log line per link.
    const LinkDiff& last_diff() const { return last_diff_; }
    const LinkMonitorStats& stats() const { return stats_; }

private:
    struct SockDeleter {
        void operator()(struct nl_sock* sk) const noexcept;
    };
    using Sock = std::unique_ptr<struct nl_sock, SockDeleter>;

    explicit LinkMonitor(const LinkMonitorOptions& options) : options_(options) {}
    Result<void> dump(int rtm_type, LinkTable& into);
    Result<bool> drain_events();  // true when the event queue was emptied (EAGAIN)
    void apply_datagram(size_t len);

    LinkMonitorOptions options_;
    Sock events_;              // subscribed, non-blocking
    Sock sync_;                // dumps only, blocking with SO_RCVTIMEO
    // One receive buffer for both, not zero-filled: the kernel writes what it sends, and the pages
    // no datagram reached stay out of the idle daemon's RSS (a zeroed one was all resident).
    class RecvBuffer {
    public:
        char* data() { return p_.get(); }
        size_t size() const { return n_; }
        void resize(size_t n) {  // the contents are not kept
            p_.reset(new char[n]);
            n_ = n;
        }

    private:
        std::unique_ptr<char[]> p_;
        size_t n_ = 0;
    };
    RecvBuffer buf_;
    uint32_t seq_ = 0;         // dump request sequence numbers
    LinkTable table_;
    std::vector<LinkState> reported_;  // the snapshot as process() last saw it
    LinkDiff last_diff_;
    uint64_t reported_generation_ = 0;
    bool table_replaced_ = false;  // resync() swapped tables since process() last compared
    bool resync_pending_ = false;  // the next process() must resync first (an earlier one failed)
    bool overrun_pending_ = false; // an overrun process() has not reported yet
    LinkMonitorStats stats_;
};

}  // namespace hepd
