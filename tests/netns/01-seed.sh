#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 01-seed: Calico's host-endpoint example (GlobalNetworkPolicy "k8s-worker", HostEndpoint
# "my-host-eth0") on the DUT's uplink eth0, with documentation addresses.
#
#   +------+ eth0 .2  link 10  .1 eth1 +-----+ eth2 .1  link 20  .2 eth0 +------+
#   | mgmt |---------------------------| lan |---------------------------| etcd |
#   +------+ management subnet         +-----+ router; a client outside  +------+ 198.18.20.2
#            198.18.10.0/24               | eth0 .2  the management subnet    2001:db8:20::2
#            2001:db8:10::/64             |            link 1
#                                         | eth0 .1  HostEndpoint my-host-eth0 (expectedIPs .1, ::1)
#                                      +-----+ eth1 .1  link 2  .2 eth0 +-----+
#                                      | dut |-------------------------| far |
#                                      +-----+ no HostEndpoint on eth1 +-----+
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-; fh = from host endpoint, th = to host endpoint):
#  lan|mgmt -> dut via eth0 (local delivery): raw PREROUTING (no doNotTrack policy: eth0 is not
#    in the raw dispatch) -> mangle PREROUTING (no preDNAT policy: not in the mangle "from"
#    dispatch) -> filter INPUT -> hepd-INPUT -> hepd-from-host-endpoint -> hepd-fh-eth0:
#    ESTABLISHED accept; INVALID drop; hepd-failsafe-in (phase 3: tcp 22,179,2379,2380,6666,
#    6667 and udp 68; every phase: ICMPv6 ND 133-137, hepd's own failsafe); clear marks; tier
#    "default": hepd-pi-gnp/k8s-worker (ingress rules 1-3; phases 2-3 also k8s-worker-v6) ->
#    Allow = accept bit -> RETURN -> ACCEPT; no verdict -> "end of tier" drop. No profiles.
#    The HEP is picked by the interface the packet comes in on, whatever local address it is for.
#  dut -> lan|etcd (locally originated, out eth0): raw OUTPUT -> filter OUTPUT -> hepd-OUTPUT ->
#    hepd-to-host-endpoint -> hepd-th-eth0: ESTABLISHED; INVALID; hepd-failsafe-out (phase 3:
#    udp 53,67; tcp 179,2379,2380,6666,6667 to any address); tier: hepd-po-gnp/k8s-worker (egress
#    rules 1-2) -> else end-of-tier drop. Replies of allowed flows ride on ESTABLISHED both ways.
#  far <-> dut via eth1: no HostEndpoint for eth1 and no `*` one: every dispatch chain falls
#    through (SEMANTICS 2.5 note), so eth1 is untouched.
#  IPv6 (SEMANTICS 2.9 family filtering, gotcha 10): ingress rule 1 and egress rule 1 carry only
#    IPv4 nets, so the whole rule is skipped for IPv6; `protocol: ICMP` implies IPv4. Phase 1 pins
#    that; phase 2 adds the IPv6 twins of those rules and IPv6 behaves like IPv4.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0  1
link dut:eth1 far:eth0  2
link lan:eth1 mgmt:eth0 10
link lan:eth2 etcd:eth0 20
gateway dut lan
gateway lan dut
gateway far dut
gateway mgmt lan
gateway etcd lan
forward lan
EOF
listen_tcp dut 22 2379 6443 8055 10250
listen_udp dut 68 5000
listen_tcp lan 2379 8055
listen_udp lan 53 67 5000
listen_tcp etcd 2379 8055
listen_tcp far 8055
listen_udp far 5000

resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: my-host-eth0
  labels:
    role: k8s-worker
    environment: production
spec:
  interfaceName: eth0
  node: dut
  expectedIPs:
  - 198.18.1.1
  - 2001:db8:1::1
EOF
resource 20-k8s-worker <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: k8s-worker
spec:
  selector: "role == 'k8s-worker'"
  order: 0
  ingress:
  - action: Allow
    protocol: TCP
    source:
      nets:
      - 198.18.10.0/24
    destination:
      ports: [22]
  - action: Allow
    protocol: ICMP
  - action: Allow
    protocol: TCP
    destination:
      ports: [10250]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      nets: [198.18.20.2/32]
      ports: [2379]
  - action: Allow
    protocol: UDP
    destination:
      ports: [53, 67]
EOF

