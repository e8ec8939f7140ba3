#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: hepd protecting a small sandbox of network namespaces with the config/ examples.
#
#   mgmt 198.18.10.2 ---+                                   +--- lanpc 198.18.30.2 (br-lan)
#   etcd 198.18.20.2 ---+-- uplink .2 ==link 1== eth0 [ myhost ] br-lan ==link 30==+
#                                                 [ (hepd) ] wan ==link 40== inet 198.18.40.2
#                                                 [        ] eth1 ==link 2== other 198.18.2.2
#                       (inet also holds 198.19.66.5, a blocklisted source)
#
# Everything lives in namespaces named hepd-demo-*, uses only 198.18.0.0/15 and 2001:db8::/32,
# and is removed on exit, also on failure or Ctrl-C.
set -u
cd "$(dirname "$0")/.."
HEPD=${HEPD:-$PWD/build/hepd}
P=hepd-demo-
NS=(myhost uplink lanpc inet other)
tmp=$(mktemp -d)
cleanup() {
    for n in "${NS[@]}"; do
        ip netns pids "$P$n" 2>/dev/null | xargs -r kill 2>/dev/null
    done
    sleep 0.2
    for n in "${NS[@]}"; do ip netns del "$P$n" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }

x() { ip netns exec "$P$1" "${@:2}"; }
for n in "${NS[@]}"; do ip netns add "$P$n"; x "$n" ip link set lo up; done
link() {  # link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
    ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
    x "$1" ip addr add "$3" dev "$2"; x "$4" ip addr add "$6" dev "$5"
    x "$1" ip link set "$2" up; x "$4" ip link set "$5" up
}
link myhost eth0 198.18.1.1/24 uplink eth0 198.18.1.2/24
link myhost br-lan 198.18.30.1/24 lanpc eth0 198.18.30.2/24
link myhost wan 198.18.40.1/24 inet eth0 198.18.40.2/24
link myhost eth1 198.18.2.1/24 other eth0 198.18.2.2/24
x myhost ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad
x uplink ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad
x uplink ip addr add 198.18.10.2/24 dev lo
x uplink ip addr add 198.18.20.2/24 dev lo
x inet ip addr add 198.19.66.5/24 dev lo
x myhost ip route add 198.18.10.0/24 via 198.18.1.2
x myhost ip route add 198.18.20.0/24 via 198.18.1.2
x myhost ip route add 198.19.66.0/24 via 198.18.40.2
for n in uplink lanpc inet other; do x "$n" ip route add default via "$(x "$n" ip -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\)\..*/\1/p').1" 2>/dev/null; done

mkdir -p "$tmp/run" && chmod 700 "$tmp/run"
cat > "$tmp/hepd.conf" <<EOF
[hepd]
node = myhost
resource_dir = $PWD/config/resources.d
socket = $tmp/run/hepd.sock
state_dir = $tmp/run
EOF
# Services on the protected host, and an etcd and a web server beyond it.
for p in 22 80 443 8080 10250; do x myhost socat TCP-LISTEN:$p,fork,reuseaddr SYSTEM:true >/dev/null 2>&1 & done
x myhost socat -u UDP-RECV:51820 OPEN:"$tmp/udp51820",creat,append >/dev/null 2>&1 &
x uplink socat TCP-LISTEN:2379,fork,reuseaddr,bind=198.18.20.2 SYSTEM:true >/dev/null 2>&1 &
x uplink socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:true >/dev/null 2>&1 &
x other socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:true >/dev/null 2>&1 &

echo "== hepd run with config/resources.d (node myhost), in namespace ${P}myhost"
x myhost "$HEPD" run -c "$tmp/hepd.conf" --stderr 2>"$tmp/hepd.log" &
for _ in $(seq 1 50); do [ -S "$tmp/run/hepd.sock" ] && break; sleep 0.1; done
sleep 0.3

