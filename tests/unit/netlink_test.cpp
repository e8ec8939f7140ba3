// SPDX-License-Identifier: GPL-2.0-or-later
// LinkTable and diff_links with hand-built rtnetlink messages (no root), then LinkMonitor against
// the kernel. The kernel cases run as root in a fresh network namespace entered by a forked child
// (unshare(CLONE_NEWNET)): the gtest process stays in the host namespace, the child reports each
// failed check and each figure through a pipe. Each test deletes the links it made, and the
// namespace goes when the child exits.
//
//     gtest (host netns) --fork--> child: unshare(CLONE_NEWNET)
//            ^                       | LinkMonitor::open(); veth hepd-a <-> hepd-b; addresses
//            |                       | from 198.18.0.0/15 and 2001:db8::/32; changes made with
//            +------ pipe -----------+ libnl requests, so each one is timed from its request
//              "F file:line: msg"      "I figure"
#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hepd/links.hpp"
#include "hepd/net.hpp"
#include "hepd/netlink.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define HEPD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEPD_ASAN 1
#endif
#endif
#ifndef HEPD_ASAN
#define HEPD_ASAN 0
#endif
#if HEPD_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace hepd {
namespace {

using Outcome = LinkTable::Outcome;

// --- hand-built messages -------------------------------------------------------------------------

struct MsgDeleter {
    void operator()(struct nl_msg* m) const { nlmsg_free(m); }
};
using Msg = std::shared_ptr<struct nl_msg>;

Msg make_msg(int type, const void* header, size_t len) {
    Msg m(nlmsg_alloc_simple(type, 0), MsgDeleter{});
    if (!m || nlmsg_append(m.get(), const_cast<void*>(header), len, NLMSG_ALIGNTO) < 0) std::abort();
    return m;
}

constexpr unsigned kUp = IFF_UP;
constexpr unsigned kRunning = IFF_UP | IFF_RUNNING;

Msg link_msg(int type, int index, const char* name, unsigned flags = 0, unsigned char family = AF_UNSPEC) {
    struct ifinfomsg ifi {};
    ifi.ifi_family = family;
    ifi.ifi_index = index;
    ifi.ifi_flags = flags;
    Msg m = make_msg(type, &ifi, sizeof ifi);
    if (name && nla_put_string(m.get(), IFLA_IFNAME, name) < 0) std::abort();
    return m;
}
Msg newlink(int index, const char* name, unsigned flags = 0) { return link_msg(RTM_NEWLINK, index, name, flags); }
Msg dellink(int index, const char* name) { return link_msg(RTM_DELLINK, index, name); }

// An address message as the kernel sends it: IFA_LOCAL and IFA_ADDRESS for IPv4 (IFA_ADDRESS is
// the peer when there is one), IFA_ADDRESS alone for IPv6 without a peer.
Msg addr_msg(int type, int index, const std::string& cidr, const char* peer = nullptr, unsigned char ifa_flags = 0) {
    auto c = parse_cidr(cidr);
    if (!c) std::abort();
    struct ifaddrmsg ifa {};
    ifa.ifa_family = c->family() == 4 ? AF_INET : AF_INET6;
    ifa.ifa_prefixlen = c->prefix;
    ifa.ifa_flags = ifa_flags;
    ifa.ifa_index = static_cast<uint32_t>(index);
    const int len = c->family() == 4 ? 4 : 16;
    Msg m = make_msg(type, &ifa, sizeof ifa);
    std::optional<IpAddr> p = peer ? parse_ip(peer) : std::nullopt;
    if (c->family() == 4 || p) nla_put(m.get(), IFA_LOCAL, len, c->addr.bytes.data());
    nla_put(m.get(), IFA_ADDRESS, len, p ? p->bytes.data() : c->addr.bytes.data());
    return m;
}
Msg newaddr(int index, const std::string& cidr, const char* peer = nullptr, unsigned char flags = 0) {
    return addr_msg(RTM_NEWADDR, index, cidr, peer, flags);
}
Msg deladdr(int index, const std::string& cidr, const char* peer = nullptr) {
    return addr_msg(RTM_DELADDR, index, cidr, peer);
}

// "name#ifindex state addr addr; ..." with state up, admin (admin up, not running) or down.
std::string describe(const std::vector<LinkState>& snap) {
    std::string out;
    for (const auto& l : snap) {
        if (!out.empty()) out += "; ";
        out += l.name + "#" + std::to_string(l.ifindex) + (l.up ? " up" : l.admin_up ? " admin" : " down");
        for (const auto& ip : l.addrs) out += " " + ip.to_string();
    }
    return out;
}

// --- LinkTable -----------------------------------------------------------------------------------

struct TableCase {
    const char* name;
    std::vector<Msg> msgs;
    const char* want;
};

TEST(LinkTable, Cases) {
    const TableCase cases[] = {
        {"a new link, down, no addresses", {newlink(3, "eth0")}, "eth0#3 down"},
        {"IFF_UP without IFF_RUNNING is admin up only", {newlink(3, "eth0", kUp)}, "eth0#3 admin"},
        {"IFF_RUNNING is up", {newlink(3, "eth0", kUp), newlink(3, "eth0", kRunning)}, "eth0#3 up"},
        {"sorted by name, not ifindex", {newlink(5, "wan"), newlink(2, "lan"), newlink(9, "br-lan")},
         "br-lan#9 down; lan#2 down; wan#5 down"},
        {"rename keeps the ifindex and the addresses",
         {newlink(3, "eth0"), newaddr(3, "198.18.0.1/24"), newlink(3, "wan0")}, "wan0#3 down 198.18.0.1"},
        {"a NEWLINK without a name keeps the known one", {newlink(3, "eth0"), newlink(3, nullptr, kRunning)},
         "eth0#3 up"},
        {"addresses sorted, IPv4 first, each once",
         {newlink(3, "eth0"), newaddr(3, "2001:db8::2/64"), newaddr(3, "198.18.0.9/24"),
          newaddr(3, "fe80::1/64"), newaddr(3, "198.18.0.1/24"), newaddr(3, "198.18.0.1/16")},
         "eth0#3 down 198.18.0.1 198.18.0.9 2001:db8::2 fe80::1"},
        {"tentative and DAD-failed IPv6 addresses count",
         {newlink(3, "eth0"), newaddr(3, "2001:db8::1/64", nullptr, IFA_F_TENTATIVE),
          newaddr(3, "2001:db8::2/64", nullptr, IFA_F_DADFAILED | IFA_F_TENTATIVE)},
         "eth0#3 down 2001:db8::1 2001:db8::2"},
        {"RTM_DELADDR removes", {newlink(3, "eth0"), newaddr(3, "198.18.0.1/24"), newaddr(3, "2001:db8::1/64"),
                                 deladdr(3, "198.18.0.1/24"), deladdr(3, "2001:db8::1/64")},
         "eth0#3 down"},
        {"IPv4: the same address under two prefixes stays until both go",
         {newlink(3, "eth0"), newaddr(3, "198.18.0.1/24"), newaddr(3, "198.18.0.1/16"), deladdr(3, "198.18.0.1/24")},
         "eth0#3 down 198.18.0.1"},
        {"IPv4: deleting under a prefix it does not have removes nothing",
         {newlink(3, "eth0"), newaddr(3, "198.18.0.1/24"), deladdr(3, "198.18.0.1/16")}, "eth0#3 down 198.18.0.1"},
        {"IPv4 point-to-point: IFA_LOCAL is ours, IFA_ADDRESS is the peer's",
         {newlink(3, "ppp0"), newaddr(3, "198.18.0.1/32", "198.19.0.1")}, "ppp0#3 down 198.18.0.1"},
        {"IPv6 with a peer: IFA_LOCAL is ours",
         {newlink(3, "tun0"), newaddr(3, "2001:db8::1/128", "2001:db8::2")}, "tun0#3 down 2001:db8::1"},
        {"IPv6: a prefix-length change replaces, one delete removes",
         {newlink(3, "eth0"), newaddr(3, "2001:db8::1/64"), newaddr(3, "2001:db8::1/128"),
          deladdr(3, "2001:db8::1/128")},
         "eth0#3 down"},
        {"RTM_DELLINK removes the link and its addresses",
         {newlink(3, "eth0"), newlink(4, "eth1"), newaddr(3, "198.18.0.1/24"), newaddr(4, "198.18.1.1/24"),
          dellink(3, "eth0")},
         "eth1#4 down 198.18.1.1"},
        {"a link created again under the same ifindex starts without addresses",
         {newlink(3, "eth0"), newaddr(3, "198.18.0.1/24"), dellink(3, "eth0"), newlink(3, "eth0")}, "eth0#3 down"},
        {"AF_BRIDGE DELLINK (a port leaving its bridge) is no deletion",
         {newlink(3, "eth0", kRunning), link_msg(RTM_DELLINK, 3, "eth0", 0, AF_BRIDGE)}, "eth0#3 up"},
        {"AF_BRIDGE NEWLINK changes nothing",
         {newlink(3, "eth0"), link_msg(RTM_NEWLINK, 3, "port", kRunning, AF_BRIDGE)}, "eth0#3 down"},
        {"an address before its link is kept and shown once the link comes",
         {newaddr(7, "198.18.0.7/24"), newlink(7, "late")}, "late#7 down 198.18.0.7"},
        {"an orphan address is not shown", {newlink(3, "eth0"), newaddr(7, "198.18.0.7/24")}, "eth0#3 down"},
        {"an orphan address goes with its link's DELLINK",
         {newaddr(7, "198.18.0.7/24"), dellink(7, "late"), newlink(7, "late")}, "late#7 down"},
    };
    for (const auto& c : cases) {
        LinkTable t;
        for (const auto& m : c.msgs) t.apply(nlmsg_hdr(m.get()));
        EXPECT_EQ(describe(t.snapshot()), c.want) << c.name;
    }
}

TEST(LinkTable, Outcomes) {
    LinkTable t;
    auto apply = [&t](const Msg& m) { return t.apply(nlmsg_hdr(m.get())); };
    EXPECT_EQ(apply(newlink(3, "eth0")), Outcome::Changed);
    EXPECT_EQ(apply(newlink(3, "eth0")), Outcome::Unchanged);
    EXPECT_EQ(apply(newlink(3, "eth0", IFF_PROMISC)), Outcome::Unchanged) << "flags we do not show";
    EXPECT_EQ(apply(newlink(3, "eth0", kUp)), Outcome::Changed);
    EXPECT_EQ(apply(newaddr(3, "2001:db8::1/64", nullptr, IFA_F_TENTATIVE)), Outcome::Changed);
    EXPECT_EQ(apply(newaddr(3, "2001:db8::1/64")), Outcome::Unchanged) << "DAD done: same address";
    EXPECT_EQ(apply(deladdr(3, "198.18.0.1/24")), Outcome::Unchanged);
    EXPECT_EQ(apply(dellink(9, "nope")), Outcome::Unchanged);
    EXPECT_EQ(apply(link_msg(RTM_DELLINK, 3, "eth0", 0, AF_BRIDGE)), Outcome::Ignored);

    // Not ours.
    struct rtmsg rtm {};
    rtm.rtm_family = AF_INET;
    EXPECT_EQ(apply(make_msg(RTM_NEWROUTE, &rtm, sizeof rtm)), Outcome::Ignored);
    struct ifaddrmsg packet {};
    packet.ifa_family = AF_PACKET;
    packet.ifa_index = 3;
    EXPECT_EQ(apply(make_msg(RTM_NEWADDR, &packet, sizeof packet)), Outcome::Ignored);

    // Malformed.
    EXPECT_EQ(t.apply(nullptr), Outcome::Malformed);
    uint32_t two = 2;
    EXPECT_EQ(apply(make_msg(RTM_NEWLINK, &two, sizeof two)), Outcome::Malformed) << "short ifinfomsg";
    EXPECT_EQ(apply(make_msg(RTM_NEWADDR, &two, sizeof two)), Outcome::Malformed) << "short ifaddrmsg";
    EXPECT_EQ(apply(newlink(4, nullptr)), Outcome::Malformed) << "a new link needs a name";
    EXPECT_EQ(apply(newlink(4, "")), Outcome::Malformed);
    EXPECT_EQ(apply(newlink(0, "zero")), Outcome::Malformed);
    EXPECT_EQ(apply(newlink(-1, "neg")), Outcome::Malformed);
    {
        struct ifinfomsg ifi {};
        ifi.ifi_index = 5;
        Msg m = make_msg(RTM_NEWLINK, &ifi, sizeof ifi);
        nla_put(m.get(), IFLA_IFNAME, 3, "abc");  // not NUL-terminated
        EXPECT_EQ(apply(m), Outcome::Malformed);
        Msg longname = newlink(5, "0123456789abcdefXYZ");  // longer than IFNAMSIZ
        EXPECT_EQ(apply(longname), Outcome::Malformed);
    }
    {
        struct ifaddrmsg ifa {};
        ifa.ifa_family = AF_INET;
        ifa.ifa_prefixlen = 24;
        ifa.ifa_index = 3;
        Msg none = make_msg(RTM_NEWADDR, &ifa, sizeof ifa);
        EXPECT_EQ(apply(none), Outcome::Malformed) << "no address";
        Msg wide = make_msg(RTM_NEWADDR, &ifa, sizeof ifa);
        uint8_t sixteen[16] = {0x20, 0x01, 0x0d, 0xb8};
        nla_put(wide.get(), IFA_LOCAL, 16, sixteen);
        EXPECT_EQ(apply(wide), Outcome::Malformed) << "IPv4 family, IPv6-sized address";
        ifa.ifa_prefixlen = 33;
        Msg prefix = make_msg(RTM_NEWADDR, &ifa, sizeof ifa);
        nla_put(prefix.get(), IFA_LOCAL, 4, sixteen);
        EXPECT_EQ(apply(prefix), Outcome::Malformed) << "prefix length 33";
        ifa.ifa_prefixlen = 24;
        ifa.ifa_index = 0;
        Msg index = make_msg(RTM_NEWADDR, &ifa, sizeof ifa);
        nla_put(index.get(), IFA_LOCAL, 4, sixteen);
        EXPECT_EQ(apply(index), Outcome::Malformed) << "ifindex 0";
    }
    EXPECT_EQ(describe(t.snapshot()), "eth0#3 admin 2001:db8::1") << "malformed messages change nothing";
}

TEST(LinkTable, GenerationCountsChangesOnly) {
    LinkTable t;
    EXPECT_EQ(t.generation(), 0u);
    t.clear();
    EXPECT_EQ(t.generation(), 0u) << "clearing an empty table";
    t.apply(nlmsg_hdr(newlink(3, "eth0").get()));
    t.apply(nlmsg_hdr(newlink(3, "eth0").get()));
    t.apply(nlmsg_hdr(newaddr(3, "198.18.0.1/24").get()));
    t.apply(nlmsg_hdr(newaddr(3, "198.18.0.1/24").get()));
    EXPECT_EQ(t.generation(), 2u);
    EXPECT_EQ(t.link_count(), 1u);
    EXPECT_EQ(t.address_count(), 1u);
    t.clear();
    EXPECT_EQ(t.generation(), 3u);
    EXPECT_EQ(t.link_count(), 0u);
    EXPECT_EQ(t.address_count(), 0u);
}

// The same messages in different orders: where the kernel's own order does not matter (links and
// addresses of different links, independent addresses), neither does ours.
TEST(LinkTable, OrderIndependence) {
    std::vector<Msg> msgs = {newlink(3, "eth0", kRunning),   newlink(4, "eth1"),
                             newaddr(3, "198.18.0.1/24"),    newaddr(3, "2001:db8::1/64"),
                             newaddr(4, "198.18.1.1/24"),    newaddr(4, "fe80::1/64", nullptr, IFA_F_TENTATIVE),
                             newaddr(3, "198.18.0.1/16"),    newlink(5, "eth2")};
    std::vector<size_t> order(msgs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::string first;
    int permutations = 0;
    do {
        LinkTable t;
        for (size_t i : order) t.apply(nlmsg_hdr(msgs[i].get()));
        std::string got = describe(t.snapshot());
        if (first.empty()) first = got;
        ASSERT_EQ(got, first);
        ++permutations;
    } while (std::next_permutation(order.begin(), order.end()) && permutations < 5000);
    EXPECT_EQ(first, "eth0#3 up 198.18.0.1 2001:db8::1; eth1#4 down 198.18.1.1 fe80::1; eth2#5 down");
}

// --- diff_links ----------------------------------------------------------------------------------

LinkState ls(const char* name, int index, bool up, std::vector<const char*> addrs = {}, bool admin_up = false) {
    LinkState l;
    l.name = name;
    l.ifindex = index;
    l.up = up;
    l.admin_up = up || admin_up;
    for (const char* a : addrs) l.addrs.push_back(*parse_ip(a));
    std::sort(l.addrs.begin(), l.addrs.end());
    return l;
}

struct DiffCase {
    const char* name;
    std::vector<LinkState> before;
    std::vector<LinkState> after;
    const char* want;  // format_link_diff
};

TEST(LinkDiff, Cases) {
    const DiffCase cases[] = {
        {"nothing", {ls("eth0", 2, true, {"198.18.0.1"})}, {ls("eth0", 2, true, {"198.18.0.1"})}, ""},
        {"both empty", {}, {}, ""},
        {"added", {}, {ls("eth0", 2, false, {"198.18.0.1"})}, "+ eth0 (2) down, 198.18.0.1\n"},
        {"added, admin up only", {}, {ls("veth0", 5, false, {}, true)}, "+ veth0 (5) down (admin up)\n"},
        {"removed", {ls("eth0", 2, true)}, {}, "- eth0 (2)\n"},
        {"renamed", {ls("eth9", 2, false)}, {ls("eth0", 2, false)}, "~ eth0 (2): name eth9 -> eth0\n"},
        {"up", {ls("eth0", 2, false)}, {ls("eth0", 2, true)}, "~ eth0 (2): up\n"},
        {"addresses", {ls("eth0", 2, true, {"198.18.0.1", "2001:db8::1"})},
         {ls("eth0", 2, true, {"198.18.0.2", "2001:db8::1"})}, "~ eth0 (2): +198.18.0.2, -198.18.0.1\n"},
        {"same name, new ifindex: removed and added", {ls("eth0", 2, true)}, {ls("eth0", 7, true)},
         "- eth0 (2)\n+ eth0 (7) up\n"},
        {"two links swap names", {ls("a0", 2, true), ls("b0", 3, true)}, {ls("a0", 3, true), ls("b0", 2, true)},
         "~ a0 (3): name b0 -> a0\n~ b0 (2): name a0 -> b0\n"},
        {"everything at once", {ls("eth0", 2, true), ls("eth1", 3, true), ls("old", 4, false)},
         {ls("eth0", 2, false, {"fe80::1"}), ls("eth1", 3, true), ls("new", 5, true)},
         "- old (4)\n+ new (5) up\n~ eth0 (2): down, +fe80::1\n"},
    };
    for (const auto& c : cases) {
        LinkDiff d = diff_links(c.before, c.after);
        EXPECT_EQ(format_link_diff(d), c.want) << c.name;
        EXPECT_EQ(d.empty(), std::string(c.want).empty()) << c.name;
    }
}

TEST(LinkDiff, Members) {
    auto d = diff_links({ls("eth0", 2, true), ls("gone", 3, true)}, {ls("lan", 2, true), ls("new", 4, false)});
    ASSERT_EQ(d.added.size(), 1u);
    EXPECT_EQ(d.added[0].name, "new");
    ASSERT_EQ(d.removed.size(), 1u);
    EXPECT_EQ(d.removed[0].ifindex, 3);
    ASSERT_EQ(d.changed.size(), 1u);
    EXPECT_EQ(d.changed[0].before.name, "eth0");
    EXPECT_EQ(d.changed[0].after.name, "lan");
}

TEST(LinkDiff, ToLinks) {
    auto links = to_links({ls("eth0", 2, true, {"198.18.0.1", "fe80::1"}), ls("wan", 3, false)});
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(links[0].name, "eth0");
    EXPECT_EQ(links[0].addrs, (std::vector<IpAddr>{*parse_ip("198.18.0.1"), *parse_ip("fe80::1")}));
    EXPECT_EQ(links[1].name, "wan");
    EXPECT_TRUE(links[1].addrs.empty());
}

// The seam the daemon loop runs against: a scripted fake is all it takes.
class ScriptedLinks final : public LinkSource {
public:
    explicit ScriptedLinks(std::vector<std::vector<LinkState>> script) : script_(std::move(script)) {}
    int fd() const override { return -1; }
    Result<bool> process() override {
        if (next_ >= script_.size()) return false;
        auto diff = diff_links(current_, script_[next_]);
        current_ = script_[next_++];
        return !diff.empty();
    }
    Result<void> resync() override { return {}; }
    std::vector<LinkState> snapshot() const override { return current_; }
    uint64_t overruns() const override { return 0; }

private:
    std::vector<std::vector<LinkState>> script_;
    std::vector<LinkState> current_;
    size_t next_ = 0;
};

TEST(LinkSource, AFakeDrivesTheSameInterface) {
    ScriptedLinks fake({{ls("eth0", 2, true, {"198.18.0.1"})},
                        {ls("eth0", 2, true, {"198.18.0.1"})},
                        {ls("eth0", 2, true, {"198.18.0.1"}), ls("wan", 3, false, {"2001:db8::1"})}});
    LinkSource& src = fake;
    std::vector<bool> changes;
    for (int i = 0; i < 4; ++i) changes.push_back(*src.process());
    EXPECT_EQ(changes, (std::vector<bool>{true, false, true, false}));
    auto links = src.links();
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(links[1].name, "wan");
    EXPECT_EQ(links[1].addrs, std::vector<IpAddr>{*parse_ip("2001:db8::1")});
}

// --- the kernel --------------------------------------------------------------------------------

// getifaddrs() (read_links) and the monitor describe the same thing by different roads.
std::vector<Link> sorted_links(std::vector<Link> links) {
    for (auto& l : links) {
        std::sort(l.addrs.begin(), l.addrs.end());
        l.addrs.erase(std::unique(l.addrs.begin(), l.addrs.end()), l.addrs.end());
    }
    std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.name < b.name; });
    return links;
}

