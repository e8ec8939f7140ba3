// SPDX-License-Identifier: GPL-2.0-or-later
// The libiptc backend: brings the kernel's legacy xtables to a compiled FamilyRuleset.
//
// Goals, and how this module meets them:
//  1. Touch only what hepd owns: chains named hepd-*, and in built-in chains only rules that jump
//     to a hepd chain. Built-in policies are never read for writing, never changed.
//  2. Atomic per table: one libiptc commit per table and family, only for tables that differ; a
//     no-op apply makes no commit (and no write syscall).
//  3. Counters survive: a changed chain keeps its common first and last rules in place, so only
//     the rules that really changed are replaced; unchanged chains are not touched at all.
//  4. Never race another writer: every read-modify-commit runs under the xtables lock (flock on
//     /run/xtables.lock, polled with a bounded wait, as iptables does), and a commit that fails
//     with EAGAIN (the table changed under us) is re-read, re-planned and retried.
//  5. Errors are values: the failing call, the table, the family and errno.
// Rules are built from the kernel's own structures at the revisions iptables 1.8.9 uses
// (LIBIPTC.md section 5), without libxtables, which keeps the static binary small.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/result.hpp"
#include "hepd/ruleset.hpp"

namespace hepd {

// The lock file to use: `configured` when hepd.conf/UCI set xtables_lock, else $XTABLES_LOCKFILE when
// set (iptables honours it the same way), else `configured` (the default, /run/xtables.lock).
std::string xtables_lock_path(const std::string& configured, bool set_in_config);

// The advisory lock iptables takes around its read-modify-commit cycles.
class XtablesLock {
public:
    explicit XtablesLock(std::string path) : path_(std::move(path)) {}
    ~XtablesLock();
    XtablesLock(const XtablesLock&) = delete;
    XtablesLock& operator=(const XtablesLock&) = delete;

    // Takes the lock, trying every 20 ms for up to wait_ms; ETIMEDOUT when another holder keeps it.
    Result<void> acquire(unsigned wait_ms);
    void release();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    bool held_ = false;
};

// The kernel's summary of a table (IPT_SO_GET_INFO): a change in either number means somebody
// wrote the table. Costs about a microsecond, so it is the cheap drift probe.
struct TableInfo {
    uint32_t entries = 0;
    uint32_t size = 0;
    bool operator==(const TableInfo&) const = default;
};

struct TableChange {
    nf::Table table = nf::Table::filter;
    uint8_t family = 4;
    size_t chains_created = 0;
    size_t chains_deleted = 0;
    size_t rules_added = 0;
    size_t rules_deleted = 0;
    size_t hooks_fixed = 0;
};

struct IptcReport {
    std::vector<TableChange> committed;  // one per table that was written
    // Every table of the family as this apply left it, in the order of desired.tables: its
    // IPT_SO_GET_INFO taken under the xtables lock, right after hepd's own commit, or (no commit)
    // just before the read that found the table as wanted. The drift probe's reference: a write
    // by anyone else after that moment differs from it (TableInfo{} when GET_INFO failed, which
    // differs from every real table, so the next probe looks).
    std::vector<TableInfo> info;
    bool changed() const { return !committed.empty(); }
};

// Brings one family's tables to `desired`. Tables of the family that hepd does not program (none
// today) are left alone. The sets that rules reference must exist already (IpsetBackend::sync).
Result<IptcReport> iptc_apply(const nf::FamilyRuleset& desired, XtablesLock& lock, unsigned lock_wait_ms);

// The tables of the family where the kernel differs from `desired` (a read-only comparison, no
// lock needed: reads are consistent snapshots).
Result<std::vector<nf::Table>> iptc_diff(const nf::FamilyRuleset& desired);

// Removes every hepd chain and every jump to one, in raw, mangle and filter of the family.
Result<IptcReport> iptc_teardown(uint8_t family, XtablesLock& lock, unsigned lock_wait_ms);

// One table's TableInfo (see above), read now.
Result<TableInfo> iptc_table_info(uint8_t family, nf::Table table);

// hepd chains in one table, and the interfaces of the `-i IF -g ...` rules of its dispatch chain
// (for `hepd status` when no daemon answers).
struct OwnedView {
    std::vector<std::string> chains;
    std::vector<std::string> ingress_ifaces;
    bool hooked = false;  // a built-in chain jumps to hepd
};
Result<OwnedView> iptc_owned(uint8_t family, nf::Table table);

// ---- prepared rules: the watchdog supervisor's default rules ----------------------------------
//
// A ruleset encoded into kernel entries ahead of time, so that applying it needs no compiling,
// no encoding, no set lookup and no file read: at that moment only libiptc's own copy of each
// table (and the comparison with it) is allocated. The worker packs the default rules after every
// good apply (iptc_pack) and writes them to STATE_DIR/default-rules; the supervisor loads them
// when told (IptcBlob::load, which checks every entry's offsets and every name, so that even a
// damaged file cannot make it touch anything but hepd's chains and jumps) and applies them when
// the worker fails. The rules must name no ipset (default rules never do).
//
// Blob: "HEPDIPTC", u32 version 1, u32 payload size, payload, SHA-256 of the payload. Payload:
// u32 tables; per table u8 family, u8 table, u16 hooks, u32 chains; per hook u8 append, str
// builtin, str chain; per chain str name, u32 rules; per rule u8 standard, u8 goto, str target,
// u32 size, the kernel entry's bytes. str = u16 size + bytes. Integers in host order: the blob
// never leaves the box that wrote it.
Result<std::string> iptc_pack(const nf::Ruleset& rs);

class IptcBlob {
public:
    IptcBlob();
    static Result<IptcBlob> load(std::string_view bytes);
    // Brings the kernel to the blob's tables (one commit per table that differs), as iptc_apply.
    Result<IptcReport> apply(XtablesLock& lock, unsigned lock_wait_ms) const;
    bool empty() const;
    size_t tables() const;
    size_t rules() const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

// Packet and byte counters of every rule of one hepd chain (empty when the chain is absent).
struct RuleCounter {
    uint64_t packets = 0;
    uint64_t bytes = 0;
};
Result<std::vector<RuleCounter>> iptc_chain_counters(uint8_t family, nf::Table table, const std::string& chain);
// The counters of every hepd chain of one table, from one snapshot of it (one table read, where
// iptc_chain_counters reads the whole table for each chain): for `hepd status`, which shows
// every endpoint's and every policy's chains.
using ChainCounters = std::map<std::string, std::vector<RuleCounter>, std::less<>>;
Result<ChainCounters> iptc_table_counters(uint8_t family, nf::Table table);

}  // namespace hepd
