# securex-relay: build, test, demo.
#
#   make            optimised build/securex-relay
#   make test       unit tests (Check) and end-to-end tests (real nginx, fake
#                   upstreams on loopback), all under ASan + UBSan
#   make demo       relay + nginx on http://127.0.0.1:8080 with a bundled feed
#   make run        the same against the live upstream
#   make lint       clang-format check and banned functions
#
# Every target that needs packages first runs scripts/deps.sh, which installs
# what is missing with apt-get (as root) or prints the exact command.

CC      ?= cc
# V=1 shows the full compiler command lines.
Q       := $(if $(V),,@)
PKGS    := libcurl libcjson libcrypto glib-2.0
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wno-format-nonliteral -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lfcgi -lpthread
CHECK_LIBS = $(shell pkg-config --libs check)

SRCS     := $(shell find src -name '*.c' | LC_ALL=C sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
HDRS     := $(shell find include -name '*.h')
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

OPT_FLAGS  := -O2 -g -DNDEBUG -fstack-protector-strong -D_FORTIFY_SOURCE=2
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

OPT_OBJS := $(patsubst src/%.c,build/obj/%.o,$(SRCS))
SAN_OBJS := $(patsubst src/%.c,build/asan/obj/%.o,$(SRCS))
SAN_LIB_OBJS := $(filter-out build/asan/obj/main.o,$(SAN_OBJS))
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRCS))

export ASAN_OPTIONS ?= abort_on_error=0:detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps deps-test build-asan unit e2e test demo run lint bench clean
all: deps
	@$(MAKE) --no-print-directory build/securex-relay

deps:
	@scripts/deps.sh build

build/securex-relay: $(OPT_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(OPT_FLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(WARN) $(OPT_FLAGS) -Iinclude $(PKG_CFLAGS) -c -o $@ $<

build/asan/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (asan)"
	$(Q)$(CC) $(WARN) $(SAN_FLAGS) -Iinclude $(PKG_CFLAGS) -c -o $@ $<

build/asan/securex-relay: $(SAN_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(SAN_LIB_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(WARN) $(SAN_FLAGS) -Iinclude -Itests/unit $(PKG_CFLAGS) -o $@ $< $(UNIT_HELPERS) \
		$(SAN_LIB_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

build-asan: build/asan/securex-relay $(UNIT_BINS)

# Each unit test program prints Check's summary line; a failure stops make.
unit: build-asan
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes $$t; done

e2e: build/asan/securex-relay
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

build/bench/feed_scale: bench/feed_scale.c $(filter-out build/obj/main.o,$(OPT_OBJS)) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(WARN) $(OPT_FLAGS) -Iinclude $(PKG_CFLAGS) -o $@ $< \
		$(filter-out build/obj/main.o,$(OPT_OBJS)) $(PKG_LIBS)

lint:
	@scripts/lint.sh

clean:
	rm -rf build
