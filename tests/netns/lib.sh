# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# tests/netns/lib.sh: the real-packet harness for hepd. Sourced by tests/netns/NN-*.sh, never run.
#
# Reference topology. A scenario builds the part it needs with topo_up. Link N always carries
# 198.18.N.0/24 and 2001:db8:N::/64; the end named first gets .1 and ::1, the second .2 and ::2.
#
#   +------+ eth0 .2     link 10    .1 eth1 +-----+ eth2 .1    link 20     .2 eth0 +------+
#   | mgmt |--------------------------------| lan |--------------------------------| etcd |
#   +------+  (the "management subnet")     +-----+ router + a plain client        +------+
#                                              | eth0 .2
#                                              |            link 1
#                                              | eth0 .1    (the uplink hepd protects)
#   +------+ eth0 .2     link 3    .1 cali0 +-----+ eth1 .1     link 2     .2 eth0 +------+
#   |  wl  |--------------------------------| dut |--------------------------------| far  |
#   +------+  a "workload" (InterfacePrefix) +-----+ device under test; rules load  +------+
#                                                     here; forwards when asked
#
# Compact description read by topo_up (one item per line, '#' starts a comment):
#   link NS:IF NS:IF N     a veth pair created directly inside both namespaces, up, with link N's
#                          addresses (IPv6 with nodad; DAD is also off in every namespace)
#   addr NS:IF CIDR...     extra addresses
#   gateway NS VIA         routes 198.18.0.0/15 and 2001:db8::/32 in NS via VIA's end of their link
#   forward NS...          IPv4 and IPv6 forwarding on
# Namespaces come into being when first named. A scenario names them by their short name (dut,
# lan...); the kernel sees hepdt-<pid>-<name>. In probes, NS:IF stands for that interface's first
# address of the family chosen by the v4 / v6 / both prefix.
#
# Design goals, and how this file meets each:
# 1. Touch nothing outside the run's namespaces. Every namespace is hepdt-$$-NAME; every command
#    that changes state runs through `ip netns exec` / `ip -n`; addresses come only from
#    198.18.0.0/15 and 2001:db8::/32; netfilter is reached only through the -legacy tools inside a
#    namespace, with -w because the xtables lock file is shared with the host.
# 2. Always clean up. An EXIT trap (INT and TERM exit through it) kills the probe jobs we started
#    by pid, then every process left in each of our namespaces (`ip netns pids`), then deletes
#    the namespaces and the temp dir. cleanup is idempotent.
# 3. Fast. Probes give up after PROBE_TIMEOUT (1 s) and run concurrently, up to PROBE_JOBS at a
#    time; settle waits for them and prints the results in the order they were asked for.
#    Anything that changes state (load/reset rules, on, addr_*, phase, finish) settles first, so
#    a probe always sees the state that was in force where it appears in the script.
# 4. Outcomes are expectations from SEMANTICS.md, never read back from the implementation: each
#    check prints `ok - NAME` or `not ok - NAME: why`; NAME says who talks to whom, with what,
#    the expected verdict and the reason.
# 5. Debuggable. Setup steps are echoed as `# + ...` comment lines; the first failing check after
#    each load dumps the DUT's tables and sets (dump_state); a load failure prints the numbered
#    rules that failed; HEPDT_KEEP=1 keeps the temp dir (rules, resources, conf).

