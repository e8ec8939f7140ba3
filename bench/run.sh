#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: hepd against its contenders, side by side in one run (PERFORMANCE.md), and one
# table: workload, metric, hepd, each contender, the ratio, the target and whether it is met.
#
#   contenders  hepd                   the daemon (`hepd run`), or `hepd run --once` for a cold apply
#               legacy-restore         ipset restore + ip(6)tables-legacy-restore of hepd print's text
#               felix-delta            per-chain deltas of the same text through --noflush (felix_delta.sh)
#               nft-restore            the same text through ip(6)tables-nft-restore
#               no rules               the datapath baseline
#
#   BENCH_QUICK=1      a ~1 minute smoke run (fewer runs, W1 for the instruction counts, short waits)
#   BENCH_RUNS=N       runs per metric (default: 10 for small workloads, 5 for W3; quick: 3 / 1)
#   BENCH_CHURN=N      churn events for the RSS growth (default 1000; quick 20)
#   BENCH_CHURN_SECONDS=S  the churn stops after S seconds if not done (default 300; quick 40):
#                      the table names the number of events that ran
#   BENCH_IDLE=S       seconds of the idle CPU window (default 60; quick 10)
#
# Output: the table on stdout; build/bench/results.json (the same, with n per cell);
# build/bench/samples.tsv (every sample); build/bench/log (what each step did, the raw figures).
# Every contender works in network namespaces made here (hb<PID>-N, removed on exit, also on ^C)
# with addresses from 198.18.0.0/15 and 2001:db8::/32; the host's tables are not touched. hepd
# and the restore commands use a private xtables lock file (xtables_lock = in hepd.conf,
# XTABLES_LOCKFILE for iptables), so other users of /run/xtables.lock neither wait for nor
# delay the bench. Contenders are interleaved run by run (hepd, legacy, felix, nft, hepd, ...).
# Prints figures, asserts nothing: exits 0 unless it cannot run at all.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
HEPD=$BUILD/hepd
WB=$BUILD/bench/workload_bench
BT=$BUILD/bench/benchtool
FD="sh $here/felix_delta.sh"

us() { local t=${1/./}; echo $((10#$t)); }  # $EPOCHREALTIME -> microseconds

# ---- inside a namespace: one timed contender step, prints microseconds or FAIL ----------------

# Runs the commands given as arguments ("cmd arg < file" strings, evaluated), timed together.
timed() {
    local t0 t1 c err
    err=$(mktemp)
    t0=$EPOCHREALTIME
    for c in "$@"; do
        eval "$c" >/dev/null 2>"$err" || { echo "FAIL $c: $(head -c 200 "$err" | tr '\n' ' ')"; rm -f "$err"; return; }
    done
    t1=$EPOCHREALTIME
    rm -f "$err"
    echo $(($(us "$t1") - $(us "$t0")))
}

inner() {
    local what=$1; shift
    case $what in
    load)  # contender base
        local b=$2
        case $1 in
        legacy | nft) timed "ipset restore -f $b.ipset" "iptables-$1-restore -w 5 --noflush $b.ipv4" \
            "ip6tables-$1-restore -w 5 --noflush $b.ipv6" ;;
        felix) timed "ipset restore -f $b.fcold.pre" "iptables-legacy-restore -w 5 --noflush $b.fcold.v4" \
            "ip6tables-legacy-restore -w 5 --noflush $b.fcold.v6" ;;
        esac
        ;;
    swap)  # contender delta-base to-base: a change from one dump to another
        local d=$2 b=$3 cmds=()
        case $1 in
        legacy | nft)
            # The whole new text, each table replaced (restore without --noflush); set members
            # first (the same delta as felix: ipset restore cannot replace a set in use).
            [ -s "$d.pre" ] && cmds+=("ipset restore -f $d.pre")
            cmds+=("iptables-$1-restore -w 5 $b.ipv4" "ip6tables-$1-restore -w 5 $b.ipv6")
            [ -s "$d.post" ] && cmds+=("ipset restore -f $d.post")
            ;;
        felix)
            [ -s "$d.pre" ] && cmds+=("ipset restore -f $d.pre")
            [ -s "$d.v4" ] && cmds+=("iptables-legacy-restore -w 5 --noflush $d.v4")
            [ -s "$d.v6" ] && cmds+=("ip6tables-legacy-restore -w 5 --noflush $d.v6")
            [ -s "$d.post" ] && cmds+=("ipset restore -f $d.post")
            ;;
        esac
        [ ${#cmds[@]} -eq 0 ] && { echo 0; return; }
        timed "${cmds[@]}"
        ;;
    save)  # contender: what a full comparison reads (Felix: iptables-save of every table + ipset)
        case $1 in
        legacy | nft) timed "iptables-$1-save" "ip6tables-$1-save" "ipset save" ;;
        esac
        ;;
    cmd) timed "$@" ;;
    esac
}

if [ "${1:-}" = --inner ]; then
    shift
    inner "$@"
    exit 0
fi

# ---- setup -------------------------------------------------------------------------------------

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
runs_small=$([ $QUICK = 1 ] && echo 3 || echo 10)
runs_big=$([ $QUICK = 1 ] && echo 1 || echo 5)
if [ -n "${BENCH_RUNS:-}" ]; then runs_small=$BENCH_RUNS; runs_big=$BENCH_RUNS; fi
CHURN=${BENCH_CHURN:-$([ $QUICK = 1 ] && echo 20 || echo 1000)}
CHURN_BUDGET=${BENCH_CHURN_SECONDS:-$([ $QUICK = 1 ] && echo 40 || echo 300)}  # stops the churn early
IDLE=${BENCH_IDLE:-$([ $QUICK = 1 ] && echo 10 || echo 60)}
REFRESH=$([ $QUICK = 1 ] && echo 3 || echo 10)  # IptablesRefreshInterval of the W6 daemon
IPERF_T=$([ $QUICK = 1 ] && echo 1 || echo 4)
DP_RUNS=$([ $QUICK = 1 ] && echo 1 || echo 5)

