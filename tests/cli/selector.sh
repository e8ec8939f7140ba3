#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hepd selector EXPR [KEY=VALUE...]: the CLI contract (README, design/CLI.md).
#   stdout "match" exit 0 | "no match" exit 1 | invalid selector, label or usage: stderr, exit 2.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

sel() { "$HEPD" selector "$@"; }
bench_expr="role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine)"

# Evaluation.
expect_output "match: equality" 0 "match" sel "role == 'edge'" role=edge
expect_output "no match: other value" 1 "no match" sel "role == 'edge'" role=core
expect_output "no match: no labels" 1 "no match" sel "role == 'edge'"
expect_output "!= matches an absent label" 0 "match" sel "role != 'edge'"
expect_output "not in matches an absent label" 0 "match" sel "zone not in {'a', 'b'}" role=edge
expect_output "in needs the label" 1 "no match" sel "zone in {'a', 'b'}" role=edge
expect_output "empty selector is all()" 0 "match" sel ""
expect_output "blank selector is all()" 0 "match" sel "  " a=b
expect_output "all()" 0 "match" sel "all()"
expect_output "global() is true" 0 "match" sel "global()"
expect_output "has() with an empty value" 0 "match" sel "has(a)" a=
expect_output "== on an empty value" 0 "match" sel "a == ''" a=
expect_output "prefixed key" 0 "match" sel "example.com/role == \"gw\"" example.com/role=gw
expect_output "benchmark selector, worker" 0 "match" \
    sel "$bench_expr" role=k8s-worker environment=staging zone=a
expect_output "benchmark selector, quarantined" 1 "no match" \
    sel "$bench_expr" role=k8s-worker environment=staging quarantine=yes
expect_output "contains / starts with / ends with" 0 "match" \
    sel "h contains 'ate' && h startswith 'gat' && h ends with 'way'" h=gateway
expect_output "precedence: && before ||" 0 "match" sel "has(x) || has(a) && has(b)" x=1

# Invalid selectors: one diagnostic on stderr, nothing on stdout, exit 2.
expect_stderr "unquoted value" 2 "selector:1:9: error: expected a quoted value after '=='" \
    sel "role == edge" role=edge
expect_output "unquoted value prints nothing on stdout" 2 "" sel "role == edge"
expect_stderr "has with a space" 2 "selector:1:5: error: no space is allowed between 'has' and '('" \
    sel "has (x)"
expect_stderr "unterminated string" 2 "selector:1:6: error: unterminated string: no closing \"'\"" \
    sel "a == 'b"
expect_stderr "trailing operator" 2 "selector:1:10: error: trailing '&&': expected an expression after it" \
    sel "has(foo) &&"
expect_stderr "unbalanced parenthesis" 2 "selector:1:1: error: unbalanced ')': no matching '(' before it" \
    sel ")"
expect_stderr "missing brace" 2 "selector:1:10: error: missing '}' at the end of the set" \
    sel "a in {'x'"
expect_stderr "trailing newline" 2 \
    "selector:1:9: error: unexpected newline; only spaces and tabs may separate tokens" \
    sel "a == 'b'
"
expect_contains "uppercase keyword" 2 "selector:1:3: error: expected an operator" sel "a IN {'x'}"
expect_exit "single =" 2 sel "a = 'b'"

# Invalid label arguments: named on stderr, exit 2.
expect_stderr "label without =" 2 "hepd selector: label argument 'role' is not KEY=VALUE" \
    sel "has(role)" role
expect_stderr "invalid key" 2 \
    "hepd selector: label argument 'Bad key=x': invalid key: the name part must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit" \
    sel "all()" "Bad key=x"
expect_contains "empty key" 2 "label argument '=x': invalid key" sel "all()" "=x"
expect_contains "invalid value" 2 "label argument 'a=-x': invalid value: a label value must" \
    sel "all()" a=-x
expect_contains "value with '='" 2 "label argument 'a=b=c': invalid value" sel "all()" a=b=c
expect_contains "value too long" 2 "at most 63 characters" sel "all()" "a=$(printf 'v%.0s' $(seq 64))"
expect_stderr "duplicate key" 2 "hepd selector: label argument 'a=2': key 'a' given twice" \
    sel "has(a)" a=1 a=2
expect_output "invalid labels print nothing on stdout" 2 "" sel "has(a)" a=1 a=2

# Usage.
expect_contains "no arguments" 2 "usage: hepd selector EXPR [KEY=VALUE...]" "$HEPD" selector
expect_output "--help" 0 "usage: hepd selector EXPR [KEY=VALUE...]
  evaluate a Calico selector against labels: match (exit 0) or no match (exit 1)" \
    "$HEPD" selector --help

done_testing