_here=$PWD
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case ${HEPD:-} in
'' | /*) ;;
*) if [ -e "$_here/$HEPD" ]; then HEPD=$_here/$HEPD; fi ;;
esac
cd "$_root" || exit 1
# ok, not_ok, _t_fail and HEPD=${HEPD:-build/hepd} come from the shared helpers.
# shellcheck source=tests/lib.sh
. tests/lib.sh

SCENARIO=$(basename "$0" .sh)
RUN=$$
PROBE_TIMEOUT=${PROBE_TIMEOUT:-1}
PROBE_JOBS=${PROBE_JOBS:-16}
_NSP=hepdt-$RUN-              # every namespace of this run starts with this
_t_pass=0
_t_start=$SECONDS
_phase=''
_NS=()                        # short names, in creation order
_LINKS=()                     # "A:IFA B:IFB N"
declare -A _A4=() _A6=()      # NS:IF -> first address of the family
_q_pids=() _q_want=() _q_name=() _q_file=() _q_cmd=() _q_own=()
_q_seq=0
_dump_ns=''                   # namespace to dump on the first failure after a load
_dumped=1
_cleaned=0

T=$(mktemp -d "/tmp/hepdt-$RUN.XXXXXX") || exit 1
CONF=$T/hepd.conf             # written by conf
RES=$T/res                    # resources: $RES/NAME.yaml, written by resource
mkdir -p "$RES" "$T/udp"

# ---------------------------------------------------------------------------------------------
# Reporting

say() { printf '# %s\n' "$*"; }
_pass() { ok "$1"; _t_pass=$((_t_pass + 1)); }
_fail() { not_ok "$1"; _maybe_dump; }

# bail MSG: a setup step failed; nothing after it can be trusted. Exits (cleanup runs).
bail() {
    not_ok "$SCENARIO: setup: $*"
    exit 1
}

# phase TEXT: starts a group of checks; TEXT prefixes their names.
phase() {
    settle
    _phase=$1
    say "=== $1"
}

# finish: settles, prints a summary, exits 0 when every check passed.
finish() {
    settle
    say "$SCENARIO: $_t_pass passed, $_t_fail failed, $((SECONDS - _t_start)) s"
    if [ "$_t_fail" != 0 ]; then exit 1; fi
    exit 0
}

# ---------------------------------------------------------------------------------------------
# Prerequisites and cleanup

_need_tools() {
    local t missing=''
    for t in ip socat nc ping ss timeout iptables-legacy-restore ip6tables-legacy-restore \
        iptables-legacy-save ip6tables-legacy-save ipset; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    if [ -n "$missing" ]; then
        not_ok "$SCENARIO: missing tools:$missing (Debian: iproute2 socat netcat-openbsd iputils-ping iptables ipset)"
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        not_ok "$SCENARIO: needs root (network namespaces)"
        exit 1
    fi
}

# require_hepd_print NAME: ends the scenario with one `not ok` unless `$HEPD print` renders rules.
# The stub answers `print --help` with its usage line (exit 0), so a real render is attempted
# too; the stub's signature is exit 2 with "not available in this build yet".
require_hepd_print() {
    local name=$1 out rc
    if [ ! -x "$HEPD" ] && ! command -v "$HEPD" >/dev/null 2>&1; then
        not_ok "$name: hepd print is not built yet ($HEPD not found; run make)"
        exit 1
    fi
    if ! "$HEPD" print --help >/dev/null 2>&1; then
        not_ok "$name: hepd print is not built yet"
        exit 1
    fi
    out=$("$HEPD" print -c /dev/null --only ipv4 --link lo 2>&1 </dev/null)
    rc=$?
    if [ "$rc" = 2 ] && [[ $out == *"not available in this build yet"* ]]; then
        not_ok "$name: hepd print is not built yet"
        exit 1
    fi
    return 0
}

cleanup() {
    trap '' INT TERM
    [ "$_cleaned" = 1 ] && return 0
    _cleaned=1
    local n left i
    for i in "${!_q_pids[@]}"; do
        [ "${_q_own[i]}" = "$BASHPID" ] && kill "${_q_pids[i]}" 2>/dev/null
    done
    for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$_NSP"); do
        ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
    done
    for i in 1 2 3 4 5 6 7 8 9 10; do
        left=0
        for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$_NSP"); do
            if [ -n "$(ip netns pids "$n" 2>/dev/null)" ]; then left=1; fi
        done
        [ "$left" = 0 ] && break
        sleep 0.1
        [ "$i" = 10 ] || continue
        for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$_NSP"); do
            ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
        done
    done
    for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$_NSP"); do
        ip netns del "$n" 2>/dev/null
    done
    if [ "${HEPDT_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Topology

nsname() { printf '%s%s' "$_NSP" "$1"; }

# nsx NS CMD...: runs CMD in NS (no echo; for queries).
nsx() {
    local n=$1
    shift
    ip netns exec "$_NSP$n" "$@"
}

# on NS CMD...: runs CMD in NS, echoed as `# + [NS] CMD`; stdin is passed on; a failure bails.
on() {
    settle
    local n=$1
    shift
    say "+ [$n] $*"
    ip netns exec "$_NSP$n" "$@" || bail "[$n] $* failed"
}

_has_ns() {
    local n
    for n in "${_NS[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

_ns_up() {
    local n=$1
    _has_ns "$n" && return 0
    case $n in
    '' | *[!a-z0-9]*) bail "namespace name '$n': use [a-z0-9]+" ;;
    esac
    ip netns add "$_NSP$n" || bail "ip netns add $_NSP$n"
    _NS+=("$n")
    ip -n "$_NSP$n" link set lo up
    # DAD off before any link exists, so link-local addresses are usable at once too; no RAs;
    # no reverse-path filtering, and deleting a primary IPv4 address keeps the secondaries of
    # its subnet (11-expected-ips moves addresses between interfaces).
    nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.default.promote_secondaries=1 >/dev/null ||
        bail "[$n] sysctl"
}

_split_ep() {  # _split_ep NS:IF -> sets _ep_ns and _ep_if
    case $1 in
    *:*) _ep_ns=${1%%:*} _ep_if=${1#*:} ;;
    *) bail "'$1' is not NS:IF" ;;
    esac
    case $_ep_if in
    ? | *[!A-Za-z0-9_.-]*) bail "interface '$_ep_if': 2-15 of [A-Za-z0-9_.-] (one letter reads as an ip keyword)" ;;
    esac
    [ "${#_ep_if}" -le 15 ] || bail "interface '$_ep_if' is longer than 15"
}

# addr_add NS:IF CIDR...: adds addresses (IPv6 with nodad); the first of each family becomes the
# NS:IF address used by probes if it had none.
addr_add() {
    settle
    say "+ [${1%%:*}] ip addr add ${*:2} dev ${1#*:}"
    _addr_add "$@"
}

_addr_add() {
    local ep=$1 a
    shift
    _split_ep "$ep"
    for a; do
        _check_test_addr "$a"
        case $a in
        *:*)
            ip -n "$_NSP$_ep_ns" -6 addr add "$a" dev "$_ep_if" nodad || bail "ip addr add $a on $ep"
            [ -n "${_A6[$ep]:-}" ] || _A6[$ep]=${a%/*}
            ;;
        *)
            ip -n "$_NSP$_ep_ns" addr add "$a" dev "$_ep_if" || bail "ip addr add $a on $ep"
            [ -n "${_A4[$ep]:-}" ] || _A4[$ep]=${a%/*}
            ;;
        esac
    done
}

# addr_del NS:IF CIDR...: removes addresses; NS:IF keeps pointing at its first address.
addr_del() {
    settle
    local ep=$1 a
    shift
    _split_ep "$ep"
    for a; do
        say "+ [$_ep_ns] ip addr del $a dev $_ep_if"
        ip -n "$_NSP$_ep_ns" addr del "$a" dev "$_ep_if" || bail "ip addr del $a on $ep"
    done
}

# Refuses anything outside 198.18.0.0/15 and 2001:db8::/32 (goal 1).
_check_test_addr() {
    case $1 in
    198.18.* | 198.19.*) ;;
    2001:db8:* | 2001:0db8:*) ;;
    *) bail "address $1 is outside 198.18.0.0/15 and 2001:db8::/32" ;;
    esac
}

_link() {  # _link A:IFA B:IFB N
    local a=$1 b=$2 n=$3 ans aif bns bif
    case $n in '' | *[!0-9]*) bail "link $a $b: subnet number '$n'" ;; esac
    if [ "$n" -lt 1 ] || [ "$n" -gt 255 ]; then bail "link $a $b: subnet number $n not in 1..255"; fi
    _split_ep "$a"; ans=$_ep_ns aif=$_ep_if
    _split_ep "$b"; bns=$_ep_ns bif=$_ep_if
    _ns_up "$ans"
    _ns_up "$bns"
    say "+ link $a <-> $b  198.18.$n.0/24 2001:db8:$n::/64"
    ip link add "$aif" netns "$_NSP$ans" type veth peer name "$bif" netns "$_NSP$bns" ||
        bail "veth $a <-> $b"
    ip -n "$_NSP$ans" link set "$aif" up || bail "link up $a"
    ip -n "$_NSP$bns" link set "$bif" up || bail "link up $b"
    _LINKS+=("$a $b $n")
    _addr_add "$a" "198.18.$n.1/24" "2001:db8:$n::1/64"
    _addr_add "$b" "198.18.$n.2/24" "2001:db8:$n::2/64"
}

_gateway() {  # _gateway NS VIA
    local n=$1 via=$2 l a b gw=''
    for l in "${_LINKS[@]}"; do
        read -r a b _ <<<"$l"
        if [ "${a%%:*}" = "$n" ] && [ "${b%%:*}" = "$via" ]; then gw=$b; fi
        if [ "${b%%:*}" = "$n" ] && [ "${a%%:*}" = "$via" ]; then gw=$a; fi
    done
    [ -n "$gw" ] || bail "gateway $n $via: no link between them"
    say "+ [$n] routes 198.18.0.0/15 and 2001:db8::/32 via $gw"
    ip -n "$_NSP$n" route add 198.18.0.0/15 via "${_A4[$gw]}" || bail "route in $n"
    ip -n "$_NSP$n" -6 route add 2001:db8::/32 via "${_A6[$gw]}" || bail "route6 in $n"
}

# shellcheck disable=SC2120 # DESC usually comes on stdin
# topo_up [DESC]: builds the topology described by DESC (or stdin); see the header.
topo_up() {
    _need_tools
    local desc line kw f
    local -a w
    if [ $# -gt 0 ]; then desc=$1; else desc=$(cat); fi
    while IFS= read -r line; do
        line=${line%%#*}
        read -r -a w <<<"$line"
        [ "${#w[@]}" -gt 0 ] || continue
        kw=${w[0]}
        case $kw in
        link) [ "${#w[@]}" = 4 ] || bail "topology: '$line': link NS:IF NS:IF N"
            _link "${w[1]}" "${w[2]}" "${w[3]}" ;;
        addr) [ "${#w[@]}" -ge 3 ] || bail "topology: '$line': addr NS:IF CIDR..."
            _split_ep "${w[1]}"; _ns_up "$_ep_ns"
            addr_add "${w[@]:1}" ;;
        gateway) [ "${#w[@]}" = 3 ] || bail "topology: '$line': gateway NS VIA"
            _gateway "${w[1]}" "${w[2]}" ;;
        forward) [ "${#w[@]}" -ge 2 ] || bail "topology: '$line': forward NS..."
            for f in "${w[@]:1}"; do
                _ns_up "$f"
                say "+ [$f] forwarding on"
                nsx "$f" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null ||
                    bail "[$f] forwarding"
            done ;;
        *) bail "topology: unknown item '$kw' in '$line'" ;;
        esac
    done <<<"$desc"
}

# flush_neigh: `ip -6 neigh flush all` in every namespace, so neighbour discovery really goes
# through freshly loaded rules instead of riding on a cached entry.
flush_neigh() {
    local n
    for n in "${_NS[@]}"; do ip -n "$_NSP$n" -6 neigh flush all >/dev/null 2>&1; done
}

# ---------------------------------------------------------------------------------------------
# Listeners

_wait_listen() {  # _wait_listen NS t|u PORT
    local i
    for i in $(seq 1 100); do
        if [ -n "$(nsx "$1" ss -Hln"$2" "sport = :$3" 2>/dev/null)" ]; then return 0; fi
        sleep 0.03
    done
    bail "[$1] nothing listens on $2 port $3"
}

# listen_tcp NS PORT...: dual-stack TCP listeners (accept, then close).
listen_tcp() {
    local n=$1 p
    shift
    say "+ [$n] listen tcp $*"
    for p; do
        ip netns exec "$_NSP$n" socat "TCP6-LISTEN:$p,ipv6only=0,fork,reuseaddr" SYSTEM:true \
            </dev/null >/dev/null 2>>"$T/listen.err" &
        disown
    done
    for p; do _wait_listen "$n" t "$p"; done
}

# listen_udp NS PORT...: dual-stack UDP receivers appending every datagram to $T/udp/NS.PORT.
listen_udp() {
    local n=$1 p
    shift
    say "+ [$n] listen udp $*"
    for p; do
        : >"$T/udp/$n.$p"
        ip netns exec "$_NSP$n" socat -u "UDP6-RECV:$p,ipv6only=0" "OPEN:$T/udp/$n.$p,creat,append" \
            </dev/null >/dev/null 2>>"$T/listen.err" &
        disown
    done
    for p; do _wait_listen "$n" u "$p"; done
}

# ---------------------------------------------------------------------------------------------
# Probes: PROBE NS ADDR [PORT]. Exit 0 = got through, 1 = blocked, 2 = the scenario is wrong
# (a TCP port answered with RST: nobody listens; or no UDP receiver at all). Diagnostics on
# stdout. udp_ok sends one datagram carrying a unique token and looks for it in every
# receiver's file for PROBE_TIMEOUT.

tcp_ok() {
    local out rc
    out=$(timeout $((PROBE_TIMEOUT + 2)) ip netns exec "$_NSP$1" \
        nc -v -z -n -w "$PROBE_TIMEOUT" "$2" "$3" 2>&1)
    rc=$?
    [ "$rc" = 0 ] && return 0
    printf '%s\n' "$out"
    case $out in *refused*) return 2 ;; esac
    return 1
}

udp_ok() {
    local tok="hepdt-$RUN-$BASHPID-$RANDOM$RANDOM" i dst
    # The token is looked for in every receiver's file, so a DNAT'd port finds its backend.
    if ! compgen -G "$T/udp/*.*" >/dev/null; then
        echo "no UDP receiver anywhere"
        return 2
    fi
    case $2 in *:*) dst="UDP6-SENDTO:[$2]:$3" ;; *) dst="UDP4-SENDTO:$2:$3" ;; esac
    printf '%s\n' "$tok" | timeout $((PROBE_TIMEOUT + 2)) ip netns exec "$_NSP$1" socat -u - "$dst" 2>&1
    for ((i = 0; i < PROBE_TIMEOUT * 20; i++)); do
        if grep -qsF -- "$tok" "$T"/udp/*.*; then return 0; fi
        sleep 0.05
    done
    echo "token $tok not received"
    return 1
}

ping_ok() {
    local fam=-4
    case $2 in *:*) fam=-6 ;; esac
    timeout $((PROBE_TIMEOUT + 2)) ip netns exec "$_NSP$1" \
        ping "$fam" -n -q -c 1 -W "$PROBE_TIMEOUT" "$2" >/dev/null 2>&1 && return 0
    echo "no echo reply"
    return 1
}

# ---------------------------------------------------------------------------------------------
# Checks

# expect_pass WHY PROBE NS DST [PORT] / expect_block ...: queues a probe. DST is an address, or
# NS:IF under a family prefix (v4 / v6 / both). The check is named
#   "PHASE: NS -> DST PROTO/PORT passes|blocked [vF]: WHY".
expect_pass() { _expect pass "$@"; }
expect_block() { _expect block "$@"; }

# v4 / v6 / both CHECK...: run CHECK with NS:IF resolved to that family's address.
v4() { _FAM=4 "$@"; }
v6() { _FAM=6 "$@"; }
both() {
    _FAM=4 "$@"
    _FAM=6 "$@"
}

_expect() {
    local want=$1 why=$2 probe=$3 src=$4 dst=$5 port=${6:-} fam=${_FAM:-} addr label verdict
    [ "$#" -ge 5 ] || bail "expect_$want WHY PROBE NS DST [PORT]: got '$*'"
    _has_ns "$src" || bail "expect_$want: unknown namespace '$src'"
    addr=$dst
    if [[ $dst =~ ^[a-z0-9]+:[A-Za-z0-9_.-]+$ ]] && _has_ns "${dst%%:*}"; then
        case $fam in
        4) addr=${_A4[$dst]:-} ;;
        6) addr=${_A6[$dst]:-} ;;
        *) bail "expect_$want '$why': $dst needs a family; prefix the check with v4, v6 or both" ;;
        esac
        [ -n "$addr" ] || bail "expect_$want: $dst has no IPv$fam address"
    fi
    case $probe in
    tcp_ok) label="tcp/$port" ;;
    udp_ok) label="udp/$port" ;;
    ping_ok) label=ping ;;
    *) label=$probe ;;
    esac
    if [ "$want" = pass ]; then verdict=passes; else verdict=blocked; fi
    local name="${_phase:+$_phase: }$src -> $dst $label $verdict${fam:+ [v$fam]}: $why"
    local f=$T/probe.$((++_q_seq))
    (
        "$probe" "$src" "$addr" ${port:+"$port"} >"$f.out" 2>&1
        echo $? >"$f.rc"
    ) &
    _q_pids+=("$!")
    _q_want+=("$want")
    _q_name+=("$name")
    _q_file+=("$f")
    _q_cmd+=("$probe $src $addr${port:+ $port}")
    _q_own+=("$BASHPID")
    if [ "${#_q_pids[@]}" -ge "$PROBE_JOBS" ]; then settle; fi
}

# settle: waits for the queued probes and prints their results in order. A subshell (say, a
# $(...) around a harness call) leaves the probes its parent queued to the parent.
settle() {
    [ "${#_q_pids[@]}" = 0 ] && return 0
    local i rc out
    for i in "${!_q_pids[@]}"; do
        [ "${_q_own[i]}" = "$BASHPID" ] && wait "${_q_pids[i]}" 2>/dev/null
    done
    for i in "${!_q_pids[@]}"; do
        [ "${_q_own[i]}" = "$BASHPID" ] || continue
        rc=$(cat "${_q_file[i]}.rc" 2>/dev/null) || rc=3
        out=$(tr '\n' ' ' <"${_q_file[i]}.out" 2>/dev/null | head -c 300)
        case ${_q_want[i]}:$rc in
        pass:0 | block:1) _pass "${_q_name[i]}" ;;
        pass:1) _fail "${_q_name[i]}: expected to pass, was blocked (${_q_cmd[i]}: ${out% })" ;;
        block:0) _fail "${_q_name[i]}: expected to be blocked, got through (${_q_cmd[i]})" ;;
        *) _fail "${_q_name[i]}: probe error $rc, fix the scenario (${_q_cmd[i]}: ${out% })" ;;
        esac
        rm -f "${_q_file[i]}.rc" "${_q_file[i]}.out"
    done
    _q_pids=() _q_want=() _q_name=() _q_file=() _q_cmd=() _q_own=()
}

# check NAME CMD...: a plain check on the exit status of CMD (for non-packet facts).
check() {
    settle
    local name=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then
        _pass "${_phase:+$_phase: }$name"
    else
        _fail "${_phase:+$_phase: }$name: $(tr '\n' ' ' <"$T/check.out" | head -c 300)"
    fi
}

# ---------------------------------------------------------------------------------------------
# hepd configuration, resources and rules

# conf: writes $CONF from stdin (the [global] section, and any other), after a [hepd] section
# naming the DUT `dut` and pointing resource_dir at $RES.
conf() {
    settle
    {
        printf '[hepd]\nnode = dut\nresource_dir = %s\n' "$RES"
        # Daemon mode: the control socket and state live in this run's temp dir.
        if [ -n "${HEPDT_DAEMON:-}" ]; then printf 'socket = %s\nstate_dir = %s\n' "$T/run/hepd.sock" "$T/run"; fi
        printf '\n'
        cat
    } >"$CONF"
}

# resource NAME: writes $RES/NAME.yaml from stdin. drop_resource NAME: removes it.
resource() { cat >"$RES/$1.yaml"; }
drop_resource() { rm -f "$RES/$1.yaml"; }

# link_args NS: prints `--link IF[=IP,...]` for every interface of NS with its addresses
# (link-local IPv6 left out), one argument per line, in the form hepd print takes offline.
link_args() {
    local ifs i addrs
    ifs=$(ip -n "$_NSP$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
    for i in $ifs; do
        addrs=$(ip -n "$_NSP$1" -o addr show dev "$i" |
            awk '$3 == "inet" || $3 == "inet6" { sub(/\/.*/, "", $4); if ($4 !~ /^fe80:/) print $4 }' |
            paste -sd, -)
        printf -- '--link\n%s\n' "$i${addrs:+=$addrs}"
    done
}