std::string describe_links(const std::vector<Link>& links) {
    std::string out;
    for (const auto& l : links) {
        if (!out.empty()) out += "; ";
        out += l.name;
        for (const auto& ip : l.addrs) out += " " + ip.to_string();
    }
    return out;
}

// Opening needs no privilege: the host namespace, as an ordinary user may see it. Other tests may
// be adding links to it meanwhile, so the comparison is retried.
TEST(LinkMonitor, OpensInTheHostNamespace) {
    auto m = LinkMonitor::open();
    ASSERT_TRUE(m.ok()) << m.error().message();
    LinkMonitor& mon = **m;
    EXPECT_GE(mon.fd(), 0);
    EXPECT_EQ(mon.overruns(), 0u);
    EXPECT_EQ(mon.stats().resyncs, 1u);
    EXPECT_GT(mon.stats().rcvbuf, 0);
    auto snap = mon.snapshot();
    auto lo = std::find_if(snap.begin(), snap.end(), [](const LinkState& l) { return l.ifindex == 1; });
    ASSERT_NE(lo, snap.end());
    EXPECT_EQ(lo->name, "lo");
    bool same = false;
    std::string ours, theirs;
    for (int attempt = 0; attempt < 5 && !same; ++attempt) {
        auto r = mon.process();
        ASSERT_TRUE(r.ok()) << r.error().message();
        auto kernel = read_links();
        ASSERT_TRUE(kernel.ok()) << kernel.error().message();
        ours = describe_links(sorted_links(mon.links()));
        theirs = describe_links(sorted_links(*kernel));
        same = ours == theirs;
        if (!same) usleep(100 * 1000);
    }
    EXPECT_EQ(ours, theirs) << "LinkMonitor vs getifaddrs";
    auto r = mon.resync();
    EXPECT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(mon.stats().resyncs, 2u);
}

