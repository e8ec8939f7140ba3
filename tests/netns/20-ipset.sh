#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 20-ipset: the libipset backend (src/sys/ipset.cpp) against the kernel, through its driver, the
# GoogleTest cases IpsetKernel.* (tests/unit/ipset_kernel_test.cpp). Each case forks a child that
# enters a fresh, unnamed network namespace (unshare(CLONE_NEWNET)), works there (libipset, and
# the ipset / iptables-legacy CLI for cross-checks and for a rule referencing a set) and exits, so
# the namespace and everything in it go with it.
#
#   this script (host netns)
#     build/unit_tests --gtest_filter='IpsetKernel.*'      (host netns)
#        fork -> unshare(CLONE_NEWNET) -> IpsetBackend ... -> exit   (one namespace per case)
#
# Prints one check per case, the timing figures the cases log as comment lines, and checks that
# the host namespace's sets and rules are exactly as before (nothing leaked out of the children).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh

UNIT=${UNIT_TESTS:-build/unit_tests}
if [ "$(id -u)" != 0 ]; then
    not_ok "20-ipset: needs root"
    exit 1
fi
if [ ! -x "$UNIT" ]; then
    not_ok "20-ipset: $UNIT is not built (make build/unit_tests)"
    exit 1
fi

host_state() {
    ipset list -n 2>&1
    iptables-legacy-save -t filter 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
}
before=$(host_state)

log=$(mktemp "/tmp/hepdt-$$.ipset.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT
"$UNIT" --gtest_color=no --gtest_filter='IpsetKernel.*' >"$log" 2>&1
rc=$?

cases=0
while IFS= read -r line; do
    case $line in
    '[       OK ] IpsetKernel.'*)
        name=${line#*IpsetKernel.}; ok "ipset kernel: ${name%% (*}"; cases=$((cases + 1)) ;;
    '[  FAILED  ] IpsetKernel.'*' ('*)
        name=${line#*IpsetKernel.}; not_ok "ipset kernel: ${name%% (*}: see the failures above"; cases=$((cases + 1)) ;;
    '[  SKIPPED ] IpsetKernel.'*' ('*)
        name=${line#*IpsetKernel.}; not_ok "ipset kernel: ${name%% (*}: skipped although root"; cases=$((cases + 1)) ;;
    '    '*) echo "# ${line#    }" ;;
    *': Failure'* | 'Failed' | 'tests/unit/'*) echo "# $line" ;;
    esac
done <"$log"

if [ "$cases" = 0 ]; then
    not_ok "ipset kernel: no IpsetKernel case ran (exit $rc): $(tail -5 "$log" | tr '\n' '|')"
elif [ "$rc" != 0 ] && ! grep -q '^\[  FAILED  \]' "$log"; then
    not_ok "ipset kernel: $UNIT exited $rc: $(tail -5 "$log" | tr '\n' '|')"
fi

after=$(host_state)
if [ "$before" = "$after" ]; then
    ok "host namespace: sets and filter rules unchanged"
else
    not_ok "host namespace changed: $(diff <(echo "$before") <(echo "$after") | head -20 | tr '\n' '|')"
fi
done_testing
