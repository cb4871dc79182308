# ehttp -- Enhanced HTTP for a Configuration Manager-style site hierarchy.
# `make test` and `make run` install what is missing (scripts/deps.sh), then work.

# make install: programs for everyone in BINDIR, the two daemons in SBINDIR,
# manual pages, systemd units (system installs) and bash completion.
# PREFIX=/usr puts the configuration in /etc; PREFIX=$$HOME/.local installs
# for one user (no system units: the daemons are then run by hand).
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# A user's install: no system units, the daemons beside the other programs
# (~/.local/sbin is on no one's PATH).
USER_INSTALL := $(if $(HOME),$(filter $(HOME)/%,$(PREFIX)))
ifneq ($(USER_INSTALL),)
SBINDIR  := $(BINDIR)
endif
UNITDIR  ?= $(if $(USER_INSTALL),,$(PREFIX)/lib/systemd/system)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# ehttpctl's CA module, where ehttpctl looks for it: ../lib/ehttp from the
# program (backend/ca/ca-load.c).
CA_MODDIR = $(abspath $(BINDIR)/..)/lib/ehttp
DESTDIR  ?=
INSTALL  ?= install
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
# Include paths are given per room (below), never globally.
PROJ_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -MMD -MP
PROJ_LDFLAGS :=
ifeq ($(SANITIZE),1)
PROJ_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PROJ_LDFLAGS += -fsanitize=address,undefined
endif

PKGS_DB      := sqlite3
PKGS_PG      := libpq
PKGS_CRYPTO  := libcrypto libssl
PKGS_AGENT   := libevent libevent_openssl
PKGS_TUI     := ncursesw
PKGS_JSON    := jansson
PKGS_WIRE    := zlib expat
PKGS_TEST    := check
DEPS_OK      := $(B)/.deps-ok
DEPS_ALL_OK  := $(B)/.deps-all-ok

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

# The rooms of the house (README "Rooms"). Each folder is one room; a room
# sees only the headers of the rooms below it, and the system libraries of
# other rooms are fenced off (scripts/fences.sh): including <sqlite3.h>
# outside db/sqlite/, <curses.h> outside tui/, OpenSSL outside backend/ca/ and
# backend/tls/, libevent outside backend/agent/ and backend/tls/, jansson
# (JSON) outside backend/ctl/, backend/wire/, backend/mp/, backend/admin/,
# backend/client/ and backend/manifest/, or zlib and expat outside
# backend/wire/ stops the build.
#
#   db/util/       the utility layer (below everything): text sanitiser,
#                  xmalloc family, UTF-8 decoder, UTC time formats
#   db/types/      the records (plain structs) db/ fills and ehttp.h hands out
#   db/            the store, engine-neutral: the typed functions of db.h and
#                  the one statement table, over the statement interface of
#                  db-engine.h; only the library sees db.h
#   db/sqlite/     the SQLite engine (sqlite3): the only code that includes
#                  <sqlite3.h>; built into the db library
#   db/pg/         the PostgreSQL engine (libpq): the only code that
#                  includes <libpq-fe.h>; its schema and statement texts.
#                  libpq is opened at run time (dlopen) for a PostgreSQL
#                  target only, never linked: no program pays its start
#   backend/ca/    certificates and keys (OpenSSL); ehttpctl loads it as a
#                  module (CA_MODULE) when first used, ca-api.h
#   backend/wire/  the client <-> MP messages (zlib, expat, jansson); db/util only
#   backend/       the library: rules, issuance, trust, logs (no system library)
#   backend/ctl/   ehttpctl (jansson)  backend/agent/  ehttp-mpd (libevent, TLS)
#   backend/sited/ ehttp-sited, the site server (no system library)
#   backend/tls/   TLS (OpenSSL): the agent's servers, the HTTP client of its
#                  health check and of ehttp-client
#   backend/client/ ehttp-client, a client from the public wire format only
#   backend/mp/    the management point's decisions for clients (jansson;
#                  wire and ca for the bytes and signatures, the library for
#                  the database); ehttp-mpd calls it
#   backend/admin/ the administration service (the SMS Provider's REST API,
#                  OData): URLs, queries, who may do what, its JSON
#                  (jansson); the library for every read and change;
#                  ehttp-mpd calls it
#   backend/dp/    the distribution point's content: a DP library's
#                  manifests (read by backend/manifest/) and files, URLs,
#                  WebDAV listings, ranges; manifest and db/util only (no
#                  database: a library is files)
#   backend/manifest/ a content library's layout (where the libraries,
#                  manifests and files are) and its package manifests
#                  (jansson): the one reader and writer and the rules of
#                  their names; db/util only; the library and dp call it
#   tui/           ehttp-console (ncursesw)
FENCE        := $(B)/fence
fence        = $(foreach k,$(1),-I$(FENCE)/$(k))
INC_UTIL     := -Idb/util
INC_TYPES    := -Idb/types
INC_DB       := -Idb $(INC_TYPES) $(INC_UTIL)
INC_CA       := -Ibackend/ca $(INC_UTIL)
INC_MANIFEST := -Ibackend/manifest $(INC_UTIL)
INC_BACKEND  := -Ibackend -Ibackend/manifest $(INC_CA) $(INC_DB)
INC_WIRE     := -Ibackend/wire $(INC_UTIL)
CFLAGS_UTIL     = $(call fence,sqlite openssl event curses json check wire) $(INC_UTIL)
CFLAGS_TYPES    = $(call fence,sqlite openssl event curses json check wire) $(INC_TYPES)
CFLAGS_DB       = $(call fence,sqlite pg openssl event curses json check wire) $(INC_DB)
CFLAGS_SQLITE   = $(call fence,pg openssl event curses json check wire) $(INC_DB) \
	$(call pc_cflags,$(PKGS_DB))
