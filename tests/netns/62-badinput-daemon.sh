#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 62-badinput-daemon: the bad-input catalogue (tests/golden/README.md) fed to a running daemon.
# For a selection of the hostile files, each written over a good one and followed by `hepd
# reload`: the reload exits 1 and prints an error that names the file and line, the daemon keeps
# running, status exits 1 and shows the rejection, and the running rules stay (probes, and the
# kernel's hepd rules byte-for-byte as before). Then the control socket: garbage, an oversized
# request, a client that never finishes its request and a non-root peer each get an error reply
# (or none, for the stalled one) and the daemon answers the next request.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+
#   | lan |----------------------------| dut | (hepd run)
#   +-----+                            +-----+
# Packet walk: lan -> dut:eth0: filter INPUT -> hepd-INPUT -> hepd-fh-eth0: policy `edge` allows
# TCP 8055; 8056 falls to the end-of-tier drop.
set -u
export HEPDT_DAEMON=1
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
EOF
listen_tcp dut 8055 8056
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
EOF
cp "$CONF" "$T/hepd.conf.good"
cp "$T/hepd.uci" "$T/hepd.uci.good"
resource 10-heps <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: dut-eth0, labels: {role: edge}}
spec: {node: dut, interfaceName: eth0}
EOF
gnp_head() { printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: %s\nspec:\n' "$1"; }
{ gnp_head edge; printf "  selector: role == 'edge'\n  ingress:\n  - {action: Allow, protocol: TCP, destination: {ports: [8055]}}\n  egress:\n  - {action: Allow}\n"; } >"$RES/20-policy.yaml"
cp "$RES/20-policy.yaml" "$T/policy.good"
repeat() { awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'; }

load_rules dut
v4 expect_pass "policy edge allows 8055" tcp_ok lan dut:eth0 8055
v4 expect_block "8056: end of tier" tcp_ok lan dut:eth0 8056
settle

hepd_rules() { for t in raw mangle filter; do nsx dut iptables-legacy-save -t $t; done | grep -E '^-A .*hepd|^:hepd' | sed 's/ \[[0-9]*:[0-9]*\]$//'; }
good=$(hepd_rules)
status_rc() { nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1; echo $?; }
daemon_pid() { nsx dut ss -xlpn 2>/dev/null | sed -n 's/.*hepd.sock.*pid=\([0-9]*\).*/\1/p' | head -1; }
pid=$(daemon_pid)
[ -n "$pid" ] || bail "no daemon pid"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
rss0=$(rss)

# rejected NAME FILE WHERE TEXT: the bad content is in FILE already; hepd reload must exit 1 with
# an error line at WHERE containing TEXT, and nothing may change.
n_cases=0
rejected() {
    local name=$1 file=$2 where=$3 text=$4 out rc
    n_cases=$((n_cases + 1))
    out=$(timeout 20 ip netns exec "$(nsname dut)" "$HEPD" reload -c "$CONF" 2>&1); rc=$?
    if [ "$rc" = 1 ] && grep -F -- "$where" <<<"$out" | grep -qF -- "$text"; then
        _pass "$_phase: $name: hepd reload exits 1 with the error at ${where#"$T"/}"
    else
        _fail "$_phase: $name: hepd reload exit $rc (want 1), want '$where ... $text': $(head -c 400 <<<"$out")"
    fi
    kill -0 "$pid" 2>/dev/null && [ "$(daemon_pid)" = "$pid" ] && _pass "$_phase: $name: the daemon still runs" ||
        _fail "$_phase: $name: the daemon died"
    [ "$(hepd_rules)" = "$good" ] && _pass "$_phase: $name: the kernel keeps the running rules" ||
        _fail "$_phase: $name: the kernel's hepd rules changed"
    rc=$(status_rc)
    if [ "$rc" = 1 ] && grep -qF "${file##*/}" "$T/status.out"; then
        _pass "$_phase: $name: status exits 1 and names ${file##*/}"
    else _fail "$_phase: $name: status exit $rc, want 1 naming ${file##*/}: $(head -c 300 "$T/status.out")"; fi
}
restore() {
    cp "$T/policy.good" "$RES/20-policy.yaml"
    cp "$T/hepd.conf.good" "$CONF"
    cp "$T/hepd.uci.good" "$T/hepd.uci"
    rm -f "$RES/50-bad.yaml"
    nsx dut "$HEPD" reload -c "$CONF" >/dev/null 2>&1 || say "restore: reload failed"
}

# ---------------------------------------------------------------------------------------------
phase "A hostile resource files"
f=$RES/50-bad.yaml
head -c 65536 "$HEPD" >"$f"
rejected "binary garbage" "$f" "$f:1:" "invalid input"
{ gnp_head a; printf '  selector: x\n  labels: &a0 {a: b}\n'; for i in 1 2 3 4 5 6 7 8 9; do printf '  x%d: &a%d [' "$i" "$i"; repeat 8 "*a$((i - 1)), "; printf '*a%d]\n' $((i - 1)); done; } >"$f"
rejected "alias bomb" "$f" "$f:" "YAML aliases are not supported"
printf 'apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: caf\351\n' >"$f"
rejected "invalid UTF-8" "$f" "$f:4:" "UTF-8"
printf '\377\376a\000:\000 \000b\000\n\000' >"$f"
rejected "UTF-16" "$f" "$f:1:1:" "UTF-16"
{ printf 'a: '; repeat 100000 '['; } >"$f"
rejected "deep nesting" "$f" "$f:1:" "deeper than 64"
{ printf '# big\n'; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$f"
rejected "a file over 1 MiB" "$f" "$f: " "larger than 1048576 bytes"
sel=$(repeat 102 'has(a) || '); sel="${sel}has(bbbbb)"   # 1025 characters
{ gnp_head long; printf '  selector: "%s"\n' "$sel"; } >"$f"
rejected "selector of 1025 characters" "$f" "$f:6:13:" "the limit is 1024"
ports=$(awk 'BEGIN { for (i = 1; i <= 51; i++) printf "%s%d", (i > 1 ? ", " : ""), 1000 + i }')
{ gnp_head many; printf '  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [%s]\n' "$ports"; } >"$f"
rejected "51 ports" "$f" "$f:10:" "51 entries, the limit is 50"
{ printf '# the same name as 20-policy.yaml\n'; gnp_head edge; printf '  order: 1\n'; } >"$f"
rejected "duplicate names across files" "$f" "$f:2:1:" "already defined at $RES/20-policy.yaml"
rm -f "$f"
{ gnp_head edge; printf "  selector: role == 'edge'\n  ingress:\n  - {action: Allow, protocol: TCP, destination: {ports: [8055, 8056]}}\n  ingress:\n  - {action: Allow}\n"; } >"$RES/20-policy.yaml"
rejected "duplicate keys, in the file being edited" "$RES/20-policy.yaml" "$RES/20-policy.yaml:9:3:" "duplicate key 'ingress' in mapping (first at line 7, column 3)"
v4 expect_block "after the bad resources: 8056 still blocked" tcp_ok lan dut:eth0 8056
v4 expect_pass "after the bad resources: 8055 still allowed" tcp_ok lan dut:eth0 8055
restore

# ---------------------------------------------------------------------------------------------
phase "B hostile hepd.conf and UCI files"
{ cat "$T/hepd.conf.good"; printf '[global]\nLogPrefix = '; repeat 1000000 a; echo; } >"$CONF"
line=$(grep -c '' "$T/hepd.conf.good"); line=$((line + 2))
rejected "INI value of 1 MB" "$CONF" "$CONF:$line:" "line $line is too long (1000012 bytes; the limit is 4096)"
cp "$T/hepd.conf.good" "$CONF"
printf "config hepd 'main'\n\toption enabled '1\n\toption mode 'audit'\n" >"$T/hepd.uci"
rejected "UCI unterminated quote" "$T/hepd.uci" "$T/hepd.uci:3:" "unterminated"
printf "config hepd 'main'\n\toption colour 'blue'\n" >"$T/hepd.uci"
rejected "UCI unknown option (uci: provenance)" "$T/hepd.uci" "$T/hepd.uci:2:2:" "uci:main: unknown option 'colour'"
v4 expect_block "after the bad configuration files: 8056 still blocked" tcp_ok lan dut:eth0 8056
v4 expect_pass "after the bad configuration files: 8055 still allowed" tcp_ok lan dut:eth0 8055
restore
settle
rc=$(status_rc)
[ "$rc" = 0 ] && _pass "$_phase: good files again: status exits 0" || _fail "$_phase: good files again: status exit $rc"

# ---------------------------------------------------------------------------------------------
phase "C hostile control-socket clients"
sock=$T/run/hepd.sock
ask() { printf '%s' "$1" | timeout 5 ip netns exec "$(nsname dut)" socat -t 3 - "UNIX-CONNECT:$sock" 2>&1 | head -c 300; }
out=$(ask $'\x01\x02garbage\xff\n')
[[ $out == "ERR 22 "* ]] && _pass "$_phase: garbage gets ERR 22" || _fail "$_phase: garbage: '$out'"
out=$(ask "$(repeat 5000 x)")
[[ $out == "ERR 90 "* ]] && _pass "$_phase: a request of 5000 bytes gets ERR 90" || _fail "$_phase: oversized: '$out'"
out=$(ask $'frobnicate\n')
[[ $out == "ERR 22 "* ]] && _pass "$_phase: an unknown verb gets ERR 22" || _fail "$_phase: unknown verb: '$out'"
# A client that sends half a request and stalls: the daemon answers others meanwhile.
( printf 'stat'; sleep 8 ) | ip netns exec "$(nsname dut)" socat -t 10 - "UNIX-CONNECT:$sock" >"$T/stalled.out" 2>&1 &
stalled=$!
sleep 0.2
out=$(ask $'ping\n')
[[ $out == OK* ]] && _pass "$_phase: the daemon answers while a client stalls" || _fail "$_phase: ping during a stall: '$out'"
# A non-root peer: the socket is made reachable for the test (it is 0600 in a 0700 directory).
chmod 755 "$T" "$T/run"; chmod 666 "$sock"
# (The refusal comes at accept time, before any request: the client only reads.)
out=$(timeout 5 ip netns exec "$(nsname dut)" setpriv --reuid=65534 --regid=65534 --clear-groups socat -t 3 -u "UNIX-CONNECT:$sock" - 2>&1 | head -c 200)
chmod 700 "$T/run"; chmod 600 "$sock"
[[ $out == "ERR 13 "* ]] && _pass "$_phase: a non-root peer gets ERR 13 permission denied" || _fail "$_phase: non-root peer: '$out'"
grep -qE "control: refused pid [0-9]+ uid 65534" "$T/hepd.log" && _pass "$_phase: the refusal is logged with the peer's pid and uid" ||
    _fail "$_phase: the refusal is logged with the peer: $(grep control: "$T/hepd.log" | tail -3)"
wait "$stalled" 2>/dev/null
[[ $(cat "$T/stalled.out") == "ERR 110 "* || ! -s "$T/stalled.out" ]] && _pass "$_phase: the stalled client was timed out" ||
    _fail "$_phase: the stalled client: $(head -c 200 "$T/stalled.out")"
rc=$(status_rc)
[ "$rc" = 0 ] && _pass "$_phase: status still answers, exit 0" || _fail "$_phase: status exit $rc"

# ---------------------------------------------------------------------------------------------
phase "D memory"
rss1=$(rss)
say "RSS before the bad inputs ${rss0} KiB, after ${n_cases} of them and the socket clients ${rss1} KiB"
[ "$rss1" -le $((rss0 + 16384)) ] && _pass "$_phase: RSS grew by less than 16 MiB over $n_cases rejected inputs" ||
    _fail "$_phase: RSS grew from $rss0 to $rss1 KiB"
_kernel_equals_print dut

finish