// The child's side of a namespace test: every failed check and every figure goes to the parent.
class Probe {
public:
    explicit Probe(int fd) : fd_(fd) {}
    void fail(const char* file, int line, const std::string& msg) {
        failed_ = true;
        send('F', std::string(file) + ":" + std::to_string(line) + ": " + msg);
    }
    void info(const std::string& msg) { send('I', msg); }
    bool failed() const { return failed_; }

private:
    void send(char kind, std::string msg) {
        std::replace(msg.begin(), msg.end(), '\n', '|');
        std::string line = std::string(1, kind) + " " + msg + "\n";
        const char* p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(fd_, p, left);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                return;
            }
            p += n;
            left -= static_cast<size_t>(n);
        }
    }
    int fd_;
    bool failed_ = false;
};

#define NS_EXPECT(p, cond, msg)                                                 \
    do {                                                                        \
        if (!(cond)) (p).fail(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
    } while (0)
#define NS_REQUIRE(p, cond, msg)                                                \
    do {                                                                        \
        if (!(cond)) {                                                          \
            (p).fail(__FILE__, __LINE__, std::string(#cond) + ": " + (msg));    \
            return;                                                             \
        }                                                                       \
    } while (0)

// Runs `body` in a forked child inside a new network namespace; reports its failures here and
// prints its figures.
void run_in_fresh_netns(const std::function<void(Probe&)>& body) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0) << std::strerror(errno);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << std::strerror(errno);
    if (pid == 0) {
        ::close(fds[0]);
        Probe p(fds[1]);
        if (::unshare(CLONE_NEWNET) != 0) {
            p.fail(__FILE__, __LINE__, std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno));
            ::_exit(1);
        }
        ::alarm(120);  // a hung child fails the test instead of hanging it
        body(p);
#if HEPD_ASAN
        // _exit() skips LeakSanitizer's exit-time check; everything the body made is gone now.
        if (__lsan_do_recoverable_leak_check() != 0)
            p.fail(__FILE__, __LINE__, "LeakSanitizer: leaks in the namespace child (its stderr has the report)");
#endif
        ::_exit(p.failed() ? 1 : 0);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::istringstream lines(out);
    std::string line;
    bool reported_failure = false;
    while (std::getline(lines, line)) {
        if (line.rfind("F ", 0) == 0) {
            ADD_FAILURE() << line.substr(2);
            reported_failure = true;
        } else if (line.rfind("I ", 0) == 0) {
            std::cout << "[   info   ] " << line.substr(2) << "\n";
        }
    }
    if (WIFSIGNALED(status))
        ADD_FAILURE() << "the namespace child died of signal " << WTERMSIG(status);
    else if (WEXITSTATUS(status) != 0 && !reported_failure)
        ADD_FAILURE() << "the namespace child exited " << WEXITSTATUS(status);
}

#define SKIP_UNLESS_ROOT() \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)"

// Changes made through libnl requests, each one acknowledged by the kernel before it returns.
// Errors come back as text ("" when fine).
class Rtnl {
public:
    Rtnl() : sk_(nl_socket_alloc()) {
        if (sk_ && nl_connect(sk_.get(), NETLINK_ROUTE) < 0) sk_.reset();
    }
    bool ok() const { return sk_ != nullptr; }

    std::string veth(const char* a, const char* b) {
        return check("veth add", rtnl_link_veth_add(sk_.get(), a, b, ::getpid()));
    }
    std::string set_up(const char* name, bool up) {
        LinkPtr changes(rtnl_link_alloc());
        if (up)
            rtnl_link_set_flags(changes.get(), IFF_UP);
        else
            rtnl_link_unset_flags(changes.get(), IFF_UP);
        return change(name, changes.get(), up ? "set up" : "set down");
    }
    std::string rename(const char* from, const char* to) {
        LinkPtr changes(rtnl_link_alloc());
        rtnl_link_set_name(changes.get(), to);
        return change(from, changes.get(), "rename");
    }
    std::string remove(const char* name) {
        LinkPtr link(rtnl_link_alloc());
        rtnl_link_set_ifindex(link.get(), static_cast<int>(::if_nametoindex(name)));
        return check("link delete", rtnl_link_delete(sk_.get(), link.get()));
    }
    std::string addr(const char* name, const std::string& cidr, bool add) {
        AddrPtr a(rtnl_addr_alloc());
        struct nl_addr* local = nullptr;
        if (int err = nl_addr_parse(cidr.c_str(), AF_UNSPEC, &local); err < 0) return check("nl_addr_parse", err);
        NlAddrPtr hold(local);
        rtnl_addr_set_ifindex(a.get(), static_cast<int>(::if_nametoindex(name)));
        if (int err = rtnl_addr_set_local(a.get(), local); err < 0) return check("rtnl_addr_set_local", err);
        if (nl_addr_get_family(local) == AF_INET6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
        return add ? check("addr add " + cidr, rtnl_addr_add(sk_.get(), a.get(), 0))
                   : check("addr del " + cidr, rtnl_addr_delete(sk_.get(), a.get(), 0));
    }

private:
    struct SockDel {
        void operator()(struct nl_sock* s) const { nl_socket_free(s); }
    };
    struct LinkDel {
        void operator()(struct rtnl_link* l) const { rtnl_link_put(l); }
    };
    struct AddrDel {
        void operator()(struct rtnl_addr* a) const { rtnl_addr_put(a); }
    };
    struct NlAddrDel {
        void operator()(struct nl_addr* a) const { nl_addr_put(a); }
    };
    using LinkPtr = std::unique_ptr<struct rtnl_link, LinkDel>;
    using AddrPtr = std::unique_ptr<struct rtnl_addr, AddrDel>;
    using NlAddrPtr = std::unique_ptr<struct nl_addr, NlAddrDel>;

    static std::string check(const std::string& what, int err) {
        return err < 0 ? what + ": " + nl_geterror(err) : std::string();
    }
    std::string change(const char* name, struct rtnl_link* changes, const char* what) {
        LinkPtr orig(rtnl_link_alloc());
        rtnl_link_set_ifindex(orig.get(), static_cast<int>(::if_nametoindex(name)));
        return check(std::string(what) + " " + name, rtnl_link_change(sk_.get(), orig.get(), changes, 0));
    }

    std::unique_ptr<struct nl_sock, SockDel> sk_;
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

const LinkState* find(const std::vector<LinkState>& snap, const std::string& name) {
    for (const auto& l : snap)
        if (l.name == name) return &l;
    return nullptr;
}

bool has(const LinkState* l, const char* ip) {
    return l && std::find(l->addrs.begin(), l->addrs.end(), *parse_ip(ip)) != l->addrs.end();
}

bool has_link_local(const LinkState* l) {
    if (!l) return false;
    for (const auto& ip : l->addrs)
        if (ip.family == 6 && ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80) return true;
    return false;
}

// Polls until process() has returned true (unless need_report is false) and `want` holds for the
// snapshot, for at most 1 s from t0. Returns the milliseconds from t0, or nothing (and a failure)
// when 1 s passed.
// `diffs` collects last_diff() of every process() that returned true.
std::optional<double> wait_for(Probe& p, LinkMonitor& m, Clock::time_point t0, const std::string& what,
                               const std::function<bool(const std::vector<LinkState>&)>& want,
                               bool need_report = true, std::string* diffs = nullptr) {
    const auto deadline = t0 + std::chrono::seconds(1);
    bool reported = !need_report;
    for (;;) {
        auto r = m.process();
        if (!r) {
            p.fail(__FILE__, __LINE__, what + ": process(): " + r.error().message());
            return std::nullopt;
        }
        reported = reported || *r;
        if (*r && diffs) *diffs += format_link_diff(m.last_diff());
        if (reported && want(m.snapshot())) return ms_since(t0);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) break;
        struct pollfd pfd {m.fd(), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left));
    }
    p.fail(__FILE__, __LINE__,
           what + ": not seen within 1 s (process() said " + (reported ? "true" : "never true") +
               "); snapshot: " + describe(m.snapshot()));
    return std::nullopt;
}

// Reads what is queued until process() has nothing more to say.
bool settle(Probe& p, LinkMonitor& m) {
    for (int i = 0; i < 100; ++i) {
        auto r = m.process();
        if (!r) {
            p.fail(__FILE__, __LINE__, "process(): " + r.error().message());
            return false;
        }
        struct pollfd pfd {m.fd(), POLLIN, 0};
        if (!*r && ::poll(&pfd, 1, 20) == 0) return true;
    }
    p.fail(__FILE__, __LINE__, "process() kept reporting changes");
    return false;
}

// `ip -o link` and `ip -o addr`, as compile's Links.
std::vector<Link> ip_addr() {
    std::vector<Link> out;
    auto run = [](const char* cmd) {
        std::string text;
        if (FILE* f = ::popen(cmd, "r")) {
            char buf[4096];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
            ::pclose(f);
        }
        return text;
    };
    auto name_of = [](std::string field) {
        if (!field.empty() && field.back() == ':') field.pop_back();
        return field.substr(0, field.find('@'));
    };
    std::istringstream links(run("ip -o link show"));
    std::string line;
    while (std::getline(links, line)) {
        std::istringstream f(line);
        std::string index, name;
        if (f >> index >> name) out.push_back(Link{name_of(name), {}});
    }
    std::istringstream addrs(run("ip -o addr show"));
    while (std::getline(addrs, line)) {
        std::istringstream f(line);
        std::string index, name, family, cidr;
        if (!(f >> index >> name >> family >> cidr)) continue;
        auto ip = parse_ip(cidr.substr(0, cidr.find('/')));
        name = name_of(name);
        for (auto& l : out)
            if (l.name == name && ip) l.addrs.push_back(*ip);
    }
    return sorted_links(std::move(out));
}

// The monitor's links against `ip addr` and getifaddrs. The kernel may still be busy (an IPv6
// link-local address it made while the monitor was dumping is announced when DAD completes, up to
// 2 s later), so a difference is retried for 3 s.
void expect_matches_kernel(Probe& p, LinkMonitor& m, const std::string& when) {
    std::string ours, ip, ifaddrs;
    for (int attempt = 0; attempt < 60; ++attempt) {
        if (attempt > 0) ::usleep(50 * 1000);
        if (!settle(p, m)) return;
        ours = describe_links(sorted_links(m.links()));
        ip = describe_links(ip_addr());
        auto kernel = read_links();
        NS_REQUIRE(p, kernel.ok(), kernel.error().message());
        ifaddrs = describe_links(sorted_links(*kernel));
        if (ours == ip && ours == ifaddrs) return;
    }
    NS_EXPECT(p, ours == ip, when + ": monitor [" + ours + "] vs ip addr [" + ip + "]");
    NS_EXPECT(p, ours == ifaddrs, when + ": monitor [" + ours + "] vs getifaddrs [" + ifaddrs + "]");
}

// A field of /proc/self/status in KiB ("VmRSS", "RssAnon"), -1 when missing.
long status_kib(const std::string& field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

std::string fmt_ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", ms);
    return buf;
}

TEST(LinkMonitorNetns, FollowsEveryKindOfChange) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        Rtnl rt;
        NS_REQUIRE(p, rt.ok(), "libnl socket for changes");
        auto opened = LinkMonitor::open();
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        NS_EXPECT(p, describe(m.snapshot()) == "lo#1 down", "a fresh namespace: " + describe(m.snapshot()));
        expect_matches_kernel(p, m, "open");

        struct Step {
            const char* what;
            std::function<std::string()> change;
            std::function<bool(const std::vector<LinkState>&)> want;
            bool kernel_side = false;  // no request: the kernel's own follow-up of the step before
            const char* diff = nullptr;  // expected in process()'s last_diff()
        };
        int index_a = 0;
        const Step steps[] = {
            {"veth pair appears", [&] { return rt.veth("hepd-a", "hepd-b"); },
             [&](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 if (a) index_a = a->ifindex;
                 return a && find(s, "hepd-b") && !a->up && !a->admin_up;
             },
             false, "+ hepd-a ("},
            {"IPv4 address added", [&] { return rt.addr("hepd-a", "198.18.0.1/24", true); },
             [](const auto& s) { return has(find(s, "hepd-a"), "198.18.0.1"); }, false, ": +198.18.0.1\n"},
            {"IPv6 address added", [&] { return rt.addr("hepd-a", "2001:db8::1/64", true); },
             [](const auto& s) { return has(find(s, "hepd-a"), "2001:db8::1"); }},
            {"admin up (peer down: not running)", [&] { return rt.set_up("hepd-a", true); },
             [](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 return a && a->admin_up && !a->up;
             }},
            {"peer up (both running)", [&] { return rt.set_up("hepd-b", true); },
             [](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 const LinkState* b = find(s, "hepd-b");
                 return a && b && a->up && b->up;
             }},
            {"IPv6 link-local appears (tentative)", [] { return std::string(); },
             [](const auto& s) { return has_link_local(find(s, "hepd-a")); }, true},
            {"IPv4 address removed", [&] { return rt.addr("hepd-a", "198.18.0.1/24", false); },
             [](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 return a && !has(a, "198.18.0.1");
             }},
            {"IPv6 address removed", [&] { return rt.addr("hepd-a", "2001:db8::1/64", false); },
             [](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 return a && !has(a, "2001:db8::1");
             }},
            {"down", [&] { return rt.set_up("hepd-a", false); },
             [](const auto& s) {
                 const LinkState* a = find(s, "hepd-a");
                 return a && !a->up && !a->admin_up;
             }},
            {"renamed", [&] { return rt.rename("hepd-a", "hepd-c"); },
             [&](const auto& s) {
                 const LinkState* c = find(s, "hepd-c");
                 return c && c->ifindex == index_a && !find(s, "hepd-a");
             },
             false, ": name hepd-a -> hepd-c\n"},
            {"renamed link up", [&] { return rt.set_up("hepd-c", true); },
             [](const auto& s) {
                 const LinkState* c = find(s, "hepd-c");
                 return c && c->up;
             }},
            {"address on the renamed link", [&] { return rt.addr("hepd-c", "198.18.0.3/24", true); },
             [](const auto& s) { return has(find(s, "hepd-c"), "198.18.0.3"); }},
            {"deleted (with its peer)", [&] { return rt.remove("hepd-c"); },
             [](const auto& s) { return !find(s, "hepd-c") && !find(s, "hepd-b"); }, false, "- hepd-c ("},
        };
        // Each change is timed from its request, and again from the kernel's acknowledgement: the
        // notification is queued while the request runs, so the second figure is hepd's own part
        // (a link deletion's request waits for RCU grace periods, the first figure shows that too).
        std::vector<double> from_request, from_ack;
        std::string report;
        for (const auto& step : steps) {
            const auto t0 = Clock::now();
            std::string err = step.change();
            const auto acked = Clock::now();
            NS_REQUIRE(p, err.empty(), std::string(step.what) + ": " + err);
            std::string diffs;
            auto ms = wait_for(p, m, t0, step.what, step.want, !step.kernel_side, &diffs);
            if (!ms) return;
            if (step.diff)
                NS_EXPECT(p, diffs.find(step.diff) != std::string::npos,
                          std::string(step.what) + ": last_diff() [" + diffs + "] lacks [" + step.diff + "]");
            const double after_ack = *ms - std::chrono::duration<double, std::milli>(acked - t0).count();
            expect_matches_kernel(p, m, step.what);
            report += std::string(report.empty() ? "" : "; ") + step.what + " " + fmt_ms(*ms);
            if (step.kernel_side) continue;
            report += " (" + fmt_ms(after_ack) + " after the ack)";
            from_request.push_back(*ms);
            from_ack.push_back(after_ack);
        }
        auto summary = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return "min " + fmt_ms(v.front()) + ", median " + fmt_ms(v[v.size() / 2]) + ", max " + fmt_ms(v.back());
        };
        p.info("change -> process() sees it: " + report);
        p.info("latency over " + std::to_string(from_request.size()) + " changes, from the request: " +
               summary(from_request) + "; from the kernel's ack: " + summary(from_ack) +
               " (target 20 ms, limit 1 s)");
        NS_EXPECT(p, m.overruns() == 0, "no overrun expected");
        NS_EXPECT(p, m.stats().malformed == 0, "the kernel's messages all parse");
    });
}

