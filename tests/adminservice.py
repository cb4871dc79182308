#!/usr/bin/env python3
"""A client of the administration service written from its documentation
(OData v4 JSON over HTTPS with a bearer token), with python3's own TLS, HTTP
and JSON: nothing of ehttp's. Each command checks what the service answers
against the database as the sqlite3 CLI reads it, prints "ok: ..." lines
and exits 0, or prints "FAIL: ..." and exits 1.

usage: adminservice.py CMD PORT ROOT.pem HOST DB TOKEN [ARGS...]
  reads      every class against the database; paging by nextLink
  expiring   IDS_JSON: SMS_Certificate filtered "expiring within 30 days"
             (State active, ValidUntil le now+30d) equals ehttpctl's list
  refusals   bad queries are 400 naming the position; bad tokens 401
  rate       N: of 3*N requests at once on one connection some are 429
"""
import datetime
import hashlib
import http.client
import json
import socket
import ssl
import subprocess
import sys
import urllib.parse

from httpreply import read_all

cmd, port, root, host, db, token = sys.argv[1:7]
args = sys.argv[7:]
port = int(port)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Conn(http.client.HTTPSConnection):
    """To 127.0.0.1, verifying the certificate for HOST."""
    def __init__(self):
        ctx = ssl.create_default_context(cafile=root)
        super().__init__("127.0.0.1", port, context=ctx, timeout=20)

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=host)


conn = Conn()


def request(method, path, tok=token, body=None, headers=None):
    h = {"Host": "%s:%d" % (host, port)}
    if tok is not None:
        h["Authorization"] = "Bearer " + tok
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def get_json(path, want=200, **kw):
    st, h, data = request("GET", path, **kw)
    if st != want:
        fail("GET %s: %d, not %d: %s" % (path, st, want, data[:300]))
    if not h.get("content-type", "").startswith("application/json"):
        fail("GET %s: Content-Type %s" % (path, h.get("content-type")))
    try:
        text = data.decode("ascii")      # the service escapes the rest
    except UnicodeDecodeError:
        fail("GET %s: a byte that is not ASCII in the body" % path)
    return json.loads(text)


def sql(q):
    out = subprocess.run(["sqlite3", "-json", db, q], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out) if out.strip() else []


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def all_pages(path, page=None):
    """Every row of a collection, following @odata.nextLink."""
    rows, pages, url = [], 0, path
    while url is not None:
        d = get_json(url, headers={"Prefer": "odata.maxpagesize=%d" % page}
                     if page else None)
        if "value" not in d or not isinstance(d["value"], list):
            fail("%s: no value array" % url)
        rows += d["value"]
        pages += 1
        link = d.get("@odata.nextLink")
        if link is not None:
            u = urllib.parse.urlsplit(link)
            if u.scheme != "https" or u.hostname != host:
                fail("nextLink %s is not on https://%s" % (link, host))
            url = u.path + "?" + u.query
        else:
            url = None
        if pages > 10000:
            fail("%s: more than 10000 pages" % path)
    return rows, pages


B = "/AdminService/wmi/"

