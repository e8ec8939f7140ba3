#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 10-wildcard: the `*` HostEndpoint applies to every interface without its own HEP, lo included,
# but normal `*` policy never sees workload traffic (SEMANTICS 2.7, 2.11, 2.13; gotcha 8).
#
#   +-----+ eth0 .2  link 1  .1 eth0 +-----+ eth1 .1  link 2  .2 eth0 +-----+
#   | lan |--------------------------| dut |--------------------------| far |
#   +-----+                          +-----+ HostEndpoint dut-eth1    +-----+
#                               eth2 .1 |  | cali0 .1    (role=inside)
#                               link 4  |  | link 3
#                               eth0 .2 |  | eth0 .2
#                                +------+  +-----+
#                                | side |  | wl  |  a "workload"
#                                +------+  +-----+
#   HostEndpoint all-ifaces: interfaceName "*" (host-endpoint=true), phase A only.
#   DefaultEndpointToHostAction = Accept.
#
# Policies: web-only    {host-endpoint == 'true'}: ingress Allow TCP 8055, ICMP, ICMPv6; egress Allow
#           inside-open {role == 'inside'}: ingress Allow; egress Allow
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  lan|side -> dut via eth0|eth2: filter INPUT -> hepd-from-host-endpoint: no entry for eth0/eth2
#   -> the final default rule goes to the `*` chain hepd-fh-any-interface-at-all (web-only).
#  far -> dut via eth1: the eth1 entry -> hepd-fh-eth1 (inside-open); the `*` HEP is not used.
#  wl -> dut via cali0: hepd-INPUT goes to hepd-wl-to-host first -> Accept; no HEP chain.
#  dut -> dut over lo: out via lo (`*` egress: Allow), in via lo (`*` ingress: 8055 only). The
#   `*` default has no interface match, so it covers lo (SEMANTICS 2.13, by code reading).
#  Phase B (no `*` HEP): interfaces without their own HEP fall through every dispatch chain.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0  lan:eth0  1
link dut:eth1  far:eth0  2
link dut:cali0 wl:eth0   3
link dut:eth2  side:eth0 4
EOF
listen_tcp dut 8055 8056
listen_udp dut 5000
listen_tcp lan 8055

conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
DefaultEndpointToHostAction = Accept
EOF
resource 10-hep-eth1 <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth1
  labels:
    role: inside
spec:
  node: dut
  interfaceName: eth1
EOF
resource 11-hep-all <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: all-ifaces
  labels:
    host-endpoint: "true"
spec:
  node: dut
  interfaceName: "*"
EOF
resource 20-policies <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: web-only
spec:
  selector: host-endpoint == 'true'
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
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: inside-open
spec:
  selector: role == 'inside'
  ingress:
  - action: Allow
  egress:
  - action: Allow
EOF

# ---------------------------------------------------------------------------------------------
phase "A with the * endpoint"
load_rules dut
both expect_pass "eth0 has no HEP of its own: * applies, web-only allows 8055" tcp_ok lan dut:eth0 8055
both expect_block "eth0 under *: no rule for 8056" tcp_ok lan dut:eth0 8056
both expect_block "eth0 under *: no rule for UDP" udp_ok lan dut:eth0 5000
both expect_pass "eth0 under *: web-only allows ICMP / ICMPv6" ping_ok lan dut:eth0
both expect_pass "eth0 under *: egress Allow" tcp_ok dut lan:eth0 8055
both expect_pass "eth2 under * too: 8055" tcp_ok side dut:eth2 8055
both expect_block "eth2 under * too: no rule for 8056" tcp_ok side dut:eth2 8056
both expect_pass "eth1's own HEP wins over *: inside-open" tcp_ok far dut:eth1 8056
both expect_pass "eth1's own HEP wins over *: inside-open" udp_ok far dut:eth1 5000
both expect_pass "workloads go to wl-to-host before any HEP: Accept" tcp_ok wl dut:cali0 8056
both expect_pass "workloads go to wl-to-host before any HEP: Accept" udp_ok wl dut:cali0 5000
expect_block "* covers lo: no rule for 8056" tcp_ok dut 127.0.0.1 8056
expect_block "* covers lo: no rule for 8056" tcp_ok dut ::1 8056
expect_pass "* covers lo: web-only allows 8055" tcp_ok dut 127.0.0.1 8055

# ---------------------------------------------------------------------------------------------
phase "B without the * endpoint"
drop_resource 11-hep-all
reload_rules dut
both expect_pass "eth0 has no HEP at all: untouched" tcp_ok lan dut:eth0 8056
both expect_pass "eth0 has no HEP at all: untouched" udp_ok lan dut:eth0 5000
both expect_pass "eth2 has no HEP at all: untouched" tcp_ok side dut:eth2 8056
both expect_pass "eth1's own HEP: inside-open" tcp_ok far dut:eth1 8056
expect_pass "lo has no HEP at all: untouched" tcp_ok dut 127.0.0.1 8056

finish