// The daemon's situation: blocked in poll() while another thread changes the network. Timed from
// just before the request to process() having it, so the wake-up is included.
TEST(LinkMonitorNetns, LatencyWithTheLoopAsleep) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        auto opened = LinkMonitor::open();
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        constexpr int kRounds = 20;
        std::mutex mu;
        std::condition_variable cv;
        int go = -1;  // the change the writer may make next: 2*i (a link), 2*i+1 (its address)
        std::atomic<int64_t> started_ns{0};
        std::string writer_error;
        auto link = [](int i) { return "hepd-l" + std::to_string(i); };
        auto peer = [](int i) { return "hepd-p" + std::to_string(i); };
        auto cidr = [](int i) { return "198.18.5." + std::to_string(i + 1) + "/24"; };
        std::thread writer([&] {
            Rtnl rt;
            for (int step = 0; step < 2 * kRounds; ++step) {
                {
                    std::unique_lock<std::mutex> lock(mu);
                    cv.wait(lock, [&] { return go == step || go == -2; });
                    if (go == -2) return;
                }
                ::usleep(2000);  // the loop is in poll() by now
                started_ns = Clock::now().time_since_epoch().count();
                int i = step / 2;
                std::string err = step % 2 == 0 ? rt.veth(link(i).c_str(), peer(i).c_str())
                                                : rt.addr(link(i).c_str(), cidr(i), true);
                if (!err.empty()) {
                    std::lock_guard<std::mutex> lock(mu);
                    writer_error = err;
                    return;
                }
            }
        });
        std::vector<double> links, addrs;
        for (int step = 0; step < 2 * kRounds && !p.failed(); ++step) {
            started_ns = 0;
            {
                std::lock_guard<std::mutex> lock(mu);
                go = step;
            }
            cv.notify_all();
            const int i = step / 2;
            const auto deadline = Clock::now() + std::chrono::seconds(1);
            bool seen = false;
            while (!seen && Clock::now() < deadline) {
                struct pollfd pfd {m.fd(), POLLIN, 0};
                ::poll(&pfd, 1, 1000);
                auto r = m.process();
                if (!r) {
                    p.fail(__FILE__, __LINE__, r.error().message());
                    break;
                }
                const auto snap = m.snapshot();
                const LinkState* l = find(snap, link(i));
                seen = step % 2 == 0 ? l != nullptr : has(l, cidr(i).substr(0, cidr(i).find('/')).c_str());
            }
            const double ms =
                std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch() -
                                                          Clock::duration(started_ns.load()))
                    .count();
            NS_EXPECT(p, seen, "step " + std::to_string(step) + " not seen within 1 s");
            (step % 2 == 0 ? links : addrs).push_back(ms);
        }
        {
            std::lock_guard<std::mutex> lock(mu);
            go = -2;
        }
        cv.notify_all();
        writer.join();
        NS_EXPECT(p, writer_error.empty(), writer_error);
        if (p.failed()) return;
        auto summary = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return "min " + fmt_ms(v.front()) + ", median " + fmt_ms(v[v.size() / 2]) + ", max " + fmt_ms(v.back());
        };
        p.info("loop asleep in poll(), another thread changes: link appears -> seen: " + summary(links) +
               "; address added -> seen: " + summary(addrs) + " (" + std::to_string(kRounds) + " each)");
        for (int i = 0; i < kRounds; ++i) NS_EXPECT(p, Rtnl().remove(link(i).c_str()).empty(), link(i));
    });
}