if cmd == "reads":
    # The service document and $metadata (XML, read by python's parser).
    d = get_json(B)
    names = sorted(x["name"] for x in d["value"])
    want = sorted(["SMS_Site", "SMS_SCI_Component", "SMS_SCI_SysResUse",
                   "SMS_Certificate", "SMS_R_System", "SMS_StatusMessage",
                   "EHTTP_AuditRecord"])
    if names != want:
        fail("entity sets %s" % names)
    st, h, data = request("GET", B + "$metadata")
    import xml.etree.ElementTree as ET
    ns = {"e": "http://docs.oasis-open.org/odata/ns/edm"}
    md = ET.fromstring(data)
    types = {t.get("Name"): [p.get("Name") for p in t.findall("e:Property", ns)]
             for t in md.iter("{%s}EntityType" % ns["e"])}
    if sorted(types) != want:
        fail("$metadata entity types %s" % sorted(types))
    print("ok: service document and $metadata name the 7 classes")

    # Sites: every row of the database, each property its value.
    rows = get_json(B + "SMS_Site")["value"]
    dbs = sql("SELECT s.code, s.name, coalesce(p.code, '') AS parent,"
              " c.enhanced_http, c.https_only FROM site s LEFT JOIN site p"
              " ON p.id = s.parent_id JOIN site_security c ON"
              " c.site_id = s.id ORDER BY s.code")
    got = sorted(rows, key=lambda r: r["SiteCode"])
    if [(r["SiteCode"], r["SiteName"], r["ReportingSiteCode"]) for r in got] \
            != [(r["code"], r["name"], r["parent"]) for r in dbs]:
        fail("SMS_Site %s != database %s" % (got, dbs))
    if set(types["SMS_Site"]) != set(got[0]):
        fail("SMS_Site properties %s != $metadata %s" % (list(got[0]),
             types["SMS_Site"]))
    for r, s in zip(got, dbs):
        if r["EnhancedHTTP"] != bool(s["enhanced_http"] and
                                     not s["https_only"]):
            fail("EnhancedHTTP of %s" % r["SiteCode"])
    one = get_json(B + "SMS_Site('P01')")
    if one["SiteCode"] != "P01" or "$entity" not in one["@odata.context"]:
        fail("SMS_Site('P01'): %s" % one)
    v1 = get_json("/AdminService/v1.0/SMS_Site(SiteCode='P01')")
    if {k: v for k, v in v1.items() if k[0] != "@"} != \
            {k: v for k, v in one.items() if k[0] != "@"}:
        fail("v1.0 and wmi differ for P01")
    print("ok: SMS_Site equals the site table (%d sites); keyed on both"
          " routes" % len(got))

    # Components: IISSSLState as ehttpctl shows it.
    comps = get_json(B + "SMS_SCI_Component?$select=SiteCode,IISSSLState")
    for c in comps["value"]:
        if set(c) != {"SiteCode", "IISSSLState"}:
            fail("$select gave %s" % list(c))
        sh = json.loads(subprocess.run(
            [args[0], "--db", db, "--json", "site", "show", c["SiteCode"]],
            capture_output=True, text=True, check=True).stdout)
        if sh.get("iisssl_state") != c["IISSSLState"]:
            fail("IISSSLState of %s: %s, ehttpctl %s" % (c["SiteCode"],
                 c["IISSSLState"], sh.get("iisssl_state")))
    print("ok: SMS_SCI_Component's IISSSLState equals ehttpctl site show"
          " for %d sites" % len(comps["value"]))

    # Roles: one row a role.
    roles = get_json(B + "SMS_SCI_SysResUse?$filter=Role%20eq%20'provider'"
                     "&$orderby=ServerName%20desc")["value"]
    dbr = sql("SELECT y.fqdn FROM role r JOIN site_system y ON"
              " y.id = r.system_id WHERE r.role = 'provider' ORDER BY"
              " y.fqdn DESC")
    if [r["ServerName"] for r in roles] != [r["fqdn"] for r in dbr]:
        fail("providers %s != %s" % (roles, dbr))
    if any(r["RoleName"] != "SMS Provider" for r in roles):
        fail("RoleName %s" % roles)
    print("ok: SMS_SCI_SysResUse filtered and ordered equals the role table"
          " (%d providers)" % len(roles))

    # Certificates, 2 a page: every one in the store's order, once.
    certs, pages = all_pages(B + "SMS_Certificate?$count=true", page=2)
    dbc = sql("SELECT c.id, c.thumbprint, c.not_after, c.blocked,"
              " s.code FROM cert c JOIN site s ON s.id = c.site_id WHERE"
              " c.state != 'pending' ORDER BY c.not_after, c.id")
    if [c["ID"] for c in certs] != [c["id"] for c in dbc]:
        fail("certificates %s != %s" % ([c["ID"] for c in certs],
             [c["id"] for c in dbc]))
    for c, r in zip(certs, dbc):
        if c["Thumbprint"] != r["thumbprint"] or c["ValidUntil"] != \
                iso(r["not_after"]) or c["IsBlocked"] != bool(r["blocked"]) \
                or c["SiteCode"] != r["code"]:
            fail("certificate %d: %s != %s" % (r["id"], c, r))
    if pages < len(dbc) // 2:
        fail("%d certificates came in %d pages of 2" % (len(dbc), pages))
    cnt = get_json(B + "SMS_Certificate?$count=true&$top=1")
    if cnt["@odata.count"] != len(dbc) or len(cnt["value"]) != 1:
        fail("$count %s" % cnt)
    desc, _ = all_pages(B + "SMS_Certificate?$orderby=IssuedTo%20desc", 3)
    dbd = sql("SELECT c.id FROM cert c WHERE c.state != 'pending' ORDER BY"
              " c.issued_to DESC, c.id DESC")
    if [c["ID"] for c in desc] != [r["id"] for r in dbd]:
        fail("by IssuedTo desc %s != %s" % ([c["ID"] for c in desc], dbd))
    skip = get_json(B + "SMS_Certificate?$skip=2&$top=2")["value"]
    if [c["ID"] for c in skip] != [c["id"] for c in dbc[2:4]]:
        fail("$skip=2&$top=2: %s" % skip)
    f = get_json(B + "SMS_Certificate?$filter=" + urllib.parse.quote(
        "startswith(IssuedTo,'DP') eq false and contains(tolower(IssuedTo),"
        "'dp') and not IsBlocked"))["value"]
    dbf = sql("SELECT id FROM cert WHERE state != 'pending' AND"
              " issued_to LIKE '%dp%' AND issued_to NOT GLOB 'DP*' AND"
              " blocked = 0 ORDER BY not_after, id")
    if [c["ID"] for c in f] != [r["id"] for r in dbf]:
        fail("filter with functions %s != %s" % (f, dbf))
    c1 = get_json(B + "SMS_Certificate(%d)" % dbc[0]["id"])
    if c1["ID"] != dbc[0]["id"]:
        fail("SMS_Certificate(id) %s" % c1)
    print("ok: SMS_Certificate equals the cert table (%d rows, %d pages of"
          " 2; $count, $skip, $top, $orderby desc, functions, key)" %
          (len(certs), pages))

    # Status messages and the audit trail: the newest, as stored.
    st = get_json(B + "SMS_StatusMessage?$orderby=RecordID%20desc&$top=5")
    dbm = sql("SELECT m.id, m.message, coalesce(y.fqdn, '') AS fqdn FROM"
              " status_message m LEFT JOIN site_system y ON y.id ="
              " m.system_id ORDER BY m.id DESC LIMIT 5")
    if [(m["RecordID"], m["MessageText"], m["MachineName"])
            for m in st["value"]] != \
            [(m["id"], m["message"], m["fqdn"]) for m in dbm]:
        fail("status messages %s != %s" % (st, dbm))
    # The newest an agent wrote (the agent serving this says it started).
    st = get_json(B + "SMS_StatusMessage?$filter=MachineName%20ne%20''"
                  "&$orderby=RecordID%20desc&$top=1")
    dbm = sql("SELECT m.id, y.fqdn FROM status_message m JOIN site_system y"
              " ON y.id = m.system_id ORDER BY m.id DESC LIMIT 1")
    if not dbm or [(m["RecordID"], m["MachineName"]) for m in st["value"]] \
            != [(dbm[0]["id"], dbm[0]["fqdn"])]:
        fail("an agent's status message %s != %s" % (st, dbm))
    au = get_json(B + "EHTTP_AuditRecord?$orderby=RecordID%20desc&$top=3")
    dba = sql('SELECT id, "user" AS u, action FROM audit ORDER BY id DESC'
              " LIMIT 3")
    if [(a["RecordID"], a["User"], a["Action"]) for a in au["value"]] != \
            [(a["id"], a["u"], a["action"]) for a in dba]:
        fail("audit %s != %s" % (au, dba))
    print("ok: SMS_StatusMessage and EHTTP_AuditRecord equal their tables")

