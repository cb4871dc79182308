#!/bin/sh
# The Debian package, built and installed as an administrator would.
# usage: deb-test.sh SRCDIR WORKDIR PORT
#   1. dpkg-buildpackage -us -uc -b on a copy of SRCDIR (never the tree
#      itself: its build folders stay as they are); the compiler warns of
#      nothing with Debian's hardening flags;
#   2. lintian --pedantic: no error and no warning;
#   3. the package installed with dpkg -i into a root of its own: an
#      overlay of this machine's / in a mount namespace (the machine itself
#      is not changed), its postinst making the user ehttp; there, as
#      ehttp, `ehttpctl init --demo`, enhanced HTTP on for P01, the site
#      server's pass and the agent of mp2.p01 started with the command line
#      and environment of ehttp-agent@.service, and curl fetching the
#      site's root from it over TLS; then dpkg -r and dpkg -P.
# Step 3 needs mount namespaces and overlayfs: where they cannot be had it
# says "install: skipped: ..." and the rest still counts.
# Prints "deb: ok" at the end; any failure exits non-zero saying where.
set -eu
src=$1 work=$2 port=$3
deb=$(sh "$src/scripts/build-deb.sh" "$src" "$work") || {
	echo "deb: dpkg-buildpackage failed"; exit 1; }
if grep -E ':[0-9]+:[0-9]+: warning:' "$work/build.log"; then
	echo "deb: the compiler warned with Debian's flags"
	exit 1
fi
grep -q '^smoke-test: demo site' "$work/build.log" || {
	echo "deb: the package's build-time check did not run"; exit 1; }
echo "deb: built $(basename "$deb") ($(wc -c <"$deb") bytes)"

# Errors and warnings fail; pedantic and informational tags are shown.
if ! lintian --pedantic --fail-on error,warning "$deb" >"$work/lintian.out" 2>&1; then
	cat "$work/lintian.out"
	echo "deb: lintian failed"
	exit 1
fi
grep -v 'running with root privileges' "$work/lintian.out" | sed 's/^/lintian: /' || true
echo "lintian: no errors, no warnings"

dpkg-deb -c "$deb" | awk '{ print $1, $6 }' >"$work/contents"
for f in ./usr/bin/ehttpctl ./usr/lib/ehttp/ehttp-ca.so \
    ./usr/bin/ehttp-console ./usr/bin/ehttp-client \
    ./usr/sbin/ehttp-mpd ./usr/sbin/ehttp-sited \
    ./lib/systemd/system/ehttp-sited.service \
    ./lib/systemd/system/ehttp-agent@.service \
    ./lib/systemd/system/ehttp-agents.target \
    ./usr/share/man/man1/ehttpctl.1.gz ./usr/share/man/man8/ehttp-mpd.8.gz \
    ./usr/share/bash-completion/completions/ehttpctl; do
	grep -q " $f\$" "$work/contents" || { echo "deb: $f is not in the package"; exit 1; }
done
dpkg-deb -f "$deb" Depends | grep -q 'adduser' || { echo "deb: no adduser in Depends"; exit 1; }
dpkg-deb -f "$deb" Depends | grep -q 'libssl3' || { echo "deb: no libssl3 in Depends"; exit 1; }

# 3: a root of its own.
root=$work/root
mkdir -p "$work/upper" "$work/ovlwork" "$root"
if ! unshare --mount --propagation private true 2>/dev/null; then
	echo "install: skipped: cannot create a mount namespace here"
	echo "deb: ok"
	exit 0
