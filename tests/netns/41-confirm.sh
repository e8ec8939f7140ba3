#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 41-confirm: commit-confirm with real packets. The operator reaches the DUT on tcp 2222 (not a
# failsafe port: FailsafeInboundHostPorts = none); a policy that drops it is applied with a short
# confirm window and must undo itself.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+
#   | lan |----------------------------| dut |   hepd run, confirm_timeout = 3,
#   +-----+  (the operator)            +-----+   confirmed_dir = $T/confirmed
#
# Policies (20-policy.yaml), all on dut-eth0 (role == 'edge'):
#   good   allows 2222 (the operator) and 8055
#   bad    allows 8056 only: the operator is locked out
#   more   allows 2222, 8055 and 8056
#   most   allows 2222, 8055, 8056 and 8057
# Packet walk: lan -> dut:eth0 2222 -> filter INPUT -> hepd-INPUT -> hepd-from-host-endpoint ->
# hepd-fh-eth0 -> policy chain (Allow mark -> ACCEPT), or end of tier (DROP).
#
# Phase E runs the daemon in a private mount namespace (unshare -m, propagation private) with a
# 64 KiB tmpfs on confirmed_dir, then fills it and remounts it read-only from inside that
# namespace (nsenter): the host's mounts are never touched.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
EOF
listen_tcp dut 2222 8055 8056 8057
mkdir -p "$T/run" "$T/confirmed" && chmod 700 "$T/run"
CD=$T/confirmed
conf <<EOF
confirm_timeout = 3
confirmed_dir = $CD
watchdog_timeout = 5
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0}
EOF
policy() {  # policy PORT...: 20-policy.yaml allowing those TCP ports in (and everything out)
    local ports
    ports=$(printf '%s, ' "$@")
    cat >"$RES/20-policy.yaml.tmp" <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: edge}
spec:
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [${ports%, }]}}
  egress:
  - {action: Allow}
EOF
    mv "$RES/20-policy.yaml.tmp" "$RES/20-policy.yaml"
}
good() { policy 2222 8055; }
bad() { policy 8056; }
more() { policy 2222 8055 8056; }
most() { policy 2222 8055 8056 8057; }
good