elif cmd == "expiring":
    want = sorted(c["id"] for c in json.loads(args[0]))
    now = int(args[1])
    flt = "State eq 'active' and ValidUntil le %s" % iso(now + 30 * 86400)
    rows, _ = all_pages(B + "SMS_Certificate?$filter=" +
                        urllib.parse.quote(flt) + "&$select=ID,ValidUntil")
    got = sorted(r["ID"] for r in rows)
    if got != want or not want:
        fail("expiring within 30 days: service %s, ehttpctl %s" % (got,
             want))
    print("ok: %d certificates expire within 30 days, as ehttpctl cert list"
          " --expiring 30 says: %s" % (len(got), got))

elif cmd == "refusals":
    cases = [
        ("SMS_Certificate?$filter=" + urllib.parse.quote("ID eq 'x'"),
         "position 4"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote("IssuedTo eq"),
         "position 12"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote("Nope eq 1"),
         "position 1"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote("(" * 40 + "true" +
                                                         ")" * 40),
         "nested more than"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote(
            "IssuedTo eq '" + "a" * 1500 + "'"), "longer than"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote(
            "IssuedTo eq 'x' or 1 eq 1 --'"), "position"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote(
            "IssuedTo eq 'x'; DROP TABLE cert; --'"), "position 16"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote(
            "ValidUntil gt 2026-13-01T00:00:00Z"), "DateTimeOffset"),
        ("SMS_Certificate?$filter=" + urllib.parse.quote("IsBlocked gt true"),
         "eq and ne only"),
        ("SMS_Certificate?$orderby=ID", "$orderby"),
        ("SMS_Certificate?$top=-1", "$top"),
        ("SMS_Certificate?$select=Nope", "Nope"),
        ("SMS_Certificate?$expand=x", "not supported"),
        ("SMS_Certificate?$bogus=1", "unknown system query option"),
        ("SMS_Certificate?$filter=%zz", "percent"),
        ("SMS_Site('P01'", "missing"),
        ("SMS_Site(42)", "the key is SiteCode"),
        # Skip tokens this service never makes: not hex, an odd digit, a
        # NUL, no id; on a text order too (any text would do there).
        ("SMS_Certificate?$skiptoken=1.zz", "$skiptoken"),
        ("SMS_Certificate?$orderby=IssuedTo&$skiptoken=1.7a7", "$skiptoken"),
        ("SMS_Certificate?$orderby=IssuedTo&$skiptoken=1.zz", "$skiptoken"),
        ("SMS_Certificate?$orderby=IssuedTo&$skiptoken=1.6100", "$skiptoken"),
        ("SMS_Certificate?$skiptoken=x.31", "$skiptoken"),
        ("SMS_Certificate?$skiptoken=1." + "31" * 300, "$skiptoken"),
    ]
    for path, want in cases:
        d = get_json(B + path, want=400)
        msg = d["error"]["message"] + " " + d["error"].get("target", "")
        if want not in msg or d["error"]["code"] != "BadRequest":
            fail("%s: %s lacks %r" % (path[:80], d, want))
    print("ok: %d malformed queries are 400 and say where" % len(cases))
    for path in ["sms_site", "SMS_Site('NOPE')", "SMS_Certificate(999999)",
                 "SMS_Site/x", "SMS_Site('a)b')", "SMS_Site('it''s')"]:
        get_json(B + path, want=404)
    print("ok: class names are case-sensitive; unknown keys are 404")
    for tok, hdr in [(None, None), ("ehttp_" + "A" * 43, None),
                     ("garbage", None), (None, {"Authorization":
                                                "NTLM TlRMTVNTUAABAAAA"}),
                     (None, {"Authorization": "Basic dTpw"}),
                     (args[0] if args else "ehttp_x", None)]:
        st, h, data = request("GET", B + "SMS_Site", tok=tok, headers=hdr)
        if st != 401 or not h.get("www-authenticate", "").startswith(
                "Bearer"):
            fail("token %r %r: %d %s" % (tok, hdr, st, h))
    print("ok: no token, an unknown, malformed or revoked token, NTLM and"
          " Basic are 401 with a Bearer challenge")
    # Methods: CCM_POST (the MP's POST) is no method of this service, nor
    # is any other (the body of a PUT read, not left to reset the answer).
    for method, path in [("CCM_POST", "SMS_Site('P01')"),
                         ("CCM_POST", "SMS_SCI_Component('P02')"),
                         ("PROPFIND", "SMS_Site"),
                         ("DELETE", "SMS_Site('P01')"),
                         ("PUT", "SMS_SCI_Component('P02')")]:
        st, h, data = request(method, B + path, body="{}")
        if st != 405 or "PATCH" not in h.get("allow", ""):
            fail("%s %s: %d %s" % (method, path, st, h))
    st, h, data = request("PATCH", B + "SMS_SCI_Component('P02')",
                          body='{"CRLCheck":false}',
                          headers={"Content-Type": "application/jsonpatch"})
    if st != 415:
        fail("application/jsonpatch: %d" % st)
    if request("GET", "/AdminService/wmi%2FSMS_Site")[0] != 400:
        fail("an encoded / in the path is not refused")
    print("ok: CCM_POST and other methods are 405, a Content-Type that only"
          " begins like JSON is 415, an encoded / is 400")
    # Links never name another host than the served one.
    d = get_json(B + "SMS_Site", headers={"Host": "evil.example:%d" % port})
    if not d["@odata.context"].startswith("https://%s/" % host):
        fail("context %s" % d["@odata.context"])
    d = get_json(B + "SMS_Certificate", headers={
        "Prefer": "respond-async, odata.maxpagesize=2"})
    if len(d["value"]) != 2 or not d["@odata.nextLink"].startswith(
            "https://%s:%d/" % (host, port)):
        fail("Prefer odata.maxpagesize=2: %s" % d)
    st, h, data = request("GET", B + "SMS_Site", headers={
        "Prefer": "xodata.maxpagesize=1"})
    if "preference-applied" in h:
        fail("xodata.maxpagesize was applied")
    print("ok: links name the served host; odata.maxpagesize applied as a"
          " preference of its own, with Preference-Applied")
    # Headers given twice: refused, never the first one taken.
    raw = ssl.create_default_context(cafile=root).wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname=host)
    raw.sendall(("GET %sSMS_Site HTTP/1.1\r\nHost: %s\r\nAuthorization:"
                 " Bearer %s\r\nAuthorization: Bearer x\r\n\r\n" %
                 (B, host, token)).encode())
    got = raw.recv(4096).decode("ascii", "replace")
    if not got.startswith("HTTP/1.1 400"):
        fail("two Authorization headers: %s" % got[:80])
    raw.close()
    raw = ssl.create_default_context(cafile=root).wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname=host)
    smuggled = "GET %sSMS_Site?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n" % B
    raw.sendall(("POST %sSMS_Site HTTP/1.1\r\nHost: %s\r\nContent-Length:"
                 " 0\r\nContent-Length: %d\r\n\r\n%s" % (B, host,
                 len(smuggled), smuggled)).encode())
    got = read_all(raw)
    raw.close()
    if not got.startswith(b"HTTP/1.1 400") or got.count(b"HTTP/1.1") != 1:
        fail("two Content-Length headers: %s" % got[:200])
    # Expect: 100-continue: told to go on before the body is sent.
    raw = ssl.create_default_context(cafile=root).wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname=host)
    raw.settimeout(5)
    body = '{"CRLCheck":true}'
    raw.sendall(("PATCH %sSMS_SCI_Component('P01') HTTP/1.1\r\nHost: %s\r\n"
                 "Authorization: Bearer %s\r\nContent-Type: application/json"
                 "\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" %
                 (B, host, token, len(body))).encode())
    got = raw.recv(4096)
    if not got.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
        fail("Expect: 100-continue: %s" % got[:80])
    raw.sendall(body.encode())
    got = b""
    while b"\r\n\r\n" not in got:
        got += raw.recv(4096)
    raw.close()
    if not got.startswith(b"HTTP/1.1 200"):
        fail("after 100 Continue: %s" % got[:80])
    print("ok: Expect: 100-continue is answered before the body")
    print("ok: two Authorization headers are 400; two Content-Length"
          " headers are 400 and the connection closes (nothing smuggled)")
    # The service still answers after all of them.
    get_json(B + "SMS_Site('P01')")
    print("ok: the service still answers")

