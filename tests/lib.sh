# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for shell test suites. A suite prints one line per check:
#     ok - NAME
#     not ok - NAME: WHY
# tests/run.sh counts those lines. Source this file, call check/expect_* and finish with `done_testing`.

HEPD=${HEPD:-build/hepd}
_t_fail=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; _t_fail=$((_t_fail + 1)); }

# expect_run NAME WANT_EXIT WANT_STDOUT_FILE_OR_- CMD...: runs CMD, compares exit status and stdout.
# Use '-' to skip the stdout comparison.
expect_exit() {
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else not_ok "$name: exit $rc, want $want; output: $(printf '%s' "$out" | head -c 400)"; fi
}

# expect_output NAME WANT_EXIT WANT_TEXT CMD...: exit status and exact stdout (stderr ignored).
expect_output() {
    local name=$1 want=$2 text=$3; shift 3
    local out rc
    out=$("$@" 2>/dev/null); rc=$?
    if [ "$rc" = "$want" ] && [ "$out" = "$text" ]; then ok "$name"
    else not_ok "$name: exit $rc (want $want), stdout [$out] (want [$text])"; fi
}

# expect_stderr NAME WANT_EXIT WANT_TEXT CMD...: exit status and exact stderr.
expect_stderr() {
    local name=$1 want=$2 text=$3; shift 3
    local err rc
    err=$("$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" = "$want" ] && [ "$err" = "$text" ]; then ok "$name"
    else not_ok "$name: exit $rc (want $want), stderr [$err] (want [$text])"; fi
}

# expect_contains NAME WANT_EXIT SUBSTRING CMD...: exit status and stdout+stderr containing SUBSTRING.
expect_contains() {
    local name=$1 want=$2 text=$3; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && [[ "$out" == *"$text"* ]]; then ok "$name"
    else not_ok "$name: exit $rc (want $want), output [$(printf '%s' "$out" | head -c 400)] lacks [$text]"; fi
}

done_testing() { [ "$_t_fail" = 0 ]; }
