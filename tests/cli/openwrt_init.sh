#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The OpenWrt package (openwrt/): the init script, the firewall hotplug script and the
# uci-defaults script run here on Debian, which has no procd, ubus or uci. Each scenario sources
# the script in a fresh POSIX shell (dash, and busybox ash when installed: OpenWrt's shell) after
# mocks of the procd, rc.common, functions.sh and network.sh functions it calls; every mock, and
# a fake `hepd` first on PATH, appends one line per call to a log, and the log is compared with
# the exact expected calls. Then: sh -n and shellcheck over every shell file in openwrt/, the
# shipped UCI and INI files through `hepd check`, and the package Makefile against the tree.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

files=openwrt/hepd/files
init=$PWD/$files/hepd.init
hotplug=$PWD/$files/hepd.firewall-hotplug
defaults=$PWD/$files/hepd.defaults

# ---- mocks ------------------------------------------------------------------------------------

# One log line per call: the name, then each argument as a shell word: as it is when it holds
# only [A-Za-z0-9_./:=,@%+-], else single-quoted ('\'' for a quote inside).
cat >"$tmp/log.sh" <<'EOF'
_log() {
	{
		printf '%s' "$1"
		shift
		for _a in "$@"; do
			case $_a in
			*\'*) printf " '%s'" "$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")" ;;
			'' | *[!A-Za-z0-9_./:=,@%+-]*) printf " '%s'" "$_a" ;;
			*) printf ' %s' "$_a" ;;
			esac
		done
		printf '\n'
	} >>"$HEPD_TEST_LOG"
}
EOF

cat >"$tmp/mocks.sh" <<'EOF'
. "$HEPD_TEST_LIB/log.sh"

# rc.common
extra_command() { _log extra_command "$@"; }
# rc.common's procd start: rc_procd start_service, whose procd_close_service calls service_triggers.
start() { _log start "$@"; start_service "$@"; service_triggers; }
# rc.common's procd stop, under another name (the script must not define stop): stop_service
# first, while the instance still runs, then procd_kill, which has procd send it SIGTERM.
_rc_stop() { _log stop "$@"; stop_service "$@"; procd_kill hepd "$1"; }

# procd.sh
procd_open_instance() { _log procd_open_instance "$@"; }
procd_set_param() { _log procd_set_param "$@"; }
procd_append_param() { _log procd_append_param "$@"; }
procd_close_instance() { _log procd_close_instance "$@"; }
procd_add_reload_trigger() { _log procd_add_reload_trigger "$@"; }
procd_add_reload_interface_trigger() { _log procd_add_reload_interface_trigger "$@"; }
# The real one calls its arguments to describe the validation.
procd_add_validation() { _log procd_add_validation "$@"; "$@"; }
procd_send_signal() { _log procd_send_signal "$@"; }
procd_running() { _log procd_running "$@"; [ "${HEPD_TEST_RUNNING:-0}" = 1 ]; }
procd_kill() { _log procd_kill "$@"; }
logger() { _log logger "$@"; }

# functions.sh: config_load evaluates the package file as the real one evaluates `uci export`:
# config/option/list are shell functions, anonymous sections are named cfg01, cfg02, ...
config() {
	_cfg_n=$((_cfg_n + 1))
	_cfg_cur=${2:-$(printf 'cfg%02d' "$_cfg_n")}
	eval "CONFIG_${_cfg_cur}_TYPE=\$1"
	CONFIG_SECTIONS="${CONFIG_SECTIONS:+$CONFIG_SECTIONS }$_cfg_cur"
}
option() { eval "CONFIG_${_cfg_cur}_$1=\$2"; }
list() {
	eval "_cur_val=\${CONFIG_${_cfg_cur}_$1-}"
	eval "CONFIG_${_cfg_cur}_$1=\"\${_cur_val:+\$_cur_val }\$2\""
}
_mock_uci_load() {
	CONFIG_SECTIONS=
	_cfg_n=0
	if [ -f "$HEPD_TEST_UCI/$1" ]; then . "$HEPD_TEST_UCI/$1"; fi
}
config_load() { _log config_load "$@"; _mock_uci_load "$1"; }
config_get() {
	_log config_get "$@"
	eval "_v=\${CONFIG_$2_$3:-\$4}"
	eval "$1=\$_v"
}
config_get_bool() {
	_log config_get_bool "$@"
	eval "_v=\${CONFIG_$2_$3:-\$4}"
	case "$_v" in
	1 | on | true | yes | enabled) _v=1 ;;
	0 | off | false | no | disabled) _v=0 ;;
	*) _v=$4 ;;
	esac
	eval "$1=\$_v"
}
config_foreach() {
	_log config_foreach "$@"
	_cf_fn=$1
	_cf_type=$2
	shift 2
	for _cf_s in $CONFIG_SECTIONS; do
		eval "_cf_t=\$CONFIG_${_cf_s}_TYPE"
		[ -z "$_cf_type" ] || [ "$_cf_t" = "$_cf_type" ] || continue
		"$_cf_fn" "$_cf_s" "$@"
	done
}

