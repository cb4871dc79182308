#!/bin/sh
# The site database on PostgreSQL, next to references measured in the same
# run: a throwaway server (tests/pgserver.sh) in a private folder.
#  - cert list, first page over PG_CERTS certificates: ehttpctl against
#    psql running the same query (alternating runs, medians);
#  - enable enhanced HTTP for PG_SYSTEMS HTTP site systems: on PostgreSQL
#    against the same on a SQLite file;
#  - the console's first screen on the PostgreSQL one against the demo's
#    on the same server (the SQLite figure stated);
#  - one agent's poll: CPU time of the agent and of its server process per
#    poll, over PG_POLL_SECONDS of polling every second, and the same on
#    SQLite (stated).
# Prints bench.sh table rows. usage: bench-pg.sh BUILD_DIR RUNS
set -eu
bin=$1
runs=${2:-3}
certs=${PG_CERTS:-100000}
systems=${PG_SYSTEMS:-2000}
poll_s=${PG_POLL_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$here/bench-lib.sh"
bench_begin pg
chmod 711 "$dir"
pgsrv() { sh "$here/../tests/pgserver.sh" "$@"; }
cleanup_pg() { pgsrv stop "$dir/srv" >/dev/null 2>&1 || :; bench_cleanup; }
trap cleanup_pg EXIT
super=$(pgsrv start "$dir/srv" | tail -1)
# url NAME: a new database NAME on the server.
url() {
	psql -qAt "$super" -c "CREATE DATABASE $1" >/dev/null
	echo "$super" | sed "s,/postgres\$,/$1,"
}
now_us() { echo $(( $(date +%s%N) / 1000 )); }
time_us() { _t=$(now_us); "$@" >"$dir/out" 2>&1; echo $(( $(now_us) - _t )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
us() { awk -v v="$1" 'BEGIN { printf "%\047.0f µs", v }'; }
row() { printf '%s|%s|%s|%s|%s\n' "$@"; printf 'bench: %s: %s vs %s (ratio %s, goal %s)\n' "$@" >&2; }
export EHTTP_MASTER_KEY="$dir/master-key"
export XDG_DATA_HOME="$dir/xdg"

# 1. The first page of the certificate list.
inv=$(url inv)
"$bin/ehttpctl" --db "$inv" init >/dev/null
"$bin/ehttpctl" --db "$inv" site add P01 --name Inv --type primary >/dev/null
psql -qAt "$inv" -c "INSERT INTO cert (type, state, site_id, serial,
    issued_to, issued_by, subject, not_before, not_after, thumbprint, key_alg,
    created) SELECT 'role', 'active', 1, md5(random()::text),
    'h' || i || '.p01.example.com', 'SMS Issuing', 'CN=h' || i, 1700000000,
    1700000000 + (random() * 400000000)::bigint,
    upper(substr(md5(random()::text) || md5(random()::text), 1, 40)),
    'rsa2048', 1700000000 FROM generate_series(1, $certs) i; ANALYZE" >/dev/null
sql="SELECT c.id, c.type, c.issued_to, c.issued_by, c.not_before, c.not_after, c.blocked, s.code, c.thumbprint FROM cert c JOIN site s ON s.id = c.site_id WHERE c.state != 'pending' ORDER BY c.not_after, c.id LIMIT 50"
: > "$dir/l.o"; : > "$dir/l.r"
for r in $(seq $((runs * 5))); do
	time_us "$bin/ehttpctl" --db "$inv" cert list --limit 50 --no-pager >> "$dir/l.o"
	time_us psql -qAt "$inv" -c "$sql" >> "$dir/l.r"
done
o=$(med "$dir/l.o"); r=$(med "$dir/l.r")
row "PostgreSQL: cert list, first page of $certs sorted by expiration" "$(us "$o")" \
    "$(us "$r") (psql, same query)" "$(ratio "$o" "$r")" "<= 2"

# 2. Enhanced HTTP for many systems, PostgreSQL against SQLite.
# bulk TARGET: the site P05 with $systems HTTP management points.
bulk() {
	"$bin/ehttpctl" --db "$1" init >/dev/null
	"$bin/ehttpctl" --db "$1" site add P05 --name Bulk --type primary >/dev/null
	i=1
	while [ "$i" -le "$systems" ]; do
		echo "INSERT INTO site_system (fqdn, site_id, created) SELECT 'h$i.p05.example.com', id, 0 FROM site WHERE code = 'P05';"
		echo "INSERT INTO role (system_id, role, connection) SELECT id, 'mp', 'http' FROM site_system WHERE fqdn = 'h$i.p05.example.com';"
		i=$((i + 1))
	done > "$dir/bulk.sql"
}
: > "$dir/e.pg"; : > "$dir/e.lite"
for r in $(seq "$runs"); do
	pgdb=$(url "bulk$r")
	bulk "$pgdb"
	psql -qAt "$pgdb" -f "$dir/bulk.sql" >/dev/null
	lite=$dir/bulk$r.db
	EHTTP_MASTER_KEY="$lite.master-key" bulk "$lite"
	sqlite3 "$lite" < "$dir/bulk.sql"
	time_us "$bin/ehttpctl" --db "$pgdb" site set P05 --enhanced-http on >> "$dir/e.pg"
	EHTTP_MASTER_KEY="$lite.master-key" time_us "$bin/ehttpctl" --db "$lite" site set P05 --enhanced-http on >> "$dir/e.lite"
	n=$(psql -qAt "$pgdb" -c "SELECT count(*) FROM cert WHERE type = 'role' AND state = 'active'")
	[ "$n" = "$systems" ] || { echo "bench-pg: $n role certificates on PostgreSQL, not $systems" >&2; exit 1; }
done
p=$(med "$dir/e.pg"); l=$(med "$dir/e.lite")
row "PostgreSQL: enable eHTTP, $systems HTTP site systems" "$((p / 1000)) ms" \
    "$((l / 1000)) ms (the same on a SQLite file)" "$(ratio "$p" "$l")" "<= 1.1"

# 3. The console's first screen (the Overview, which lists every system
# that cannot be reached securely) on the last of those databases, against
# the demo's on the same server: the fixed cost (libpq, the login) is in
# both, and the systems are read with a few queries, not a few per system
# (each a round trip: 2,000 systems took 50 times the demo's before).
demo=$(url demo)
"$bin/ehttpctl" --db "$demo" init --demo >/dev/null
"$bin/ehttpctl" --db "$demo" site set P01 --enhanced-http on >/dev/null 2>&1
cp=$(python3 "$here/bench-console.py" "$bin" "$pgdb" "$runs")
cd=$(python3 "$here/bench-console.py" "$bin" "$demo" "$runs")
cl=$(python3 "$here/bench-console.py" "$bin" "$lite" "$runs")
row "PostgreSQL: console first screen, $systems site systems" "$cp ms" \
    "$cd ms (the demo's 10, same server; $cl ms on a SQLite file)" \
    "$(ratio "$cp" "$cd")" "<= 4"

# 4. One agent's poll: its CPU and its server's per poll.
# ticks PID: user + system clock ticks of a process so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# poll_cost TARGET: "agent_us server_us" per poll; server_us "-" on SQLite.
poll_cost() {
	"$bin/ehttpctl" --db "$1" init --demo >/dev/null
	"$bin/ehttpctl" --db "$1" site set P01 --enhanced-http on >/dev/null 2>&1
	rm -rf "$dir/pl"
	"$bin/ehttp-mpd" --db "$1" --system p01.contoso.com --https "127.0.0.1:$port" \
	    --http "127.0.0.1:$((port + 1))" --log-dir "$dir/pl" --pid-file "$dir/pl.pid" \
	    --poll 1 --check 3600 --foreground >/dev/null 2>&1 &
	mpd=$!
	sleep 2
	be=
	case $1 in postgres*)
		be=$(psql -qAt "$super" -c "SELECT pid FROM pg_stat_activity WHERE datname = '${1##*/}' AND pid <> pg_backend_pid() LIMIT 1") ;;
	esac
	a0=$(ticks "$mpd"); s0=0; [ -n "$be" ] && s0=$(ticks "$be")
	sleep "$poll_s"
	a1=$(ticks "$mpd"); s1=0; [ -n "$be" ] && s1=$(ticks "$be")
	kill "$mpd"; wait "$mpd" 2>/dev/null || :; mpd=
	awk -v a=$((a1 - a0)) -v s=$((s1 - s0)) -v hz="$hz" -v n="$poll_s" -v be="$be" \
	    'BEGIN { printf "%.0f %s\n", a * 1e6 / hz / n, be == "" ? "-" : sprintf("%.0f", s * 1e6 / hz / n) }'
}
set -- $(poll_cost "$(url poll)")
set -- "$1" "$2" $(EHTTP_MASTER_KEY="$dir/poll.db.master-key" poll_cost "$dir/poll.db")
row "PostgreSQL: one agent polling every second (CPU per poll, over $poll_s s)" \
    "agent $(us "$1"), server $(us "$2")" "agent $(us "$3") on a SQLite file" \
    "$(ratio "$(( $1 + $2 ))" "$3")" "stated"
