#!/bin/sh
# The PostgreSQL schema and statements against SQLite's, on a throwaway
# server: tests/pg-schema-compare.py and tests/pg-dialect.py (see each).
# usage: pg-check.sh      (exits 0 when both pass; the server is stopped
#                         and its directory removed in every case)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-pg.XXXXXX")
# As root the server runs as an unprivileged user, which must reach it.
chmod 711 "$tmp"
# shellcheck disable=SC2317 # (run by the trap)
cleanup() {
	"$here/pgserver.sh" stop "$tmp/pg" >/dev/null 2>&1 || :
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
url=$("$here/pgserver.sh" start "$tmp/pg")
rc=0
python3 "$here/pg-schema-compare.py" "$url" || rc=1
python3 "$here/pg-dialect.py" "$url" || rc=1
exit $rc
