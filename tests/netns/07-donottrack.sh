#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 07-donottrack: untracked (doNotTrack) policy; an untracked Allow needs both directions, because
# no conntrack entry carries the replies (SEMANTICS 2.3, 2.8, 2.10; FV 5.3 items 10-14; gotcha 6).
#
#   +------+ eth0 .2  link 10  .1 eth1 +-----+ eth0 .2  link 1  .1 eth0 +-----+
#   | mgmt |---------------------------| lan |--------------------------| dut |
#   +------+ not lan-eth0              +-----+ HostEndpoint lan-eth0    +-----+ HostEndpoint dut-eth0
#                                       router (node lan; feeds selectors)       expectedIPs .1, ::1
#
# Default failsafes: inbound tcp 22, 2379 (...); outbound tcp 2379 (...), not 22.
# Policy dnt {selector name == 'dut-eth0', doNotTrack, applyOnForward}:
#   phase B: ingress Allow from source selector name == 'lan-eth0';
#            egress  Allow to destination selector name == 'lan-eth0'
#   phase C: the same with egress emptied (types stay [Ingress, Egress]) = FV item 13
#   phase D: ingress Deny to destination selector name == 'dut-eth0'; egress as B = FV item 14
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  in via eth0: raw PREROUTING -> hepd-PREROUTING -> hepd-from-host-endpoint -> raw hepd-fh-eth0:
#   raw hepd-failsafe-in (inbound list as dport, outbound list as sport, ND) -> ACCEPT without
#   NOTRACK; clear marks; tier (forced Pass): hepd-pi-gnp/dnt -> Allow: accept bit, NOTRACK,
#   ACCEPT; Deny: DROP; no verdict: continue. Then filter INPUT: accept bit -> ACCEPT; else
#   hepd-fh-eth0 (filter): ESTABLISHED; INVALID drop; failsafe; no normal policy -> final drop.
#  out via eth0: raw OUTPUT -> hepd-OUTPUT -> hepd-to-host-endpoint -> raw hepd-th-eth0 (the
#   same with hepd-failsafe-out and hepd-po-gnp/dnt) -> filter OUTPUT: accept bit -> ACCEPT;
#   else hepd-th-eth0 (filter): ESTABLISHED; INVALID drop; failsafe-out; final drop.
#  So: a TCP flow needs an untracked Allow in both directions (the SYN-ACK of an untracked SYN has
#   no conntrack entry: INVALID or NEW, dropped in the filter chain). Failsafe ports stay tracked
#   and pass in raw before the policy, so they work in every phase. One-way UDP needs one side.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0  1
link lan:eth1 mgmt:eth0 10
gateway dut lan
gateway mgmt lan
forward lan
EOF
listen_tcp dut 22 2379 8055
listen_udp dut 5000
listen_tcp lan 22 2379 8055
listen_udp lan 5000

conf <<'EOF'
[global]
EOF
resource 10-heps <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
  labels:
    name: dut-eth0
    host-endpoint: "true"
spec:
  node: dut
  interfaceName: eth0
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: lan-eth0
  labels:
    name: lan-eth0
spec:
  node: lan
  interfaceName: eth0
  expectedIPs: [198.18.1.2, "2001:db8:1::2"]
EOF

# ---------------------------------------------------------------------------------------------
phase "A HostEndpoint only"
load_rules dut
both expect_block "no policy: final drop" tcp_ok lan dut:eth0 8055
both expect_block "no policy: final drop" tcp_ok dut lan:eth0 8055
both expect_pass "inbound failsafe" tcp_ok lan dut:eth0 2379
both expect_pass "outbound failsafe" tcp_ok dut lan:eth0 2379
both expect_pass "inbound failsafe" tcp_ok lan dut:eth0 22
both expect_block "22 is no outbound failsafe" tcp_ok dut lan:eth0 22

# ---------------------------------------------------------------------------------------------
phase "B untracked Allow both ways"
resource 20-dnt <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: dnt
spec:
  selector: name == 'dut-eth0'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Allow
    source:
      selector: name == 'lan-eth0'
  egress:
  - action: Allow
    destination:
      selector: name == 'lan-eth0'
EOF
reload_rules dut
both expect_pass "untracked Allow in, untracked Allow for the reply" tcp_ok lan dut:eth0 8055
both expect_pass "untracked Allow out, untracked Allow for the reply" tcp_ok dut lan:eth0 8055
both expect_pass "untracked Allow out (22 is no outbound failsafe)" tcp_ok dut lan:eth0 22
both expect_pass "untracked Allow both ways" ping_ok lan dut:eth0
both expect_pass "untracked Allow both ways" ping_ok dut lan:eth0
both expect_pass "untracked Allow in" udp_ok lan dut:eth0 5000
both expect_pass "untracked Allow out" udp_ok dut lan:eth0 5000
both expect_block "mgmt is not lan-eth0: no untracked verdict, no normal policy" tcp_ok mgmt dut:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "C untracked egress emptied"
resource 20-dnt <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: dnt
spec:
  selector: name == 'dut-eth0'
  doNotTrack: true
  applyOnForward: true
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    source:
      selector: name == 'lan-eth0'
  egress: []
EOF
reload_rules dut
both expect_block "the SYN-ACK has no untracked Allow and no conntrack entry" tcp_ok lan dut:eth0 8055
both expect_block "the SYN has no untracked Allow and no normal policy" tcp_ok dut lan:eth0 8055
both expect_block "the echo reply has no untracked Allow and no conntrack entry" ping_ok lan dut:eth0
both expect_pass "one-way UDP needs only the untracked ingress Allow" udp_ok lan dut:eth0 5000
both expect_block "no untracked egress Allow, no normal policy" udp_ok dut lan:eth0 5000
both expect_pass "the raw failsafe accepts before the policy, tracked" tcp_ok lan dut:eth0 2379
both expect_pass "outbound failsafe; raw failsafe-in lets the reply (sport 2379) in" tcp_ok dut lan:eth0 2379
both expect_pass "inbound failsafe; raw failsafe-out lets the reply (sport 22) out" tcp_ok lan dut:eth0 22
both expect_block "22 is no outbound failsafe and nothing else allows it" tcp_ok dut lan:eth0 22

# ---------------------------------------------------------------------------------------------
phase "D untracked ingress Deny to dut, egress Allow"
resource 20-dnt <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: dnt
spec:
  selector: name == 'dut-eth0'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Deny
    destination:
      selector: name == 'dut-eth0'
  egress:
  - action: Allow
    destination:
      selector: name == 'lan-eth0'
EOF
reload_rules dut
both expect_block "untracked Deny in raw" tcp_ok lan dut:eth0 8055
both expect_block "the SYN leaves untracked; the SYN-ACK meets the untracked Deny" tcp_ok dut lan:eth0 8055
both expect_pass "one-way UDP needs only the untracked egress Allow" udp_ok dut lan:eth0 5000
both expect_pass "the raw failsafe comes before the untracked Deny" tcp_ok lan dut:eth0 2379
both expect_pass "outbound failsafe, reply let in by the raw failsafe (sport 2379)" tcp_ok dut lan:eth0 2379

finish