fi
cp "$deb" "$work/upper.deb"
# What must be the same on this machine afterwards.
user_before=$(getent passwd ehttp || true)
ctl_before=$(ls /usr/bin/ehttpctl 2>/dev/null || true)
cat >"$work/inside.sh" <<'EOF'
#!/bin/sh
# Run in the package's root as root: the administrator's steps.
set -eu
port=$1 deb=$2
umask 022
# Whatever happens, the daemons started here end with this script (the
# namespace and overlay go with them).
daemons=""
stop_daemons() {
	for f in /var/lib/ehttp/*.pid; do
		if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
	done
	for p in $daemons; do kill "$p" 2>/dev/null || true; done
}
trap stop_daemons EXIT
dpkg -i "$deb" >/tmp/dpkg.out 2>&1 || { cat /tmp/dpkg.out; echo "inside: dpkg -i failed"; exit 1; }
if grep -i 'warning' /tmp/dpkg.out; then echo "inside: dpkg -i warned"; exit 1; fi
getent passwd ehttp | grep -q ':/var/lib/ehttp:' || { echo "inside: no user ehttp"; exit 1; }
for d in /var/lib/ehttp /var/log/ehttp; do
	[ "$(stat -c '%U %a' $d)" = "ehttp 750" ] || { echo "inside: $d is $(stat -c '%U %a' $d)"; exit 1; }
done
[ -L /etc/systemd/system/multi-user.target.wants/ehttp-sited.service ] ||
    { echo "inside: ehttp-sited.service is not enabled"; exit 1; }

# The administrator's first steps, as the service's user (umask of the units).
as_ehttp() { runuser -u ehttp -- sh -c "umask 077; cd /var/lib/ehttp; $*"; }
as_ehttp "ehttpctl --db /var/lib/ehttp/site.db init --demo" >/dev/null
as_ehttp "ehttpctl --db /var/lib/ehttp/site.db site set P01 --enhanced-http on" >/dev/null 2>&1
for f in /var/lib/ehttp/site.db /var/lib/ehttp/site.db.master-key; do
	[ "$(stat -c '%U %a' $f)" = "ehttp 600" ] || { echo "inside: $f is $(stat -c '%U %a' $f)"; exit 1; }
done

# A unit's ExecStart and Environment, %i being INSTANCE and the options
# variable OPTS: the command as systemd would run it.
unit_cmd() { # unit instance opts
	env=$(sed -n 's/^Environment=//p' "/lib/systemd/system/$1")
	cmd=$(sed -n 's/^ExecStart=//p' "/lib/systemd/system/$1" |
	    sed -e "s|%i|$2|g" -e "s|\$EHTTP_[A-Z]*_OPTS|$3|")
	echo "env $env $cmd"
}
# The logs folders systemd makes (LogsDirectory=).
install -d -o ehttp -g ehttp -m 0750 /var/log/ehttp/mp2.p01.contoso.com
# The site server as its unit runs it: a pass at start, another on SIGHUP
# (ExecReload), a clean stop on SIGTERM.
wait_for() { # seconds command...: until the command succeeds
	n=$(($1 * 5)); shift
	while ! "$@"; do
		n=$((n - 1)); [ $n -gt 0 ] || return 1
		sleep 0.2
	done
}
sited=$(unit_cmd ehttp-sited.service "" "")
as_ehttp "exec $sited" >/tmp/sited.out 2>&1 &
spid=$!
daemons="$daemons $spid"
wait_for 30 test -s /var/log/ehttp/certmgr.log ||
    { cat /tmp/sited.out; echo "inside: no certmgr.log"; exit 1; }
pass() { grep -q "LOG\[Pass $1: .* certificates checked" /var/log/ehttp/certmgr.log; }
wait_for 30 pass 1 || { cat /tmp/sited.out; echo "inside: no first pass"; exit 1; }
# $MAINPID, as systemd knows it: the program's own (runuser is between).
main=$(cat /var/lib/ehttp/ehttp-sited.pid)
kill -HUP "$main"
wait_for 30 pass 2 || { cat /tmp/sited.out; echo "inside: SIGHUP made no pass"; exit 1; }
kill -TERM "$main"
src=0; wait $spid || src=$?
[ $src -eq 0 ] || { cat /tmp/sited.out; echo "inside: the site server stopped with $src"; exit 1; }

agent=$(unit_cmd ehttp-agent@.service mp2.p01.contoso.com \
    "--https 127.0.0.1:$port --http 127.0.0.1:$((port + 1)) --check 1")
as_ehttp "exec $agent" >/tmp/agent.out 2>&1 &
apid=$!
daemons="$daemons $apid"
rootid=$(as_ehttp "ehttpctl --db /var/lib/ehttp/site.db cert list --json" |
    python3 -c 'import json, sys
print([c["id"] for c in json.load(sys.stdin)
       if c["type"] == "root" and c["site"] == "P01"][0])')
as_ehttp "ehttpctl --db /var/lib/ehttp/site.db cert export $rootid" >/tmp/root.pem
i=0
until curl -sS --max-time 5 --cacert /tmp/root.pem \
    --resolve "mp2.p01.contoso.com:$port:127.0.0.1" \
    "https://mp2.p01.contoso.com:$port/SMS_MP/.sms_aut?MPCERT" >/tmp/mpcert 2>/tmp/curl.err; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 $apid 2>/dev/null; then
		cat /tmp/curl.err /tmp/agent.out
		echo "inside: the agent did not serve its certificate"
		exit 1
	fi
	sleep 0.2
done
cmp -s /tmp/mpcert /tmp/root.pem || { echo "inside: MPCERT is not the site's root"; exit 1; }
kill "$(cat /var/lib/ehttp/ehttp-mpd-mp2.p01.contoso.com.pid)"
arc=0; wait $apid || arc=$?
[ $arc -eq 0 ] || { cat /tmp/agent.out; echo "inside: the agent stopped with $arc"; exit 1; }
[ "$(stat -c %U /var/log/ehttp/mp2.p01.contoso.com/mpcontrol.log)" = ehttp ] ||
    { echo "inside: mpcontrol.log is not the agent's"; exit 1; }
man -P cat ehttpctl 2>/dev/null | grep -q 'ehttpctl' || { echo "inside: man ehttpctl shows nothing"; exit 1; }

dpkg -r ehttp >/dev/null 2>&1 || { echo "inside: dpkg -r failed"; exit 1; }
for f in /usr/bin/ehttpctl /usr/sbin/ehttp-mpd /lib/systemd/system/ehttp-sited.service; do
	[ ! -e $f ] || { echo "inside: $f left after dpkg -r"; exit 1; }
done
dpkg -P ehttp >/dev/null 2>&1 || { echo "inside: dpkg -P failed"; exit 1; }
[ ! -e /var/log/ehttp ] || { echo "inside: logs left after purge"; exit 1; }
[ -f /var/lib/ehttp/site.db ] || { echo "inside: purge removed the site database"; exit 1; }
echo "inside: installed, demo made, P01 issued, site server pass, agent served MPCERT, removed, purged"
EOF
unshare --mount --propagation private sh -c '
	set -e
	w=$1 root=$2 port=$3
	mount -t overlay overlay -o "lowerdir=/,upperdir=$w/upper,workdir=$w/ovlwork" "$root" ||
	    { echo "install: skipped: cannot mount an overlay of / here"; exit 3; }
	mount --rbind /proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount --rbind /sys "$root/sys"
	mount -t tmpfs tmpfs "$root/tmp"
	mount -t tmpfs tmpfs "$root/run"
	cp "$w/upper.deb" "$root/tmp/ehttp.deb"
	cp "$w/inside.sh" "$root/tmp/inside.sh"
	exec chroot "$root" sh /tmp/inside.sh "$port" /tmp/ehttp.deb
' sh "$work" "$root" "$port" >"$work/inside.out" 2>&1 || {
	rc=$?
	cat "$work/inside.out"
	[ $rc -eq 3 ] && { echo "deb: ok"; exit 0; }
	echo "deb: installing the package failed ($rc)"
	exit 1
}
cat "$work/inside.out"
[ "$(getent passwd ehttp || true)" = "$user_before" ] ||
    { echo "deb: the machine itself changed (user ehttp)"; exit 1; }
[ ! -e /usr/bin/ehttpctl ] || [ -n "$ctl_before" ] ||
    { echo "deb: the machine itself changed (/usr/bin/ehttpctl)"; exit 1; }
echo "deb: ok"
