#!/bin/sh
# The README's first run, on a machine where the build libraries are not
# installed yet: a copy of the tree as a clean clone has it, a pkg-config
# that finds no module until the package installer has run, and an
# apt-get that records what it was asked to install. `make run` (without a
# terminal: it prints the demo instead of opening the console) and the
# test binary's build must each work at the first try.
# usage: first-run-test.sh SRC_DIR      (prints "first run: ok" on success)
set -eu
src=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ehttp-first-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
real_pc=$(command -v pkg-config)
fake="$work/bin"
mkdir -p "$fake"

# pkg-config: every module is missing until apt-get has "installed" them.
cat >"$fake/pkg-config" <<EOF
#!/bin/sh
[ -e "$work/installed" ] && exec "$real_pc" "\$@"
for a in "\$@"; do case \$a in --version) exec "$real_pc" "\$@" ;; esac; done
echo "Package was not found in the pkg-config search path" >&2
exit 1
EOF
# apt-get: records its arguments; "install" makes the modules appear.
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>"$work/apt.log"
case " \$* " in *" install "*) : >"$work/installed" ;; esac
exit 0
EOF
# sudo (for a non-root run): as is.
printf '#!/bin/sh\nexec "$@"\n' >"$fake/sudo"
chmod 755 "$fake/pkg-config" "$fake/apt-get" "$fake/sudo"

fresh_copy() { # DIR: the files a clone of this tree would have
	mkdir -p "$1"
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 tar cf - 2>/dev/null) | (cd "$1" && tar xf -)
}
fail() { echo "first run: FAIL: $*" >&2; exit 1; }

# 1. make run
fresh_copy "$work/clone"
port=$((20000 + $$ % 20000))
if ! (cd "$work/clone" && PATH="$fake:$PATH" EHTTP_PORT_BASE=$port \
    RUN_DIR="$work/run" make run </dev/null >"$work/run.log" 2>&1); then
	tail -n 20 "$work/run.log" >&2
	fail "make run failed (log above)"
fi
for p in libsqlite3-dev libpq-dev libssl-dev libncurses-dev libevent-dev libjansson-dev; do
	grep -q "installing missing packages:.* $p" "$work/run.log" ||
		fail "deps.sh did not install the missing library $p"
done
grep -q 'install' "$work/apt.log" || fail "apt-get install was not called"
for p in ehttpctl ehttp-mpd ehttp-console; do
	[ -x "$work/clone/build/$p" ] || fail "build/$p was not built"
done
grep -q '^P01 ' "$work/run.log" || fail "make run did not show the demo's sites"

# 2. the test binary, again from nothing installed
rm -f "$work/installed" "$work/apt.log"
fresh_copy "$work/clone2"
if ! (cd "$work/clone2" && PATH="$fake:$PATH" make build/check_all \
    >"$work/test.log" 2>&1); then
	tail -n 20 "$work/test.log" >&2
	fail "building the tests failed (log above)"
fi
[ -x "$work/clone2/build/check_all" ] || fail "build/check_all was not built"
grep -q 'install' "$work/apt.log" || fail "apt-get install was not called"
# 3. deps.sh on a bare machine: no pkg-config, no compiler, no C headers
# (a Debian minbase). Everything must be asked for in one apt-get install.
bare="$work/bare"
mkdir -p "$bare"
for t in sh printf sort tr id cat; do
	ln -s "$(command -v "$t")" "$bare/$t"
done
ln -s "$fake/apt-get" "$bare/apt-get"
ln -s "$fake/sudo" "$bare/sudo"
rm -f "$work/apt.log"
PATH="$bare" DEPS_INCLUDE="$work/no-headers" DEPS_PGLIB="$work/no-pg" \
    sh "$src/scripts/deps.sh" \
    >"$work/bare.log" 2>&1 || { cat "$work/bare.log" >&2; fail "deps.sh failed on a bare machine"; }
for p in pkg-config gcc libc6-dev make libsqlite3-dev libpq-dev postgresql libssl-dev \
    libncurses-dev check libevent-dev libjansson-dev openssl gnutls-bin \
    sqlite3 tmux curl iproute2 python3 python3-cryptography faketime; do
	grep -q "install .* $p\( \|\$\)" "$work/apt.log" ||
		fail "deps.sh on a bare machine did not ask for $p: $(cat "$work/apt.log")"
done
echo "first run: ok"
