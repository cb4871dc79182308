#!/bin/sh
# make run: the demo hierarchy in RUN_DIR, the site server (ehttp-sited) and
# an ehttp-mpd agent for each of its management points and distribution
# points on loopback ports (dp1.p01 holds a demo package), then the
# console. They stop when the console exits.
# usage: run-demo.sh BUILD_DIR RUN_DIR   (env: EHTTP_PORT_BASE, default 18400)
set -eu
bin=$1
run=$2
db="$run/site.db"
logs="$run/logs"
base=${EHTTP_PORT_BASE:-18400}

mkdir -p "$run" "$logs"
chmod 700 "$run"
if [ ! -f "$db" ]; then
	"$bin/ehttpctl" --db "$db" init --demo
	# A package on dp1.p01, for its agent to serve and clients to fetch.
	src="$run/demo-package"
	mkdir -p "$src/docs"
	printf 'ehttp demo package\n' >"$src/readme.txt"
	printf 'Content served by the DP with the site-issued certificate.\n' \
	    >"$src/docs/about.txt"
	head -c 1048576 /dev/urandom >"$src/setup.bin"
	"$bin/ehttpctl" --db "$db" package add "Demo Package" --source "$src" \
	    --site P01 >/dev/null
	"$bin/ehttpctl" --db "$db" package distribute P0100001 \
	    --dp dp1.p01.contoso.com >/dev/null
fi

pids=""
stop_agents() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap stop_agents EXIT
trap 'exit 129' HUP
trap 'exit 130' INT TERM

if [ -x "$bin/ehttp-sited" ]; then
	"$bin/ehttp-sited" --db "$db" --log-dir "$logs" --interval 60 \
	    --foreground >>"$logs/sited.out" 2>&1 &
	pids="$pids $!"
	echo "site server: a pass a minute, log $logs/certmgr.log"
fi

if [ -x "$bin/ehttp-mpd" ]; then
	n=0
	for fqdn in $("$bin/ehttpctl" --db "$db" role list --json |
	    python3 -c 'import json, sys
seen = set()
for r in json.load(sys.stdin):
    if r["role"] in ("mp", "dp") and r["fqdn"] not in seen:
        seen.add(r["fqdn"])
        print(r["fqdn"])'); do
		https=$((base + 2 * n))
		http=$((https + 1))
		"$bin/ehttp-mpd" --db "$db" --system "$fqdn" \
		    --https "127.0.0.1:$https" --http "127.0.0.1:$http" \
		    --log-dir "$logs/$fqdn" --poll 5 --check 15 --foreground \
		    >>"$logs/agents.out" 2>&1 &
		pids="$pids $!"
		echo "agent for $fqdn: https://127.0.0.1:$https  http://127.0.0.1:$http  log $logs/$fqdn/mpcontrol.log"
		n=$((n + 1))
	done
fi

if [ -x "$bin/ehttp-console" ] && [ -t 0 ] && [ -t 1 ]; then
	"$bin/ehttp-console" --db "$db" --log-dir "$logs"
	exit $?
fi
echo
"$bin/ehttpctl" --db "$db" site list
cat <<MSG

The demo hierarchy is in $db. Go on with, for example:
  export EHTTP_DB=$db
  $bin/ehttpctl site show P01
  $bin/ehttpctl site set P01 --enhanced-http on
  $bin/ehttpctl cert list --site P01
  $bin/ehttpctl status --site P01
  $bin/ehttpctl package show P0100001     # the demo package, on dp1.p01
(Remove $run to start again from a fresh demo.)
MSG
