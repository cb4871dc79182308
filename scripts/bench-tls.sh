#!/bin/sh
# TLS handshakes per second against ehttp-mpd and against openssl s_server
# with the same certificate and chain, same client (openssl s_time -new),
# interleaved, median of RUNS. Prints one bench.sh table row.
# usage: bench-tls.sh BUILD_DIR RUNS
set -eu
bin=$1
runs=${2:-3}
secs=${TLS_SECONDS:-5}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-tls.XXXXXX")
db=$dir/site.db
cleanup() {
	[ -n "${mpd:-}" ] && kill "$mpd" 2>/dev/null
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
port=$(( 20000 + $$ % 20000 ))
"$bin/ehttpctl" --db "$db" init --demo >/dev/null
"$bin/ehttpctl" --db "$db" site set P01 --enhanced-http on >/dev/null 2>&1
id=$("$bin/ehttpctl" --db "$db" cert list --system p01.contoso.com --active --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
"$bin/ehttpctl" --db "$db" cert export "$id" --out "$dir/leaf.pem" --with-key >/dev/null
"$bin/ehttpctl" --db "$db" cert export 1 --out "$dir/root.pem" >/dev/null
"$bin/ehttp-mpd" --db "$db" --system p01.contoso.com --https "127.0.0.1:$port" \
    --http "127.0.0.1:$((port + 1))" --log-dir "$dir/logs" --poll 60 --check 3600 \
    --foreground >/dev/null 2>&1 &
mpd=$!
openssl s_server -quiet -accept "$((port + 2))" -cert "$dir/leaf.pem" \
    -key "$dir/leaf.pem.key" -cert_chain "$dir/root.pem" -www >/dev/null 2>&1 &
srv=$!
sleep 2
hs() { # port -> handshakes per second
	openssl s_time -connect "127.0.0.1:$1" -new -time "$secs" 2>/dev/null |
	    awk '/connections in/ { for (i = 1; i <= NF; i++) if ($i == "connections") { print $(i-1) / '"$secs"'; exit } }'
}
: > "$dir/ours"; : > "$dir/ref"
for r in $(seq "$runs"); do
	hs "$port" >> "$dir/ours"
	hs "$((port + 2))" >> "$dir/ref"
done
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(med "$dir/ours")
ref=$(med "$dir/ref")
printf 'TLS handshakes/s against ehttp-mpd (RSA 2048, s_time -new)|%s/s|%s/s (openssl s_server, same certificate)|%s|>= 0.8\n' \
    "$ours" "$ref" "$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
