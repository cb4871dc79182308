# ehttp -- Enhanced HTTP for a Configuration Manager-style site hierarchy.
# `make test` and `make run` install what is missing (scripts/deps.sh), then work.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
CC       ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS   ?= -O2 -g
WERROR   ?= 1
SANITIZE ?= 0
B        ?= build
RUN_DIR  ?= $(CURDIR)/.run

# Project flags stay apart from CFLAGS so `make CFLAGS=-O0` keeps the warnings.
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
PROJ_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -MMD -MP -Idb -Ibackend -Itui
PROJ_LDFLAGS :=
ifeq ($(SANITIZE),1)
PROJ_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PROJ_LDFLAGS += -fsanitize=address,undefined
endif

PKGS_DB      := sqlite3
PKGS_CRYPTO  := libcrypto libssl
PKGS_AGENT   := libevent libevent_openssl
PKGS_TUI     := ncursesw
PKGS_TEST    := check
DEPS_OK      := $(B)/.deps-ok

# Asked when a recipe runs, never while the Makefile is parsed: on a fresh
# machine scripts/deps.sh (a prerequisite of every object) installs the
# libraries first. One module at a time, so that a missing one is named
# and stops the build instead of emptying the whole link line.
pc_cflags = $(foreach m,$(1),$(call pc_ask,--cflags,$(m)))
pc_libs   = $(foreach m,$(1),$(call pc_ask,--libs,$(m)))
pc_ask    = $(if $(shell $(PKG_CONFIG) --exists $(2) 2>/dev/null && echo y),\
	$(shell $(PKG_CONFIG) $(1) $(2)),\
	$(error pkg-config finds no '$(2)': run `sh scripts/deps.sh` (it installs what is missing)))

OSSL_DEFS := -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED

