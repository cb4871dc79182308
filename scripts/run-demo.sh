#!/bin/sh
# make run: a demo hierarchy in RUN_DIR, then the console (when built).
# usage: run-demo.sh BUILD_DIR RUN_DIR
set -eu
bin=$1
run=$2
db="$run/site.db"

mkdir -p "$run"
chmod 700 "$run"
if [ ! -f "$db" ]; then
	"$bin/ehttpctl" --db "$db" init --demo
fi
echo
"$bin/ehttpctl" --db "$db" site list
echo
if [ -x "$bin/ehttp-console" ] && [ -t 1 ]; then
	exec "$bin/ehttp-console" --db "$db" --log-dir "$run/logs"
fi
cat <<MSG
The demo hierarchy is in $db. Go on with, for example:
  export EHTTP_DB=$db
  $bin/ehttpctl site show P01
  $bin/ehttpctl site set P01 --enhanced-http on
  $bin/ehttpctl status --site P01
(Remove $run to start again from a fresh demo.)
MSG
