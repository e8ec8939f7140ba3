#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 09-forward: applyOnForward on a routed path. Forwarded traffic is policed only by
# applyOnForward policies; with none it passes; normal policy never touches it; an AOF policy is
# a normal policy too (SEMANTICS 2.5, 2.8, 2.12; FV 5.1 items 4, 6; 5.2 item 8; gotchas 4, 7).
#
#   +-----+ eth0 .2  link 1  .1 eth0 +-----+ eth1 .1  link 2  .2 eth0 +-----+
#   | lan |--------------------------| dut |--------------------------| far |
#   +-----+                          +-----+ forwards                 +-----+
#                                    HostEndpoint dut-eth0 (zone=wan); none on eth1
#
# Policies: wan-deny   (order 20): ingress Deny, egress Deny (normal)             phases A-C
#           wan-fwd-in (order 10, applyOnForward, types [Ingress]):
#                      phase B: Allow TCP 8055;   phase C: Deny
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  lan -> far (forwarded, in eth0, out eth1): raw/mangle: nothing (no DNT / preDNAT) -> filter
#   FORWARD -> hepd-FORWARD: clear marks but Accept; hepd-from-hep-forward -> hepd-fhfw-eth0:
#   ESTABLISHED; INVALID; no failsafe; AOF tiers only: none (A) -> set Accept, RETURN ("allow
#   forwarded traffic by default"); wan-fwd-in (B, C) -> Allow/Deny, else end-of-tier drop.
#   hepd-to-hep-forward: eth1 has no HEP. End of kernel FORWARD: accept bit -> ACCEPT; set the
#   accept bit; policy ACCEPT.
#  far -> lan (forwarded, out eth0): hepd-thfw-eth0: no AOF policy has egress. A: no forward tier
#   at all -> Accept. B, C: forward tiers exist, none for egress -> no verdict, RETURN; the
#   packet goes on to the end of FORWARD and its policy ACCEPT. The SYN-ACK coming back in on
#   eth0 is ESTABLISHED in hepd-fhfw-eth0, before wan-fwd-in.
#  lan -> dut (local, in eth0): hepd-fh-eth0 normal tier: wan-fwd-in (order 10, an AOF policy is
#   also a normal policy), then wan-deny (order 20).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
gateway lan dut
gateway far dut
forward dut
EOF
for n in dut lan far; do
    listen_tcp "$n" 8055 8056
    listen_udp "$n" 5000
done

conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
  labels:
    zone: wan
spec:
  node: dut
  interfaceName: eth0
EOF
resource 20-wan-deny <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: wan-deny
spec:
  order: 20
  selector: zone == 'wan'
  ingress:
  - action: Deny
  egress:
  - action: Deny
EOF
aof() {  # aof RULE-YAML: policy wan-fwd-in with this one ingress rule
    resource 21-wan-fwd-in <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: wan-fwd-in
spec:
  order: 10
  selector: zone == 'wan'
  applyOnForward: true
  types: [Ingress]
  ingress:
  - $1
EOF
}

# ---------------------------------------------------------------------------------------------
phase "A normal policy only"
load_rules dut
both expect_pass "forwarded; no AOF policy: allowed by default" tcp_ok lan far:eth0 8055
both expect_pass "forwarded; no AOF policy: allowed by default" udp_ok lan far:eth0 5000
both expect_pass "forwarded; no AOF policy: allowed by default" ping_ok lan far:eth0
both expect_pass "forwarded out eth0; no AOF policy: allowed by default" tcp_ok far lan:eth0 8055
both expect_pass "forwarded out eth0; no AOF policy: allowed by default" udp_ok far lan:eth0 5000
both expect_pass "forwarded out eth0; no AOF policy: allowed by default" ping_ok far lan:eth0
both expect_block "host traffic: wan-deny ingress" tcp_ok lan dut:eth0 8055
both expect_block "host traffic: wan-deny ingress" ping_ok lan dut:eth0
both expect_block "host traffic: wan-deny egress" tcp_ok dut lan:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "B AOF Allow TCP 8055 inbound"
aof '{action: Allow, protocol: TCP, destination: {ports: [8055]}}'
reload_rules dut
both expect_pass "forwarded in eth0: wan-fwd-in allows 8055" tcp_ok lan far:eth0 8055
both expect_block "forwarded in eth0: end of the forward tier" tcp_ok lan far:eth0 8056
both expect_block "forwarded in eth0: end of the forward tier" udp_ok lan far:eth0 5000
both expect_block "forwarded in eth0: end of the forward tier" ping_ok lan far:eth0
both expect_pass "forwarded out eth0: no AOF egress policy, no verdict" tcp_ok far lan:eth0 8056
both expect_pass "forwarded out eth0: no AOF egress policy, no verdict" udp_ok far lan:eth0 5000
both expect_pass "forwarded out eth0: no AOF egress policy, no verdict" ping_ok far lan:eth0
both expect_pass "the AOF policy is a normal policy too (order 10)" tcp_ok lan dut:eth0 8055
both expect_block "host traffic: wan-deny" tcp_ok lan dut:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "C AOF Deny inbound"
aof '{action: Deny}'
reload_rules dut
both expect_block "forwarded in eth0: wan-fwd-in denies" tcp_ok lan far:eth0 8055
both expect_block "forwarded in eth0: wan-fwd-in denies" udp_ok lan far:eth0 5000
both expect_block "forwarded in eth0: wan-fwd-in denies" ping_ok lan far:eth0
both expect_pass "forwarded out eth0 passes; the reply is ESTABLISHED" tcp_ok far lan:eth0 8055
both expect_pass "forwarded out eth0: no AOF egress policy" udp_ok far lan:eth0 5000

finish
