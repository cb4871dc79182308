#!/bin/sh
# TLS handshakes per second against ehttp-mpd and against openssl s_server
# with the same certificate and chain, same client (openssl s_time -new),
# interleaved, median of RUNS. Prints one bench.sh table row.
# usage: bench-tls.sh BUILD_DIR RUNS
set -eu
bin=$1
runs=${2:-3}
secs=${TLS_SECONDS:-5}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_begin tls
bench_site p01.contoso.com
bench_mpd p01.contoso.com
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
ours=$(med "$dir/ours")
ref=$(med "$dir/ref")
printf 'TLS handshakes/s against ehttp-mpd (RSA 2048, s_time -new)|%s/s|%s/s (openssl s_server, same certificate)|%s|>= 0.8\n' \
    "$ours" "$ref" "$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
