#!/bin/sh
# A 1 GiB file from the distribution point (ehttp-mpd) and from a
# reference server with the same certificate and the same bytes (nginx if
# it is installed, else openssl s_server -WWW), same client (curl -o
# /dev/null), over TLS and over HTTP, interleaved, median MB/s of RUNS;
# the CPU time each server spent per GiB sent (user + system, all its
# threads: what other work on the machine does not change), and its
# resident high-water mark (VmHWM) afterwards. Prints bench.sh table rows.
# usage: bench-dp.sh BUILD_DIR RUNS
set -eu
bin=$1
runs=${2:-3}
mib=${DP_MIB:-1024}
fqdn=dp2.p01.contoso.com
pkg=P01000A3
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_begin dp
bench_site "$fqdn"
cat "$dir/leaf.pem" "$dir/root.pem" > "$dir/chain.pem"

# The bytes (random: nothing compresses or is sparse), in the DP's library
# and, the same file, under the reference server's root.
mkdir -p "$dir/src" "$dir/www/SMS_DP_SMSPKG\$/$pkg"
head -c "$((mib * 1048576))" /dev/urandom > "$dir/src/one.bin"
python3 "$(dirname "$0")/../tests/dplib.py" add "$dir/content/dp/$fqdn" "$pkg" 1 bench \
    "$dir/src" --link >/dev/null
ln "$dir/src/one.bin" "$dir/www/SMS_DP_SMSPKG\$/$pkg/one.bin"
cat "$dir/src/one.bin" > /dev/null	# in the page cache for both

bench_mpd "$fqdn"
if command -v nginx >/dev/null 2>&1; then
	ref="nginx $(nginx -v 2>&1 | sed 's,.*nginx/,,')"
	mkdir -p "$dir/nginx/logs"
	cat > "$dir/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $dir/nginx/logs/error.log;
pid $dir/nginx/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	server {
		listen 127.0.0.1:$((port + 2)) ssl;
		listen 127.0.0.1:$((port + 3));
		ssl_certificate $dir/chain.pem;
		ssl_certificate_key $dir/leaf.pem.key;
		root $dir/www;
	}
}
EOF
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" &
	srv=$!
	ref_http=$((port + 3))
else
	ref="openssl s_server -WWW"
	(cd "$dir/www" && exec openssl s_server -quiet -accept "$((port + 2))" \
	    -cert "$dir/leaf.pem" -key "$dir/leaf.pem.key" -cert_chain "$dir/root.pem" \
	    -WWW) >/dev/null 2>&1 &
	srv=$!
	ref_http=
fi
sleep 2
get() { # URL [curl options] -> MB/s (10^6 bytes a second)
	u=$1
	shift
	curl -sS -o /dev/null -w '%{speed_download} %{size_download}\n' "$@" "$u" |
	    awk -v want="$((mib * 1048576))" '$2 != want { print "short: " $2 > "/dev/stderr"; exit 1 }
	    { printf "%.0f\n", $1 / 1000000 }'
}
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# clock ticks
tls="--cacert $dir/root.pem --resolve $fqdn:$port:127.0.0.1 --resolve $fqdn:$((port + 2)):127.0.0.1"
path="SMS_DP_SMSPKG\$/$pkg/one.bin"
: > "$dir/ours"; : > "$dir/ref"; : > "$dir/ours_http"; : > "$dir/ref_http"
cpu_o=0; cpu_r=0
for r in $(seq "$runs"); do
	c=$(cpu "$mpd")
	# shellcheck disable=SC2086
	get "https://$fqdn:$port/$path" $tls >> "$dir/ours"
	cpu_o=$((cpu_o + $(cpu "$mpd") - c))
	c=$(cpu "$srv")
	# shellcheck disable=SC2086
	get "https://$fqdn:$((port + 2))/$path" $tls >> "$dir/ref"
	cpu_r=$((cpu_r + $(cpu "$srv") - c))
	get "http://127.0.0.1:$((port + 1))/$path" >> "$dir/ours_http"
	[ -n "$ref_http" ] && get "http://127.0.0.1:$ref_http/$path" >> "$dir/ref_http"
done
hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
per_gib() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$runs" -v m="$mib" \
    'BEGIN { printf "%.2f", t / hz / n / (m / 1024) }'; }
o=$(med "$dir/ours"); r=$(med "$dir/ref")
printf '%s MiB over TLS from the DP (curl -o /dev/null)|%s MB/s, %s CPU s/GiB, VmHWM %s|%s MB/s, %s CPU s/GiB (%s, same certificate), VmHWM %s|%s|>= 0.8\n' \
    "$mib" "$o" "$(per_gib "$cpu_o")" "$(hwm "$mpd")" "$r" "$(per_gib "$cpu_r")" "$ref" \
    "$(hwm "$srv")" "$(ratio "$o" "$r")"
o=$(med "$dir/ours_http")
if [ -n "$ref_http" ]; then
	r=$(med "$dir/ref_http")
	printf '%s MiB over HTTP from the DP (sendfile)|%s MB/s|%s MB/s (%s)|%s|stated\n' \
	    "$mib" "$o" "$r" "$ref" "$(ratio "$o" "$r")"
else
	printf '%s MiB over HTTP from the DP (sendfile)|%s MB/s|-|-|stated\n' "$mib" "$o"
fi
