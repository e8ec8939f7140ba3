#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 40-watchdog: the supervisor of `hepd run` and its default rules, with real packets.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+ eth1 .1   link 2   .2 eth0 +-----+
#   | lan |----------------------------| dut |----------------------------| far |
#   +-----+                            +-----+  (no endpoint on eth1)      +-----+
#                                      hepd run: supervisor + worker
#
# dut listens on tcp 22 (the only failsafe port, "SSH"), 8055 (allowed by policy) and 8056 (no
# rule). watchdog_timeout is 2 s, fallback_action Drop (phase E: Accept).
#
# Packet walks:
#  - full policy: lan -> dut:eth0 enters filter INPUT -> hepd-INPUT -> hepd-from-host-endpoint
#    -> hepd-fh-eth0: failsafe (22 ACCEPT), policy edge (8055 ACCEPT), end of tier (8056 DROP);
#  - default rules: hepd-INPUT -> hepd-from-host-endpoint -> -i eth0 -g hepd-dfl-in:
#    ESTABLISHED ACCEPT, hepd-failsafe-in (22 ACCEPT), fallback: DROP (8055 and 8056 alike;
#    Accept in phase E lets both through);
#  - far -> dut:eth1 matches no dispatch rule in either: left alone, 8056 passes.
#
# The test hook HEPD_TEST_CRASH_ON_START=$T/crash makes every worker abort at start while that
# file exists: it holds the box on the default rules for as long as the checks need, and phase D
# uses it for a worker that crashes on every start. Timings are printed as '#' lines, never
# asserted (the bounds below only stop a broken daemon from hanging the suite).
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
EOF
listen_tcp dut 22 8055 8056
mkdir -p "$T/run" && chmod 700 "$T/run"
export HEPD_TEST_CRASH_ON_START=$T/crash
write_conf() {  # write_conf FALLBACK
    conf <<EOF
watchdog_timeout = 2
fallback_action = $1
[global]
FailsafeInboundHostPorts = tcp:22
FailsafeOutboundHostPorts = none
EOF
}
write_conf Drop
resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0}
---
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

