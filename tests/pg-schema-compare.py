#!/usr/bin/env python3
"""The PostgreSQL schema (db/pg/pg-schema.c) against SQLite's (the end
state of db.c's migrations), table by table, and by behaviour.

usage: pg-schema-compare.py URL     (a superuser's postgresql:// URL, e.g.
                                     from tests/pgserver.sh start DIR)

1. Structure, from each engine's own catalogue (SQLite's PRAGMAs,
   PostgreSQL's pg_catalog through psql): the same tables; per table the
   same columns in order (INTEGER/bigint, TEXT/text, BLOB/bytea), NOT NULL,
   defaults, primary key, UNIQUE sets, foreign keys with their ON DELETE,
   CHECK constraints (the columns each one reads), indexes (columns,
   uniqueness, partial predicate), triggers (timing, event, UPDATE OF
   columns); an identity column where SQLite has a row id the program lets
   it assign.
2. Behaviour: the same writes on both (a fresh database each): each
   accepted or refused alike (CHECKs, NOT NULL, UNIQUE, foreign keys), and
   afterwards the same rows (ON DELETE CASCADE / SET NULL, the cert_tally
   triggers), compared by natural keys (ids of a PostgreSQL identity and of
   a SQLite row id may differ once a refused insert used a number).

Prints each difference and exits 1 if there is one; "schema compare: ok".
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbsql  # noqa: E402

TYPES = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}
PG_ONLY = {"ehttp_schema"}
# Sets the writer of an agent's login's status message: SQLite has no
# logins.
PG_ONLY_TRIGGERS = {"status_message_writer"}


class Pg:
    def __init__(self, url):
        self.url, self.psql = url, dbsql.psql_bin()

    def run(self, sql, check=True):
        """Rows of sql (fields split on \x1f), or (False, error)."""
        r = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-F", "\x1f",
                            "-v", "ON_ERROR_STOP=1", "-d", self.url,
                            "-c", sql], capture_output=True, text=True)
        if r.returncode != 0:
            if check:
                sys.exit("pg-schema-compare: psql: %s\n%s" % (r.stderr, sql))
            return False, r.stderr.strip()
        return True, [line.split("\x1f") for line in r.stdout.splitlines()]

    def rows(self, sql):
        return self.run(sql)[1]

    def each(self, stmts):
        """Each statement on its own (autocommit): None or its error."""
        text = "".join("\\warn @@%d\n%s;\n" % (i, q)
                       for i, q in enumerate(stmts))
        r = subprocess.run([self.psql, "-X", "-q", "-d", self.url, "-f",
                            "-"], input=text, capture_output=True,
                           text=True)
        errs = [None] * len(stmts)
        cur = None
        for line in r.stderr.splitlines():
            m = re.fullmatch(r"@@(\d+)", line)
            if m:
                cur = int(m.group(1))
            elif cur is not None and "ERROR:" in line:
                errs[cur] = line.split("ERROR:", 1)[1].strip()
        if cur != len(stmts) - 1:
            sys.exit("pg-schema-compare: psql stopped: " + r.stderr)
        return errs

    def queries(self, qs):
        """The rows of each query, in one session."""
        text = "".join("\\echo @@%d\n%s;\n" % (i, q)
                       for i, q in enumerate(qs))
        r = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-F", "\x1f",
                            "-v", "ON_ERROR_STOP=1", "-d", self.url, "-f",
                            "-"], input=text, capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.exit("pg-schema-compare: psql: " + r.stderr)
        out = [[] for _ in qs]
        cur = None
        for line in r.stdout.splitlines():
            m = re.fullmatch(r"@@(\d+)", line)
            if m:
                cur = int(m.group(1))
            else:
                out[cur].append(line.split("\x1f"))
        return out

    def script(self, sql):
        r = subprocess.run([self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "--single-transaction", "-d", self.url, "-f",
                            "-"], input=sql, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("pg-schema-compare: loading the schema: " + r.stderr)


def with_db(url, name):
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(u._replace(path="/" + name))


def sqlite_db(path, version):
    """A SQLite database made by the first `version` migrations."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = OFF")     # as migrate() runs them
    for m in dbsql.migrations()[:version]:
        db.executescript("BEGIN;" + m + ";COMMIT;")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def norm_expr(e):
    """An expression without casts, parentheses, ARRAY/ANY noise, space."""
    e = re.sub(r"::[a-z ]+", "", e or "")
    e = re.sub(r"[()\s]", "", e)
    e = re.sub(r"'(-?\d+)'", r"\1", e)     # '-1'::integer
    return e.lower()