_show_numbered() {  # _show_numbered FILE: the file as numbered comment lines
    awk '{ printf "#   %4d | %s\n", NR, $0 }' "$1"
}

# load_rules NS: renders with `$HEPD print -c $CONF --only ipset|ipv4|ipv6 --link ... $RES/*.yaml`
# and loads each part into NS, sets first (the tables refer to them); then flushes the IPv6
# neighbour caches everywhere. Any failure prints the rules and bails.
load_rules() {
    if [ -n "${HEPDT_DAEMON:-}" ]; then _daemon_load "$@"; return; fi
    settle
    local n=$1 part out rc cmd
    local -a links res
    mapfile -t links < <(link_args "$n")
    res=()
    for part in "$RES"/*.yaml; do [ -e "$part" ] && res+=("$part"); done
    for part in ipset ipv4 ipv6; do
        out=$T/rules.$part
        "$HEPD" print -c "$CONF" --only "$part" "${links[@]}" "${res[@]}" >"$out" 2>"$out.err"
        rc=$?
        if [ "$rc" != 0 ]; then
            say "$HEPD print -c $CONF --only $part ${links[*]} ${res[*]}"
            sed 's/^/#   stderr: /' "$out.err"
            bail "hepd print --only $part exited $rc"
        fi
        case $part in
        ipset) cmd=(ipset restore) ;;
        ipv4) cmd=(iptables-legacy-restore -w 5 --noflush) ;;
        ipv6) cmd=(ip6tables-legacy-restore -w 5 --noflush) ;;
        esac
        if [ -s "$out" ] && ! nsx "$n" "${cmd[@]}" <"$out" >"$out.load" 2>&1; then
            say "${cmd[*]} in $n failed:"
            sed 's/^/#   /' "$out.load"
            say "the $part text that failed:"
            _show_numbered "$out"
            bail "loading hepd's $part rules into $n failed"
        fi
    done
    flush_neigh
    dump_on_failure "$n"
    _pass "${_phase:+$_phase: }hepd's rules load into $n ($(grep -c . "$T/rules.ipset") ipset, $(grep -c '^-' "$T/rules.ipv4") IPv4, $(grep -c '^-' "$T/rules.ipv6") IPv6 rules)"
}

# reset_rules NS: removes, inside NS only, every rule in a non-hepd chain that jumps to a hepd-
# chain or carries a hepd comment, then every hepd- chain (all tables, both families), then every
# set whose name starts with hepd. Rules the scenario added itself stay.
reset_rules() {
    settle
    local n=$1 fam save script s i
    for fam in iptables ip6tables; do
        save=$(nsx "$n" "$fam-legacy-save") || bail "[$n] $fam-legacy-save"
        script=$(awk '
            /^\*/ { tbl = $0; nd = 0; nc = 0; next }
            /^:hepd-/ { c[++nc] = substr($1, 2); next }
            /^-A / && $2 !~ /^hepd-/ && ($0 ~ / -[jg] hepd-/ || $0 ~ /--comment "?hepd/) {
                d[++nd] = "-D" substr($0, 3); next }
            /^COMMIT/ {
                if (nd + nc == 0) next
                print tbl
                for (i = 1; i <= nd; i++) print d[i]
                for (i = 1; i <= nc; i++) print "-F " c[i]
                for (i = 1; i <= nc; i++) print "-X " c[i]
                print "COMMIT"
            }' <<<"$save")
        [ -n "$script" ] || continue
        if ! nsx "$n" "$fam-legacy-restore" -w 5 --noflush <<<"$script" >"$T/reset.out" 2>&1; then
            sed 's/^/#   /' "$T/reset.out"
            printf '%s\n' "$script" | awk '{ printf "#   %4d | %s\n", NR, $0 }'
            bail "[$n] removing hepd's $fam rules failed"
        fi
    done
    for i in 1 2 3; do  # sets may refer to sets (list:set): destroy until none is left
        for s in $(nsx "$n" ipset list -n 2>/dev/null | grep '^hepd'); do
            nsx "$n" ipset destroy "$s" 2>/dev/null
        done
    done
    s=$(nsx "$n" ipset list -n 2>/dev/null | grep '^hepd')
    [ -z "$s" ] || bail "[$n] hepd sets left after reset: $s"
    say "+ [$n] hepd's chains, jumps and sets removed"
}

