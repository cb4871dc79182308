#!/bin/sh
# A throwaway PostgreSQL server for the tests.
#
#   pgserver.sh start DIR   a new cluster in DIR (or the one already there,
#                           on its old port when that is free), started;
#                           prints its superuser's connection string
#                           (postgresql://...), also written to DIR/url
#   pgserver.sh stop DIR    fast shutdown; nothing of it keeps running
#                           (one that was killed is started and stopped, so
#                           it leaves no shared memory behind)
#   pgserver.sh kill DIR    a crash: SIGKILL to the server and every process
#                           of it, no shutdown (its clients are cut off);
#                           start DIR brings it back on the same port
#   pgserver.sh url DIR     the connection string again
#   pgserver.sh bin         the directory of the server's programs (initdb,
#                           pg_dump...); fails saying "is not installed"
#                           when there is none
#
# The cluster: DIR/data, UTF8 with the C locale (no locale surprises), a free
# loopback TCP port with scram-sha-256 for the superuser "postgres" (a
# random password, DIR/pw), the unix socket in DIR (mode 0700, trust),
# fsync off (a test database need not survive a power cut; a commit still
# reaches the kernel before it is acknowledged, so one survives the server
# killed with SIGKILL, which the tests do); its log is
# DIR/log. $PGSERVER_LISTEN (default 127.0.0.1) is the one address it
# listens on instead of loopback, e.g. a network namespace's own: then the
# hosts of that address's networks may log in too (pg_hba.conf: samenet,
# scram-sha-256), and the URL names that address; give the same one to
# every command on DIR. PostgreSQL refuses to run as root: as root, the
# cluster belongs to $PGSERVER_USER (default nobody) and the server runs as
# that user, so it must be able to reach DIR (every parent searchable by
# it).
# The programs: $PG_BINDIR, else the newest $PG_LIBDIR/*/bin (default
# /usr/lib/postgresql: Debian keeps them there, off PATH), else PATH.
set -eu

me=pgserver.sh
die() { echo "$me: $*" >&2; exit 1; }
usage() { echo "usage: $me start|stop|kill|url DIR | bin" >&2; exit 2; }

bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || die "no initdb in PG_BINDIR=$PG_BINDIR"
		echo "$PG_BINDIR"
		return
	fi
	best="" bestv=0
	for d in "${PG_LIBDIR:-/usr/lib/postgresql}"/*/bin; do
		{ [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; } || continue
		v=${d%/bin}
		v=${v##*/}
		case $v in *[!0-9]*|'') continue ;; esac
		[ "$v" -gt "$bestv" ] && best=$d bestv=$v
	done
	if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 &&
	    command -v pg_ctl >/dev/null 2>&1; then
		best=$(dirname "$(command -v initdb)")
	fi
	[ -n "$best" ] || die "PostgreSQL is not installed (no initdb and pg_ctl" \
	    "in ${PG_LIBDIR:-/usr/lib/postgresql}/*/bin or on PATH): install the postgresql" \
	    "package (scripts/deps.sh does)"
	echo "$best"
}

# Run a command as the cluster's owner: ourselves, or as root the
# unprivileged user.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$owner" --regid="$group" --clear-groups \
		    --reset-env -- "$@"
	else
		"$@"
	fi
}

# A TCP port of the listen address nothing listens on now (the server may
# still lose it to someone else before it binds: start() tries again then).
free_port() {
	python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$listen"
}

create() {
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$owner:$group" "$dir"
		as_owner test -w "$dir" -a -x "$dir" ||
		    die "$owner cannot reach $dir (PostgreSQL refuses to run as" \
		    "root and runs as $owner): make its parents searchable" \
		    "(chmod o+x) or set PGSERVER_USER"
	fi
	chmod 700 "$dir"
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/pw"
	[ -s "$dir/pw" ] || die "no password from /dev/urandom"
	[ "$(id -u)" -eq 0 ] && chown "$owner:$group" "$dir/pw"
	as_owner "$bin/initdb" -D "$dir/data" -E UTF8 --locale=C -U postgres \
	    --pwfile="$dir/pw" --auth-local=trust --auth-host=scram-sha-256 \
	    --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed in $dir/data (its output above)"
	}
	# shellcheck disable=SC2016
	as_owner sh -c 'cat >>"$1"' sh "$dir/data/postgresql.conf" <<EOF

