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
    # Reads one side (s = 1 old, 2 new): per table, the chains it declares, the rules of each chain
    # as one string, and the lines that go to built-in chains (the hooks).
    /^#/ || /^$/ || /^COMMIT/ { next }
    /^\*/ { t = substr($0, 2); if (!(t in torder)) { torder[t] = ++nt; tname[nt] = t } next }
    /^:/ { c = substr($1, 2); k = t SUBSEP c; decl[s, k] = 1
           if (!(k in corder)) { corder[k] = ++nc[t]; cname[t, nc[t]] = c }
           next }
    /^-A / || /^-I / {
        k = t SUBSEP $2
        if ((s, k) in decl) { body[s, k] = body[s, k] $0 "\n"; next }
        hooks[s, t] = hooks[s, t] $0 "\n"; hn[s, t]++; hook[s, t, hn[s, t]] = $0; next
    }
    END {
        for (i = 1; i <= nt; i++) {
            t = tname[i]; any = 0
            # A chain is named when it is new, gone, or its rules differ.
            for (j = 1; j <= nc[t]; j++) {
                k = t SUBSEP cname[t, j]
                st[k] = 0
                if ((2, k) in decl) { if (!((1, k) in decl) || body[1, k] != body[2, k]) st[k] = 1 }
                else if ((1, k) in decl) st[k] = 2
                if (st[k]) any = 1
            }
            hchg = hooks[1, t] != hooks[2, t]
            if (!any && !hchg) continue
            printf "*%s\n", t
            for (j = 1; j <= nc[t]; j++) { k = t SUBSEP cname[t, j]; if (st[k]) printf ":%s - [0:0]\n", cname[t, j] }
            if (hchg) {  # every old hook deleted, every new one added
                for (h = 1; h <= hn[1, t]; h++) {
                    line = hook[1, t, h]
                    if (line ~ /^-I /) { split(line, f, " "); sub(/^-I [^ ]+ [0-9]+ /, "", line); line = "-D " f[2] " " line }
                    else sub(/^-A /, "-D ", line)
                    print line
                }
            }
            for (j = 1; j <= nc[t]; j++) { k = t SUBSEP cname[t, j]; if (st[k] == 1) printf "%s", body[2, k] }
            if (hchg) printf "%s", hooks[2, t]
            for (j = 1; j <= nc[t]; j++) { k = t SUBSEP cname[t, j]; if (st[k] == 2) printf "-X %s\n", cname[t, j] }
            print "COMMIT"
        }
    }' s=1 "$old" s=2 "$new"
    ;;
ipset-pre | ipset-post)
    awk -v mode="$mode" '
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
    }' s=1 "$old" s=2 "$new"
    ;;
*)
    echo "usage: felix_delta.sh rules|ipset-pre|ipset-post OLD NEW" >&2
    exit 2
    ;;
esac