W=$T/run/watchdog
field() { sed -n "s/^$1 //p" "$W" 2>/dev/null | head -1; }
wait_for() {  # wait_for SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}
now_ms() { date +%s%3N; }
hepd_cmd() {  # hepd_cmd OUT CMD...: hepd CMD -c $CONF in dut, output to OUT, prints the exit code
    local out=$1; shift
    nsx dut "$HEPD" "$@" -c "$CONF" >"$out" 2>&1; echo $?
}
expect_cmd() {  # expect_cmd NAME CODE WORD CMD...: exit code and a word in its output
    settle
    local name=$1 want=$2 word=$3 rc; shift 3
    rc=$(hepd_cmd "$T/cmd.out" "$@")
    if [ "$rc" = "$want" ] && grep -qF -- "$word" "$T/cmd.out"; then _pass "$_phase: $name"
    else _fail "$_phase: $name (hepd $*: exit $rc, want $want with [$word]): $(head -c 500 "$T/cmd.out")"; fi
}
expect_status() {  # expect_status CODE WORDS...
    settle
    local want=$1 rc w miss=''; shift
    rc=$(hepd_cmd "$T/status.out" status)
    for w; do grep -qF -- "$w" "$T/status.out" || miss="$miss [$w]"; done
    if [ "$rc" = "$want" ] && [ -z "$miss" ]; then _pass "$_phase: hepd status exits $want${*:+ and shows $*}"
    else _fail "$_phase: hepd status exits $want and shows $* (exit $rc, missing$miss): $(head -c 600 "$T/status.out")"; fi
}
operator_in() { tcp_ok lan 198.18.1.1 2222 >/dev/null; }
start_hepd() {
    settle
    say "+ [dut] $HEPD run -c $CONF --stderr &"
    nsx dut "$HEPD" run -c "$CONF" --stderr >>"$T/hepd.log" 2>&1 &
    # The socket opens after the first apply; status then answers (exit 0, 1 or 3, never 2).
    wait_for 10 bash -c "[ -S $T/run/hepd.sock ] && { ip netns exec $(nsname dut) $HEPD status -c $CONF >/dev/null; [ \$? != 2 ]; }" ||
        bail "hepd run did not come up"
}
stop_hepd() {
    settle
    local p
    p=$(field pid)
    [ -n "$p" ] && kill -TERM "$p"
    wait_for 8 bash -c "! kill -0 $p 2>/dev/null && [ ! -S $T/run/hepd.sock ]" || bail "hepd run did not stop"
    _daemon_ns=''
}
probes() {  # probes PHASE-WORD PORTS-THAT-PASS...: 2222, 8055, 8056, 8057 pass or are blocked
    local why=$1 p; shift
    for p in 2222 8055 8056 8057; do
        if [[ " $* " == *" $p "* ]]; then v4 expect_pass "$why: $p allowed" tcp_ok lan dut:eth0 "$p"
        else v4 expect_block "$why: $p blocked" tcp_ok lan dut:eth0 "$p"; fi
    done
}

# ---------------------------------------------------------------------------------------------
phase "A start with the good policy"
load_rules dut
probes "good" 2222 8055
expect_status 0 ENFORCING
bad
sleep 0.6
probes "an edit on flash is not applied by itself while confirm_timeout is set" 2222 8055
expect_status 0 "and is not applied"

# ---------------------------------------------------------------------------------------------
phase "B a lockout, not confirmed: it rolls back by itself"
expect_cmd "hepd apply --confirm-timeout 3 applies and names the deadline" 0 "confirm within 3 s" apply --confirm-timeout 3
t0=$(now_ms)
probes "bad, pending" 8056
check "the marker in confirmed_dir says pending" grep -q '^state pending' "$CD/unconfirmed"
check "the confirmed (good) configuration is on flash" grep -q '2222, 8055' "$CD/snapshot"
expect_status 3 PENDING-CONFIRM "hepd confirm | hepd rollback"
expect_cmd "a second apply while one is pending is refused" 1 "one pending apply at a time" apply --confirm-timeout 3
expect_cmd "so is hepd reload" 1 "waiting for confirmation" reload
if wait_for 10 operator_in; then
    say "the operator's access came back $(($(now_ms) - t0)) ms after the apply (window 3 s)"
    _pass "$_phase: the operator's access returns by itself after the deadline"
else _fail "$_phase: the operator's access returns by itself after the deadline"; fi
probes "rolled back" 2222 8055
expect_status 1 ROLLED-BACK "rolled back (the confirm deadline passed)"
check "the log says so loudly" grep -q 'ROLLED BACK' "$T/hepd.log"
check "the marker says rolled-back" grep -q '^state rolled-back' "$CD/unconfirmed"
expect_cmd "hepd confirm: nothing pending (exit 1)" 1 "nothing to confirm" confirm
expect_cmd "hepd rollback: nothing pending (exit 1)" 1 "nothing to roll back" rollback
kill -HUP "$(field pid)"
sleep 0.5
probes "SIGHUP does not bring the rolled-back files back" 2222 8055

# ---------------------------------------------------------------------------------------------
phase "C confirmed in time: it stays"
more
expect_cmd "hepd apply (confirm_timeout 3 from the configuration)" 0 "confirm within 3 s" apply
probes "more, pending" 2222 8055 8056
expect_cmd "hepd confirm keeps it" 0 "confirmed" confirm
check "the snapshot on flash is the new configuration" grep -q '2222, 8055, 8056' "$CD/snapshot"
check "the marker is gone" test ! -e "$CD/unconfirmed"
sleep 3.5
probes "past the old deadline" 2222 8055 8056
expect_status 0 ENFORCING
expect_cmd "hepd rollback after the confirm: nothing pending" 1 "nothing to roll back" rollback

# ---------------------------------------------------------------------------------------------
phase "D hepd restarted while a confirm is pending"
bad
expect_cmd "hepd apply --confirm-timeout 60" 0 "confirm within 60 s" apply --confirm-timeout 60
probes "bad, pending" 8056
settle
p=$(field pid)
kill -KILL "$p"
wait_for 5 bash -c "[ ! -S $T/run/hepd.sock ]" || bail "the worker did not follow its supervisor"
probes "hepd gone: the kernel keeps what it had" 8056
start_hepd
probes "after the restart: the confirmed configuration" 2222 8055 8056
expect_status 1 ROLLED-BACK "hepd restarted while a confirm was pending"
check "the log says so" grep -q 'ROLLED BACK: hepd restarted while a confirm was pending' "$T/hepd.log"
expect_cmd "the worker alone killed while pending: apply" 0 "confirm within 60 s" apply --confirm-timeout 60
probes "bad again, pending" 8056
settle
kill -KILL "$(field worker)"
if wait_for 10 operator_in; then _pass "$_phase: the restarted worker runs the confirmed configuration"
else _fail "$_phase: the restarted worker runs the confirmed configuration"; fi
probes "after the worker's restart" 2222 8055 8056
good
expect_cmd "hepd apply --no-confirm applies the files unchecked" 0 "applied" apply --no-confirm
probes "good, no window" 2222 8055
check "the marker is gone" test ! -e "$CD/unconfirmed"
expect_status 0 ENFORCING
stop_hepd

# ---------------------------------------------------------------------------------------------
phase "E confirmed_dir full, then read-only"
rm -rf "$CD" && mkdir -p "$CD"
say "+ [dut] unshare -m: tmpfs size=64k on $CD, then $HEPD run"
nsx dut unshare -m --propagation private sh -c \
    "mount -t tmpfs -o size=64k,mode=0700 hepdt-confirmed '$CD' && exec '$HEPD' run -c '$CONF' --stderr" \
    >>"$T/hepd.log" 2>&1 &
wait_for 10 bash -c "[ -S $T/run/hepd.sock ]" || bail "hepd run in its own mount namespace did not come up"
p=$(field pid)
inns() { nsenter -t "$p" -m "$@"; }
check "confirmed_dir is a tmpfs in hepd's mount namespace only" inns sh -c "grep -q ' $CD tmpfs' /proc/self/mounts && ! grep -q ' $CD ' /proc/1/mounts"
more
expect_cmd "apply more" 0 "confirm within" apply
expect_cmd "confirm more (saved on the tmpfs)" 0 "confirmed" confirm
sum0=$(inns sha256sum "$CD/snapshot" | cut -c1-64)

most
expect_cmd "apply most" 0 "confirm within 3 s" apply
inns sh -c "dd if=/dev/zero of='$CD/fill' bs=4k 2>/dev/null; sync"
expect_cmd "full: hepd confirm fails with exit 3 and says why" 3 "No space left on device" confirm
check "the log names the failure" grep -q 'CONFIRM NOT SAVED.*No space left' "$T/hepd.log"
expect_status 1 "confirmed in RAM only" "No space left on device"
sleep 3.5
probes "full: past the deadline the applied rules stay" 2222 8055 8056 8057
check "full: the previous confirmed snapshot is intact" test "$(inns sha256sum "$CD/snapshot" | cut -c1-64)" = "$sum0"
inns rm -f "$CD/fill"
expect_cmd "space again: hepd confirm succeeds" 0 "confirmed" confirm
check "the snapshot is the new configuration" inns grep -q '2222, 8055, 8056, 8057' "$CD/snapshot"
expect_status 0 ENFORCING
sum1=$(inns sha256sum "$CD/snapshot" | cut -c1-64)

more
expect_cmd "apply more again" 0 "confirm within 3 s" apply
inns mount -o remount,ro "$CD"
expect_cmd "read-only: hepd confirm fails with exit 3 and says why" 3 "Read-only file system" confirm
check "the log names the failure" grep -q 'CONFIRM NOT SAVED.*Read-only' "$T/hepd.log"
expect_status 1 "confirmed in RAM only" "Read-only file system"
probes "read-only: the applied rules stay" 2222 8055 8056
check "read-only: the previous confirmed snapshot is intact" test "$(inns sha256sum "$CD/snapshot" | cut -c1-64)" = "$sum1"
inns mount -o remount,rw "$CD"
expect_cmd "writable again: hepd confirm succeeds" 0 "confirmed" confirm
check "the snapshot is the new configuration" inns grep -q '\[2222, 8055, 8056\]' "$CD/snapshot"
expect_status 0 ENFORCING
stop_hepd

finish
