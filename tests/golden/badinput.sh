#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input catalogue: hostile, broken and oversized files, generated at test time (the large
# ones would bloat the repository), each run through `hepd check` with a memory cap and a time
# limit. Every case must end with the documented outcome: exit 0 (valid, maybe with a warning)
# or exit 1 with a `FILE:LINE:COL: error:` line (or `FILE: error:` for a whole-file problem);
# never a crash, a hang or unbounded memory. Limits (ModelLimits, yaml::Limits, setup.cpp) are
# tested at the limit (valid) and one beyond it (error).
# One line per case: "ok - badinput NAME" or "not ok - badinput NAME: WHY".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

if [ ! -x "$HEPD" ]; then
    not_ok "badinput: $HEPD is not an executable file (build hepd first, or set HEPD)"
    done_testing
    exit
fi
HEPD=$(cd "$(dirname "$HEPD")" && pwd)/$(basename "$HEPD")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hepd-badinput.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

mem_kib=${HEPD_BADINPUT_MEM_KIB:-262144}   # 256 MiB of address space per run
limit=${HEPD_CHECK_TIMEOUT:-20}           # seconds per run

# run FILE...: sets OUT (stdout+stderr) and RC; memory-capped and time-limited.
run() {
    OUT=$( (ulimit -v "$mem_kib" 2>/dev/null; timeout "$limit" "$HEPD" check "$@") 2>&1 ); RC=$?
}

short() { printf '%s' "$1" | head -n 3 | tr '\n' '|' | head -c 300; }

# expect_valid NAME FILE...: exit 0, no error line.
expect_valid() {
    local name=$1; shift
    run "$@"
    if [ "$RC" = 0 ] && ! grep -q ': error: ' <<<"$OUT"; then ok "badinput $name"
    else not_ok "badinput $name: exit $RC, want 0; output: $(short "$OUT")"; fi
}

# expect_warning NAME FILE TEXT: exit 0 and a warning for FILE containing TEXT.
expect_warning() {
    local name=$1 file=$2 text=$3
    run "$file"
    if [ "$RC" = 0 ] && grep -qF "$file: warning: $text" <<<"$OUT"; then ok "badinput $name"
    else not_ok "badinput $name: exit $RC (want 0), no '$file: warning: $text'; output: $(short "$OUT")"; fi
}

# expect_error NAME WHERE TEXT FILE...: exit 1 and an error line that starts with WHERE (such as
# "$f:12:" or "$f: ") and contains TEXT.
expect_error() {
    local name=$1 where=$2 text=$3; shift 3
    run "$@"
    if [ "$RC" != 1 ]; then
        not_ok "badinput $name: exit $RC, want 1; output: $(short "$OUT")"
    elif ! grep -F -- "$where" <<<"$OUT" | grep -qF -- "$text"; then
        not_ok "badinput $name: no error at '$where' containing '$text'; output: $(short "$OUT")"
    else
        ok "badinput $name"
    fi
}