def checks_of(sql):
    """The CHECK expressions of a CREATE TABLE (SQLite keeps its text)."""
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", sql, re.I):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        out.append(sql[m.end():i - 1])
    return out


def sqlite_shape(db):
    shape = {}
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT"
        " LIKE 'sqlite_%' ORDER BY name")]
    for t in tables:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                         (t,)).fetchone()[0]
        rowid = not re.search(r"WITHOUT\s+ROWID", sql, re.I)
        info = db.execute("PRAGMA table_info(%s)" % t).fetchall()
        names = [c[1] for c in info]
        pk = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]]
        fks = {}
        for f in db.execute("PRAGMA foreign_key_list(%s)" % t):
            fid, _, table, frm, to, _, on_delete = f[:7]
            k = fks.setdefault(fid, [[], table, [], on_delete])
            k[0].append(frm)
            k[2].append(to)
        fk = sorted((tuple(a), b, tuple(c), d) for a, b, c, d in fks.values())
        uniques, indexes = [], []
        for il in db.execute("PRAGMA index_list(%s)" % t).fetchall():
            _, iname, unique, origin, partial = il
            cols = tuple(r[2] for r in db.execute(
                "PRAGMA index_info(%s)" % iname))
            if origin == "u":
                uniques.append(cols)
            elif origin == "c":
                isql = db.execute("SELECT sql FROM sqlite_master WHERE"
                                  " name = ?", (iname,)).fetchone()[0]
                pred = ""
                if partial:
                    pred = norm_expr(re.split(r"\bWHERE\b", isql,
                                              flags=re.I)[1])
                indexes.append((iname, cols, bool(unique), pred))
        checks = sorted(tuple(sorted(
            c for c in names if re.search(r"\b%s\b" % c, e)))
            for e in checks_of(sql))
        fkcols = {c for k in fk for c in k[0]}
        ident = [c[1] for c in info if rowid and pk == [c[1]] and
                 c[2].upper() == "INTEGER" and c[1] not in fkcols and
                 not any(c[1] in ck for ck in checks)]
        cols = []
        for c in info:
            notnull = bool(c[3]) or c[1] in pk
            dflt = c[4]
            cols.append((c[1], TYPES.get(c[2].upper(), c[2]), notnull,
                         norm_expr(dflt) if dflt is not None else None))
        shape[t] = dict(cols=cols, pk=pk, fk=fk, unique=sorted(uniques),
                        index=sorted(indexes), check=checks,
                        identity=sorted(ident))
    trig = {}
    for name, tbl, sql in db.execute("SELECT name, tbl_name, sql FROM"
                                     " sqlite_master WHERE type ="
                                     " 'trigger'"):
        m = re.search(r"\b(BEFORE|AFTER|INSTEAD OF)\s+(INSERT|DELETE|"
                      r"UPDATE(?:\s+OF\s+(.*?))?)\s+ON\s+(\w+)", sql,
                      re.I | re.S)
        ev = m.group(2).split()[0].upper()
        of = tuple(c.strip() for c in m.group(3).split(",")) \
            if m.group(3) else ()
        trig[name] = (m.group(1).upper(), ev, of, m.group(4))
    return shape, trig


