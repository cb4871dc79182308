#!/bin/sh
# Install what ehttp needs to build and test, only when something is missing.
# pkg-config modules and tools are checked first; apt-get runs (as root, or
# through sudo) only when one is absent. Debian 12 package names.
# usage: deps.sh [build] [valgrind] [fuzz] [systemd] [bench]   -- build:
# only what building needs (make, make all, make install: the compiler and
# the libraries), not the tests' tools; the others: also what make
# test-valgrind, make fuzz, make test-systemd or make bench needs
# (valgrind; clang with its libFuzzer runtime; debootstrap and
# systemd-nspawn; nginx and ApacheBench, which scripts/bench.sh asks for).
set -eu
build_only=0
[ "${1:-}" = build ] && { build_only=1; shift; }

missing=""
need_pc() { # module package (all missing while pkg-config itself is)
	command -v pkg-config >/dev/null 2>&1 &&
	    pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_cmd() { # command package
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}

need_cmd pkg-config pkg-config
need_cmd cc gcc
need_cmd make make
# gcc only recommends the C library's headers, and recommends are not
# installed below.
[ -e "${DEPS_INCLUDE:-/usr/include}/stdio.h" ] || missing="$missing libc6-dev"
need_pc sqlite3 libsqlite3-dev
need_pc libcrypto libssl-dev
need_pc libssl libssl-dev
need_pc ncursesw libncurses-dev
need_pc check check
need_pc libevent libevent-dev
need_pc libevent_openssl libevent-dev
need_pc jansson libjansson-dev
need_pc zlib zlib1g-dev          # backend/wire/: compressed message bodies
need_pc expat libexpat1-dev       # backend/wire/: the messages' XML
need_pc libpq libpq-dev           # db/pg/: the PostgreSQL engine
if [ $build_only = 0 ]; then
need_cmd openssl openssl       # independent verifier in the tests
need_cmd certtool gnutls-bin   # second independent verifier
need_cmd sqlite3 sqlite3       # migration fixtures and the benchmark reference
need_cmd tmux tmux             # end-to-end console tests
need_cmd curl curl             # independent TLS client in the agent tests
need_cmd ip iproute2           # network namespaces: the hosts suite
need_cmd python3 python3       # independent JSON parser in the CLI tests
# python3's own X.509 parser, a verifier in the CA tests (Debian's module
# when python3 is Debian's).
python3 -c 'import cryptography' >/dev/null 2>&1 ||
    missing="$missing python3-cryptography"
# python3's own JWT implementation, a verifier in the wire tests (asked of
# Debian's python3, the one the tests run, when it is there).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
$py -c 'import jwt' >/dev/null 2>&1 || missing="$missing python3-jwt"
need_cmd faketime faketime     # an expired PKI certificate in the agent tests
# The install suite: manual pages linted and shown, the units checked by
# systemd, the Debian package built, linted and installed.
need_cmd mandoc mandoc
need_cmd man man-db
need_cmd systemd-analyze systemd
need_cmd dpkg-buildpackage dpkg-dev
# dpkg-buildpackage refuses to build without it (dpkg-dev only recommends it,
# and recommends are not installed below).
dpkg-query -W -f '${Status}' build-essential 2>/dev/null | grep -q 'ok installed' ||
    missing="$missing build-essential"
need_cmd dh debhelper
need_cmd lintian lintian
# The PostgreSQL server and psql, for the tests' throwaway clusters
# (tests/pgserver.sh). Debian keeps the server's programs off PATH, in
# /usr/lib/postgresql/VERSION/bin.
need_pg() {
	for d in "${DEPS_PGLIB:-/usr/lib/postgresql}"/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/psql" ] && return 0
	done
	command -v initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 &&
	    command -v pg_ctl >/dev/null 2>&1 && return 0
	missing="$missing postgresql"
}
need_pg
fi
for extra in "$@"; do
	case $extra in
	valgrind) need_cmd valgrind valgrind ;;
	systemd)	# make test-systemd: a Debian root booted in a container
		need_cmd debootstrap debootstrap
		need_cmd systemd-nspawn systemd-container ;;
	fuzz)
		cc=${FUZZ_CC:-clang}
		need_cmd "$cc" clang
		# libFuzzer and the sanitizer runtimes are not in clang itself.
		if ! command -v "$cc" >/dev/null 2>&1 ||
		    ! printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' |
		    "$cc" -fsanitize=fuzzer,address,undefined -x c - \
		    -o /dev/null >/dev/null 2>&1; then
			missing="$missing libclang-rt-dev"
		fi ;;
	bench)	# make bench: the reference server and a load generator
		# (nginx only when bench.sh asks: installed by the test tools it
		# would be a web server started on port 80 on some machines)
		need_cmd nginx nginx
		need_cmd ab apache2-utils ;;
	*) echo "deps.sh: unknown extra '$extra' (valgrind, fuzz, systemd, bench)" >&2; exit 2 ;;
	esac
done

[ -z "$missing" ] && exit 0

# shellcheck disable=SC2086
pkgs=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
echo "ehttp: installing missing packages: $pkgs"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "ehttp: need root to install: $pkgs (run as root or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; update only when needed.
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $pkgs; then
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $pkgs
fi
