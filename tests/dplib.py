#!/usr/bin/env python3
"""A distribution point's content library written from its published layout
(README "What the distribution point serves"), independently of ehttp's C:
the tests fill libraries with it and check what the agent serves against it.

  dplib.py add LIB PKGID VERSION NAME SRCDIR [--link]
      every file under SRCDIR into LIB/FileLib/<4 hex>/<sha256> (once per
      hash: a temporary file in the same folder, fsync, rename; --link:
      a hard link to the source instead of a copy, for big sparse files),
      then the manifest LIB/PkgLib/<PKGID>.json last (temporary, fsync,
      rename, fsync of the folder). Prints the manifest.
  dplib.py manifest LIB PKGID FILE
      FILE as the package's manifest, as it is (a test's broken one).
  dplib.py remove LIB PKGID
      the manifest first, then the FileLib files no other manifest names.
  dplib.py gc LIB
      the FileLib files no manifest names (after a package's update).

And a client of the distribution point, with python3's socket, xml.etree
and email.utils:

  dplib.py raw PORT TARGETHEX BODYFILE [METHOD]
      one request whose target is exactly those bytes (hex), on loopback
      port PORT; prints the status code, the body goes to BODYFILE.
  dplib.py propfind-check XMLFILE SRCDIR VDIR PKGID PATH DEPTH
      checks a 207 Multi-Status body against the tree SRCDIR holds: one
      response for PATH ("" the package) and with DEPTH 1 one per entry
      right inside it; each href (percent-decoded) names it, displayname,
      collection, getcontentlength, getetag and E:sha256 are the file's,
      getlastmodified is an HTTP date. Prints "ok N" (N responses) or
      what differs.
"""
import email.utils
import hashlib
import json
import os
import socket
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

from httpreply import read_reply


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path, data):
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.fchmod(fd, 0o644)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_dir(d)


def filelib_path(lib, h):
    return os.path.join(lib, "FileLib", h[:4], h)


def store(lib, src, h, link):
    dst = filelib_path(lib, h)
    if os.path.exists(dst):
        return
    d = os.path.dirname(dst)
    os.makedirs(d, exist_ok=True)
    if link:
        tmp = os.path.join(d, ".tmp-link-" + h)
        os.link(src, tmp)
        os.rename(tmp, dst)
        return
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            out.write(b)
        out.flush()
        os.fsync(out.fileno())
        os.fchmod(out.fileno(), 0o644)
    os.rename(tmp, dst)


def add(lib, pkgid, version, name, src, link):
    files = []
    for root, dirs, names in os.walk(src):
        for n in names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            h = sha256_of(full)
            store(lib, full, h, link)
            files.append({"path": rel, "size": os.path.getsize(full),
                          "sha256": h})
    # Sorted by the bytes of the path (UTF-8).
    files.sort(key=lambda f: f["path"].encode("utf-8"))
    m = {"package": pkgid, "version": int(version), "name": name,
         "files": files}
    data = json.dumps(m, ensure_ascii=False).encode("utf-8")
    write_atomic(os.path.join(lib, "PkgLib", pkgid + ".json"), data)
    print(data.decode("utf-8"))


def remove(lib, pkgid):
    pkglib = os.path.join(lib, "PkgLib")
    os.unlink(os.path.join(pkglib, pkgid + ".json"))
    fsync_dir(pkglib)
    gc(lib)


def gc(lib):
    pkglib = os.path.join(lib, "PkgLib")
    keep = set()
    for n in os.listdir(pkglib):
        if n.endswith(".json"):
            with open(os.path.join(pkglib, n), "rb") as f:
                for e in json.load(f)["files"]:
                    keep.add(e["sha256"])
    for root, dirs, names in os.walk(os.path.join(lib, "FileLib")):
        for n in names:
            if n not in keep:
                os.unlink(os.path.join(root, n))


def raw(port, target_hex, body_file, method):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
    s.sendall(method.encode() + b" " + bytes.fromhex(target_hex) +
              b" HTTP/1.1\r\nHost: dp\r\nConnection: close\r\n\r\n")
    status, body = read_reply(s)
    with open(body_file, "wb") as f:
        f.write(body)
    print(status)


DAV = "{DAV:}"
EH = "{urn:ehttp:dp}"


def expected(src, path, depth):
    """{path: (is_folder, size, sha256)} of PATH and its entries."""
    def entry(rel):
        full = os.path.join(src, rel) if rel else src
        if os.path.isdir(full):
            return (True, 0, None)
        return (False, os.path.getsize(full), sha256_of(full))
    want = {path: entry(path)}
    if depth == 1 and os.path.isdir(os.path.join(src, path) if path else src):
        for n in os.listdir(os.path.join(src, path) if path else src):
            rel = path + "/" + n if path else n
            want[rel] = entry(rel)
    return want


def propfind_check(xml_file, src, vdir, pkgid, path, depth):
    root = ET.parse(xml_file).getroot()
    if root.tag != DAV + "multistatus":
        return "root is " + root.tag
    want = expected(src, path, int(depth))
    base = "/" + vdir + "/" + pkgid + "/"
    for r in root.findall(DAV + "response"):
        href = r.find(DAV + "href").text
        if not href.startswith(base):
            return "href %r is not under %r" % (href, base)
        rel = urllib.parse.unquote(href[len(base):], errors="strict")
        folder = rel.endswith("/") or rel == ""
        rel = rel.rstrip("/")
        if rel not in want:
            return "unexpected href %r (%r)" % (href, rel)
        is_dir, size, sha = want.pop(rel)
        prop = r.find(DAV + "propstat/" + DAV + "prop")
        status = r.find(DAV + "propstat/" + DAV + "status").text
        name = prop.find(DAV + "displayname").text
        want_name = rel.split("/")[-1] if rel else pkgid
        coll = prop.find(DAV + "resourcetype/" + DAV + "collection") is not None
        if status != "HTTP/1.1 200 OK":
            return "%r: status %r" % (rel, status)
        if name != want_name:
            return "%r: displayname %r" % (rel, name)
        if coll != is_dir or folder != is_dir:
            return "%r: collection %r, href %r" % (rel, coll, href)
        email.utils.parsedate_to_datetime(
            prop.find(DAV + "getlastmodified").text)
        if is_dir:
            continue
        if int(prop.find(DAV + "getcontentlength").text) != size:
            return "%r: getcontentlength %r" % (rel, size)
        if prop.find(DAV + "getetag").text != '"' + sha + '"':
            return "%r: getetag %r" % (rel, prop.find(DAV + "getetag").text)
        if prop.find(EH + "sha256").text != sha:
            return "%r: sha256" % rel
    if want:
        return "missing: %r" % sorted(want)
    return "ok %d" % len(root.findall(DAV + "response"))


def main(argv):
    if len(argv) >= 7 and argv[1] == "add":
        add(argv[2], argv[3], argv[4], argv[5], argv[6], "--link" in argv[7:])
    elif len(argv) == 5 and argv[1] == "manifest":
        with open(argv[4], "rb") as f:
            write_atomic(os.path.join(argv[2], "PkgLib", argv[3] + ".json"),
                         f.read())
    elif len(argv) == 4 and argv[1] == "remove":
        remove(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "gc":
        gc(argv[2])
    elif len(argv) in (5, 6) and argv[1] == "raw":
        raw(argv[2], argv[3], argv[4], argv[5] if len(argv) == 6 else "GET")
    elif len(argv) == 8 and argv[1] == "propfind-check":
        print(propfind_check(*argv[2:8]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