def pg_shape(pg):
    shape = {}
    conf = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE",
            "n": "SET NULL", "d": "SET DEFAULT"}
    tables = [r[0] for r in pg.rows(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND"
        " relnamespace = 'public'::regnamespace ORDER BY relname")]

    att = {(r, int(n)): a for r, n, a in pg.rows(
        "SELECT attrelid::regclass::text, attnum, attname FROM pg_attribute"
        " WHERE attnum > 0 AND attrelid IN (SELECT oid FROM pg_class WHERE"
        " relnamespace = 'public'::regnamespace)")}

    def attnames(rel, nums):
        return tuple(att[(rel, int(n))] if n != "0" else "<expression>"
                     for n in nums.strip("{}").split(",") if n)
    def by_table(sql):
        out = {t: [] for t in tables}
        for r in pg.rows(sql):
            out.setdefault(r[0], []).append(r[1:])
        return out
    infos = by_table(
        "SELECT table_name, column_name, data_type, is_nullable,"
        " column_default, is_identity, coalesce(collation_name, '') FROM"
        " information_schema.columns WHERE table_schema = 'public'"
        " ORDER BY table_name, ordinal_position")
    conss = by_table(
        "SELECT conrelid::regclass::text, contype, conkey::text,"
        " coalesce(confrelid::regclass::text, ''), coalesce(confkey::text,"
        " ''), confdeltype FROM pg_constraint WHERE connamespace ="
        " 'public'::regnamespace")
    idxs = by_table(
        "SELECT i.indrelid::regclass::text, c.relname,"
        " array_to_string(i.indkey::int2[], ','), i.indisunique,"
        " coalesce(pg_get_expr(i.indpred, i.indrelid), '') FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace ="
        " 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM"
        " pg_constraint WHERE conindid = i.indexrelid)")
    for t in tables:
        cols, ident, collations = [], [], set()
        for name, typ, nullable, dflt, is_ident, coll in infos[t]:
            cols.append((name, typ, nullable == "NO",
                         norm_expr(dflt) if dflt else None))
            if is_ident == "YES":
                ident.append(name)
            if typ == "text":
                collations.add(coll)
        pk, fk, uniques, checks = [], [], [], []
        for typ, key, ftab, fkey, deltype in conss[t]:
            names = attnames(t, key)
            if typ == "p":
                pk = list(names)
            elif typ == "u":
                uniques.append(names)
            elif typ == "f":
                fk.append((names, ftab, attnames(ftab, fkey),
                           conf[deltype]))
            elif typ == "c":
                checks.append(tuple(sorted(names)))
        indexes = [(iname, attnames(t, key), unique == "t", norm_expr(pred))
                   for iname, key, unique, pred in idxs[t]]
        shape[t] = dict(cols=cols, pk=pk, fk=sorted(fk),
                        unique=sorted(uniques), index=sorted(indexes),
                        check=sorted(checks), identity=sorted(ident),
                        collations=collations)
    trig = {}
    for name, sql in pg.rows("SELECT tgname, pg_get_triggerdef(oid) FROM"
                             " pg_trigger WHERE NOT tgisinternal"):
        m = re.search(r"\b(BEFORE|AFTER|INSTEAD OF)\s+(INSERT|DELETE|"
                      r"UPDATE(?:\s+OF\s+(.*?))?)\s+ON\s+(?:public\.)?(\w+)"
                      r"\s+FOR EACH ROW", sql)
        ev = m.group(2).split()[0]
        of = tuple(c.strip() for c in m.group(3).split(",")) \
            if m.group(3) else ()
        trig[name] = (m.group(1), ev, of, m.group(4))
    return shape, trig


def compare_structure(lite, pg):
    diffs = []
    ls, lt = lite
    ps, pt = pg
    for t in sorted(set(ls) | set(ps) - PG_ONLY):
        if t not in ps:
            diffs.append("%s: missing on PostgreSQL" % t)
            continue
        if t not in ls:
            diffs.append("%s: only on PostgreSQL" % t)
            continue
        a, b = ls[t], ps[t]
        for k in ("cols", "pk", "fk", "unique", "index", "check",
                  "identity"):
            if a[k] != b[k]:
                diffs.append("%s.%s:\n  sqlite:     %s\n  postgresql: %s"
                             % (t, k, a[k], b[k]))
        if b["collations"] - {"C"}:
            diffs.append("%s: text not COLLATE \"C\": %s"
                         % (t, b["collations"]))
    if not PG_ONLY_TRIGGERS <= set(pt):
        diffs.append("triggers: missing on PostgreSQL: %s"
                     % sorted(PG_ONLY_TRIGGERS - set(pt)))
    pt = {k: v for k, v in pt.items() if k not in PG_ONLY_TRIGGERS}
    if lt != pt:
        diffs.append("triggers:\n  sqlite:     %s\n  postgresql: %s"
                     % (lt, pt))
    return diffs