tcp() { x "$1" nc -z -w 1 ${4:+-s "$4"} "$2" "$3" >/dev/null 2>&1; }
udp() {
    local before; before=$(wc -c <"$tmp/udp51820" 2>/dev/null || echo 0)
    echo "probe-$RANDOM" | x "$1" socat -u - UDP-SENDTO:"$2":"$3"${4:+,bind=$4} 2>/dev/null
    sleep 0.3
    [ "$(wc -c <"$tmp/udp51820" 2>/dev/null || echo 0)" -gt "$before" ]
}
ping1() { x "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

rows=()
bad=0
try() {  # try EXPECT "WHO -> WHAT" "WHY" CMD...
    local want=$1 what=$2 why=$3 got; shift 3
    if "$@"; then got=allowed; else got=blocked; fi
    [ "$got" = "$want" ] || { got="$got (EXPECTED $want)"; bad=$((bad + 1)); }
    rows+=("$(printf '%-44s %-22s %s' "$what" "$got" "$why")")
}
try allowed "mgmt 198.18.10.2 -> myhost:22 (eth0)"        "policy k8s-worker (mgmt net)" tcp uplink 198.18.1.1 22 198.18.10.2
try allowed "uplink 198.18.1.2 -> myhost:22 (eth0)"       "failsafe tcp:22"              tcp uplink 198.18.1.1 22
try allowed "uplink -> myhost:10250 (eth0)"               "policy k8s-worker"            tcp uplink 198.18.1.1 10250
try blocked "uplink -> myhost:8080 (eth0)"                "default deny (no rule)"       tcp uplink 198.18.1.1 8080
try allowed "uplink -> myhost ping (eth0)"                "policy k8s-worker (ICMP)"     ping1 uplink 198.18.1.1
try allowed "myhost -> etcd 198.18.20.2:2379 (eth0)"      "policy k8s-worker egress"     tcp myhost 198.18.20.2 2379
try blocked "myhost -> uplink:8080 (eth0)"                "default deny egress"          tcp myhost 198.18.1.2 8080
try allowed "lanpc -> myhost:443 (br-lan)"                "policy lan-management (luci)" tcp lanpc 198.18.30.1 443
try allowed "lanpc -> myhost:22 (br-lan)"                 "policy lan-management"        tcp lanpc 198.18.30.1 22
try blocked "lanpc -> myhost:8080 (br-lan)"               "default deny (no rule)"       tcp lanpc 198.18.30.1 8080
try allowed "inet -> myhost udp:51820 (wan)"              "policy wan-inbound"           udp inet 198.18.40.1 51820
try blocked "inet 198.19.66.5 -> myhost udp:51820 (wan)"  "policy drop-blocklisted"      udp inet 198.18.40.1 51820 198.19.66.5
try allowed "inet 198.19.66.5 -> myhost:22 (wan)"         "failsafe tcp:22 comes first"  tcp inet 198.18.40.1 22 198.19.66.5
try blocked "inet -> myhost:80 (wan)"                     "default deny (no rule)"       tcp inet 198.18.40.1 80
try allowed "inet -> myhost ping (wan)"                   "policy wan-inbound (ICMP 8)"  ping1 inet 198.18.40.1
try allowed "other -> myhost:8080 (eth1)"                 "eth1 has no endpoint"         tcp other 198.18.2.1 8080
try allowed "myhost -> other:8080 (eth1)"                 "eth1 has no endpoint"         tcp myhost 198.18.2.2 8080

echo
echo "== hepd status"
x myhost "$HEPD" status -c "$tmp/hepd.conf"
echo
echo "== connections tried"
printf '%-44s %-22s %s\n' "FROM -> TO" "RESULT" "WHY"
printf '%s\n' "${rows[@]}"
echo
x myhost "$HEPD" teardown -c "$tmp/hepd.conf"
if [ "$bad" != 0 ]; then
    echo "demo: $bad connections did not behave as expected; hepd's log:"; cat "$tmp/hepd.log"
    exit 1
fi
echo "demo: every connection behaved as the policies say; the sandbox is removed on exit."
