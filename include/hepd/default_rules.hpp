// SPDX-License-Identifier: GPL-2.0-or-later
// The default rules: what the watchdog supervisor installs when the worker dies or hangs
// (ARCHITECTURE.md, "Processes"). Derived from the last good ruleset, so they protect exactly the
// interfaces that had a host endpoint then, with the failsafe chains the compiler made for them:
//
//   filter INPUT   -> hepd-INPUT:  workload interfaces RETURN; -j hepd-from-host-endpoint
//                     hepd-from-host-endpoint: the last good dispatch, every -g now to hepd-dfl-in
//   filter OUTPUT  -> hepd-OUTPUT: workload interfaces RETURN; -j hepd-to-host-endpoint
//                     hepd-to-host-endpoint: the last good dispatch, every -g now to hepd-dfl-out
//   filter FORWARD -> hepd-FORWARD: -j hepd-from-hep-forward; -j hepd-to-hep-forward
//                     the forward dispatch, -g hepd-dfl-fwd for endpoints whose forward chain
//                     ran policies (applyOnForward), RETURN for the others (their forwarded
//                     traffic was not policed, so it is not now either)
//   hepd-dfl-in:  RELATED,ESTABLISHED ACCEPT; -j hepd-failsafe-in;  fallback (DROP or ACCEPT)
//   hepd-dfl-out: RELATED,ESTABLISHED ACCEPT; -j hepd-failsafe-out; fallback
//   hepd-dfl-fwd: RELATED,ESTABLISHED ACCEPT;                       fallback
//   hepd-failsafe-in, hepd-failsafe-out: copied from the last good filter table
//   raw, mangle: no hepd chain at all (the table entries are there, empty, so that applying the
//                default rules removes the last good raw and mangle chains)
//
// Interfaces without an endpoint match no dispatch rule and are left alone; so is everything that
// is not hepd's (the hooks are hepd's own jumps, in the last good insert mode). Pure.
#pragma once

#include <string>
#include <vector>

#include "hepd/config.hpp"
#include "hepd/ruleset.hpp"

namespace hepd {

// `fallback` is Verdict::drop or Verdict::accept (fallback_action); `workload_prefixes` are
// Felix's InterfacePrefix values. The sets of the result are empty: default rules name no set.
nf::Ruleset default_rules(const nf::Ruleset& last_good, Verdict fallback,
                          const std::vector<std::string>& workload_prefixes);

}  // namespace hepd
