#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 04-profiles: profiles attached to a HostEndpoint, in list order; an undefined profile denies;
# the built-in projectcalico-default-allow; labels a profile applies select policies
# (SEMANTICS 1.8, 2.8 step 6, 3).
#
#   +-----+ eth0 .1  link 1  .2 eth0 +-----+
#   | dut |--------------------------| lan |
#   +-----+ HostEndpoint dut-eth0    +-----+
#           (no labels of its own; profiles vary by phase)
#
# Profiles: web    ingress Allow TCP 8055, UDP 5000, ICMP, ICMPv6; egress Allow TCP 8055.
#           tagger labelsToApply {zone: dmz}; no rules.
#           missing is referenced but never defined: one Deny rule each way (SEMANTICS 1.8).
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-):
#  lan -> dut via eth0: filter INPUT -> hepd-fh-eth0: ESTABLISHED; INVALID; failsafe-in (ND
#   only); clear marks; tiers only if some policy applies in this direction (phase 5); then
#   for each profile in HEP order: hepd-pri-NAME, `Accept -> RETURN`; final DROP.
#  dut -> lan via eth0: hepd-th-eth0, the same with hepd-pro-NAME.
#  Phase 5: policy dmz selects the HEP through tagger's label. It has ingress rules only, so the
#   ingress chain has a tier (8056 allowed; anything else: end-of-tier drop, profiles never
#   reached), while egress has no tier and goes to the profiles: tagger (no rules, no verdict),
#   then web.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
EOF
listen_tcp dut 8055 8056
listen_udp dut 5000 5001
listen_tcp lan 8055 8056

conf <<'EOF'
[global]
FailsafeInboundHostPorts = none
FailsafeOutboundHostPorts = none
EOF
resource 30-profiles <<'EOF'
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: web
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8055]
  - action: Allow
    protocol: UDP
    destination:
      ports: [5000]
  - action: Allow
    protocol: ICMP
  - action: Allow
    protocol: ICMPv6
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8055]
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: tagger
spec:
  labelsToApply:
    zone: dmz
EOF

hep() {  # hep PROFILE...: the HostEndpoint with these profiles, in this order
    local list
    list=$(printf '%s, ' "$@")
    resource 10-hep <<EOF
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
spec:
  node: dut
  interfaceName: eth0
  profiles: [${list%, }]
EOF
}

# ---------------------------------------------------------------------------------------------
phase "1 profiles [web]"
hep web
load_rules dut
both expect_pass "profile web allows TCP 8055" tcp_ok lan dut:eth0 8055
both expect_block "no profile rule: final drop" tcp_ok lan dut:eth0 8056
both expect_pass "profile web allows UDP 5000" udp_ok lan dut:eth0 5000
both expect_block "no profile rule: final drop" udp_ok lan dut:eth0 5001
both expect_pass "profile web allows ICMP / ICMPv6" ping_ok lan dut:eth0
both expect_pass "profile web egress allows TCP 8055" tcp_ok dut lan:eth0 8055
both expect_block "no profile egress rule: final drop" tcp_ok dut lan:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "2 profiles [missing, web]"
hep missing web
reload_rules dut
both expect_block "the undefined profile comes first and denies" tcp_ok lan dut:eth0 8055
both expect_block "the undefined profile comes first and denies" ping_ok lan dut:eth0
both expect_block "the undefined profile denies egress too" tcp_ok dut lan:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "3 profiles [web, missing]"
hep web missing
reload_rules dut
both expect_pass "web comes first and allows" tcp_ok lan dut:eth0 8055
both expect_block "web gives no verdict; the undefined profile denies" tcp_ok lan dut:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "4 profiles [projectcalico-default-allow]"
hep projectcalico-default-allow
reload_rules dut
both expect_pass "the built-in profile allows everything in" tcp_ok lan dut:eth0 8056
both expect_pass "the built-in profile allows everything in" udp_ok lan dut:eth0 5001
both expect_pass "the built-in profile allows everything in" ping_ok lan dut:eth0
both expect_pass "the built-in profile allows everything out" tcp_ok dut lan:eth0 8056

# ---------------------------------------------------------------------------------------------
phase "5 profiles [tagger, web] + policy on the inherited label"
hep tagger web
resource 20-dmz <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: dmz
spec:
  selector: zone == 'dmz'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8056]
EOF
reload_rules dut
both expect_pass "policy dmz applies through tagger's labelsToApply" tcp_ok lan dut:eth0 8056
both expect_block "ingress has a tier now: end-of-tier drop before profile web" tcp_ok lan dut:eth0 8055
both expect_pass "egress has no tier: tagger has no verdict, web allows 8055" tcp_ok dut lan:eth0 8055
both expect_block "egress: no profile allows 8056" tcp_ok dut lan:eth0 8056

finish