DB_SRC      := $(sort $(wildcard db/*.c))
BACKEND_SRC := $(sort $(filter-out backend/main-%.c,$(wildcard backend/*.c)))
TUI_SRC     := $(sort $(filter-out tui/main-%.c,$(wildcard tui/*.c)))
TEST_SRC    := $(sort $(wildcard tests/*.c))
SUITES      := $(patsubst tests/check_%.c,%,$(sort $(wildcard tests/check_*.c)))

DB_OBJ      := $(DB_SRC:%.c=$(B)/%.o)
BACKEND_OBJ := $(BACKEND_SRC:%.c=$(B)/%.o)
TUI_OBJ     := $(TUI_SRC:%.c=$(B)/%.o)
TEST_OBJ    := $(TEST_SRC:%.c=$(B)/%.o)

LIBDB      := $(B)/libehttpdb.a
LIBBACKEND := $(B)/libehttpbackend.a
LIBTUI     := $(B)/libehttptui.a

CTL     := $(B)/ehttpctl
MPD     := $(B)/ehttp-mpd
CONSOLE := $(B)/ehttp-console
CHECK   := $(B)/check_all
PROGS   := $(CTL) $(if $(wildcard backend/main-mpd.c),$(MPD)) \
	$(if $(wildcard tui/main-console.c),$(CONSOLE))

# Link order: tui -> backend -> db -> system libraries. Recursive (=), so
# pkg-config is asked at link time, after scripts/deps.sh.
LIBS_BACKEND = $(LIBBACKEND) $(LIBDB) $(call pc_libs,$(PKGS_AGENT) $(PKGS_CRYPTO) $(PKGS_DB)) -lpthread -lm
LIBS_TUI     = $(LIBTUI) $(LIBS_BACKEND) $(call pc_libs,$(PKGS_TUI))

.PHONY: all deps test check-run run bench install uninstall clean test-crash test-concurrency fuzz
.DEFAULT_GOAL := all

all: $(PROGS)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(B)/db/%.o: db/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(PROJ_CFLAGS) $(call pc_cflags,$(PKGS_DB)) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<
$(B)/backend/%.o: backend/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(PROJ_CFLAGS) $(OSSL_DEFS) $(call pc_cflags,$(PKGS_CRYPTO) $(PKGS_AGENT)) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<
$(B)/tui/%.o: tui/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(PROJ_CFLAGS) $(call pc_cflags,$(PKGS_TUI)) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<
$(B)/tests/%.o: tests/%.c $(B)/tests/suites.h | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(PROJ_CFLAGS) -I$(B)/tests -DEHTTP_BINDIR='"$(abspath $(B))"' \
		-DEHTTP_SRCDIR='"$(CURDIR)"' $(call pc_cflags,$(PKGS_TEST) $(PKGS_TUI)) \
		$(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# The runner learns the suites from the file names: tests/check_<m>.c exports <m>_suite().
$(B)/tests/suites.h: $(wildcard tests/check_*.c) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach s,$(SUITES),'SUITE($(s))') > $@.tmp && mv $@.tmp $@

$(LIBDB): $(DB_OBJ)
	@rm -f $@ && $(AR) rcs $@ $^
$(LIBBACKEND): $(BACKEND_OBJ)
	@rm -f $@ && $(AR) rcs $@ $^
$(LIBTUI): $(TUI_OBJ)
	@rm -f $@ && $(AR) rcs $@ $^

$(CTL): $(B)/backend/main-ehttpctl.o $(LIBBACKEND) $(LIBDB)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BACKEND)
$(MPD): $(B)/backend/main-mpd.o $(LIBBACKEND) $(LIBDB)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BACKEND)
$(CONSOLE): $(B)/tui/main-console.o $(LIBTUI) $(LIBBACKEND) $(LIBDB)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_TUI)
$(CHECK): $(TEST_OBJ) $(LIBTUI) $(LIBBACKEND) $(LIBDB) | $(PROGS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIBS_TUI) $(call pc_libs,$(PKGS_TEST))

# make test: the suite on the normal build, then again under ASan+UBSan.
test: deps
	@$(MAKE) --no-print-directory check-run
	@$(MAKE) --no-print-directory check-run SANITIZE=1 B=$(B)-san

check-run: $(PROGS) $(CHECK)
	@echo "== tests ($(B)) =="
	@if [ "$(SANITIZE)" = 1 ]; then \
		CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./$(CHECK); \
	else ./$(CHECK); fi

# A new make after deps.sh, like test: nothing of the build is decided before
# the libraries are there.
run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run-demo.sh "$(abspath $(B))" "$(RUN_DIR)"

bench: deps
	@$(MAKE) --no-print-directory B=$(B)-bench CFLAGS='-O2 -DNDEBUG' all \
		$(B)-bench/bench-issue $(B)-bench/bench-log
	@sh scripts/bench.sh "$(abspath $(B)-bench)"

KILLS ?= 200
test-crash: deps all
	@KILLS=$(KILLS) sh scripts/crash-test.sh "$(abspath $(B))"

CONC_SECONDS ?= 60
test-concurrency: deps all
	@SECONDS_RUN=$(CONC_SECONDS) sh scripts/concurrency-test.sh "$(abspath $(B))"

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)

uninstall:
	rm -f $(foreach p,$(PROGS),$(DESTDIR)$(BINDIR)/$(notdir $(p)))

clean:
	rm -rf $(B) $(B)-san $(B)-bench $(VG_B)
	@# The fuzzers' build, not their corpora or the crashes they found.
	rm -rf $(FUZZ_B)/db $(FUZZ_B)/backend $(FUZZ_B)/libehttp-fuzz.a \
		$(FUZZ_B)/.deps-ok $(FUZZ_BINS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Benchmark helpers (tests/bench/): references measured in the same run.
$(B)/bench-issue: $(B)/tests/bench/bench-issue.o $(LIBBACKEND) $(LIBDB)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BACKEND)
$(B)/bench-log: $(B)/tests/bench/bench-log.o $(LIBBACKEND) $(LIBDB)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BACKEND)
$(B)/tests/bench/%.o: tests/bench/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(PROJ_CFLAGS) $(OSSL_DEFS) $(call pc_cflags,$(PKGS_CRYPTO)) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# Fuzzing (issue #7): libFuzzer targets tests/fuzz/fuzz-*.c, built with clang
# and ASan+UBSan in $(FUZZ_B) against db/ and backend/ (not main-*.c).
# `make fuzz FUZZ_SECONDS=600` runs each target in turn for that long on
# its working corpus $(FUZZ_B)/corpus-<t>, seeded by tests/fuzz/corpus-<t>;
# crashes land in $(FUZZ_B)/crash-<t>/. `make fuzz-build` only builds.
FUZZ_CC      ?= clang
FUZZ_B       ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_FLAGS   = -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Idb -Ibackend $(OSSL_DEFS) $(call pc_cflags,$(PKGS_DB) $(PKGS_CRYPTO) $(PKGS_AGENT))
FUZZ_OBJ     := $(patsubst %.c,$(FUZZ_B)/%.o,$(DB_SRC) $(BACKEND_SRC))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: deps fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus-$$t $(FUZZ_B)/crash-$$t && \
		echo "== fuzz-$$t: $(FUZZ_SECONDS) s" && \
		nice ./$(FUZZ_B)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_B)/crash-$$t/ \
			$(FUZZ_B)/corpus-$$t tests/fuzz/corpus-$$t || exit 1; \
	done
$(FUZZ_B)/.deps-ok: scripts/deps.sh | $(DEPS_OK)
	@FUZZ_CC=$(FUZZ_CC) sh scripts/deps.sh fuzz
	@mkdir -p $(@D) && touch $@
$(FUZZ_OBJ): $(FUZZ_B)/%.o: %.c | $(DEPS_OK) $(FUZZ_B)/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ_B)/libehttp-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@ && $(AR) rcs $@ $^
$(FUZZ_B)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_B)/libehttp-fuzz.a | $(FUZZ_B)/.deps-ok
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_B)/libehttp-fuzz.a \
		$(call pc_libs,$(PKGS_AGENT) $(PKGS_CRYPTO) $(PKGS_DB)) -lpthread -lm
-include $(wildcard $(FUZZ_B)/*/*.d)

# valgrind (issue #7): each suite in its own process (CK_FORK=no) under
# memcheck, in $(VG_B), with its wall time; VG_SUITES picks some
# (`make test-valgrind VG_SUITES="db rules"`). One process per suite: a
# failed check leaks what it held, and every process a later test forks
# exits under memcheck too, finds that leak and fails (--error-exitcode),
# so one failure would spread to other suites. Programs the tests start
# (ehttpctl, openssl, tmux, the console) are not traced there: ehttpctl
# runs under ASan+UBSan in `make test`, and after a run of every suite
# scripts/valgrind-programs.sh runs ehttpctl, ehttp-mpd and the console
# themselves under memcheck.
VG_B      ?= build-vg
VALGRIND  ?= valgrind
VG_SUITES ?= $(SUITES)
VG_FLAGS  ?= --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
	--num-callers=30
.PHONY: test-valgrind
test-valgrind: deps
	@sh scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory B=$(VG_B) CFLAGS='-O1 -g' all $(VG_B)/check_all
	@echo "== tests under valgrind ($(VG_B)): $(VG_SUITES) =="
	@failed=; for s in $(VG_SUITES); do \
		t0=$$(date +%s); \
		CK_FORK=no $(VALGRIND) $(VG_FLAGS) ./$(VG_B)/check_all $$s || \
			failed="$$failed $$s"; \
		echo "== valgrind $$s: $$(($$(date +%s) - t0)) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "== valgrind: failed:$$failed"; exit 1; fi; \
	echo "== valgrind: every suite passed"
	@if [ "$(VG_SUITES)" = "$(SUITES)" ]; then t0=$$(date +%s); \
		VALGRIND="$(VALGRIND)" sh scripts/valgrind-programs.sh "$(abspath $(VG_B))" && \
		echo "== valgrind programs: $$(($$(date +%s) - t0)) s"; fi
