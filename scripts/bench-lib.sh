# Shared by bench-dp.sh and bench-tls.sh (sourced: . bench-lib.sh): a
# private folder with a demo site, an ehttp-mpd and a reference server in
# it, gone at exit. Uses $bin (the build dir); sets dir, db and port.
# bench_begin NAME: dir (removed at exit, with the servers in $mpd and $srv
# killed), db in it, and a base port (port to port + 3 are used).
bench_begin() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-$1.XXXXXX")
	db=$dir/site.db
	trap bench_cleanup EXIT
	port=$(( 20000 + $$ % 20000 ))
}
bench_cleanup() {
	[ -n "${mpd:-}" ] && kill "$mpd" 2>/dev/null
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
# bench_site FQDN: the demo, P01 on Enhanced HTTP; FQDN's active
# certificate with its key in $dir/leaf.pem(.key), the root in
# $dir/root.pem.
bench_site() {
	"$bin/ehttpctl" --db "$db" init --demo >/dev/null
	"$bin/ehttpctl" --db "$db" site set P01 --enhanced-http on >/dev/null 2>&1
	_id=$("$bin/ehttpctl" --db "$db" cert list --system "$1" --active --json |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
	"$bin/ehttpctl" --db "$db" cert export "$_id" --out "$dir/leaf.pem" --with-key >/dev/null
	"$bin/ehttpctl" --db "$db" cert export 1 --out "$dir/root.pem" >/dev/null
}
# bench_mpd FQDN [OPTION...]: ehttp-mpd for FQDN on $port (HTTPS) and
# $port + 1 (HTTP) in the background, with the OPTIONs after its own, its
# pid in mpd.
bench_mpd() {
	_fqdn=$1
	shift
	"$bin/ehttp-mpd" --db "$db" --system "$_fqdn" --https "127.0.0.1:$port" \
	    --http "127.0.0.1:$((port + 1))" --log-dir "$dir/logs" --poll 60 --check 3600 \
	    --foreground "$@" >/dev/null 2>&1 &
	mpd=$!
}
# med FILE: the median of the numbers in FILE, one a line.
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