out=$BUILD/bench
mkdir -p "$out"
LOG=$out/log
SAMPLES=$out/samples.tsv
SPEC=$out/spec.tsv
: > "$LOG"
: > "$SAMPLES"
say() { echo "$*" >> "$LOG"; }
note() { echo "$*" | tee -a "$LOG" >&2; }
sample() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >> "$SAMPLES"; }
kv() { local line=" $2"; line=${line##* $1=}; echo "${line%% *}"; }  # value of KEY in "k=v k=v"

if [ "$(id -u)" != 0 ]; then
    echo "bench: needs root (network namespaces); nothing measured"
    exit 0
fi
missing=""
for t in ip ipset iptables-legacy-restore iptables-nft-restore iptables-legacy ip6tables-legacy-restore \
         ip6tables-nft-restore iptables-legacy-save iptables-nft-save; do
    command -v "$t" >/dev/null || missing="$missing $t"
done
for f in "$HEPD" "$WB" "$BT"; do [ -x "$f" ] || missing="$missing $f"; done
if [ -n "$missing" ]; then
    echo "bench: missing:$missing (make deps; make bench builds the rest)"
    exit 0
fi

tmp=$(mktemp -d /tmp/hepd-bench.XXXXXX)
# The daemons' state_dir (status files, control socket) on a tmpfs, as /var/run is on OpenWrt and
# Debian: hepd fsyncs its status files after every apply, which costs tens of milliseconds on a
# disk and would delay the next event.
RUNDIR=$(mktemp -d /dev/shm/hepd-bench.XXXXXX 2>/dev/null || mktemp -d /tmp/hepd-bench-run.XXXXXX)
export XTABLES_LOCKFILE=$tmp/xtables.lock
NSN=0
NSS=()
PIDS=()
cleanup() {
    local p n
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for n in "${NSS[@]}"; do
        ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$n" 2>/dev/null
    done
    rm -rf "$tmp" "$RUNDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START=$EPOCHREALTIME
note "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)$([ $QUICK = 1 ] && echo ', QUICK')"
note "bench: runs $runs_small (small workloads) / $runs_big (W3), churn $CHURN events, idle window $IDLE s; details in $LOG"

mkns() {  # -> NS
    NSN=$((NSN + 1))
    NS=hb$$-$NSN
    ip netns add "$NS" || { note "bench: cannot create namespace $NS"; exit 0; }
    NSS+=("$NS")
    ip -n "$NS" link set lo up
}
rmns() {
    ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$1" 2>/dev/null
}
# The workload's interfaces as veth pairs (the peers, bpN, have no endpoint), with addresses.
# $3: an interface to leave out (it appears later).
mklinks() {  # ns workload [skip]
    local i=0 l name addrs a
    {
        while read -r l; do
            [ -n "$l" ] || continue
            name=${l%%=*}; addrs=${l#*=}
            i=$((i + 1))
            [ "$name" = "${3:-}" ] && continue
            echo "link add $name type veth peer name bp$i"
            echo "link set $name up"
            echo "link set bp$i up"
            for a in ${addrs//,/ }; do
                case $a in *:*) echo "addr add $a/128 dev $name nodad" ;; *) echo "addr add $a/32 dev $name" ;; esac
            done
        done < "$tmp/wl/$2/links"
    } | ip -n "$1" -batch -
}
in_ns() { local n=$1; shift; ip netns exec "$n" bash "$here/run.sh" --inner "$@"; }

# A private copy of a workload: DIR/{hepd.conf,resources.d} with the daemon's paths in DIR.
instance() {  # workload name -> INST (dir)
    INST=$tmp/i/$2
    rm -rf "$INST" "$RUNDIR/$2"
    mkdir -p "$INST" "$RUNDIR/$2"
    cp -r "$tmp/wl/$1/resources.d" "$INST/"
    sed "s|^\[hepd\]|[hepd]\nstate_dir = $RUNDIR/$2\nsocket = $RUNDIR/$2/hepd.sock\nxtables_lock = $tmp/xtables.lock|" \
        "$tmp/wl/$1/hepd.conf" > "$INST/hepd.conf"
}
link_args() { local l; LINKARGS=(); while read -r l; do [ -n "$l" ] && LINKARGS+=(--link "$l"); done < "$tmp/wl/$1/links"; }
dump() {  # workload confdir base
    local p
    link_args "$1"
    for p in ipset ipv4 ipv6; do
        "$HEPD" print -c "$2/hepd.conf" "${LINKARGS[@]}" --only $p > "$3.$p" 2>>"$LOG" || return 1
    done
}
# Felix deltas from dump A to dump B into DELTA.{pre,v4,v6,post}.
felix_delta() {  # from-base to-base delta
    local t0=$EPOCHREALTIME
    $FD ipset-pre "$1.ipset" "$2.ipset" > "$3.pre"
    $FD rules "$1.ipv4" "$2.ipv4" > "$3.v4"
    $FD rules "$1.ipv6" "$2.ipv6" > "$3.v6"
    $FD ipset-post "$1.ipset" "$2.ipset" > "$3.post"
    say "felix delta $(basename "$1") -> $(basename "$2"): $(cat "$3".pre "$3".v4 "$3".v6 "$3".post | wc -l) lines, computed by awk in $((($(us $EPOCHREALTIME) - $(us "$t0")) / 1000)) ms (not timed)"
}
changed_tables() {  # base-a base-b -> "4:filter 6:filter ..."
    local f t fam out=""
    for f in ipv4 ipv6; do
        fam=${f#ipv}
        for t in raw mangle filter; do
            [ "$(sed -n "/^\*$t\$/,/^COMMIT/p" "$1.$f" | cksum)" = "$(sed -n "/^\*$t\$/,/^COMMIT/p" "$2.$f" | cksum)" ] ||
                out="$out $fam:$t"
        done
    done
    echo "${out# }"
}
ALL6="4:raw,4:mangle,4:filter,6:raw,6:mangle,6:filter"

start_daemon() {  # ns instance-dir -> DPID, DLOG
    DLOG=$2/daemon.log
    : > "$DLOG"
    ip netns exec "$1" "$HEPD" run -c "$2/hepd.conf" --stderr 2>>"$DLOG" &
    DPID=$!
    PIDS+=("$DPID")
    local i
    for i in $(seq 600); do
        grep -q "running (node" "$DLOG" && return 0
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.05
    done
    note "bench: the daemon in $1 did not start: $(tail -n 3 "$DLOG")"
    return 1
}
stop_daemon() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# ---- the workloads -------------------------------------------------------------------------------

"$WB" --write "$tmp/wl" W1 W2 W3 W6 >>"$LOG" 2>&1 || { note "bench: cannot write the workloads"; exit 0; }
"$WB" --write "$tmp/wl" W4 --events "$CHURN" >>"$LOG" 2>&1 || { note "bench: cannot write W4"; exit 0; }
mkdir -p "$tmp/d" "$tmp/i"
for w in W1 W2 W3; do
    instance $w base-$w
    dump $w "$INST" "$tmp/d/$w" || { note "bench: hepd print failed for $w (see $LOG)"; exit 0; }
    : > "$tmp/d/empty.ipset"; : > "$tmp/d/empty.ipv4"; : > "$tmp/d/empty.ipv6"
    felix_delta "$tmp/d/empty" "$tmp/d/$w" "$tmp/d/$w.fcold"
    say "$w: $(grep -c '^-' "$tmp/d/$w.ipv4") v4 rules, $(grep -c '^-' "$tmp/d/$w.ipv6") v6 rules, $(grep -c '^create' "$tmp/d/$w.ipset") sets, $(grep -c '^add' "$tmp/d/$w.ipset") members"
done

# ---- the idle daemon: W3, RSS and idle CPU (runs alongside; nothing reaches its namespace) -------

mkns; NS_IDLE=$NS
mklinks "$NS_IDLE" W3
instance W3 idle
IDLE_INST=$INST
# The churn later writes the files through hard links from outside the watched directory (see
# churn below).
cp -al "$IDLE_INST/resources.d" "$IDLE_INST/shadow"
IDLE_PID=""
if start_daemon "$NS_IDLE" "$IDLE_INST"; then
    IDLE_PID=$DPID
    sleep 2
    read -r idle_rss0 idle_hwm0 idle_cpu0 idle_n < <("$BT" tree-stat "$IDLE_PID")
    idle_t0=$EPOCHREALTIME
    say "idle daemon (W3) pid $IDLE_PID: $(grep 'applied' "$IDLE_INST/daemon.log" | head -n 1); RSS ${idle_rss0} kB, HWM ${idle_hwm0} kB over $idle_n processes"
fi

# ---- cold apply: W1, W3 ---------------------------------------------------------------------------

cold() {  # workload runs
    local w=$1 n=$2 run c r t0 ms
    instance "$w" cold-$w
    for run in $(seq "$n"); do
        for c in hepd legacy felix nft; do
            mkns
            mklinks "$NS" "$w"
            case $c in
            hepd)
                r=$(in_ns "$NS" cmd "$HEPD run --once -c $INST/hepd.conf --stderr 2>$tmp/once.log")
                ms=$(sed -n 's/.*applied: .* in \([0-9.]*\) ms.*/\1/p' "$tmp/once.log" | head -n 1)
                [ -n "$ms" ] && sample "$w" "cold apply: hepd's own apply()" hepd "$ms"
                ;;
            *) r=$(in_ns "$NS" load $c "$tmp/d/$w") ;;
            esac
            case $r in
            FAIL*) say "cold $w $c: $r" ;;
            *) sample "$w" "cold apply, wall" $c "$(awk -v u="$r" 'BEGIN{printf "%.3f", u/1000}')" ;;
            esac
            if [ "$run" = 1 ]; then
                say "cold $w $c: kernel holds $(ip netns exec "$NS" iptables-legacy-save 2>/dev/null | grep -c '^-A') v4 legacy rules, $(ip netns exec "$NS" iptables-nft-save 2>/dev/null | grep -c '^-A') v4 nft rules, $(ip netns exec "$NS" ipset list -n | grep -c .) sets"
            fi
            rmns "$NS"
        done
    done
}
note "bench: cold apply W1 ($runs_small runs), W3 ($runs_big)"
cold W1 "$runs_small"
cold W3 "$runs_big"
# Where hepd's time goes, phase by phase (wall/CPU ms), for the log.
for w in W1 W3; do
    mkns; mklinks "$NS" $w; instance $w phases-$w
    say "$w phases (wall/cpu ms): $(ip netns exec "$NS" "$BT" phases "$INST/hepd.conf" 2>&1 | tr '\n' ' ')"
    rmns "$NS"
