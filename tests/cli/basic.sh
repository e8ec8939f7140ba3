#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI surface of ../shared/design/CLI.md: help, version, unknown commands, and the commands
# that talk to the daemon when none runs (they say so and exit 2, never fake output).
cd "$(dirname "$0")/../.."
. tests/lib.sh

expect_contains "help lists every command" 0 "hepd selector EXPR [KEY=VALUE...]" "$HEPD" --help
for c in run status check print selector reload apply confirm rollback teardown version; do
    expect_contains "help mentions $c" 0 "  hepd $c" "$HEPD" --help
done
expect_exit "no arguments is a usage error" 2 "$HEPD"
expect_contains "unknown command" 2 "unknown command 'frobnicate'" "$HEPD" frobnicate
expect_contains "version" 0 "hepd 0." "$HEPD" version
expect_contains "version names the backend" 0 "backend: iptables-legacy (libiptc)" "$HEPD" version
expect_contains "--version is version" 0 "hepd 0." "$HEPD" --version
expect_exit "version takes no arguments" 2 "$HEPD" version extra
expect_contains "per-command help" 0 "usage: hepd check" "$HEPD" check --help

# The commands that talk to the daemon, with no daemon: "not running" and exit 2 (CLI.md).
t=$(mktemp -d /tmp/hepd-cli-basic.XXXXXX)
printf '[hepd]\nsocket = %s/run/hepd.sock\nstate_dir = %s/run\nresource_dir = %s\n' "$t" "$t" "$t" >"$t/hepd.conf"
for c in reload apply confirm rollback; do
    expect_contains "$c without a daemon: not running, exit 2" 2 "the daemon is not running" "$HEPD" "$c" -c "$t/hepd.conf"
done
expect_contains "apply --confirm-timeout takes seconds" 2 "takes 0..86400 seconds" "$HEPD" apply --confirm-timeout soon
expect_contains "apply --confirm-timeout is capped" 2 "takes 0..86400 seconds" "$HEPD" apply --confirm-timeout 86401
expect_contains "apply --no-confirm with a window contradicts" 2 "contradict" "$HEPD" apply --no-confirm --confirm-timeout 5
expect_contains "confirm takes no other argument" 2 "unknown argument 'now'" "$HEPD" confirm now
rm -rf "$t"
done_testing
