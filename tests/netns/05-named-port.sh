#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 05-named-port: rules with named ports resolve through the endpoints' `ports` and expectedIPs
# into ip,port sets (SEMANTICS 1.2, 4; FV 5.7; gotcha 9).
#
#   +-----+ eth0 .1 (+ .3 / ::3)  link 1  .2 eth0 +-----+
#   | dut |---------------------------------------| lan |
#   +-----+ HostEndpoint dut-eth0                 +-----+ HostEndpoint lan-eth0 (node lan)
#           expectedIPs .1, ::1 (not .3, ::3)             expectedIPs .2, ::2
#           ports http=TCP 8055 (8057 in phase 2),        ports http=TCP 8056
#                 dns=UDP 5000, alt=UDP 5001
#
# Policy named {selector host == 'dut'}:
#   ingress Allow TCP dst ports [http]; Allow UDP dst ports [dns]; Allow dst ports [alt] (no protocol)
#   egress  Allow TCP dst ports [http]
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  lan -> dut via eth0: filter INPUT -> hepd-fh-eth0 -> ... -> hepd-pi-gnp/named:
#   `-p tcp -m set --match-set <named-port set> dst,dst`. The set holds, for every endpoint the
#   rule could target (no destination selector: all of them, other nodes included), each
#   expectedIP x that endpoint's port called http: {.1/::1 tcp:8055, .2/::2 tcp:8056}. A packet
#   matches only with the right address AND port: .3 is on eth0 but is no expectedIP.
#   The `alt` rule has no protocol, so its set carries the port's own protocol: udp:5001 only.
#  dut -> lan via eth0: hepd-th-eth0 -> hepd-po-gnp/named: the same set; lan's http is 8056.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
addr dut:eth0 198.18.1.3/24 2001:db8:1::3/64
EOF
listen_tcp dut 5001 8055 8056 8057
listen_udp dut 5000 5001
listen_tcp lan 8055 8056

conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
hep_dut() {  # hep_dut HTTP_PORT
    resource 10-hep-dut <<EOF
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
  labels:
    host-endpoint: "true"
    host: dut
spec:
  node: dut
  interfaceName: eth0
  expectedIPs: [198.18.1.1, "2001:db8:1::1"]
  ports:
  - name: http
    protocol: TCP
    port: $1
  - name: dns
    protocol: UDP
    port: 5000
  - name: alt
    protocol: UDP
    port: 5001
EOF
}
resource 11-hep-lan <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: lan-eth0
  labels:
    host-endpoint: "true"
    host: lan
spec:
  node: lan
  interfaceName: eth0
  expectedIPs: [198.18.1.2, "2001:db8:1::2"]
  ports:
  - name: http
    protocol: TCP
    port: 8056
EOF
resource 20-named <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: named
spec:
  selector: host == 'dut'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [http]
  - action: Allow
    protocol: UDP
    destination:
      ports: [dns]
  - action: Allow
    destination:
      ports: [alt]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [http]
EOF

# ---------------------------------------------------------------------------------------------
phase "1 http = 8055"
hep_dut 8055
load_rules dut
both expect_pass "dut's http is TCP 8055 on its expectedIPs" tcp_ok lan dut:eth0 8055
both expect_block "8056 is lan's http, not dut's" tcp_ok lan dut:eth0 8056
v4 expect_block "198.18.1.3 is on eth0 but is no expectedIP" tcp_ok lan 198.18.1.3 8055
v6 expect_block "2001:db8:1::3 is on eth0 but is no expectedIP" tcp_ok lan 2001:db8:1::3 8055
both expect_pass "dns is UDP 5000" udp_ok lan dut:eth0 5000
both expect_pass "alt has no rule protocol: the set carries udp:5001" udp_ok lan dut:eth0 5001
both expect_block "alt is a UDP port; TCP 5001 is not in its set" tcp_ok lan dut:eth0 5001
both expect_pass "egress to lan's http (another node's endpoint)" tcp_ok dut lan:eth0 8056
both expect_block "8055 is not lan's http" tcp_ok dut lan:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "2 http = 8057"
hep_dut 8057
reload_rules dut
both expect_block "http moved away from 8055" tcp_ok lan dut:eth0 8055
both expect_pass "http is now 8057" tcp_ok lan dut:eth0 8057

finish