# The writes of part 2, in order: each accepted or refused alike. {blob}:
# a BLOB literal of each engine; {s:CODE}, {y:FQDN}, {c:SERIAL}: the id
# of that site, site system, certificate.
PROBES = r"""
INSERT INTO site (code, name, type, created) VALUES ('CAS', 'c', 'cas', 1)
INSERT INTO site (code, name, type, parent_id, created) VALUES ('P01', 'p', 'primary', {s:CAS}, 1)
INSERT INTO site (code, name, type, parent_id, created) VALUES ('P02', 'p2', 'primary', {s:CAS}, 1)
INSERT INTO site (code, name, type, created) VALUES ('P1', 'short', 'primary', 1)
INSERT INTO site (code, name, type, created) VALUES ('P0é', 'three chars', 'primary', 1)
INSERT INTO site (code, name, type, created) VALUES ('X01', 'x', 'bogus', 1)
INSERT INTO site (code, name, type, parent_id, created) VALUES ('X02', 'x', 'primary', 999, 1)
INSERT INTO site (code, name, type, created) VALUES ('P01', 'dup', 'primary', 1)
INSERT INTO site (code, type, created) VALUES ('X03', 'primary', 1)
INSERT INTO site_security (site_id) VALUES ({s:P01})
INSERT INTO site_security (site_id) VALUES ({s:P02})
INSERT INTO site_security (site_id) VALUES (999)
INSERT INTO site_system (fqdn, site_id, created) VALUES ('mp1', {s:P01}, 1)
INSERT INTO site_system (fqdn, site_id, created) VALUES ('dp1', {s:P01}, 1)
INSERT INTO site_system (fqdn, site_id, created) VALUES ('mp2', {s:P02}, 1)
INSERT INTO site_system (fqdn, site_id, created) VALUES ('mp1', {s:P02}, 1)
INSERT INTO role (system_id, role) VALUES ({y:mp1}, 'mp')
INSERT INTO role (system_id, role, allow_propfind) VALUES ({y:dp1}, 'dp', 1)
INSERT INTO role (system_id, role) VALUES ({y:mp2}, 'mp')
INSERT INTO role (system_id, role) VALUES ({y:mp1}, 'mp')
INSERT INTO role (system_id, role) VALUES ({y:mp1}, 'xx')
INSERT INTO role (system_id, role, allow_propfind) VALUES ({y:mp1}, 'dp', 2)
INSERT INTO cert (type, state, site_id, serial, thumbprint, created) VALUES ('root', 'active', {s:P01}, 'S1', 'T1', 1)
INSERT INTO cert (type, state, site_id, system_id, issuer_id, serial, thumbprint, created) VALUES ('role', 'active', {s:P01}, {y:mp1}, {c:S1}, 'S2', 'T2', 1)
INSERT INTO cert (type, state, site_id, system_id, issuer_id, serial, created) VALUES ('pki', 'pending', {s:P01}, {y:dp1}, {c:S1}, 'S3', 1)
INSERT INTO cert (type, state, site_id, created) VALUES ('token', 'pending', {s:P01}, 1)
INSERT INTO cert (type, state, site_id, created) VALUES ('token', 'pending', {s:P01}, 1)
INSERT INTO cert (type, state, site_id, system_id, serial, created) VALUES ('role', 'active', {s:P02}, {y:mp2}, 'S4', 1)
INSERT INTO cert (type, state, site_id, created) VALUES ('foo', 'active', {s:P01}, 1)
INSERT INTO cert (type, state, site_id, created) VALUES ('role', 'bad', {s:P01}, 1)
INSERT INTO cert (type, state, site_id, serial, created) VALUES ('role', 'active', {s:P01}, 'S1', 1)
INSERT INTO cert (type, state, site_id, thumbprint, created) VALUES ('role', 'active', {s:P01}, 'T1', 1)
INSERT INTO cert (type, state, site_id, issuer_id, created) VALUES ('role', 'active', {s:P01}, 999, 1)
INSERT INTO cert (type, state, site_id, created) VALUES ('role', 'active', 999, 1)
UPDATE cert SET state = 'superseded' WHERE serial = 'S2'
UPDATE cert SET blocked = 1 WHERE serial = 'S4'
UPDATE cert SET state = 'active', pending_pid = 7 WHERE serial = 'S3'
UPDATE cert SET issued_to = 'x' WHERE serial = 'S1'
DELETE FROM cert WHERE type = 'token'
INSERT INTO cert_der (cert_id, der) VALUES ({c:S2}, {blob})
INSERT INTO cert_key (cert_id, pkcs8) VALUES ({c:S2}, {blob})
INSERT INTO cert_key (cert_id, pkcs8) VALUES ({c:S2}, {blob})
INSERT INTO cert_key (cert_id, pkcs8) VALUES (999, {blob})
INSERT INTO cert_chain (cert_id, pos, der) VALUES ({c:S2}, 0, {blob})
INSERT INTO cert_chain (cert_id, pos, der) VALUES ({c:S2}, 0, {blob})
INSERT INTO cert_der (cert_id, der) VALUES ({c:S3}, NULL)
INSERT INTO agent (system_id, cert_id, thumbprint) VALUES ({y:mp1}, {c:S2}, 'T2')
INSERT INTO agent (system_id, cert_id) VALUES ({y:mp2}, {c:S4})
INSERT INTO agent (system_id) VALUES (999)
INSERT INTO trusted_root (site_id, subject, thumbprint, der) VALUES ({s:P01}, 'r', 'AA', {blob})
INSERT INTO trusted_root (site_id, subject, thumbprint, der) VALUES ({s:P01}, 'r2', 'AA', {blob})
INSERT INTO trusted_root (site_id, subject, thumbprint, der) VALUES ({s:P02}, 'r', 'AA', {blob})
INSERT INTO status_message (time, site_id, severity, component, message) VALUES (1, {s:P02}, 'info', 'c', 'm')
INSERT INTO status_message (time, severity, component, message) VALUES (1, 'fatal', 'c', 'm')
INSERT INTO audit (time, "user", action, object, detail) VALUES (1, 'root', 'a', 'o', 'd')
INSERT INTO site_renewal (site_id, renew_days) VALUES ({s:P01}, 180)
INSERT INTO site_renewal (site_id, renew_days) VALUES ({s:P02}, 181)
INSERT INTO site_renewal (site_id, renew_days) VALUES ({s:P02}, 0)
INSERT INTO notice (kind, object_id, level, time) VALUES ('expiry', 1, 30, 1)
INSERT INTO notice (kind, object_id, level, time) VALUES ('expiry', 1, 30, 2)
INSERT INTO sited_pass (host, pid, started) VALUES ('h', 1, 1)
INSERT INTO hierarchy (id, uuid) VALUES (2, 'x')
INSERT INTO hierarchy (id, uuid) VALUES (1, 'x')
UPDATE hierarchy SET client_approval = 'auto'
UPDATE hierarchy SET client_approval = 'sometimes'
INSERT INTO client (smsid, site_id, thumbprint, sign_der, enc_der, registered) VALUES ('GUID:1', {s:P02}, 'C1', {blob}, {blob}, 1)
INSERT INTO client (smsid, site_id, thumbprint, sign_der, enc_der, registered) VALUES ('GUID:1', {s:P02}, 'C2', {blob}, {blob}, 1)
INSERT INTO client (smsid, site_id, thumbprint, sign_der, enc_der, registered) VALUES ('GUID:2', {s:P02}, 'C1', {blob}, {blob}, 1)
INSERT INTO client (smsid, site_id, thumbprint, sign_der, enc_der, registered, approved) VALUES ('GUID:3', {s:P02}, 'C3', {blob}, {blob}, 1, 2)
INSERT INTO client (smsid, site_id, thumbprint, sign_der, enc_der, registered, blocked) VALUES ('GUID:4', {s:P02}, 'C4', {blob}, {blob}, 1, -1)
INSERT INTO bulk_token (id, site_id, not_before, not_after, created) VALUES ('b1', {s:P02}, 1, 2, 1)
INSERT INTO bulk_token (id, site_id, not_before, not_after, created) VALUES ('b1', {s:P02}, 1, 2, 1)
INSERT INTO bulk_token (id, site_id, not_before, not_after, blocked, created) VALUES ('b2', {s:P02}, 1, 2, 3, 1)
INSERT INTO package_seq (site_id, last) VALUES ({s:P01}, 1048575)
INSERT INTO package_seq (site_id, last) VALUES ({s:P02}, 1048576)
INSERT INTO package_seq (site_id, last) VALUES ({s:P02}, -1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100001', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P01ABCDE', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('AéB00001', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('p0100002', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P01abcde', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P01000G1', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P010001', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P01000001', {s:P01}, 'n', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100003', {s:P01}, '', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100004', {s:P01}, '{a256}', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100005', {s:P01}, '{a257}', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100006', {s:P01}, '{e128}', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100007', {s:P01}, '{e129}', 1, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100008', {s:P01}, 'n', 0, 's', 1, 1)
INSERT INTO package (id, site_id, name, version, source, created, updated) VALUES ('P0100009', 999, 'n', 1, 's', 1, 1)
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, 'a', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, 'a', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, 'b', -1, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, 'c', 0, '{H64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, 'd', 0, '{h63}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, '', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, '{p1024}', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 1, '{p1025}', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100001', 0, 'e', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P0100099', 1, 'a', 0, '{h64}')
INSERT INTO package_file (package_id, version, path, size, sha256) VALUES ('P01ABCDE', 1, 'a', 5, '{h64}')
INSERT INTO package_dp (package_id, system_id, version, state, time) VALUES ('P0100001', {y:dp1}, 1, 'installed', 1)
INSERT INTO package_dp (package_id, system_id, version, state, time) VALUES ('P01ABCDE', {y:dp1}, 1, 'bogus', 1)
INSERT INTO package_dp (package_id, system_id, version, state, time) VALUES ('P01ABCDE', {y:mp1}, 1, 'failed', 1)
INSERT INTO package_dp (package_id, system_id, version, state, time) VALUES ('P01ABCDE', {y:mp2}, 1, 'removing', 1)
DELETE FROM package WHERE id = 'P0100001'
DELETE FROM site WHERE code = 'P01'
DELETE FROM cert WHERE serial = 'S1'
DELETE FROM cert WHERE serial = 'S2'
DELETE FROM site_system WHERE fqdn = 'mp1'
DELETE FROM site_system WHERE fqdn = 'mp2'
DELETE FROM site WHERE code = 'P02'
DELETE FROM cert WHERE serial = 'S4'
DELETE FROM site_system WHERE fqdn = 'mp2'
DELETE FROM site WHERE code = 'P02'
DELETE FROM site_system WHERE fqdn = 'dp1'
"""

