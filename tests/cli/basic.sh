#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI surface of ../shared/design/CLI.md: help, version, unknown commands, and the commands
# that have not landed yet (they say so and exit 2, never fake output).
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

# Commands not built yet: a clear message and exit 2. Remove a line here when its command lands.
for c in $(sed -n 's/^int cmd_\([a-z]*\)(Args) { return not_built.*/\1/p' src/cmd/cmd_stubs.cpp); do
    expect_contains "$c says it is not built yet" 2 "'$c' is not available in this build yet" "$HEPD" "$c"
done
done_testing
