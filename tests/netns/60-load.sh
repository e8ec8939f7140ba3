#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 60-load: a running `hepd run` under load. 50 protected interfaces flapping, 1000 edits of a
# resource file in a burst, and control-socket clients that connect and never read (or never
# finish their request): the loop stays responsive (`hepd status` answers; the time is printed,
# and only a generous 3 s is asserted), the bursts are coalesced (applies counted from `hepd
# status --json`: far fewer than the events), the end state is right (probes, kernel = `hepd
# print`) and memory stays flat (RSS after a second round of the same load within 4 MiB of the
# first round's).
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+ vf0..vf49 -- veth peers vf0p..vf49p (inside dut)
#   | lan |----------------------------| dut |
#   +-----+                            +-----+ (hepd run)
# Packet walk: lan -> dut:eth0: filter INPUT -> hepd-INPUT -> hepd-fh-eth0: policy `edge` allows
# TCP 8055; 8056 is allowed only by the policy of the burst's last edit; else end-of-tier drop.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

N_IF=50
N_FLAPS=5
N_EDITS=1000
N_CLIENTS=5   # x2 connections, under the server's 16

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
EOF
listen_tcp dut 8055 8056
# The peers are up, so that each vf's operational state follows its own up/down.
{
    for i in $(seq 0 $((N_IF - 1))); do printf 'link add vf%d type veth peer name vf%dp\n' "$i" "$i"; done
    for i in $(seq 0 $((N_IF - 1))); do printf 'link set vf%dp up\nlink set vf%d up\n' "$i" "$i"; done
} >"$T/mk.ip"
nsx dut ip -batch "$T/mk.ip" || bail "cannot create $N_IF veth pairs"
mkdir -p "$T/run" && chmod 700 "$T/run"
conf <<EOF
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
{
    printf 'apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: dut-eth0, labels: {role: edge}}\nspec: {node: dut, interfaceName: eth0}\n'
    for i in $(seq 0 $((N_IF - 1))); do
        printf -- '---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: vf%d, labels: {role: edge}}\nspec: {node: dut, interfaceName: vf%d}\n' "$i" "$i"
    done
} >"$RES/10-heps.yaml"
resource 20-policy <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: edge}
spec:
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [8055]}}
  egress:
  - {action: Allow}
EOF

load_rules dut
pid=$(nsx dut ss -xlpn 2>/dev/null | sed -n 's/.*hepd.sock.*pid=\([0-9]*\).*/\1/p' | head -1)
[ -n "$pid" ] || bail "no daemon pid"
v4 expect_pass "policy edge allows 8055" tcp_ok lan dut:eth0 8055
v4 expect_block "8056: end of tier" tcp_ok lan dut:eth0 8056
settle

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
seq_now() { nsx dut "$HEPD" status -c "$CONF" --json 2>/dev/null | sed -n 's/.*"last_apply":{"seq":\([0-9]*\).*/\1/p'; }
# timed_status: runs hepd status, prints "RC MILLISECONDS".
timed_status() {
    local t0 t1 rc
    t0=$(date +%s%N)
    nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1; rc=$?
    t1=$(date +%s%N)
    echo "$rc $(((t1 - t0) / 1000000))"
}
slowest=0
note_status() {  # note_status WHAT: one timed status; counts a failure if it takes 3 s or more
    local r
    r=$(timed_status)
    set -- $r "$1"
    say "hepd status during $3: exit $1 in $2 ms"
    [ "$1" = 0 ] || sed 's/^/#   /' "$T/status.out" | head -20
    [ "$2" -gt "$slowest" ] && slowest=$2
    [ "$2" -lt 3000 ] && [ "$1" -le 1 ] && return 0
    _fail "$_phase: hepd status during $3: exit $1 after $2 ms"
    return 1
}

