# securex-relay: build, test, demo.
#
#   make            optimised build/securex-relay (builds only; says which
#                   packages are missing: `make deps` installs them)
#   make deps       the build packages (apt-get, as root)
#   make test       unit tests (Check, with every allocation failed in turn and
#                   the fuzz corpora replayed) and end-to-end tests (real nginx
#                   and apache2 with the deploy/ files, systemd-analyze verify,
#                   fake upstreams on loopback, faults, failover), ASan + UBSan
#   make demo       relay + nginx on http://127.0.0.1:8080 with a bundled feed
#   make run        the same against the live upstream
#   make lint       clang-format check and banned functions
#   make module-types  deploy/securex/<module>.module_type.json from
#                   `securex-relay module-type` (placeholder relay URL)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60); clang
#   make valgrind   the end-to-end tests with the relay under valgrind memcheck
#   make failover   30 s of wrk load through nginx over two relays, one killed
#   make soak       5 minutes of mixed load, RSS and error figures
#   make container-test  the images and deploy/kubernetes under podman kube
#                   play (root; base image built offline with mmdebstrap)
#   make install    binary, man page, units, examples under PREFIX (DESTDIR)
#   make deb        the Debian package (debhelper), checked by lintian
#   make deb-test   the package installed, run, upgraded and purged under
#                   systemd in a fresh Debian (mk/package.mk)
#
# Every other target that needs packages first runs scripts/deps.sh, which
# installs what is missing with apt-get (as root) or prints the exact command.

CC      ?= cc
# V=1 shows the full compiler command lines.
Q       := $(if $(V),,@)
PKGS    := libcurl libcjson libcrypto glib-2.0
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wno-format-nonliteral -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfcgi -lpthread
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

SRCS     := $(shell find src -name '*.c' | LC_ALL=C sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

OPT_FLAGS  := -O2 -g -DNDEBUG -fstack-protector-strong -D_FORTIFY_SOURCE=2
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
VG_FLAGS   := -O1 -g -fno-omit-frame-pointer
FUZZ_CC    ?= clang
FUZZ_SAN   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
# Header dependencies come from the compiler (-MMD): each object lists the
# headers it really includes in a .d file next to it.
DEPFLAGS   := -MMD -MP

# One compile rule per build flavour: $(call compile_rule,OBJDIR,CC,FLAGS,LABEL).
define compile_rule
$(1)/%.o: src/%.c
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$<$(4)"
	$$(Q)$(2) $$(WARN) $(3) $$(DEPFLAGS) -Iinclude $$(PKG_CFLAGS) -c -o $$@ $$<
endef
$(eval $(call compile_rule,build/obj,$(CC),$(OPT_FLAGS),))
$(eval $(call compile_rule,build/asan/obj,$(CC),$(SAN_FLAGS), (asan)))
$(eval $(call compile_rule,build/valgrind/obj,$(CC),$(VG_FLAGS), (valgrind)))
$(eval $(call compile_rule,build/fuzz/obj,$(FUZZ_CC),$(FUZZ_SAN) -fsanitize=fuzzer-no-link, (fuzz)))

OPT_OBJS := $(patsubst src/%.c,build/obj/%.o,$(SRCS))
SAN_OBJS := $(patsubst src/%.c,build/asan/obj/%.o,$(SRCS))
SAN_LIB_OBJS := $(filter-out build/asan/obj/main.o,$(SAN_OBJS))
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRCS))

export ASAN_OPTIONS ?= abort_on_error=0:detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps check-deps deps-test build-asan unit e2e test demo run lint bench clean \
	alloc-test fuzz fuzz-build fuzz-replay fuzz-merge valgrind failover soak container-test \
	module-types

# Plain `make` only builds: it never installs anything. When a library is
# missing it says which packages to install (`make deps` does it).
all: check-deps
	@$(MAKE) --no-print-directory build/securex-relay

deps:
	@scripts/deps.sh build

check-deps:
	@scripts/deps.sh build --check