# reload_rules NS: reset_rules, then load_rules (the way a changed resource reaches the kernel).
reload_rules() {
    if [ -n "${HEPDT_DAEMON:-}" ]; then load_rules "$1"; return; fi
    reset_rules "$1"
    load_rules "$1"
}

# ---------------------------------------------------------------------------------------------
# Daemon mode (HEPDT_DAEMON=1): the same scenarios against a running `hepd run` instead of
# `hepd print` + restore. The first load_rules starts the daemon inside the namespace (it reads
# the interfaces itself, through netlink); later loads ask it to `hepd reload`. After each one,
# what the kernel holds of hepd's chains and sets must equal `hepd print` for the same input.

_daemon_ns=""

_daemon_load() {
    settle
    local n=$1 out
    if [ "$_daemon_ns" != "$n" ]; then
        mkdir -p "$T/run" && chmod 700 "$T/run"
        say "+ [$n] $HEPD run -c $CONF --stderr"
        nsx "$n" "$HEPD" run -c "$CONF" --stderr >>"$T/hepd.log" 2>&1 &
        local _
        for _ in $(seq 1 100); do [ -S "$T/run/hepd.sock" ] && break; sleep 0.05; done
        [ -S "$T/run/hepd.sock" ] || { sed 's/^/#   /' "$T/hepd.log"; bail "hepd run did not come up in $n"; }
        _daemon_ns=$n
        # The first apply happens before the socket opens; nothing more to wait for.
    else
        out=$(nsx "$n" "$HEPD" reload -c "$CONF" 2>&1) || {
            printf '%s\n' "$out" | sed 's/^/#   /'
            sed 's/^/#   log: /' "$T/hepd.log" | tail -20
            bail "hepd reload in $n failed"
        }
    fi
    flush_neigh
    dump_on_failure "$n"
    _kernel_equals_print "$n"
}

