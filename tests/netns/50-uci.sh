#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 50-uci: the OpenWrt path end to end. The whole policy is in a UCI file written byte for byte
# as `uci commit` writes it (libuci's uci_export: a blank line before every section, the type
# bare and a named section's name in single quotes, `option`/`list` values in single quotes
# with '\'' for a quote inside, anonymous `config rule` sections, a final blank line; written to
# a hidden temp file beside it, .NAME.uci-XXXXXX, and renamed over it). `hepd run` in the DUT
# namespace reads it through hepd.conf's uci_config, with no YAML at all, and the init script's
# map of logical networks (STATE_DIR/networks) for `option network`. Then: an edit that adds a
# rule and `hepd reload`; an edit picked up by the daemon alone (inotify, no command); an
# invalid edit, rejected whole with its uci: provenance and line while the old rules stay; the
# fix. Each state is proved with TCP, UDP and ICMP over IPv4 and IPv6, and the kernel's hepd
# chains and sets are compared with `hepd print` of the same file after each accepted apply.
#
#   +-----+ eth0 .2   link 1   .1 eth0 +-----+ eth1 .1   link 2   .2 eth0 +-----+
#   | lan |----------------------------| dut |----------------------------| far |
#   +-----+                            +-----+                            +-----+
#     host_endpoint 'wan': option network 'wan' -> eth0 (the map), labels role=wan
#     host_endpoint 'lan': option interface 'eth1', role=lan, selected by no policy
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  lan -> dut via eth0: filter INPUT -> hepd-INPUT -> hepd-from-host-endpoint -> hepd-fh-eth0:
#    ESTABLISHED accept; INVALID drop; hepd-failsafe-in (the UCI list failsafe_in: tcp:2222
#    only, which replaces Calico's default list, so tcp 22 is not a failsafe here; ICMPv6 ND is
#    hepd's own failsafe); tier default: policy wan-in (order 100) ingress rules in section
#    order -> Allow = accept; otherwise end-of-tier drop.
#  dut -> lan out eth0: hepd-th-eth0: ESTABLISHED; failsafe-out (udp:53 from UCI); policy
#    wan-out egress rules; otherwise end-of-tier drop. Replies ride on ESTABLISHED both ways.
#  far -> dut via eth1: hepd-fh-eth1: failsafe tcp 2222 accepts; no policy selects role=lan,
#    so Calico's rule for an endpoint without policy drops the rest.
#  ICMP: `proto 'icmp'` is IPv4 only and `proto 'icmpv6'` IPv6 only (SEMANTICS 2.9), so each
#    ping is allowed by its own rule.
set -u
export HEPDT_DAEMON=1
# Phases A and D queue about 30 probes; one batch each.
PROBE_JOBS=${PROBE_JOBS:-32}
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
EOF
listen_tcp dut 22 2222 8055 8056 8057 8058 8059 8071
listen_udp dut 5000 5001
listen_tcp lan 9000 9001

UCI=$T/config/hepd
mkdir -p "$T/config" "$T/run" && chmod 700 "$T/run"
# What the init script writes for `option network 'wan'` (NAME DEVICE per line).
echo "wan eth0" >"$T/run/networks"
conf <<EOF
uci_config = $UCI
EOF

# uci_commit: writes $UCI from a description on stdin, as `uci commit` does. One statement a
# line: `config TYPE [NAME]`, `option NAME VALUE`, `list NAME VALUE` (VALUE is the rest of the
# line, taken literally). The text goes to a hidden temp file in the same directory, gets the
# old file's mode, and is renamed over the old file.
uci_esc() { local s=$1 q="'"; printf '%s' "${s//$q/$q\\$q$q}"; }
uci_commit() {
    local dir=${UCI%/*} base=${UCI##*/} tmp kw name value
    tmp=$(mktemp "$dir/.$base.uci-XXXXXX") || bail "mktemp in $dir"
    while read -r kw name value; do
        case $kw in
        config)
            printf '\nconfig %s' "$(uci_esc "$name")"
            [ -z "$value" ] || printf " '%s'" "$(uci_esc "$value")"
            printf '\n' ;;
        option | list) printf "\t%s %s '%s'\n" "$kw" "$(uci_esc "$name")" "$(uci_esc "$value")" ;;
        '') ;;
        *) bail "uci_commit: '$kw'" ;;
        esac
    done >"$tmp"
    printf '\n' >>"$tmp"
    if [ -e "$UCI" ]; then chmod --reference="$UCI" "$tmp"; else chmod 0644 "$tmp"; fi
    mv -f "$tmp" "$UCI"
}

