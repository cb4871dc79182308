#!/usr/bin/env python3
"""Does PostgreSQL accept db/'s statement table?

usage: pg-dialect.py [-v] URL     (a superuser's postgresql:// URL, e.g.
                                   from tests/pgserver.sh start DIR)

Every entry of stmt_sql[] (the common dialect, read from db/*.c through the
C preprocessor) is PREPAREd, with ?N rewritten to $N as the PostgreSQL
engine does, on a fresh database holding db/pg/pg-schema.c's schema and
the migrations after it (dbsql.pg_schema(): as the engine makes a new
database): first as written, then as the
engine will run it (db/pg/pg-sql.c's pg_stmt_sql[] override where it has
one). PostgreSQL infers each parameter's type; for
the SELECTs the result columns' types are read too (CREATE TEMP TABLE AS
psql's \\gdesc: described, not run). The engine reads results in binary and
every integer as int8, so a column of another type (integer, numeric,
boolean) is reported, as is a parameter inferred as other than bigint,
text or bytea (int4 from "?1 = 0": the engine must then declare its int64
parameters as int8 when it prepares, which is checked too: every statement
PREPAREd again with its integer parameters declared bigint).

Each common statement is also compiled by SQLite (EXPLAIN, on a database
made by db.c's migrations), so a change made to the common table for
PostgreSQL is checked on both engines.

Exits 1 when a statement either engine would run does not compile, or a result
column is neither bigint, text nor bytea; prints "dialect: ok" otherwise.
"""
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbsql  # noqa: E402

READS = {"bigint", "text", "bytea"}


PSQL = dbsql.psql_bin()


def psql(url, script, stop=False):
    """(stdout, stderr) of a psql session running script."""
    args = [PSQL, "-X", "-q", "-A", "-t", "-F", "\x1f", "-d", url, "-f", "-"]
    if stop:
        args[1:1] = ["-v", "ON_ERROR_STOP=1", "--single-transaction"]
    r = subprocess.run(args, input=script, capture_output=True, text=True)
    if stop and r.returncode != 0:
        sys.exit("pg-dialect: psql: " + r.stderr)
    return r.stdout, r.stderr


def marked(text, n):
    """Per mark @@i (i < n) in text: the lines after it, joined."""
    out = [""] * n
    cur = None
    for line in text.splitlines():
        m = re.fullmatch(r"@@(\d+)", line)
        if m:
            cur = int(m.group(1))
        elif cur is not None:
            out[cur] += line + "\n"
    return out


def prepare_all(url, stmts):
    """Per statement: None or PREPARE's error; and the inferred parameter
    types and, for a SELECT, result column types."""
    n = len(stmts)
    script = "".join("\\warn @@%d\nPREPARE p%d AS %s;\n"
                     % (i, i, dbsql.numbered_to_dollar(s))
                     for i, s in enumerate(stmts))
    script += ("SELECT substr(name, 2), array_to_string(parameter_types,"
               " ',') FROM pg_prepared_statements;\n")
    out, err = psql(url, script)
    errs = [None] * n
    for i, e in enumerate(marked(err, n)):
        m = re.search(r"ERROR:\s*(.*)", e)
        if m:
            errs[i] = m.group(1).strip()
    params = {}
    for line in out.splitlines():
        i, types = line.split("\x1f")
        params[int(i)] = types.split(",") if types else []
    # The result columns (psql's \gdesc: described, not run).
    script = "".join("\\echo @@%d\n%s\n\\gdesc\n"
                     % (i, dbsql.numbered_to_dollar(s))
                     for i, s in enumerate(stmts) if errs[i] is None)
    out, err = psql(url, script)
    if "ERROR" in err:
        sys.exit("pg-dialect: reading result types: " + err)
    results = {}
    for i, text in enumerate(marked(out, n)):
        results[i] = [line.split("\x1f")[1] for line in text.splitlines()
                      if "\x1f" in line]
    # As the engine binds: every integer as int8 (declared, not inferred).
    typed = {i: ["bigint" if t in ("integer", "smallint") else t
                 for t in params[i]] for i in params}
    script = "".join("\\warn @@%d\nPREPARE q%d (%s) AS %s;\n"
                     % (i, i, ", ".join(typed[i]),
                        dbsql.numbered_to_dollar(stmts[i]))
                     for i in sorted(typed) if typed[i])
    _, err = psql(url, script)
    terrs = [None] * n
    for i, e in enumerate(marked(err, n)):
        m = re.search(r"ERROR:\s*(.*)", e)
        if m:
            terrs[i] = m.group(1).strip()
    return errs, params, results, terrs


