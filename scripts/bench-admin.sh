#!/bin/sh
# The administration service (the SMS Provider's REST API) under load:
# requests per second and the latency p99 of 100 concurrent keep-alive
# clients over TLS (ApacheBench, one process: ab -k -c 100) for
#  1. a keyed GET, /AdminService/wmi/SMS_Site('P01') (about 230 bytes);
#  2. a filtered page of 100 certificates (about 42 KB),
#     SMS_Certificate?$filter=State eq 'active' and
#     startswith(IssuedTo,'sys')&$top=100, the database holding the demo's
#     certificates and those of ADMIN_SYSTEMS (200) more management points
#     of P01, sysN.p01.contoso.com (ECDSA keys: quicker to make; the agent
#     itself keeps the RSA 2048 certificate of the demo);
# with a read-only bearer token, the agent (ehttp-mpd for p01.contoso.com,
# the demo's SMS Provider) started with rates that refuse nothing.
#
# Reference, same run, interleaved: nginx (worker_processes as the agent's
# workers, the agent's certificate, chain and key; its access log on, as
# the agent's adminservice.log; no limit of requests a connection, as the
# agent) serving the very bytes the agent answered, saved from it, as a
# static file at the same URL (a static file ignores the query), to the
# same ab. Every answer must be 200 with those bytes' length (ab's
# "Failed requests" and "Non-2xx responses" 0, the lines left in the
# agent's adminservice.log all 200), every request on a kept-alive
# connection: else the script fails, saying why.
#
# What the ratio is: nginx sends a file it has in the page cache. For
# each request the agent checks the token (its SHA-256 looked up in the
# database), parses the URL and the $filter, reads the rows from SQLite,
# writes the JSON and a line in adminservice.log, one request at a time
# on its one database connection under its lock, as the management
# point's (only TLS and HTTP run on every core). So the agent is bounded
# by one core's worth of that work and nginx, mostly, by the client (ab
# is one process and shares the cores with the server measured): the
# goal is a fraction, >= 0.2 for the keyed GET and >= 0.05 for the page
# of 100 rows, each of which is read, filtered and written as JSON. A p99
# is stated: with requests served one at a time, 100 clients wait about
# 100 / (requests a second) each on average.
#
# Each run is ADMIN_REQUESTS requests (20,000; so that the 100 requests
# that wait for their connection's TLS handshake are under 1% and the
# p99 is that of kept-alive requests). Prints bench.sh table rows.
# usage: bench-admin.sh BUILD_DIR RUNS   (env: ADMIN_REQUESTS=20000
#                                         ADMIN_SYSTEMS=200)
set -eu
bin=$1
runs=${2:-3}
nreq=${ADMIN_REQUESTS:-20000}
nsys=${ADMIN_SYSTEMS:-200}
clients=100
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_begin admin
fail() { echo "bench-admin: $*" >&2; exit 1; }
for t in ab nginx curl; do
	command -v "$t" >/dev/null 2>&1 || fail "$t missing (sh scripts/deps.sh bench installs it)"
done

# The demo, P01 on Enhanced HTTP (RSA 2048), then nsys more management
# points, each issued its certificate at once (ECDSA P-256).
bench_site p01.contoso.com
"$bin/ehttpctl" --db "$db" site set P01 --key-alg ec-p256 >/dev/null
i=1
while [ "$i" -le "$nsys" ]; do
	"$bin/ehttpctl" --db "$db" system add "sys$i.p01.contoso.com" --site P01 >/dev/null
	"$bin/ehttpctl" --db "$db" role add "sys$i.p01.contoso.com" mp >/dev/null
	i=$((i + 1))
done
token=$("$bin/ehttpctl" --db "$db" admin token new bench --role read-only 2>/dev/null)
[ -n "$token" ] || fail "no token from ehttpctl admin token new"
cat "$dir/leaf.pem" "$dir/root.pem" > "$dir/chain.pem"

workers=$(nproc)
[ "$workers" -gt 64 ] && workers=64	# the agent's most (MPD_WORKERS_MAX)
bench_mpd p01.contoso.com --workers "$workers" \
    --admin-rate 1000000 --admin-rate-total 1000000
for i in $(seq 100); do
	grep -q "MP Control Manager started" "$dir/logs/mpcontrol.log" 2>/dev/null && break
	kill -0 "$mpd" 2>/dev/null || fail "ehttp-mpd exited: $(tail -5 "$dir/logs/mpcontrol.log" 2>/dev/null)"
	sleep 0.2
done

site_path="/AdminService/wmi/SMS_Site('P01')"
cert_path="/AdminService/wmi/SMS_Certificate?\$filter=State%20eq%20'active'%20and%20startswith(IssuedTo,'sys')&\$top=100"
# The bytes to serve: the agent's answer to the request ab makes (Host:
# 127.0.0.1:port, which the answer's @odata.context names), the
# certificate checked. nginx serves them at the same path (the folder
# only crossed by its workers, which run as nobody when root starts it).
chmod 711 "$dir"
mkdir -p "$dir/www/AdminService/wmi" "$dir/nginx"
save() { # path file
	code=$(curl -sS --cacert "$dir/root.pem" --resolve "p01.contoso.com:$port:127.0.0.1" \
	    -H "Host: 127.0.0.1:$port" -H "Authorization: Bearer $token" \
	    -o "$2" -w '%{http_code}' "https://p01.contoso.com:$port$1") ||
	    fail "curl $1: failed"
	[ "$code" = 200 ] || fail "GET $1: HTTP $code: $(head -c 300 "$2")"
}
save "$site_path" "$dir/www/AdminService/wmi/SMS_Site('P01')"
save "$cert_path" "$dir/www/AdminService/wmi/SMS_Certificate"
rows=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["value"]))' \
    "$dir/www/AdminService/wmi/SMS_Certificate")