# procd.sh uci_load_validate: sets one variable per 'option:type[:default]' (value or default)
# and calls the callback with the section and the result, which HEPD_TEST_VALIDATE_RC decides.
uci_load_validate() {
	_log uci_load_validate "$@"
	_ulv_pkg=$1
	_ulv_name=$3
	_ulv_fn=$4
	shift 4
	_mock_uci_load "$_ulv_pkg"
	for _spec in "$@"; do
		_o=${_spec%%:*}
		_rest=${_spec#*:}
		case $_rest in *:*) _d=${_rest#*:} ;; *) _d= ;; esac
		eval "$_o=\${CONFIG_${_ulv_name}_${_o}:-\$_d}"
	done
	[ -n "$_ulv_fn" ] || return "${HEPD_TEST_VALIDATE_RC:-0}"
	"$_ulv_fn" "$_ulv_name" "${HEPD_TEST_VALIDATE_RC:-0}"
}
EOF

# network.sh, found under $IPKG_INSTROOT: devices from HEPD_TEST_DEV_<net> (layer 3) and
# HEPD_TEST_PHYSDEV_<net>.
mkdir -p "$tmp/root/lib/functions"
cat >"$tmp/root/lib/functions/network.sh" <<'EOF'
network_get_device() {
	_log network_get_device "$@"
	eval "_nd=\${HEPD_TEST_DEV_$2-}"
	eval "$1=\$_nd"
	[ -n "$_nd" ]
}
network_get_physdev() {
	_log network_get_physdev "$@"
	eval "_nd=\${HEPD_TEST_PHYSDEV_$2-}"
	eval "$1=\$_nd"
	[ -n "$_nd" ]
}
EOF

# A fake hepd and a fake uci, first on PATH.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/hepd" <<'EOF'
#!/bin/sh
. "$HEPD_TEST_LIB/log.sh"
_log hepd "$@"
case "$1" in
check)
	[ -z "$HEPD_TEST_CHECK_OUT" ] || printf '%s\n' "$HEPD_TEST_CHECK_OUT" >&2
	exit "${HEPD_TEST_CHECK_RC:-0}" ;;
status) echo "hepd status says hello"; exit "${HEPD_TEST_STATUS_RC:-0}" ;;
reload) echo "reloaded"; exit "${HEPD_TEST_RELOAD_RC:-0}" ;;
teardown) [ "${HEPD_TEST_TEARDOWN_RC:-0}" = 0 ] || echo "cannot lock" >&2; exit "${HEPD_TEST_TEARDOWN_RC:-0}" ;;
confirm | rollback) exit "${HEPD_TEST_CONFIRM_RC:-0}" ;;
esac
exit 0
EOF
cat >"$tmp/bin/uci" <<'EOF'
#!/bin/sh
. "$HEPD_TEST_LIB/log.sh"
_log uci "$@"
case "$*" in
*'-q get hepd.main') [ "${HEPD_TEST_HAS_MAIN:-0}" = 1 ] && echo hepd && exit 0; exit 1 ;;
esac
exit 0
EOF
chmod +x "$tmp/bin/hepd" "$tmp/bin/uci"

# UCI fixtures: $tmp/uci/NAME/hepd.
fixture() {  # fixture NAME < content
    mkdir -p "$tmp/uci/$1"
    cat >"$tmp/uci/$1/hepd"
}
fixture shipped <"$files/hepd.config"
fixture enabled <<'EOF'
config hepd 'main'
	option enabled '1'

config host_endpoint 'lan'
	option interface 'br-lan'
	list label 'role=lan'
EOF
fixture disabled <<'EOF'
config hepd 'main'
	option enabled 'off'

config host_endpoint 'wan'
	option network 'wan'
EOF
fixture nomain <<'EOF'
config host_endpoint 'lan'
	option interface 'br-lan'
EOF
fixture networks <<'EOF'
config hepd 'main'
	option enabled 'yes'

config host_endpoint 'wan'
	option network 'wan'
	list label 'role=wan'

config host_endpoint 'lan'
	option network 'lan'