done

# ---- changes: one rule (W1, W2, W3), nets only (W3) ----------------------------------------------

# Candidate edits, checked with hepd print: the first one that changes what it should.
# A port of a rule, +1: a one-rule change when only rule lines differ.
find_port_change() {  # workload -> CHG_FILE (relative), CHG_NEW (path of the new text)
    local w=$1 f line port inst=$tmp/i/base-$w full0 full1 nl
    link_args "$w"
    full0=$tmp/full0; full1=$tmp/full1
    "$HEPD" print -c "$inst/hepd.conf" "${LINKARGS[@]}" > "$full0" 2>/dev/null
    for f in "$inst"/resources.d/20-policies-*.yaml; do
        for line in $(grep -n '^      - [0-9]*$' "$f" | head -n 20 | cut -d: -f1); do
            port=$(sed -n "${line}p" "$f" | tr -dc 0-9)
            [ "$port" -lt 65535 ] || continue
            cp "$f" "$tmp/cand.yaml"
            sed -i "${line}s/- $port\$/- $((port + 1))/" "$tmp/cand.yaml"
            cp "$f" "$tmp/orig.yaml"; cp "$tmp/cand.yaml" "$f"
            "$HEPD" print -c "$inst/hepd.conf" "${LINKARGS[@]}" > "$full1" 2>/dev/null
            cp "$tmp/orig.yaml" "$f"
            nl=$(diff "$full0" "$full1" | grep -c '^[<>]')
            if [ "$nl" -ge 2 ] && [ "$nl" -le 8 ] && ! diff "$full0" "$full1" | grep -q '^[<>] \(add\|create\|:\)'; then
                CHG_FILE=resources.d/$(basename "$f"); CHG_NEW=$tmp/$w-port.yaml
                cp "$tmp/cand.yaml" "$CHG_NEW"
                say "$w one-rule change: $CHG_FILE line $line, port $port -> $((port + 1)); hepd print differs in $nl lines"
                return 0
            fi
        done
    done
    return 1
}
# A CIDR added to a rule's nets list of two or more (a set): only one set member differs.
find_nets_change() {  # workload -> CHG_FILE, CHG_NEW, CHG_SET, CHG_MEMBER
    local w=$1 f line next cidr inst=$tmp/i/base-$w full0=$tmp/full0 full1=$tmp/full1 d
    link_args "$w"
    "$HEPD" print -c "$inst/hepd.conf" "${LINKARGS[@]}" > "$full0" 2>/dev/null
    for f in "$inst"/resources.d/20-policies-*.yaml; do
        for line in $(grep -n '^      nets:$' "$f" | head -n 20 | cut -d: -f1); do
            [ "$(sed -n "$((line + 2))p" "$f" | grep -c '^      - ')" = 1 ] || continue  # two or more
            next=$(sed -n "$((line + 1))p" "$f")
            case $next in *:*) cidr=2001:db8:ffff:fffe::1/128 ;; *) cidr=198.19.255.254/32 ;; esac
            cp "$f" "$tmp/orig.yaml"
            sed "${line}a\\      - $cidr" "$tmp/orig.yaml" > "$tmp/cand.yaml"
            cp "$tmp/cand.yaml" "$f"
            "$HEPD" print -c "$inst/hepd.conf" "${LINKARGS[@]}" > "$full1" 2>/dev/null
            cp "$tmp/orig.yaml" "$f"
            d=$(diff "$full0" "$full1" | grep '^[<>]')
            if [ "$(echo "$d" | grep -c .)" = 1 ] && echo "$d" | grep -q '^> add '; then
                CHG_FILE=resources.d/$(basename "$f"); CHG_NEW=$tmp/$w-nets.yaml
                cp "$tmp/cand.yaml" "$CHG_NEW"
                CHG_SET=$(echo "$d" | awk '{print $3}'); CHG_MEMBER=$(echo "$d" | awk '{print $4}')
                say "$w nets-only change: $CHG_FILE line $line, + $cidr: set $CHG_SET gets $CHG_MEMBER"
                return 0
            fi
        done
    done
    return 1
}

