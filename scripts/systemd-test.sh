#!/bin/sh
# The Debian package under a real systemd: a clean Debian 12 (debootstrap
# --variant=minbase, kept in BASE and reused) gets the package with
# `apt-get install ./ehttp_*.deb`, then boots in systemd-nspawn (its own
# network namespace) and, as a unit of that system, runs what an
# administrator does: the site database made as the user ehttp,
# ehttp-sited.service started and reloaded, ehttp-agent@FQDN.service
# started on ports 443 and 80, curl fetching the site's root from it over
# TLS; each daemon checked to run as ehttp with only the capabilities and
# sandbox its unit gives (from /proc), stopped cleanly, and nothing in the
# journal about a refused system call.
# usage: systemd-test.sh SRCDIR WORKDIR [BASE]   (DEB_MIRROR: the mirror)
# Needs debootstrap, systemd-nspawn (scripts/deps.sh systemd) and, the
# first time, the mirror.
set -eu
src=$(cd "$1" && pwd) work=$2
base=${3:-$work/base}
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [ ! -e "$base/.ehttp-base" ]; then
	echo "systemd-test: a Debian 12 base in $base (debootstrap, once)"
	rm -rf "$base"
	if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,python3 \
	    bookworm "$base" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -n 20 "$work/debootstrap.log"
		if grep -q 'Failure trying to run\|Couldn.t download\|Failed getting release file' \
		    "$work/debootstrap.log"; then
			echo "systemd-test: skipped: cannot fetch Debian from $mirror"
			exit 0
		fi
		echo "systemd-test: debootstrap failed"; exit 1
	fi
	touch "$base/.ehttp-base"
fi

if [ -z "${EHTTP_SYSTEMD_NS:-}" ]; then
	deb=$(sh "$src/scripts/build-deb.sh" "$src" "$work/deb")
	echo "systemd-test: built $(basename "$deb")"
else
	deb=$4
fi

root=$work/root
rm -rf "$work/upper" "$work/ovl"
mkdir -p "$work/upper" "$work/ovl" "$root"
# The rest in a mount namespace of its own: the overlay goes with it, even
# when this script is killed.
if [ -z "${EHTTP_SYSTEMD_NS:-}" ]; then
	EHTTP_SYSTEMD_NS=1 exec unshare --mount --propagation private \
	    sh "$0" "$src" "$work" "$base" "$deb"
fi
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/ovl" "$root"

# The package, installed the administrator's way (its dependencies from
# the mirror), in the chroot before it boots.
cp "$deb" "$root/tmp/ehttp.deb"
cp "$deb" "$root/root/ehttp.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
chroot "$root" sh -c 'apt-get update -qq && apt-get install -y -qq /tmp/ehttp.deb' \
    >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; echo "systemd-test: apt-get install failed"; exit 1; }
echo "systemd-test: installed with apt-get: $(grep -c '^Unpacking\|^Setting up' "$work/apt.log") steps"

cat >"$root/root/ehttp-test.sh" <<'EOF'
#!/bin/sh
# Run at boot by ehttp-test.service; its output in /root/result.
exec >/root/result 2>&1
set -u
fail() { echo "FAIL: $*"; journalctl --no-pager -n 40; systemctl poweroff; exit 1; }
wait_for() { # seconds command...
	n=$(($1 * 5)); shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1)); [ $n -gt 0 ] || return 1
		sleep 0.2
	done
}
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | awk '{ print $1 }'; }
as_ehttp() { runuser -u ehttp -- "$@"; }
db=/var/lib/ehttp/site.db

[ "$(systemctl is-enabled ehttp-sited.service)" = enabled ] || fail "ehttp-sited.service is not enabled"
[ "$(systemctl show -P ConditionResult ehttp-sited.service)" = no ] ||
    fail "ehttp-sited.service ran without a site database"
systemctl start ehttp-agent@mp2.p01.contoso.com.service
[ "$(systemctl show -P ConditionResult ehttp-agent@mp2.p01.contoso.com.service)" = no ] ||
    fail "an agent ran without a site database or configuration"
echo "ok: ehttp-sited.service enabled; it and an agent wait for the database"

