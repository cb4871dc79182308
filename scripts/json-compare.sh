#!/bin/bash
# Every `ehttpctl --json` command run by two builds on copies of one
# database, stdout, stderr and exit status compared byte for byte. For a
# change that must keep the JSON output as it was (a rewrite of the writer,
# a command moved to another file): build the old tree and the new one,
# then
#   scripts/json-compare.sh OLD_BUILD_DIR NEW_BUILD_DIR
# The database is the demo with enhanced HTTP on in P01 and S01, an agent
# row with its health and events (one ehttp-mpd run on loopback for a few
# seconds), a trusted root CA, a blocked certificate, and text a foreign
# tool could leave: escape sequences, invalid UTF-8, bidi controls, U+FFFD
# in a site name, a status message and an audit row; and CMTrace logs
# (the agent's, a foreign one in UTF-8 and in UTF-16LE), each alone and
# merged; and Error Lookup codes. Commands that
# change the database each run on fresh copies (`cert renew` makes new
# keys, but its JSON names only the certificate renewed).
# A real U+FFFD character written raw by OLD and as \ufffd by NEW is
# reported as such (the one change jansson's writer brought); any other
# difference fails. Prints one line per command; exit 0 when none differ
# otherwise. Needs python3, sqlite3 and openssl.
set -u
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-json-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
B=$work/base
mkdir -p "$B/logs"
chmod 700 "$work" "$B"
db=$B/site.db
O="$old/ehttpctl"
N="$new/ehttpctl"