# repeat N TEXT: TEXT N times (awk, so that large inputs are quick).
repeat() { awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'; }

gnp_head() {  # gnp_head NAME: a policy header up to `spec:`
    printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: %s\nspec:\n' "$1"
}
profile() {  # profile NAME
    printf 'apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: %s\n' "$1"
}

# ---- empty and non-text input ----------------------------------------------------------------

f=$tmp/empty.yaml; : >"$f"
expect_warning "empty file" "$f" "no resources in this file"
f=$tmp/comments.yaml; printf '# nothing here yet\n# apiVersion: projectcalico.org/v3\n' >"$f"
expect_warning "comments only" "$f" "no resources in this file"
f=$tmp/separators.yaml; printf -- '---\n---\n...\n' >"$f"
expect_warning "empty documents only" "$f" "no resources in this file"

f=$tmp/garbage.yaml; head -c 65536 "$HEPD" >"$f"
expect_error "binary garbage (64 KiB of an ELF file)" "$f:1:" "invalid input" "$f"
f=$tmp/random.yaml; head -c 4096 /dev/urandom >"$f"
run "$f"
if [ "$RC" = 1 ] && grep -qE "^$f:[0-9]+:[0-9]+: error: " <<<"$OUT"; then ok "badinput random bytes"
else not_ok "badinput random bytes: exit $RC; output: $(short "$OUT")"; fi
f=$tmp/latin1.yaml; printf 'apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: caf\351\n' >"$f"
expect_error "invalid UTF-8" "$f:4:" "UTF-8" "$f"
f=$tmp/utf16.yaml; printf '\377\376a\000:\000 \000b\000\n\000' >"$f"
expect_error "UTF-16" "$f:1:1:" "the file is encoded in UTF-16 (little-endian); hepd reads UTF-8 only" "$f"
f=$tmp/utf16be.yaml; printf '\000a\000:\000 \000b\000\n' >"$f"
expect_error "UTF-16 big-endian without a byte order mark" "$f:1:1:" "UTF-16 (big-endian)" "$f"
f=$tmp/nul.yaml; printf 'apiVersion: projectcalico.org/v3\nkind: Profile\000\n' >"$f"
expect_error "NUL byte" "$f:2:" "control characters" "$f"

# ---- line endings and encodings that are fine ------------------------------------------------

valid_set() {  # one resource of each kind hepd programs
    printf 'apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: wan\n  labels:\n    role: wan\nspec:\n  node: router1\n  interfaceName: eth1\n---\n'
    gnp_head allow-ssh
    printf '  selector: role == "wan"\n  ingress:\n    - action: Allow\n      protocol: TCP\n      destination:\n        ports: [22]\n---\n'
    printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: admins\nspec:\n  nets: [198.51.100.0/24]\n---\n'
    profile lan
}
f=$tmp/crlf.yaml; valid_set | sed 's/$/\r/' >"$f"
run "$f"
if [ "$RC" = 0 ] && grep -q "1 HostEndpoint, 1 GlobalNetworkPolicy, 1 GlobalNetworkSet, 1 Profile" <<<"$OUT"; then
    ok "badinput CRLF line endings load"
else not_ok "badinput CRLF line endings load: exit $RC; output: $(short "$OUT")"; fi
f=$tmp/crlf-bad.yaml; { profile x; printf 'spec:\n  egress:\n    - action: deny\n'; } | sed 's/$/\r/' >"$f"
expect_error "CRLF keeps line numbers" "$f:7:15:" "did you mean 'Deny'" "$f"
f=$tmp/cr.yaml; valid_set | tr '\n' '\r' >"$f"
expect_valid "CR-only line endings load" "$f"
f=$tmp/bom.yaml; { printf '\357\273\277'; valid_set; } >"$f"
expect_valid "UTF-8 byte order mark" "$f"

# ---- sizes -----------------------------------------------------------------------------------

f=$tmp/exactly-1mib.yaml
{ profile big; n=$((1048576 - $(profile big | wc -c))); repeat $((n / 64)) "# $(repeat 61 x)
"; repeat $((n % 64 - 1)) "#"; echo; } >"$f"
if [ "$(wc -c <"$f")" = 1048576 ]; then expect_valid "resource file of exactly 1 MiB" "$f"
else not_ok "badinput resource file of exactly 1 MiB: generated $(wc -c <"$f") bytes"; fi
f=$tmp/over-1mib.yaml; { cat "$tmp/exactly-1mib.yaml"; echo; } >"$f"
expect_error "resource file of 1 MiB + 1 byte" "$f: " "larger than 1048576 bytes" "$f"
f=$tmp/huge.yaml; head -c 200000000 /dev/zero 2>/dev/null | tr '\0' '#' >"$f" 2>/dev/null || true
expect_error "200 MB file is refused without reading it" "$f: " "larger than 1048576 bytes" "$f"
rm -f "$f"
f=$tmp/scalar.yaml; { profile x; printf '  labels:\n    a: '; repeat 70000 v; echo; } >"$f"
expect_error "scalar of 70000 bytes" "$f:6:" "limit of 65536 bytes" "$f"
f=$tmp/nodes.yaml; { printf 'a: ['; repeat 200001 '1,'; printf '1]\n'; } >"$f"
expect_error "200001 YAML nodes" "$f:1:" "200000 YAML nodes" "$f"
f=$tmp/annotations.yaml
{ profile x; printf '  annotations:\n'; for i in 1 2 3 4 5; do printf '    k%d: ' "$i"; repeat 60000 v; echo; done; } >"$f"
expect_error "annotations over 256 KiB" "$f:6:5:" "the limit is 262144" "$f"

# ---- nesting and aliases ---------------------------------------------------------------------

f=$tmp/deep-flow.yaml; { printf 'a: '; repeat 500000 '['; } >"$f"
expect_error "500000 nested flow sequences" "$f:1:" "deeper than 64" "$f"
f=$tmp/deep-block.yaml; awk 'BEGIN { for (i = 0; i < 200; i++) { for (j = 0; j < i; j++) printf " "; printf "k%d:\n", i } }' >"$f"
expect_error "200 nested block mappings" "$f:" "deeper than 64" "$f"
f=$tmp/bomb.yaml
{ profile x; printf '  labels: &a0 {a: b}\nspec:\n'
  for i in 1 2 3 4 5 6 7 8 9; do printf '  x%d: &a%d [' "$i" "$i"; for j in 1 2 3 4 5 6 7 8; do printf '*a%d, ' $((i - 1)); done; printf '*a%d]\n' $((i - 1)); done; } >"$f"
expect_error "alias bomb (9^9 expansions)" "$f:7:" "YAML aliases are not supported (*a0): hepd does not expand them; write the value out (80 more aliases in this file)" "$f"
# (The other errors are the nine unknown fields x1..x9 of spec.)
if [ "$(grep -c 'alias' <<<"$OUT")" = 1 ]; then ok "badinput alias bomb: one error for 81 aliases"
else not_ok "badinput alias bomb: $(grep -c 'alias' <<<"$OUT") alias error lines, want 1"; fi

# ---- duplicates ------------------------------------------------------------------------------

f=$tmp/dupkeys.yaml; { profile x; printf '  labels:\n'; awk 'BEGIN { for (i = 0; i < 5000; i++) print "    a: b" }'; } >"$f"
run "$f"
lines=$(grep -c ': error: ' <<<"$OUT")
if [ "$RC" = 1 ] && [ "$lines" -le 1000 ] && grep -q "more diagnostics not shown" <<<"$OUT"; then
    ok "badinput 5000 duplicate keys: report capped at 1000"
else not_ok "badinput 5000 duplicate keys: exit $RC, $lines error lines; output: $(short "$OUT")"; fi
mkdir -p "$tmp/dup"
{ gnp_head allow-ssh; printf '  selector: all()\n'; } >"$tmp/dup/a.yaml"
{ printf '# the same name again\n'; gnp_head allow-ssh; printf '  order: 5\n'; } >"$tmp/dup/b.yaml"
expect_error "duplicate names across files" "$tmp/dup/b.yaml:2:1:" "already defined at $tmp/dup/a.yaml:1:1" "$tmp/dup"
mkdir -p "$tmp/loop/d"; profile looped >"$tmp/loop/d/a.yaml"; ln -s .. "$tmp/loop/d/up"; ln -s . "$tmp/loop/d/self"
expect_valid "directory with symlink loops is read once" "$tmp/loop"

# ---- documented limits: at the limit valid, one beyond an error ------------------------------

sel() { repeat $((($1 - 6) / 10)) 'has(a) || '; printf 'has(%s)' "$(repeat $((($1 - 6) % 10 + 1)) b)"; }
for n in 1024 1025; do
    f=$tmp/selector-$n.yaml; { gnp_head p; printf '  selector: "%s"\n' "$(sel $n)"; } >"$f"
    [ "$(sel $n | wc -c)" = $n ] || not_ok "badinput selector generator: $(sel $n | wc -c) != $n"
    f2=$tmp/rule-selector-$n.yaml
    { gnp_head p; printf '  ingress:\n    - action: Allow\n      source:\n        selector: "%s"\n' "$(sel $n)"; } >"$f2"
done
expect_valid "policy selector of 1024 characters" "$tmp/selector-1024.yaml"
expect_error "policy selector of 1025 characters" "$tmp/selector-1025.yaml:6:13:" "1025 characters long, the limit is 1024" "$tmp/selector-1025.yaml"
expect_valid "rule selector of 1024 characters" "$tmp/rule-selector-1024.yaml"
expect_error "rule selector of 1025 characters" "$tmp/rule-selector-1025.yaml:9:19:" "spec.ingress[0].source.selector: selector is 1025" "$tmp/rule-selector-1025.yaml"

ports() { awk -v n="$1" 'BEGIN { printf "["; for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? ", " : ""), 1000 + i; printf "]" }'; }
for n in 50 51; do
    { gnp_head p; printf '  ingress:\n    - action: Allow\n      protocol: TCP\n      destination:\n        notPorts: %s\n' "$(ports $n)"; } >"$tmp/ports-$n.yaml"
done
expect_valid "ports list of 50" "$tmp/ports-50.yaml"
expect_error "ports list of 51" "$tmp/ports-51.yaml:10:" "notPorts: 51 entries, the limit is 50" "$tmp/ports-51.yaml"

nets() { awk -v n="$1" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s10.%d.%d.0/24", (i ? ", " : ""), int(i / 256), i % 256; printf "]" }'; }
for n in 256 257; do
    { gnp_head p; printf '  egress:\n    - action: Deny\n      destination:\n        nets: %s\n' "$(nets $n)"; } >"$tmp/nets-$n.yaml"
done
expect_valid "nets list of 256" "$tmp/nets-256.yaml"
expect_error "nets list of 257" "$tmp/nets-257.yaml:9:" "nets: 257 entries, the limit is 256" "$tmp/nets-257.yaml"

for n in 1024 1025; do
    { gnp_head p; printf '  egress:\n'; repeat $n '    - action: Allow
'; } >"$tmp/rules-$n.yaml"
    { profile p; printf 'spec:\n  ingress:\n'; repeat $n '    - action: Deny
'; } >"$tmp/profile-rules-$n.yaml"
done
expect_valid "1024 rules in a policy" "$tmp/rules-1024.yaml"
expect_error "1025 rules in a policy" "$tmp/rules-1025.yaml:7:" "spec.egress: 1025 rules, the limit is 1024" "$tmp/rules-1025.yaml"
expect_valid "1024 rules in a profile" "$tmp/profile-rules-1024.yaml"
expect_error "1025 rules in a profile" "$tmp/profile-rules-1025.yaml:7:" "spec.ingress: 1025 rules" "$tmp/profile-rules-1025.yaml"

gns_nets() { awk -v n="$1" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s10.%d.%d.%d", (i ? "," : ""), int(i / 65536), int(i / 256) % 256, i % 256; printf "]" }'; }
for n in 65536 65537; do
    printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: s\nspec:\n  nets: %s\n' "$(gns_nets $n)" >"$tmp/gns-$n.yaml"
done
expect_valid "GlobalNetworkSet of 65536 nets" "$tmp/gns-65536.yaml"
expect_error "GlobalNetworkSet of 65537 nets" "$tmp/gns-65537.yaml:6:9:" "65537 entries, the limit is 65536" "$tmp/gns-65537.yaml"

profiles() {  # profiles FROM TO: a ProfileList
    printf 'apiVersion: projectcalico.org/v3\nkind: ProfileList\nitems:\n'
    awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i < b; i++) printf "  - metadata: {name: p%d}\n", i }'
}
profiles 0 10000 >"$tmp/res-10000.yaml"
profiles 0 10001 >"$tmp/res-10001.yaml"
expect_valid "10000 resources" "$tmp/res-10000.yaml"
expect_error "10001 resources" "$tmp/res-10001.yaml:10004:5:" "too many resources: the limit is 10000" "$tmp/res-10001.yaml"
mkdir -p "$tmp/res-split"; profiles 0 6000 >"$tmp/res-split/a.yaml"; profiles 6000 10001 >"$tmp/res-split/b.yaml"
expect_error "10001 resources over two files" "$tmp/res-split/b.yaml:4004:5:" "too many resources" "$tmp/res-split"

f=$tmp/many-errors.yaml; { gnp_head p; printf '  ingress:\n'; repeat 1024 '    - action: allow
'; } >"$f"
run "$f"
lines=$(grep -c ': error: ' <<<"$OUT")
if [ "$RC" = 1 ] && [ "$lines" = 1000 ] && grep -q "hepd check: 1024 errors" <<<"$OUT"; then
    ok "badinput 1024 errors: 1000 shown, all counted"
else not_ok "badinput 1024 errors: exit $RC, $lines error lines; output: $(tail -2 <<<"$OUT")"; fi

# ---- UCI and INI -----------------------------------------------------------------------------

f=$tmp/unterminated.uci; printf "config policy 'fw'\n\toption selector 'has(role)\n\toption order '10'\n" >"$f"
# The quote opened on line 2 closes at the start of line 3's value; the one after 10 never does.
expect_error "UCI unterminated quote" "$f:3:18:" "unterminated single-quoted string" "$f"
f=$tmp/big-value.uci; { printf "config policy 'fw'\n\toption selector '"; repeat 1000000 a; printf "'\n"; } >"$f"
expect_error "UCI value of 1 MB" "$f:2:18:" "selector is 1000000 characters long" "$f"
f=$tmp/big.uci; { printf "config policy 'fw'\n"; repeat 30000 "	option order '1234567890123456789012345678901234'
"; } >"$f"
expect_error "UCI file over 1 MiB" "$f: " "larger than 1048576 bytes" "$f"
f=$tmp/binary.uci; { printf 'config hepd\n'; head -c 4096 "$HEPD"; } >"$f"
run "$f"
if [ "$RC" = 1 ] && grep -qE "^$f:[0-9]+:[0-9]+: error: " <<<"$OUT"; then ok "badinput UCI with binary garbage"
else not_ok "badinput UCI with binary garbage: exit $RC; output: $(short "$OUT")"; fi
f=$tmp/big-value.conf; { printf '[hepd]\nnode = '; repeat 1000000 a; echo; } >"$f"
expect_error "INI value of 1 MB" "$f:2:" "line 2 is too long (1000007 bytes; the limit is 4096)" "$f"
long_list() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%sif%d", (i ? "," : ""), i }'; }
f=$tmp/long-line.conf; { printf '[hepd]\nnode = r1\n[global]\nInterfaceExclude = '; long_list 685; echo; } >"$f"
n=$(sed -n 4p "$f" | wc -c)
if [ "$n" -gt 4000 ] && [ "$n" -le 4097 ]; then expect_valid "INI line of $((n - 1)) bytes (a long InterfaceExclude) is read whole" "$f"
else not_ok "badinput INI long line generator: $n bytes"; fi
f=$tmp/line-4097.conf; { printf '[hepd]\nnode = r1\n; '; repeat 4095 c; echo; } >"$f"
expect_error "INI line of 4097 bytes" "$f:3:" "line 3 is too long (4097 bytes; the limit is 4096)" "$f"
f=$tmp/big.conf; { printf '[hepd]\n'; repeat 40000 "; a comment line of some thirty bytes
"; } >"$f"
expect_error "INI file over 1 MiB" "$f: " "larger than 1048576 bytes" "$f"
f=$tmp/binary.conf; head -c 4096 "$HEPD" >"$f"
run "$f"
if [ "$RC" = 1 ] && grep -qE "^$f:[0-9]+: error: " <<<"$OUT"; then ok "badinput INI with binary garbage"
else not_ok "badinput INI with binary garbage: exit $RC; output: $(short "$OUT")"; fi

done_testing
