#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Felix-style contender of bench/run.sh: from two `hepd print` outputs (before, after), the
# per-chain delta that brings the kernel from one to the other the way Calico Felix does it:
# only the chains whose rules changed are named, and with --noflush a chain line flushes that
# one chain, which is then refilled whole; new chains are created, gone ones flushed and deleted
# (-X) at the end; jumps in built-in chains are deleted (-D) and inserted one by one; tables
# without a change are left out. IP sets get the same treatment: created, members added and
# deleted one by one (`ipset restore`), destroyed after the rules stopped naming them.
#
#   felix_delta.sh rules OLD NEW        iptables-restore --noflush text (one family) on stdout
#   felix_delta.sh ipset-pre OLD NEW    ipset restore text: create, add, del
#   felix_delta.sh ipset-post OLD NEW   ipset restore text: destroy
#
# OLD may be /dev/null (a cold start). Written from the iptables-restore and ipset formats, for
# the benchmark only: it handles what `hepd print` emits (`:chain - [0:0]`, `-A chain ...`,
# `-I BUILTIN N ...`, `create`/`add`), not every restore file.
set -eu
mode=$1 old=$2 new=$3

case $mode in
rules)
    awk '
    # Reads one side (s = 1 old, 2 new): per table, the chains it declares, their rules in
    # order, and the lines that go to built-in chains (the hooks).
    function side_of() { return FILENAME == ARGV[1] ? 1 : 2 }
    FNR == 1 { s = side_of() }
    /^#/ || /^$/ { next }
    /^\*/ { t = substr($0, 2); tables[t] = 1; if (!(t in torder)) { torder[t] = ++nt; tname[nt] = t } next }
    /^COMMIT/ { next }
    /^:/ { c = substr($1, 2); decl[s, t, c] = 1; chains[t, c] = 1
           if (!((t, c) in corder)) { corder[t, c] = ++nc[t]; cname[t, nc[t]] = c }
           next }
    /^-A / || /^-I / {
        c = $2
        if ((s, t, c) in decl) { n = ++cnt[s, t, c]; rule[s, t, c, n] = $0; next }
        h = ++hcnt[s, t]; hook[s, t, h] = $0; next
    }
    END {
        for (i = 1; i <= nt; i++) {
            t = tname[i]; out = ""; flush = ""; adds = ""; dels = ""; xs = ""
            for (j = 1; j <= nc[t]; j++) {
                c = cname[t, j]
                inold = ((1, t, c) in decl); innew = ((2, t, c) in decl)
                if (innew) {
                    same = inold && cnt[1, t, c] + 0 == cnt[2, t, c] + 0
                    for (k = 1; same && k <= cnt[2, t, c]; k++) same = rule[1, t, c, k] == rule[2, t, c, k]
                    if (same) continue
                    flush = flush ":" c " - [0:0]\n"
                    for (k = 1; k <= cnt[2, t, c]; k++) adds = adds rule[2, t, c, k] "\n"
                } else if (inold) {
                    flush = flush ":" c " - [0:0]\n"
                    xs = xs "-X " c "\n"
                }
            }
            # Hooks: unchanged lists stay; otherwise every old one is deleted, every new one added.
            hs = hcnt[1, t] + 0 == hcnt[2, t] + 0
            for (k = 1; hs && k <= hcnt[2, t]; k++) hs = hook[1, t, k] == hook[2, t, k]
            if (!hs) {
                for (k = 1; k <= hcnt[1, t]; k++) {
                    line = hook[1, t, k]
                    if (line ~ /^-I /) { split(line, f, " "); sub(/^-I [^ ]+ [0-9]+ /, "", line); line = "-D " f[2] " " line }
                    else sub(/^-A /, "-D ", line)
                    dels = dels line "\n"
                }
                for (k = 1; k <= hcnt[2, t]; k++) adds = adds hook[2, t, k] "\n"
            }
            if (flush == "" && adds == "" && dels == "") continue
            printf "*%s\n%s%s%s%sCOMMIT\n", t, flush, dels, adds, xs
        }
    }' "$old" "$new"
    ;;
ipset-pre | ipset-post)
    awk -v mode="$mode" '
    FNR == 1 { s = FILENAME == ARGV[1] ? 1 : 2 }
    $1 == "create" { created[s, $2] = $0; if (!($2 in sorder)) { sorder[$2] = ++ns; sname[ns] = $2 } next }
    $1 == "add" { m = $2 " " $3; member[s, m] = 1; if (!(m in morder)) { morder[m] = ++nm; mname[nm] = m } next }
    END {
        if (mode == "ipset-post") {
            for (i = 1; i <= ns; i++) if ((1, sname[i]) in created && !((2, sname[i]) in created)) print "destroy " sname[i]
            exit
        }
        for (i = 1; i <= ns; i++) if ((2, sname[i]) in created && !((1, sname[i]) in created)) print created[2, sname[i]]
        for (i = 1; i <= nm; i++) if ((2, mname[i]) in member && !((1, mname[i]) in member)) print "add " mname[i]
        for (i = 1; i <= nm; i++) {
            split(mname[i], f, " ")
            if ((1, mname[i]) in member && !((2, mname[i]) in member) && (2, f[1]) in created) print "del " mname[i]
        }
    }' "$old" "$new"
    ;;
*)
    echo "usage: felix_delta.sh rules|ipset-pre|ipset-post OLD NEW" >&2
    exit 2
    ;;
esac
