#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 00-harness: the harness checks itself with real packets and without hepd, so that a failing
# scenario later means hepd (or the expectation), not the plumbing.
#
#   +------+ eth0 .2  link 10  .1 eth1 +-----+ eth0 .2  link 1  .1 eth0 +-----+ eth1 .1  link 2  .2 eth0 +-----+
#   | mgmt |---------------------------| lan |-------------------------| dut |-------------------------| far |
#   +------+                           +-----+ forwards                +-----+ forwards                +-----+
#
# What it proves, in order:
#  1. topo_up builds namespaces, links, addresses and routes; TCP and UDP listeners come up.
#  2. With no rules every probe passes: TCP, UDP and ICMP over IPv4 and IPv6; local, routed, forwarded.
#  3. A hand-written DROP in the DUT's INPUT for eth0 (iptables-legacy-restore --noflush, inside the
#     DUT namespace) makes exactly the probes that need INPUT on eth0 report blocked.
#     Packet walk: lan -> dut: PREROUTING -> INPUT -> hepd-INPUT (-i eth0) -> DROP. far -> dut:eth1
#     misses `-i eth0`. lan -> far (IPv4) goes through FORWARD, never INPUT. IPv6 needs neighbour
#     discovery with the DUT, and the NS/NA addressed to the DUT on eth0 are INPUT traffic too, so
#     every IPv6 flow that touches the DUT's eth0 dies, forwarded or one-way (TESTING.md).
#  4. A failing expectation prints `not ok` and dumps the DUT's tables.
#  5. reset_rules removes hepd- chains, jumps to them, hepd-commented rules and hepd sets, keeps the rest.
#  6. load_rules runs $HEPD print for ipset, ipv4, ipv6 with --link and the resources, loads sets
#     before tables, and prints the numbered rules when a load fails (a fake hepd stands in).
#  7. require_hepd_print recognises the stub, which still answers `print --help`.
#  8. Cleanup: SIGINT, SIGTERM and a failing exit each leave no namespace, process or temp dir.
#  9. This run's own cleanup leaves no namespace and no process.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

phase "topology"
topo_up <<'EOF'
link dut:eth0  lan:eth0  1     # the uplink the DUT would protect
link dut:eth1  far:eth0  2
link lan:eth1  mgmt:eth0 10
gateway dut lan
gateway lan dut
gateway far dut
gateway mgmt lan
forward dut lan
EOF
for n in dut lan far mgmt; do
    listen_tcp "$n" 8055
    listen_udp "$n" 5000
done
check "namespaces carry the run prefix hepdt-$RUN-" \
    test "$(ip netns list | awk '{print $1}' | grep -c "^hepdt-$RUN-")" = 4

phase "no rules"
both expect_pass "nothing filters yet" tcp_ok lan dut:eth0 8055
both expect_pass "nothing filters yet" udp_ok lan dut:eth0 5000
both expect_pass "nothing filters yet" ping_ok lan dut:eth0
both expect_pass "nothing filters yet" tcp_ok dut lan:eth0 8055
both expect_pass "nothing filters yet" udp_ok dut lan:eth0 5000
both expect_pass "nothing filters yet" ping_ok dut lan:eth0
both expect_pass "nothing filters yet" tcp_ok far dut:eth1 8055
both expect_pass "routed through lan" tcp_ok mgmt dut:eth0 8055
both expect_pass "routed through lan" ping_ok mgmt dut:eth0
both expect_pass "forwarded by dut" tcp_ok lan far:eth0 8055
both expect_pass "forwarded by dut" udp_ok lan far:eth0 5000
both expect_pass "forwarded by dut" ping_ok lan far:eth0
both expect_pass "routed by lan" udp_ok dut mgmt:eth0 5000

phase "hand-written DROP on dut eth0"
on dut ipset create hepd-harness4 hash:net family inet
on dut ipset add hepd-harness4 198.18.200.0/24
on dut iptables-legacy-restore -w 5 --noflush <<'EOF'
*filter
:hepd-INPUT - [0:0]
-A INPUT -p tcp --dport 9 -j ACCEPT
-I INPUT -i eth0 -j hepd-INPUT
-A hepd-INPUT -m set --match-set hepd-harness4 src -j ACCEPT
-A hepd-INPUT -j DROP
-A FORWARD -m comment --comment "hepd: harness marker" -j ACCEPT
COMMIT
EOF
on dut ip6tables-legacy-restore -w 5 --noflush <<'EOF'
*filter
:hepd-INPUT - [0:0]
-A INPUT -p tcp --dport 9 -j ACCEPT
-I INPUT -i eth0 -j hepd-INPUT
-A hepd-INPUT -j DROP
COMMIT
*raw
:hepd-PREROUTING - [0:0]
-I PREROUTING -j hepd-PREROUTING
COMMIT
EOF
flush_neigh
dump_on_failure dut
both expect_block "INPUT on eth0 drops everything" tcp_ok lan dut:eth0 8055
both expect_block "INPUT on eth0 drops everything" udp_ok lan dut:eth0 5000
both expect_block "INPUT on eth0 drops everything" ping_ok lan dut:eth0
both expect_block "it arrives on eth0 too" tcp_ok mgmt dut:eth0 8055
both expect_pass "eth1 is not eth0" tcp_ok far dut:eth1 8055
both expect_pass "eth1 is not eth0" udp_ok far dut:eth1 5000
both expect_pass "eth1 is not eth0" ping_ok far dut:eth1
v4 expect_pass "forwarded traffic never enters INPUT" tcp_ok lan far:eth0 8055
v6 expect_block "the NS for the DUT's address is INPUT traffic" tcp_ok lan far:eth0 8055
both expect_block "the SYN-ACK comes back in on eth0" tcp_ok dut lan:eth0 8055
v4 expect_pass "one-way, and ARP is not iptables" udp_ok dut lan:eth0 5000
v6 expect_block "the neighbour advertisement comes back in on eth0" udp_ok dut lan:eth0 5000