// A bridge port leaving its bridge: the kernel sends RTM_DELLINK AF_BRIDGE, and the link stays.
TEST(LinkMonitorNetns, BridgePortLeavingIsNoDeletion) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        auto opened = LinkMonitor::open();
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        NS_REQUIRE(p, std::system("ip link add hepd-br type bridge && ip link add hepd-d type veth peer name hepd-e"
                                  " && ip link set hepd-d up && ip link set hepd-e up"
                                  " && ip link set hepd-d master hepd-br") == 0,
                   "bridge setup");
        NS_REQUIRE(p, settle(p, m), "settle");
        const auto before = m.snapshot();
        NS_EXPECT(p, find(before, "hepd-d") != nullptr, "the port is there: " + describe(before));
        NS_REQUIRE(p, std::system("ip link set hepd-d nomaster") == 0, "nomaster");
        NS_REQUIRE(p, settle(p, m), "settle");
        const auto snap = m.snapshot();
        const LinkState* d = find(snap, "hepd-d");
        NS_EXPECT(p, d != nullptr && d->up, "the former port is still there and up: " + describe(snap));
        expect_matches_kernel(p, m, "after nomaster");
        NS_EXPECT(p, std::system("ip link del hepd-br && ip link del hepd-d") == 0, "cleanup");
    });
}