# _kernel_equals_print NS: iptables-legacy-save/ip6tables-legacy-save of each table and `ipset
# save` of hepd's sets, normalised, against `hepd print` of the same configuration and links.
_kernel_equals_print() {
    local n=$1 fam part table want got save res=() links=() same=1
    mapfile -t links < <(link_args "$n")
    for part in "$RES"/*.yaml; do [ -e "$part" ] && res+=("$part"); done
    for fam in 4 6; do
        save=iptables-legacy-save; [ $fam = 6 ] && save=ip6tables-legacy-save
        part=$("$HEPD" print -c "$CONF" --only ipv$fam "${links[@]}" "${res[@]}" 2>&1) || bail "hepd print: $part"
        [ -z "$part" ] && continue
        for table in raw mangle filter; do
            want=$(printf '%s\n' "$part" | awk -v t="*$table" '$0==t{p=1} p{print} p&&/^COMMIT/{exit}' |
                sed 's/^-I \([A-Z]*\) 1 /-A \1 /')
            [ -z "$want" ] && continue
            got=$(nsx "$n" $save -t "$table" | grep -v '^#' | grep -v '^:[A-Z]' |
                awk '/^-A [A-Z]/ && !/ -[jg] hepd-/ {next} {print}')
            if [ "$want" != "$got" ]; then
                same=0
                _fail "${_phase:+$_phase: }kernel IPv$fam $table equals hepd print
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 | sed 's/^/#   /')"
            fi
        done
    done
    want=$("$HEPD" print -c "$CONF" --only ipset "${links[@]}" "${res[@]}" | sort)
    got=$(nsx "$n" ipset save | awk '$2 ~ /^hepd/' | sed -E 's/^(create [^ ]+ [^ ]+ family [^ ]+).*/\1/' | sort)
    if [ "$want" != "$got" ]; then
        same=0
        _fail "${_phase:+$_phase: }kernel ipsets equal hepd print
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 | sed 's/^/#   /')"
    fi
    [ $same = 1 ] && _pass "${_phase:+$_phase: }hepd run/reload in $n: kernel tables and sets equal hepd print"
}

