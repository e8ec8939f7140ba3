#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 63-drift: the daemon's one-second drift probe repairs hepd's IP sets edited behind its back,
# without waiting for the full check: IptablesRefreshInterval is 300 s here, so only the probe
# (the sets' header listing: entry counts, hash seeds) can have put them right within the 10 s
# each check allows. A flushed set, a deleted member and a foreign member added to a hepd set,
# each with the kernel's set and, for the first two, packets; the repairs are counted in
# `hepd status` and logged; no table is written for a set repair.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+
#   | lan |----------------------------| dut | (hepd run)
#   +-----+                            +-----+
# Packet walks: lan (198.18.1.2) -> dut:eth0 enters filter INPUT -> hepd-INPUT ->
# hepd-from-host-endpoint -> hepd-fh-eth0 -> policy `trusted`: TCP 8058 is allowed only from a
# member of the network set `trusted` (the hepd set that holds 198.18.1.2 and 198.18.1.3), every
# other packet meets the end-of-tier drop. With 198.18.1.2 out of the set, 8058 is blocked.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF2'
link dut:eth0 lan:eth0 1
EOF2
listen_tcp dut 8057 8058
mkdir -p "$T/run" && chmod 700 "$T/run"
conf <<'EOF2'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
IptablesRefreshInterval = 300
EOF2
resource 10-heps <<'EOF2'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: trusted, labels: {trusted: "yes"}}
spec: {nets: [198.18.1.2/32, 198.18.1.3/32]}
EOF2
resource 20-policy <<'EOF2'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: trusted}
spec:
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, source: {selector: "trusted == 'yes'"}, destination: {ports: [8058]}}
EOF2

wait_for() {  # wait_for SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}
members() { nsx dut ipset list "$SET" | grep -E '^198\.18\.' | sort | tr '\n' ' '; }
has_members() { [ "$(members)" = "$1" ]; }
tables() { for s in iptables-legacy-save ip6tables-legacy-save; do nsx dut $s | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; done; }
# repaired_within WHAT: the set is back to its two members within 10 s (the refresh is 300 s away).
repaired_within() {
    local t0=$SECONDS
    if wait_for 10 has_members "198.18.1.2 198.18.1.3 "; then
        _pass "$_phase: $1: the set holds exactly its two members again ($((SECONDS - t0)) s; the full check is 300 s away)"
    else
        _fail "$_phase: $1: the set holds exactly its two members again within 10 s (has: $(members))"
    fi
}

# ---------------------------------------------------------------------------------------------
phase "A start"
load_rules dut
v4 expect_pass "8058 from 198.18.1.2, a member of the trusted set" tcp_ok lan dut:eth0 8058
v4 expect_block "8057 has no rule: end of tier" tcp_ok lan dut:eth0 8057
settle
SET=$(nsx dut ipset list -n | grep '^hepd4' | while read -r s; do
    nsx dut ipset test "$s" 198.18.1.2 >/dev/null 2>&1 && echo "$s"; done | head -1)
[ -n "$SET" ] && _pass "$_phase: the trusted set is $SET" || bail "no hepd set holds 198.18.1.2"
has_members "198.18.1.2 198.18.1.3 " && _pass "$_phase: $SET holds 198.18.1.2 and 198.18.1.3" ||
    _fail "$_phase: $SET holds 198.18.1.2 and 198.18.1.3 (has: $(members))"
tables >"$T/tables.before"

# ---------------------------------------------------------------------------------------------
phase "B a flushed hepd set"
nsx dut ipset flush "$SET"
repaired_within "ipset flush"
v4 expect_pass "after the repair: 8058 from the trusted member passes" tcp_ok lan dut:eth0 8058

# ---------------------------------------------------------------------------------------------
phase "C a member deleted"
nsx dut ipset del "$SET" 198.18.1.2
repaired_within "ipset del 198.18.1.2"
v4 expect_pass "after the repair: 8058 from 198.18.1.2 passes" tcp_ok lan dut:eth0 8058

# ---------------------------------------------------------------------------------------------
phase "D a foreign member added"
nsx dut ipset add "$SET" 198.18.1.77
repaired_within "ipset add 198.18.1.77"
v4 expect_block "8057 still has no rule" tcp_ok lan dut:eth0 8057

# ---------------------------------------------------------------------------------------------
phase "E what the repairs left"
settle
tables >"$T/tables.after"
if cmp -s "$T/tables.before" "$T/tables.after"; then
    _pass "$_phase: no table changed for the set repairs (rules and order as before)"
else
    _fail "$_phase: no table changed for the set repairs: $(diff "$T/tables.before" "$T/tables.after" | head -5 | tr '\n' ' ')"
fi
n=$(grep -c 'repaired hepd rules changed by someone else: ipsets' "$T/hepd.log")
[ "$n" -ge 3 ] && _pass "$_phase: the log names each set repair ($n)" || _fail "$_phase: the log names each set repair (found $n)"
nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1
grep -q 'repaired' "$T/status.out" && _pass "$_phase: hepd status counts the repairs" ||
    _fail "$_phase: hepd status counts the repairs: $(head -c 300 "$T/status.out")"
_kernel_equals_print dut

finish