set -e
"$O" --db "$db" init --demo >/dev/null
"$O" --db "$db" site set P01 --enhanced-http on >/dev/null 2>&1
"$O" --db "$db" site set S01 --enhanced-http on >/dev/null 2>&1
mp=$("$O" --db "$db" role list --json | python3 -c 'import json, sys
print([r["fqdn"] for r in json.load(sys.stdin) if r["role"] == "mp"][0])')
port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$old/ehttp-mpd" --db "$db" --system "$mp" --https "127.0.0.1:$port" \
    --http "127.0.0.1:$((port + 1))" --log-dir "$B/logs" --poll 1 --check 1 \
    --foreground >"$B/agent.out" 2>&1 &
agent=$!
# Wait for the agent's first health check (a condition, not a time).
for _ in $(seq 1 120); do
	"$O" --db "$db" --json system show "$mp" | grep -q '"health":{' && break
	sleep 0.5
done
kill "$agent"
wait "$agent" || true
sqlite3 "$db" "UPDATE site SET name = CAST(X'45761b5bff2e0a7ae280aeefbfbd22205c2fc285' AS TEXT) WHERE code = 'P02'"
sqlite3 "$db" "INSERT INTO status_message (time, site_id, severity, component, message) SELECT 1700000000, id, 'warning', CAST(X'636f6d701b5b336d' AS TEXT), CAST(X'6d7367ff0908e280a8efbfbdf09f9880' AS TEXT) FROM site WHERE code = 'P01'"
sqlite3 "$db" "INSERT INTO audit (time, user, action, object, detail) VALUES (1700000001, CAST(X'726f6f741b5d30' AS TEXT), 'site set', CAST(X'50ff3031' AS TEXT), CAST(X'64e280aeefbfbd0a' AS TEXT))"
sqlite3 "$db" "UPDATE cert SET blocked = 1 WHERE id = (SELECT max(id) FROM cert WHERE type = 'role')"
python3 - "$B/foreign.log" <<'PY'
import sys
recs = [
 b'<![LOG[plain text]LOG]!><time="14:05:09.123+000" date="11-24-2026" component="Comp" context="" type="1" thread="42" file="a.c:1">\r\n',
 b'<![LOG[esc \x1b[31m red \xff bad \xef\xbf\xbd fffd \xe2\x80\xae bidi "q" \\ back\ttab]LOG]!><time="14:05:10.5-060" date="11-24-2026" component="C\x1bomp" context="ctx" type="2" thread="Empty" file="">\r\n',
 b'<![LOG[no offset\nsecond line]LOG]!><time="14:05:11.1234567" date="11-24-2026" component="Z" context="" type="3" thread="abc" file="">\r\n',
 b'garbage line outside a record\r\n',
 b'<![LOG[broken]LOG]!><time="99:99:99" date="x" component="Q" context="" type="7" thread="1" file="">\r\n',
 b'<![LOG[utf8 \xc3\x9c \xf0\x9f\x98\x80 \xc2\x85]LOG]!><time="23:59:59.999+480" date="12-31-2026" component="U" context="" type="" thread="" file="">\r\n',
]
open(sys.argv[1], 'wb').write(b''.join(recs))
u = ''.join(r.decode('utf-8', 'replace') for r in recs[:3])
open(sys.argv[1] + '.utf16', 'wb').write(b'\xff\xfe' + u.encode('utf-16-le'))
PY
cd "$B"
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \
    -days 3650 -subj "/CN=Contoso Root" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
    -subj "/CN=$mp" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    "$mp" >leaf.ext
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -out leaf.pem -days 365 -sha256 -extfile leaf.ext 2>/dev/null
root_tp=$(openssl x509 -in root.pem -noout -fingerprint -sha1 |
    sed 's/.*=//; s/://g')
"$O" --db "$db" site trusted-root add S01 root.pem >/dev/null
set +e

# OLD NEW: 0 same, 1 only raw U+FFFD -> \ufffd, 2 other.
classify() {
	python3 - "$1" "$2" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read(); b = open(sys.argv[2], 'rb').read()
i = j = n = 0
while i < len(a) and j < len(b):
    if a[i] == b[j]:
        i += 1; j += 1
    elif a[i:i + 3] == b'\xef\xbf\xbd' and b[j:j + 6] == b'\\ufffd':
        i += 3; j += 6; n += 1
    else:
        print('  first difference at byte %d:\n  old %r\n  new %r' % (i,
            a[max(0, i - 60):i + 60], b[max(0, j - 60):j + 60]))
        sys.exit(2)
if i != len(a) or j != len(b):
    print('  lengths differ after byte %d' % i); sys.exit(2)
sys.exit(1 if n else 0)
PY
}

same=0 fffd=0 differ=0
# run MUTATES ARGS...: MUTATES 1 gives each side a fresh copy of the base.
run() {
	local mut=$1 side
	shift
	for side in o n; do
		if [ "$mut" = 1 ] || [ ! -d "$work/$side" ]; then
			rm -rf "${work:?}/$side"
			mkdir "$work/$side"
			cp "$db" "$db.master-key" "$work/$side/"
		fi
	done
	"$O" --db "$work/o/site.db" --json "$@" >"$work/o.out" 2>"$work/o.err"
	echo "exit $?" >>"$work/o.err"
	"$N" --db "$work/n/site.db" --json "$@" >"$work/n.out" 2>"$work/n.err"
	echo "exit $?" >>"$work/n.err"
	sed -i "s|$work/[on]/|DIR/|g" "$work/o.err" "$work/n.err"
	if ! cmp -s "$work/o.err" "$work/n.err"; then
		differ=$((differ + 1))
		echo "DIFFER (stderr or exit status) $*"
		diff "$work/o.err" "$work/n.err" | sed 's/^/  /'
		return
	fi
	classify "$work/o.out" "$work/n.out" >"$work/why"
	case $? in
	0)	same=$((same + 1))
		printf 'same  %6d bytes  %s\n' "$(wc -c <"$work/o.out")" "$*" ;;
	1)	fffd=$((fffd + 1))
		printf 'fffd  %6d bytes  %s (U+FFFD written \\ufffd)\n' \
		    "$(wc -c <"$work/o.out")" "$*" ;;
	*)	differ=$((differ + 1))
		echo "DIFFER $*"
		cat "$work/why" ;;
	esac
}