config host_endpoint
	option name 'wan-again'
	option network 'wan'

config host_endpoint 'guest'
	option network 'guest'

config host_endpoint 'odd'
	option network 'wan lan'

config host_endpoint 'dmz'
	option interface 'eth9'
EOF

# ---- running a scenario -----------------------------------------------------------------------

shells=(dash)
command -v busybox >/dev/null && busybox sh -c 'exit 0' 2>/dev/null && shells+=("busybox sh")

# run SHELL SCRIPT FIXTURE 'COMMANDS' [VAR=VALUE...]: sources the mocks and SCRIPT in a clean
# environment, empties the log, runs COMMANDS. Sets $log (the calls), $out (stdout+stderr),
# $rc (the status of COMMANDS).
run() {
    local sh=$1 script=$2 fx=$3 cmds=$4
    shift 4
    : >"$tmp/log"
    rm -rf "$tmp/state" "$tmp/failsafe"
    # shellcheck disable=SC2016,SC2086
    out=$(env -i PATH="$tmp/bin:/usr/bin:/bin" HEPD_TEST_LIB="$tmp" HEPD_TEST_LOG="$tmp/log" \
        HEPD_TEST_UCI="$tmp/uci/$fx" HEPD_STATE_DIR="$tmp/state" HEPD_FAILSAFE_FLAG="$tmp/failsafe" \
        IPKG_INSTROOT="$tmp/root" "$@" \
        $sh -c '. "$HEPD_TEST_LIB/mocks.sh"; . "$0"; : >"$HEPD_TEST_LOG"; '"$cmds" "$script" 2>&1)
    rc=$?
    log=$(cat "$tmp/log")
}

# expect_calls NAME WANT_RC WANT_LOG: compares $rc and $log from the last run.
expect_calls() {
    local name=$1 want_rc=$2 want=$3
    if [ "$rc" = "$want_rc" ] && [ "$log" = "$want" ]; then ok "$name"; return; fi
    not_ok "$name: exit $rc (want $want_rc); calls differ:
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$log") | sed 's/^/    /')
    output: $(printf '%s' "$out" | head -c 300)"
}

expect_file() {  # expect_file NAME FILE WANT_CONTENT
    local got
    got=$(cat "$2" 2>/dev/null) || { not_ok "$1: $2 missing"; return; }
    if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1: [$got], want [$3]"; fi
}

validate="uci_load_validate hepd hepd main hepd_log_invalid enabled:bool:0 'mode:or(\"enforce\",\"audit\"):enforce' ipv6:bool:1 'failsafe_in:list(string)' 'failsafe_out:list(string)' 'chain_insert:or(\"insert\",\"append\"):insert' refresh_interval:ufloat:180 'confirm_timeout:range(0,86400):0' resource_dir:string 'log_level:or(\"error\",\"warn\",\"info\",\"debug\"):info' xtables_lock:string 'lock_wait:range(0,3600):5'"
validate_describe=${validate/hepd hepd main hepd_log_invalid/hepd hepd \'\' \'\'}
instance="procd_open_instance
procd_set_param command /usr/sbin/hepd run -c /etc/hepd/hepd.conf
procd_set_param respawn 300 5 5
procd_set_param file /etc/config/hepd /etc/hepd/hepd.conf
procd_set_param reload_signal HUP
procd_set_param term_timeout 5
procd_set_param stdout 1
procd_set_param stderr 1
procd_close_instance"
start_enabled="config_load hepd
config_get_bool enabled main enabled 0
$validate
config_foreach hepd_network_of host_endpoint
config_get net lan network
hepd check -c /etc/hepd/hepd.conf
$instance"
triggers_enabled="procd_add_reload_trigger hepd
config_load hepd
config_foreach hepd_network_of host_endpoint
config_get net lan network
procd_add_validation hepd_validate_main
$validate_describe"
start_disabled="config_load hepd
config_get_bool enabled main enabled 0
logger -t hepd -p daemon.notice 'disabled (option enabled of config hepd '\''main'\''): not starting'"
triggers_disabled="procd_add_reload_trigger hepd
config_load hepd
config_foreach hepd_network_of host_endpoint
config_get net wan network
procd_add_reload_interface_trigger wan
procd_add_validation hepd_validate_main
$validate_describe"