# The configuration as sections; each phase commits a variant of it.
main_sections() {
    cat <<'EOF'
config hepd main
option enabled 1
list failsafe_in tcp:2222
list failsafe_out udp:53
config host_endpoint wan
option network wan
list label role=wan
list label zone=edge
config host_endpoint lan
option interface eth1
list label role=lan
config net_set trusted
option name trusted-hosts
list label trusted=yes
list net 198.18.9.9/32
list net 2001:db8:9::9/128
config policy wan_in
option name wan-in
option order 100
option selector role == 'wan' && zone in {'edge', 'core'}
list types ingress
config rule
option policy wan-in
option direction ingress
option action allow
option proto tcp
list dst_port 8055
list dst_port 8070-8071
option comment web, and the router's spare
config rule
option policy wan-in
option direction ingress
option action ACCEPT
option proto icmp
option icmp_type 8
config rule
option policy wan-in
option direction in
option action allow
option proto icmpv6
option icmp_type 128
config rule
option policy wan-in
option direction ingress
option action allow
option proto tcp
option dst_port 8058
option src_selector trusted == 'yes'
EOF
}
udp_rule() {
    cat <<'EOF'
config rule
option policy wan-in
option direction ingress
option action allow
option proto udp
option dst_port 5000
EOF
}
rule_8057() {  # rule_8057 ENABLED
    printf 'config rule\noption enabled %s\noption policy wan-in\noption direction ingress\n' "$1"
    printf 'option action allow\noption proto tcp\noption dst_port 8057\n'
}
egress_sections() {
    cat <<'EOF'
config policy wan_out
option name wan-out
option order 200
option selector role == 'wan'
list types egress
config rule
option policy wan-out
option direction egress
option action allow
option proto tcp
option dst_port 9000
EOF
}
trusted_lan() {  # lan's addresses join the network set
    cat <<'EOF'
config net_set trusted2
option name trusted-lan
list label trusted=yes
list net 198.18.1.2/32
list net 2001:db8:1::2/128
EOF
}
rule_8056() {
    cat <<'EOF'
config rule
option policy wan-in
option direction ingress
option action allow
option proto tcp
option dst_port 8056
option comment the operator's new rule
EOF
}
rule_8059() {
    printf 'config rule\noption policy wan-in\noption direction ingress\noption action allow\n'
    printf 'option proto tcp\noption dst_port 8059\n'
}

