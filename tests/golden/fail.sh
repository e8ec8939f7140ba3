#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden error messages: for every tests/golden/fail/NAME.{yaml,conf,uci}, `hepd check FILE`
# exits 1 and prints exactly NAME.err on stderr (HEPD_UPDATE_GOLDEN=1 rewrites NAME.err).
cd "$(dirname "$0")/../.."
. tests/lib.sh
for f in tests/golden/fail/*.yaml tests/golden/fail/*.conf tests/golden/fail/*.uci; do
    [ -e "$f" ] || continue
    want=${f%.*}.err
    got=$("$HEPD" check "$f" 2>&1 >/dev/null); rc=$?
    if [ "${HEPD_UPDATE_GOLDEN:-}" = 1 ]; then printf '%s\n' "$got" > "$want"; fi
    if [ "$rc" = 1 ] && [ "$got" = "$(cat "$want" 2>/dev/null)" ]; then ok "fail $(basename "$f")"
    else not_ok "fail $(basename "$f"): exit $rc (want 1); diff:
$(diff -u "$want" <(printf '%s\n' "$got") | head -20)"; fi
done
done_testing