# Rows compared afterwards (natural keys, not ids).
DUMPS = [
    "SELECT code, name, type, coalesce((SELECT p.code FROM site p WHERE"
    " p.id = site.parent_id), '-') FROM site",
    "SELECT s.code, x.crl_check, x.key_alg FROM site_security x JOIN site s"
    " ON s.id = x.site_id",
    "SELECT fqdn, (SELECT code FROM site WHERE id = site_id) FROM"
    " site_system",
    "SELECT y.fqdn, r.role, r.connection, r.allow_anonymous,"
    " r.allow_propfind FROM role r JOIN site_system y ON y.id = r.system_id",
    "SELECT c.type, c.state, coalesce(c.serial, '-'), coalesce((SELECT fqdn"
    " FROM site_system WHERE id = c.system_id), '-'), coalesce((SELECT"
    " serial FROM cert i WHERE i.id = c.issuer_id), '-'), c.blocked,"
    " c.pending_pid FROM cert c",
    "SELECT s.code, t.type, t.state, t.blocked, t.n FROM cert_tally t"
    " JOIN site s ON s.id = t.site_id",
    "SELECT c.serial FROM cert_der d JOIN cert c ON c.id = d.cert_id",
    "SELECT c.serial FROM cert_key d JOIN cert c ON c.id = d.cert_id",
    "SELECT c.serial, d.pos FROM cert_chain d JOIN cert c ON"
    " c.id = d.cert_id",
    "SELECT y.fqdn, coalesce((SELECT serial FROM cert WHERE id ="
    " a.cert_id), '-'), a.thumbprint FROM agent a JOIN site_system y ON"
    " y.id = a.system_id",
    "SELECT subject, thumbprint FROM trusted_root",
    "SELECT coalesce((SELECT code FROM site WHERE id = m.site_id), '-'),"
    " severity FROM status_message m",
    "SELECT \"user\", action FROM audit",
    "SELECT renew_days FROM site_renewal",
    "SELECT kind, object_id, level, time FROM notice",
    "SELECT host, pid, started, finished FROM sited_pass",
    "SELECT id, client_approval, length(uuid) FROM hierarchy",
    "SELECT smsid, thumbprint, approved, blocked FROM client",
    "SELECT id, blocked, used FROM bulk_token",
    "SELECT last FROM package_seq",
    "SELECT id, name, version FROM package",
    "SELECT package_id, version, path, size FROM package_file",
    "SELECT package_id, version, state FROM package_dp",
]


