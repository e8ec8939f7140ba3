#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/static/size.sh BIN FULL MAP: where the bytes of the static hepd go (make size).
#   BIN   the stripped binary            (build/static/hepd)
#   FULL  the same link with symbols     (build/static/TARGET/hepd.full)
#   MAP   the linker's map of that link  (build/static/TARGET/hepd.map)
# Prints `size -A` of BIN, its size against the 1 MiB limit and the 512 KiB target, then the
# loaded bytes (every section but debug info, symbols and .bss) by library and by object file
# from the map, and the 20 largest symbols.
set -euo pipefail
bin=$1 full=$2 map=$3
limit=1048576 target=524288

sizecmd=size
if ! size -A "$bin" >/dev/null 2>&1; then sizecmd=llvm-size; fi  # another architecture
nmcmd=nm
if ! nm "$full" >/dev/null 2>&1; then nmcmd=llvm-nm; fi

echo "== $sizecmd -A $bin"
$sizecmd -A "$bin"
bytes=$(stat -c %s "$bin")
verdict() { if [ "$bytes" -le "$1" ]; then echo "within"; else echo "OVER by $((bytes - $1)) bytes"; fi; }
printf '== %s: %d bytes (%d KiB): 1 MiB limit: %s; 512 KiB target: %s\n' "$bin" "$bytes" \
    $(((bytes + 1023) / 1024)) "$(verdict $limit)" "$(verdict $target)"

# The map (ld.lld --print-map): a header line naming the columns, then output sections (name in
# column "Out"), input sections (column "In", "FILE:(SECTION)" or "ARCHIVE(MEMBER):(SECTION)")
# and symbols (deeper). Sizes are hexadecimal.
report() {  # report MODE: lib or obj
    awk -v mode="$1" '
    function hex(s,   i, n) { n = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return n }
    NR == 1 { out_col = index($0, "Out"); in_col = index($0, "In "); next }
    {
        if (!match($0, /^ *[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ +[0-9]+ /)) next
        lead = RLENGTH; rest = substr($0, lead + 1); match(rest, /^ */); col = lead + RLENGTH + 1
        if (col == out_col) { sec = $5; keep = sec !~ /^\.(debug|comment|symtab|strtab|shstrtab|bss|tbss)/; next }
        if (col != in_col || !keep) next
        f = $5; sub(/:\(.*$/, "", f)
        if (f == "<internal>") { lib = "linker: merged strings, .eh_frame_hdr, GOT"; obj = lib }
        else if (match(f, /\(.*\)$/)) {
            member = substr(f, RSTART + 1, RLENGTH - 2); sub(/^.*\//, "", member)
            lib = substr(f, 1, RSTART - 1); sub(/^.*\//, "", lib); obj = lib "(" member ")"
        } else if (f !~ /\/obj\//) { lib = "startup files (crt)"; obj = lib
        } else {
            obj = f; sub(/^.*\/obj\//, "", obj); lib = obj; sub(/\/[^\/]*$/, "", lib); lib = "hepd " lib
        }
        size = hex($3); total += size
        if (mode == "lib") sum[lib] += size; else sum[obj] += size
    }
    END { for (k in sum) printf "%9d %5.1f%%  %s\n", sum[k], 100 * sum[k] / total, k }
    ' "$map" | sort -rn
}
echo "== loaded bytes by library (src/* are hepd's own objects)"
report lib
echo "== the 25 largest object files"
report obj | head -${SIZE_OBJECTS:-25}
echo "== the 20 largest symbols"
$nmcmd --size-sort -S -C "$full" | tail -20 | awk '
    function hex(s,   i, n) { n = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return n }
    { name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name); printf "%9d %s %s\n", hex($2), $3, substr(name, 1, 110) }'