# Runs a change A <-> B, n times each way alternately, for every contender, interleaved.
# kind: rule | nets. hepd: the daemon, from the file's rename to the kernel (benchtool watch).
change_bench() {  # workload kind runs label
    local w=$1 kind=$2 n=$3 label=$4 inst_h c run r dir from to line conds=() tables
    if [ "$kind" = rule ]; then find_port_change "$w" || { note "bench: $w: no one-rule change found"; return; }
    else find_nets_change "$w" || { note "bench: $w: no nets-only change found"; return; }; fi
    # Dumps A (base) and B (changed) and the felix deltas both ways.
    local A=$tmp/d/$w B=$tmp/d/$w-$kind
    instance "$w" chg-$w-$kind-dump
    cp "$CHG_NEW" "$INST/$CHG_FILE"
    dump "$w" "$INST" "$B"
    felix_delta "$A" "$B" "$B.fwd"
    felix_delta "$B" "$A" "$B.back"
    tables=$(changed_tables "$A" "$B")
    say "$w $kind change: tables that differ: ${tables:-none}"
    # One namespace per contender, loaded with A.
    declare -A nsof
    for c in hepd legacy felix nft; do
        mkns; nsof[$c]=$NS
        mklinks "$NS" "$w"
        case $c in
        hepd) instance "$w" chg-$w-$kind; inst_h=$INST
              start_daemon "$NS" "$inst_h" || return ;;
        *) r=$(in_ns "$NS" load $c "$A"); case $r in FAIL*) say "$w $kind load $c: $r" ;; esac ;;
        esac
    done
    cp "$inst_h/$CHG_FILE" "$tmp/$w-$kind-A.yaml"
    cp "$CHG_NEW" "$tmp/$w-$kind-B.yaml"
    for run in $(seq $((2 * n))); do
        if [ $((run % 2)) = 1 ]; then dir=fwd; to=B; else dir=back; to=A; fi
        for c in hepd legacy felix nft; do
            case $c in
            hepd)
                conds=()
                if [ "$kind" = rule ]; then
                    for t in $tables; do conds+=(--table "$t"); done
                else
                    [ $dir = fwd ] && conds+=(--set-has "$CHG_SET,$CHG_MEMBER") || conds+=(--set-lacks "$CHG_SET,$CHG_MEMBER")
                fi
                cp "$tmp/$w-$kind-$to.yaml" "$inst_h/resources.d/.stage"
                line=$(ip netns exec "${nsof[hepd]}" "$BT" watch --rename "$inst_h/resources.d/.stage" \
                    "$inst_h/$CHG_FILE" "${conds[@]}" --log "$inst_h/daemon.log" --quiet-tables "$ALL6" --timeout 20000)
                say "$w $kind $dir hepd: $line"
                if [ "$(kv ok "$line")" = 1 ]; then
                    sample "$w" "$label, file to kernel" hepd "$(kv latency_ms "$line")"
                    sample "$w" "$label: hepd's own apply()" hepd "$(kv log_ms "$line")"
                    sample "$w" "$label: table commits" hepd "$(kv commits "$line")"
                fi
                ;;
            *)
                if [ "$kind" = nets ] && [ $c = nft ]; then sample "$w" "$label, file to kernel" nft NA; continue; fi
                if [ "$kind" = nets ] && [ $c = legacy ]; then
                    # The ipset command, as a script would do it.
                    if [ $dir = fwd ]; then r=$(in_ns "${nsof[$c]}" cmd "ipset add $CHG_SET $CHG_MEMBER")
                    else r=$(in_ns "${nsof[$c]}" cmd "ipset del $CHG_SET $CHG_MEMBER"); fi
                else
                    r=$(in_ns "${nsof[$c]}" swap $c "$B.$dir" "$tmp/d/$([ $to = A ] && echo "$w" || echo "$w-$kind")")
                fi
                case $r in
                FAIL*) say "$w $kind $dir $c: $r" ;;
                *) sample "$w" "$label, file to kernel" $c "$(awk -v u="$r" 'BEGIN{printf "%.3f", u/1000}')" ;;
                esac
                ;;
            esac
        done
    done
    # All contenders are back at A: their kernels must agree (rules without counters, set members).
    local st c2 ref=""
    for c2 in hepd legacy felix; do
        st=$(ip netns exec "${nsof[$c2]}" sh -c 'iptables-legacy-save; ip6tables-legacy-save; ipset save' 2>/dev/null |
             grep -E '^(-A|add) ' | sort | cksum)
        if [ -z "$ref" ]; then ref=$st; elif [ "$st" != "$ref" ]; then say "$w $kind: the kernel of $c2 differs from hepd's after the runs"; fi
    done
    say "$w $kind: kernels of hepd, legacy and felix compared after the runs (a line above says if one differs)"
    # The namespaces stay for W3 (no-op resync and tamper use them); the others go.
    if [ "$w" = W3 ] && [ "$kind" = nets ]; then
        H3_NS=${nsof[hepd]}; H3_INST=$inst_h; H3_PID=$DPID
        L3_NS=${nsof[legacy]}; N3_NS=${nsof[nft]}
        rmns "${nsof[felix]}"
    else
        stop_daemon "$DPID"
        for c in hepd legacy felix nft; do rmns "${nsof[$c]}"; done
    fi
}
note "bench: one-rule changes W1, W2 ($runs_small x 2 each)$([ $QUICK = 0 ] && echo ", W3 ($runs_big x 2)"), nets-only W3 ($runs_small x 2)"
change_bench W1 rule "$runs_small" "one-rule change"
change_bench W2 rule "$runs_small" "one-rule change"
[ $QUICK = 0 ] && change_bench W3 rule "$runs_big" "one-rule change"
change_bench W3 nets "$runs_small" "nets-only change"

