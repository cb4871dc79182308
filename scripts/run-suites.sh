#!/bin/sh
# The test suites, each in its own process of B/check_all, JOBS at a time
# (default: the machine's cores). A suite spends much of its time waiting
# for the programs it starts (an agent's poll, a database outage, a
# terminal to draw), so two at a time on two cores finish well before one
# after the other. Each suite's output goes to B/NAME-SUITE.log and is
# printed whole when it ends, with its wall time; the slowest suites of the
# last run start first (B/NAME-SUITE.time), so that no long one is left to
# run alone at the end. Exit 1 when any suite failed, after all of them,
# with the lines that say why. The lines in which a suite says it left
# something out (skipped, and why: no PostgreSQL server, no network
# namespaces, not root) are printed again at the end, so that a run that
# passed checking less is seen as such.
#
#   run-suites.sh B NAME SUITE...
#
# RUN_WRAP: a command each suite runs under (make test-valgrind: valgrind
# and its options); JOBS: how many at a time. Suites running at once share
# nothing: each has its own temporary directories, ports, tmux servers
# and PostgreSQL server (the hosts suite's network namespaces are the
# only fixed names: one run of it at a time).
set -u
if [ "${1:-}" = --one ]; then
	b=$2 name=$3 s=$4
	t0=$(date +%s)
	# shellcheck disable=SC2086 # RUN_WRAP is a command and its options
	${RUN_WRAP:-} "./$b/check_all" "$s" > "$b/$name-$s.log" 2>&1 ||
		: > "$b/$name-$s.failed"
	t=$(($(date +%s) - t0))
	echo "$t" > "$b/$name-$s.time"
	echo "== $name $s: $t s" >> "$b/$name-$s.log"
	# One write of the finished file: logs of suites that end together
	# do not interleave line by line.
	cat "$b/$name-$s.log"
	exit 0
fi
b=$1 name=$2
shift 2
: "${JOBS:=$(nproc 2>/dev/null || echo 1)}"
case $JOBS in
'' | *[!0-9]* | 0)
	echo "JOBS: how many suites at a time (a number), not '$JOBS'" >&2
	exit 2 ;;
esac
for s in "$@"; do
	rm -f "$b/$name-$s.failed"
	t=$(cat "$b/$name-$s.time" 2>/dev/null) || t=999999
	echo "$t $s"
done | sort -rn | cut -d' ' -f2 |
	xargs -P "$JOBS" -n 1 sh "$0" --one "$b" "$name"
failed=
checks=0
for s in "$@"; do
	[ -e "$b/$name-$s.failed" ] && failed="$failed $s"
	n=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\),.*/\1/p' "$b/$name-$s.log" |
		tail -1)
	checks=$((checks + ${n:-0}))
done
skips=$(for s in "$@"; do
	grep -h 'skipped' "$b/$name-$s.log" | grep -v ':[PEF]:'
done)
if [ -n "$skips" ]; then
	echo "== $name: left out, as the suites said:"
	printf '%s\n' "$skips" | sed 's/^/   /'
fi
if [ -n "$failed" ]; then
	for s in $failed; do
		echo "== $name $s: what failed ($b/$name-$s.log)"
		grep -E ':[EF]:|^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|[0-9,]+ bytes in .* definitely)|ERROR SUMMARY|ERROR: (Address|Leak)Sanitizer|runtime error' \
			"$b/$name-$s.log" | head -40
	done
	echo "== $name: $# suites, $checks checks; failed:$failed"
	exit 1
fi
echo "== $name: $# suites, $checks checks, every one passed"
