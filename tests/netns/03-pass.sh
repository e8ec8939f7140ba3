#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 03-pass: a Pass rule skips the rest of its tier and hands the packet to the endpoint's
# profiles; without profiles, Pass ends in the final drop (SEMANTICS 2.8, 2.9, 3; gotcha 2).
#
#   +-----+ eth0 .1  link 1  .2 eth0 +-----+
#   | dut |--------------------------| lan |
#   +-----+ HostEndpoint dut-eth0    +-----+
#           (role=router, profiles [web] in phase 1)
#
# Policies (one tier, "default"), in order:
#   pass-web   (order 10): Pass TCP 8055,8056; Pass UDP 5000; Pass ICMP; Pass ICMPv6
#   deny-web   (order 20): Deny TCP 8055,8056,8057
#   allow-8058 (order 30): Allow TCP 8058
#   profile web: ingress Allow TCP 8055,8059; UDP 5000; ICMP; ICMPv6. egress Allow.
# All three policies are ingress-only (no egress rules: types default to [Ingress]).
#
# Packet walks (SEMANTICS 2.12, hepd- for cali-), lan -> dut via eth0: filter INPUT ->
#  hepd-fh-eth0: ESTABLISHED; INVALID; hepd-failsafe-in (none configured; ICMPv6 ND); clear
#  marks; start of tier: clear Pass; `Pass clear -> hepd-pi-gnp/pass-web` (a Pass rule sets the
#  Pass bit and returns); `Pass clear -> hepd-pi-gnp/deny-web`; `Pass clear -> ...allow-8058`
#  (each followed by `Accept -> RETURN`); end of tier: `Pass clear -> DROP`; then profiles:
#  hepd-pri-web, `Accept -> RETURN`; final DROP ("no profile matched").
#   8055: pass-web Pass -> deny-web and allow-8058 skipped -> end of tier skipped -> web allows.
#   8056: pass-web Pass -> web has no rule -> final drop.
#   8057: no Pass -> deny-web drops.
#   8058: no Pass, no Deny -> allow-8058 allows.
#   8059: no policy gives a verdict -> end-of-tier drop; the profile is never reached.
#  dut -> lan via eth0: hepd-th-eth0: no policy has egress, so no tier in that direction ->
#   profile web egress Allow (phase 1); phase 2 has no profile: final drop.
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
require_hepd_print "$SCENARIO"

topo_up <<'EOF'
link dut:eth0 lan:eth0 1
EOF
listen_tcp dut 8055 8056 8057 8058 8059
listen_udp dut 5000 5001
listen_tcp lan 8055

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
    role: router
spec:
  node: dut
  interfaceName: eth0
  profiles: [web]
EOF
resource 20-policies <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: pass-web
spec:
  order: 10
  selector: role == 'router'
  ingress:
  - action: Pass
    protocol: TCP
    destination:
      ports: [8055, 8056]
  - action: Pass
    protocol: UDP
    destination:
      ports: [5000]
  - action: Pass
    protocol: ICMP
  - action: Pass
    protocol: ICMPv6
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-web
spec:
  order: 20
  selector: role == 'router'
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [8055, 8056, 8057]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-8058
spec:
  order: 30
  selector: role == 'router'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8058]
EOF
resource 30-profile <<'EOF'
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: web
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8055, 8059]
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
EOF

# ---------------------------------------------------------------------------------------------
phase "1 with profile web"
load_rules dut
both expect_pass "Pass skips deny-web; profile web allows" tcp_ok lan dut:eth0 8055
both expect_block "Pass, then no profile rule: final drop" tcp_ok lan dut:eth0 8056
both expect_block "not passed: deny-web" tcp_ok lan dut:eth0 8057
both expect_pass "not passed, not denied: allow-8058 later in the tier" tcp_ok lan dut:eth0 8058
both expect_block "no verdict in the tier: end-of-tier drop, profile never reached" tcp_ok lan dut:eth0 8059
both expect_pass "Pass, then profile web allows UDP 5000" udp_ok lan dut:eth0 5000
both expect_block "no verdict in the tier: end-of-tier drop" udp_ok lan dut:eth0 5001
both expect_pass "Pass ICMP/ICMPv6, then profile web allows it" ping_ok lan dut:eth0
both expect_pass "no egress policy: profile web's egress Allow" tcp_ok dut lan:eth0 8055

# ---------------------------------------------------------------------------------------------
phase "2 without profiles"
resource 10-hep <<'EOF'
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: dut-eth0
  labels:
    role: router
spec:
  node: dut
  interfaceName: eth0
EOF
reload_rules dut
both expect_block "Pass with no profiles: final drop" tcp_ok lan dut:eth0 8055
both expect_block "Pass with no profiles: final drop" udp_ok lan dut:eth0 5000
both expect_block "Pass with no profiles: final drop" ping_ok lan dut:eth0
both expect_pass "allow-8058 does not depend on profiles" tcp_ok lan dut:eth0 8058
both expect_block "no egress policy and no profile: final drop" tcp_ok dut lan:eth0 8055

finish