# ---- W5: no-op resync, on the W3 namespaces ---------------------------------------------------------

if [ -n "${H3_NS:-}" ]; then
    note "bench: no-op resync W5"
    line=$(ip netns exec "$H3_NS" "$BT" noop "$H3_INST/hepd.conf" "$([ $QUICK = 1 ] && echo 3 || echo 10)" 2>>"$LOG")
    say "W5 hepd noop: $line"
    sample W5 "no-op: drift probe of every table" hepd "$(kv probe_us "$line")"
    sample W5 "no-op: full comparison" hepd "$(kv full_ms "$line")"
    sample W5 "no-op: apply() with nothing to change" hepd "$(kv apply_warm_ms "$line")"
    sample W5 "no-op: writes" hepd "$(( $(kv writes "$line") + 1 - $(kv tables_unchanged "$line") ))"
    for run in $(seq "$runs_small"); do
        for c in legacy nft; do
            r=$(in_ns "$([ $c = legacy ] && echo "$L3_NS" || echo "$N3_NS")" save $c)
            case $r in FAIL*) say "W5 save $c: $r" ;; *) sample W5 "no-op: full comparison" $c "$(awk -v u="$r" 'BEGIN{printf "%.3f", u/1000}')" ;; esac
        done
    done
    rmns "$L3_NS"; rmns "$N3_NS"
fi

# ---- W6: tamper repair, the W3 daemon ----------------------------------------------------------------

tamper_bench() {
    local n=$1 run line set member
    # A daemon with a short IptablesRefreshInterval, so that the set tamper is found in time.
    stop_daemon "$H3_PID"
    sed -i "s/^\[global\]/[global]\nIptablesRefreshInterval = $REFRESH/" "$H3_INST/hepd.conf"
    start_daemon "$H3_NS" "$H3_INST" || return
    H3_PID=$DPID
    set=$(grep '^create' "$tmp/d/W3.ipset" | head -n 1 | awk '{print $2}')
    member=$(grep "^add $set " "$tmp/d/W3.ipset" | head -n 1 | awk '{print $3}')
    # Each tamper waits until the daemon has finished the previous repair: a tamper that lands
    # while an apply is still running is absorbed into the worker's probe baseline (the probe is
    # re-read after the apply) and only found by the next refresh; see README, findings.
    settle() {
        local i
        for i in $(seq 300); do [ "$(grep -c 'repaired hepd rules' "$H3_INST/daemon.log")" -gt "$1" ] && break; sleep 0.02; done
        sleep 1
    }
    local nrep
    for run in $(seq "$n"); do
        nrep=$(grep -c 'repaired hepd rules' "$H3_INST/daemon.log")
        line=$(ip netns exec "$H3_NS" "$BT" watch --exec "iptables-legacy -w 5 -t filter -F hepd-fh-eth0" \
            --restored 4:filter --timeout 30000)
        say "W6 flush hepd-fh-eth0: $line"
        [ "$(kv ok "$line")" = 1 ] && sample W6 "tamper repair: flush a hepd chain" hepd "$(kv latency_ms "$line")"
        settle "$nrep"
        nrep=$(grep -c 'repaired hepd rules' "$H3_INST/daemon.log")
        line=$(ip netns exec "$H3_NS" "$BT" watch --exec "iptables-legacy -w 5 -t filter -I INPUT 1 -s 198.18.255.254/32 -j ACCEPT" \
            --first-hook 4:filter:INPUT --timeout 30000)
        say "W6 foreign rule atop INPUT: $line"
        [ "$(kv ok "$line")" = 1 ] && sample W6 "tamper repair: foreign rule atop INPUT" hepd "$(kv latency_ms "$line")"
        settle "$nrep"
        ip netns exec "$H3_NS" iptables-legacy -w 5 -t filter -D INPUT -s 198.18.255.254/32 -j ACCEPT
        sleep 3  # the daemon checks (and finds nothing to repair) after this change too
        nrep=$(grep -c 'repaired hepd rules' "$H3_INST/daemon.log")
        line=$(ip netns exec "$H3_NS" "$BT" watch --exec "ipset flush $set" --set-has "$set,$member" \
            --timeout $((REFRESH * 3000)))
        say "W6 ipset flush $set: $line"
        [ "$(kv ok "$line")" = 1 ] && sample W6 "tamper repair: ipset flush" hepd "$(kv latency_ms "$line")"
        settle "$nrep"
    done
}
if [ -n "${H3_PID:-}" ]; then
    note "bench: tamper repair W6 ($runs_big runs of 3 tampers; refresh interval $REFRESH s)"
    tamper_bench "$runs_big"
    stop_daemon "$H3_PID"
    rmns "$H3_NS"
