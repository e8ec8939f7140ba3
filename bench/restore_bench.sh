#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The restore contenders hepd's libiptc backend will be measured against (PERFORMANCE.md): a cold
# load of hepd's own `hepd print --only ...` text for W1 and W3 into an empty network namespace,
#
#   legacy:  ipset restore  +  iptables-legacy-restore --noflush  +  ip6tables-legacy-restore --noflush
#   nft:     ipset restore  +  iptables-nft-restore --noflush     +  ip6tables-nft-restore --noflush
#
# (the same bytes for both; the rules match sets, so the sets are loaded first in both; -w 5 waits
# for the xtables lock, which is host-wide, should another program hold it). The
# contenders are interleaved run by run (legacy, nft, legacy, nft, ...), and before every run the
# namespace is emptied again (legacy tables flushed and their chains deleted, `nft flush ruleset`,
# every set destroyed), outside the timed part. Wall time comes from bash's $EPOCHREALTIME around
# each command (no subshell, no fork of a timer); peak RSS is ru_maxrss of each command in one
# extra run (GNU time's %M, or `workload_bench --maxrss` when /usr/bin/time is missing); RSS is
# user space only, the kernel's memory for the rules is not in it.
#
#   bash bench/restore_bench.sh          (root; make bench runs it)
#   HEPD_BENCH_RUNS=N                    runs per workload (default: W1 30, W3 10)
#
# Everything happens in the namespace hepdb-$$, removed on exit, also on failure or ^C; files go to
# a mktemp directory, removed too. Prints figures, asserts nothing: a failing command is reported
# in its row, and the script still exits 0.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
HEPD=$BUILD/hepd
WB=$BUILD/bench/workload_bench

