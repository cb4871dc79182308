#!/bin/sh
# CLIENTS (4,000: a distribution point's sizing, the concurrent clients it
# serves) clients downloading one package (2 files, 1 MiB in all) from one
# DP agent over TLS at once, with ehttp-client load --download: each its
# own key, a location request and a content access token from the MP
# agent, the DP's PROPFIND listing, a GET of each file (a connection per
# request), the SHA-256 of each checked as it streams, nothing written.
# Measured: clients verified, failures, aggregate MB/s (10^6 bytes a
# second, from the first download's start to the last one's end), p50/p99
# of a whole download, concurrency reached; the DP agent's CPU seconds
# per GiB sent, its VmHWM and the most fds it held (sampled every 0.2 s).
#
# Reference, same run: nginx (worker_processes as the agent's workers,
# the DP's certificate and chain, the same bytes) to the same number of
# concurrent TLS clients: curl --parallel processes (curl holds at most
# 300 transfers each), one connection per GET (Connection: close, as the
# client here), output to /dev/null. Its clients do far less than ehttp's
# (no key, no signature per request, no token, no location, no listing,
# no SHA-256), and both share the machine's cores with their clients: so
# the server's own CPU seconds per GiB sent is the comparison that holds,
# MB/s and times are stated for each as measured. Prints bench.sh rows.
#
# The clients' keys are made once and kept in CACHE (the load section's):
# the first run makes them (minutes, with progress). The agents need an fd
# per connection: --max-connections is raised to 2 * CLIENTS, and this
# shell's soft fd limit to its hard one (said on stderr). 4,000 clients on
# two cores wait long for a CPU: both servers' timeouts for a handshake
# and a request's headers are 300 s (the agent's are 10 s by default).
# usage: bench-content.sh BUILD_DIR   (env: CLIENTS=4000
#                                      CACHE=~/.cache/ehttp-bench)
set -eu
bin=$1
n=${CLIENTS:-4000}
cache=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ehttp-bench}/load-identities
dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-content.XXXXXX")
db=$dir/site.db
mp=p01.contoso.com
dp=dp1.p01.contoso.com
here=$(cd "$(dirname "$0")" && pwd)
cleanup() {
	for p in ${mpd:-} ${dpd:-} ${srv:-} ${sampler:-}; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || :
fds=$(ulimit -n)
echo "bench-content: $n clients, fd limit $fds (the agent needs about one per connection, the client one per client under way)" >&2
mkdir -p "$cache"
port=$(( 20000 + ($$ + 13) % 20000 ))
"$bin/ehttpctl" --db "$db" init --demo >/dev/null
"$bin/ehttpctl" --db "$db" site set P01 --enhanced-http on >/dev/null 2>&1
"$bin/ehttpctl" --db "$db" hierarchy set --client-approval auto >/dev/null
rootid=$("$bin/ehttpctl" --db "$db" cert list --type root --site P01 --active --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
"$bin/ehttpctl" --db "$db" cert export "$rootid" --out "$dir/root.pem" >/dev/null
dpid=$("$bin/ehttpctl" --db "$db" cert list --system "$dp" --active --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
"$bin/ehttpctl" --db "$db" cert export "$dpid" --out "$dir/leaf.pem" --with-key >/dev/null
cat "$dir/leaf.pem" "$dir/root.pem" > "$dir/chain.pem"

# The package: 2 files of 512 KiB (random: nothing compresses).
mkdir -p "$dir/src"
head -c 524288 /dev/urandom > "$dir/src/a.bin"
head -c 524288 /dev/urandom > "$dir/src/b.bin"
"$bin/ehttpctl" --db "$db" package add Bench --source "$dir/src" --site P01 >/dev/null
pkg=$("$bin/ehttpctl" --db "$db" package list --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
"$bin/ehttpctl" --db "$db" package distribute "$pkg" --dp "$dp" >/dev/null
# nginx's workers run as nobody when started by root: the folder is only
# crossed (711), the bytes are readable.
chmod 711 "$dir"
mkdir -p "$dir/www/SMS_DP_SMSPKG\$/$pkg"
cp "$dir/src/a.bin" "$dir/src/b.bin" "$dir/www/SMS_DP_SMSPKG\$/$pkg/"

agent() { # fqdn port logs
	"$bin/ehttp-mpd" --db "$db" --system "$1" --https "127.0.0.1:$2" \
	    --http "127.0.0.1:$(($2 + 1))" --log-dir "$3" --poll 60 --check 3600 \
	    --max-connections $((2 * n)) --handshake-timeout 300 --header-timeout 300 \
	    --foreground >/dev/null 2>&1 &
}
agent "$mp" "$port" "$dir/logs-mp"
mpd=$!
agent "$dp" "$((port + 2))" "$dir/logs-dp"
dpd=$!
for i in $(seq 100); do
	grep -q "MP Control Manager started" "$dir/logs-mp/mpcontrol.log" 2>/dev/null &&
	    grep -q "MP Control Manager started" "$dir/logs-dp/mpcontrol.log" 2>/dev/null && break
	sleep 0.2
done
workers=$(nproc)

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# clock ticks
hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
# sample PID... : the most fds the processes held together, every 0.2 s,
# into $dir/fds until killed.
sample() {
	max=0
	while :; do
		t=0
		for p in "$@"; do t=$((t + $(ls "/proc/$p/fd" 2>/dev/null | wc -l))); done
		[ "$t" -gt "$max" ] && { max=$t; echo "$max" > "$dir/fds"; }
		sleep 0.2
	done
}
client() {
	"$bin/ehttp-client" load --clients "$n" --mp "$mp:$port" --root "$dir/root.pem" \
	    --state "$dir/load" --identities "$cache" --timeout 120 \
	    --resolve "$mp:$port:127.0.0.1" --resolve "$dp:$((port + 2)):127.0.0.1" "$@"
}
# The keys (made once, kept), then registration and a CCM token for each
# (spread over 20 s): so the run measured is the downloads.
client --duration 1 --until keys >/dev/null
client --duration 20 --until token --workers 32 --json > "$dir/token.json" 2> "$dir/token.err" || {
	cat "$dir/token.err" >&2; exit 1; }

echo 0 > "$dir/fds"
sample "$dpd" & sampler=$!
c0=$(cpu "$dpd")
up=$(uptime | sed 's/.*load average/load average/')
client --duration 1 --workers "$n" --download "$pkg" --json > "$dir/dl.json" 2> "$dir/dl.err" || :
c1=$(cpu "$dpd")
kill "$sampler"; wait "$sampler" 2>/dev/null || :; sampler=
up1=$(uptime | sed 's/.*load average: //')
[ -s "$dir/dl.json" ] || { cat "$dir/dl.err" >&2; exit 1; }
ofds=$(cat "$dir/fds")
ohwm=$(hwm "$dpd")

# The reference: nginx with the DP's certificate, the same bytes.
mkdir -p "$dir/nginx/logs"
cat > "$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
worker_rlimit_nofile $fds;
error_log $dir/nginx/logs/error.log;
pid $dir/nginx/nginx.pid;
events { worker_connections $((2 * n)); }
http {
	access_log off;
	sendfile on;
	# 60 s by default: a client starved of CPU among 4,000 would be cut
	# off before its request; the agents get 300 s too (10 s by default).
	client_header_timeout 300s;
	send_timeout 300s;
	server {
		listen 127.0.0.1:$((port + 4)) ssl backlog=511;
		ssl_certificate $dir/chain.pem;
		ssl_certificate_key $dir/leaf.pem.key;
		root $dir/www;
	}
}
EOF
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>/dev/null &
srv=$!
for i in $(seq 50); do [ -s "$dir/nginx/nginx.pid" ] && break; sleep 0.1; done
sleep 0.5
kids=$(pgrep -P "$srv" | tr '\n' ' ')
echo 0 > "$dir/fds"
# shellcheck disable=SC2086
sample $srv $kids & sampler=$!
rc0=0; for p in $srv $kids; do rc0=$((rc0 + $(cpu "$p"))); done
# n clients: curl processes of at most 250 parallel transfers each; every
# client's 2 files, each GET its own connection.
per=250
procs=$(( (n + per - 1) / per ))
t0=$(date +%s%N)
curls=
for i in $(seq 0 $((procs - 1))); do
	k=$(( n - i * per < per ? n - i * per : per ))
	cfg=$dir/curl$i.cfg
	: > "$cfg"
	for j in $(seq "$k"); do
		for f in a.bin b.bin; do
			printf 'url = "https://%s:%d/SMS_DP_SMSPKG$/%s/%s"\noutput = "/dev/null"\n' \
			    "$dp" "$((port + 4))" "$pkg" "$f" >> "$cfg"
		done
	done
	curl -sS --no-progress-meter --parallel --parallel-immediate --parallel-max "$k" -H 'Connection: close' \
	    --cacert "$dir/root.pem" --resolve "$dp:$((port + 4)):127.0.0.1" --max-time 300 \
	    -w '%{http_code} %{size_download} %{time_total}\n' -K "$cfg" > "$dir/curl$i.out" 2>> "$dir/curl.err" &
	curls="$curls $!"
done
# shellcheck disable=SC2086
wait $curls || :
t1=$(date +%s%N)
rc1=0; for p in $srv $kids; do rc1=$((rc1 + $(cpu "$p"))); done
kill "$sampler"; wait "$sampler" 2>/dev/null || :; sampler=
rfds=$(cat "$dir/fds")
rhwm=$(for p in $srv $kids; do awk '/^VmHWM/ { print $2 }' "/proc/$p/status"; done |
    awk '{ s += $1 } END { printf "%.1f MB", s / 1024 }')

python3 - "$dir" "$n" "$c1" "$c0" "$rc1" "$rc0" "$t0" "$t1" "$(getconf CLK_TCK)" \
    "$ohwm" "$ofds" "$rhwm" "$rfds" "$up" "$up1" "$workers" "$(nginx -v 2>&1 | sed 's,.*nginx/,,')" <<'EOF'
import glob, json, sys
(d, n, c1, c0, rc1, rc0, t0, t1, hz, ohwm, ofds, rhwm, rfds, up, up1, workers,
 ngv) = sys.argv[1:]
n, hz = int(n), int(hz)
j = json.load(open(d + "/dl.json"))
dl, req = j["download"], j["requests"]["download"]
gib = dl["bytes"] / 2**30
ocpu = (int(c1) - int(c0)) / hz / gib if gib else 0
times, codes, rbytes = [], {}, 0
for f in glob.glob(d + "/curl*.out"):
    for line in open(f):
        code, size, t = line.split()
        codes[code] = codes.get(code, 0) + 1
        if code == "200" and int(size) == 524288:
            rbytes += int(size)
            times.append(float(t))
times.sort()
def pct(v, p):
    return v[max(0, (len(v) * p + 99) // 100 - 1)] * 1000 if v else 0
secs = (int(t1) - int(t0)) / 1e9
rgib = rbytes / 2**30
rcpu = (int(rc1) - int(rc0)) / hz / rgib if rgib else 0
fails = sum(v for k, v in codes.items() if k != "200") + (2 * n - sum(codes.values()))
rf = ", ".join("%s %d" % ("no response" if k == "000" else "HTTP " + k, v)
              for k, v in sorted(codes.items()) if k != "200")
err = open(d + "/curl.err").readline().strip()
if err:
    rf += " (first: %s)" % err
if 2 * n > sum(codes.values()):
    rf += (", " if rf else "") + "%d no status" % (2 * n - sum(codes.values()))
rf = rf or "none"
fr = ", ".join("%s %d" % (k, v["count"]) for k, v in dl["failures"].items()) or "none"
print("%d clients downloading 2 files, 1 MiB, over TLS at once, one DP agent "
      "(%s workers; load average %s before, %s after)|%d verified, %d failed (%s); "
      "%.0f MB/s aggregate; download p50 %.0f ms, p99 %.0f ms; concurrency reached %d; "
      "DP agent %.2f CPU s/GiB, VmHWM %s, %s fds at most|"
      "nginx %s (%s workers, same certificate and bytes), %d curl clients at once, "
      "a connection per GET: %d of %d GETs 200 (%d failed: %s), %.0f MB/s, GET p50 %.0f ms, "
      "p99 %.0f ms; %.2f CPU s/GiB, VmHWM %s, %s fds at most|%.2f (CPU s/GiB)|0 failures"
      % (n, workers, up.replace("load average: ", ""), up1, dl["verified"], dl["failed"], fr,
         dl["mb_per_s"], req["p50_ms"], req["p99_ms"], dl["concurrency_max"], ocpu,
         ohwm, ofds, ngv, workers, n, codes.get("200", 0), 2 * n, fails, rf,
         rbytes / 1e6 / secs if secs else 0, pct(times, 50), pct(times, 99), rcpu,
         rhwm, rfds, ocpu / rcpu if rcpu else 0))
EOF