elif cmd == "cursor":
    # Walk the certificates by IsBlocked 3 a page; block the last row of
    # the first page before following the link: every row comes once.
    want = [r["id"] for r in sql("SELECT id FROM cert WHERE state !="
                                 " 'pending' ORDER BY blocked, id")]
    d = get_json(B + "SMS_Certificate?$orderby=IsBlocked&$select=ID",
                 headers={"Prefer": "odata.maxpagesize=3"})
    rows = [r["ID"] for r in d["value"]]
    blocked = rows[-1]
    st, h, data = request("POST", B + "SMS_Certificate(%d)/AdminService.Block"
                          % blocked, body="")
    if st != 200:
        fail("block: %d %s" % (st, data[:200]))
    link = d["@odata.nextLink"]
    while link:
        u = urllib.parse.urlsplit(link)
        d = get_json(u.path + "?" + u.query,
                     headers={"Prefer": "odata.maxpagesize=3"})
        rows += [r["ID"] for r in d["value"]]
        link = d.get("@odata.nextLink")
    # None lost; the row that moved (blocked: later in this order) may be
    # met again at its new place, no other twice.
    dup = [r for r in set(rows) if rows.count(r) > 1]
    if set(rows) != set(want) or dup not in ([], [blocked]):
        fail("rows %s, want each of %s (only %d may repeat)" % (rows, want,
             blocked))
    print("ok: %d certificates by IsBlocked, 3 a page: none lost although"
          " the first page's last one was blocked meanwhile (met again at"
          " its new place: %s)" % (len(set(rows)), bool(dup)))

elif cmd == "rate":
    n = int(args[0])
    codes = []
    for i in range(3 * n):
        st, h, data = request("GET", B + "SMS_Site('P01')")
        codes.append(st)
        if st == 429 and h.get("retry-after") != "1":
            fail("429 without Retry-After: 1: %s" % h)
        if st == 429:
            json.loads(data)["error"]["code"] == "TooManyRequests" or \
                fail("429 body %s" % data)
    ok, limited = codes.count(200), codes.count(429)
    if limited == 0 or ok < n or ok + limited != len(codes):
        fail("of %d requests %d answered, %d refused: %s" % (len(codes), ok,
             limited, codes))
    import time
    time.sleep(1.2)
    if request("GET", B + "SMS_Site('P01')")[0] != 200:
        fail("still refused after a second")
    print("ok: of %d requests at once %d were answered and %d got 429 with"
          " Retry-After: 1; a second later it answers again" % (len(codes),
                                                                ok, limited))

else:
    fail("unknown command " + cmd)