for sh in "${shells[@]}"; do
    S="(${sh%% *})"

    # Sourcing registers the extra commands and nothing else; procd's rc.common replaces
    # start/stop/reload/status/running, so the script must leave them to it.
    run "$sh" "$init" enabled ': >"$HEPD_TEST_LOG"; . "$0"; echo "USE_PROCD=$USE_PROCD START=$START STOP=${STOP-unset}"
        for f in start stop restart reload status running boot shutdown enable disable enabled; do
            [ "$f" = start ] && continue
            command -V "$f" 2>/dev/null | grep -q function && echo "defines $f"
        done; true'
    expect_calls "sourcing registers confirm and rollback, runs nothing $S" 0 \
"extra_command confirm 'Keep the configuration applied by '\''hepd apply'\'''
extra_command rollback 'Undo the pending '\''hepd apply'\'' now'"
    [ "$out" = "USE_PROCD=1 START=19 STOP=unset" ] && ok "USE_PROCD=1, START=19, no STOP, leaves rc.common's functions alone $S" \
        || not_ok "globals and rc.common functions $S: $out"

    # enabled
    run "$sh" "$init" enabled start_service
    expect_calls "enabled: check, then one instance with respawn, files, HUP, stdout/stderr $S" 0 "$start_enabled"
    expect_file "enabled: the networks map is written, empty without network= endpoints $S" "$tmp/state/networks" ""
    run "$sh" "$init" enabled service_triggers
    expect_calls "triggers: config hepd, validation of main $S" 0 "$triggers_enabled"

    # disabled: the shipped config, an explicit enabled 'off', no main section at all
    for fx in shipped disabled nomain; do
        run "$sh" "$init" "$fx" start_service
        expect_calls "disabled ($fx): no instance, nothing written $S" 0 "$start_disabled"
        [ ! -e "$tmp/state/networks" ] || not_ok "disabled ($fx) wrote the networks map $S"
    done
    run "$sh" "$init" disabled service_triggers
    expect_calls "disabled: triggers still registered, so a reload can start it $S" 0 "$triggers_disabled"

    # OpenWrt failsafe mode
    run "$sh" "$init" enabled 'touch "$HEPD_FAILSAFE_FLAG"; start_service'
    expect_calls "failsafe flag: not started, UCI not even read $S" 0 \
"logger -t hepd -p daemon.notice 'failsafe mode ($tmp/failsafe exists): not starting'"

    # host endpoints on logical networks
    run "$sh" "$init" networks start_service HEPD_TEST_DEV_wan=pppoe-wan HEPD_TEST_PHYSDEV_lan=br-lan
    expect_calls "network=: resolved through network.sh, unresolved and odd names logged $S" 0 \
"config_load hepd
config_get_bool enabled main enabled 0
$validate
config_foreach hepd_network_of host_endpoint
config_get net wan network
config_get net lan network
config_get net cfg04 network
config_get net guest network
config_get net odd network
logger -t hepd -p daemon.err 'host_endpoint '\''odd'\'': network '\''wan lan'\'' is not an interface name of /etc/config/network; ignored'
config_get net dmz network
network_get_device dev wan
network_get_device dev lan
network_get_physdev dev lan
network_get_device dev guest
network_get_physdev dev guest
logger -t hepd -p daemon.notice 'network '\''guest'\'' has no device now; its host endpoint is inactive until it has one'
hepd check -c /etc/hepd/hepd.conf
$instance"
    expect_file "network=: the map has one 'NAME DEVICE' line per resolved network $S" "$tmp/state/networks" \
"wan pppoe-wan
lan br-lan"
    run "$sh" "$init" networks service_triggers
    expect_calls "network=: one interface trigger per distinct network $S" 0 \
"procd_add_reload_trigger hepd
config_load hepd
config_foreach hepd_network_of host_endpoint
config_get net wan network
config_get net lan network
config_get net cfg04 network
config_get net guest network
config_get net odd network
logger -t hepd -p daemon.err 'host_endpoint '\''odd'\'': network '\''wan lan'\'' is not an interface name of /etc/config/network; ignored'
config_get net dmz network
procd_add_reload_interface_trigger wan
procd_add_reload_interface_trigger lan
procd_add_reload_interface_trigger guest
procd_add_validation hepd_validate_main
$validate_describe"

    # a bad configuration: logged loudly, started anyway
    run "$sh" "$init" enabled start_service HEPD_TEST_CHECK_RC=1 \
        HEPD_TEST_CHECK_OUT="/etc/config/hepd:7:9: error: unknown option 'selectr'
hepd check: 1 error, 0 warnings" HEPD_TEST_VALIDATE_RC=1
    expect_calls "bad config: validation and check failures logged, instance started anyway $S" 0 \