CFLAGS_PG       = $(call fence,sqlite openssl event curses json check wire) $(INC_DB) \
	-Idb/pg $(call pc_cflags,$(PKGS_PG))
CFLAGS_CA       = $(call fence,sqlite event curses json check wire) $(INC_CA) $(OSSL_DEFS) \
	-DCA_API_SUM='"$(CA_API_SUM)"' $(call pc_cflags,$(PKGS_CRYPTO))
CFLAGS_BACKEND  = $(call fence,sqlite openssl event curses json check wire) -Ibackend -Ibackend/ca \
	-Ibackend/manifest $(INC_DB)
CFLAGS_CTL      = $(call fence,sqlite openssl event curses check wire) -Ibackend/ctl -Ibackend \
	$(INC_TYPES) $(INC_UTIL) $(call pc_cflags,$(PKGS_JSON))
CFLAGS_AGENT    = $(call fence,sqlite openssl curses json check wire) -Ibackend/agent -Ibackend/mp \
	-Ibackend/admin \
	-Ibackend/tls -Ibackend/dp -Ibackend \
	$(INC_TYPES) $(INC_UTIL) \
	$(OSSL_DEFS) $(call pc_cflags,$(PKGS_CRYPTO) $(PKGS_AGENT))
CFLAGS_SITED    = $(call fence,sqlite openssl event curses json check wire) -Ibackend/sited \
	-Ibackend $(INC_TYPES) $(INC_UTIL)
CFLAGS_TUI      = $(call fence,sqlite openssl event json check wire) -Itui -Ibackend \
	$(INC_TYPES) $(INC_UTIL) \
	$(call pc_cflags,$(PKGS_TUI))
CFLAGS_WIRE     = $(call fence,sqlite openssl event curses check) $(INC_WIRE) \
	$(call pc_cflags,$(PKGS_WIRE) $(PKGS_JSON))
CFLAGS_MANIFEST = $(call fence,sqlite openssl event curses check wire) $(INC_MANIFEST) \
	$(call pc_cflags,$(PKGS_JSON))
CFLAGS_TLS      = $(call fence,sqlite curses json check wire) -Ibackend/tls $(INC_UTIL) \
	$(OSSL_DEFS) $(call pc_cflags,$(PKGS_CRYPTO) $(PKGS_AGENT))
CFLAGS_CLIENT   = $(call fence,sqlite openssl event curses check wire) -Ibackend/client \
	-Ibackend/tls -Ibackend/wire -Ibackend/ca -Ibackend $(INC_TYPES) $(INC_UTIL) \
	$(call pc_cflags,$(PKGS_JSON))
CFLAGS_MP       = $(call fence,sqlite openssl event curses check wire) -Ibackend/mp -Ibackend \
	-Ibackend/ca -Ibackend/wire $(INC_TYPES) $(INC_UTIL) $(call pc_cflags,$(PKGS_JSON))
CFLAGS_ADMIN    = $(call fence,sqlite openssl event curses check wire) -Ibackend/admin -Ibackend \
	$(INC_TYPES) $(INC_UTIL) $(call pc_cflags,$(PKGS_JSON))
CFLAGS_DP       = $(call fence,sqlite openssl event curses json check wire) -Ibackend/dp \
	-Ibackend/manifest $(INC_UTIL)
CFLAGS_TESTS    = -Itui -Ibackend/ctl -Ibackend/agent -Ibackend/wire -Ibackend/mp -Ibackend/admin \
	-Ibackend/tls -Ibackend/client -Ibackend/dp $(INC_BACKEND) \
	-I$(B)/tests $(OSSL_DEFS) \
	$(call pc_cflags,$(PKGS_TEST) $(PKGS_TUI) $(PKGS_CRYPTO) $(PKGS_JSON) $(PKGS_WIRE))

