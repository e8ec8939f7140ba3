// SPDX-License-Identifier: GPL-2.0-or-later
// IP sets: the pure part (member text, `ipset save` / `ipset list -t` text, the diff) and the
// libipset backend that brings the kernel's hepd-owned sets to a desired state.
//
//   desired nf::IpSet (compile)                    kernel (libipset session, one netlink socket)
//        |                                               |
//        | canonical_set()                               | verify(): one header-only LIST dump
//        v                                               v   (type, family, options, references,
//   canonical members ----- diff_members() ----- cached members      entries, initval)
//        (sorted text)            |               (kept valid by our own writes; a set the cache
//                                 |                does not know is read by a SAVE of that set)
//                                 v
//                     SetChange: create / recreate / add+del batches -> kernel
//
// Member text is canonical: exactly what `ipset save` prints. hash:net: "198.18.0.0/15", a host
// as "198.18.1.1" (no /32), host bits cleared ("198.18.1.5/24" is "198.18.1.0/24"), /0 refused
// (the kernel refuses it; compile splits it into two /1 halves). hash:ip,port:
// "198.18.1.1,tcp:8055", protocols tcp, udp, sctp and udplite, port 0-65535. IPv6 per RFC 5952.
// Lists of members are sorted by plain string order (std::string's <), as compile sorts them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/net.hpp"
#include "hepd/result.hpp"
#include "hepd/ruleset.hpp"

namespace hepd {

namespace ipset {

// `ipset create` without maxelem, as hepd creates its sets (and as `hepd print` renders them).
inline constexpr size_t default_maxelem = 65536;

enum class SetType : uint8_t { hash_net, hash_ip_port };
std::optional<SetType> parse_set_type(std::string_view name);  // "hash:net", "hash:ip,port"
std::string_view set_type_name(SetType t);

// One member of a set hepd manages, as values.
struct Member {
    Cidr net;            // hash:net: the network, host bits clear; hash:ip,port: the host (/32, /128)
    uint8_t proto = 0;   // hash:ip,port only: 6 tcp, 17 udp, 132 sctp, 136 udplite
    uint16_t port = 0;   // hash:ip,port only

    // Canonical text, as `ipset save` prints it.
    std::string to_string() const;
    // The text handed to ipset_parse_elem: digits, dots, colons, hex digits, '/' and ',' only,
    // the protocol as a number ("198.18.1.1,6:8055"), so that libipset's parser never reaches
    // the resolver (getaddrinfo), /etc/protocols or /etc/services.
    std::string elem_text() const;
    auto operator<=>(const Member&) const = default;
};

// Parses one member for a set of this type and family. Numeric only: a name that is not an
// address ("localhost", "router.lan") is refused here, long before libipset could resolve it.
// Accepts what `ipset add` accepts for these types and hepd can use: a hash:net network with or
// without host bits (cleared) or a bare host; for hash:ip,port a host, optionally "/32" or
// "/128", then ",PROTO:PORT" (PROTO one of tcp, udp, sctp, udplite or its number) or ",PORT"
// (tcp, as `ipset add` reads it). On failure returns nullopt and says why in *why.
std::optional<Member> parse_member(SetType type, uint8_t family, std::string_view text,
                                   std::string* why = nullptr);

// parse_member + to_string.
std::optional<std::string> canonical_member(SetType type, uint8_t family, std::string_view text,
                                            std::string* why = nullptr);

// Checks a set's name (hepd-owned, at most 31 printable non-space characters), type, family and
// member count (at most default_maxelem, after deduplication).
std::optional<std::string> check_set_header(const nf::IpSet& s);

// The set with every member canonical, sorted and deduplicated; nullopt and *why naming the set
// and the member when something is invalid.
std::optional<nf::IpSet> canonical_set(const nf::IpSet& s, std::string* why = nullptr);

// ---- kernel text ---------------------------------------------------------------------------

// A set as the kernel holds it, from `ipset save` text or from the header-only listing.
struct KernelSet {
    nf::IpSet set;  // type as the kernel names it; family 0 when not given; members canonical
                    // (and sorted) where hepd understands them, else as printed (see odd_members)
    // Create options other than family, hashsize, maxelem, bucketsize and initval, as printed
    // ("timeout 10 counters comment"): hepd creates its sets without any, so a set that has
    // some is not one hepd can keep.
    std::string options;
    std::optional<uint32_t> initval;     // the hash seed, random for each creation: tells a set
                                         // destroyed and created again apart from the old one
    std::optional<uint32_t> references;  // header listing only: rules (and list:set) using it
    std::optional<size_t> entries;       // header listing: "Number of entries"; save: add lines
    std::vector<std::string> odd_members;  // save text hepd cannot take as a member, as printed