phase "a failing expectation"
settle
out=$(v4 expect_pass "deliberately wrong" tcp_ok lan dut:eth0 8055; settle)
check "prints not ok with the probe" grep -q "^not ok - .*deliberately wrong: expected to pass, was blocked (tcp_ok lan 198.18.1.1 8055" <<<"$out"
check "dumps the DUT's tables with counters" grep -q '^#   \[[0-9]*:[0-9]*\] -A hepd-INPUT -j DROP' <<<"$out"
check "dumps the DUT's sets" grep -q '^#   Name: hepd-harness4' <<<"$out"
out=$(v4 expect_block "deliberately wrong" tcp_ok far dut:eth1 8055; settle)
check "prints not ok when a blocked probe passes" grep -q "^not ok - .*expected to be blocked, got through" <<<"$out"
out=$(v4 expect_block "a port nobody listens on" tcp_ok far dut:eth1 8099; settle)
check "a refused TCP connection is a scenario error, not 'blocked'" grep -q "^not ok - .*probe error 2" <<<"$out"

phase "reset_rules"
reset_rules dut
flush_neigh
check "no hepd chain or jump is left (IPv4)" bash -c "! ip netns exec $(nsname dut) iptables-legacy-save | grep -q hepd"
check "no hepd chain or jump is left (IPv6)" bash -c "! ip netns exec $(nsname dut) ip6tables-legacy-save | grep -q hepd"
check "no hepd set is left" bash -c "! ip netns exec $(nsname dut) ipset list -n | grep -q hepd"
check "the DUT's own rule stays (IPv4)" nsx dut iptables-legacy -w 5 -C INPUT -p tcp --dport 9 -j ACCEPT
check "the DUT's own rule stays (IPv6)" nsx dut ip6tables-legacy -w 5 -C INPUT -p tcp --dport 9 -j ACCEPT
both expect_pass "the DROP is gone" tcp_ok lan dut:eth0 8055
both expect_pass "the DROP is gone" udp_ok lan dut:eth0 5000
both expect_pass "the DROP is gone" ping_ok lan dut:eth0

phase "load_rules with a fake hepd"
cat >"$T/fake-hepd" <<'EOF'
#!/usr/bin/env bash
# Stands in for `hepd print`: records its arguments, prints canned rules for --only PART.
# FAKE_BROKEN=1 breaks the IPv4 part.
printf '%s\n' "$*" >>"$(dirname "$0")/fake-hepd.args"
[ "${1:-}" = print ] || exit 2
[ "${2:-}" = --help ] && { echo "usage: hepd print ..."; exit 0; }
only=''
while [ $# -gt 0 ]; do [ "$1" = --only ] && only=$2; shift; done
case $only in
ipset) printf '%s\n' 'create hepd-fake4 hash:net family inet' 'add hepd-fake4 198.18.1.2' \
    'create hepd-fake6 hash:net family inet6' 'add hepd-fake6 2001:db8:1::2' ;;
ipv4) printf '%s\n' '*filter' ':hepd-INPUT - [0:0]' '-I INPUT -j hepd-INPUT' \
    "-A hepd-INPUT -p tcp -m set --match-set hepd-fake4 src -j ${FAKE_BROKEN:+NO-SUCH-TARGET}DROP" 'COMMIT' ;;
ipv6) printf '%s\n' '*filter' ':hepd-INPUT - [0:0]' '-I INPUT -j hepd-INPUT' \
    '-A hepd-INPUT -p tcp -m set --match-set hepd-fake6 src -j DROP' 'COMMIT' ;;
*) exit 1 ;;
esac
EOF
chmod +x "$T/fake-hepd"
HEPD=$T/fake-hepd
conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
EOF
resource probe <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: probe
spec:
  nets: [198.18.1.2/32]