"config_load hepd
config_get_bool enabled main enabled 0
${validate}
logger -s -t hepd -p daemon.err 'config hepd '\''main'\'' has invalid options; '\''hepd check'\'' names them'
config_foreach hepd_network_of host_endpoint
config_get net lan network
hepd check -c /etc/hepd/hepd.conf
logger -s -t hepd -p daemon.err 'configuration check failed (hepd check exit 1); starting hepd anyway: it keeps its last good rules (or only its failsafe rules) until the configuration is fixed'
logger -t hepd -p daemon.err 'check: /etc/config/hepd:7:9: error: unknown option '\''selectr'\'''
logger -t hepd -p daemon.err 'check: hepd check: 1 error, 0 warnings'
$instance"

    # reload
    run "$sh" "$init" enabled reload_service HEPD_TEST_RUNNING=1
    expect_calls "reload while running: start again (networks, triggers), then SIGHUP $S" 0 \
"procd_running hepd
config_load hepd
config_get_bool enabled main enabled 0
start
$start_enabled
$triggers_enabled
procd_send_signal hepd"
    run "$sh" "$init" enabled reload_service
    expect_calls "reload while stopped (just enabled): starts it, no signal to a fresh process $S" 0 \
"procd_running hepd
config_load hepd
config_get_bool enabled main enabled 0
start
$start_enabled
$triggers_enabled"
    run "$sh" "$init" disabled reload_service HEPD_TEST_RUNNING=1
    expect_calls "reload after disabling: no instance (procd stops hepd), then teardown $S" 0 \
"procd_running hepd
config_load hepd
config_get_bool enabled main enabled 0
start
$start_disabled
$triggers_disabled
hepd teardown -c /etc/hepd/hepd.conf"
    run "$sh" "$init" disabled reload_service
    expect_calls "reload while disabled and stopped: no teardown (nothing of ours to remove) $S" 0 \
"procd_running hepd
config_load hepd
config_get_bool enabled main enabled 0
start
$start_disabled
$triggers_disabled"

    # stop
    run "$sh" "$init" enabled stop_service
    expect_calls "stop: hepd teardown $S" 0 "hepd teardown -c /etc/hepd/hepd.conf"
    run "$sh" "$init" enabled _rc_stop HEPD_TEST_RUNNING=1
    expect_calls "stop: hepd teardown while the daemon still runs (it stands down), then procd kills it $S" 0 \
"stop
hepd teardown -c /etc/hepd/hepd.conf
procd_kill hepd ''"
    run "$sh" "$init" enabled stop_service HEPD_TEST_TEARDOWN_RC=1
    expect_calls "stop: a failed teardown is logged and returned $S" 1 \
"hepd teardown -c /etc/hepd/hepd.conf
logger -s -t hepd -p daemon.err 'hepd teardown failed (exit 1): cannot lock'"
    run "$sh" "$init" enabled stop_service PKG_UPGRADE=1
    expect_calls "stop for a package upgrade keeps the rules $S" 0 \
"logger -t hepd -p daemon.notice 'package upgrade: leaving hepd'\''s rules in place'"

    # extra commands
    run "$sh" "$init" enabled 'status_service --json' HEPD_TEST_STATUS_RC=3
    expect_calls "status: hepd status, its exit code kept (3 = confirm pending) $S" 3 \
        "hepd status -c /etc/hepd/hepd.conf --json"
    [ "$out" = "hepd status says hello" ] && ok "status: prints what hepd status prints $S" \
        || not_ok "status output $S: $out"
    run "$sh" "$init" enabled confirm
    expect_calls "confirm: hepd confirm $S" 0 "hepd confirm"
    run "$sh" "$init" enabled rollback HEPD_TEST_CONFIRM_RC=1
    expect_calls "rollback: hepd rollback, exit 1 when nothing is pending $S" 1 "hepd rollback"

    # /etc/hotplug.d/firewall/50-hepd, sourced by hotplug-call in a subshell
    run "$sh" "$hotplug" enabled '(. "$0")' ACTION=add
    expect_calls "firewall hotplug add: hepd reload $S" 0 "hepd reload -c /etc/hepd/hepd.conf"
    [ -z "$out" ] && ok "firewall hotplug is quiet $S" || not_ok "firewall hotplug printed: $out"
    run "$sh" "$hotplug" enabled '(. "$0")' ACTION=add HEPD_TEST_RELOAD_RC=2
    expect_calls "firewall hotplug with hepd not running: exit 0, quiet $S" 0 "hepd reload -c /etc/hepd/hepd.conf"
    run "$sh" "$hotplug" enabled '(. "$0")' ACTION=remove
    expect_calls "firewall hotplug remove: nothing $S" 0 ""

    # /etc/uci-defaults/90-hepd, run as a script, and sourced in a subshell as postinst and
    # /etc/init.d/boot do; UCI_CONFIG_DIR stands for /etc/config.
    ucidir=$tmp/ucidir
    for how in '$HEPD_TEST_SH "$HEPD_TEST_DEFAULTS"' '(. "$HEPD_TEST_DEFAULTS")'; do
        rm -rf "$ucidir"; mkdir -p "$ucidir"; echo "# the operator's" >"$ucidir/hepd"
        run "$sh" /dev/null enabled "$how" HEPD_TEST_HAS_MAIN=1 UCI_CONFIG_DIR="$ucidir" \
            HEPD_TEST_SH="$sh" HEPD_TEST_DEFAULTS="$defaults"
        expect_calls "uci-defaults with config hepd 'main' present: no change ($how) $S" 0 \
            "uci -c $ucidir -q get hepd.main"
        expect_file "... and the file is left as it was ($how) $S" "$ucidir/hepd" "# the operator's"
        run "$sh" /dev/null enabled "$how" UCI_CONFIG_DIR="$ucidir" \
            HEPD_TEST_SH="$sh" HEPD_TEST_DEFAULTS="$defaults"
        expect_calls "uci-defaults without it: adds it disabled, exit 0 ($how) $S" 0 \