# ---------------------------------------------------------------------------------------------
phase "1 example as written, no failsafes"
conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
load_rules dut
v4 expect_pass "k8s-worker ingress rule 1: the management subnet" tcp_ok mgmt dut:eth0 22
v6 expect_block "rule 1 has only IPv4 nets, so IPv6 skips it; end of tier" tcp_ok mgmt dut:eth0 22
both expect_block "not the management subnet and no failsafe; end of tier" tcp_ok lan dut:eth0 22
both expect_pass "rule 3 allows 10250 from anywhere, both families" tcp_ok lan dut:eth0 10250
v4 expect_pass "rule 2 allows ICMP" ping_ok lan dut:eth0
v6 expect_block "protocol ICMP means IPv4; no rule allows ICMPv6 echo" ping_ok lan dut:eth0
both expect_block "no rule for 8055; end of tier" tcp_ok lan dut:eth0 8055
both expect_block "no ingress rule for UDP" udp_ok lan dut:eth0 5000
both expect_pass "eth0's policy, though the address is eth1's: rule 3" tcp_ok lan dut:eth1 10250
both expect_block "eth0's policy, though the address is eth1's: no rule" tcp_ok lan dut:eth1 8055
v4 expect_pass "egress rule 1: the etcd address/32 on 2379" tcp_ok dut etcd:eth0 2379
v6 expect_block "egress rule 1 has only IPv4 nets" tcp_ok dut etcd:eth0 2379
both expect_block "egress rule 1 is 2379 only" tcp_ok dut etcd:eth0 8055
both expect_block "egress rule 1 is the etcd address only" tcp_ok dut lan:eth0 2379
both expect_pass "egress rule 2: UDP 53" udp_ok dut lan:eth0 53
both expect_pass "egress rule 2: UDP 67" udp_ok dut lan:eth0 67
both expect_block "no egress rule for UDP 5000" udp_ok dut lan:eth0 5000
both expect_block "no egress rule for ICMP" ping_ok dut lan:eth0
both expect_pass "eth1 has no endpoint: untouched" tcp_ok far dut:eth1 8055
both expect_pass "eth1 has no endpoint: untouched" udp_ok far dut:eth1 5000
both expect_pass "eth1 has no endpoint: untouched" ping_ok far dut:eth1
both expect_pass "eth1 has no endpoint: untouched" tcp_ok dut far:eth0 8055
both expect_pass "eth1 has no endpoint: untouched" udp_ok dut far:eth0 5000
both expect_pass "eth1 has no endpoint: untouched" ping_ok dut far:eth0

# ---------------------------------------------------------------------------------------------
phase "2 with IPv6 twins, no failsafes"
resource 21-k8s-worker-v6 <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: k8s-worker-v6
spec:
  selector: "role == 'k8s-worker'"
  order: 0
  ingress:
  - action: Allow
    protocol: TCP
    source:
      nets: [2001:db8:10::/64]
    destination:
      ports: [22]
  - action: Allow
    protocol: ICMPv6
  egress:
  - action: Allow
    protocol: TCP
    destination:
      nets: [2001:db8:20::2/128]
      ports: [2379]
EOF
reload_rules dut
both expect_pass "the management subnet (k8s-worker / k8s-worker-v6 rule 1)" tcp_ok mgmt dut:eth0 22
both expect_block "not the management subnet, no failsafe" tcp_ok lan dut:eth0 22
both expect_pass "ICMP (rule 2) / ICMPv6 (twin rule 2)" ping_ok lan dut:eth0
both expect_pass "the etcd address on 2379 (egress rule 1 / twin)" tcp_ok dut etcd:eth0 2379
both expect_block "egress to 2379 is for the etcd address only" tcp_ok dut lan:eth0 2379
both expect_block "no egress rule for ICMP / ICMPv6" ping_ok dut lan:eth0
both expect_block "still no rule for 8055" tcp_ok mgmt dut:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "3 default failsafes"
conf <<'EOF'
[global]
EOF
reload_rules dut
both expect_pass "inbound failsafe tcp:22, before any policy" tcp_ok lan dut:eth0 22
both expect_pass "the management subnet, still" tcp_ok mgmt dut:eth0 22
both expect_pass "inbound failsafe udp:68" udp_ok lan dut:eth0 68
both expect_pass "inbound failsafe tcp:2379" tcp_ok lan dut:eth0 2379
both expect_block "6443 is not among hepd's default failsafes (ARCHITECTURE)" tcp_ok lan dut:eth0 6443
both expect_block "not a failsafe, no rule" tcp_ok lan dut:eth0 8055
both expect_pass "outbound failsafe tcp:2379 to any address" tcp_ok dut lan:eth0 2379
both expect_pass "outbound failsafe udp:53" udp_ok dut lan:eth0 53
both expect_block "not an outbound failsafe, no rule" tcp_ok dut lan:eth0 8055
both expect_block "not an outbound failsafe, no rule" udp_ok dut lan:eth0 5000
both expect_pass "eth1 has no endpoint: untouched" tcp_ok far dut:eth1 8055

finish
