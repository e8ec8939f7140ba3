#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 11-expected-ips: a HostEndpoint without interfaceName protects whichever interface carries one
# of its expectedIPs; moving the address off the interface (and re-rendering) unprotects it; a HEP
# with an interfaceName never matches by IP (SEMANTICS 2.11; gotcha 8).
#
#   +-----+ eth0 .2  link 1  .1 eth0 +-----+ eth1 .1  link 2  .2 eth0 +-----+
#   | lan |--------------------------| dut |--------------------------| far |
#   +-----+          (+ .3 / ::3 on eth0) +-----+                     +-----+
#
# HostEndpoints (node dut, labels role=edge):
#   dut-by-ip:         no interfaceName; expectedIPs 198.18.1.1, 2001:db8:1::1
#   a-named-elsewhere: interfaceName eth9 (absent); expectedIPs 198.18.2.1, 2001:db8:2::1
#                      (eth1's addresses, but a named HEP never matches by IP)
# Policy edge {role == 'edge'}: ingress Allow TCP 8055, ICMP, ICMPv6; egress Allow.
# Phase B moves 198.18.1.1/32 and 2001:db8:1::1/128 from eth0 to eth1.
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-): resolution happens when rules are rendered
#  (--link gives each interface's addresses): the interface carrying an expectedIP gets entries
#  in hepd-from/to-host-endpoint -> hepd-fh-IF / hepd-th-IF with policy edge; every address on
#  that interface is then protected (HEPs protect interfaces, not addresses). Interfaces that
#  match no HEP fall through the dispatch chains untouched.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
addr dut:eth0 198.18.1.3/24 2001:db8:1::3/64
EOF
listen_tcp dut 8055 8056
listen_udp dut 5000

conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
resource 10-heps <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-by-ip
  labels:
    role: edge
spec:
  node: dut
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: a-named-elsewhere
  labels:
    role: edge
spec:
  node: dut
  interfaceName: eth9
  expectedIPs: [198.18.2.1, "2001:db8:2::1"]
EOF
resource 20-edge <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: edge
spec:
  selector: role == 'edge'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8055]
  - action: Allow
    protocol: ICMP
  - action: Allow
    protocol: ICMPv6
  egress:
  - action: Allow
EOF

# ---------------------------------------------------------------------------------------------
phase "A expected IPs on eth0"
load_rules dut
both expect_pass "eth0 carries an expectedIP: policy edge allows 8055" tcp_ok lan dut:eth0 8055
both expect_block "eth0 is protected: no rule for 8056" tcp_ok lan dut:eth0 8056
both expect_block "eth0 is protected: no rule for UDP" udp_ok lan dut:eth0 5000
both expect_pass "eth0 is protected: ICMP / ICMPv6 allowed" ping_ok lan dut:eth0
v4 expect_block "the HEP protects the interface: its other address too" tcp_ok lan 198.18.1.3 8056
v6 expect_block "the HEP protects the interface: its other address too" tcp_ok lan 2001:db8:1::3 8056
both expect_pass "eth1's addresses belong to a HEP named eth9, which never matches by IP" tcp_ok far dut:eth1 8056
both expect_pass "eth1 is untouched" udp_ok far dut:eth1 5000

# ---------------------------------------------------------------------------------------------
phase "B expected IPs moved to eth1"
addr_del dut:eth0 198.18.1.1/24 2001:db8:1::1/64
addr_add dut:eth1 198.18.1.1/32 2001:db8:1::1/128
reload_rules dut
v4 expect_pass "eth0 carries no expectedIP any more: untouched" tcp_ok lan 198.18.1.3 8056
v6 expect_pass "eth0 carries no expectedIP any more: untouched" tcp_ok lan 2001:db8:1::3 8056
v4 expect_pass "eth0 carries no expectedIP any more: untouched" udp_ok lan 198.18.1.3 5000
v6 expect_pass "eth0 carries no expectedIP any more: untouched" udp_ok lan 2001:db8:1::3 5000
both expect_block "eth1 carries the expectedIPs now: protected, no rule for 8056" tcp_ok far dut:eth1 8056
both expect_pass "eth1 protected: policy edge allows 8055" tcp_ok far dut:eth1 8055

finish
