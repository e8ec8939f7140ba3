#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 06-netset: a rule's source selector fed by a GlobalNetworkSet; changing the set's nets and
# reloading changes the verdict (SEMANTICS 1.7, 4; gotcha 9). A reload is reset_rules (every
# hepd chain, jump and set removed in the DUT namespace) then load_rules.
#
#   +------+ eth0 .2  link 10  .1 eth1 +-----+ eth0 .2  link 1  .1 eth0 +-----+
#   | mgmt |---------------------------| lan |--------------------------| dut |
#   +------+ 198.18.10.2               +-----+ 198.18.1.2               +-----+ HostEndpoint
#            2001:db8:10::2            router  2001:db8:1::2                     dut-eth0
#
# Policy from-trusted {selector role == 'server'}, ingress:
#   Allow TCP 8055 / UDP 5000 / ICMP / ICMPv6 from source selector trusted == 'yes'
#   Allow TCP 8056 from source notSelector trusted == 'yes'
# GlobalNetworkSet trusted {labels trusted=yes}: nets vary by phase.
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-), mgmt|lan -> dut via eth0: filter INPUT ->
#  hepd-fh-eth0 -> tier -> hepd-pi-gnp/from-trusted: `-m set --match-set <trusted set> src`
#  (8055, 5000, ping) and `-m set ! --match-set <trusted set> src` (8056); no match: end-of-tier
#  drop. One hash:net set per family holds the set's nets of that family. An empty set never
#  matches positively and always matches negated (SEMANTICS 4).
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
listen_tcp dut 8055 8056
listen_udp dut 5000

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
    role: server
spec:
  node: dut
  interfaceName: eth0
EOF
resource 20-policy <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: from-trusted
spec:
  selector: role == 'server'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: trusted == 'yes'
    destination:
      ports: [8055]
  - action: Allow
    protocol: UDP
    source:
      selector: trusted == 'yes'
    destination:
      ports: [5000]
  - action: Allow
    protocol: ICMP
    source:
      selector: trusted == 'yes'
  - action: Allow
    protocol: ICMPv6
    source:
      selector: trusted == 'yes'
  - action: Allow
    protocol: TCP
    source:
      notSelector: trusted == 'yes'
    destination:
      ports: [8056]
EOF
netset() {  # netset CIDR...: the GlobalNetworkSet "trusted" with these nets
    local list
    list=$(printf '"%s", ' "$@")
    resource 30-netset <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: trusted
  labels:
    trusted: "yes"
spec:
  nets: [${list%, }]
EOF
}

# ---------------------------------------------------------------------------------------------
phase "1 trusted = the mgmt subnet"
netset 198.18.10.0/24 2001:db8:10::/64
load_rules dut
both expect_pass "source in the trusted set" tcp_ok mgmt dut:eth0 8055
both expect_block "source not in the trusted set" tcp_ok lan dut:eth0 8055
both expect_pass "source in the trusted set" udp_ok mgmt dut:eth0 5000
both expect_block "source not in the trusted set" udp_ok lan dut:eth0 5000
both expect_pass "source in the trusted set" ping_ok mgmt dut:eth0
both expect_block "source not in the trusted set" ping_ok lan dut:eth0
both expect_pass "notSelector: not in the trusted set" tcp_ok lan dut:eth0 8056
both expect_block "notSelector: in the trusted set" tcp_ok mgmt dut:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "2 trusted = lan's addresses"
netset 198.18.1.2/32 2001:db8:1::2/128
reload_rules dut
both expect_pass "lan is in the set now" tcp_ok lan dut:eth0 8055
both expect_block "mgmt left the set" tcp_ok mgmt dut:eth0 8055
both expect_pass "lan is in the set now" ping_ok lan dut:eth0
both expect_block "mgmt left the set" ping_ok mgmt dut:eth0
both expect_block "notSelector: lan is in the set" tcp_ok lan dut:eth0 8056
both expect_pass "notSelector: mgmt is not" tcp_ok mgmt dut:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "3 trusted = 198.18.0.0/15 only"
netset 198.18.0.0/15
reload_rules dut
v4 expect_pass "every test address is in the IPv4 set" tcp_ok lan dut:eth0 8055
v4 expect_pass "every test address is in the IPv4 set" tcp_ok mgmt dut:eth0 8055
v6 expect_block "the IPv6 set is empty: a positive match never matches" tcp_ok lan dut:eth0 8055
v6 expect_block "the IPv6 set is empty: a positive match never matches" tcp_ok mgmt dut:eth0 8055
v4 expect_block "notSelector: in the IPv4 set" tcp_ok lan dut:eth0 8056
v6 expect_pass "notSelector: the IPv6 set is empty, a negated match always matches" tcp_ok lan dut:eth0 8056

finish