status_rc() { nsx dut "$HEPD" status -c "$CONF" >"$T/status.out" 2>&1; echo $?; }
wait_for() {  # wait_for SECONDS CMD...: polls CMD every 50 ms
    local end=$((SECONDS + $1))
    shift
    while ! "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}
has_dport() {  # has_dport PORT: both families of dut's filter table have a rule for tcp PORT
    nsx dut iptables-legacy-save -t filter | grep -qE -- "--dports? $1 " &&
        nsx dut ip6tables-legacy-save -t filter | grep -qE -- "--dports? $1 "
}
# The basic probes of every phase: what the original policy allows and blocks, unchanged by
# every later edit.
base_probes() {
    both expect_pass "wan-in allows tcp 8055 (first list dst_port)" tcp_ok lan dut:eth0 8055
    both expect_pass "wan-in allows tcp 8071 (fw3-style range 8070-8071)" tcp_ok lan dut:eth0 8071
    both expect_pass "failsafe_in 'tcp:2222' from config hepd 'main'" tcp_ok lan dut:eth0 2222
    both expect_block "failsafe_in replaced Calico's list: tcp 22 is no failsafe" tcp_ok lan dut:eth0 22
    v4 expect_pass "rule proto icmp icmp_type 8 (action 'ACCEPT', fw3's word)" ping_ok lan dut:eth0
    v6 expect_pass "rule proto icmpv6 icmp_type 128 (direction 'in')" ping_ok lan dut:eth0
    both expect_pass "wan-out allows tcp 9000 out" tcp_ok dut lan:eth0 9000
    both expect_block "wan-out: no rule for 9001, end of tier" tcp_ok dut lan:eth0 9001
    both expect_pass "eth1 (role=lan): failsafe tcp 2222" tcp_ok far dut:eth1 2222
    both expect_block "eth1 (role=lan): no policy selects it, dropped" tcp_ok far dut:eth1 8055
}
# A few of them, for the phases whose point is elsewhere.
some_base_probes() {
    both expect_pass "wan-in allows tcp 8055" tcp_ok lan dut:eth0 8055
    v4 expect_pass "rule proto icmp" ping_ok lan dut:eth0
    v6 expect_pass "rule proto icmpv6" ping_ok lan dut:eth0
    both expect_block "wan-out: no rule for 9001" tcp_ok dut lan:eth0 9001
}

# ---------------------------------------------------------------------------------------------
phase "A uci commit, hepd run"
{ main_sections; udp_rule; rule_8057 0; egress_sections; } | uci_commit
# The writer above against a literal excerpt of what libuci writes: the file starts with a blank
# line, the selector's quotes are '\'' escapes, a list is one line per value, a final blank line.
check "the UCI file has uci commit's layout" cmp <(head -c 1 "$UCI") <(printf '\n')
check "... named sections quoted, anonymous bare, '\\'' for a quote" grep -qxF \
    "	option selector 'role == '\\''wan'\\'' && zone in {'\\''edge'\\'', '\\''core'\\''}'" "$UCI"
cat >"$T/expect.uci" <<'EOF'

config hepd 'main'
	option enabled '1'
	list failsafe_in 'tcp:2222'
	list failsafe_out 'udp:53'

config host_endpoint 'wan'
	option network 'wan'
	list label 'role=wan'
	list label 'zone=edge'

EOF
check "... byte for byte (first sections)" cmp "$T/expect.uci" <(head -c "$(wc -c <"$T/expect.uci")" "$UCI")
check "... ends with a blank line after the last section" cmp <(tail -c 3 "$UCI") <(printf "'\n\n")
check "... no temp file left behind" bash -c "[ -z \"\$(ls -A '$T/config' | grep -v '^hepd\$')\" ]"
check "hepd check accepts the UCI file" "$HEPD" check -c "$CONF"
load_rules dut
base_probes
both expect_block "wan-in: no rule for 8056, end of tier" tcp_ok lan dut:eth0 8056
both expect_block "the 8057 rule has option enabled '0'" tcp_ok lan dut:eth0 8057
both expect_block "8058 only from trusted=yes sets, which lack lan" tcp_ok lan dut:eth0 8058
both expect_pass "rule proto udp dst_port 5000" udp_ok lan dut:eth0 5000
both expect_block "no rule for udp 5001" udp_ok lan dut:eth0 5001
settle
rc=$(status_rc)
[ "$rc" = 0 ] && _pass "$_phase: hepd status exits 0 (enforcing)" ||
    _fail "$_phase: hepd status exit $rc: $(head -c 300 "$T/status.out")"
grep -q 'wan-in' "$T/status.out" && _pass "$_phase: status lists the UCI policy wan-in" ||
    _fail "$_phase: status lists the UCI policy wan-in: $(head -c 600 "$T/status.out")"

# ---------------------------------------------------------------------------------------------
phase "B uci commit adds a rule and a set, hepd reload"
{ main_sections; rule_8056; udp_rule; rule_8057 0; egress_sections; trusted_lan; } | uci_commit
check "the comment's quote is written as '\\''" grep -qxF "	option comment 'the operator'\\''s new rule'" "$UCI"
load_rules dut  # hepd reload (exit 0), then the kernel against hepd print
some_base_probes
both expect_pass "the new rule allows 8056" tcp_ok lan dut:eth0 8056
both expect_pass "lan is in net_set trusted2 (trusted=yes) now: 8058" tcp_ok lan dut:eth0 8058
both expect_block "8057 still disabled" tcp_ok lan dut:eth0 8057
both expect_pass "udp 5000 still allowed" udp_ok lan dut:eth0 5000

# ---------------------------------------------------------------------------------------------
phase "C uci commit alone (inotify, no hepd reload)"
{ main_sections; rule_8056; rule_8057 1; egress_sections; trusted_lan; } | uci_commit
if wait_for 5 has_dport 8057; then
    _pass "$_phase: the daemon applied the renamed file by itself"
else
    _fail "$_phase: the daemon applied the renamed file by itself (no rule for 8057 after 5 s)"
fi
settle
_kernel_equals_print dut
flush_neigh
some_base_probes
both expect_pass "the rule for 8057 is enabled now" tcp_ok lan dut:eth0 8057
both expect_block "the udp rule was deleted" udp_ok lan dut:eth0 5000
both expect_pass "8056 still allowed" tcp_ok lan dut:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "D an invalid uci commit is rejected, the old rules stay"
{
    main_sections; rule_8056; rule_8057 1; rule_8059
    printf 'config rule\noption policy wan-in\noption direction ingress\noption action allw\n'
    egress_sections; trusted_lan
} | uci_commit
bad_line=$(grep -n "^	option action 'allw'\$" "$UCI" | cut -d: -f1)
# libuci's name for the bad section: @rule[N], N counting the rule sections before it from 0.
bad_ref="uci:@rule[$(($(head -n "$bad_line" "$UCI" | grep -c '^config rule$') - 1))]"
out=$(nsx dut "$HEPD" reload -c "$CONF" 2>&1)
rc=$?
if [ "$rc" = 1 ] && [[ $out == *"$UCI:$bad_line:"*": error: $bad_ref: action: 'allw'"* ]]; then
    _pass "$_phase: hepd reload exits 1 with $UCI:$bad_line and $bad_ref"
else
    _fail "$_phase: hepd reload exits 1 with $UCI:$bad_line and $bad_ref (exit $rc: $out)"
fi
rc=$(status_rc)
[ "$rc" = 1 ] && _pass "$_phase: hepd status exits 1 (degraded)" || _fail "$_phase: hepd status exit $rc, want 1"
grep -qF "$bad_line" "$T/status.out" && grep -qF "$bad_ref" "$T/status.out" &&
    _pass "$_phase: status shows the rejection with its line and $bad_ref" ||
    _fail "$_phase: status shows the rejection: $(head -c 800 "$T/status.out")"
flush_neigh
base_probes
both expect_block "the rejected file's rule for 8059 is not applied" tcp_ok lan dut:eth0 8059
both expect_pass "old rules: 8057 still allowed" tcp_ok lan dut:eth0 8057
both expect_pass "old rules: 8058 still allowed" tcp_ok lan dut:eth0 8058
both expect_block "old rules: udp 5000 still blocked" udp_ok lan dut:eth0 5000

# ---------------------------------------------------------------------------------------------
phase "E the fix"
{ main_sections; rule_8056; rule_8057 1; rule_8059; egress_sections; trusted_lan; } | uci_commit
load_rules dut
rc=$(status_rc)
[ "$rc" = 0 ] && _pass "$_phase: hepd status exits 0 again" || _fail "$_phase: status exit $rc: $(head -c 400 "$T/status.out")"
some_base_probes
both expect_pass "8059 allowed now" tcp_ok lan dut:eth0 8059
both expect_pass "8057 still allowed" tcp_ok lan dut:eth0 8057

finish