// 200 address events queued before one process(): the 1 MiB buffer absorbs them.
TEST(LinkMonitorNetns, BurstOf200AddressEvents) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        Rtnl rt;
        NS_REQUIRE(p, rt.ok(), "libnl socket for changes");
        auto opened = LinkMonitor::open();
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        NS_REQUIRE(p, rt.veth("hepd-a", "hepd-b").empty(), "veth");
        NS_REQUIRE(p, settle(p, m), "settle");
        // 120 additions (60 IPv4, 60 IPv6), then 80 removals: 200 events, 40 addresses remain.
        auto cidr = [](int i) {
            return i % 2 == 0 ? "198.18.1." + std::to_string(i / 2 + 1) + "/32"
                              : "2001:db8:1::" + std::to_string(i / 2 + 1) + "/128";
        };
        for (int i = 0; i < 120; ++i) NS_REQUIRE(p, rt.addr("hepd-a", cidr(i), true).empty(), cidr(i));
        for (int i = 0; i < 80; ++i) NS_REQUIRE(p, rt.addr("hepd-a", cidr(i), false).empty(), cidr(i));
        const auto t0 = Clock::now();
        auto r = m.process();
        const double ms = ms_since(t0);
        NS_REQUIRE(p, r.ok(), r.error().message());
        NS_EXPECT(p, *r, "the burst is a change");
        NS_REQUIRE(p, settle(p, m), "settle");
        const auto snap = m.snapshot();
        const LinkState* a = find(snap, "hepd-a");
        NS_REQUIRE(p, a != nullptr, "hepd-a");
        NS_EXPECT(p, a->addrs.size() == 40, "40 addresses left, got " + std::to_string(a->addrs.size()));
        expect_matches_kernel(p, m, "after the burst");
        NS_EXPECT(p, m.overruns() == 0, "1 MiB absorbs 200 events; rcvbuf " + std::to_string(m.stats().rcvbuf));
        p.info("burst of 200 address events: one process() took " + fmt_ms(ms) + " for " +
               std::to_string(m.stats().datagrams) + " datagrams; overruns " + std::to_string(m.overruns()) +
               "; SO_RCVBUF " + std::to_string(m.stats().rcvbuf) + " bytes");
        NS_EXPECT(p, rt.remove("hepd-a").empty(), "cleanup");
    });
}