UTIL_SRC    := $(sort $(wildcard db/util/*.c))
DB_SRC      := $(sort $(wildcard db/*.c))
SQLITE_SRC  := $(sort $(wildcard db/sqlite/*.c))
PG_SRC      := $(sort $(wildcard db/pg/*.c))
# backend/ca/ whole, for the programs that link OpenSSL; ehttpctl links
# CA_LOAD_SRC and loads the module CA_MODULE (CA_SRC and ca-module.c, with
# OpenSSL) when a command first needs it: backend/ca/ca-api.h.
CA_LOAD_SRC := backend/ca/ca-base.c backend/ca/ca-load.c
CA_SRC      := $(sort $(filter-out backend/ca/ca-load.c backend/ca/ca-module.c,\
	$(wildcard backend/ca/*.c)))
WIRE_SRC    := $(sort $(wildcard backend/wire/*.c))
MANIFEST_SRC := $(sort $(wildcard backend/manifest/*.c))
MP_SRC      := $(sort $(wildcard backend/mp/*.c))
ADMIN_SRC   := $(sort $(wildcard backend/admin/*.c))
DP_SRC      := $(sort $(wildcard backend/dp/*.c))
TLS_SRC     := $(sort $(wildcard backend/tls/*.c))
CLIENT_SRC  := $(sort $(filter-out %/main-client.c,$(wildcard backend/client/*.c)))
BACKEND_SRC := $(sort $(wildcard backend/*.c))
CTL_SRC     := $(sort $(filter-out %/main-ehttpctl.c,$(wildcard backend/ctl/*.c)))
AGENT_SRC   := $(sort $(filter-out %/main-mpd.c,$(wildcard backend/agent/*.c)))
TUI_SRC     := $(sort $(filter-out tui/main-%.c,$(wildcard tui/*.c)))
TEST_SRC    := $(sort $(wildcard tests/*.c))
SUITES      := $(patsubst tests/check_%.c,%,$(sort $(wildcard tests/check_*.c)))

obj = $(1:%.c=$(B)/%.o)
UTIL_OBJ    := $(call obj,$(UTIL_SRC))
DB_OBJ      := $(call obj,$(DB_SRC) $(SQLITE_SRC) $(PG_SRC))
BACKEND_OBJ := $(call obj,$(BACKEND_SRC))
CA_OBJ      := $(call obj,$(CA_SRC))
CA_LOAD_OBJ := $(call obj,$(CA_LOAD_SRC))
# The module's objects, position-independent: backend/ca/ and db/util/.
CA_PIC_OBJ  := $(patsubst %.c,$(B)/pic/%.o,$(CA_SRC) backend/ca/ca-module.c \
	$(UTIL_SRC))
# What a module must match to be loaded: the headers of what crosses.
CA_API_SUM  := $(firstword $(shell cat backend/ca/ca.h backend/ca/ca-int.h \
	backend/ca/ca-api.h | cksum))
WIRE_OBJ    := $(call obj,$(WIRE_SRC))
MANIFEST_OBJ := $(call obj,$(MANIFEST_SRC))
MP_OBJ      := $(call obj,$(MP_SRC))
ADMIN_OBJ   := $(call obj,$(ADMIN_SRC))
DP_OBJ      := $(call obj,$(DP_SRC))
TLS_OBJ     := $(call obj,$(TLS_SRC))
CLIENT_OBJ  := $(call obj,$(CLIENT_SRC))
CTL_OBJ     := $(call obj,$(CTL_SRC))
AGENT_OBJ   := $(call obj,$(AGENT_SRC))
TUI_OBJ     := $(call obj,$(TUI_SRC))
TEST_OBJ    := $(call obj,$(TEST_SRC))

LIBUTIL    := $(B)/libehttputil.a
LIBDB      := $(B)/libehttpdb.a
LIBBACKEND := $(B)/libehttpbackend.a
LIBCA      := $(B)/libehttpca.a
LIBCALOAD  := $(B)/libehttpcaload.a
CA_MODULE  := $(B)/ehttp-ca.so
LIBWIRE    := $(B)/libehttpwire.a
LIBMANIFEST := $(B)/libehttpmanifest.a
LIBMP      := $(B)/libehttpmp.a
LIBADMIN   := $(B)/libehttpadmin.a
LIBDP      := $(B)/libehttpdp.a
LIBTLS     := $(B)/libehttptls.a
LIBCLIENT  := $(B)/libehttpclient.a
LIBCTL     := $(B)/libehttpctl.a
LIBAGENT   := $(B)/libehttpagent.a
LIBTUI     := $(B)/libehttptui.a

CTL     := $(B)/ehttpctl
MPD     := $(B)/ehttp-mpd
SITED   := $(B)/ehttp-sited
CONSOLE := $(B)/ehttp-console
CLIENTP := $(B)/ehttp-client
CHECK   := $(B)/check_all
PROGS   := $(CTL) $(MPD) $(SITED) $(CONSOLE) $(CLIENTP)

# Link order: program -> backend -> manifest, db -> util -> system libraries.
# Recursive (=), so pkg-config is asked at link time, after scripts/deps.sh.
LIBS_BASE    = $(LIBBACKEND) $(LIBCA) $(LIBMANIFEST) $(LIBDB) $(LIBUTIL) \
	$(call pc_libs,$(PKGS_CRYPTO) $(PKGS_DB) $(PKGS_JSON)) -lpthread -lm
# No OpenSSL: the CA is loaded when first used (CA_MODULE).
LIBS_CTL     = $(LIBCTL) $(LIBBACKEND) $(LIBMANIFEST) $(LIBDB) $(LIBCALOAD) $(LIBUTIL) \
	$(call pc_libs,$(PKGS_DB) $(PKGS_JSON)) -ldl -lpthread -lm
LIBS_AGENT   = $(LIBAGENT) $(LIBADMIN) $(LIBMP) $(LIBDP) $(LIBTLS) $(LIBWIRE) $(LIBS_BASE) \
	$(call pc_libs,$(PKGS_AGENT) $(PKGS_WIRE) $(PKGS_JSON))
LIBS_TUI     = $(LIBTUI) $(LIBS_BASE) $(call pc_libs,$(PKGS_TUI))
LIBS_CLIENT  = $(LIBCLIENT) $(LIBTLS) $(LIBWIRE) $(LIBS_BASE) \
	$(call pc_libs,$(PKGS_WIRE) $(PKGS_JSON))
LIBS_WIRE    = $(LIBWIRE) $(LIBUTIL) $(call pc_libs,$(PKGS_WIRE) $(PKGS_JSON))
LIBS_WIRE_BASE = $(LIBWIRE) $(LIBS_BASE) $(call pc_libs,$(PKGS_WIRE) $(PKGS_JSON))
LIBS_ALL     = $(LIBTUI) $(LIBCTL) $(LIBAGENT) $(LIBADMIN) $(LIBMP) $(LIBDP) $(LIBCLIENT) $(LIBTLS) $(LIBWIRE) \
	$(LIBS_BASE) \
	$(call pc_libs,$(PKGS_TUI) $(PKGS_AGENT) $(PKGS_JSON) $(PKGS_WIRE))

.PHONY: all deps test check-run check-rooms run bench install uninstall clean test-crash test-concurrency fuzz test-systemd
.DEFAULT_GOAL := all

all: $(PROGS) $(CA_MODULE)

# Building (make, make all, make install) installs only what it needs
# (scripts/deps.sh build); the targets that run things (test, run, bench,
# test-*) also the tests' tools (`make deps`). A package build
# (debian/rules) says DEPS=0: its build dependencies are the package's, and
# it must not install anything.
deps: $(DEPS_ALL_OK)
DEPS ?= 1
$(DEPS_OK): scripts/deps.sh
	@$(if $(filter 0,$(DEPS)),:,sh scripts/deps.sh build)
	@mkdir -p $(@D) && touch $@
$(DEPS_ALL_OK): scripts/deps.sh
	@$(if $(filter 0,$(DEPS)),:,sh scripts/deps.sh)
	@mkdir -p $(@D) && touch $@
$(FENCE)/.ok: scripts/fences.sh | $(DEPS_OK)
	@sh scripts/fences.sh $(FENCE) && touch $@

# One compile rule per room, made from ROOM_FLAGS (a room's folder and the
# suffix of its CFLAGS_ variable); make picks the pattern with the shortest
# stem, so backend/ca/x.c takes the backend/ca/ rule, not backend/'s.
# `make V=1` prints the whole command line.
V ?= 0
COMPILE = @mkdir -p $(@D); $(if $(filter 1,$(V)),,echo "  CC $<";) \
	$(if $(filter 1,$(V)),set -x;) \
	$(CC) $(PROJ_CFLAGS) $(1) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<
ROOM_FLAGS := db/util:UTIL db/sqlite:SQLITE db/pg:PG db:DB backend/ca:CA backend/wire:WIRE backend/mp:MP backend/admin:ADMIN backend/dp:DP backend/manifest:MANIFEST \
	backend/tls:TLS backend/client:CLIENT backend/ctl:CTL backend/agent:AGENT \
	backend/sited:SITED backend:BACKEND tui:TUI
define room_compile
$$(B)/$(word 1,$(1))/%.o: $(word 1,$(1))/%.c | $$(FENCE)/.ok
	$$(call COMPILE,$$(CFLAGS_$(word 2,$(1))))
endef
$(foreach r,$(ROOM_FLAGS),$(eval $(call room_compile,$(subst :, ,$(r)))))
$(B)/tests/%.o: tests/%.c $(B)/tests/suites.h | $(FENCE)/.ok
	$(call COMPILE,$(CFLAGS_TESTS) -DEHTTP_BINDIR='"$(abspath $(B))"' -DEHTTP_SRCDIR='"$(CURDIR)"')

# The runner learns the suites from the file names: tests/check_<m>.c exports <m>_suite().
$(B)/tests/suites.h: $(wildcard tests/check_*.c) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach s,$(SUITES),'SUITE($(s))') > $@.tmp && mv $@.tmp $@

# Each room's archive holds its objects: one recipe for all of them, made
# again when the Makefile changes (an object may have moved to another).
$(LIBUTIL): $(UTIL_OBJ)
$(LIBDB): $(DB_OBJ)
$(LIBBACKEND): $(BACKEND_OBJ)
$(LIBCA): $(CA_OBJ)
$(LIBCALOAD): $(CA_LOAD_OBJ)
$(LIBWIRE): $(WIRE_OBJ)
$(LIBMANIFEST): $(MANIFEST_OBJ)
$(LIBMP): $(MP_OBJ)
$(LIBADMIN): $(ADMIN_OBJ)
$(LIBDP): $(DP_OBJ)
$(LIBTLS): $(TLS_OBJ)
$(LIBCLIENT): $(CLIENT_OBJ)
$(LIBCTL): $(CTL_OBJ)
$(LIBAGENT): $(AGENT_OBJ)
$(LIBTUI): $(TUI_OBJ)
$(LIBUTIL) $(LIBDB) $(LIBBACKEND) $(LIBCA) $(LIBCALOAD) $(LIBWIRE) $(LIBMP) \
		$(LIBADMIN) $(LIBDP) $(LIBTLS) $(LIBCLIENT) $(LIBCTL) $(LIBAGENT) \
		$(LIBTUI) $(LIBMANIFEST): Makefile
	@rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
BASE_LIBS := $(LIBBACKEND) $(LIBCA) $(LIBMANIFEST) $(LIBDB) $(LIBUTIL)

$(CTL): $(B)/backend/ctl/main-ehttpctl.o $(LIBCTL) $(LIBBACKEND) $(LIBMANIFEST) $(LIBDB) \
		$(LIBCALOAD) $(LIBUTIL) | $(CA_MODULE)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_CTL)
# The module exports its table alone (ca-module.map); -z defs: nothing of
# it is left for the program to provide (not with the sanitizers: clang
# links their runtime into the program, and the module uses it there).
MODULE_DEFS := $(if $(filter 1,$(SANITIZE)),,-Wl,-z,defs)
$(B)/pic/backend/ca/%.o: backend/ca/%.c | $(FENCE)/.ok
	$(call COMPILE,$(CFLAGS_CA) -fPIC)
$(B)/pic/db/util/%.o: db/util/%.c | $(FENCE)/.ok
	$(call COMPILE,$(CFLAGS_UTIL) -fPIC)
$(CA_MODULE): $(CA_PIC_OBJ) backend/ca/ca-module.map Makefile
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -shared $(MODULE_DEFS) \
		-Wl,--version-script=backend/ca/ca-module.map -o $@ $(CA_PIC_OBJ) \
		$(call pc_libs,libcrypto) -lpthread
$(MPD): $(B)/backend/agent/main-mpd.o $(LIBAGENT) $(LIBADMIN) $(LIBMP) $(LIBDP) $(LIBTLS) $(LIBWIRE) \
		$(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_AGENT)
$(SITED): $(B)/backend/sited/main-sited.o $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BASE)
$(CONSOLE): $(B)/tui/main-console.o $(LIBTUI) $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_TUI)
$(CLIENTP): $(B)/backend/client/main-client.o $(LIBCLIENT) $(LIBTLS) $(LIBWIRE) $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_CLIENT)
$(CHECK): $(TEST_OBJ) $(LIBTUI) $(LIBCTL) $(LIBAGENT) $(LIBADMIN) $(LIBMP) $(LIBDP) $(LIBCLIENT) $(LIBTLS) \
		$(LIBWIRE) \
		$(BASE_LIBS) | $(PROGS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIBS_ALL) $(call pc_libs,$(PKGS_TEST))

# The fences hold: each room, compiled with its own flags, is refused the
# system headers of the other rooms and given its own. Prints one line per
# probe; tests/check_build.c reads them.
ROOM_PROBES := UTIL:sqlite3.h:no UTIL:openssl/x509.h:no UTIL:curses.h:no \
	UTIL:db-types.h:no UTIL:db.h:no \
	TYPES:db-types.h:yes TYPES:db.h:no TYPES:xmalloc.h:no TYPES:sqlite3.h:no \
	DB:sqlite3.h:no DB:db-engine.h:yes DB:openssl/evp.h:no DB:curses.h:no \
	DB:event2/event.h:no DB:db-types.h:yes \
	SQLITE:sqlite3.h:yes SQLITE:db-engine.h:yes SQLITE:xmalloc.h:yes \
	SQLITE:openssl/evp.h:no SQLITE:curses.h:no SQLITE:event2/event.h:no \
	SQLITE:jansson.h:no SQLITE:zlib.h:no SQLITE:libpq-fe.h:no DB:libpq-fe.h:no \
	PG:libpq-fe.h:yes PG:db-engine.h:yes PG:sqlite3.h:no PG:openssl/evp.h:no \
	PG:curses.h:no PG:jansson.h:no \
	CA:openssl/x509.h:yes CA:sqlite3.h:no CA:event2/event.h:no CA:curses.h:no \
	CA:db.h:no CA:db-types.h:no \
	BACKEND:sqlite3.h:no BACKEND:openssl/evp.h:no BACKEND:event2/event.h:no BACKEND:curses.h:no \
	BACKEND:ehttp.h:yes BACKEND:db.h:yes BACKEND:ca.h:yes BACKEND:cli.h:no BACKEND:tui.h:no \
	CTL:cli.h:yes CTL:ehttp.h:yes CTL:ca.h:no CTL:sqlite3.h:no CTL:openssl/ssl.h:no CTL:curses.h:no \
	CTL:mpd.h:no CTL:event2/event.h:no CTL:db.h:no CTL:db-types.h:yes \
	CTL:jansson.h:yes BACKEND:jansson.h:no AGENT:jansson.h:no TUI:jansson.h:no \
	AGENT:mpd.h:yes AGENT:event2/event.h:yes AGENT:openssl/ssl.h:no AGENT:tls.h:yes AGENT:sqlite3.h:no \
	AGENT:curses.h:no AGENT:ca.h:no AGENT:cli.h:no \
	AGENT:db.h:no AGENT:db-types.h:yes AGENT:agent.h:yes \
	TUI:tui.h:yes TUI:curses.h:yes TUI:sqlite3.h:no TUI:openssl/x509.h:no TUI:event2/event.h:no \
	TUI:ca.h:no TUI:cli.h:no TUI:mpd.h:no TUI:db.h:no TUI:db-types.h:yes \
	SITED:ehttp.h:yes SITED:daemon.h:yes SITED:db.h:no SITED:ca.h:no SITED:mpd.h:no \
	SITED:sqlite3.h:no SITED:openssl/ssl.h:no SITED:event2/event.h:no SITED:jansson.h:no \
	WIRE:wire.h:yes WIRE:xmalloc.h:yes WIRE:utf8.h:yes WIRE:zlib.h:yes WIRE:expat.h:yes \
	WIRE:jansson.h:yes WIRE:openssl/evp.h:no WIRE:sqlite3.h:no WIRE:curses.h:no \
	WIRE:event2/event.h:no WIRE:ca.h:no WIRE:db.h:no WIRE:db-types.h:no WIRE:ehttp.h:no \
	UTIL:zlib.h:no DB:expat.h:no CA:zlib.h:no CA:expat.h:no CA:wire.h:no \
	BACKEND:zlib.h:no BACKEND:expat.h:no CTL:expat.h:no AGENT:zlib.h:no \
	TUI:expat.h:no SITED:zlib.h:no \
	MP:mp.h:yes MP:ehttp.h:yes MP:ca.h:yes MP:wire.h:yes MP:jansson.h:yes \
	MP:db.h:no MP:sqlite3.h:no MP:openssl/evp.h:no MP:zlib.h:no MP:expat.h:no \
	MP:event2/event.h:no MP:curses.h:no AGENT:mp.h:yes AGENT:wire.h:no \
	ADMIN:admin.h:yes ADMIN:ehttp.h:yes ADMIN:jansson.h:yes ADMIN:ca.h:no \
	ADMIN:db.h:no ADMIN:sqlite3.h:no ADMIN:openssl/evp.h:no ADMIN:event2/event.h:no \
	ADMIN:curses.h:no ADMIN:mp.h:no AGENT:admin.h:yes \
	TLS:tls.h:yes TLS:openssl/ssl.h:yes TLS:event2/bufferevent_ssl.h:yes TLS:sqlite3.h:no \
	TLS:ehttp.h:no TLS:db.h:no TLS:jansson.h:no TLS:zlib.h:no \
	CLIENT:client.h:yes CLIENT:tls.h:yes CLIENT:wire.h:yes CLIENT:ca.h:yes CLIENT:jansson.h:yes \
	CLIENT:openssl/ssl.h:no CLIENT:sqlite3.h:no CLIENT:db.h:no CLIENT:mp.h:no CLIENT:mpd.h:no \
	CLIENT:event2/event.h:no CLIENT:zlib.h:no CLIENT:curses.h:no \
	DP:dp.h:yes DP:xmalloc.h:yes DP:manifest.h:yes DP:jansson.h:no DP:sqlite3.h:no DP:openssl/evp.h:no \
	DP:event2/event.h:no DP:curses.h:no DP:zlib.h:no DP:expat.h:no DP:db.h:no \
	DP:db-types.h:no DP:ehttp.h:no DP:mp.h:no AGENT:dp.h:yes MP:dp.h:no CTL:dp.h:no \
	MANIFEST:manifest.h:yes MANIFEST:jansson.h:yes MANIFEST:safetext.h:yes \
	MANIFEST:sqlite3.h:no MANIFEST:openssl/evp.h:no MANIFEST:event2/event.h:no \
	MANIFEST:curses.h:no MANIFEST:zlib.h:no MANIFEST:db.h:no MANIFEST:db-types.h:no \
	MANIFEST:ehttp.h:no MANIFEST:ca.h:no BACKEND:manifest.h:yes CTL:manifest.h:no \
	AGENT:manifest.h:no TUI:manifest.h:no
check-rooms: $(FENCE)/.ok
	@for p in $(ROOM_PROBES); do \
		room=$${p%%:*}; rest=$${p#*:}; hdr=$${rest%%:*}; want=$${rest#*:}; \
		case $$room in \
		UTIL) fl='$(CFLAGS_UTIL)';; TYPES) fl='$(CFLAGS_TYPES)';; \
		DB) fl='$(CFLAGS_DB)';; SQLITE) fl='$(CFLAGS_SQLITE)';; \
		PG) fl='$(CFLAGS_PG)';; \
		CA) fl='$(CFLAGS_CA)';; \
		BACKEND) fl='$(CFLAGS_BACKEND)';; CTL) fl='$(CFLAGS_CTL)';; \
		AGENT) fl='$(CFLAGS_AGENT)';; TUI) fl='$(CFLAGS_TUI)';; \
		SITED) fl='$(CFLAGS_SITED)';; WIRE) fl='$(CFLAGS_WIRE)';; \
		MP) fl='$(CFLAGS_MP)';; ADMIN) fl='$(CFLAGS_ADMIN)';; TLS) fl='$(CFLAGS_TLS)';; \
		CLIENT) fl='$(CFLAGS_CLIENT)';; DP) fl='$(CFLAGS_DP)';; \
		MANIFEST) fl='$(CFLAGS_MANIFEST)';; esac; \
		why=$$(printf '#include <%s>\nint room_probe;\n' $$hdr | \
		    $(CC) -std=gnu11 -D_GNU_SOURCE $$fl -fsyntax-only -x c - 2>&1); \
		if [ $$? = 0 ]; then got=yes why=; \
		else got=no; case $$why in *"belongs to"*) why=fenced;; \
		*"No such file"*) why=not-on-path;; *) why=other-error;; esac; fi; \
		echo "room $$room $$hdr $$got (want $$want) $$why"; \
	done

# make test: the suite on the normal build, then again under ASan+UBSan.
test: deps
	@$(MAKE) --no-print-directory check-run
	@$(MAKE) --no-print-directory check-run SANITIZE=1 B=$(B)-san

# Each suite in its own process, TEST_JOBS at a time (scripts/run-suites.sh;
# `./build/check_all [SUITE...]` runs them one after the other in one): one
# more than the cores, as the suites spend much of their time waiting for
# the programs they drive (2 cores: 3 at a time took the normal build's
# suites from about 370 s to 268 s; 4 at a time, 265 s).
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
check-run: $(PROGS) $(CHECK)
	@echo "== tests ($(B)), $(TEST_JOBS) suites at a time =="
	@if [ "$(SANITIZE)" = 1 ]; then \
		CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		JOBS=$(TEST_JOBS) sh scripts/run-suites.sh $(B) ck $(SUITES); \
	else JOBS=$(TEST_JOBS) sh scripts/run-suites.sh $(B) ck $(SUITES); fi

# A new make after deps.sh, like test: nothing of the build is decided before
# the libraries are there.
run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run-demo.sh "$(abspath $(B))" "$(RUN_DIR)"

bench: deps
	@$(MAKE) --no-print-directory B=$(B)-bench CFLAGS='-O2 -DNDEBUG' all \
		$(B)-bench/bench-issue $(B)-bench/bench-log \
		$(B)-bench/bench-token $(B)-bench/bench-reg
	@sh scripts/bench.sh "$(abspath $(B)-bench)"

KILLS ?= 200
test-crash: deps all
	@KILLS=$(KILLS) sh scripts/crash-test.sh "$(abspath $(B))"

# On SQLite, then on PostgreSQL when it is installed (a server of its own).
CONC_SECONDS ?= 60
test-concurrency: deps all
	@SECONDS_RUN=$(CONC_SECONDS) sh scripts/concurrency-test.sh "$(abspath $(B))"
	@if why=$$(sh tests/pgserver.sh bin 2>&1 >/dev/null); then \
		SECONDS_RUN=$(CONC_SECONDS) CONC_ENGINE=postgresql \
		    sh scripts/concurrency-test.sh "$(abspath $(B))"; \
	else echo "concurrency-test (postgresql): skipped: $$why"; fi

# Each program's manual page and unit live in its room.
MAN1  := backend/ctl/ehttpctl.1 tui/ehttp-console.1 backend/client/ehttp-client.1
MAN8  := backend/agent/ehttp-mpd.8 backend/sited/ehttp-sited.8
UNITS_GEN := $(B)/units/ehttp-sited.service $(B)/units/ehttp-agent@.service
UNITS := $(UNITS_GEN) backend/agent/ehttp-agents.target
BASHCOMP := backend/ctl/ehttpctl.bash-completion
USER_PROGS   := $(CTL) $(CONSOLE) $(CLIENTP)
DAEMON_PROGS := $(MPD) $(SITED)
# The units name the installed daemons and configuration, and are made
# again when those directories change.
vpath %.service.in backend/sited backend/agent
$(B)/units/%.service: %.service.in $(B)/units/.dirs
	@mkdir -p $(@D); echo "  GEN $@"
	@sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@
$(B)/units/.dirs: FORCE
	@mkdir -p $(@D)
	@echo '$(SBINDIR) $(SYSCONFDIR)' | cmp -s - $@ || echo '$(SBINDIR) $(SYSCONFDIR)' >$@
.PHONY: FORCE
FORCE:

# The Debian package under a real systemd (scripts/systemd-test.sh): a
# Debian 12 base made once with debootstrap in $(SYSTEMD_B)/base, booted in
# systemd-nspawn with the package installed. Beside the build, not in it: a
# root file system is no place to look for dependency files.
SYSTEMD_B ?= $(B)-systemd
test-systemd: deps
	@sh scripts/deps.sh systemd
	@sh scripts/systemd-test.sh "$(CURDIR)" "$(abspath $(SYSTEMD_B))/test" \
		"$(abspath $(SYSTEMD_B))/base"

install: all $(if $(UNITDIR),$(UNITS))
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(SBINDIR)" \
		"$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man8" \
		"$(DESTDIR)$(BASHCOMPDIR)"
	$(INSTALL) -m 0755 $(USER_PROGS) "$(DESTDIR)$(BINDIR)"
	$(INSTALL) -m 0755 $(DAEMON_PROGS) "$(DESTDIR)$(SBINDIR)"
	$(INSTALL) -d "$(DESTDIR)$(CA_MODDIR)"
	@# By a rename: a program starting meanwhile opens the old or the new.
	$(INSTALL) -m 0644 $(CA_MODULE) "$(DESTDIR)$(CA_MODDIR)/.ehttp-ca.so.new"
	mv -f "$(DESTDIR)$(CA_MODDIR)/.ehttp-ca.so.new" \
		"$(DESTDIR)$(CA_MODDIR)/$(notdir $(CA_MODULE))"
	$(INSTALL) -m 0644 $(MAN1) "$(DESTDIR)$(MANDIR)/man1"
	$(INSTALL) -m 0644 $(MAN8) "$(DESTDIR)$(MANDIR)/man8"
	$(INSTALL) -m 0644 $(BASHCOMP) "$(DESTDIR)$(BASHCOMPDIR)/ehttpctl"
	@# bash-completion loads the file named after the command.
	for p in $(notdir $(CONSOLE) $(MPD) $(SITED) $(CLIENTP)); do \
		ln -sf ehttpctl "$(DESTDIR)$(BASHCOMPDIR)/$$p"; done
	$(if $(UNITDIR),$(INSTALL) -d "$(DESTDIR)$(UNITDIR)")
	$(if $(UNITDIR),$(INSTALL) -m 0644 $(UNITS) "$(DESTDIR)$(UNITDIR)")

# What install wrote, and nothing else: the directories stay (they may be
# shared), and so does what the programs made (databases, logs). Also the
# daemons where earlier installs put them (BINDIR), which would shadow
# the new ones on PATH.
in_dir = $(foreach f,$(2),"$(DESTDIR)$(1)/$(notdir $(f))")
uninstall:
	rm -f $(call in_dir,$(BINDIR),$(PROGS)) $(call in_dir,$(SBINDIR),$(DAEMON_PROGS)) \
		$(call in_dir,$(MANDIR)/man1,$(MAN1)) $(call in_dir,$(MANDIR)/man8,$(MAN8)) \
		$(call in_dir,$(BASHCOMPDIR),$(PROGS)) $(call in_dir,$(CA_MODDIR),$(CA_MODULE)) \
		$(if $(UNITDIR),$(call in_dir,$(UNITDIR),$(UNITS)))

clean:
	rm -rf $(B) $(B)-san $(B)-bench $(VG_B) $(SYSTEMD_B)
	@# The fuzzers' build, not their corpora or the crashes they found.
	rm -rf $(FUZZ_B)/db $(FUZZ_B)/backend $(FUZZ_B)/libehttp-fuzz.a \
		$(FUZZ_B)/.deps-ok $(FUZZ_BINS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Benchmark helpers (tests/bench/): references measured in the same run.
$(B)/bench-issue: $(B)/tests/bench/bench-issue.o $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BASE)
$(B)/bench-log: $(B)/tests/bench/bench-log.o $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BASE)
$(B)/bench-token: $(B)/tests/bench/bench-token.o $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BASE)
$(B)/bench-reg: $(B)/tests/bench/bench-reg.o $(LIBMP) $(LIBWIRE) $(BASE_LIBS)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBMP) $(LIBS_WIRE_BASE)
$(B)/tests/bench/%.o: tests/bench/%.c | $(FENCE)/.ok
	$(call COMPILE,$(INC_BACKEND) -Ibackend/mp -Ibackend/wire $(OSSL_DEFS) \
		$(call pc_cflags,$(PKGS_CRYPTO) $(PKGS_JSON)))

# Fuzzing (issue #7): libFuzzer targets tests/fuzz/fuzz-*.c, built with clang
# and ASan+UBSan in $(FUZZ_B) against db/ and backend/ (not main-*.c).
# `make fuzz FUZZ_SECONDS=600` runs each target for that long (FUZZ_JOBS at a
# time) on its working corpus $(FUZZ_B)/corpus-<t>, seeded by
# tests/fuzz/corpus-<t>; crashes land in $(FUZZ_B)/crash-<t>/. `make
# fuzz-build` only builds.
FUZZ_CC      ?= clang
FUZZ_B       ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_FLAGS   = -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Ibackend/ctl -Ibackend/wire -Ibackend/dp -Ibackend/admin $(INC_BACKEND) $(OSSL_DEFS) \
	$(call pc_cflags,$(PKGS_DB) $(PKGS_PG) $(PKGS_CRYPTO) $(PKGS_JSON) $(PKGS_WIRE))
FUZZ_OBJ     := $(patsubst %.c,$(FUZZ_B)/%.o,$(UTIL_SRC) $(DB_SRC) $(SQLITE_SRC) $(PG_SRC) $(CA_SRC) $(BACKEND_SRC) \
	$(CTL_SRC) $(WIRE_SRC) $(DP_SRC) $(MANIFEST_SRC) $(ADMIN_SRC))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
# The targets FUZZ_JOBS at a time (one core each), each one's output
# printed whole when it ends; the run fails after all of them if one found
# something.
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
fuzz: deps fuzz-build
	@rm -f $(FUZZ_B)/fuzz-*.failed; \
	for t in $(FUZZ_TARGETS); do echo $$t; done | \
	    xargs -P $(FUZZ_JOBS) -I{} sh -c ' \
		mkdir -p $(FUZZ_B)/corpus-{} $(FUZZ_B)/crash-{}; \
		nice ./$(FUZZ_B)/fuzz-{} -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_B)/crash-{}/ \
			$(FUZZ_B)/corpus-{} tests/fuzz/corpus-{} \
			> $(FUZZ_B)/fuzz-{}.log 2>&1 || : > $(FUZZ_B)/fuzz-{}.failed; \
		{ echo "== fuzz-{}: $(FUZZ_SECONDS) s"; cat $(FUZZ_B)/fuzz-{}.log; }'; \
	failed=$$(cd $(FUZZ_B) && ls fuzz-*.failed 2>/dev/null | sed 's/[.]failed$$//'); \
	[ -z "$$failed" ] || { echo "== fuzz: found something:" $$failed; exit 1; }
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
		$(call pc_libs,$(PKGS_CRYPTO) $(PKGS_DB) $(PKGS_JSON) $(PKGS_WIRE)) -lpthread -lm
-include $(shell find $(FUZZ_B) -name '*.d' 2>/dev/null)

# valgrind (issue #7): each suite in its own process (CK_FORK=no) under
# memcheck, in $(VG_B), with its wall time; VG_SUITES picks some
# (`make test-valgrind VG_SUITES="db rules"`). One process per suite: a
# failed check leaks what it held, and every process a later test forks
# exits under memcheck too, finds that leak and fails (--error-exitcode),
# so one failure would spread to other suites. Programs the tests start
# (ehttpctl, openssl, tmux, the console) are not traced there: ehttpctl
# runs under ASan+UBSan in `make test`, and beside a run of every suite
# scripts/valgrind-programs.sh runs ehttpctl, ehttp-mpd and the console
# themselves under memcheck.
VG_B      ?= build-vg
VALGRIND  ?= valgrind
# Not the build suite: it runs make, compilers and scripts (the first-run
# test rebuilds the whole tree), none of ehttp's code in its own process;
# nor the pg suite: a PostgreSQL server, psql, python3 and ehttp's
# programs (under ASan+UBSan in make test), with a ten-second outage;
# nor the hosts suite: the same on five network namespaces, with a
# thirty-second outage; nor enroll: its process runs the programs, the
# openssl and sqlite3 CLIs and nothing of ehttp's own; nor install (make,
# dpkg, lintian and systemd-analyze; the package's programs); nor, for the same
# reasons, the cases of other suites that run on a PostgreSQL server
# (db-pg, badinput-pg, sited-pg, agent-pg: tagged "pg", CK_EXCLUDE_TAGS);
# nor the cases that only drive programs (tui's e2e: tagged "drives").
VG_DEFAULT := $(filter-out build pg hosts enroll install,$(SUITES))
VG_SUITES ?= $(VG_DEFAULT)
# Suites at a time (scripts/run-suites.sh): one core each (memcheck keeps
# a core busy).
VG_JOBS   ?= $(shell nproc 2>/dev/null || echo 1)
VG_FLAGS  ?= --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
	--num-callers=30
.PHONY: test-valgrind
test-valgrind: deps
	@sh scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory B=$(VG_B) CFLAGS='-O1 -g' all $(VG_B)/check_all
	@echo "== tests under valgrind ($(VG_B)): $(VG_SUITES) =="
	@# The programs (the whole suite only) beside the suites: they wait for
	@# an agent and a terminal much of their time. Their output is shown
	@# once both are done.
	@rm -f $(VG_B)/vg-programs.failed; \
	if [ "$(VG_SUITES)" = "$(VG_DEFAULT)" ]; then \
		( t0=$$(date +%s); \
		VALGRIND="$(VALGRIND)" sh scripts/valgrind-programs.sh \
		    "$(abspath $(VG_B))" || : > $(VG_B)/vg-programs.failed; \
		echo "== valgrind programs: $$(($$(date +%s) - t0)) s" ) \
		    > $(VG_B)/vg-programs.log 2>&1 & \
	fi; \
	CK_FORK=no CK_EXCLUDE_TAGS="pg drives" JOBS=$(VG_JOBS) \
		RUN_WRAP="$(VALGRIND) $(VG_FLAGS)" \
		sh scripts/run-suites.sh $(VG_B) vg $(VG_SUITES); rc=$$?; \
	wait; \
	if [ "$(VG_SUITES)" = "$(VG_DEFAULT)" ]; then \
		cat $(VG_B)/vg-programs.log; \
		[ ! -e $(VG_B)/vg-programs.failed ] || \
		    { echo "== valgrind programs: FAILED"; rc=1; }; \
	fi; \
	exit $$rc
