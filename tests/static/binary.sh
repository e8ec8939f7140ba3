#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The static binary (make static): statically linked, and it works with every shared library of
# the machine out of sight (a private mount namespace with a tmpfs over the directory of libc and
# the dynamic loader). tests/run.sh then runs the cli, golden, netns and daemon suites with it.
cd "$(dirname "$0")/../.."
. tests/lib.sh
HEPD=${HEPD_STATIC:-build/static/hepd}

if [ ! -x "$HEPD" ]; then
    not_ok "$HEPD is built (make static)"
    exit 1
fi
out=$(file -b "$HEPD")
if [[ $out == *"statically linked"* ]]; then ok "file: statically linked"; else not_ok "file says: $out"; fi
# The issue's limit for the stripped x86_64 binary (make size shows where the bytes go).
bytes=$(stat -c %s "$HEPD")
if [ "$bytes" -le 1048576 ]; then ok "stripped size $bytes bytes <= 1 MiB"; else not_ok "stripped size $bytes bytes > 1 MiB (make size)"; fi
out=$(ldd "$HEPD" 2>&1)
if [[ $out == *"not a dynamic executable"* ]]; then ok "ldd: not a dynamic executable"; else not_ok "ldd says: $out"; fi

if [ "$(id -u)" != 0 ]; then
    echo "# not root: the run without shared libraries is skipped"
    done_testing
    exit
fi
libc=$(ldd /bin/sh | awk '$1 ~ /^libc\.so/ { print $3 }')
libdir=$(dirname "$(readlink -f "$libc")")
# no_libs CMD...: runs CMD in a mount namespace where $libdir is an empty tmpfs.
no_libs() {
    unshare --mount --propagation private /bin/sh -c 'mount -t tmpfs hepd-static "$0" && exec "$@"' "$libdir" "$@"
}
expect_exit "control: a dynamic program cannot start without $libdir" 127 no_libs /bin/true
expect_contains "version without shared libraries" 0 "backend: iptables-legacy (libiptc), ipset (libipset)" no_libs "$HEPD" version
expect_contains "check config/ without shared libraries (INI through inih, YAML through libyaml)" 0 "ok: 3 files" no_libs "$HEPD" check config/
expect_output "selector without shared libraries" 0 "match" no_libs "$HEPD" selector "role == 'edge'" role=edge
# Idle memory of `hepd run` with config/ (tools/static/rss.sh, a few seconds): each process at most
# 1 MiB. Measured with the code ordered by tools/static/hepd.order: supervisor ~380 kB, worker
# ~920 kB; a stale order (make static-order) or a new allocation kept at idle shows here first.
out=$(RSS_LIMIT_KB=1024 tools/static/rss.sh "$HEPD" 2>&1); rc=$?
# The lines in pid order: the supervisor, then the worker it forked.
figs=$(echo "$out" | awk '/VmRSS/ { n++; printf "%s%s %s kB (anon %s, file %s)", sep,
    n == 1 ? "supervisor" : n == 2 ? "worker" : "process " n, $6, $12, $15; sep = ", " }')
if [ $rc = 0 ] && [ "$(echo "$out" | grep -c VmRSS)" = 2 ]; then
    ok "idle VmRSS <= 1024 kB per process: $figs"
else
    not_ok "idle VmRSS <= 1024 kB per process: $figs"
    echo "$out" | sed 's/^/# /'
fi
done_testing