build/securex-relay: $(OPT_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(OPT_FLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/securex-relay: $(SAN_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(WARN) $(SAN_FLAGS) $(DEPFLAGS) -MF $@.d -MT $@ -Iinclude -Itests/unit $(PKG_CFLAGS) \
		-o $@ $< $(UNIT_HELPERS) $(SAN_LIB_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

build-asan: build/asan/securex-relay $(UNIT_BINS)

# Each unit test program prints Check's summary line; a failure stops make.
# unit and e2e install the test packages themselves (also when run alone).
unit:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build-asan
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes $$t; done
	@$(MAKE) --no-print-directory alloc-test fuzz-replay

e2e:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build/asan/securex-relay
	@RELAY_BIN=$(CURDIR)/build/asan/securex-relay python3 tests/e2e/run.py

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build/securex-relay
	@scripts/demo.sh

run:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build/securex-relay
	@scripts/demo.sh --live

# Throughput and latency through nginx against nginx's own ceiling, feed
# scaling, and p99 during feed swaps; optimised build, no sanitizers.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build/securex-relay build/bench/feed_scale
	@python3 bench/run_bench.py

build/bench/feed_scale: bench/feed_scale.c $(filter-out build/obj/main.o,$(OPT_OBJS))
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(WARN) $(OPT_FLAGS) $(DEPFLAGS) -MF $@.d -MT $@ -Iinclude $(PKG_CFLAGS) -o $@ $< \
		$(filter-out build/obj/main.o,$(OPT_OBJS)) $(PKG_LIBS)

lint:
	@scripts/deps.sh lint
	@scripts/lint.sh

container-test:
	@scripts/container-test.sh

clean:
	rm -rf build

# The module types under deploy/securex/ are the command's output for the
# placeholder URL, never edited by hand: tests/e2e/test_module_types.py
# fails when they differ from what the binary prints.
MODULE_NAMES    := $(notdir $(wildcard src/modules/*))
MODULE_TYPE_URL := https://relay.example.com

module-types: check-deps
	@$(MAKE) --no-print-directory build/securex-relay
	$(Q)set -e; for m in $(MODULE_NAMES); do \
		echo "  GEN     deploy/securex/$$m.module_type.json"; \
		build/securex-relay module-type $$m --url $(MODULE_TYPE_URL) \
			> deploy/securex/$$m.module_type.json.tmp; \
		mv deploy/securex/$$m.module_type.json.tmp deploy/securex/$$m.module_type.json; \
	done

# ---------------------------------------------------------------- hostile input
# Allocation failure: tests/alloc/ is linked with --wrap for the allocators
# (only the relay's and the test's own calls are wrapped; cJSON, libcurl and
# libcrypto are hooked at run time, GLib aborts on OOM by design), and fails
# allocation N of each request for N = 1, 2, ... Part of `unit`.
ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
ALLOC_TEST := build/asan/tests/alloc/test_alloc_failure

$(ALLOC_TEST): $(wildcard tests/alloc/*.c tests/alloc/*.h) $(UNIT_HELPERS) $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(WARN) $(SAN_FLAGS) $(DEPFLAGS) -MF $@.d -MT $@ -Iinclude -Itests/unit -Itests/alloc $(PKG_CFLAGS) -o $@ \
		$(wildcard tests/alloc/*.c) $(UNIT_HELPERS) $(SAN_LIB_OBJS) $(PKG_LIBS) $(CHECK_LIBS) \
		$(ALLOC_WRAP)

# The refresh loops print one "refresh failed" line per run to stderr: kept
# in a file, shown when the test fails.
alloc-test: $(ALLOC_TEST)
	@echo "== $(ALLOC_TEST)"
	@CK_FORK=yes $(ALLOC_TEST) 2>build/asan/tests/alloc/stderr.txt || \
		{ cat build/asan/tests/alloc/stderr.txt; exit 1; }

# Fuzzing: one libFuzzer target per parser of untrusted bytes (fuzz/fuzz_*.c),
# built with clang against the relay sources compiled into build/fuzz/.
# scripts/fuzz.sh runs them (FUZZ_JOBS at a time, niced) and prints execs and
# corpus sizes; new inputs go to build/fuzz/corpus/<target>, `make fuzz-merge`
# minimises them into the committed fuzz/corpus/<target>.
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_TARGETS := $(filter-out fuzz_common fuzz_replay,$(patsubst fuzz/%.c,%,$(sort $(wildcard fuzz/fuzz_*.c))))
FUZZ_OBJS    := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRCS)) build/fuzz/obj/fuzz_common.o
FUZZ_BINS    := $(patsubst %,build/fuzz/bin/%,$(FUZZ_TARGETS))
REPLAY_BINS  := $(patsubst %,build/asan/fuzz/%,$(FUZZ_TARGETS))

build/fuzz/obj/fuzz_common.o: fuzz/fuzz_common.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	$(Q)$(FUZZ_CC) $(WARN) $(FUZZ_SAN) $(DEPFLAGS) -fsanitize=fuzzer-no-link -Iinclude $(PKG_CFLAGS) -c -o $@ $<

# Libraries one target needs beyond the relay's: fuzz_markdown renders what
# it checks with libcmark-gfm (GitHub's renderer and its extensions).
build/fuzz/bin/fuzz_markdown build/asan/fuzz/fuzz_markdown: TARGET_LIBS := -lcmark-gfm-extensions -lcmark-gfm

build/fuzz/bin/%: fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(WARN) $(FUZZ_SAN) $(DEPFLAGS) -MF $@.d -MT $@ -fsanitize=fuzzer -Iinclude -Ifuzz $(PKG_CFLAGS) -o $@ $< \
		$(FUZZ_OBJS) $(PKG_LIBS) $(TARGET_LIBS)

# Kept between runs (make treats objects of pattern rules as intermediate).
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz.sh run $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	@scripts/fuzz.sh merge $(FUZZ_TARGETS)

# The committed corpora replayed through the same entry points without
# libFuzzer: gcc, ASan + UBSan, fuzz/fuzz_replay.c as main(). Part of `unit`.
build/asan/fuzz/%: fuzz/%.c fuzz/fuzz_replay.c fuzz/fuzz_common.c $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(WARN) $(SAN_FLAGS) $(DEPFLAGS) -MF $@.d -MT $@ -Iinclude -Ifuzz $(PKG_CFLAGS) -o $@ $< fuzz/fuzz_replay.c \
		fuzz/fuzz_common.c $(SAN_LIB_OBJS) $(PKG_LIBS) $(TARGET_LIBS)

fuzz-replay: $(REPLAY_BINS)
	@scripts/fuzz.sh replay $(FUZZ_TARGETS)

# valgrind: the end-to-end tests against an unsanitized -O1 -g relay under
# memcheck (tests/e2e/valgrind-relay.sh as RELAY_BIN); any error or definite
# leak fails the test class. E2E_ARGS passes -k PATTERN to run.py.
VALGRIND_OBJS := $(patsubst src/%.c,build/valgrind/obj/%.o,$(SRCS))

build/valgrind/securex-relay: $(VALGRIND_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) -O1 -g -o $@ $^ $(PKG_LIBS)

valgrind:
	@scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory build/valgrind/securex-relay
	@RELAY_BIN=$(CURDIR)/tests/e2e/valgrind-relay.sh python3 tests/e2e/run.py $(E2E_ARGS)

# failover: two optimised relays behind the production upstream pool
# (deploy/nginx/securex-relay-pool.conf), 30 s of wrk, one relay killed with
# SIGKILL half-way; then 200 slow clients. Prints failed requests and p99s.
failover:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build/securex-relay
	@FAILOVER_SECONDS=$${FAILOVER_SECONDS:-30} FAILOVER_SLOW_SECONDS=$${FAILOVER_SLOW_SECONDS:-10} \
		RELAY_BIN=$(CURDIR)/build/securex-relay python3 tests/e2e/run.py -k Failover

# soak: 5 minutes (SOAK_SECONDS) of mixed load with a feed refresh every
# 10 s against the optimised relay; prints RSS and answer figures.
soak:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build/securex-relay
	@SOAK_SECONDS=$${SOAK_SECONDS:-300} RELAY_BIN=$(CURDIR)/build/securex-relay \
		python3 tests/e2e/soak.py -v

# Header dependencies written by -MMD (absent before the first build).
-include $(shell find build -name '*.d' 2>/dev/null)
include mk/package.mk