W=$T/run/watchdog
field() { sed -n "s/^$1 //p" "$W" 2>/dev/null | head -1; }  # field pid|worker|state|restarts
saved() { nsx dut iptables-legacy-save -t filter; }
on_defaults() { saved | grep -q '^:hepd-dfl-in' && ! saved | grep -q '^:hepd-fh-eth0'; }
on_policy() { saved | grep -q '^:hepd-fh-eth0' && ! saved | grep -q '^:hepd-dfl-in'; }
no_hepd() { [ "$(saved | grep -c hepd)" = 0 ]; }
wait_for() {  # wait_for SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}
now_ms() { date +%s%3N; }
status_to() {  # status_to FILE: hepd status into FILE, prints its exit code
    nsx dut "$HEPD" status -c "$CONF" >"$1" 2>&1; echo $?
}
expect_status() {  # expect_status CODE WORDS...: exit code and words in the text
    settle
    local want=$1 rc w miss=''; shift
    rc=$(status_to "$T/status.out")
    for w; do grep -qF -- "$w" "$T/status.out" || miss="$miss [$w]"; done
    if [ "$rc" = "$want" ] && [ -z "$miss" ]; then _pass "$_phase: hepd status exits $want${*:+ and shows $*}"
    else _fail "$_phase: hepd status exits $want and shows $* (exit $rc, missing$miss): $(head -c 600 "$T/status.out")"; fi
}
start_hepd() {  # hepd run in dut, in the background (the test's environment, hook included)
    settle
    say "+ [dut] $HEPD run -c $CONF --stderr &"
    nsx dut "$HEPD" run -c "$CONF" --stderr >>"$T/hepd.log" 2>&1 &
}
stop_hepd() {  # SIGTERM to the supervisor, as procd sends it; waits until both are gone
    settle
    local p w
    p=$(field pid) w=$(field worker)
    [ "${w:-0}" = 0 ] && w=$p
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    wait_for 8 bash -c "! kill -0 $p 2>/dev/null && ! kill -0 $w 2>/dev/null" ||
        bail "hepd run (pid $p, worker $w) did not stop on SIGTERM"
    _daemon_ns=''
}
probes_default() {  # the default rules, fallback Drop
    both expect_pass "default rules: SSH on the failsafe port answers" tcp_ok lan dut:eth0 22
    both expect_block "default rules: a non-failsafe port follows fallback_action Drop" tcp_ok lan dut:eth0 8056
    v4 expect_block "default rules: the policy's own allow is not in force" tcp_ok lan dut:eth0 8055
    v4 expect_pass "default rules: eth1 has no endpoint, left alone" tcp_ok far dut:eth1 8056
}
probes_policy() {
    both expect_pass "full policy: 8055 allowed by policy edge" tcp_ok lan dut:eth0 8055
    both expect_block "full policy: 8056 has no rule" tcp_ok lan dut:eth0 8056
    v4 expect_pass "full policy: SSH failsafe" tcp_ok lan dut:eth0 22
    v4 expect_pass "full policy: eth1 untouched" tcp_ok far dut:eth1 8056
}

# ---------------------------------------------------------------------------------------------
phase "A start under the supervisor"
load_rules dut
probes_policy
settle
check "the worker handed its default rules to the supervisor (STATE_DIR/default-rules)" test -s "$T/run/default-rules"
check "the supervisor publishes its state (STATE_DIR/watchdog)" test "$(field state)" = running
expect_status 0 ENFORCING

# ---------------------------------------------------------------------------------------------
phase "B kill -9 of the worker"
touch "$T/crash"  # restarted workers abort until it goes: the box stays on the default rules
w=$(field worker)
t0=$(now_ms)
kill -KILL "$w"
if wait_for 5 on_defaults; then
    say "default rules in the kernel $(($(now_ms) - t0)) ms after kill -9"
    _pass "$_phase: the default rules replace the full policy"
else _fail "$_phase: the default rules replace the full policy"; dump_state dut; fi
probes_default
expect_status 1 DEGRADED "killed by signal 9" "default rules installed" "DEFAULT RULES in force"
rm -f "$T/crash"
if wait_for 15 on_policy; then _pass "$_phase: after the restart the full policy is back"
else _fail "$_phase: after the restart the full policy is back"; fi
probes_policy
expect_status 0 ENFORCING "healthy: the full policy is back"

# ---------------------------------------------------------------------------------------------
phase "C SIGSTOP of the worker"
touch "$T/crash"
w=$(field worker)
t0=$(now_ms)
kill -STOP "$w"
if wait_for 8 on_defaults; then
    say "default rules in the kernel $(($(now_ms) - t0)) ms after SIGSTOP (watchdog_timeout 2 s)"
    _pass "$_phase: a stopped worker misses its heartbeats: default rules"
else _fail "$_phase: a stopped worker misses its heartbeats: default rules"; dump_state dut; fi
check "the stopped worker was killed" wait_for 3 bash -c "! kill -0 $w 2>/dev/null"
kill -CONT "$w" 2>/dev/null
probes_default
expect_status 1 DEGRADED "sent no heartbeat for 2 s"
rm -f "$T/crash"
if wait_for 15 on_policy; then _pass "$_phase: after the restart the full policy is back"
else _fail "$_phase: after the restart the full policy is back"; fi
probes_policy
expect_status 0 ENFORCING "healthy: the full policy is back"

# ---------------------------------------------------------------------------------------------
phase "D a worker that crashes on every start"
stop_hepd
check "SIGTERM of hepd run leaves the full policy in place" on_policy
touch "$T/crash"
: >"$T/hepd.log"
start_hepd
t0=$SECONDS
if wait_for 5 on_defaults; then _pass "$_phase: the default rules of the previous run are installed"
else _fail "$_phase: the default rules of the previous run are installed"; sed 's/^/#   /' "$T/hepd.log" | tail -20; fi
probes_default
settle
sleep 3
r=$(field restarts) starts=$(grep -c 'aborts on purpose' "$T/hepd.log")
say "after $((SECONDS - t0)) s: $starts worker starts, $r restarts (backoff 1 s, 2 s, 4 s ...)"
check "backoff, not a tight restart loop ($starts worker starts in $((SECONDS - t0)) s)" test "$starts" -ge 2 -a "$starts" -le 5
expect_status 1 DEGRADED "killed by signal 6" "next restart at"
check "the box is still on the default rules" on_defaults
stop_hepd
rm -f "$T/crash"

# ---------------------------------------------------------------------------------------------
phase "E fallback_action Accept (fail open)"
write_conf Accept
start_hepd
wait_for 5 on_policy || bail "hepd run did not come back"
wait_for 5 test -S "$T/run/hepd.sock" || bail "no control socket"
touch "$T/crash"
kill -KILL "$(field worker)"
if wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '-A hepd-dfl-in -j ACCEPT'"; then
    _pass "$_phase: default rules with ACCEPT as the fallback"
else _fail "$_phase: default rules with ACCEPT as the fallback"; fi
both expect_pass "fail open: a non-failsafe port passes" tcp_ok lan dut:eth0 8056
v4 expect_pass "fail open: SSH" tcp_ok lan dut:eth0 22
settle
rm -f "$T/crash"
wait_for 15 on_policy || bail "the full policy did not come back"
stop_hepd
write_conf Drop

# ---------------------------------------------------------------------------------------------
phase "F kill -9 of the supervisor"
start_hepd
wait_for 5 on_policy || bail "hepd run did not come back"
wait_for 5 test -S "$T/run/hepd.sock" || bail "no control socket"
p=$(field pid) w=$(field worker)
kill -KILL "$p"
check "the worker follows its supervisor (PR_SET_PDEATHSIG)" wait_for 3 bash -c "! kill -0 $w 2>/dev/null"
check "the kernel rules stay as they were" on_policy
probes_policy
expect_status 2 NOT-RUNNING "hepd chains"
start_hepd
check "hepd run starts again (as procd would)" wait_for 5 bash -c "[ -S $T/run/hepd.sock ] && ip netns exec $(nsname dut) $HEPD status -c $CONF >/dev/null"
expect_status 0 ENFORCING

# ---------------------------------------------------------------------------------------------
phase "F2 SIGTERM to supervisor and worker at once (systemd stops the whole cgroup)"
p=$(field pid) w=$(field worker)
kill -TERM "$p" "$w"
check "both stop" wait_for 8 bash -c "! kill -0 $p 2>/dev/null && ! kill -0 $w 2>/dev/null"
check "the full policy stays: a worker stopped by SIGTERM with its supervisor is no failure" on_policy
_daemon_ns=''
start_hepd
check "hepd run starts again" wait_for 5 bash -c "[ -S $T/run/hepd.sock ] && ip netns exec $(nsname dut) $HEPD status -c $CONF >/dev/null"

# ---------------------------------------------------------------------------------------------
phase "G hepd teardown while the daemon runs"
check "hepd teardown exits 0" nsx dut "$HEPD" teardown -c "$CONF"
check "every hepd chain and jump is gone" no_hepd
sleep 3  # longer than watchdog_timeout: a repair or default rules would show now
check "nothing comes back: no repair, no default rules" no_hepd
expect_status 2 STOOD-DOWN
kill -KILL "$(field worker)"
sleep 1.5  # longer than the first restart delay
check "the worker killed after the teardown: no default rules, no restart" no_hepd
check "the supervisor says it stood down" test "$(field state)" = stood_down
v4 expect_pass "after teardown nothing is blocked" tcp_ok lan dut:eth0 8056
stop_hepd

# ---------------------------------------------------------------------------------------------
phase "H hepd teardown while the worker hangs"
start_hepd
wait_for 5 on_policy || bail "hepd run did not come back"
wait_for 5 test -S "$T/run/hepd.sock" || bail "no control socket"
kill -STOP "$(field worker)"
check "hepd teardown exits 0 (the supervisor stands down, the rules go)" nsx dut "$HEPD" teardown -c "$CONF"
check "every hepd chain and jump is gone" no_hepd
sleep 2.5
check "nothing comes back" no_hepd
check "the supervisor stood down" test "$(field state)" = stood_down
stop_hepd

finish