as_ehttp ehttpctl --db $db init --demo >/dev/null || fail "init --demo"
as_ehttp ehttpctl --db $db site set P01 --enhanced-http on >/dev/null 2>&1 || fail "site set"
systemctl start ehttp-sited.service || fail "start ehttp-sited"
pass() { grep -q "LOG\[Pass $1: .* certificates checked" /var/log/ehttp/certmgr.log; }
wait_for 30 pass 1 || fail "no first pass in certmgr.log"
pid=$(systemctl show -P MainPID ehttp-sited.service)
uid=$(id -u ehttp)
[ "$(status "$pid" Uid)" = "$uid" ] || fail "ehttp-sited runs as uid $(status "$pid" Uid)"
[ "$(status "$pid" CapEff)" = 0000000000000000 ] || fail "ehttp-sited CapEff $(status "$pid" CapEff)"
[ "$(status "$pid" NoNewPrivs)" = 1 ] || fail "ehttp-sited may gain privileges"
[ "$(status "$pid" Seccomp)" = 2 ] || fail "ehttp-sited has no system-call filter"
systemctl reload ehttp-sited.service || fail "reload ehttp-sited"
wait_for 30 pass 2 || fail "reload made no pass"
echo "ok: ehttp-sited as ehttp (uid $uid), no capabilities, no new privileges, seccomp; reload made pass 2"

fqdn=mp2.p01.contoso.com
mkdir -p /etc/ehttp
echo 'EHTTP_AGENT_OPTS=--check 2 --poll 5' >/etc/ehttp/agent-$fqdn.conf
systemctl enable ehttp-agent@$fqdn.service >/dev/null 2>&1 || fail "enable the agent"
[ -L /etc/systemd/system/multi-user.target.wants/ehttp-agent@$fqdn.service ] ||
    fail "the agent is not enabled"