ids=$(sqlite3 "$db" "SELECT id FROM cert ORDER BY id")
blocked=$(sqlite3 "$db" "SELECT id FROM cert WHERE blocked = 1 LIMIT 1")
fqdns=$(sqlite3 "$db" "SELECT fqdn FROM site_system ORDER BY id")
sites=$(sqlite3 "$db" "SELECT code FROM site ORDER BY id")
run 0 site list
for s in $sites; do
	run 0 site show "$s"
	run 0 site trusted-root list "$s"
	run 0 status --site "$s" --limit 0
	run 0 cert list --site "$s"
done
run 0 system list
for f in $fqdns; do
	run 0 system show "$f"
	run 0 role list "$f"
	run 0 cert list --system "$f"
done
run 0 role list
run 0 role list --site P01
run 0 status --limit 0
run 0 status
run 0 audit --limit 0
run 0 audit
run 0 cert list
for o in "--type root" "--type role" "--type pki" "--blocked" "--active" \
    "--expiring 400" "--grep mp" "--sort issued-to --desc" "--sort site" \
    "--sort thumbprint" "--limit 2"; do
	# shellcheck disable=SC2086
	run 0 cert list $o
done
for i in $ids; do run 0 cert show "$i"; done
run 0 cert show 999
run 0 site show ZZZ
run 0 system show nosuch.example
for l in "$B/logs/mpcontrol.log" "$B/foreign.log" "$B/foreign.log.utf16" \
    /nonexistent.log; do
	run 0 log show "$l"
	for o in "--type info" "--type warning" "--type error" \
	    "--type malformed" "--component comp" "--grep esc"; do
		# shellcheck disable=SC2086
		run 0 log show "$l" $o
	done
done
# Several logs merged: "log" and "log_path" lead each record.
for o in "" "--type warning,error" "--type malformed" "--grep esc"; do
	# shellcheck disable=SC2086
	run 0 log show "$B/logs/mpcontrol.log" "$B/foreign.log" \
	    "$B/foreign.log.utf16" $o
done
run 0 log show "$B/foreign.log" /nonexistent.log
run 0 log lookup 0x80072f8f 12175 80070005 0x00000000 0xC1230001 404 \
    65535 -- -2147012721
run 0 log lookup 0x80072f8f "$(printf 'x\033[1m')"
run 1 site add X01 --name NewSite --type primary --parent CAS
run 1 site add X01 --name "$(printf 'Bad\033[1m\377')" --type secondary \
    --parent P01
run 1 site set P01 --enhanced-http off
run 1 site set P01 --crl-check on
run 1 site set P01 --pki-client-cert on
run 1 system add new.p01.contoso.com --site P01
run 1 system remove "$mp"
run 1 role add s01.contoso.com sup
run 1 role add "$mp" dp --connection http --allow-anonymous yes
run 1 role set dp2.p01.contoso.com dp --allow-anonymous no
run 1 role remove "$mp" mp
run 1 cert block 4
run 1 cert unblock "$blocked"
run 1 site trusted-root add P01 root.pem
run 1 site trusted-root remove S01 "$root_tp"
run 1 cert export 4
run 1 cert export 4 --format der --out "$work/x.der"
run 1 cert import-pki "$mp" leaf.pem leaf.key
for i in 1 4; do
	run 1 cert renew "$i"
done

# init on an empty database, the same path for both.
for side in o n; do
	rm -rf "${work:?}/i"
	mkdir "$work/i"
	bin=$O
	[ $side = n ] && bin=$N
	"$bin" --db "$work/i/site.db" --json init --demo >"$work/init.$side" 2>&1
	echo "exit $?" >>"$work/init.$side"
done
if cmp -s "$work/init.o" "$work/init.n"; then
	same=$((same + 1))
	echo "same  init --demo"
else
	differ=$((differ + 1))
	echo "DIFFER init --demo"
fi

echo "json-compare: $same same, $fffd differ only by U+FFFD written \\ufffd, $differ differ otherwise"
[ "$differ" -eq 0 ]
