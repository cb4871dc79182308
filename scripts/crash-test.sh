#!/bin/sh
# Crash safety (make test-crash): SIGKILL ehttpctl at random moments while it
# enables enhanced HTTP on a site with many site systems, KILLS times. After
# each kill the database must pass PRAGMA integrity_check, the site must be
# wholly in the old state (off, no active role certificate) or the new one
# (on, one per site system), every certificate must have its key and no key
# may be orphaned.
# Then the same for the site server's renewal pass (SITED_KILLS times).
# usage: crash-test.sh BUILD_DIR   (env: KILLS=200 SYSTEMS=30 ALG=rsa2048
#                                   SITED_KILLS=KILLS/4)
set -eu
bin=$1/ehttpctl
kills=${KILLS:-200}
systems=${SYSTEMS:-30}
alg=${ALG:-rsa2048}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-crash.XXXXXX")
trap 'rm -rf "$dir"' EXIT
db=$dir/site.db
ctl() { "$bin" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
# After a kill (LABEL names it): the file intact, reopened (which drops
# the dead process's pending rows), every certificate with its key, no key
# without its certificate; ok=0 and why otherwise. roles: the active role
# certificates.
check_store() {
	[ "$(q 'PRAGMA integrity_check')" = ok ] || { echo "$1: integrity_check failed"; ok=0; }
	ctl init >/dev/null || { echo "$1: reopening failed"; ok=0; }
	roles=$(q "SELECT count(*) FROM cert WHERE type = 'role' AND state = 'active'")
	pending=$(q "SELECT count(*) FROM cert WHERE state = 'pending'")
	nokey=$(q "SELECT count(*) FROM cert c WHERE NOT EXISTS (SELECT 1 FROM cert_key k WHERE k.cert_id = c.id)")
	orphan=$(q "SELECT count(*) FROM cert_key k WHERE NOT EXISTS (SELECT 1 FROM cert c WHERE c.id = k.cert_id)")
	[ "$pending$nokey$orphan" = 000 ] || { echo "$1: pending $pending, certificates without key $nokey, orphaned keys $orphan"; ok=0; }
}

ctl init >/dev/null
ctl site add P09 --name Crash --type primary >/dev/null
ctl site set P09 --key-alg "$alg" >/dev/null
i=1
while [ "$i" -le "$systems" ]; do
	echo "INSERT INTO site_system (fqdn, site_id, created) SELECT
	    'h$i.p09.example.com', id, 0 FROM site WHERE code = 'P09';
	    INSERT INTO role (system_id, role, connection) SELECT id, 'mp',
	    'http' FROM site_system WHERE fqdn = 'h$i.p09.example.com';"
	i=$((i + 1))
done | sqlite3 "$db"

# How long one full enable takes here: kills land anywhere inside it.
start=$(date +%s%N)
ctl site set P09 --enhanced-http on >/dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ctl site set P09 --enhanced-http off >/dev/null
echo "crash-test: $systems site systems, $alg, one enable takes ${full_ms} ms; $kills kills"

survived=0 old=0 new=0 n=1
# SIGKILL process $1 after a random delay_ms: up to a quarter past the
# measured time (full_ms), so that some kills land after the commit and the
# new state is checked too, not only the old one.
kill_later() {
	delay_ms=$(( $(od -An -N4 -tu4 /dev/urandom) % (full_ms * 5 / 4 + 50) ))
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	# A process killed under libfaketime leaves its semaphore and shared
	# memory (named after its pid): a later one of the same pid would fail.
	rm -f "/dev/shm/faketime_shm_$1" "/dev/shm/sem.faketime_sem_$1"
}

while [ "$n" -le "$kills" ]; do
	if [ "$(q "SELECT enhanced_http FROM site_security x JOIN site s ON s.id = x.site_id WHERE s.code = 'P09'")" = 1 ]; then
		ctl site set P09 --enhanced-http off >/dev/null 2>&1
	fi
	"$bin" --db "$db" site set P09 --enhanced-http on >/dev/null 2>&1 &
	kill_later $!

	ok=1
	check_store "kill $n"
	on=$(q "SELECT enhanced_http FROM site_security x JOIN site s ON s.id = x.site_id WHERE s.code = 'P09'")
	if [ "$on" = 1 ] && [ "$roles" = "$systems" ]; then
		new=$((new + 1))
	elif [ "$on" = 0 ] && [ "$roles" = 0 ]; then
		old=$((old + 1))
	else
		echo "kill $n (after ${delay_ms} ms): mixed state: enhanced HTTP $on with $roles active certificates"
		ok=0
	fi
	[ "$ok" = 1 ] && survived=$((survived + 1))
	[ $((n % 20)) = 0 ] && [ "$n" -lt "$kills" ] &&
	    echo "crash-test: $n of $kills kills, $survived survived ($old old state, $new new)"
	n=$((n + 1))
done
echo "crash-test: survived $survived of $kills kills ($old left the old state, $new the new one)"
[ "$survived" = "$kills" ]

# The site server: SIGKILL ehttp-sited at random moments of a renewal pass
# (under libfaketime, 340 days on: every role certificate is due), from the
# same database each time. After each kill the site must be wholly as
# before or wholly renewed, with every key, nothing orphaned, and nothing
# pending once the database is opened again.
sited=$1/ehttp-sited
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
skills=${SITED_KILLS:-$(( (kills + 3) / 4 ))}
if [ ! -x "$sited" ] || [ -z "$lib" ]; then
	echo "crash-test: ehttp-sited or libfaketime missing: cannot test the site server"
	exit 1
fi
[ "${on:-0}" = 1 ] || ctl site set P09 --enhanced-http on >/dev/null
q 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cp "$db" "$dir/base.db"
now=$(date +%s)
start=$(date +%s%N)
LD_PRELOAD=$lib FAKETIME=+340d "$sited" --db "$db" --log-dir "$dir/logs" --once >/dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "crash-test: ehttp-sited renews $systems certificates in ${full_ms} ms; $skills kills"
survived=0 old=0 new=0 n=1
while [ "$n" -le "$skills" ]; do
	rm -f "$db-wal" "$db-shm"
	cp "$dir/base.db" "$db"
	# Not through a function: $! must be ehttp-sited itself.
	LD_PRELOAD=$lib FAKETIME=+340d "$sited" --db "$db" --log-dir "$dir/logs" \
	    --once >/dev/null 2>&1 &
	kill_later $!

	ok=1
	check_store "sited kill $n"
	fresh=$(q "SELECT count(*) FROM cert WHERE type = 'role' AND state = 'active' AND not_before > $now + 300 * 86400")
	if [ "$roles" = "$systems" ] && [ "$fresh" = "$systems" ]; then
		new=$((new + 1))
	elif [ "$roles" = "$systems" ] && [ "$fresh" = 0 ]; then
		old=$((old + 1))
	else
		echo "sited kill $n (after ${delay_ms} ms): mixed state: $roles active role certificates, $fresh renewed"
		ok=0
	fi
	[ "$ok" = 1 ] && survived=$((survived + 1))
	n=$((n + 1))
done
echo "crash-test: ehttp-sited survived $survived of $skills kills ($old left the old state, $new the new one)"
[ "$survived" = "$skills" ]
