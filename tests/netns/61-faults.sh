#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 61-faults: a running `hepd run` meets the faults of issue 8, one after the other. In each: a
# clear log line, `hepd status` shows it (exit 1, degraded), the last good rules stay enforced
# (probes, and the kernel's hepd rules byte-for-byte as before), and hepd recovers by itself when
# the fault goes away (no reload, no restart).
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+ eth1 .1   link 2   .2 eth0 +-----+
#   | lan |----------------------------| dut |----------------------------| far |
#   +-----+                            +-----+                            +-----+
#                                    (hepd run)
# Packet walks: lan -> dut:eth0 goes filter INPUT -> hepd-INPUT -> hepd-fh-eth0 (policy `edge`,
# then the end-of-tier drop; the phases widen its ports), policy `trusted` (8057 from lan's
# address only, through a set); far -> dut:eth1 is untouched until an expectedIP of the `by-ip`
# endpoint lands on eth1, then 8057 from far falls to the end-of-tier drop.
#
# Faults and how they are made (never anything global: the xtables lock is a private file through
# XT_LOCK_NAME, which hepd honours as iptables does; the rest are test hooks, files whose presence
# turns the fault on, see test_hook() in include/hepd/files.hpp):
#   A  the ip_set module missing       HEPD_TEST_NO_IPSET (checked when hepd opens libipset)
#   B  a commit refused by the kernel  HEPD_TEST_FAIL_COMMIT (before each libiptc commit)
#   C  the xtables lock held too long  flock(1) on the private lock file, longer than lock_wait
#   D  a netlink overrun (ENOBUFS)     HEPD_TEST_NETLINK_RCVBUF (a 4 KiB receive buffer) and the
#                                      daemon stopped (SIGSTOP) during a burst of address changes
#   E  the config directory replaced   editor-style rename over a file, the whole resource
#                                      directory moved away and a new one renamed into its place,
#                                      and a symlink to it swapped for one to a new directory
#   F  the clock jumping               by construction: every timer is CLOCK_MONOTONIC
#                                      (steady_clock, timerfd); the wall clock only labels log
#                                      lines and status times. Checked on the source here.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

export XT_LOCK_NAME=$T/xtables.lock
export HEPD_TEST_NO_IPSET=$T/fault-no-ipset
export HEPD_TEST_FAIL_COMMIT=$T/fault-commit
export HEPD_TEST_NETLINK_RCVBUF=4096

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
EOF
listen_tcp dut 8055 8056 8057 8058
mkdir -p "$T/run" && chmod 700 "$T/run"
conf <<EOF
lock_wait = 1
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
resource 10-heps <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: by-ip, labels: {role: edge}}
spec: {node: dut, expectedIPs: [198.18.2.50]}
EOF
policy() {  # policy PORT...: policy `edge` allowing TCP to those ports
    local ports
    ports=$(printf '%s, ' "$@"); ports=${ports%, }
    cat <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: edge}
spec:
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [$ports]}}
  egress:
  - {action: Allow}
EOF
}
policy 8055 | resource 20-policy

status_rc() { nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1; echo $?; }
hepd_rules() { for t in raw mangle filter; do nsx dut iptables-legacy-save -t $t; done | grep -E '^-A .*hepd|^:hepd' | sed 's/ \[[0-9]*:[0-9]*\]$//'; }
wait_for() {  # wait_for SECONDS CMD...: polls CMD every 100 ms
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
status_has() { status_rc >/dev/null; grep -qF -- "$1" "$T/status.out"; }
status_is() { [ "$(status_rc)" = "$1" ]; }
log_has() { grep -qF -- "$1" "$T/hepd.log"; }
check_pass() { if "$@"; then _pass "$_phase: $desc"; else _fail "$_phase: $desc"; fi; }
daemon_pid() { nsx dut ss -xlpn 2>/dev/null | sed -n 's/.*hepd.sock.*pid=\([0-9]*\).*/\1/p' | head -1; }

# ---------------------------------------------------------------------------------------------
phase "A no ip_set support in the kernel"
touch "$HEPD_TEST_NO_IPSET"
load_rules dut   # starts hepd run: the rules need no set, so they are programmed anyway
v4 expect_pass "policy edge allows 8055" tcp_ok lan dut:eth0 8055
v4 expect_block "8057: end of tier" tcp_ok lan dut:eth0 8057
settle
desc="the log says the kernel has no IP set support and that the rules need none"
check_pass log_has "no IP set support in the kernel"
good=$(hepd_rules)
resource 30-trusted <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: trusted, labels: {trusted: "yes"}}
spec: {nets: [198.18.1.2/32]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: trusted}
spec:
  order: 10
  selector: role == 'edge'
  ingress:
  - {action: Allow, protocol: TCP, source: {selector: "trusted == 'yes'"}, destination: {ports: [8057]}}