# round R: flaps every vf N_FLAPS times, then N_EDITS edits in a burst, with status calls while
# it happens.
round() {
    local r=$1 s0 s1 i t0 t1 ok_status=1
    phase "round $r: $N_IF interfaces flapping $N_FLAPS times"
    s0=$(seq_now)
    for i in $(seq 0 $((N_IF - 1))); do printf 'link set vf%d down\n' "$i"; done >"$T/down.ip"
    for i in $(seq 0 $((N_IF - 1))); do printf 'link set vf%d up\n' "$i"; done >"$T/up.ip"
    t0=$(date +%s%N)
    for i in $(seq 1 $N_FLAPS); do
        nsx dut ip -batch "$T/down.ip"
        [ "$i" = 2 ] && { note_status "the flapping" || ok_status=0; }
        nsx dut ip -batch "$T/up.ip"
    done
    t1=$(date +%s%N)
    sleep 0.5
    s1=$(seq_now)
    say "$((N_IF * N_FLAPS * 2)) link changes in $(((t1 - t0) / 1000000)) ms -> $((s1 - s0)) applies (seq $s0 -> $s1)"
    [ $ok_status = 1 ] && _pass "$_phase: hepd status answers during the flapping"
    [ -n "$s0" ] && [ -n "$s1" ] && [ $((s1 - s0)) -ge 1 ] && [ $((s1 - s0)) -lt $((N_IF * N_FLAPS * 2)) ] &&
        _pass "$_phase: link changes are coalesced ($((s1 - s0)) applies for $((N_IF * N_FLAPS * 2)) changes)" ||
        _fail "$_phase: applies for $((N_IF * N_FLAPS * 2)) link changes: '$s0' -> '$s1'"
    if nsx dut iptables-legacy-save -t filter | grep -q -- '-i vf49 -g hepd-fh-vf49'; then
        _pass "$_phase: every flapped interface is still dispatched to its chain"
    else _fail "$_phase: vf49 lost its dispatch rule"; fi

    phase "round $r: $N_EDITS edits of a resource file in a burst"
    s0=$(seq_now)
    ok_status=1
    t0=$(date +%s%N)
    for i in $(seq 1 $N_EDITS); do
        port=$((i == N_EDITS ? 8056 : 9000 + i % 500))
        printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: burst}\nspec:\n  order: %d\n  selector: role == "edge"\n  ingress:\n  - {action: Allow, protocol: TCP, destination: {ports: [%d]}}\n' "$i" "$port" >"$RES/30-burst.yaml"
        [ "$i" = $((N_EDITS / 2)) ] && { note_status "the burst" || ok_status=0; }
    done
    t1=$(date +%s%N)
    sleep 0.6
    s1=$(seq_now)
    say "$N_EDITS edits in $(((t1 - t0) / 1000000)) ms -> $((s1 - s0)) applies (seq $s0 -> $s1)"
    [ $ok_status = 1 ] && _pass "$_phase: hepd status answers during the burst"
    [ -n "$s0" ] && [ -n "$s1" ] && [ $((s1 - s0)) -ge 1 ] && [ $((s1 - s0)) -le $((N_EDITS / 10)) ] &&
        _pass "$_phase: the edits are debounced ($((s1 - s0)) applies for $N_EDITS edits)" ||
        _fail "$_phase: applies for $N_EDITS edits: '$s0' -> '$s1'"
    v4 expect_pass "the last edit is in force: 8056 allowed" tcp_ok lan dut:eth0 8056
    settle
    # Back to the start for the next round.
    rm -f "$RES/30-burst.yaml"
    sleep 0.5
}

# ---------------------------------------------------------------------------------------------
phase "clients that never read"
sock=$T/run/hepd.sock
clients=()
for i in $(seq 1 $N_CLIENTS); do
    # Sends a request and never reads the reply (socat -u writes only).
    ( printf 'status\n'; sleep 20 ) | ip netns exec "$(nsname dut)" socat -u - "UNIX-CONNECT:$sock" 2>/dev/null &
    clients+=($!)
    # Connects and never sends a whole request.
    ( printf 'stat'; sleep 20 ) | ip netns exec "$(nsname dut)" socat -u - "UNIX-CONNECT:$sock" 2>/dev/null &
    clients+=($!)
done
sleep 0.3
note_status "$((2 * N_CLIENTS)) clients that never read" && _pass "$_phase: hepd status answers with $((2 * N_CLIENTS)) stuck clients connected"

rss0=$(rss)
round 1
rss1=$(rss)
round 2
rss2=$(rss)
settle
phase "after the load"
say "RSS: at start $rss0 KiB, after round 1 $rss1 KiB, after round 2 $rss2 KiB; slowest status $slowest ms"
[ "$rss2" -le $((rss1 + 4096)) ] && _pass "$_phase: memory is flat (round 2 RSS within 4 MiB of round 1)" ||
    _fail "$_phase: RSS grew from $rss1 to $rss2 KiB in round 2"
for c in "${clients[@]}"; do kill "$c" 2>/dev/null; done
wait "${clients[@]}" 2>/dev/null
r=$(timed_status)
[ "${r% *}" = 0 ] && _pass "$_phase: hepd status exits 0 (${r#* } ms)" || _fail "$_phase: hepd status: $r: $(head -c 300 "$T/status.out")"
v4 expect_block "the burst's policy is gone: 8056 blocked" tcp_ok lan dut:eth0 8056
v4 expect_pass "policy edge allows 8055" tcp_ok lan dut:eth0 8055
settle
_kernel_equals_print dut

finish