us() { local t=${1/./}; echo $((10#$t)); }  # $EPOCHREALTIME -> microseconds

# CPU time (user + sys) of every finished child of this shell so far, in microseconds, into CH.
# From the `times` builtin (millisecond resolution), read back with builtins only, so that no
# extra process adds to what is measured. The kernel's work of a restore (the table replace, the
# netlink set commands) runs in the command's syscalls and counts as its sys time, so this figure
# is the contender's own cost, largely independent of other load on the machine.
CH=0
children_us() {
    local cu cs m f
    times > "$tmp/times"
    { read -r _; read -r cu cs; } < "$tmp/times"
    CH=0
    for f in "$cu" "$cs"; do
        m=${f%%m*}; f=${f#*m}; f=${f%s}
        CH=$((CH + 10#$m * 60000000 + 10#${f%.*} * 1000000 + 10#${f#*.} * 1000))
    done
}

# ---- inside the namespace -------------------------------------------------------------------

reset_ns() {
    local t
    for t in raw mangle filter; do
        iptables-legacy -w -t $t -F 2>/dev/null; iptables-legacy -w -t $t -X 2>/dev/null
        ip6tables-legacy -w -t $t -F 2>/dev/null; ip6tables-legacy -w -t $t -X 2>/dev/null
    done
    if command -v nft >/dev/null; then
        nft flush ruleset 2>/dev/null
    else
        for t in raw mangle filter; do
            iptables-nft -w -t $t -F 2>/dev/null; iptables-nft -w -t $t -X 2>/dev/null
            ip6tables-nft -w -t $t -F 2>/dev/null; ip6tables-nft -w -t $t -X 2>/dev/null
        done
    fi
    ipset destroy 2>/dev/null
}

# One timed cold load: prints "ipset_us v4_us v6_us" or "FAIL message".
load_once() {  # contender base
    local c=$1 f=$2 t0 t1 t2 t3 c0 err=$tmp/err
    children_us; c0=$CH
    t0=$EPOCHREALTIME
    ipset restore -f "$f.ipset" 2>"$err" || { echo "FAIL ipset restore: $(head -c 200 "$err")"; return; }
    t1=$EPOCHREALTIME
    "iptables-$c-restore" -w 5 --noflush "$f.ipv4" 2>"$err" ||
        { echo "FAIL iptables-$c-restore: $(head -c 200 "$err")"; return; }
    t2=$EPOCHREALTIME
    if [ -s "$f.ipv6" ]; then
        "ip6tables-$c-restore" -w 5 --noflush "$f.ipv6" 2>"$err" ||
            { echo "FAIL ip6tables-$c-restore: $(head -c 200 "$err")"; return; }
    fi
    t3=$EPOCHREALTIME
    children_us
    echo "$(($(us "$t1") - $(us "$t0"))) $(($(us "$t2") - $(us "$t1"))) $(($(us "$t3") - $(us "$t2"))) $((CH - c0))"
}

maxrss() {  # command... -> kB
    local out=$tmp/rss
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f 'maxrss_kb=%M' -o "$out" "$@" >/dev/null 2>&1
    else
        "$WB" --maxrss "$@" >/dev/null 2>"$out"
    fi
    sed -n 's/^maxrss_kb=//p' "$out" | tail -n 1
}

# median and p95 (nearest rank) of microsecond values on stdin, as "M.MM / P.PP" ms
stats() {
    sort -n | awk '{v[NR]=$1} END {
        if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
        r = int(0.95 * NR); if (r < 0.95 * NR) r++
        printf "%.2f / %.2f", m / 1000, v[r] / 1000 }'
}

median_us() { sort -n | awk '{v[NR]=$1} END { if (NR) print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2); else print 0 }'; }

inner() {  # dir, then "W1:30 W3:10"
    local dir=$1; shift
    tmp=$dir
    local spec w n f c run r res
    printf '%-3s %-32s %4s %17s %17s %17s %17s %9s %9s  %s\n' wl contender runs "ipset restore" "v4 restore" \
        "v6 restore" total "CPU" "peak RSS" "in the kernel after one load"
    for spec in "$@"; do
        w=${spec%%:*}; n=${spec##*:}; f=$dir/$w
        res=$dir/$w.times; : > "$res"
        for run in $(seq "$n"); do
            for c in legacy nft; do
                reset_ns
                echo "$c $(load_once "$c" "$f")" >> "$res"
            done
        done
        local legacy_med=0
        for c in legacy nft; do
            local fail kernel="" rss=0 k name
            fail=$(grep "^$c FAIL" "$res" | head -n 1 | cut -d' ' -f2-)
            # one more load for the peak RSS of each command, and what the kernel then holds
            reset_ns
            for k in "ipset restore -f $f.ipset" "iptables-$c-restore -w 5 --noflush $f.ipv4" \
                     "ip6tables-$c-restore -w 5 --noflush $f.ipv6"; do
                # shellcheck disable=SC2086
                r=$(maxrss $k); [ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
            done
            kernel="$( { iptables-$c-save 2>/dev/null; ip6tables-$c-save 2>/dev/null; } | grep -c '^-A') rules, $(ipset list -n | grep -c .) sets, $(ipset save | grep -c '^add') members"
            name="ipset + iptables-$c-restore"
            if [ -n "$fail" ]; then
                printf '%-3s %-32s %4s  FAILED: %s\n' "$w" "$name" "$n" "$fail"
                continue
            fi
            local ok=$dir/$w.$c; grep "^$c [0-9]" "$res" | cut -d' ' -f2- > "$ok"
            printf '%-3s %-32s %4s %17s %17s %17s %17s %9s %6.1f MB  %s\n' "$w" "$name" "$n" \
                "$(awk '{print $1}' "$ok" | stats)" "$(awk '{print $2}' "$ok" | stats)" \
                "$(awk '{print $3}' "$ok" | stats)" "$(awk '{print $1+$2+$3}' "$ok" | stats)" \
                "$(awk '{print $4}' "$ok" | median_us | awk '{printf "%.1f", $1 / 1000}')" \
                "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$kernel"
            if [ "$c" = legacy ]; then
                legacy_med=$(awk '{print $1+$2+$3}' "$ok" | median_us)
            else
                awk -v a="$legacy_med" -v b="$(awk '{print $1+$2+$3}' "$ok" | median_us)" \
                    'BEGIN { if (a > 0) printf "    %s: nft / legacy total (medians) = %.2fx\n", "'"$w"'", b / a }'
            fi
        done
    done
    reset_ns
}

if [ "${1:-}" = --inner ]; then
    shift
    inner "$@"
    exit 0
fi

# ---- outside: build the inputs, make the namespace, clean up --------------------------------

echo "restore_bench: cold load of hepd print's text (ipset + iptables/ip6tables restore) into an empty"
echo "network namespace; milliseconds median / p95 per command and in total, contenders interleaved;"
echo "CPU = median user+sys time of the three commands (ms resolution); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$(id -u)" != 0 ]; then
    echo "restore_bench: skipped (needs root for network namespaces)"
    exit 0
fi
missing=""
for t in ip ipset iptables-legacy-restore ip6tables-legacy-restore iptables-nft-restore ip6tables-nft-restore \
         iptables-legacy ip6tables-legacy; do
    command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
    echo "restore_bench: skipped (missing:$missing; make deps installs them)"
    exit 0
fi
if [ ! -x "$HEPD" ] || [ ! -x "$WB" ]; then
    echo "restore_bench: skipped ($HEPD or $WB not built; run make bench)"
    exit 0
fi

ns=hepdb-$$
tmp=$(mktemp -d /tmp/hepd-restore-bench.XXXXXX)
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$WB" --write "$tmp" W1 W3 || { echo "restore_bench: cannot write the workloads"; exit 0; }
for w in W1 W3; do
    args=()
    while read -r l; do [ -n "$l" ] && args+=(--link "$l"); done < "$tmp/$w/links"
    for part in ipset ipv4 ipv6; do
        if ! "$HEPD" print -c "$tmp/$w/hepd.conf" "${args[@]}" --only $part > "$tmp/$w.$part" 2> "$tmp/print.err"; then
            echo "restore_bench: hepd print failed for $w: $(head -c 300 "$tmp/print.err")"
            exit 0
        fi
    done
    printf '    %s text: ipset %d lines (%d KB), v4 %d lines (%d KB), v6 %d lines (%d KB)\n' "$w" \
        "$(wc -l < "$tmp/$w.ipset")" $(($(wc -c < "$tmp/$w.ipset") / 1024)) \
        "$(wc -l < "$tmp/$w.ipv4")" $(($(wc -c < "$tmp/$w.ipv4") / 1024)) \
        "$(wc -l < "$tmp/$w.ipv6")" $(($(wc -c < "$tmp/$w.ipv6") / 1024))
done
echo

if ! ip netns add "$ns"; then
    echo "restore_bench: cannot create namespace $ns"
    exit 0
fi
ip netns exec "$ns" ip link set lo up
# In the background, so that a TERM reaches the trap at once (bash runs traps only between
# foreground commands); cleanup then kills what is left in the namespace.
ip netns exec "$ns" bash "$here/restore_bench.sh" --inner "$tmp" "W1:${HEPD_BENCH_RUNS:-30}" \
    "W3:${HEPD_BENCH_RUNS:-10}" &
wait $! || echo "restore_bench: the run in the namespace failed"
exit 0