"uci -c $ucidir -q get hepd.main
uci -c $ucidir -q set hepd.main=hepd
uci -c $ucidir -q set hepd.main.enabled=0
uci -c $ucidir -q commit hepd"
        rm -f "$ucidir/hepd"
        run "$sh" /dev/null enabled "$how" UCI_CONFIG_DIR="$ucidir" \
            HEPD_TEST_SH="$sh" HEPD_TEST_DEFAULTS="$defaults"
        [ "$rc" = 0 ] && [ -f "$ucidir/hepd" ] && ok "uci-defaults without /etc/config/hepd: creates it for uci set ($how) $S" \
            || not_ok "uci-defaults without the file: exit $rc, file $(ls "$ucidir") ($how) $S"
    done
done
[ "${#shells[@]}" -gt 1 ] || ok "busybox ash runs (skipped: busybox not installed, dash only)"

# ---- static checks ----------------------------------------------------------------------------

shell_files=("$files/hepd.init" "$files/hepd.defaults" "$files/hepd.firewall-hotplug")
for f in "${shell_files[@]}"; do
    expect_exit "sh -n $(basename "$f")" 0 sh -n "$f"
done
# Every file under openwrt/ that starts with #! is in that list.
for f in $(grep -rlI '^#!' openwrt/); do
    [[ " ${shell_files[*]} " == *" $f "* ]] || not_ok "shell file $f is not checked here"
done
if command -v shellcheck >/dev/null; then
    # SC3043: `local` is not POSIX, but busybox ash (OpenWrt's /bin/sh) has it and every
    # OpenWrt script relies on it.
    for f in "${shell_files[@]}"; do
        expect_exit "shellcheck -s sh $(basename "$f")" 0 shellcheck -s sh -e SC3043 "$f"
    done
    expect_exit "shellcheck this harness (warnings)" 0 shellcheck -S warning -s bash tests/cli/openwrt_init.sh
else
    ok "shellcheck (skipped: not installed)"
fi

# ---- the shipped configuration through hepd check ---------------------------------------------