// A tiny receive buffer overflows; process() resynchronises and ends with the kernel's state.
TEST(LinkMonitorNetns, OverrunResyncs) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        Rtnl rt;
        NS_REQUIRE(p, rt.ok(), "libnl socket for changes");
        LinkMonitorOptions options;
        options.rcvbuf_bytes = 4096;
        auto opened = LinkMonitor::open(options);
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        NS_REQUIRE(p, rt.veth("hepd-a", "hepd-b").empty(), "veth");
        NS_REQUIRE(p, rt.set_up("hepd-a", true).empty(), "up");
        // Addresses come and go while nothing reads: the deletions of the first ones are lost
        // with the overrun, so a table that replayed what was queued would still have them.
        for (int i = 1; i <= 100; ++i) {
            std::string v4 = "198.18.2." + std::to_string(i) + "/32";
            NS_REQUIRE(p, rt.addr("hepd-a", v4, true).empty(), v4);
        }
        for (int i = 1; i <= 90; ++i) {
            std::string v4 = "198.18.2." + std::to_string(i) + "/32";
            NS_REQUIRE(p, rt.addr("hepd-a", v4, false).empty(), v4);
        }
        NS_REQUIRE(p, rt.addr("hepd-b", "2001:db8:2::1/64", true).empty(), "v6");
        const auto t0 = Clock::now();
        auto r = m.process();
        const double ms = ms_since(t0);
        NS_REQUIRE(p, r.ok(), r.error().message());
        NS_EXPECT(p, *r, "an overrun is reported as a change");
        NS_EXPECT(p, m.overruns() >= 1, "rcvbuf " + std::to_string(m.stats().rcvbuf) + " should have overflowed");
        NS_EXPECT(p, m.stats().resyncs >= 2, "the overrun resynchronised");
        NS_REQUIRE(p, settle(p, m), "settle");
        const auto snap = m.snapshot();
        const LinkState* a = find(snap, "hepd-a");
        NS_REQUIRE(p, a != nullptr, "hepd-a");
        NS_EXPECT(p, has(a, "198.18.2.91") && has(a, "198.18.2.100") && !has(a, "198.18.2.1") &&
                         !has(a, "198.18.2.90"),
                  describe(snap));
        expect_matches_kernel(p, m, "after the overrun");
        // And it keeps following.
        const auto t1 = Clock::now();
        NS_REQUIRE(p, rt.addr("hepd-b", "198.18.3.1/24", true).empty(), "after");
        auto after = wait_for(p, m, t1, "an address after the overrun",
                              [](const auto& s) { return has(find(s, "hepd-b"), "198.18.3.1"); });
        expect_matches_kernel(p, m, "after the overrun, one more change");
        p.info("overrun: SO_RCVBUF " + std::to_string(m.stats().rcvbuf) + " bytes, " +
               std::to_string(m.overruns()) + " overrun(s), " + std::to_string(m.stats().resyncs) +
               " resyncs; process() with the resync took " + fmt_ms(ms) +
               (after ? "; the next change seen after " + fmt_ms(*after) : std::string()));
        NS_EXPECT(p, rt.remove("hepd-a").empty(), "cleanup");
    });
}

