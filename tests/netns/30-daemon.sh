#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 30-daemon: what only a running daemon does. Interfaces and addresses that change after start,
# file edits picked up by inotify, `hepd reload` of a UCI edit, a rejected bad edit (old rules
# stay), tamper repair (flushed chain, deleted jump, foreign rule above the jump, flushed set),
# foreign rules left alone by apply and teardown, and SIGTERM leaving the rules in place.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+ eth1 .1   link 2   .2 eth0 +-----+
#   | lan |----------------------------| dut |----------------------------| far |
#   +-----+                            +-----+ eth3 .1   link 3   .2 eth0 +-----+
#                                        (hepd run)   (created later)     | new |
#                                                                         +-----+
# Packet walks: a probe to the DUT from lan enters via eth0: filter INPUT -> hepd-INPUT ->
# hepd-from-host-endpoint -> hepd-fh-eth0 (policy, end-of-tier drop); far -> eth1 is untouched
# until an expectedIP of a HEP lands on eth1; new -> eth3 is protected once eth3 exists.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
EOF
listen_tcp dut 8055 8056 8057 8058 8059
mkdir -p "$T/run" && chmod 700 "$T/run"
cat >"$T/hepd.uci" <<'EOF'
config hepd 'main'
	option enabled '1'
EOF
conf <<EOF
uci_config = $T/hepd.uci
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
IptablesRefreshInterval = 2
EOF
resource 10-heps <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0, expectedIPs: [198.18.1.1]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth3, labels: {role: edge}}
spec: {node: dut, interfaceName: eth3}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-by-ip, labels: {role: edge}}
spec: {node: dut, expectedIPs: [198.18.2.50]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: trusted, labels: {trusted: "yes"}}
spec: {nets: [198.18.1.2/32, 198.18.3.2/32]}
EOF
resource 20-policy <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: edge}
spec:
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [8055]}}
  - {action: Allow, protocol: TCP, source: {selector: "trusted == 'yes'"}, destination: {ports: [8058]}}
  egress:
  - {action: Allow}
EOF

status_rc() { nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1; echo $?; }
saved() { nsx dut iptables-legacy-save -t filter; }
wait_for() {  # wait_for SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}

# ---------------------------------------------------------------------------------------------
phase "A start"
nsx dut iptables-legacy -A INPUT -s 198.18.99.0/24 -j ACCEPT  # a foreign rule, present before hepd
load_rules dut
v4 expect_pass "policy edge allows 8055" tcp_ok lan dut:eth0 8055
v4 expect_block "no rule for 8056: end of tier" tcp_ok lan dut:eth0 8056
v4 expect_pass "8058 from a member of the trusted network set" tcp_ok lan dut:eth0 8058
v4 expect_pass "eth1 has no endpoint yet" tcp_ok far dut:eth1 8056
settle
rc=$(status_rc); [ "$rc" = 0 ] && _pass "$_phase: hepd status exits 0 (enforcing)" || _fail "$_phase: hepd status exit $rc: $(head -c 300 "$T/status.out")"
grep -q 'dut-eth0' "$T/status.out" && _pass "$_phase: status lists the endpoint" || _fail "$_phase: status lists the endpoint"

# ---------------------------------------------------------------------------------------------
phase "B an interface created after start"
topo_up <<'EOF'
link dut:eth3 new:eth0 3
EOF
listen_tcp new 8056
if wait_for 2 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '-i eth3 -g hepd-fh-eth3'"; then
    _pass "$_phase: eth3 is dispatched to its endpoint chain without a reload"
else _fail "$_phase: eth3 is dispatched to its endpoint chain without a reload"; fi
v4 expect_block "eth3 is protected as soon as it exists" tcp_ok new dut:eth3 8056
v4 expect_pass "policy edge allows 8055 on eth3" tcp_ok new dut:eth3 8055

# ---------------------------------------------------------------------------------------------
phase "C an expectedIP added to eth1"
addr_add dut:eth1 198.18.2.50/32
sleep 0.3
v4 expect_block "eth1 now carries dut-by-ip's expectedIP: protected" tcp_ok far dut:eth1 8056
v4 expect_pass "policy edge allows 8055 on eth1" tcp_ok far dut:eth1 8055
addr_del dut:eth1 198.18.2.50/32
sleep 0.3
v4 expect_pass "the address left eth1: untouched again" tcp_ok far dut:eth1 8056

# ---------------------------------------------------------------------------------------------
phase "D a resource file edited (inotify, no reload command)"
sed -i 's/ports: \[8055\]/ports: [8055, 8056]/' "$RES/20-policy.yaml"
sleep 0.6
v4 expect_pass "the edit allows 8056" tcp_ok lan dut:eth0 8056
v4 expect_block "8057 still has no rule" tcp_ok lan dut:eth0 8057

# ---------------------------------------------------------------------------------------------
phase "E a bad edit is rejected"
printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: broken}\nspec:\n  ingress:\n  - {action: allow}\n' >"$RES/30-bad.yaml"
sleep 0.6
v4 expect_pass "the old rules stay: 8056 still allowed" tcp_ok lan dut:eth0 8056
v4 expect_block "the old rules stay: 8057 still blocked" tcp_ok lan dut:eth0 8057
settle
rc=$(status_rc); [ "$rc" = 1 ] && _pass "$_phase: hepd status exits 1 (degraded)" || _fail "$_phase: hepd status exit $rc, want 1"
grep -q '30-bad.yaml:6' "$T/status.out" && _pass "$_phase: status shows the error with file and line" ||
    _fail "$_phase: status shows the error with file and line: $(head -c 400 "$T/status.out")"