systemctl start ehttp-agent@$fqdn.service || fail "start the agent"
[ "$(systemctl is-active ehttp-agents.target)" = active ] || fail "the agent does not hold ehttp-agents.target up"
rootid=$(as_ehttp ehttpctl --db $db cert list --json | python3 -c 'import json, sys
print([c["id"] for c in json.load(sys.stdin)
       if c["type"] == "root" and c["site"] == "P01"][0])')
as_ehttp ehttpctl --db $db cert export "$rootid" >/tmp/root.pem || fail "cert export"
fetch() { curl -sS --max-time 5 --cacert /tmp/root.pem --resolve "$fqdn:443:127.0.0.1" \
    "https://$fqdn/SMS_MP/.sms_aut?MPCERT" >/tmp/mpcert; }
wait_for 30 fetch || fail "curl could not fetch MPCERT over TLS on port 443"
cmp -s /tmp/mpcert /tmp/root.pem || fail "MPCERT is not the site's root"
curl -sS --max-time 5 "http://127.0.0.1/SMS_MP/.sms_aut?MPLIST" | grep -q "$fqdn" ||
    fail "MPLIST on port 80 does not name $fqdn"
apid=$(systemctl show -P MainPID ehttp-agent@$fqdn.service)
[ "$(status "$apid" Uid)" = "$uid" ] || fail "the agent runs as uid $(status "$apid" Uid)"
[ "$(status "$apid" CapEff)" = 0000000000000400 ] || fail "the agent CapEff $(status "$apid" CapEff)"
[ "$(status "$apid" CapBnd)" = 0000000000000400 ] || fail "the agent CapBnd $(status "$apid" CapBnd)"
[ "$(status "$apid" Seccomp)" = 2 ] || fail "the agent has no system-call filter"
log=/var/log/ehttp/$fqdn/mpcontrol.log
[ "$(stat -c '%U %a' "$log")" = "ehttp 600" ] || fail "$log is $(stat -c '%U %a' "$log")"
echo "ok: the agent as ehttp on 443 and 80 with CAP_NET_BIND_SERVICE only, seccomp; curl verified MPCERT; $log ehttp 600"
lines=$(wc -l <"$log")
systemctl reload ehttp-agent@$fqdn.service || fail "reload the agent"
grows() { [ "$(wc -l <"$log")" -gt "$lines" ]; }
wait_for 30 grows || fail "the agent's reload wrote nothing"
sleep 5		# a few health checks, every 2 s
systemctl stop ehttp-sited.service
[ "$(systemctl show -P Result ehttp-sited.service)" = success ] ||
    fail "ehttp-sited: Result $(systemctl show -P Result ehttp-sited.service)"
[ "$(systemctl show -P ExecMainStatus ehttp-sited.service)" = 0 ] ||
    fail "ehttp-sited: exit $(systemctl show -P ExecMainStatus ehttp-sited.service)"
echo "ok: ehttp-sited stopped cleanly (Result success, exit 0)"
# An upgrade (the same package again) restarts the agents through their
# target.
systemctl show -P InvocationID ehttp-agent@$fqdn.service >/tmp/inv1
dpkg -i /root/ehttp.deb >/tmp/upgrade.out 2>&1 || { cat /tmp/upgrade.out; fail "dpkg -i again"; }
systemctl show -P InvocationID ehttp-agent@$fqdn.service >/tmp/inv2
[ "$(systemctl is-active ehttp-agent@$fqdn.service)" = active ] || fail "the agent is not running after the upgrade"
cmp -s /tmp/inv1 /tmp/inv2 && fail "the upgrade did not restart the agent"
wait_for 30 fetch || fail "the upgraded agent does not serve MPCERT"
echo "ok: an upgrade restarted the agent (ehttp-agents.target), which serves again"
# Removing the package stops the agents (their target) and keeps the data.
dpkg -r ehttp >/tmp/remove.out 2>&1 || { cat /tmp/remove.out; fail "dpkg -r"; }
[ "$(systemctl is-active ehttp-agent@$fqdn.service)" != active ] || fail "the agent runs after dpkg -r"
u=ehttp-agent@$fqdn.service
[ "$(systemctl show -P Result $u)" = success ] || fail "$u: Result $(systemctl show -P Result $u)"
[ "$(systemctl show -P ExecMainStatus $u)" = 0 ] || fail "$u: exit $(systemctl show -P ExecMainStatus $u)"
[ -f /var/lib/ehttp/site.db ] || fail "dpkg -r removed the database"
echo "ok: dpkg -r stopped the agent (exit 0); the database stays"
if journalctl --no-pager -b -u ehttp-sited.service -u "ehttp-agent@*" | grep -i 'seccomp\|bad system call\|operation not permitted\|permission denied'; then
	fail "the journal says something was refused"
fi
if grep 'type="[23]"' "$log"; then fail "the agent logged warnings or errors"; fi
checks=$(grep -c 'HttpSendRequestSync succeeded for port 443 with status code 200' "$log")
[ "$checks" -ge 2 ] || fail "$checks health checks succeeded, not 2 or more"
echo "ok: $checks health checks over TLS succeeded under the sandbox; no warning or error in mpcontrol.log"
echo "ok: no system call refused (refusals kill here)"
echo "systemd-test: all ok"
systemctl poweroff
EOF
# A system call the filter refuses kills the daemon here (SIGSYS) instead of
# failing with EPERM, which a program may swallow: any refusal shows.
for u in ehttp-sited.service ehttp-agent@.service; do
	mkdir -p "$root/etc/systemd/system/$u.d"
	printf '[Service]\nSystemCallErrorNumber=\n' >"$root/etc/systemd/system/$u.d/fatal.conf"
done

cat >"$root/etc/systemd/system/ehttp-test.service" <<'EOF'
[Unit]
Description=ehttp's package test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh /root/ehttp-test.sh
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/ehttp-test.service \
    "$root/etc/systemd/system/multi-user.target.wants/ehttp-test.service"

echo "systemd-test: booting (systemd-nspawn, private network)"
timeout -k 10 300 systemd-nspawn -D "$root" --boot --register=no --keep-unit \
    --private-network --console=passive -M ehttp-test >"$work/boot.log" 2>&1 || true
if [ ! -f "$root/root/result" ]; then
	tail -n 30 "$work/boot.log"
	if ! grep -q 'Reached target' "$work/boot.log"; then
		echo "systemd-test: skipped: systemd-nspawn cannot boot a container here"
		exit 0
	fi
	echo "systemd-test: the test did not run in the container"
	exit 1
fi
cat "$root/root/result"
grep -q '^systemd-test: all ok$' "$root/root/result"