# dump_state NS: the namespace's tables with counters, its sets and addresses, as comment lines.
dump_state() {
    local n=$1
    say "---- state of $n ($_phase) ----"
    {
        nsx "$n" iptables-legacy-save -c
        nsx "$n" ip6tables-legacy-save -c
        nsx "$n" ipset list
        nsx "$n" ip -br addr
    } 2>&1 | sed 's/^/#   /'
    say "---- end of state of $n ----"
}

# dump_on_failure NS: the first failing check from now on dumps NS (load_rules does this itself).
dump_on_failure() {
    _dump_ns=$1
    _dumped=0
}

_maybe_dump() {
    if [ -n "$_dump_ns" ] && [ "$_dumped" = 0 ]; then
        _dumped=1
        dump_state "$_dump_ns"
    fi
    _maybe_pause
}

# HEPDT_PAUSE=1: stop at the first failing check, with every namespace still up, until Enter.
_maybe_pause() {
    [ "${HEPDT_PAUSE:-0}" = 1 ] || return 0
    HEPDT_PAUSE=0
    { : </dev/tty; } 2>/dev/null || return 0
    local n
    {
        echo "paused at the first failure; namespaces of this run:"
        for n in "${_NS[@]}"; do echo "  ip netns exec $_NSP$n bash     # $n"; done
        echo "rules and resources: $T; press Enter to go on"
    } >/dev/tty
    read -r _ </dev/tty
}
