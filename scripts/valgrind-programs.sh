#!/bin/sh
# The programs themselves under valgrind memcheck (make test-valgrind runs
# this beside the suites, whose own runs trace only the test process):
# ehttpctl through a short life of the demo (enable enhanced HTTP with RSA
# keys, lists and shows, an export with its key, a refused change, an EC
# site's root renewed, log show), ehttp-mpd serving TLS and HTTP and
# checking its health until SIGTERM, ehttp-client registering, getting a
# token and polling it meanwhile (one client, then two in load mode), and
# the console in tmux going through its views until q. Each must exit as it would without valgrind, with no
# memcheck error and no definitely lost block.
# usage: valgrind-programs.sh BUILD_DIR
set -eu
bin=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-vgp.XXXXXX")
db=$dir/site.db
VG_RC=99	# memcheck's exit code on an error: none of ours
tm() { tmux -S "$dir/tmux.sock" -f /dev/null "$@"; }
agent=""
cleanup() {
	if [ -n "$agent" ]; then
		kill "$agent" 2>/dev/null || true
		wait "$agent" 2>/dev/null || true
	fi
	tm kill-server 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
n=0
VG="${VALGRIND:-valgrind} -q --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=$VG_RC --num-callers=30"
fail() {
	echo "valgrind-programs: $*" >&2
	for f in "$dir"/vg-*.log; do
		[ -s "$f" ] && { echo "== $f" >&2; cat "$f" >&2; }
	done
	exit 1
}
# ctl WANT ARGS...: ehttpctl ARGS under memcheck must exit WANT.
ctl() {
	want=$1
	shift
	n=$((n + 1))
	rc=0
	$VG --log-file="$dir/vg-ctl-$n.log" "$bin/ehttpctl" --db "$db" "$@" \
	    >"$dir/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "ehttpctl $*: exit $rc, not $want: $(cat "$dir/out")"
}

ctl 0 init --demo
ctl 0 site set P01 --enhanced-http on
ctl 0 site set CAS --key-alg ec-p256 --enhanced-http on
ctl 0 --json site list
ctl 0 site show P01
ctl 0 system list
ctl 0 role list
ctl 0 cert list --sort expiration
ctl 0 cert show 1
ctl 0 cert export 5 --out "$dir/leaf.pem" --with-key
ctl 0 cert export 1 --out "$dir/root.pem"
ctl 1 site add 12 --name Bad --type primary
ctl 0 status --limit 20
ctl 0 audit --limit 20
root=$("$bin/ehttpctl" --db "$db" cert list --site CAS --type root --active --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
ctl 0 cert renew "$root"
echo "valgrind-programs: ehttpctl: $n runs clean"

# The agent: TLS with the site-issued certificate, health checks, SIGTERM.
# (valgrind itself in the background, so that $! is the agent)
$VG --log-file="$dir/vg-mpd.log" "$bin/ehttp-mpd" --db "$db" --system p01.contoso.com \
    --https 127.0.0.1:0 --http 127.0.0.1:0 --log-dir "$dir/logs" --poll 2 \
    --check 2 --foreground >"$dir/mpd.out" 2>&1 &
agent=$!
port="" tries=0
while [ -z "$port" ] && [ "$tries" -lt 600 ]; do
	kill -0 "$agent" 2>/dev/null || fail "ehttp-mpd exited: $(cat "$dir/mpd.out")"
	grep -q "HttpSendRequestSync succeeded" "$dir/logs/mpcontrol.log" 2>/dev/null &&
	port=$("$bin/ehttpctl" --db "$db" system show p01.contoso.com --json |
	    python3 -c 'import json, sys; print((json.load(sys.stdin).get("agent") or {}).get("https_port") or "")') ||
	    port=""
	[ -n "$port" ] || sleep 0.2
	tries=$((tries + 1))
done
[ -n "$port" ] || fail "ehttp-mpd did not pass a health check in 120 s"
curl -sS --max-time 30 --cacert "$dir/root.pem" \
    --resolve "p01.contoso.com:$port:127.0.0.1" \
    "https://p01.contoso.com:$port/SMS_MP/.sms_aut?MPLIST" >"$dir/mplist" ||
    fail "no MPLIST over HTTPS"
grep -q "p01.contoso.com" "$dir/mplist" || fail "MPLIST: $(cat "$dir/mplist")"
# A client against it: register with a bulk token, a token, a poll, what
# it keeps; then two clients of the load mode.
ctl 0 token new --site P01 --out "$dir/bulk.jwt"
cl() { # WANT STATE ARGS...: ehttp-client under memcheck must exit WANT
	want=$1 state=$2
	shift 2
	n=$((n + 1))
	rc=0
	$VG --log-file="$dir/vg-client-$n.log" "$bin/ehttp-client" "$@" \
	    --mp "p01.contoso.com:$port" --connect 127.0.0.1 \
	    --root "$dir/root.pem" --state "$dir/$state" --timeout 120 \
	    >"$dir/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "ehttp-client $*: exit $rc, not $want: $(cat "$dir/out")"
}
cl 0 wks register --name WKS01 --bulk-token "$dir/bulk.jwt"
cl 0 wks token
cl 0 wks poll
cl 0 wks show
cl 0 load load --clients 2 --duration 2 --poll-interval 1 --workers 2 \
    --bulk-token "$dir/bulk.jwt"
cl 2 load load --clients 2
echo "valgrind-programs: ehttp-client: registered, token, poll, load clean"
kill -TERM "$agent" || fail "ehttp-mpd was gone before SIGTERM"
rc=0
wait "$agent" || rc=$?
agent=""
[ "$rc" = 0 ] || fail "ehttp-mpd: exit $rc after SIGTERM"
ctl 0 log show "$dir/logs/mpcontrol.log" --type info
echo "valgrind-programs: ehttp-mpd: served TLS on port $port, health checked, stopped clean"

# The console: every view, then q.
tm new-session -d -s v -x 100 -y 30 "env LC_ALL=C.UTF-8 $VG \
    --log-file='$dir/vg-console.log' '$bin/ehttp-console' --db '$db' \
    --log-dir '$dir/logs'; echo \$? > '$dir/console.rc'; sleep 600"
screen() { tm capture-pane -p -t v 2>/dev/null || true; }
wait_for() { # TEXT
	tries=0
	until screen | grep -q "$1"; do
		tries=$((tries + 1))
		[ "$tries" -lt 600 ] || fail "the console never showed '$1': $(screen)"
		sleep 0.2
	done
}
wait_for "Administration >"
for view in "2:Site Configuration > Sites" \
    "3:Site Configuration > Servers and Site System Roles" \
    "4:Security > Certificates" "5:Monitoring > mpcontrol.log" \
    "1:Administration > Overview"; do
	tm send-keys -t v "${view%%:*}"
	wait_for "${view#*:}"
done
tm send-keys -t v q
tries=0
until [ -s "$dir/console.rc" ]; do
	tries=$((tries + 1))
	[ "$tries" -lt 300 ] || fail "the console did not quit on q: $(screen)"
	sleep 0.2
done
rc=$(cat "$dir/console.rc")
[ "$rc" = 0 ] || fail "ehttp-console: exit $rc"
echo "valgrind-programs: ehttp-console: every view, quit clean"
echo "valgrind-programs: PASS"
