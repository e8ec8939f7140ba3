#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install` into a temporary DESTDIR, and the systemd unit it installs: what goes where,
# the unit's paths follow PREFIX, a reinstall keeps the operator's hepd.conf, the unit's stop
# semantics (no teardown) and capabilities, and `systemd-analyze verify` when it is installed.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$HEPD" ] || [ "$HEPD" != build/hepd ]; then
    ok "make install (skipped: it installs build/hepd, which is not built or not the HEPD under test)"
    done_testing
    exit
fi

inst() {  # inst DESTDIR PREFIX: make install, quiet
    make -s --no-print-directory install DESTDIR="$1" PREFIX="$2" >"$tmp/make.out" 2>&1
}

d=$tmp/root
expect_exit "make install DESTDIR=... PREFIX=/usr" 0 inst "$d" /usr
unit=$d/usr/lib/systemd/system/hepd.service
[ -x "$d/usr/sbin/hepd" ] && cmp -s "$d/usr/sbin/hepd" build/hepd && ok "the binary is /usr/sbin/hepd" \
    || not_ok "binary not installed as /usr/sbin/hepd"
[ -f "$unit" ] && [ "$(stat -c %a "$unit")" = 644 ] && ok "the unit is /usr/lib/systemd/system/hepd.service, mode 644" \
    || not_ok "unit missing or mode $(stat -c %a "$unit" 2>/dev/null)"
[ -f "$d/etc/hepd/hepd.conf" ] && [ -d "$d/etc/hepd/resources.d" ] && ok "/etc/hepd/hepd.conf and resources.d/" \
    || not_ok "/etc/hepd not populated"
expect_contains "the installed hepd.conf is valid" 0 "ok: 1 file" "$HEPD" check "$d/etc/hepd/hepd.conf"

key() { sed -n "s/^$1=//p" "$unit"; }
[ "$(key Type)" = simple ] && [ "$(key ExecStart)" = "/usr/sbin/hepd run" ] \
    && [ "$(key ExecReload)" = "/usr/sbin/hepd reload" ] \
    && ok "Type=simple, ExecStart=hepd run, ExecReload=hepd reload" || not_ok "unit commands: $(grep '^Exec\|^Type' "$unit")"
[ -z "$(key ExecStop)$(key ExecStopPost)" ] \
    && ok "no ExecStop: a stop, a restart, an upgrade or a shutdown leaves the rules (fail closed)" \
    || not_ok "the unit tears down on stop"
[ "$(key Restart)" = on-failure ] && ok "Restart=on-failure" || not_ok "Restart=$(key Restart)"
[ "$(key CapabilityBoundingSet)" = "CAP_NET_ADMIN CAP_NET_RAW" ] \
    && ok "capabilities bounded to CAP_NET_ADMIN CAP_NET_RAW" || not_ok "CapabilityBoundingSet=$(key CapabilityBoundingSet)"
fams=" $(key RestrictAddressFamilies) "
[[ $fams == *" AF_NETLINK "* && $fams == *" AF_INET "* && $fams == *" AF_INET6 "* && $fams == *" AF_UNIX "* ]] \
    && ok "address families keep netlink, inet and inet6 (libipset, libiptc)" \
    || not_ok "RestrictAddressFamilies=$(key RestrictAddressFamilies)"
[[ " $(key Before) " == *" network-pre.target "* ]] && [ "$(key DefaultDependencies)" = no ] \
    && ok "ordered before network-pre.target" || not_ok "unit ordering: Before=$(key Before)"

# Another PREFIX: every path follows it.
d2=$tmp/local
expect_exit "make install PREFIX=/usr/local" 0 inst "$d2" /usr/local
unit2=$d2/usr/local/lib/systemd/system/hepd.service
[ -x "$d2/usr/local/sbin/hepd" ] && grep -qx 'ExecStart=/usr/local/sbin/hepd run' "$unit2" \
    && grep -qx 'ExecReload=/usr/local/sbin/hepd reload' "$unit2" && ! grep -q '^Exec.*/usr/sbin/' "$unit2" \
    && ok "PREFIX=/usr/local: binary, unit and its Exec lines under /usr/local" \
    || not_ok "PREFIX=/usr/local: $(grep '^Exec' "$unit2" 2>&1)"

# A reinstall keeps the operator's hepd.conf.
printf '[hepd]\nnode = edited\n' >"$d/etc/hepd/hepd.conf"
expect_exit "make install again" 0 inst "$d" /usr
[ "$(cat "$d/etc/hepd/hepd.conf")" = "$(printf '[hepd]\nnode = edited')" ] \
    && ok "a reinstall keeps the operator's /etc/hepd/hepd.conf" || not_ok "reinstall overwrote hepd.conf"

if command -v systemd-analyze >/dev/null; then
    # verify wants the binaries to exist: point the unit at the installed one.
    sed "s#/usr/sbin/hepd#$d/usr/sbin/hepd#g" "$unit" >"$tmp/hepd.service"
    expect_stderr "systemd-analyze verify accepts the unit" 0 "" systemd-analyze verify "$tmp/hepd.service"
else
    ok "systemd-analyze verify (skipped: systemd not installed)"
fi

done_testing