    // True when hepd can manage the set in place: a type hepd uses, a family, no extra create
    // options, every member understood.
    bool conforms() const;
};

// `ipset save` text (all sets or one). Only hepd-owned sets (names::is_owned_set) are kept,
// sorted by name, members sorted; foreign sets are skipped whatever they hold. nullopt and *why
// for a line that is neither `create` nor `add`, or an `add` before its set's `create`.
std::optional<std::vector<KernelSet>> parse_save(std::string_view text, std::string* why = nullptr);

// `ipset list -t` text (plain mode, headers only): Name/Type/Header/References/Number of entries
// per set. Only hepd-owned sets are kept, sorted by name; members are left empty.
std::optional<std::vector<KernelSet>> parse_list_headers(std::string_view text, std::string* why = nullptr);

// ---- diff ----------------------------------------------------------------------------------

// What it takes to bring one kernel set to its desired state.
struct SetChange {
    enum Kind : uint8_t {
        create,    // the kernel has no such set: create it, then add every member
        recreate,  // the kernel's set has another type, family or options, or members hepd cannot
                   // read: destroy it (only if no rule references it), create, add every member
        update,    // add `add`, then delete `del`: never a moment without a member that stays
    };
    Kind kind = update;
    std::string name;
    SetType type = SetType::hash_net;
    uint8_t family = 4;
    std::vector<std::string> add;  // canonical member text, sorted
    std::vector<std::string> del;
    bool operator==(const SetChange&) const = default;
};

// Sorted `want` and `have` -> the members to add (in want only) and to delete (in have only).
void diff_members(const std::vector<std::string>& want, const std::vector<std::string>& have,
                  std::vector<std::string>& add, std::vector<std::string>& del);

// The change for one desired set. `want` must be canonical (canonical_set); `have` is null when
// the kernel has no set of that name. nullopt when nothing needs doing.
std::optional<SetChange> diff_set(const nf::IpSet& want, const KernelSet* have);

}  // namespace ipset

// ---- the backend -------------------------------------------------------------------------------

struct SetSyncStats {
    size_t created = 0, destroyed = 0, added = 0, removed = 0;
    bool operator==(const SetSyncStats&) const = default;
};

// Kernel requests made through the session since open(), for tests and `hepd status`.
struct IpsetCounters {
    uint64_t probes = 0;     // header-only listings (of every set: verify, destroy_*, read; or one)
    uint64_t set_reads = 0;  // SAVE dumps of one set (a set sync does not know; each set for read())
    uint64_t writes = 0;     // create, destroy and add/del batches (one netlink message or more)
    bool operator==(const IpsetCounters&) const = default;
};

// The kernel's IP sets through libipset's session API (one netlink socket). Not thread-safe; one
// per process at a time (libipset's set cache is process-wide and every session's end clears it),
// open() refuses a second.
class IpsetBackend {
public:
    // Loads libipset's types, opens a session and checks the kernel's protocol and its support
    // for hash:net and hash:ip,port. Fails with a message saying what is missing (no nfnetlink,
    // no ip_set, no CAP_NET_ADMIN) when the kernel cannot be used.
    static Result<std::unique_ptr<IpsetBackend>> open();
    ~IpsetBackend();
    IpsetBackend(const IpsetBackend&) = delete;
    IpsetBackend& operator=(const IpsetBackend&) = delete;

    // hepd-owned sets in the kernel (is_owned_set names) with type, family and members in the
    // canonical text, members sorted; sets sorted by name. Also refreshes the member cache.
    Result<std::vector<nf::IpSet>> read();

    // Brings the kernel to `desired` for the sets named there: creates missing sets, adds and
    // then deletes members of existing ones (no flush, no swap: a member change never leaves a
    // window with an empty set), recreates a set whose type/family/options differ only if it is
    // unreferenced (else an EBUSY error naming it, before anything is changed). Sets not in
    // `desired` are left alone. Every input error (name, type, member text) is an EINVAL error
    // before any change.
    // The kernel's members come from the cache (kept valid by this backend's own writes and
    // reads); a set the cache does not know is read first (one SAVE of that set). So a no-op sync
    // over known sets makes no kernel request at all. A write that fails (the cache was stale:
    // the set was destroyed or changed behind hepd's back) drops the set from the cache, reads it
    // back and is planned and applied once more.
    Result<SetSyncStats> sync(const std::vector<nf::IpSet>& desired);

    // The cheap check for changes made behind hepd's back: one header-only listing of every set
    // (type, family, options, entry count, initval; no members). Drops from the cache every set
    // that is gone or disagrees, so that the next sync reads and repairs it; returns how many.
    // Catches a set destroyed, recreated (new initval), flushed or grown/shrunk; not a member
    // swapped for another (same count): invalidate() and sync for that.
    Result<size_t> verify();

    // Destroys hepd-owned sets not named in `keep` (call after the rules stopped referencing
    // them). Sets still referenced are left in place and named in an EBUSY error, after every
    // other stale set was destroyed.
    Result<SetSyncStats> destroy_stale(const std::vector<nf::IpSet>& keep);

    // Destroys every hepd-owned set (teardown); referenced sets are named in an EBUSY error, as
    // for destroy_stale.
    Result<SetSyncStats> destroy_all();

    // Forgets the cache: the next sync reads every desired set's members from the kernel.
    void invalidate();

    const IpsetCounters& counters() const;

    struct Impl;

private:
    explicit IpsetBackend(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The message open() gives for a failed first contact with the kernel, from libipset's report and
// the errno seen (pure, so the wording for a kernel without ip_set can be tested anywhere).
SysError ipset_open_error(std::string_view report, int err);

}  // namespace hepd