EOF
out=$(nsx dut "$HEPD" reload -c "$CONF" 2>&1); rc=$?
desc="hepd reload of rules that need a set exits 1 and names the missing ip_set support"
check_pass test "$rc" = 1 -a -n "$(grep -F 'ip_set module not loaded' <<<"$out")"
[ "$rc" = 1 ] || say "reload: exit $rc: $out"
desc="the kernel keeps the last good rules exactly"
check_pass test "$(hepd_rules)" = "$good"
v4 expect_block "the set-based rule is not half-programmed: 8057 still blocked" tcp_ok lan dut:eth0 8057
v4 expect_pass "the last good rules stay: 8055 allowed" tcp_ok lan dut:eth0 8055
settle
desc="status exits 1 and shows the backend error"
check_pass status_is 1
desc="status names the missing ip_set support"
check_pass grep -qF "ip_set module not loaded" "$T/status.out"
rm -f "$HEPD_TEST_NO_IPSET"
desc="the module is back: hepd applies by itself (retry), status exits 0"
check_pass wait_for 10 status_is 0
v4 expect_pass "the set-based rule now allows 8057 from the trusted member" tcp_ok lan dut:eth0 8057
settle
_kernel_equals_print dut

# ---------------------------------------------------------------------------------------------
phase "B a commit refused by the kernel"
good=$(hepd_rules)
touch "$HEPD_TEST_FAIL_COMMIT"
policy 8055 8056 | resource 20-policy   # a file edit: inotify, reload, apply
desc="the log says the commit was refused"
check_pass wait_for 5 log_has "refused by the kernel (simulated: HEPD_TEST_FAIL_COMMIT)"
desc="the kernel keeps the last good rules exactly"
check_pass test "$(hepd_rules)" = "$good"
v4 expect_block "the old rules stay: 8056 still blocked" tcp_ok lan dut:eth0 8056
v4 expect_pass "the old rules stay: 8055 allowed" tcp_ok lan dut:eth0 8055
settle
desc="status exits 1 and shows the refused commit"
check_pass status_has "refused by the kernel"
grep -q "backend error" "$T/status.out" || say "status: $(head -c 600 "$T/status.out")"
rm -f "$HEPD_TEST_FAIL_COMMIT"
desc="the kernel accepts commits again: hepd applies by itself, status exits 0"
check_pass wait_for 10 status_is 0
v4 expect_pass "the new rules: 8056 allowed" tcp_ok lan dut:eth0 8056
settle
_kernel_equals_print dut

# ---------------------------------------------------------------------------------------------
phase "C the xtables lock held longer than lock_wait"
pid=$(daemon_pid)
desc="hepd uses the private lock file named by XT_LOCK_NAME, not /run/xtables.lock"
check_pass bash -c "ls -l /proc/$pid/fd 2>/dev/null | grep -qF '$XT_LOCK_NAME'"
good=$(hepd_rules)
# -o: the sleep does not inherit the lock, so ending flock(1) releases it.
flock -o "$XT_LOCK_NAME" sleep 60 &
holder=$!
sleep 0.2
sleeper=$(pgrep -P "$holder")
policy 8055 8056 8058 | resource 20-policy
desc="the log says another program holds the xtables lock"
check_pass wait_for 6 log_has "another program holds the xtables lock (waited 1000 ms)"
desc="the kernel keeps the last good rules exactly"
check_pass test "$(hepd_rules)" = "$good"
v4 expect_block "the old rules stay: 8058 still blocked" tcp_ok lan dut:eth0 8058
settle
desc="status exits 1 and shows the lock timeout"
check_pass status_has "lock timeout"
kill "$holder" $sleeper 2>/dev/null; wait "$holder" 2>/dev/null
desc="the lock is free: hepd applies by itself, status exits 0"
check_pass wait_for 20 status_is 0
v4 expect_pass "the new rules: 8058 allowed" tcp_ok lan dut:eth0 8058
settle