def expand(sql, blob, ids):
    fills = {"a256": "a" * 256, "a257": "a" * 257, "e128": "é" * 128,
             "e129": "é" * 129, "h64": "0123456789abcdef" * 4,
             "H64": "0123456789ABCDEF" * 4, "h63": "a" * 63,
             "p1024": "p" * 1024, "p1025": "p" * 1025}

    def sub(m):
        k = m.group(1)
        if k == "blob":
            return blob
        if k in fills:
            return fills[k]
        kind, key = k.split(":", 1)
        return "(%s)" % ids[kind] % key
    return re.sub(r"\{([a-z0-9]+(?::[^}]+)?|[A-Z]\d+)\}", sub, sql)


IDS = {"s": "SELECT id FROM site WHERE code = '%s'",
       "y": "SELECT id FROM site_system WHERE fqdn = '%s'",
       "c": "SELECT id FROM cert WHERE serial = '%s'"}


def compare_behaviour(lite, pg):
    diffs, refused = [], 0
    lines = PROBES.strip().splitlines()
    perrs = pg.each([expand(line, "'\\x00'::bytea", IDS) for line in lines])
    for line, perr in zip(lines, perrs):
        a = expand(line, "X'00'", IDS)
        try:
            lite.execute(a)
            lok, lerr = True, ""
        except sqlite3.Error as e:
            lok, lerr = False, str(e)
        pok = perr is None
        refused += not lok and not pok
        if lok != pok:
            diffs.append("write %s on SQLite, %s on PostgreSQL: %s\n"
                         "  sqlite: %s\n  postgresql: %s" % (
                             "accepted" if lok else "refused",
                             "accepted" if pok else "refused", line, lerr,
                             perr or ""))
    for q, prow in zip(DUMPS, pg.queries(DUMPS)):
        a = sorted(tuple(str(v) for v in r) for r in lite.execute(q))
        b = sorted(tuple(r) for r in prow)
        if a != b:
            diffs.append("rows differ: %s\n  sqlite:     %s\n"
                         "  postgresql: %s" % (q, a, b))
    return diffs, refused


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pg-schema-compare.py postgresql://...")
    admin = Pg(sys.argv[1])
    name = "ehttp_compare_%d" % os.getpid()
    admin.run("CREATE DATABASE %s" % name)
    tmp = tempfile.mkdtemp(prefix="ehttp-compare.")
    try:
        pg = Pg(with_db(sys.argv[1], name))
        pg.script("".join(s + ";\n" for s in dbsql.pg_schema()))
        ver = int(pg.rows("SELECT version FROM ehttp_schema")[0][0])
        lite = sqlite_db(os.path.join(tmp, "x.db"), ver)
        lshape = sqlite_shape(lite)
        diffs = compare_structure(lshape, pg_shape(pg))
        more, refused = compare_behaviour(lite, pg)
        diffs += more
        lite.close()
    finally:
        shutil.rmtree(tmp)
        admin.run("DROP DATABASE IF EXISTS %s" % name, check=False)
    for d in diffs:
        print(d)
    if diffs:
        print("schema compare: %d difference(s)" % len(diffs))
        sys.exit(1)
    print("schema compare: ok (version %d, %d tables, %d writes of which %d"
          " refused by both, %d row sets)" % (
              ver, len(lshape[0]), len(PROBES.strip().splitlines()),
              refused, len(DUMPS)))


if __name__ == "__main__":
    main()
