#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test suite and ends with one line "N passed, M failed" (exit 1 when M > 0).
#
# Suites:
#   unit        GoogleTest (build/unit_tests)
#   asan        the same tests under ASan+UBSan (build/asan/unit_tests)
#   fuzz        every libFuzzer harness replays its seed corpus (build/fuzz/fuzz_*)
#   cli, golden shell suites in tests/cli/*.sh and tests/golden/*.sh (TAP-like "ok -"/"not ok -")
#   netns       tests/netns/*.sh, real packets in network namespaces (root only), rules loaded
#               from `hepd print` with iptables-legacy-restore
#   daemon      the same scenarios against a running `hepd run` (HEPDT_DAEMON=1), checking after
#               every apply that the kernel's hepd chains and sets equal `hepd print`; not
#               00 (harness), 2N (ipset backend), 3N and 5N (daemon-only suites that start hepd
#               themselves and run once, in the netns pass)
#   static      the static binary (make static, build/static/hepd): tests/static/binary.sh, then
#               with HEPD=build/static/hepd the cli and golden suites (but the OpenWrt package
#               build) and every scenario against the running static daemon (daemon, and the
#               daemon-only netns suites): what depends on the static build's libraries
#   static-print  the print-mode netns scenarios with the static binary (make check-static)
#   static-unit the unit tests built like the static binary (musl, libc++, -Oz), run natively
# HEPD_SUITES="unit cli" limits the run to those suites.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
log_dir=build/test-logs
mkdir -p "$log_dir"
suites=${HEPD_SUITES:-unit asan fuzz cli golden netns daemon static-unit static static-print}

started=$SECONDS   # add() reports the seconds since the previous report (or the start)
add() {  # add SUITE PASSED FAILED
    passed=$((passed + $2)); failed=$((failed + $3))
    printf '%-28s %5d passed, %d failed  (%ds)\n' "$1" "$2" "$3" $((SECONDS - started))
    started=$SECONDS
}

run_gtest() {  # run_gtest SUITE BINARY
    local suite=$1 bin=$2 log="$log_dir/$1.log" p f
    if [ ! -x "$bin" ]; then add "$suite (missing $bin)" 0 1; return; fi
    "$bin" --gtest_color=no >"$log" 2>&1
    local rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or sanitizer report
    if [ "$f" != 0 ]; then grep -E '^\[  FAILED  \]|ERROR: |runtime error' "$log" | head -40; echo "  (full log: $log)"; fi
    add "$suite" "$p" "$f"
}

run_tap() {  # run_tap SUITE SCRIPT
    local suite=$1 script=$2 log="$log_dir/$1-$(basename "$2" .sh).log" p f rc
    timeout 900 bash "$script" >"$log" 2>&1; rc=$?
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "  $script exited $rc without a failing check (log: $log)"; tail -5 "$log"; fi
    if [ "$f" != 0 ]; then grep '^not ok ' "$log" | head -40; echo "  (full log: $log)"; fi
    add "$suite $(basename "$script" .sh)" "$p" "$f"
}

run_netns() {  # run_netns SUITE: the scenarios, rules loaded from `$HEPD print`
    if [ "$(id -u)" != 0 ]; then echo "$1: skipped (needs root)"; return; fi
    for t in tests/netns/*.sh; do
        case $t in */lib*.sh) continue ;; esac
        [ -e "$t" ] && run_tap "$1" "$t"
    done
}

run_daemon() {  # run_daemon SUITE: the same scenarios against a running `$HEPD run`
    if [ "$(id -u)" != 0 ]; then echo "$1: skipped (needs root)"; return; fi
    for t in tests/netns/[0-9]*.sh; do
        case $t in */0[1-9]-*|*/1[0-9]-*) ;; *) continue ;; esac  # only the print-mode scenarios 01-19
        HEPDT_DAEMON=1 run_tap "$1" "$t"
    done
}

for s in $suites; do
    case $s in
    unit) run_gtest unit build/unit_tests ;;
    asan) run_gtest asan+ubsan build/asan/unit_tests ;;
    fuzz)
        for src in tests/fuzz/fuzz_*.cpp; do
            [ -e "$src" ] || continue
            n=$(basename "$src" .cpp); n=${n#fuzz_}
            bin=build/fuzz/fuzz_$n; corpus=tests/fuzz/corpus/$n
            count=$(find "$corpus" -type f 2>/dev/null | wc -l)
            if [ ! -x "$bin" ]; then add "fuzz-replay $n (not built)" 0 1; continue; fi
            if "$bin" -runs=0 "$corpus" >"$log_dir/fuzz-$n.log" 2>&1 && [ "$count" -gt 0 ]; then
                add "fuzz-replay $n ($count inputs)" 1 0
            else
                tail -20 "$log_dir/fuzz-$n.log"; add "fuzz-replay $n ($count inputs)" 0 1
            fi
        done ;;
    cli|golden)
        for t in tests/$s/*.sh; do [ -e "$t" ] && run_tap "$s" "$t"; done ;;
    netns) run_netns netns ;;
    daemon) run_daemon daemon ;;
    static-unit) run_gtest static-unit build/static/x86_64/unit_tests ;;
    static)
        sbin=build/static/hepd
        if [ ! -x "$sbin" ]; then add "static (missing $sbin; make static)" 0 1; continue; fi
        run_tap static tests/static/binary.sh
        for t in tests/cli/*.sh tests/golden/*.sh; do
            case $t in */openwrt_init.sh) continue ;; esac  # builds the package from source
            [ -e "$t" ] && HEPD=$sbin run_tap static "$t"
        done
        if [ "$(id -u)" != 0 ]; then echo "static netns: skipped (needs root)"; continue; fi
        for t in tests/netns/[2-9][0-9]-*.sh; do  # the daemon-only suites
            [ -e "$t" ] && HEPD=$sbin run_tap static-netns "$t"
        done
        HEPD=$sbin run_daemon static-daemon ;;
    static-print)
        sbin=build/static/hepd
        if [ ! -x "$sbin" ]; then add "static-print (missing $sbin; make static)" 0 1; continue; fi
        for t in tests/netns/0[0-9]-*.sh tests/netns/1[0-9]-*.sh; do
            [ -e "$t" ] && HEPD=$sbin run_tap static-print "$t"
        done ;;
    esac
done

echo "# total test time ${SECONDS}s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
