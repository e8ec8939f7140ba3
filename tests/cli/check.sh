#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hepd check and hepd print: exit codes, the shipped examples, and the CLI.md/OPENWRT.md examples.
cd "$(dirname "$0")/../.."
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect_contains "config/ is valid" 0 "ok: 3 files" "$HEPD" check config/
expect_exit "config/hepd.conf is valid" 0 "$HEPD" check config/hepd.conf
expect_exit "the CLI.md hepd.conf example loads" 0 "$HEPD" check tests/golden/examples/cli-hepd.conf
expect_contains "the OPENWRT.md UCI example loads" 0 "2 HostEndpoints, 1 GlobalNetworkPolicy, 1 GlobalNetworkSet" \
    "$HEPD" check tests/golden/examples/openwrt-hepd.uci
expect_exit "a missing path is an error" 1 "$HEPD" check "$tmp/nothing.yaml"
expect_exit "an unknown option is a usage error" 2 "$HEPD" check --frobnicate
expect_exit "-c needs a value" 2 "$HEPD" check -c
printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: x\nspec:\n  ingress:\n  - action: Allow\n    protocol: tcp\n' > "$tmp/bad.yaml"
expect_stderr "every problem as FILE:LINE:COL" 1 "$tmp/bad.yaml:8:15: error: spec.ingress[0].protocol: 'tcp' is not a valid protocol; did you mean 'TCP'? Names are case-sensitive
hepd check: 1 error, 0 warnings" "$HEPD" check "$tmp/bad.yaml"
# Every problem, not only the first.
printf 'apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: Bad_Name\n  labels: {"-x": y}\nspec:\n  interfaceName: "eth0:1"\n' > "$tmp/many.yaml"
n=$("$HEPD" check "$tmp/many.yaml" 2>&1 | grep -c ': error: ')
[ "$n" -ge 4 ] && ok "all errors of a file are reported ($n)" || not_ok "all errors of a file are reported: got $n"
# No root needed: run as nobody if possible.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    expect_exit "check runs without root" 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$HEPD" check config/
    expect_exit "print runs without root" 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$HEPD" print \
        -c tests/golden/examples/cli-hepd.conf --link eth0=198.18.1.1 config/resources.d
fi

# print
args=(-c tests/golden/examples/cli-hepd.conf --link eth0=198.18.1.1,2001:db8:1::1 --link wan --link br-lan)
out=$("$HEPD" print "${args[@]}" config/resources.d)
[[ "$out" == "# ipset"*"# ipv4"*"# ipv6"* ]] && ok "print has three headed parts" || not_ok "print has three headed parts"
expect_contains "--only ipv4 is iptables-restore text" 0 "*filter" "$HEPD" print "${args[@]}" --only ipv4 config/resources.d
v4=$("$HEPD" print "${args[@]}" --only ipv4 config/resources.d)
[[ "$v4" != *"# "* && "$v4" == *"COMMIT" ]] && ok "--only ipv4 has no comment lines" || not_ok "--only ipv4 has no comment lines"
expect_contains "--only ipset" 0 "create hepd4s-" "$HEPD" print "${args[@]}" --only ipset config/resources.d
expect_exit "--only takes three words" 2 "$HEPD" print --only ipv5
expect_exit "--link needs a valid address" 2 "$HEPD" print --link eth0=1.2.3
expect_exit "print of an invalid setup fails" 1 "$HEPD" print "${args[@]}" "$tmp/bad.yaml"
a=$("$HEPD" print "${args[@]}" config/resources.d | sha256sum); b=$("$HEPD" print "${args[@]}" config/resources.d | sha256sum)
[ "$a" = "$b" ] && ok "print is deterministic" || not_ok "print is deterministic"
noipv6=$(printf '[hepd]\nnode = myhost\nipv6 = false\n' > "$tmp/v4.conf"; "$HEPD" print -c "$tmp/v4.conf" --link eth0 config/resources.d)
[[ "$noipv6" != *"# ipv6"* ]] && ok "ipv6 = false prints no IPv6 part" || not_ok "ipv6 = false prints no IPv6 part"
done_testing