out=$(nsx dut "$HEPD" reload -c "$CONF" 2>&1); rc=$?
[ "$rc" = 1 ] && [[ $out == *"30-bad.yaml:6"* ]] && _pass "$_phase: hepd reload exits 1 and prints the error" ||
    _fail "$_phase: hepd reload exits 1 and prints the error (exit $rc: $out)"
rm -f "$RES/30-bad.yaml"
sleep 0.6
settle
rc=$(status_rc); [ "$rc" = 0 ] && _pass "$_phase: fixed: hepd status exits 0 again" || _fail "$_phase: fixed: status exit $rc"

# ---------------------------------------------------------------------------------------------
phase "F a UCI edit, then hepd reload"
cat >>"$T/hepd.uci" <<'EOF'

config policy 'uci_extra'
	option name 'uci-extra'
	option order '50'
	option selector "role == 'edge'"

config rule
	option policy 'uci-extra'
	option direction 'ingress'
	option action 'allow'
	option proto 'tcp'
	option dst_port '8057'
EOF
out=$(nsx dut "$HEPD" reload -c "$CONF" 2>&1); rc=$?
[ "$rc" = 0 ] && _pass "$_phase: hepd reload exits 0" || _fail "$_phase: hepd reload exit $rc: $out"
v4 expect_pass "the UCI rule allows 8057" tcp_ok lan dut:eth0 8057
settle
printf "\nconfig rule\n\toption policy 'uci-extra'\n\toption direction 'sideways'\n" >>"$T/hepd.uci"
out=$(nsx dut "$HEPD" reload -c "$CONF" 2>&1); rc=$?
[ "$rc" = 1 ] && [[ $out == *"hepd.uci:"*"uci:@rule"* ]] && _pass "$_phase: a bad UCI edit is rejected with its uci: provenance and line" ||
    _fail "$_phase: bad UCI edit (exit $rc: $out)"
v4 expect_pass "the old rules stay: 8057 still allowed" tcp_ok lan dut:eth0 8057

