// SPDX-License-Identifier: GPL-2.0-or-later
// Setup: everything hepd's configuration names, read from disk into one validated value.
//
//   hepd.conf (INI) --uci_config--> /etc/config/hepd (UCI)
//        |                                 |
//        +--resource_dir--> *.yaml, *.yml  +--> host_endpoint/policy/rule/net_set sections
//                                 |                  |
//                                 v                  v
//                           Model (+ FelixConfiguration) --> FelixParams (precedence)
//
// Reading is the only impure part (size-capped reads through files.hpp); everything else is the
// pure core. `hepd check`, `hepd print` and the daemon all load through here, so they agree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hepd/config.hpp"
#include "hepd/confirm.hpp"
#include "hepd/diag.hpp"
#include "hepd/ini.hpp"
#include "hepd/model.hpp"
#include "hepd/uci.hpp"

namespace hepd {

struct Setup {
    std::string config_path;
    DaemonConfig daemon;
    FelixParams felix;
    Model model;
    std::vector<std::string> files;  // every file read, in order (for status and reload)
};

// The configuration file: -c FILE, else $HEPD_CONFIG, else /etc/hepd/hepd.conf.
std::string config_path_from(const char* flag_value);
inline constexpr const char* default_config_path = "/etc/hepd/hepd.conf";

// The node name default: the hostname, lower-cased.
std::string local_hostname();

// Loads the whole configured setup. A missing config file is an error when it was named
// explicitly; the default path may be absent (built-in defaults apply, with a warning).
// `capture`, when given, receives the path and bytes of every file read and the directories
// listed: the snapshot commit-confirm keeps of a configuration (confirm.hpp).
Setup load_setup(const std::string& config_path, bool explicit_path, Diagnostics& diags,
                 SetupSources* capture = nullptr);

// Loads a configuration from a snapshot taken by load_setup, exactly as load_setup read those
// files then (the same paths in messages); only STATE_DIR/networks is read live.
Setup load_setup_snapshot(const SetupSources& from, Diagnostics& diags);

// Only the daemon settings: hepd.conf and the `config hepd` section of the UCI file it names; no
// resource is read, no YAML parsed. What the watchdog supervisor needs to start.
DaemonConfig load_daemon_settings(const std::string& config_path, bool explicit_path, Diagnostics& diags);

// Loads exactly the given paths (hepd check PATH...): .yaml/.yml files, directories (searched
// recursively for .yaml/.yml resources and .conf INI files), INI files and UCI files (recognised by
// content). Cross-file checks (duplicate names, configuration precedence) run over all of them.
Setup load_paths(const std::vector<std::string>& paths, Diagnostics& diags);

// A one-line summary: "3 files: 2 HostEndpoints, 5 GlobalNetworkPolicies, ...".
std::string summarize(const Setup& s);

}  // namespace hepd