fi

# ---- interface appears -> protected: W1, W3 ----------------------------------------------------------

link_bench() {  # workload runs
    local w=$1 n=$2 iface run line
    iface=$(head -n 1 "$tmp/wl/$w/links" | cut -d= -f1)
    mkns
    mklinks "$NS" "$w" "$iface"
    instance "$w" link-$w
    start_daemon "$NS" "$INST" || return
    for run in $(seq "$n"); do
        line=$(ip netns exec "$NS" "$BT" watch --veth "$iface" --dispatch "$iface" --log "$INST/daemon.log" --timeout 20000)
        say "$w $iface appears: $line"
        [ "$(kv ok "$line")" = 1 ] && sample "$w" "interface appears -> protected" hepd "$(kv latency_ms "$line")"
        [ "$(kv ok "$line")" = 1 ] && sample "$w" "interface appears: hepd's own apply()" hepd "$(kv log_ms "$line")"
        local before
        before=$(grep -c 'applied' "$INST/daemon.log")
        ip -n "$NS" link del "$iface"
        for _ in $(seq 200); do [ "$(grep -c 'applied' "$INST/daemon.log")" -gt "$before" ] && break; sleep 0.02; done
        sleep 0.1
    done
    stop_daemon "$DPID"
    rmns "$NS"
}
note "bench: interface appears W1 ($runs_small), W3 ($runs_big)"
link_bench W1 "$runs_small"
link_bench W3 "$runs_big"

# ---- user-space instructions (callgrind) ------------------------------------------------------------

# Total Ir of callgrind output files: the "totals:" line of each (older versions: "summary:").
ir_of() {
    local f s=0 v
    for f in "$@"; do
        [ -f "$f" ] || continue
        v=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
        [ -n "$v" ] || v=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
callgrind_bench() {  # workload
    local w=$1 c f sum inc
    if ! command -v valgrind >/dev/null; then say "valgrind missing: no instruction counts"; return; fi
    instance "$w" cg-$w
    for c in hepd legacy nft; do
        mkns
        mklinks "$NS" "$w"
        rm -f "$tmp"/cg.*
        case $c in
        hepd) ip netns exec "$NS" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" \
                "$HEPD" run --once -c "$INST/hepd.conf" >>"$LOG" 2>&1 ;;
        *) for f in "ipset restore -f $tmp/d/$w.ipset" "iptables-$c-restore -w 5 --noflush $tmp/d/$w.ipv4" \
                    "ip6tables-$c-restore -w 5 --noflush $tmp/d/$w.ipv6"; do
               # shellcheck disable=SC2086
               ip netns exec "$NS" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" $f >>"$LOG" 2>&1
           done ;;
        esac
        sum=$(ir_of "$tmp"/cg.*)
        sample "$w" "user-space instructions, full apply" $c "$(awk -v s="$sum" 'BEGIN{printf "%.2f", s/1e6}')"
        if [ $c = hepd ] && command -v callgrind_annotate >/dev/null; then
            inc=$(callgrind_annotate --inclusive=yes "$tmp"/cg.* 2>/dev/null | grep -m1 ':hepd::compile(hepd::CompileInput' | awk '{gsub(",", "", $1); print $1}')
            [ -n "$inc" ] && sample "$w" "user-space instructions: compile() alone" hepd "$(awk -v s="$inc" 'BEGIN{printf "%.2f", s/1e6}')"
        fi
        rmns "$NS"
    done
}
CG_W=$([ $QUICK = 1 ] && echo W1 || echo W3)
note "bench: instructions (callgrind) $CG_W"
callgrind_bench "$CG_W"

# ---- datapath: 64-byte UDP through a veth pair into a namespace with W3 ------------------------------

datapath_bench() {
    local c run line pkts lost secs dp rns cns
    if ! command -v iperf3 >/dev/null; then say "iperf3 missing: no datapath figures"; return; fi
    # W3 plus a policy that lets iperf3 in (TCP control, UDP data on 5201), last of all.
    instance W3 dp
    cat > "$INST/resources.d/90-bench-iperf.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: zz-bench-iperf
spec:
  selector: all()
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [5201]
  - action: Allow
    protocol: UDP
    destination:
      ports: [5201]
EOF
    dump W3 "$INST" "$tmp/d/W3dp" || return
    declare -A rof cof
    for c in none hepd nft; do
        mkns; rns=$NS; mkns; cns=$NS
        rof[$c]=$rns; cof[$c]=$cns
        mklinks "$rns" W3 eth0
        ip -n "$rns" link add eth0 type veth peer name cl0 netns "$cns"
        ip -n "$rns" link set eth0 up; ip -n "$cns" link set cl0 up
        ip -n "$rns" addr add 198.18.0.1/32 dev eth0
        ip -n "$rns" addr add 198.18.250.1/24 dev eth0
        ip -n "$cns" addr add 198.18.250.2/24 dev cl0
        case $c in
        hepd) ip netns exec "$rns" "$HEPD" run --once -c "$INST/hepd.conf" >>"$LOG" 2>&1 ;;
        nft) in_ns "$rns" load nft "$tmp/d/W3dp" >>"$LOG" ;;
        esac
    done
    for run in $(seq "$DP_RUNS"); do
        for c in none hepd nft; do
            ip netns exec "${rof[$c]}" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
            local spid=$!
            sleep 0.3
            ip netns exec "${cof[$c]}" iperf3 -c 198.18.250.1 -p 5201 -u -l 64 -b 0 -t "$IPERF_T" -J > "$tmp/iperf.json" 2>&1
            wait "$spid" 2>/dev/null
            # The summary of the whole run: the last "sum" object's packets and lost_packets.
            line=$(tr -d ' \t\n' < "$tmp/iperf.json" | grep -o '"sum":{[^}]*}' | tail -n 1)
            pkts=$(echo "$line" | grep -o '"packets":[0-9]*' | cut -d: -f2)
            lost=$(echo "$line" | grep -o '"lost_packets":[0-9]*' | cut -d: -f2)
            secs=$(echo "$line" | grep -o '"seconds":[0-9.]*' | cut -d: -f2)
            if [ -n "$pkts" ] && [ -n "$secs" ]; then
                dp=$(awk -v p="$pkts" -v l="${lost:-0}" -v s="$secs" 'BEGIN{printf "%.1f", (p - l) / s / 1000}')
                sample W3 "datapath: 64-byte UDP received" "$c" "$dp"
                say "datapath $c run $run: $pkts sent, ${lost:-?} lost in $secs s: $dp kpps received"
            else
                say "datapath $c run $run: iperf3 failed: $(head -c 300 "$tmp/iperf.json")"
            fi
        done
    done
    for c in none hepd nft; do rmns "${rof[$c]}"; rmns "${cof[$c]}"; done
}
note "bench: datapath W3 ($DP_RUNS runs of iperf3 -t $IPERF_T per contender)"
datapath_bench