# ---------------------------------------------------------------------------------------------
phase "D a netlink overrun (ENOBUFS) forces a full resync"
v4 expect_pass "eth1 has no endpoint yet" tcp_ok far dut:eth1 8057
settle
overruns_before=$(grep -c "interface notifications were lost (ENOBUFS" "$T/hepd.log")
kill -STOP "$pid"
{
    for i in $(seq 100 199); do printf 'address add 198.18.2.%d/32 dev eth1\n' "$i"; done
    printf 'address add 198.18.2.50/32 dev eth1\n'
    for i in $(seq 100 199); do printf 'address del 198.18.2.%d/32 dev eth1\n' "$i"; done
} >"$T/burst.ip"
nsx dut ip -batch "$T/burst.ip"
kill -CONT "$pid"
desc="the log says notifications were lost and everything is read again"
check_pass wait_for 5 bash -c "[ \$(grep -c 'interface notifications were lost (ENOBUFS' '$T/hepd.log') -gt $overruns_before ]"
desc="eth1 is dispatched to its endpoint chain after the resync"
check_pass wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '-i eth1 -g hepd-fh-eth1'"
v4 expect_block "after the resync eth1 carries by-ip's expectedIP: protected (8057 only from trusted)" tcp_ok far dut:eth1 8057
v4 expect_pass "policy edge allows 8055 on eth1" tcp_ok far dut:eth1 8055
settle
desc="status shows the overrun and the full re-read"
check_pass status_has "interface notifications lost"
desc="an overrun repaired by the resync leaves status at exit 0"
check_pass test "$(status_rc)" = 0
_kernel_equals_print dut

# ---------------------------------------------------------------------------------------------
phase "E the configuration replaced by rename"
# An editor's save: a new file renamed over the old one.
policy 8055 8056 8057 8058 >"$RES/.20-policy.yaml.swp"
mv -f "$RES/.20-policy.yaml.swp" "$RES/20-policy.yaml"
desc="a file renamed over a resource is picked up"
check_pass wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '--dports 8055,8056,8057,8058'"
# The whole directory replaced: the old one moved away, a new one renamed into its place.
mkdir "$T/res.new"
cp "$RES"/*.yaml "$T/res.new/"
policy 8055 | sed 's/name: edge}/name: edge}/' >"$T/res.new/20-policy.yaml"
mv "$RES" "$T/res.old"
mv "$T/res.new" "$RES"
desc="a resource directory renamed into place is read"
check_pass wait_for 5 bash -c "! ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '8056'"
v4 expect_block "the new directory's policy: 8056 blocked" tcp_ok lan dut:eth0 8056
settle
policy 8055 8057 | resource 20-policy
desc="an edit in the new directory is picked up (the watch moved with it)"
check_pass wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '--dports 8055,8057'"
echo 'garbage: [' >"$T/res.old/20-policy.yaml"
sleep 0.5
desc="the old directory is no longer watched: status still exits 0"
check_pass status_is 0
# An atomic deploy: the resource directory is a symlink, swapped for one to a new directory.
mv "$RES" "$T/res.v1"
ln -s res.v1 "$RES"
mkdir "$T/res.v2"
cp "$T/res.v1"/*.yaml "$T/res.v2/"
policy 8055 8058 >"$T/res.v2/20-policy.yaml"
ln -s res.v2 "$T/res.tmp"
mv -T "$T/res.tmp" "$RES"
desc="a symlink swap of the resource directory is picked up"
check_pass wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '--dports 8055,8058'"
policy 8055 8056 8058 >"$T/res.v2/20-policy.yaml"
desc="an edit in the symlink's new target is picked up"
check_pass wait_for 5 bash -c "ip netns exec $(nsname dut) iptables-legacy-save -t filter | grep -q -- '--dports 8055,8056,8058'"
_kernel_equals_print dut

# ---------------------------------------------------------------------------------------------
phase "F the clock jumping"
# Every deadline of the daemon (debounce, retry back-off, drift probe, refresh, control-socket
# client deadlines, the xtables lock wait) is steady_clock or a CLOCK_MONOTONIC timerfd, which a
# jump of the wall clock (settimeofday, NTP step) does not move; the wall clock is read only to
# label log lines and status times. Changing the machine's clock in a test is not allowed, so
# this checks the source: every wall-clock read is in an allowed place.
walls=$(grep -rnE 'system_clock|CLOCK_REALTIME|gettimeofday|[^_a-z]time\((nullptr|NULL|0)\)' src/sys src/cmd src/core | grep -vE '^src/sys/log\.cpp:|^src/sys/worker_io\.cpp:.*time_t now = time\(nullptr\)')
desc="no timer or deadline reads the wall clock"
check_pass test -z "$walls"
[ -z "$walls" ] || say "wall-clock reads: $walls"
monos=$(grep -rnE 'timerfd_create\(' src/sys | grep -vc 'CLOCK_MONOTONIC\|CLOCK_BOOTTIME')
desc="every timerfd is CLOCK_MONOTONIC or CLOCK_BOOTTIME"
check_pass test "$monos" = 0
desc="the daemon answered throughout"
check_pass status_is 0

finish
