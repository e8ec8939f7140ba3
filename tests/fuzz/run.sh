#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz: runs every libFuzzer harness (build/fuzz/fuzz_NAME, built with ASan and UBSan) for
# FUZZ_SECONDS each, one at a time, over its seed corpus (tests/fuzz/corpus/NAME, read only) and a
# working corpus (build/fuzz/corpus-NAME, kept between runs), with its dictionary when there is
# one. Crash, leak, timeout and out-of-memory artifacts go to build/fuzz/artifacts-NAME/. Prints
# one table: target, executions, corpus size (files in the working corpus), and 0 or the first
# artifact's path; exits 1 when any target found something, 2 when a target did not run.
#
#   usage: tests/fuzz/run.sh SECONDS NAME...      (log of each run: build/fuzz/NAME.log)
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:?usage: run.sh SECONDS NAME...}; shift
found=0 broken=0
rows=()
for n in "$@"; do
    bin=build/fuzz/fuzz_$n
    work=build/fuzz/corpus-$n
    art=build/fuzz/artifacts-$n
    log=build/fuzz/$n.log
    mkdir -p "$work" "$art"
    stamp=$art/.started; : >"$stamp"   # artifacts of earlier runs are not this run's findings
    dict=()
    [ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
    printf '== fuzz %s for %ss\n' "$n" "$secs" >&2
    # -rss_limit_mb: 2 GiB per target; -timeout: 10 s per input counts as a hang.
    "$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$art/" "${dict[@]}" "$work" "tests/fuzz/corpus/$n" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    size=$(find "$work" -type f | wc -l)
    first=$(find "$art" -type f -newer "$stamp" ! -name .started | head -1)
    if [ -n "$first" ]; then
        found=1; result=$first
    elif [ "$rc" != 0 ] || [ -z "$execs" ]; then
        broken=1; result="did not run (exit $rc, see $log)"
    else
        result=0
    fi
    rows+=("$(printf '%-16s %12s %8s  %s' "$n" "${execs:--}" "$size" "$result")")
done
printf '%-16s %12s %8s  %s\n' target executions corpus crashes
printf '%s\n' "${rows[@]}"
[ $found = 1 ] && exit 1
[ $broken = 1 ] && exit 2
exit 0