# ---- the idle daemon: idle CPU, then churn and RSS growth ----------------------------------------------

if [ -n "$IDLE_PID" ]; then
    elapsed=$((($(us $EPOCHREALTIME) - $(us "$idle_t0")) / 1000000))
    if [ "$elapsed" -lt "$IDLE" ]; then
        note "bench: idle CPU: waiting $((IDLE - elapsed)) s more"
        sleep $((IDLE - elapsed))
    fi
    read -r rss1 hwm1 cpu1 n1 < <("$BT" tree-stat "$IDLE_PID")
    secs=$(awk -v a="$(us "$idle_t0")" -v b="$(us $EPOCHREALTIME)" 'BEGIN{printf "%.3f", (b - a) / 1e6}')
    hz=$(getconf CLK_TCK)
    sample W3 "idle CPU (daemon, W3 applied)" hepd "$(awk -v c=$((cpu1 - idle_cpu0)) -v h="$hz" -v s="$secs" 'BEGIN{printf "%.4f", c / h / s * 100}')"
    say "idle: $((cpu1 - idle_cpu0)) ticks in $secs s; RSS $rss1 kB, HWM $hwm1 kB"
    sample W3 "steady RSS (daemon, W3 applied)" hepd "$(awk -v k="$idle_rss0" 'BEGIN{printf "%.2f", k/1024}')"

    # Churn: every event's new text is written in place through a hard link in shadow/, outside
    # the watched resource directory (inotify reports a write to the directory the path went
    # through, so the daemon sees no event), then `hepd reload` applies it and returns when the
    # apply is done. One apply per event, no debounce wait. Every event changes a file that
    # exists from the start.
    note "bench: churn: $CHURN W4 events through the W3 daemon"
    t0=$EPOCHREALTIME; fails=0; done_n=0
    while read -r num kind file _; do
        if [ $(( ($(us $EPOCHREALTIME) - $(us "$t0")) / 1000000 )) -ge "$CHURN_BUDGET" ]; then
            note "bench: churn stopped after $done_n events ($CHURN_BUDGET s budget, BENCH_CHURN_SECONDS)"
            break
        fi
        done_n=$((done_n + 1))
        cat "$tmp/wl/W4/events/$num/$file" > "$IDLE_INST/shadow/$file"
        "$HEPD" reload -c "$IDLE_INST/hepd.conf" >>"$tmp/reload.log" 2>&1 || fails=$((fails + 1))
        if [ "$num" = "$(printf %0${#num}d 10)" ]; then read -r rss10 _ _ _ < <("$BT" tree-stat "$IDLE_PID"); fi
        if [ $((10#$num % 50)) = 0 ]; then
            read -r r _ _ _ < <("$BT" tree-stat "$IDLE_PID"); say "churn: RSS after event $num: $r kB"
        fi
    done < "$tmp/wl/W4/events.txt"
    churn_s=$(awk -v a="$(us "$t0")" -v b="$(us $EPOCHREALTIME)" 'BEGIN{printf "%.1f", (b - a) / 1e6}')
    sleep 1
    read -r rss2 hwm2 _ n2 < <("$BT" tree-stat "$IDLE_PID")
    CHURN=$done_n
    say "churn: $CHURN events in $churn_s s ($fails reloads failed: $(grep -v '^applied' "$tmp/reload.log" | sort | uniq -c | head -n 3 | tr '\n' ' ')); RSS $idle_rss0 -> ${rss10:-?} (after 10) -> $rss2 kB; HWM $hwm2 kB; $n2 processes"
    sample W4 "RSS growth over $CHURN churn events" hepd "$(awk -v a="$idle_rss0" -v b="$rss2" 'BEGIN{printf "%.2f", (b - a) / a * 100}')"
    [ -n "${rss10:-}" ] && sample W4 "RSS growth, event 10 to the last" hepd "$(awk -v a="$rss10" -v b="$rss2" 'BEGIN{printf "%.2f", (b - a) / a * 100}')"
    sample W3 "peak RSS (VmHWM; restore: ru_maxrss)" hepd "$(awk -v k="$hwm2" 'BEGIN{printf "%.2f", k/1024}')"
    sample W4 "churn event, reload to applied (hepd reload)" hepd "$(awk -v s="$churn_s" -v n="$CHURN" 'BEGIN{printf "%.1f", s / n * 1000}')"
    stop_daemon "$IDLE_PID"
fi
# The restore contenders' peak RSS for W3 (user space; the kernel's memory is in neither).
for c in legacy nft; do
    mkns
    best=0
    for f in "ipset restore -f $tmp/d/W3.ipset" "iptables-$c-restore -w 5 --noflush $tmp/d/W3.ipv4" \
             "ip6tables-$c-restore -w 5 --noflush $tmp/d/W3.ipv6"; do
        # shellcheck disable=SC2086
        k=$(ip netns exec "$NS" "$BT" maxrss $f 2>&1 >/dev/null | sed -n 's/^maxrss_kb=//p')
        [ -n "$k" ] && [ "$k" -gt "$best" ] && best=$k
    done
    sample W3 "peak RSS (VmHWM; restore: ru_maxrss)" $c "$(awk -v k="$best" 'BEGIN{printf "%.2f", k/1024}')"
    rmns "$NS"
done

# ---- binary size ---------------------------------------------------------------------------------------

if [ -x "$root/build/static/hepd" ]; then
    strip -o "$tmp/hepd.static" "$root/build/static/hepd"
    sample - "static stripped binary (size -A total)" hepd "$(size -A "$tmp/hepd.static" | awk '/^Total/ {printf "%.1f", $2/1024}')"
else
    sample - "static stripped binary (size -A total)" hepd NA "not built (make static)"
fi
strip -o "$tmp/hepd.dyn" "$HEPD"
say "dynamic build/hepd stripped: $(size -A "$tmp/hepd.dyn" | awk '/^Total/ {print $2}') bytes (size -A), file $(stat -c %s "$tmp/hepd.dyn") bytes"

# ---- the table -------------------------------------------------------------------------------------------

TAB=$'\t'
cat > "$SPEC" <<EOF
# wl${TAB}metric${TAB}unit${TAB}ratio-to${TAB}kind${TAB}value${TAB}target
W1${TAB}cold apply, wall${TAB}ms${TAB}legacy${TAB}-${TAB}0${TAB}-
W1${TAB}cold apply: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W3${TAB}cold apply, wall${TAB}ms${TAB}legacy${TAB}le_ratio${TAB}0.8${TAB}<= 0.8x legacy
W3${TAB}cold apply: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W1${TAB}one-rule change, file to kernel${TAB}ms${TAB}legacy${TAB}le${TAB}50${TAB}<= 50 ms
W1${TAB}one-rule change: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W2${TAB}one-rule change, file to kernel${TAB}ms${TAB}legacy${TAB}le${TAB}2${TAB}<= 2 ms
W2${TAB}one-rule change: hepd's own apply()${TAB}ms${TAB}-${TAB}le${TAB}2${TAB}<= 2 ms
W3${TAB}one-rule change, file to kernel${TAB}ms${TAB}legacy${TAB}-${TAB}0${TAB}-
W3${TAB}one-rule change: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W3${TAB}nets-only change, file to kernel${TAB}ms${TAB}legacy${TAB}le${TAB}0.1${TAB}<= 0.1 ms
W3${TAB}nets-only change: hepd's own apply()${TAB}ms${TAB}-${TAB}le${TAB}0.1${TAB}<= 0.1 ms
W3${TAB}nets-only change: table commits${TAB}count${TAB}-${TAB}eq${TAB}0${TAB}0
W5${TAB}no-op: drift probe of every table${TAB}us${TAB}-${TAB}le${TAB}50${TAB}<= 50 us
W5${TAB}no-op: writes${TAB}count${TAB}-${TAB}eq${TAB}0${TAB}0
W5${TAB}no-op: full comparison${TAB}ms${TAB}legacy${TAB}-${TAB}0${TAB}-
W5${TAB}no-op: apply() with nothing to change${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W6${TAB}tamper repair: flush a hepd chain${TAB}ms${TAB}-${TAB}le${TAB}1000${TAB}<= 1 s
W6${TAB}tamper repair: foreign rule atop INPUT${TAB}ms${TAB}-${TAB}le${TAB}1000${TAB}<= 1 s
W6${TAB}tamper repair: ipset flush${TAB}ms${TAB}-${TAB}le${TAB}$((REFRESH * 1000))${TAB}<= refresh ${REFRESH} s
W1${TAB}interface appears -> protected${TAB}ms${TAB}-${TAB}le${TAB}20${TAB}<= 20 ms
W1${TAB}interface appears: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W3${TAB}interface appears -> protected${TAB}ms${TAB}-${TAB}le${TAB}20${TAB}<= 20 ms
W3${TAB}interface appears: hepd's own apply()${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
W3${TAB}steady RSS (daemon, W3 applied)${TAB}MB${TAB}-${TAB}le${TAB}1.5${TAB}<= 1.5 MB
W3${TAB}peak RSS (VmHWM; restore: ru_maxrss)${TAB}MB${TAB}legacy${TAB}-${TAB}0${TAB}-
W4${TAB}RSS growth over $CHURN churn events${TAB}%${TAB}-${TAB}lt${TAB}1${TAB}< 1%
W4${TAB}RSS growth, event 10 to the last${TAB}%${TAB}-${TAB}-${TAB}0${TAB}-
W4${TAB}churn event, reload to applied (hepd reload)${TAB}ms${TAB}-${TAB}-${TAB}0${TAB}-
$CG_W${TAB}user-space instructions, full apply${TAB}M${TAB}legacy${TAB}-${TAB}0${TAB}-
$CG_W${TAB}user-space instructions: compile() alone${TAB}M${TAB}-${TAB}-${TAB}0${TAB}-
W3${TAB}datapath: 64-byte UDP received${TAB}kpps${TAB}none${TAB}ge_ratio${TAB}0.95${TAB}>= 0.95x none
W3${TAB}idle CPU (daemon, W3 applied)${TAB}%${TAB}-${TAB}lt${TAB}0.1${TAB}< 0.1%
-${TAB}static stripped binary (size -A total)${TAB}kB${TAB}-${TAB}le${TAB}1024${TAB}<= 1024 kB
EOF
total_s=$(( ($(us $EPOCHREALTIME) - $(us "$START")) / 1000000 ))
echo
"$BT" report "$SAMPLES" "$SPEC" "$out/results.json"
echo "bench: $total_s s in all; load average now $(cut -d' ' -f1-3 /proc/loadavg); JSON: $out/results.json, details: $LOG"
exit 0
