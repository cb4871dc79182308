#!/bin/sh
# One agent (ehttp-mpd, the MP role of p01.contoso.com, RSA 2048) under
# ehttp-client load on this machine, both sharing its cores:
#   1. a registration storm: CLIENTS new clients (a bulk registration
#      token approves them) spread over 60 s;
#   2. each gets its CCM token, spread over 60 s;
#   3. each polls /ccm_system_tokenauth/request once, spread over 60 s:
#      one poll an hour compressed 60 times;
# and what the agent holds per client (resident memory before the storm
# and after the polls; the database's size). Prints bench.sh table rows.
# The clients' keys are made once and kept in CACHE (the first run makes
# them: minutes, with progress).
# usage: bench-load.sh BUILD_DIR   (env: CLIENTS=25000 LOAD_SECONDS=60
#                                   CACHE=~/.cache/ehttp-bench
#                                   AGENT_WORKERS=N: the agent's --workers,
#                                   default one a CPU; AGENT_ARGS: more
#                                   options, e.g. "--poll 3600")
set -eu
bin=$1
n=${CLIENTS:-25000}
secs=${LOAD_SECONDS:-60}
cache=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ehttp-bench}/load-identities
dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-load.XXXXXX")
db=$dir/site.db
cleanup() {
	[ -n "${mpd:-}" ] && kill "$mpd" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$cache"
port=$(( 20000 + ($$ + 7) % 20000 ))
"$bin/ehttpctl" --db "$db" init --demo >/dev/null
"$bin/ehttpctl" --db "$db" site set P01 --enhanced-http on >/dev/null 2>&1
"$bin/ehttpctl" --db "$db" cert list --type root --site P01 --active --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])' > "$dir/rootid"
"$bin/ehttpctl" --db "$db" cert export "$(cat "$dir/rootid")" --out "$dir/root.pem" >/dev/null
"$bin/ehttpctl" --db "$db" token new --site P01 --lifetime 600 --out "$dir/bulk.jwt" >/dev/null 2>&1
"$bin/ehttp-mpd" --db "$db" --system p01.contoso.com --https "127.0.0.1:$port" \
    --http "127.0.0.1:$((port + 1))" --log-dir "$dir/logs" \
    ${AGENT_WORKERS:+--workers "$AGENT_WORKERS"} ${AGENT_ARGS:-} --foreground >/dev/null 2>&1 &
mpd=$!
for i in $(seq 50); do
	grep -q "MP Control Manager started" "$dir/logs/mpcontrol.log" 2>/dev/null && break
	sleep 0.2
done
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$mpd/status"; }
load() { # until: one run, its JSON in $dir/$1.json
	"$bin/ehttp-client" load --clients "$n" --duration "$secs" \
	    --poll-interval "$secs" --until "$1" --workers 32 --timeout 30 \
	    --bulk-token "$dir/bulk.jwt" --mp "p01.contoso.com:$port" \
	    --connect 127.0.0.1 --root "$dir/root.pem" --state "$dir/load" \
	    --identities "$cache" --json > "$dir/$1.json" 2> "$dir/$1.err" || true
	[ -s "$dir/$1.json" ] || { cat "$dir/$1.err" >&2; exit 1; }
}
# The identities first (made once, kept), so that the storm is only the storm.
"$bin/ehttp-client" load --clients "$n" --duration 1 --until keys \
    --mp p01.contoso.com --root "$dir/root.pem" --state "$dir/load" \
    --identities "$cache" >/dev/null
rss0=$(rss)
load register
load token
load poll
rss1=$(rss)
dbkb=$(du -k "$db" | awk '{ print $1 }')
# row KIND WHAT GOAL: the figures of one kind of request from its run.
row() {
	python3 - "$dir/$1.json" "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["requests"][sys.argv[2]]
late = d["behind_schedule"]
print("%s|%d in %.0f s: p50 %.1f ms, p99 %.1f ms, max %.0f ms, %d errors|"
      "load generator behind schedule: p99 %.0f ms|-|%s"
      % (sys.argv[3], r["count"], d["elapsed_s"], r["p50_ms"], r["p99_ms"],
         r["max_ms"], r["errors"] + d["skipped_busy"], late["p99_ms"], sys.argv[4]))
EOF
}
row register "registration storm: $n new clients (bulk token) over ${secs} s, one agent" "0 errors"
row token "CCM tokens for $n clients over ${secs} s" "0 errors"
row poll "$n clients polling once an hour, compressed $((3600 / secs))x (${secs} s)" "p99 < 50 ms, 0 errors"
awk -v a="$rss0" -v b="$rss1" -v n="$n" -v d="$dbkb" 'BEGIN {
	printf "memory per client on the agent (%d clients)|%.0f bytes resident (%.1f -> %.1f MB)|%.0f bytes of database per client|-|stated\n",
	    n, (b - a) * 1024 / n, a / 1024, b / 1024, d * 1024 / n }'
