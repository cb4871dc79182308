#!/bin/sh
# Header fences: for each system library that belongs to one room of the
# house, a directory of stand-in headers with the library's header names,
# each an #error naming the room the library belongs to. The Makefile puts
# the fences of the libraries a room may not use first on that room's
# include path, so `#include <sqlite3.h>` outside db/ stops the build.
# usage: fences.sh OUT_DIR
set -eu
out=$1
tmp="$out.tmp"
rm -rf "$tmp"
arch=$(${CC:-cc} -print-multiarch 2>/dev/null || true)
incs="/usr/include${arch:+ /usr/include/$arch}"

# fence KIND OWNER NAME...: stand-ins for NAME (relative to an include dir)
fence() {
	kind=$1 owner=$2
	shift 2
	for h in "$@"; do
		mkdir -p "$(dirname "$tmp/$kind/$h")"
		printf '#error "<%s> belongs to %s; this room may not use it (README: Rooms)"\n' \
		    "$h" "$owner" >"$tmp/$kind/$h"
	done
}
# system_headers SUBDIR: the headers installed under SUBDIR/, as SUBDIR/x.h
system_headers() {
	for d in $incs; do
		[ -d "$d/$1" ] || continue
		(cd "$d" && find "$1" -name '*.h')
	done | sort -u
}

fence sqlite "db/sqlite/ (the SQLite engine)" sqlite3.h sqlite3ext.h
fence pg "db/pg/ (the PostgreSQL engine)" libpq-fe.h libpq-events.h \
    postgres_ext.h
fence openssl "backend/ca/ (certificates) and backend/tls/ (TLS)" \
    $(system_headers openssl)
fence event "backend/agent/ and backend/tls/" event.h evdns.h evhttp.h evrpc.h evutil.h \
    $(system_headers event2)
fence curses "tui/" curses.h ncurses.h term.h unctrl.h ncurses_dll.h \
    $(system_headers ncursesw) $(system_headers ncurses)
fence json "backend/ctl/ (ehttpctl's JSON, backend/ctl/cli-json.c), backend/wire/ (token headers), backend/mp/ (token claims), backend/admin/ (the administration service), backend/client/ and backend/manifest/ (content manifests)" \
    jansson.h jansson_config.h
# zlib and expat: the client <-> management point messages, nowhere else.
fence wire "backend/wire/ (the client <-> MP messages)" \
    zlib.h zconf.h expat.h expat_external.h expat_config.h
fence check "tests/" check.h

rm -rf "$out"
mv "$tmp" "$out"