[ "$rows" = 100 ] || fail "the certificate page has $rows rows, not 100"
chmod 644 "$dir/www/AdminService/wmi/"*

cat > "$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
error_log $dir/nginx/error.log;
pid $dir/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log $dir/nginx/access.log;
	default_type application/json;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$((port + 2)) ssl;
		ssl_certificate $dir/chain.pem;
		ssl_certificate_key $dir/leaf.pem.key;
		root $dir/www;
	}
}
EOF
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>"$dir/nginx/stderr" &
srv=$!
for i in $(seq 50); do [ -s "$dir/nginx/nginx.pid" ] && break; sleep 0.1; done
[ -s "$dir/nginx/nginx.pid" ] || fail "nginx did not start: $(cat "$dir/nginx/stderr" "$dir/nginx/error.log" 2>/dev/null)"

# load NAME PORT PATH SIZE: one ab run (run $r); "requests/s p99_ms"
# appended to $dir/NAME, ab's output kept in $dir/NAME.ab.$r. Fails on
# anything but nreq complete requests, kept alive, of SIZE bytes, 2xx.
load() {
	n=$r
	out=$dir/$1.ab.$n
	ab -k -c "$clients" -n "$nreq" -H "Authorization: Bearer $token" \
	    "https://127.0.0.1:$2$3" > "$out" 2>&1 ||
	    fail "$1: ab failed (run $n): $(tail -5 "$out")"
	awk -v want="$nreq" -v size="$4" -v name="$1" '
		/^Document Length:/ { len = $3 }
		/^Complete requests:/ { done = $3 }
		/^Failed requests:/ { failed = $3 }
		/^Non-2xx responses:/ { non2xx = $3 }
		/^Keep-Alive requests:/ { kept = $3 }
		/^Requests per second:/ { rps = $4 }
		/^ *99% / { p99 = $2 }
		END {
			bad = ""
			if (done != want) bad = bad sprintf(" %d of %d complete;", done, want)
			if (failed + 0) bad = bad sprintf(" %d failed;", failed)
			if (non2xx + 0) bad = bad sprintf(" %d not 2xx;", non2xx)
			if (len != size) bad = bad sprintf(" %s bytes, not %s;", len, size)
			if (kept != done) bad = bad sprintf(" %d of %d kept alive;", kept, done)
			if (rps == "" || p99 == "") bad = bad " no figures;"
			if (bad != "") { print name ":" bad > "/dev/stderr"; exit 1 }
			print rps, p99
		}' "$out" >> "$dir/$1" || fail "$1: run $n refused (above); ab said: $(sed -n '/^Document Length/,/^Requests per second/p' "$out")"
	echo "bench-admin: run $n, $1: $(tail -1 "$dir/$1" | awk '{ printf "%s req/s, p99 %s ms", $1, $2 }')" >&2
}
site_size=$(stat -c %s "$dir/www/AdminService/wmi/SMS_Site('P01')")
cert_size=$(stat -c %s "$dir/www/AdminService/wmi/SMS_Certificate")
up=$(uptime | sed 's/.*load average: //')
for r in $(seq "$runs"); do
	load site.ours "$port" "$site_path" "$site_size"
	load site.ref "$((port + 2))" "$site_path" "$site_size"
	load cert.ours "$port" "$cert_path" "$cert_size"
	load cert.ref "$((port + 2))" "$cert_path" "$cert_size"
done
up1=$(uptime | sed 's/.*load average: //')
kill -0 "$mpd" 2>/dev/null || fail "ehttp-mpd is gone"
# The agent's own word: every answer in its log 200 (the log rolls at
# its size: what is left of it, adminservice.log and .lo_).
others=$(cat "$dir/logs/adminservice.lo_" "$dir/logs/adminservice.log" 2>/dev/null |
    grep 'by bench from' | grep -vc 'by bench from .*: 200 ' || :)
[ "$others" = 0 ] || fail "adminservice.log has $others answers other than 200: $(
    cat "$dir/logs/adminservice.lo_" "$dir/logs/adminservice.log" 2>/dev/null |
    grep 'by bench from' | grep -v 'by bench from .*: 200 ' | head -3)"

# col NAME FIELD: the median of one column of $dir/NAME.
col() { awk -v f="$2" '{ print $f }' "$dir/$1" > "$dir/$1.col$2"; med "$dir/$1.col$2"; }
ngv=$(nginx -v 2>&1 | sed 's,.*nginx/,,')
for spec in "site|keyed SMS_Site GET ($site_size bytes)|>= 0.2" \
    "cert|filtered 100-row SMS_Certificate page of $((nsys + 6)) ($cert_size bytes)|>= 0.05"; do
	name=${spec%%|*}; rest=${spec#*|}; what=${rest%|*}; goal=${rest##*|}
	ours=$(col "$name.ours" 1); op99=$(col "$name.ours" 2)
	ref=$(col "$name.ref" 1); rp99=$(col "$name.ref" 2)
	printf 'AdminService %s, %d clients keep-alive (TLS, %d workers; load average %s before, %s after)|%.0f req/s, p99 %s ms|%.0f req/s, p99 %s ms (nginx %s, same bytes, same certificate)|%s|%s\n' \
	    "$what" "$clients" "$workers" "$up" "$up1" "$ours" "$op99" "$ref" "$rp99" "$ngv" \
	    "$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" "$goal"
done
