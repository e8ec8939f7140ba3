#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Verdict corpus: runs `hepd check FILE` on every case in tests/golden/verdicts/.
#   valid/*.yaml    must exit 0 and report no error for the file;
#   invalid/*.yaml  must exit 1 and print at least one `FILE:LINE:COL: error: ` line for the file,
#                   so that a crash, a usage error or a message without a position cannot pass.
# One line per case: "ok - verdict valid/NNN-slug" or "not ok - verdict invalid/NNN-slug: WHY".
# HEPD=path/to/hepd overrides the binary (default build/hepd, relative to the repository root).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

dir=tests/golden/verdicts
limit=${HEPD_CHECK_TIMEOUT:-20}   # seconds per file; a hang is a failure, not a stalled suite

if [ ! -x "$HEPD" ]; then
    not_ok "verdict suite: $HEPD is not an executable file (build hepd first, or set HEPD)"
    done_testing
    exit
fi

# has_error_line FILE OUTPUT: true when OUTPUT has a line "FILE:<digits>:<digits>: error: ...".
has_error_line() {
    local file=$1 out=$2 line rest
    while IFS= read -r line; do
        [[ $line == "$file:"* ]] || continue
        rest=${line#"$file:"}
        [[ $rest =~ ^[0-9]+:[0-9]+:\ error:\  ]] && return 0
    done <<<"$out"
    return 1
}

run_check() {  # sets OUT and RC
    if command -v timeout >/dev/null 2>&1; then
        OUT=$(timeout "$limit" "$HEPD" check "$1" 2>&1); RC=$?
    else
        OUT=$("$HEPD" check "$1" 2>&1); RC=$?
    fi
}

snippet() { printf '%s' "$1" | head -n 3 | tr '\n' '|' | head -c 300; }

total=0
for kind in valid invalid; do
    for f in "$dir/$kind"/*.yaml; do
        [ -e "$f" ] || continue
        total=$((total + 1))
        name="$kind/$(basename "$f" .yaml)"
        run_check "$f"
        if [ "$kind" = valid ]; then
            if [ "$RC" != 0 ]; then
                not_ok "verdict $name: exit $RC, want 0; output: $(snippet "$OUT")"
            elif has_error_line "$f" "$OUT"; then
                not_ok "verdict $name: exit 0 but an error was reported: $(snippet "$OUT")"
            else
                ok "verdict $name"
            fi
        else
            if [ "$RC" != 1 ]; then
                not_ok "verdict $name: exit $RC, want 1; output: $(snippet "$OUT")"
            elif ! has_error_line "$f" "$OUT"; then
                not_ok "verdict $name: exit 1 but no '$f:LINE:COL: error: ' line; output: $(snippet "$OUT")"
            else
                ok "verdict $name"
            fi
        fi
    done
done

if [ "$total" = 0 ]; then
    not_ok "verdict suite: no cases found under $dir"
fi
done_testing
