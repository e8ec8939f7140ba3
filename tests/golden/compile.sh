#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden files for the compiler: tests/golden/compile/NAME/ holds the input (hepd.conf, *.yaml,
# `links` with one --link argument per line) and `expected.rules`, the exact `hepd print` output.
# For each scenario:
#   1. the output equals expected.rules (HEPD_UPDATE_GOLDEN=1 rewrites it instead);
#   2. (root) the kernel accepts it: ipset restore + iptables/ip6tables-legacy-restore --noflush
#      in a scratch network namespace;
#   3. (root) what iptables-legacy-save then shows of hepd's chains equals what print rendered.
# The scratch namespace is removed on exit, even on failure.
cd "$(dirname "$0")/../.."
. tests/lib.sh

ns=hepdt-golden-$$
cleanup() { ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT INT TERM

# hepd chains and rules as iptables-save prints them, in print's order: declarations of hepd
# chains, then hook jumps (-I X 1 saved as -A X), then hepd chain rules.
normalise_print() {  # stdin: one family's print part
    sed -e 's/^-I \([A-Z]*\) 1 /-A \1 /'
}
normalise_save() {  # stdin: iptables-save output of one family
    grep -v '^#' | grep -v '^:[A-Z]' | sed -e 's/ \[[0-9]*:[0-9]*\]$/ [0:0]/'
}

for dir in tests/golden/compile/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    args=(-c "$dir/hepd.conf")
    if [ -f "$dir/links" ]; then
        while read -r l; do [ -n "$l" ] && args+=(--link "$l"); done < "$dir/links"
    fi
    yamls=("$dir"*.yaml)
    out=$("$HEPD" print "${args[@]}" "${yamls[@]}" 2>&1); rc=$?
    if [ "$rc" != 0 ]; then not_ok "compile $name: hepd print exited $rc: $out"; continue; fi
    if [ "${HEPD_UPDATE_GOLDEN:-}" = 1 ]; then printf '%s\n' "$out" > "$dir/expected.rules"; fi
    if [ "$out" = "$(cat "$dir/expected.rules" 2>/dev/null)" ]; then ok "compile $name: output matches expected.rules"
    else not_ok "compile $name: output differs from expected.rules:
$(diff -u "$dir/expected.rules" <(printf '%s\n' "$out") | head -40)"; fi

    [ "$(id -u)" = 0 ] || continue
    cleanup; ip netns add "$ns" || { not_ok "compile $name: cannot create namespace"; continue; }
    ipset_part=$("$HEPD" print "${args[@]}" --only ipset "${yamls[@]}")
    v4=$("$HEPD" print "${args[@]}" --only ipv4 "${yamls[@]}")
    v6=$("$HEPD" print "${args[@]}" --only ipv6 "${yamls[@]}")
    err=$( { printf '%s\n' "$ipset_part" | ip netns exec "$ns" ipset restore &&
             printf '%s\n' "$v4" | ip netns exec "$ns" iptables-legacy-restore --noflush &&
             { [ -z "$v6" ] || printf '%s\n' "$v6" | ip netns exec "$ns" ip6tables-legacy-restore --noflush; }; } 2>&1)
    if [ $? = 0 ]; then ok "compile $name: the kernel accepts the rules and sets"
    else not_ok "compile $name: the kernel refused: $err"; continue; fi
    same=1
    for fam in 4 6; do
        part=$v4; save=iptables-legacy-save
        if [ $fam = 6 ]; then part=$v6; save=ip6tables-legacy-save; [ -z "$part" ] && continue; fi
        for table in raw mangle filter; do
            want=$(printf '%s\n' "$part" | awk -v t="*$table" '$0==t{p=1} p{print} p&&/^COMMIT/{exit}' | normalise_print)
            [ -z "$want" ] && continue
            got=$(ip netns exec "$ns" $save -t "$table" | normalise_save)
            if [ "$want" != "$got" ]; then
                same=0
                not_ok "compile $name: IPv$fam $table in the kernel differs from print:
$(diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -30)"
            fi
        done
    done
    [ $same = 1 ] && ok "compile $name: iptables-legacy-save equals hepd print"
done
done_testing