# tests/pgserver.sh: a throwaway cluster for the tests
listen_addresses = '$listen'
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
password_encryption = scram-sha-256
fsync = off
full_page_writes = off
EOF
	[ "$listen" = 127.0.0.1 ] && return
	# shellcheck disable=SC2016
	as_owner sh -c 'cat >>"$1"' sh "$dir/data/pg_hba.conf" <<EOF

# tests/pgserver.sh: PGSERVER_LISTEN=$listen, its networks' hosts
host    all             all             samenet                 scram-sha-256
EOF
}

start() {
	case $dir in *\'*|*\\*) die "DIR must not hold a quote or backslash" ;; esac
	# The socket's path must fit a sockaddr_un (107 bytes).
	[ "${#dir}" -le 90 ] || die "DIR is too long for a unix socket: $dir"
	[ -f "$dir/data/PG_VERSION" ] || create
	if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		url
		return
	fi
	# Started again: on its old port, so its clients find it (an outage
	# ends); a fresh one, or one whose port was taken: a free port.
	old=""
	[ -s "$dir/url" ] &&
	    old=$(sed -n 's,.*@[^@/]*:\([0-9]*\)/[^/]*$,\1,p' "$dir/url")
	tries=0
	while :; do
		if [ -n "$old" ] && [ "$tries" = 0 ]; then
			port=$old
		else
			port=$(free_port)
		fi
		if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
		    -o "-p $port" start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		# Someone else took the port between free_port and the bind.
		if [ "$tries" -lt 5 ] &&
		    tail -n 5 "$dir/log" | grep -q 'could not bind\|could not create any TCP'; then
			continue
		fi
		tail -n 20 "$dir/log" >&2
		die "the server in $dir/data did not start (log above: $dir/log)"
	done
	echo "postgresql://postgres:$(cat "$dir/pw")@$listen:$port/postgres" \
	    >"$dir/url.tmp"
	mv "$dir/url.tmp" "$dir/url"
	# pg_ctl -w saw it ready; and it answers on the URL's address.
	"$bin/pg_isready" -q -h "$listen" -p "$port" -t 30 ||
	    die "the server in $dir/data does not answer on $listen:$port"
	cat "$dir/url"
}

stop() {
	[ -f "$dir/data/PG_VERSION" ] || die "no cluster in $dir"
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		# Killed: its shared memory is still there until a server
		# of the cluster starts (and removes it) and shuts down.
		[ -f "$dir/data/postmaster.pid" ] || return 0
		start >/dev/null
	fi
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop \
	    >/dev/null 2>&1 || die "the server in $dir/data did not stop"
}

# The postmaster's pid (DIR/data/postmaster.pid's first line) in pm, when
# it runs.
postmaster() {
	[ -f "$dir/data/postmaster.pid" ] || return 1
	pm=$(sed -n 1p "$dir/data/postmaster.pid")
	case $pm in ''|*[!0-9]*) return 1 ;; esac
	kill -0 "$pm" 2>/dev/null
}

kill9() {
	[ -f "$dir/data/PG_VERSION" ] || die "no cluster in $dir"
	postmaster || die "no server runs in $dir/data"
	# Its children with it, so none of them outlives it.
	kids=$(ps -o pid= --ppid "$pm" | tr -d ' ' | tr '\n' ' ')
	# shellcheck disable=SC2086 # (the pids, one word each)
	kill -9 $kids "$pm" 2>/dev/null || :
	# Gone, not only dead: a zombie's pid in postmaster.pid would pass
	# for a running server (pg_ctl status, the next postmaster).
	n=0
	for p in $kids $pm; do
		while kill -0 "$p" 2>/dev/null; do
			n=$((n + 1))
			[ "$n" -lt 600 ] ||
			    die "pid $p of the server outlived SIGKILL"
			sleep 0.05
		done
	done
}

url() {
	[ -s "$dir/url" ] || die "no server was started in $dir"
	cat "$dir/url"
}

if [ $# -eq 1 ] && [ "$1" = bin ]; then
	bindir
	exit
fi
[ $# -eq 2 ] || usage
umask 077	# DIR/pw and DIR/url hold the password
cmd=$1
dir=$2
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
dir=${dir%/}
owner=${PGSERVER_USER:-nobody}
listen=${PGSERVER_LISTEN:-127.0.0.1}
case $listen in
*[!0-9.]*|'') die "PGSERVER_LISTEN must be an IPv4 address" ;;
esac
group=$(id -g "$owner" 2>/dev/null) || die "no user $owner (PGSERVER_USER)"
case $cmd in
start) bin=$(bindir); start ;;
stop) bin=$(bindir); stop ;;
kill) kill9 ;;
url) url ;;
*) usage ;;
esac
