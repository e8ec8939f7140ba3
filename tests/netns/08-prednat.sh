#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 08-prednat: preDNAT policy sees the destination before DNAT; its Allow lets the packet through
# the filter table without normal policy (SEMANTICS 2.4, 2.8, 2.12; FV 5.4 items 15-18, 5.5
# items 20-22; gotcha 5).
#
#   +-----+ eth0 .2  link 1  .1 eth0 +-----+ eth1 .1  link 2  .2 eth0 +-----+
#   | lan |--------------------------| dut |--------------------------| far |
#   +-----+                          +-----+ nat PREROUTING (ours):    +-----+
#                                    HostEndpoint dut-eth0 (eth0 only)
#   tcp 32010 -> dut eth0 :8055, tcp 32011 -> :8056, udp 32050 -> :5000 (IPv4 and IPv6)
#
# Policies (all preDNAT + applyOnForward, ingress only):
#   deny-ingress  (order 20): Deny                                              phases B-D
#   allow-32010   (order 10): Allow TCP 32010, UDP 32050  (the pre-DNAT ports)  phase C
#   allow-backend (order 10): Allow TCP 8055, 8056, UDP 5000 (the post-DNAT ports) phase D
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-), lan -> dut via eth0:
#  raw PREROUTING (no doNotTrack) -> mangle PREROUTING -> hepd-PREROUTING: ESTABLISHED accept;
#  accept bit; hepd-from-host-endpoint (eth0 has preDNAT policy) -> mangle hepd-fh-eth0:
#  ESTABLISHED; INVALID; failsafe-in (ND); tier forced to Pass: Allow sets the accept bit,
#  Deny drops, no verdict continues unmarked -> nat PREROUTING: our DNAT -> filter INPUT ->
#  hepd-INPUT: accept bit -> ACCEPT; else hepd-fh-eth0 (filter): no normal policy -> final drop.
#  Replies leave through the ESTABLISHED rules of hepd-th-eth0 (filter OUTPUT, and mangle
#  POSTROUTING for the DNAT'd flow).
#  far -> dut via eth1: no HostEndpoint on eth1: the DNAT works and nothing filters.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
link dut:eth1 far:eth0 2
EOF
listen_tcp dut 8055 8056
listen_udp dut 5000
on dut iptables-legacy-restore -w 5 --noflush <<'EOF'
*nat
-A PREROUTING -p tcp --dport 32010 -j DNAT --to-destination 198.18.1.1:8055
-A PREROUTING -p tcp --dport 32011 -j DNAT --to-destination 198.18.1.1:8056
-A PREROUTING -p udp --dport 32050 -j DNAT --to-destination 198.18.1.1:5000
COMMIT
EOF
on dut ip6tables-legacy-restore -w 5 --noflush <<'EOF'
*nat
-A PREROUTING -p tcp --dport 32010 -j DNAT --to-destination [2001:db8:1::1]:8055
-A PREROUTING -p tcp --dport 32011 -j DNAT --to-destination [2001:db8:1::1]:8056
-A PREROUTING -p udp --dport 32050 -j DNAT --to-destination [2001:db8:1::1]:5000
COMMIT
EOF

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
    host-endpoint: "true"
spec:
  node: dut
  interfaceName: eth0
EOF

# ---------------------------------------------------------------------------------------------
phase "A HostEndpoint, no policy"
load_rules dut
both expect_block "no policy: final drop after DNAT" tcp_ok lan dut:eth0 32010
both expect_block "no policy: final drop" tcp_ok lan dut:eth0 8055
both expect_pass "eth1 has no endpoint: DNAT, then untouched" tcp_ok far dut:eth1 32010

# ---------------------------------------------------------------------------------------------
phase "B preDNAT deny-ingress"
resource 20-deny-ingress <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-ingress
spec:
  order: 20
  preDNAT: true
  applyOnForward: true
  selector: has(host-endpoint)
  ingress:
  - action: Deny
EOF
reload_rules dut
both expect_block "preDNAT Deny in mangle" tcp_ok lan dut:eth0 32010
both expect_block "preDNAT Deny in mangle" udp_ok lan dut:eth0 32050
both expect_block "preDNAT Deny in mangle" ping_ok lan dut:eth0
both expect_block "preDNAT Deny in mangle" tcp_ok lan dut:eth0 8055
both expect_pass "eth1 has no endpoint: DNAT, then untouched" tcp_ok far dut:eth1 32010

# ---------------------------------------------------------------------------------------------
phase "C + preDNAT Allow for the pre-DNAT ports"
resource 21-allow <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-32010
spec:
  order: 10
  preDNAT: true
  applyOnForward: true
  selector: has(host-endpoint)
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [32010]
  - action: Allow
    protocol: UDP
    destination:
      ports: [32050]
EOF
reload_rules dut
both expect_pass "preDNAT Allow: the accept bit gets it past filter INPUT with no normal policy" tcp_ok lan dut:eth0 32010
both expect_pass "preDNAT Allow: the accept bit gets it past filter INPUT with no normal policy" udp_ok lan dut:eth0 32050
both expect_block "not allowed before DNAT: deny-ingress" tcp_ok lan dut:eth0 32011
both expect_block "the backend port itself is not allowed: deny-ingress" tcp_ok lan dut:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "D preDNAT Allow for the post-DNAT ports"
drop_resource 21-allow
resource 22-allow <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-backend
spec:
  order: 10
  preDNAT: true
  applyOnForward: true
  selector: has(host-endpoint)
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8055, 8056]
  - action: Allow
    protocol: UDP
    destination:
      ports: [5000]
EOF
reload_rules dut
both expect_block "preDNAT policy sees 32010, not 8055: deny-ingress" tcp_ok lan dut:eth0 32010
both expect_block "preDNAT policy sees 32011, not 8056: deny-ingress" tcp_ok lan dut:eth0 32011
both expect_block "preDNAT policy sees 32050, not 5000: deny-ingress" udp_ok lan dut:eth0 32050
both expect_pass "sent to 8055 directly: allowed" tcp_ok lan dut:eth0 8055
both expect_pass "sent to 5000 directly: allowed" udp_ok lan dut:eth0 5000

finish
