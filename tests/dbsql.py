"""The SQL text of db/'s C arrays, as the compiler sees it.

A file is run through the C preprocessor (macros such as SITE_COLS
expanded), then the initializer of an array is read: its entries, each the
concatenation of its string literals, by position or, for designated
initializers ([ST_X] = "..."), by name. Used by tests/pg-dialect.py and
tests/pg-schema-compare.py.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFLAGS = ["-std=c11", "-I" + os.path.join(TOP, "db"),
          "-I" + os.path.join(TOP, "db", "types"),
          "-I" + os.path.join(TOP, "db", "util")]

_TOKEN = re.compile(r'''
    (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<chr>'(?:[^'\\\n]|\\.)*')
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<comma>,)
  | (?P<semi>;)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9]+)
  | (?P<other>\S)
''', re.X)

_ESC = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r",
        "0": "\0"}


def _unquote(lit):
    body = lit[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)),
                  body)


def preprocess(path, cc="cc"):
    """The file after the preprocessor, without line markers."""
    out = subprocess.run([cc, "-E", "-P"] + CFLAGS + [path], check=True,
                         capture_output=True, text=True)
    return out.stdout


def array(text, name):
    """The entries of `name`'s initializer: a list of strings, or a dict
    {designator: string} when the entries are designated."""
    m = re.search(r"\b" + re.escape(name) + r"\s*\[[^\]]*\]\s*=\s*\{", text)
    if m is None:
        raise LookupError("no array %s" % name)
    pos, depth = m.end(), 1
    entries, cur, key = [], [], None
    named = {}
    for t in _TOKEN.finditer(text, pos):
        kind, val = t.lastgroup, t.group()
        if kind == "open":
            if val == "[" and depth == 1 and not cur:
                key = ""
                depth += 1
                continue
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 1 and val == "]" and key is not None:
                continue
            if depth == 0:
                break
        elif kind in ("word", "num") and key == "" and depth == 2:
            key = val
            continue
        elif kind == "comma" and depth == 1:
            _add(entries, named, key, cur)
            cur, key = [], None
            continue
        elif kind == "str" and depth == 1:
            cur.append(_unquote(val))
            continue
        elif kind == "other" and val == "=" and depth == 1:
            continue
        elif kind == "word" and val == "NULL" and depth == 1 and not cur:
            continue            # an array's terminator
        if depth >= 1 and kind != "str":
            cur.append(None)    # not a plain string: refuse below
    _add(entries, named, key, cur)
    return named if named else entries


def _add(entries, named, key, cur):
    if not cur:
        return
    if None in cur:
        raise ValueError("entry %s is not only string literals" % key)
    if key:
        named[key] = "".join(cur)
    else:
        entries.append("".join(cur))


def enum(text, name):
    """The names of `enum name`, in order (no explicit values expected)."""
    m = re.search(r"\benum\s+" + re.escape(name) + r"\s*\{([^}]*)\}", text)
    if m is None:
        raise LookupError("no enum %s" % name)
    return [w.strip() for w in m.group(1).split(",") if w.strip()]


def find_array(name, pattern="db/*.c"):
    """(file, preprocessed text) of the db/ file that defines `name`."""
    for path in sorted(glob.glob(os.path.join(TOP, pattern))):
        with open(path) as f:
            if re.search(r"\b" + re.escape(name) + r"\s*\[[^\]]*\]\s*=",
                         f.read()):
                return path, preprocess(path)
    raise LookupError("no file of %s defines %s" % (pattern, name))


def stmt_sql():
    """{ST_X: sql} of the common statement table, and the enum's order."""
    path, text = find_array("stmt_sql")
    return array(text, "stmt_sql"), enum(text, "db_stmt"), path


def migrations():
    path, text = find_array("migrations")
    return array(text, "migrations")


def pg_schema():
    """The statements that make a new PostgreSQL database, as the engine
    runs them: pg_schema (at PG_SCHEMA_VERSION), then each later migration
    (pg_migrations' text, else db.c's), then the version."""
    # The array ends in NULL, which the preprocessor spelt out.
    text = preprocess(os.path.join(TOP, "db", "pg", "pg-schema.c"))
    stmts = array(text.replace("((void *)0)", "NULL"), "pg_schema")
    with open(os.path.join(TOP, "db", "pg", "pg-sql.h")) as f:
        base = int(re.search(r"#define\s+PG_SCHEMA_VERSION\s+(\d+)",
                             f.read()).group(1))
    try:
        own = array(text, "pg_migrations")
    except LookupError:
        own = {}
    common = migrations()
    for v in range(base, len(common)):
        stmts.append(own.get(str(v), common[v]) if isinstance(own, dict)
                     else common[v])
    if len(common) > base:
        stmts.append("UPDATE ehttp_schema SET version = %d" % len(common))
    return stmts


def pg_stmt_sql():
    path = os.path.join(TOP, "db", "pg", "pg-sql.c")
    if not os.path.exists(path):
        return {}
    got = array(preprocess(path), "pg_stmt_sql")
    return got if isinstance(got, dict) else {}


def numbered_to_dollar(sql):
    """?N -> $N outside string literals and quoted names (what the
    PostgreSQL engine does)."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif c == "?" and i + 1 < n and sql[i + 1].isdigit():
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            out.append("$" + sql[i + 1:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def psql_bin():
    """psql: the newest /usr/lib/postgresql/*/bin (Debian keeps it there),
    else PATH's; exits with a message when there is none."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: int(re.sub(r"\D", "", p) or 0),
                    reverse=True):
        if os.access(os.path.join(d, "psql"), os.X_OK):
            return os.path.join(d, "psql")
    p = shutil.which("psql")
    if p is None:
        sys.exit("%s: no psql: install postgresql (scripts/deps.sh does)"
                 % os.path.basename(sys.argv[0]))
    return p
