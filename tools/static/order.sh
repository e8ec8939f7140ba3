#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/static/order.sh [HEPD_FULL] [OUT]: the symbol ordering file of the static build
# (make static-order; default build/static/x86_64/hepd.full and tools/static/hepd.order).
#
# Why: a page fault on the binary maps the neighbouring file pages of the same 64 kB window too
# (the kernel's fault-around), and without an order the code an idle `hepd run` has executed is
# spread over nearly every window of .text, so RssFile is most of .text. The link places the
# functions listed in OUT first, in its order (lld's --symbol-ordering-file, one function per
# section by -ffunction-sections): (1) those the supervisor executes, (2) then those the worker
# executes besides, and the rest after them, so each process's code shares few windows with code
# it never runs. lld reads only symbol names, one a line (no comments), so this is the only place
# that says how the list is made.
#
# How: the unstripped binary runs as `hepd run` with config/resources.d under valgrind's callgrind
# in a private network namespace (the interfaces of tools/static/rss.sh), each process writing
# its own profile (the worker is a fork of the supervisor); once `hepd status` says enforcing, a
# `hepd status` and a `hepd reload` against it (their daemon side), a few seconds of idle loop
# (heartbeats), then SIGTERM. Then a second run the same way, a restart: it finds the first run's
# chains and sets in the kernel and its worker compares and replaces them. The functions with a
# cost in a supervisor's profile come first, then the first worker's, then those only the
# restart's worker ran. A third run reads its whole configuration from a UCI file (OpenWrt's
# way): what its supervisor ran joins the first group, what only its worker ran comes last. Each
# group is sorted by name so the file does not change with timings. Root only; the namespaces are removed on exit. A stale name is no error (--no-warn-symbol-ordering).
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
full=${1:-build/static/x86_64/hepd.full}
out=${2:-tools/static/hepd.order}
[ "$(id -u)" = 0 ] || { echo "order: needs root (network namespaces)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
[ -x "$full" ] || { echo "order: $full: not built (make static)" >&2; exit 1; }

P=hepd-order-$$-
tmp=$(mktemp -d /tmp/hepd-order.XXXXXX)
cleanup() {
    local n
    for n in host peer; do ip netns pids "$P$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
    sleep 0.5
    for n in host peer; do
        ip netns pids "$P$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$P$n" 2>/dev/null
    done
    if [ -n "${ORDER_KEEP:-}" ]; then rm -rf "$ORDER_KEEP"; mv "$tmp" "$ORDER_KEEP"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

x() { ip netns exec "$P$1" "${@:2}"; }
ip netns add "${P}host" && ip netns add "${P}peer" || exit 1
x host ip link set lo up
n=1
for ifc in eth0 br-lan wan eth1; do
    ip link add "$ifc" netns "${P}host" type veth peer name "p$n" netns "${P}peer" || exit 1
    x host ip addr add "198.18.$n.1/24" dev "$ifc"
    x host ip -6 addr add "2001:db8:$n::1/64" dev "$ifc" nodad
    x host ip link set "$ifc" up
    x peer ip link set "p$n" up
    n=$((n + 1))
done

run=$tmp/run
mkdir -p "$run" && chmod 700 "$run"
cat >"$run/hepd.conf" <<CONF
[hepd]
node = myhost
resource_dir = $PWD/config/resources.d
socket = $run/hepd.sock
state_dir = $run
xtables_lock = $run/xtables.lock
CONF
# profile DIR: one `hepd run` under callgrind, profiles in DIR/cg.PID, until SIGTERM.
profile() {
    mkdir -p "$1"
    x host valgrind --tool=callgrind --demangle=no --dump-instr=yes --callgrind-out-file="$1/cg.%p" \
        "$full" run -c "$run/hepd.conf" >"$1/log" 2>&1 &
    local vg=$!
    for _ in $(seq 600); do
        x host "$full" status -c "$run/hepd.conf" >/dev/null 2>&1 && break
        sleep 0.2
    done
    if ! x host "$full" status -c "$run/hepd.conf" >"$1/status" 2>&1; then
        echo "order: $full did not reach enforcing under valgrind; its log:" >&2
        tail -20 "$1/log" >&2
        cat "$1/status" >&2
        exit 1
    fi
    x host "$full" reload -c "$run/hepd.conf" >/dev/null 2>&1 || echo "order: reload failed" >&2
    x host "$full" status -c "$run/hepd.conf" >/dev/null 2>&1
    sleep 6
    kill "$vg" 2>/dev/null
    for p in $(ip netns pids "${P}host"); do kill "$p" 2>/dev/null; done
    for _ in $(seq 100); do
        [ -z "$(ip netns pids "${P}host")" ] && break
        sleep 0.2
    done
}
# Two runs: a first start in empty tables, then a restart that finds hepd's chains and sets of
# the first (as after an upgrade or a crash), whose worker compares and replaces them.
profile "$tmp/cold"
profile "$tmp/warm"
# A third run configured from UCI, as on OpenWrt: the endpoints and a policy in a file written as
# `uci commit` writes it, read through uci_config, and no YAML.
cat >"$run/uci" <<'UCI'

config hepd 'main'
	option enabled '1'
	list failsafe_in 'tcp:22'
	list failsafe_out 'udp:53'

config host_endpoint 'wan'
	option interface 'wan'
	list label 'role=wan'

config host_endpoint 'lan'
	option interface 'br-lan'
	list label 'role=lan'

config net_set 'trusted'
	option name 'trusted-hosts'
	list label 'trusted=yes'
	list net '198.18.9.9/32'
	list net '2001:db8:9::9/128'

config policy 'wan_in'
	option name 'wan-in'
	option order '100'
	option selector 'role == "wan"'
	list types 'ingress'

config rule
	option policy 'wan-in'
	option direction 'ingress'
	option action 'allow'
	option proto 'tcp'
	list dst_port '8055'
	option src_selector 'trusted == "yes"'
UCI
cat >"$run/hepd.conf" <<CONF
[hepd]
node = myhost
uci_config = $run/uci
socket = $run/hepd.sock
state_dir = $run
xtables_lock = $run/xtables.lock
CONF
"$full" check -c "$run/hepd.conf" >"$tmp/uci-check" 2>&1 || { echo "order: the UCI run's configuration:" >&2; cat "$tmp/uci-check" >&2; exit 1; }
profile "$tmp/uci"

# The profiles of each run: the supervisor's is the one of the lowest pid (it forks the worker).
run_profiles() {
    for f in "$1"/cg.*; do [ -e "$f" ] && echo "${f##*.} $f"; done | sort -n | cut -d" " -f2-
}
mapfile -t cold < <(run_profiles "$tmp/cold")
mapfile -t warm < <(run_profiles "$tmp/warm")
mapfile -t uci < <(run_profiles "$tmp/uci")
for r in cold warm uci; do
    declare -n pr=$r
    [ ${#pr[@]} -ge 2 ] || { echo "order: $r run: expected two profiles, got ${#pr[@]}" >&2; ls "$tmp/$r" >&2; exit 1; }
done
# The functions a profile has executed instructions of, by address (--dump-instr=yes): a name
# from callgrind would miss musl's assembly functions (memcpy, memset, the syscall wrappers have
# no symbol size, callgrind counts them to their caller). A cost line starts with the instruction
# address: 0xHEX, +N/-N relative to the last one, or * for the same; a calls= line names a callee's
# entry (absolute). Each address is then mapped to the text symbol at or below it.
addrs() {
    awk 'function hex(s,  i, n) { n = 0; s = tolower(substr(s, 3))
             for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
             return n }
         FNR == 1 { last = 0 }
         /^calls=/ { split($0, f, " "); if (f[2] ~ /^0x/) seen[hex(f[2])] = 1; next }
         /^(0x[0-9a-fA-F]+|[-+][0-9]+|\*)( |$)/ {
             p = $1
             if (p ~ /^0x/) last = hex(p); else if (p ~ /^[-+]/) last += p + 0
             seen[last] = 1
         }
         END { for (a in seen) printf "%d\n", a }' "$@" | sort -n -u
}
# Text symbols by address (decimal), every name of an address on its line (aliases, and the
# linker's symbols that share an address with a function: lld skips those).
nm --defined-only "$full" | awk '$2 ~ /^[tTwW]$/ && $3 != "" { print $1, $3 }' | sort -u |
    while read -r a n; do echo "$((16#$a)) $n"; done |
    awk '$1 != last { if (NR > 1) print line; line = $1; last = $1 } { line = line " " $2 }
         END { if (NR) print line }' | sort -n -k1,1 >"$tmp/syms"
funcs() {
    addrs "$@" | awk 'NR == FNR { sa[++ns] = $1; sn[ns] = $0; next }
        { a = $1 + 0; lo = 1; hi = ns; if (a < sa[1]) next
          while (lo < hi) { m = int((lo + hi + 1) / 2); if (sa[m] <= a) lo = m; else hi = m - 1 }
          k = split(sn[lo], f, " "); for (i = 2; i <= k; i++) print f[i] }' "$tmp/syms" - | sort -u
}
# __restore_rt runs on every return from a signal handler; under valgrind the signal return is
# valgrind's own, so no profile has it.
{ funcs "${cold[0]}" "${warm[0]}" "${uci[0]}"; echo __restore_rt; } | sort -u >"$tmp/sup"
funcs "${cold[@]:1}" | comm -23 - "$tmp/sup" >"$tmp/wrk"
funcs "${warm[@]:1}" | comm -23 - "$tmp/sup" | comm -23 - "$tmp/wrk" >"$tmp/wrk2"
funcs "${uci[@]:1}" | comm -23 - "$tmp/sup" | comm -23 - "$tmp/wrk" | comm -23 - "$tmp/wrk2" >"$tmp/wrk3"
cat "$tmp/sup" "$tmp/wrk" "$tmp/wrk2" "$tmp/wrk3" >"$out.tmp" && mv "$out.tmp" "$out"
echo "order: $out: $(wc -l <"$tmp/sup") supervisor functions, $(wc -l <"$tmp/wrk") worker functions," \
    "$(wc -l <"$tmp/wrk2") more in the restart's worker, $(wc -l <"$tmp/wrk3") more in the UCI run's"