EOF
out=$(require_hepd_print "fake"); rc=$?
check "require_hepd_print accepts a hepd that renders" test "$rc:$out" = "0:"
load_rules dut
args=$(grep -- '--only ipv4' "$T/fake-hepd.args")
check "hepd print gets the conf" grep -qF -- "-c $CONF " <<<"$args"
check "hepd print gets --link eth0 with its addresses" grep -qF -- "--link eth0=198.18.1.1,2001:db8:1::1 " <<<"$args"
check "hepd print gets --link lo" grep -qF -- "--link lo=127.0.0.1,::1 " <<<"$args"
check "hepd print gets the resources" grep -qF -- "$RES/probe.yaml" <<<"$args"
both expect_block "its source is in the fake hepd's set" tcp_ok lan dut:eth0 8055
both expect_pass "the fake hepd drops only TCP" ping_ok lan dut:eth0
both expect_pass "its source is not in the set" tcp_ok mgmt dut:eth0 8055
reset_rules dut
both expect_pass "reset removed the fake rules" tcp_ok lan dut:eth0 8055
out=$(FAKE_BROKEN=1 load_rules dut); rc=$?
check "a load failure exits 1" test "$rc" = 1
check "a load failure says not ok" grep -q "^not ok - 00-harness: setup: loading hepd's ipv4 rules into dut failed" <<<"$out"
check "a load failure prints the numbered rules" grep -q '^#      4 | -A hepd-INPUT -p tcp .*NO-SUCH-TARGETDROP' <<<"$out"
reset_rules dut

phase "require_hepd_print"
cat >"$T/stub-hepd" <<'EOF'
#!/usr/bin/env bash
# Behaves like build/hepd before the compiler lands.
if [ "${2:-}" = --help ]; then echo "usage: hepd $1 ..."; exit 0; fi
echo "hepd: '$1' is not available in this build yet (arrives with: the policy compiler)" >&2
exit 2
EOF
chmod +x "$T/stub-hepd"
out=$(HEPD=$T/stub-hepd require_hepd_print 03-demo); rc=$?
check "the stub is 'not built yet', exit 1" test "$rc" = 1
check "one line: not ok - 03-demo: hepd print is not built yet" test "$out" = "not ok - 03-demo: hepd print is not built yet"
out=$(HEPD=$T/no-such-hepd require_hepd_print 03-demo); rc=$?
check "a missing binary is 'not built yet' too" test "$rc:${out%% (*}" = "1:not ok - 03-demo: hepd print is not built yet"

phase "cleanup of a run that is interrupted or fails"
cat >"$T/child.sh" <<'EOF'
set -u
. "$HARNESS_LIB"
topo_up "link dut:eth0 lan:eth0 1"
listen_tcp dut 8055
listen_udp lan 5000
echo "$RUN $T" >"$CHILD_READY"
if [ "$CHILD_MODE" = fail ]; then
    while [ ! -e "$CHILD_READY.go" ]; do sleep 0.05; done
    not_ok "deliberate"
    finish
fi
ip netns exec "$(nsname dut)" sleep 30 &
wait
EOF
for mode in INT TERM fail; do
    ready=$T/ready.$mode
    HARNESS_LIB=$_root/tests/netns/lib.sh CHILD_READY=$ready CHILD_MODE=$mode \
        env --default-signal=INT,TERM bash "$T/child.sh" >"$T/child.$mode.log" 2>&1 &
    child=$!
    for _ in $(seq 1 100); do [ -s "$ready" ] && break; sleep 0.05; done
    read -r crun cT <"$ready" || crun=none cT=none
    cpids=$(for n in $(ip netns list | awk '{print $1}' | grep "^hepdt-$crun-"); do ip netns pids "$n"; done)
    if [ "$mode" = fail ]; then : >"$ready.go"; else kill "-$mode" "$child"; fi
    wait "$child"; rc=$?
    case $mode in INT) want=130 ;; TERM) want=143 ;; fail) want=1 ;; esac
    check "$mode: the run exits $want" test "$rc" = "$want"
    check "$mode: it had listeners to clean up" test -n "$cpids"
    check "$mode: no namespace hepdt-$crun-* is left" \
        test "$(ip netns list | grep -c "^hepdt-$crun-")" = 0
    check "$mode: no process it started is left" bash -c "! kill -0 $(tr "\n" " " <<<"$cpids") 2>/dev/null"
    check "$mode: its temp dir is gone" test ! -e "$cT"
done

phase "this run's cleanup"
settle
mine=$(for n in $(ip netns list | awk '{print $1}' | grep "^hepdt-$RUN-"); do ip netns pids "$n"; done)
cleanup
if [ "$(ip netns list | grep -c "^hepdt-$RUN-")" = 0 ]; then
    _pass "$_phase: no namespace hepdt-$RUN-* is left"
else
    _fail "$_phase: namespaces left: $(ip netns list | grep "^hepdt-$RUN-" | tr '\n' ' ')"
fi
# shellcheck disable=SC2086 # one argument per pid
if [ -n "$mine" ] && ! kill -0 $mine 2>/dev/null; then
    _pass "$_phase: every listener and probe is gone"
else
    _fail "$_phase: processes left (or none recorded): $mine"
fi
finish