if [ -x "$HEPD" ]; then
    expect_contains "shipped /etc/config/hepd is valid" 0 "ok: 1 file" "$HEPD" check "$files/hepd.config"
    # The commented examples and defaults, uncommented, are valid too (wan is a network=,
    # unresolved here), and hepd warns about nothing but that.
    sed -E 's/^#(config |\t)/\1/; s/^\t# (option [a-z_0-9]+ '"'"'[^'"'"']*'"'"')$/\t\1/' \
        "$files/hepd.config" >"$tmp/examples.uci"
    [ "$(grep -c "^	option \(chain_insert\|refresh_interval\|confirm_timeout\|log_level\|lock_wait\) " \
        "$tmp/examples.uci")" = 5 ] || not_ok "the commented defaults of config hepd 'main' were not uncommented"
    expect_contains "the examples and commented defaults in /etc/config/hepd are valid" 0 \
        "1 HostEndpoint, 3 GlobalNetworkPolicies, 1 GlobalNetworkSet" "$HEPD" check "$tmp/examples.uci"
    expect_stderr "... with one warning only: the unresolved network" 0 \
        "$tmp/examples.uci:52:17: warning: uci:wan: network: 'wan' is not resolved to a device now; the endpoint is inactive until it is" \
        "$HEPD" check "$tmp/examples.uci"
    # Every option procd validates (hepd_validate_main) is one hepd reads in config hepd 'main':
    # each with its validation default, or a sample when it has none.
    {
        printf "config hepd 'main'\n"
        sed -n "/^hepd_validate_main()/,/^}/s/^[[:space:]]*'\([a-z_0-9]*\):[^']*'.*/\1/p" "$files/hepd.init" |
            while read -r o; do
                spec=$(grep -o "'$o:[^']*'" "$files/hepd.init" | head -1 | tr -d "'")
                v=${spec#*:}; v=${v#*:}
                case $o in
                failsafe_in | failsafe_out) printf "\tlist %s 'tcp:22'\n" "$o" ;;
                resource_dir) printf "\toption %s '/etc/hepd/resources.d'\n" "$o" ;;
                xtables_lock) printf "\toption %s '/var/run/xtables.lock'\n" "$o" ;;
                *) [ "$v" != "$spec" ] && [ "${spec#*:}" != "$v" ] || v=MISSING
                   printf "\toption %s '%s'\n" "$o" "$v" ;;
                esac
            done
    } >"$tmp/validated.uci"
    n_opts=$(grep -c '^	' "$tmp/validated.uci")
    [ "$n_opts" -ge 12 ] && ! grep -q MISSING "$tmp/validated.uci" \
        && expect_stderr "the $n_opts options procd validates, with their defaults, are hepd's own" 0 "" \
            "$HEPD" check "$tmp/validated.uci" \
        || not_ok "reading hepd_validate_main: $(cat "$tmp/validated.uci")"
    # The networks map the init script writes is the one hepd reads: wan resolves.
    run dash "$init" networks start_service HEPD_TEST_DEV_wan=pppoe-wan HEPD_TEST_PHYSDEV_lan=br-lan
    printf '[hepd]\nnode = openwrt\nuci_config = %s\nstate_dir = %s\nresource_dir = %s\n' \
        "$tmp/examples.uci" "$tmp/state" "$tmp/state" >"$tmp/networks.conf"
    expect_stderr "hepd resolves option network 'wan' through the map the init script wrote" 0 \
        "" "$HEPD" check -c "$tmp/networks.conf"
    expect_contains "... and programs both example endpoints" 0 "2 HostEndpoints" "$HEPD" check -c "$tmp/networks.conf"
    mkdir -p "$tmp/resources.d"
    sed -n '/^apiVersion/,$p' "$files/resources.d/README" >"$tmp/resources.d/10-example.yaml"
    sed -e "s#^uci_config = .*#uci_config = $PWD/$files/hepd.config#" \
        -e "s#^resource_dir = .*#resource_dir = $tmp/resources.d#" "$files/hepd.conf" >"$tmp/hepd.conf"
    expect_contains "shipped hepd.conf with its UCI file and the README's YAML example is valid" 0 \
        "1 GlobalNetworkPolicy" "$HEPD" check -c "$tmp/hepd.conf"
else
    ok "hepd check of the shipped files (skipped: $HEPD not built)"
fi
conf_value() { sed -n "s/^$1 *= *//p" "$files/hepd.conf"; }
[ "$(conf_value uci_config)" = /etc/config/hepd ] && [ "$(conf_value xtables_lock)" = /var/run/xtables.lock ] \
    && [ "$(conf_value state_dir)" = /var/run/hepd ] \
    && ok "hepd.conf: uci_config, OpenWrt's xtables lock, the state_dir the init script writes to" \
    || not_ok "hepd.conf: uci_config/xtables_lock/state_dir"
grep -q "^HEPD_STATE_DIR=\${HEPD_STATE_DIR:-$(conf_value state_dir)}$" "$files/hepd.init" \
    && ok "init script and hepd.conf agree on the state directory" || not_ok "init script state dir"
grep -q "^	option enabled '0'$" "$files/hepd.config" && ok "shipped config is disabled" \
    || not_ok "shipped config must have option enabled '0'"

# ---- the package Makefile against the tree ----------------------------------------------------

mk=openwrt/hepd/Makefile
pkg_version=$(sed -n 's/^PKG_VERSION:=//p' "$mk")
tree_version=$(sed -n 's/^VERSION *:= *//p' Makefile)
[ -n "$pkg_version" ] && [ "$pkg_version" = "$tree_version" ] && ok "PKG_VERSION equals the tree's VERSION ($tree_version)" \
    || not_ok "PKG_VERSION $pkg_version, tree VERSION $tree_version"
