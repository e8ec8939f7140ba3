# SPDX-License-Identifier: GPL-2.0-or-later
# hepd: build, test, demo.
#
#   make              build/hepd
#   make deps         install the Debian packages the build and the tests need (idempotent, quiet)
#   make check        deps, then every test suite; ends with "N passed, M failed"
#   make unit         unit tests only (fast inner loop)
#   make asan         unit tests under ASan+UBSan (build/asan)
#   make fuzz         every libFuzzer harness for FUZZ_SECONDS each (clang, build/fuzz)
#   make bench        benchmarks (bench/), prints figures, asserts nothing
#   make install      DESTDIR=... PREFIX=/usr
#   make static       build/static/hepd, static against musl (mk/static.mk; TARGET=aarch64|mipsel
#                     for a router), make check-static, make size, make check-cross TARGET=...
#   make clean
#
# Sources are found by wildcard: src/core/*.cpp (pure), src/sys/*.cpp (the system shell),
# src/cmd/*.cpp (the binary), tests/unit/*.cpp (one GoogleTest binary), tests/fuzz/fuzz_*.cpp
# (one libFuzzer binary each, corpus in tests/fuzz/corpus/<name>/).

VERSION     := 0.1.0
PREFIX      ?= /usr
DESTDIR     ?=
BUILD       ?= build
CXX         ?= g++
CLANGXX     ?= clang++
WERROR      ?= -Werror
OPT         ?= -O2
SAN         ?=
FUZZ_SECONDS ?= 60

PKGS        := libiptc libnl-route-3.0 inih yaml-0.1 libipset
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
GTEST_LIBS  := $(shell pkg-config --libs gtest_main 2>/dev/null || echo -lgtest_main -lgtest -lpthread)

CPPFLAGS    += -Iinclude -DHEPD_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
CXXFLAGS    ?= $(OPT) -g
CXXFLAGS    += -std=c++20 -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wformat=2 $(WERROR) \
               -fno-plt -MMD -MP
ifneq ($(SAN),)
CXXFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif

CORE_SRC    := $(sort $(wildcard src/core/*.cpp))
SYS_SRC     := $(sort $(wildcard src/sys/*.cpp))
CMD_SRC     := $(sort $(wildcard src/cmd/*.cpp))
UNIT_SRC    := $(sort $(wildcard tests/unit/*.cpp))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.cpp))
BENCH_SRC   := $(sort $(wildcard bench/*_bench.cpp))
BENCH_SH    := $(sort $(wildcard bench/*_bench.sh))

CORE_OBJ    := $(CORE_SRC:%.cpp=$(BUILD)/obj/%.o)
SYS_OBJ     := $(SYS_SRC:%.cpp=$(BUILD)/obj/%.o)
CMD_OBJ     := $(CMD_SRC:%.cpp=$(BUILD)/obj/%.o)
UNIT_OBJ    := $(UNIT_SRC:%.cpp=$(BUILD)/obj/%.o)
CORE_LIB    := $(BUILD)/libhepd-core.a
SYS_LIB     := $(BUILD)/libhepd-sys.a

FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.cpp,%,$(FUZZ_SRC))
FUZZ_BIN    := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
BENCH_BIN   := $(BENCH_SRC:bench/%.cpp=$(BUILD)/bench/%)
BENCH_TOOL  := $(BUILD)/bench/benchtool
# What `make bench` needs besides DEB_PKGS (the datapath contender, the instruction counts).
BENCH_PKGS  := iperf3 valgrind

# The packages `make deps` installs: build, tests, demo. Keep in step with .ci/run and README.
DEB_PKGS    := build-essential pkg-config clang libclang-rt-14-dev libgtest-dev \
               libiptc-dev libip4tc-dev libip6tc-dev libnl-3-dev libnl-route-3-dev \
               libinih-dev libyaml-dev libipset-dev libmnl-dev \
               iptables ipset iproute2 iputils-ping socat netcat-openbsd procps kmod file binutils \
               shellcheck busybox

.PHONY: all deps check check-build asan-build check-run unit asan fuzz fuzz-build bench bench-detail install clean demo help

all: $(BUILD)/hepd

help:
	@sed -n '2,17p' Makefile | sed 's/^# \{0,1\}//'

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(SYS_LIB): $(SYS_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/hepd: $(CMD_OBJ) $(SYS_LIB) $(CORE_LIB)
	$(CXX) $(LDFLAGS) -o $@ $(CMD_OBJ) $(SYS_LIB) $(CORE_LIB) $(PKG_LIBS)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(SYS_LIB) $(CORE_LIB)
	$(CXX) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(SYS_LIB) $(CORE_LIB) $(PKG_LIBS) $(GTEST_LIBS)

$(BUILD)/bench/%: bench/%.cpp $(SYS_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -o $@ $< $(SYS_LIB) $(CORE_LIB) $(PKG_LIBS)

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 build/asan/unit_tests
	build/asan/unit_tests

# libFuzzer binaries: clang with the fuzzer, ASan and UBSan instrumentation. The core sources are
# compiled once into build/fuzz/libcore.a (fuzzer-no-link), then each harness links against it.
# Core is pure, so no system library is linked.
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS := -std=c++20 -O1 -g -Iinclude $(FUZZ_SAN) $(PKG_CFLAGS) -MMD -MP
FUZZ_CORE_OBJ := $(CORE_SRC:src/core/%.cpp=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: src/core/%.cpp
	@mkdir -p $(dir $@)
	$(CLANGXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/libcore.a: $(FUZZ_CORE_OBJ)
	rm -f $@ && $(AR) rcs $@ $^
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.cpp build/fuzz/libcore.a
	@mkdir -p $(dir $@)
	$(CLANGXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libcore.a $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

# Every harness for FUZZ_SECONDS, one at a time; tests/fuzz/run.sh prints the report table
# (target, executions, corpus size, crashes: 0 or the artifact) and fails if any target found one.
fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# bench: the side-by-side run of PERFORMANCE.md (bench/run.sh): one table on stdout, the JSON in
# build/bench/results.json, the details in build/bench/log. BENCH_QUICK=1 for a ~1 minute smoke
# run, BENCH_RUNS=N to change the runs per metric. bench-detail: the older per-phase programs
# (bench/*_bench.cpp) and restore_bench.sh, each printing its own tables.
bench: $(BUILD)/hepd $(BENCH_BIN) $(BENCH_TOOL)
	@missing=""; for p in $(BENCH_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
	  echo "make bench: installing$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
	  { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
	fi
	@BUILD=$(BUILD) bash bench/run.sh

bench-detail: $(BUILD)/hepd $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b; done
	@for s in $(BENCH_SH); do echo "== $$s"; BUILD=$(BUILD) bash $$s; done

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to install$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# check: deps first (pkg-config flags are read when make starts, so the rest runs in a new make).
# The build parts run with one job per core; the test suites themselves run one at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) check-build
	@bash tests/run.sh

check-build: $(BUILD)/hepd $(BUILD)/unit_tests asan-build fuzz-build static-check-build

asan-build:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 build/asan/unit_tests

check-run: check-build
	@bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/hepd
	@bash tests/demo.sh

# install: the binary, the systemd unit (in SYSTEMD_UNIT_DIR, default $(PREFIX)/lib/systemd/system,
# pointing at $(PREFIX)/sbin/hepd), and /etc/hepd with the example hepd.conf unless one is there
# (a reinstall keeps the operator's). Starts nothing: `systemctl enable --now hepd` does.
install: $(BUILD)/hepd
	install -D -m 0755 $(BUILD)/hepd $(DESTDIR)$(PREFIX)/sbin/hepd
	install -d $(DESTDIR)$(or $(SYSTEMD_UNIT_DIR),$(PREFIX)/lib/systemd/system)
	sed 's#/usr/sbin/hepd#$(PREFIX)/sbin/hepd#g' config/hepd.service \
	  >$(DESTDIR)$(or $(SYSTEMD_UNIT_DIR),$(PREFIX)/lib/systemd/system)/hepd.service
	chmod 0644 $(DESTDIR)$(or $(SYSTEMD_UNIT_DIR),$(PREFIX)/lib/systemd/system)/hepd.service
	install -d -m 0755 $(DESTDIR)/etc/hepd $(DESTDIR)/etc/hepd/resources.d
	test -e $(DESTDIR)/etc/hepd/hepd.conf || install -m 0644 config/hepd.conf $(DESTDIR)/etc/hepd/hepd.conf

clean:
	rm -rf build

# The static build; -include: the OpenWrt package copies only Makefile, include/ and src/.
-include mk/static.mk

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_BIN:=.d) $(CORE_OBJ:.o=.d) $(SYS_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BENCH_BIN:=.d) $(BENCH_TOOL).d