# ---------------------------------------------------------------------------------------------
phase "G tamper repair"
nsx dut iptables-legacy -F hepd-fh-eth0
if wait_for 3 bash -c "[ \$(ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -c '^-A hepd-fh-eth0') -gt 3 ]"; then
    _pass "$_phase: a flushed hepd chain is restored"; else _fail "$_phase: a flushed hepd chain is restored"; fi
nsx dut iptables-legacy -D INPUT -j hepd-INPUT
if wait_for 3 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q '^-A INPUT -j hepd-INPUT'"; then
    _pass "$_phase: a deleted jump is restored"; else _fail "$_phase: a deleted jump is restored"; fi
nsx dut iptables-legacy -I INPUT 1 -s 198.18.98.0/24 -j ACCEPT
if wait_for 3 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep '^-A INPUT' | head -1 | grep -q hepd-INPUT"; then
    _pass "$_phase: hepd's jump goes back above a foreign rule inserted over it"; else _fail "$_phase: jump back on top"; fi
set=$(nsx dut ipset list -n | grep '^hepd4s-' | head -1)
nsx dut ipset flush "$set"
if wait_for 5 bash -c "ip netns exec $(nsname dut) ipset list $set | grep -q '^198.18.1.2'"; then
    _pass "$_phase: a flushed hepd set is refilled"; else _fail "$_phase: a flushed hepd set is refilled"; fi
v4 expect_block "after the repairs: 8059 still has no rule" tcp_ok lan dut:eth0 8059
v4 expect_pass "after the repairs: 8058 from the trusted member passes" tcp_ok lan dut:eth0 8058
settle
status_rc >/dev/null
grep -q 'repaired' "$T/status.out" && _pass "$_phase: status counts the repairs" || _fail "$_phase: status counts the repairs"

# ---------------------------------------------------------------------------------------------
phase "H foreign rules, SIGTERM, teardown"
saved | grep -q -- '-s 198.18.99.0/24 -j ACCEPT' && _pass "$_phase: a foreign rule survives every apply" ||
    _fail "$_phase: a foreign rule survives every apply"
# The socket belongs to the worker; SIGTERM goes to `hepd run` itself, the supervisor (its parent),
# as procd and systemd send it.
wpid=$(nsx dut ss -xlpn 2>/dev/null | sed -n 's/.*hepd.sock.*pid=\([0-9]*\).*/\1/p' | head -1)
pid=$(ps -o ppid= -p "$wpid" 2>/dev/null | tr -d ' ')
[ -n "$pid" ] && kill -TERM "$pid"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null && ! kill -0 $wpid 2>/dev/null" && _pass "$_phase: SIGTERM stops the daemon (supervisor and worker)" || _fail "$_phase: SIGTERM stops the daemon"
v4 expect_block "after SIGTERM the rules stay: 8059 blocked" tcp_ok lan dut:eth0 8059
v4 expect_pass "after SIGTERM the rules stay: 8055 allowed" tcp_ok lan dut:eth0 8055
settle
rc=$(status_rc); [ "$rc" = 2 ] && _pass "$_phase: hepd status exits 2 (not running)" || _fail "$_phase: status exit $rc, want 2"
grep -q 'hepd chains' "$T/status.out" && _pass "$_phase: status reports the rules left in the kernel" || _fail "$_phase: status reports the rules left"
nsx dut "$HEPD" teardown -c "$CONF" && _pass "$_phase: hepd teardown exits 0" || _fail "$_phase: hepd teardown exits 0"
[ "$(saved | grep -c hepd)" = 0 ] && [ -z "$(nsx dut ipset list -n | grep '^hepd')" ] &&
    _pass "$_phase: teardown removes every hepd chain, jump and set" || _fail "$_phase: teardown removes everything"
saved | grep -q -- '-s 198.18.99.0/24 -j ACCEPT' && _pass "$_phase: teardown leaves the foreign rule" || _fail "$_phase: teardown leaves the foreign rule"
v4 expect_pass "after teardown: nothing is blocked" tcp_ok lan dut:eth0 8056

finish