for f in $(cd "$files" && find . -type f | sed 's#^\./##'); do
    grep -q "\./files/$f " "$mk" || not_ok "Makefile does not install files/$f"
done
ok "Makefile installs every file of files/"
for want in /etc/config/hepd /etc/hepd/hepd.conf; do
    sed -n '/^define Package\/hepd\/conffiles/,/^endef/p' "$mk" | grep -qx "$want" \
        && ok "conffile $want" || not_ok "conffile $want missing"
done
[ "$(cat "$files/hepd.keep")" = "/etc/config/hepd
/etc/hepd/" ] && ok "keep.d keeps /etc/config/hepd and /etc/hepd/" || not_ok "hepd.keep content"
grep -q '^	\$(CP) \$(HEPD_SRC_DIR)/include \$(HEPD_SRC_DIR)/src \$(PKG_BUILD_DIR)/$' "$mk" \
    && [ -d include ] && [ -d src ] && ok "Build/Prepare copies include/ and src/, which exist" \
    || not_ok "Build/Prepare and the tree layout differ"

# Build/Prepare and Build/Compile run on the host, under a stand-in for OpenWrt's rules.mk and
# package.mk that expands them as package.mk does (Build/Compile inside the rule that
# Build/CoreTargets defines, through BuildPackage's eval, then again as a recipe), with the host
# compiler as the "target" one. It shows the escaping, the ar wrapper and the pkg-config and
# static/shared link overrides work; not that OpenWrt's toolchain builds it.
# HEPD_OPENWRT_BUILD=0 skips it (a full compile of the tree).
if [ "${HEPD_OPENWRT_BUILD:-1}" = 0 ]; then
    ok "package Build/Compile on the host (skipped: HEPD_OPENWRT_BUILD=0)"
elif ! pkg-config --exists libiptc libnl-route-3.0 inih yaml-0.1 libipset 2>/dev/null; then
    ok "package Build/Compile on the host (skipped: build dependencies missing, see make deps)"
else
    top=$tmp/top
    mkdir -p "$top/include"
    cat >"$top/rules.mk" <<'EOF'
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR:=$(TOPDIR)/build_dir
CP:=cp -fpR
TARGET_CROSS:=
TARGET_CFLAGS:=-O0
TARGET_CXXFLAGS=$(TARGET_CFLAGS)
TARGET_LDFLAGS:=
TARGET_AR:=gcc-ar
PKG_CONFIG:=pkg-config
EOF
    cat >"$top/include/package.mk" <<'EOF'
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_JOBS:=-j2
MAKE_VARS = CFLAGS="$(TARGET_CFLAGS)" CXXFLAGS="$(TARGET_CXXFLAGS)" LDFLAGS="$(TARGET_LDFLAGS)"
MAKE_FLAGS = CC=gcc CXX=g++ AR="$(TARGET_AR)"
define Build/CoreTargets
  $(PKG_BUILD_DIR)/.built:
	$(Build/Prepare)
	$(Build/Configure)
	$(Build/Compile)
	touch $$@
endef
define BuildPackage
  $(Build/CoreTargets)
endef
EOF
    built=$top/build_dir/hepd-$pkg_version
    timeout 900 make -s -C openwrt/hepd TOPDIR="$top" "$built/.built" >"$tmp/pkgbuild.log" 2>&1
    pkg_rc=$?
    if [ "$pkg_rc" = 0 ] && "$built/build/hepd" version >/dev/null; then
        ok "package Build/Prepare + Build/Compile build a working hepd on the host"
    else
        not_ok "package build on the host: exit $pkg_rc; $(tail -5 "$tmp/pkgbuild.log")"
    fi
    wrapped=$(sed -n 's/^exec \([^ ]*\) .*/\1/p' "$built/.bin/ar" 2>/dev/null)
    [ -n "$wrapped" ] && [ "$wrapped" = "$(command -v ar)" ] \
        && ok "the ar wrapper runs the toolchain's ar by absolute path (no loop through itself)" \
        || not_ok "ar wrapper runs [$wrapped]"
    needed=$(readelf -d "$built/build/hepd" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
    [[ -n "$needed" && "$needed" != *libnl* && "$needed" != *libinih* && "$needed" != *libyaml* \
        && "$needed" != *libstdc++* ]] \
        && ok "libnl, libinih, libyaml and libstdc++ are linked statically (needs: $needed)" \
        || not_ok "static link: the binary needs [$needed]"
fi

done_testing
