#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/static/rss.sh [HEPD...]: the memory of an idle `hepd run` with config/ (make rss).
#
# For each binary (default: build/static/hepd, and build/hepd when built): a private network
# namespace hepd-rss-PID-host with the interfaces config/resources.d protects (eth0, br-lan, wan,
# eth1; veth pairs to a second namespace), `hepd run` in it with config/resources.d, a wait until
# `hepd status` says enforcing, two seconds to settle, then VmRSS, VmHWM, RssAnon and RssFile
# of every hepd process in the namespace (the daemon, or supervisor and worker). The binaries
# run one after the other in the same namespaces, so the second and later ones measure a restart
# (they find the chains and sets the previous one left). Root only; the
# namespaces and the daemon are removed on exit. Prints one line per process; with
# RSS_LIMIT_KB=N, exits 1 when a VmRSS is above N kB.
set -u
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "rss: needs root (network namespaces)" >&2; exit 1; }

P=hepd-rss-$$-
tmp=$(mktemp -d /tmp/hepd-rss.XXXXXX)
cleanup() {
    local n
    for n in host peer; do ip netns pids "$P$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
    sleep 0.3
    for n in host peer; do
        ip netns pids "$P$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$P$n" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bins=("$@")
if [ ${#bins[@]} = 0 ]; then
    bins=(build/static/hepd)
    [ -x build/hepd ] && bins+=(build/hepd)
fi

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

over=0
for bin in "${bins[@]}"; do
    run=$tmp/run-$(basename "$(dirname "$bin")")
    mkdir -p "$run" && chmod 700 "$run"
    cat >"$run/hepd.conf" <<EOF
[hepd]
node = myhost
resource_dir = $PWD/config/resources.d
socket = $run/hepd.sock
state_dir = $run
xtables_lock = $run/xtables.lock
EOF
    x host "$bin" run -c "$run/hepd.conf" >"$run/log" 2>&1 &
    for _ in $(seq 100); do
        x host "$bin" status -c "$run/hepd.conf" >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! x host "$bin" status -c "$run/hepd.conf" >"$run/status" 2>&1; then
        echo "rss: $bin did not reach enforcing; its log:" >&2
        tail -20 "$run/log" >&2
        cat "$run/status" >&2
        over=1
        continue
    fi
    sleep 2
    for pid in $(ip netns pids "${P}host"); do
        st=/proc/$pid/status
        [ -r "$st" ] || continue
        [ "$(readlink -f "/proc/$pid/exe")" = "$(readlink -f "$bin")" ] || continue
        rss=$(awk '/^VmRSS:/ { print $2 }' "$st")
        printf '%-20s pid %-7s %-14s VmRSS %5s kB  VmHWM %5s kB  RssAnon %5s kB  RssFile %5s kB\n' \
            "$bin" "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -d' ' -f2)" "$rss" \
            "$(awk '/^VmHWM:/ { print $2 }' "$st")" "$(awk '/^RssAnon:/ { print $2 }' "$st")" \
            "$(awk '/^RssFile:/ { print $2 }' "$st")"
        if [ -n "${RSS_DETAIL:-}" ]; then  # every mapping with its resident kB
            awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1 " " $2 " " $6 } /^Rss:/ { if ($2 > 0) printf "    %6d kB  %s\n", $2, m }' "/proc/$pid/smaps"
        fi
        if [ -n "${RSS_LIMIT_KB:-}" ] && [ "$rss" -gt "$RSS_LIMIT_KB" ]; then over=1; fi
    done
    for pid in $(ip netns pids "${P}host"); do kill "$pid" 2>/dev/null; done
    sleep 0.5
done
exit $over