// Memory stays flat: RSS after 2000 events is RSS after 100, give or take a few KiB.
TEST(LinkMonitorNetns, FlatMemoryUnderChurn) {
    SKIP_UNLESS_ROOT();
    run_in_fresh_netns([](Probe& p) {
        Rtnl rt;
        NS_REQUIRE(p, rt.ok(), "libnl socket for changes");
        auto opened = LinkMonitor::open();
        NS_REQUIRE(p, opened.ok(), opened.error().message());
        LinkMonitor& m = **opened;
        NS_REQUIRE(p, rt.veth("hepd-a", "hepd-b").empty(), "veth");
        NS_REQUIRE(p, rt.set_up("hepd-b", true).empty(), "peer up");
        NS_REQUIRE(p, settle(p, m), "settle");
        // One event per step, cycling through every kind: addresses of both families in and out,
        // up and down, renames there and back. process() after each, as the daemon would.
        const char* names[2] = {"hepd-a", "hepd-x"};
        int renamed = 0;
        auto event = [&](int i) -> std::string {
            const char* name = names[renamed];
            switch (i % 8) {
            case 0: return rt.addr(name, "198.18.4.1/24", true);
            case 1: return rt.addr(name, "2001:db8:4::1/64", true);
            case 2: return rt.addr(name, "198.18.4.1/24", false);
            case 3: return rt.addr(name, "2001:db8:4::1/64", false);
            case 4: return rt.set_up(name, true);
            case 5: return rt.set_up(name, false);
            case 6: renamed = 1 - renamed; return rt.rename(name, names[renamed]);
            default: return rt.addr(name, "198.18.4.2/24", i % 16 == 7);
            }
        };
        auto run = [&](int from, int to) {
            for (int i = from; i < to; ++i) {
                std::string err = event(i);
                if (!err.empty()) {
                    p.fail(__FILE__, __LINE__, "event " + std::to_string(i) + ": " + err);
                    return false;
                }
                auto r = m.process();
                if (!r) {
                    p.fail(__FILE__, __LINE__, r.error().message());
                    return false;
                }
            }
            return settle(p, m);
        };
        if (!run(0, 100)) return;
        const long rss_100 = status_kib("VmRSS"), anon_100 = status_kib("RssAnon");
        if (!run(100, 2000)) return;
        const long rss_2000 = status_kib("VmRSS"), anon_2000 = status_kib("RssAnon");
        const auto stats = m.stats();
        expect_matches_kernel(p, m, "after the churn");
        p.info("memory after 100 / 2000 events: VmRSS " + std::to_string(rss_100) + " / " + std::to_string(rss_2000) +
               " KiB (" + std::to_string(rss_2000 - rss_100) + "), RssAnon " + std::to_string(anon_100) + " / " +
               std::to_string(anon_2000) + " KiB (" + std::to_string(anon_2000 - anon_100) + "); " +
               std::to_string(stats.messages) + " messages, " + std::to_string(stats.changes) + " changes, " +
               std::to_string(stats.address_refreshes) + " address refreshes" +
               (HEPD_ASAN ? "; ASan: not asserted" : ""));
        // The assertion is on anonymous memory (heap, stack): what churn could make grow. VmRSS also
        // counts file-backed pages of library code the first time it runs, which the page cache's
        // fault-around maps in 64 KiB steps. ASan keeps freed memory in quarantine, so there the
        // figures are printed only.
        if (!HEPD_ASAN) {
            NS_EXPECT(p, anon_2000 - anon_100 <= 8, "RssAnon grew by " + std::to_string(anon_2000 - anon_100) + " KiB");
            NS_EXPECT(p, rss_2000 - rss_100 <= 256, "VmRSS grew by " + std::to_string(rss_2000 - rss_100) + " KiB");
        }
        NS_EXPECT(p, m.overruns() == 0, "no overrun expected");
        NS_EXPECT(p, rt.remove(names[renamed]).empty(), "cleanup");
    });
}

}  // namespace
}  // namespace hepd