def sqlite_errors(stmts):
    """Per statement: None or the error SQLite gives compiling it (EXPLAIN:
    compiled, not run) on a database made by db.c's migrations."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    for m in dbsql.migrations():
        db.executescript("BEGIN;" + m + ";COMMIT;")
    out = []
    for s in stmts:
        n = max([int(x) for x in re.findall(r"\?(\d+)", s)] or [0])
        try:
            db.execute("EXPLAIN " + s, [None] * n).fetchall()
            out.append(None)
        except sqlite3.Error as e:
            out.append(str(e))
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = len(args) != len(sys.argv) - 1
    if len(args) != 1:
        sys.exit("usage: pg-dialect.py [-v] postgresql://...")
    url = args[0]
    common, order, path = dbsql.stmt_sql()
    names = [n for n in order if n != "ST_MAX"]
    missing = [n for n in names if n not in common]
    if missing:
        sys.exit("pg-dialect: no SQL for %s in %s" % (missing, path))
    over = dbsql.pg_stmt_sql()
    bad_over = sorted(set(over) - set(names))
    if bad_over:
        sys.exit("pg-dialect: pg_stmt_sql names no statement: %s" % bad_over)

    db = "ehttp_dialect_%d" % os.getpid()
    psql(url, "CREATE DATABASE %s;\n" % db, stop=False)
    u = urllib.parse.urlsplit(url)
    dburl = urllib.parse.urlunsplit(u._replace(path="/" + db))
    failed = False
    try:
        psql(dburl, "".join(s + ";\n" for s in dbsql.pg_schema()),
             stop=True)
        cerrs = prepare_all(dburl, [common[n] for n in names])[0]
        run = [over.get(n, common[n]) for n in names]
        errs, params, results, terrs = prepare_all(dburl, run)
    finally:
        psql(url, "DROP DATABASE IF EXISTS %s;\n" % db)

    for n, e in zip(names, sqlite_errors([common[n] for n in names])):
        if e is not None:
            failed = True
            print("FAIL %s on SQLite: %s" % (n, e))
    ok = sum(e is None for e in cerrs)
    print("dialect: %d of %d statements PREPARE unchanged on PostgreSQL"
          % (ok, len(names)))
    for n, e in zip(names, cerrs):
        if e is not None:
            print("  common %s: %s%s" % (n, e, " (overridden)"
                                         if n in over else ""))
    for n in sorted(over):
        i = names.index(n)
        if cerrs[i] is None:
            print("  override %s: the common text PREPAREs too" % n)
    for n, e in zip(names, errs):
        if e is not None:
            failed = True
            print("FAIL %s: %s\n  %s" % (n, e, run[names.index(n)]))
    for n, e in zip(names, terrs):
        if e is not None:
            failed = True
            print("FAIL %s with its integer parameters as bigint: %s"
                  % (n, e))
    for i, n in enumerate(names):
        odd = ["%d:%s" % (k + 1, t) for k, t in enumerate(results.get(i, []))
               if t not in READS]
        if odd:
            failed = True
            print("FAIL %s: result columns not bigint/text/bytea: %s"
                  % (n, " ".join(odd)))
        p = ["$%d:%s" % (k + 1, t) for k, t in enumerate(params.get(i, []))
             if t not in READS]
        if p and verbose:
            print("  %s: parameters inferred as %s" % (n, " ".join(p)))
    nparam = sum(1 for i in params if any(t not in READS
                                          for t in params[i]))
    print("dialect: %d statement(s) with a parameter PostgreSQL infers as"
          " other than bigint/text/bytea (-v lists them)" % nparam)
    if failed:
        sys.exit(1)
    print("dialect: ok (%d statements, %d overridden)"
          % (len(names), len(over)))


if __name__ == "__main__":
    main()
