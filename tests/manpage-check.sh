#!/bin/sh
# Check a program's manual page against the program.
# usage: manpage-check.sh PROGRAM PAGE
#   1. mandoc -Tlint reports nothing (any level: style, warning, error);
#   2. every long option the program's --help prints (for ehttpctl: its
#      own and every command's) is an option of the page (an Fl macro),
#      and every Fl option of the page is one the program prints; for
#      ehttpctl also command by command (tests/manpage-commands.py).
# Options of other programs (curl, openssl) in the page are written
# literally (Bd -literal, Cm), never with Fl, so they do not count.
# Exit 0: the page agrees; 1: it does not (the differences on stdout).
set -eu
prog=$1 page=$2
name=$(basename "$prog")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

rc=0
# Whether a page named by Xr is found depends on the pages this machine has
# installed and on its mandoc.db, not on the page: those lines are left out.
mandoc -Tlint -Wstyle "$page" >"$tmp/lint.all" 2>&1 || true
grep -v -e 'STYLE: referenced manual not found: Xr ' -e ': outdated mandoc.db ' \
    "$tmp/lint.all" >"$tmp/lint" || true
if [ -s "$tmp/lint" ]; then
	echo "$name: mandoc -Tlint reports:"
	cat "$tmp/lint"
	rc=1
fi

# What --help prints. EHTTP_DB is set so that the defaults the program
# prints do not depend on who runs the test.
EHTTP_DB=/nonexistent/site.db "$prog" --help >"$tmp/help" 2>&1 || true
if [ "$name" = ehttpctl ]; then
	# The commands: the first word of each command's line under
	# "Commands:" (two spaces, then the name; a folded description's
	# lines begin with more), and the second too when it is not the
	# start of the description.
	sed -n '/^Commands:/,/^Options:/p' "$tmp/help" | grep '^  [^ ]' |
	    awk 'NF >= 2 {
		if ($2 ~ /^[a-z]/) print $1 " " $2; else print $1 }' >"$tmp/cmds.list"
	while read -r cmd; do
		# shellcheck disable=SC2086 # the command is one or two words
		EHTTP_DB=/nonexistent/site.db "$prog" $cmd --help >>"$tmp/help" 2>&1 || true
	done <"$tmp/cmds.list"
fi
# A program's help may name another's options ("ehttpctl site set CODE
# --renew-days N", "ehttp-mpd --enroll", across a line break): those are
# not its own.
others=$(printf '%s\n' ehttpctl ehttp-console ehttp-mpd ehttp-sited ehttp-client |
    grep -vx "$name" | paste -sd '|')
tr '\n' ' ' <"$tmp/help" |
    sed -E "s/(^|[^a-z-])($others)( +[A-Za-z][A-Za-z0-9_.-]*| +--[a-z][a-z0-9-]*)*/\1/g" \
    >"$tmp/help.own"
mv "$tmp/help.own" "$tmp/help"
grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/help.opts"

# The page's options: "Fl -name" anywhere on a macro line (Op Fl, It Fl,
# Fl after other macros), and further "Fl -b" on the same line ("Fl -a
# | Fl -b" or ".Fl -a Fl -b").
grep '^\.' "$page" | grep -o 'Fl -[a-z][a-z0-9-]*' |
    sed 's/^Fl -/--/' | sort -u >"$tmp/page.opts"

if [ ! -s "$tmp/help.opts" ]; then
	echo "$name: --help printed no options"
	rc=1
fi
missing=$(comm -23 "$tmp/help.opts" "$tmp/page.opts")
extra=$(comm -13 "$tmp/help.opts" "$tmp/page.opts")
if [ -n "$missing" ]; then
	echo "$name: in --help, not in $page:" $missing
	rc=1
fi
if [ -n "$extra" ]; then
	echo "$name: in $page, not in --help:" $extra
	rc=1
fi
# ehttpctl: the same command by command (an option under the wrong
# command's item would pass the check above).
if [ "$name" = ehttpctl ]; then
	python3 "$(dirname "$0")/manpage-commands.py" "$prog" "$page" "$tmp/cmds.list" \
	    >"$tmp/cmds" 2>&1 || {
		rc=1; sed "s/^/$name: /" "$tmp/cmds"; }
fi
[ $rc -eq 0 ] && echo "$name: $(wc -l <"$tmp/page.opts") options agree with $page"
exit $rc
