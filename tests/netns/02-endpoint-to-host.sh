#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 02-endpoint-to-host: DefaultEndpointToHostAction Drop / Accept / Return for traffic from a
# workload-prefixed interface (cali0) to the DUT itself, and the kernel INPUT policy under Return
# (SEMANTICS 2.6, 5.6; gotcha 11).
#
#   +-----+ eth0 .2  link 3  .1 cali0 +-----+ eth0 .1  link 1  .2 eth0 +-----+
#   | wl  |---------------------------| dut |--------------------------| lan |
#   +-----+ a "workload"              +-----+ eth0: HostEndpoint in    +-----+
#                                             phases 2-5
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  wl -> dut, any local address (cali0's or eth0's), in via cali0: filter INPUT -> hepd-INPUT
#    rule 1 `-i cali+ -g hepd-wl-to-host`, before anything about host endpoints: IPv6 only,
#    ICMPv6 130-133,135,136 allowed (so neighbour discovery works whatever the action); then the
#    action: DROP, ACCEPT, or RETURN. hepd-wl-to-host was entered by goto, so RETURN resumes the
#    kernel INPUT chain after the hepd-INPUT jump and INPUT's policy decides. hepd has no workload
#    endpoints, so no workload policy sits in between (ARCHITECTURE); failsafe ports and HEP
#    ingress policy are never consulted. These chains are static: they exist with no HEP at all.
#  dut -> wl (replies): hepd-OUTPUT `-o cali+ -j RETURN`: host-to-workload is never policed.
#  lan -> dut via eth0: hepd-fh-eth0: the HEP's Deny policy drops it (phase 3 shows the HEP
#    works while workload traffic is decided by the action alone).
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:cali0 wl:eth0  3
link dut:eth0  lan:eth0 1
gateway wl dut
gateway lan dut
EOF
listen_tcp dut 22 8055
listen_udp dut 5000

input_policy() {  # input_policy ACCEPT|DROP: the kernel INPUT policy in the DUT, both families
    on dut iptables-legacy -w 5 -P INPUT "$1"
    on dut ip6tables-legacy -w 5 -P INPUT "$1"
}

# wl_to_dut pass|block WHY: the workload's probes to the DUT.
wl_to_dut() {
    local e=expect_$1 why=$2
    both "$e" "$why" tcp_ok wl dut:cali0 8055
    both "$e" "$why" udp_ok wl dut:cali0 5000
    both "$e" "$why" ping_ok wl dut:cali0
    both "$e" "$why" tcp_ok wl dut:eth0 8055
}

# ---------------------------------------------------------------------------------------------
phase "1 no HostEndpoint, Drop (default)"
conf <<'EOF'
[global]
EOF
load_rules dut
wl_to_dut block "DefaultEndpointToHostAction defaults to Drop"
both expect_block "failsafes live in HEP chains; workload traffic never reaches them" tcp_ok wl dut:cali0 22
both expect_pass "eth0 has no endpoint: untouched" tcp_ok lan dut:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "2 Accept, INPUT policy DROP"
conf <<'EOF'
[global]
DefaultEndpointToHostAction = Accept
EOF
resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
  labels:
    hep: "true"
spec:
  node: dut
  interfaceName: eth0
EOF
resource 20-deny <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: default-hep
spec:
  selector: hep == 'true'
  ingress:
  - action: Deny
EOF
input_policy DROP
reload_rules dut
wl_to_dut pass "Accept is accepted in hepd-wl-to-host, before the INPUT policy and the HEP"

# ---------------------------------------------------------------------------------------------
phase "3 Return, INPUT policy ACCEPT"
conf <<'EOF'
[global]
DefaultEndpointToHostAction = Return
EOF
input_policy ACCEPT
reload_rules dut
wl_to_dut pass "Return hands the packet back to INPUT, whose policy accepts"
both expect_block "the HostEndpoint's Deny policy (the HEP is active)" tcp_ok lan dut:eth0 8055
both expect_block "the HostEndpoint's Deny policy (the HEP is active)" ping_ok lan dut:eth0

# ---------------------------------------------------------------------------------------------
phase "4 Return, INPUT policy DROP"
input_policy DROP
flush_neigh
wl_to_dut block "Return hands the packet back to INPUT, whose policy drops"

# ---------------------------------------------------------------------------------------------
phase "5 Drop, with the HostEndpoint"
conf <<'EOF'
[global]
DefaultEndpointToHostAction = Drop
EOF
input_policy ACCEPT
reload_rules dut
both expect_block "Drop, whatever the INPUT policy" tcp_ok wl dut:cali0 8055
both expect_block "Drop, whatever the INPUT policy" ping_ok wl dut:cali0

finish
