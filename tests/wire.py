#!/usr/bin/python3
"""An independent client and management point for ehttp's tests.

Written from the public description of the registration message (multipart
with boundary aAbBcCdDv1234567890VxXyYzZ; part 1 the UTF-16 <Msg> header
with BOM; part 2 zlib of the UTF-16LE ClientRegistrationRequest and a NUL;
the signature RSA PKCS#1 v1.5 SHA-256 over the UTF-16LE bytes of <Data>,
reversed, upper-case hex) and of ehttp's reply (wire.h) and management
point protocol (backend/mp/mp.h), with python3's zlib, xml.etree,
cryptography, jwt, ssl and http.server: none of ehttp's code.

usage:
  wire.py make-request DIR [SMSID]  DIR/body, DIR/cert.der, DIR/key.pem (a
                                new client; SMSID: a re-registration)
  wire.py client-token DIR SMSID  the ClientToken and ClientTokenSignature
                                headers (now, signed with DIR/key.pem)
  wire.py check-request BODY    prints the fields when the signature verifies
  wire.py check-reply FILE      prints SMSID Status ApprovalStatus Timestamp
  wire.py jwt-verify TOKENFILE CERT.der   prints the claims as JSON
  wire.py jwt-sign DIR CLAIMS   DIR/token and DIR/cert.der (new RSA key)
  wire.py jwt-forge TOKENFILE CLAIMS  the token with CLAIMS (JSON) merged
                                into its claims and its signature kept
  wire.py content-verify TOKENFILE SIGNER.der CLIENT.der  a content access
                                token checked by python3-jwt (signature,
                                aud urn:sccm:dp, exp, 8 hours, Type) and
                                its cnf x5t#S256 against CLIENT.der;
                                prints the claims as JSON
  wire.py dp-headers DIR SMSID TOKENFILE [CERT.der]  the headers of a
                                distribution point request: the token,
                                the ClientToken (now) signed with DIR's key
                                (DIR/key.pem, or an ehttp-client state's
                                key.p8 and master; a new key.pem and
                                cert.der when DIR has neither) and
                                CERT.der (default DIR/cert.der) in hex
  wire.py locate DIR SMSID PKGID HOST PORT ROOT.pem  a ContentLocationRequest
                                for PKGID (TargetEndpoint MP_LocationManager,
                                the ClientToken signed with DIR's key as
                                dp-headers) sent by CCM_POST over TLS to
                                127.0.0.1:PORT, verified for HOST against
                                ROOT.pem; prints the HTTP status, then the
                                reply read by xml.etree: "package ID
                                VERSION" and one line "URL AUTHMETHOD
                                SSLSTATE SERVER" per LocationRecord
  wire.py make-pki DIR NAME     DIR/root.pem, DIR/mp.pem, DIR/mp.key: a root
                                and a TLS server certificate for NAME
  wire.py serve DIR [MODE]      a management point over TLS (DIR/mp.pem,
                                DIR/mp.key) on a loopback port it writes to
                                DIR/port; request N recorded in
                                DIR/req-N.head and DIR/req-N.body. MODE mp
                                (default): registration verified as
                                check-request (approved with a Bearer
                                header, else pending), /CCM_STS (the
                                ClientToken signature verified with the
                                registered certificate; an RS256 JWT by a
                                key of its own, DIR/sts.der), the token
                                endpoint (that JWT checked by python3-jwt).
                                MODE hostile401: every request gets 401 with
                                ESC, BEL and a raw 0x9b byte in its reason.
                                MODE badsmsid: registration answered with an
                                SMSID holding a C1 CSI, a line feed and a
                                right-to-left override. MODE otherpkg: as mp,
                                but a location request is answered for a
                                package whose ID holds those characters.
"""
import base64
import datetime
import hashlib
import json
import sys
import zlib
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from httpreply import read_reply

BOUNDARY = b"aAbBcCdDv1234567890VxXyYzZ"
EKU_ENC = ObjectIdentifier("1.3.6.1.4.1.311.101.2")
EKU_SIGN = ObjectIdentifier("1.3.6.1.4.1.311.101")


def self_signed(name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.ExtendedKeyUsage([EKU_ENC, EKU_SIGN]), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def capi_sign(key, data):
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())[::-1].hex().upper()


def make_request(d, smsid=""):
    import os
    try:
        key = serialization.load_pem_private_key(
            open(d + "/key.pem", "rb").read(), None)
        cert = x509.load_der_x509_certificate(open(d + "/cert.der", "rb").read())
    except FileNotFoundError:
        key, cert = self_signed("py-client.contoso.com")
        fd = os.open(d + "/key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        os.close(fd)
    der = cert.public_bytes(serialization.Encoding.DER)
    h = der.hex().upper()
    data = ('<Data HashAlgorithm="1.2.840.113549.1.1.11" SMSID="' + smsid + '" '
            'RequestType="Registration" TimeStamp="2026-12-05T01:02:03Z">'
            '<AgentInformation AgentIdentity="CCMSetup.exe" '
            'AgentVersion="5.00.9128.1000" AgentType="0"/>'
            '<Certificates><Encryption Encoding="HexBinary" KeyType="1">' + h +
            '</Encryption><Signing Encoding="HexBinary" KeyType="1">' + h +
            '</Signing></Certificates><DiscoveryProperties>'
            '<Property Name="Netbios Name" Value="PY-CLIENT"/>'
            '<Property Name="FQ Name" Value="py-client.contoso.com"/>'
            '<Property Name="Locale ID" Value="1033"/>'
            '<Property Name="InternetFlag" Value="0"/>'
            '</DiscoveryProperties></Data>')
    sig = capi_sign(key, data.encode("utf-16-le"))
    body = ("<ClientRegistrationRequest>" + data + "<Signature><SignatureValue>" +
            sig + "</SignatureValue></Signature></ClientRegistrationRequest>"
            ).encode("utf-16-le") + b"\x00\x00"
    header = ('<Msg SchemaVersion="1.1"><ID>{5DD100CD-DF1D-45F5-BA17-A327F43465F8}</ID>'
              '<SourceID></SourceID><SourceHost>PY-CLIENT</SourceHost>'
              '<TargetAddress>mp:[http]MP_ClientRegistration</TargetAddress>'
              '<TargetEndpoint>MP_ClientRegistration</TargetEndpoint>'
              '<TargetHost>mp1.contoso.com</TargetHost>'
              '<ReplyTo>direct:PY-CLIENT:SccmMessaging</ReplyTo><ReplyMode>Sync</ReplyMode>'
              '<Priority>3</Priority><Timeout>60000</Timeout>'
              '<SentTime>2026-12-05T01:02:03Z</SentTime><Protocol>http</Protocol>'
              '<CorrelationID>{00000000-0000-0000-0000-000000000000}</CorrelationID>'
              '<ReplyCompression>zlib</ReplyCompression>'
              '<Body Type="ByteRange" Offset="0" Length="%d"/>'
              '<Hooks><Hook3 Name="zlib-compress"/></Hooks>'
              '<Payload Type="inline"/></Msg>' % len(body))
    mp = (b"--" + BOUNDARY + b"\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n" +
          header.encode("utf-16") + b"\r\n--" + BOUNDARY +
          b"\r\ncontent-type: application/octet-stream\r\n\r\n" +
          zlib.compress(body) + b"\r\n--" + BOUNDARY + b"--\r\n")
    open(d + "/body", "wb").write(mp)
    open(d + "/cert.der", "wb").write(der)


def client_token(d, smsid):
    key = serialization.load_pem_private_key(open(d + "/key.pem", "rb").read(), None)
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    tok = "%s;%s;2" % (smsid, now)
    print("ClientToken: " + tok)
    print("ClientTokenSignature: " + capi_sign(key, tok.encode("utf-16-le")))


def check_request(path):
    r = verify_request(open(path, "rb").read())
    print("verified", r["type"], r["hash"], r["fq"], r["host"])


def verify_request(raw):
    """The fields of a registration request whose signature verifies
    (AssertionError or cryptography's InvalidSignature otherwise)."""
    parts = raw.split(b"--" + BOUNDARY)
    assert parts[0] == b"" and parts[-1].startswith(b"--"), "framing"
    p1, p2 = parts[1], parts[2]
    h1, b1 = p1.split(b"\r\n\r\n", 1)
    h2, b2 = p2.split(b"\r\n\r\n", 1)
    assert b1.endswith(b"\r\n") and b2.endswith(b"\r\n")
    b1, b2 = b1[:-2], b2[:-2]
    assert b1[:2] == b"\xff\xfe", "BOM"
    msg = ET.fromstring(b1.decode("utf-16"))
    assert msg.tag == "Msg" and msg.findtext("TargetEndpoint") == "MP_ClientRegistration"
    assert msg.find("Hooks/Hook3").get("Name") == "zlib-compress"
    body = zlib.decompress(b2)
    assert int(msg.find("Body").get("Length")) == len(body)
    assert body.endswith(b"\x00\x00")
    body = body[:-2]
    root = ET.fromstring(body.decode("utf-16-le"))
    data_el = root.find("Data")
    start = body.index("<Data ".encode("utf-16-le"))
    end = body.index("</Data>".encode("utf-16-le")) + len("</Data>") * 2
    signed = body[start:end]
    cert = x509.load_der_x509_certificate(
        bytes.fromhex(data_el.findtext("Certificates/Signing")))
    sig = bytes.fromhex(root.findtext("Signature/SignatureValue"))[::-1]
    cert.public_key().verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
    props = {p.get("Name"): p.get("Value")
             for p in data_el.findall("DiscoveryProperties/Property")}
    return {"type": data_el.get("RequestType"),
            "hash": data_el.get("HashAlgorithm"), "fq": props.get("FQ Name"),
            "host": msg.findtext("SourceHost"), "smsid": data_el.get("SMSID"),
            "cert": cert}


def check_reply(path):
    body = zlib.decompress(open(path, "rb").read())
    assert body.endswith(b"\x00\x00")
    root = ET.fromstring(body[:-2].decode("utf-16-le"))
    print(root.tag, root.get("SMSID"), root.findtext("Status"),
          root.findtext("ApprovalStatus"), root.findtext("Timestamp"))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_verify(token_path, cert_path):
    import jwt
    der = open(cert_path, "rb").read()
    token = open(token_path).read().strip()
    hdr = jwt.get_unverified_header(token)
    assert hdr["x5t"] == b64u(hashlib.sha1(der).digest()), "x5t"
    assert hdr["typ"] == "JWT" and hdr["alg"] == "RS256"
    key = x509.load_der_x509_certificate(der).public_key()
    claims = jwt.decode(token, key=key, algorithms=["RS256"],
                        options={"verify_aud": False, "verify_exp": False})
    print(json.dumps(claims, sort_keys=True))


def jwt_sign(d, claims):
    import jwt
    key, cert = self_signed("py-token")
    der = cert.public_bytes(serialization.Encoding.DER)
    tok = jwt.encode(json.loads(claims), key, algorithm="RS256",
                     headers={"x5t": b64u(hashlib.sha1(der).digest())})
    open(d + "/token", "w").write(tok)
    open(d + "/cert.der", "wb").write(der)


def jwt_forge(token_path, claims):
    h, c, sig = open(token_path).read().strip().split(".")
    body = json.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))
    body.update(json.loads(claims))
    print(h + "." + b64u(json.dumps(body).encode()) + "." + sig)


def content_verify(token_path, signer_path, client_path):
    import jwt
    signer = x509.load_der_x509_certificate(open(signer_path, "rb").read())
    token = open(token_path).read().strip()
    hdr = jwt.get_unverified_header(token)
    assert hdr["x5t"] == b64u(hashlib.sha1(open(signer_path, "rb").read()).digest())
    claims = jwt.decode(token, key=signer.public_key(), algorithms=["RS256"],
                        audience="urn:sccm:dp",
                        options={"require": ["exp", "nbf", "iat"]})
    assert claims["Type"] == "ContentAccessToken", claims
    assert claims["exp"] - claims["nbf"] == 8 * 3600, claims
    bound = b64u(hashlib.sha256(open(client_path, "rb").read()).digest())
    assert claims["cnf"] == {"x5t#S256": bound}, (claims["cnf"], bound)
    print(json.dumps(claims, sort_keys=True))


def dp_headers(d, smsid, token_path, cert_path=None):
    import os
    if os.path.exists(d + "/key.pem"):
        key = serialization.load_pem_private_key(open(d + "/key.pem", "rb").read(), None)
    elif os.path.exists(d + "/key.p8"):
        key = serialization.load_der_private_key(
            open(d + "/key.p8", "rb").read(), open(d + "/master", "rb").read())
    else:
        key, cert = self_signed("py-dp-client")
        open(d + "/key.pem", "wb").write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        open(d + "/cert.der", "wb").write(cert.public_bytes(serialization.Encoding.DER))
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    tok = "%s;%s;2" % (smsid, now)
    print("Authorization: Bearer " + open(token_path).read().strip())
    print("ClientToken: " + tok)
    print("ClientTokenSignature: " + capi_sign(key, tok.encode("utf-16-le")))
    print("ClientTokenCertificate: " +
          open(cert_path or d + "/cert.der", "rb").read().hex().upper())


def client_key(d):
    import os
    if os.path.exists(d + "/key.pem"):
        return serialization.load_pem_private_key(open(d + "/key.pem", "rb").read(), None)
    return serialization.load_der_private_key(
        open(d + "/key.p8", "rb").read(), open(d + "/master", "rb").read())


def locate(d, smsid, pkg, host, port, root):
    import socket
    import ssl
    key = client_key(d)
    body = ('<ContentLocationRequest SchemaVersion="1.00" ExcludeFileList="">'
            '<Package ID="%s" Version=""/><AssignedSite SiteCode="P01"/>'
            '<ClientLocationInfo LocationType="SMSPackage" UseInternetDP="0" '
            'AllowHTTP="1" AllowSMB="0" AllowMulticast="0"/>'
            '</ContentLocationRequest>' % pkg).encode("utf-16-le") + b"\x00\x00"
    header = ('<Msg SchemaVersion="1.1"><ID>{5DD100CD-DF1D-45F5-BA17-A327F43465F9}</ID>'
              '<SourceID>%s</SourceID><SourceHost>PY-CLIENT</SourceHost>'
              '<TargetAddress>mp:[http]MP_LocationManager</TargetAddress>'
              '<TargetEndpoint>MP_LocationManager</TargetEndpoint>'
              '<TargetHost>%s</TargetHost><ReplyMode>Sync</ReplyMode>'
              '<Protocol>http</Protocol><ReplyCompression>zlib</ReplyCompression>'
              '<Body Type="ByteRange" Offset="0" Length="%d"/>'
              '<Hooks><Hook3 Name="zlib-compress"/></Hooks>'
              '<Payload Type="inline"/></Msg>' % (smsid, host, len(body)))
    mp = (b"--" + BOUNDARY + b"\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n" +
          header.encode("utf-16") + b"\r\n--" + BOUNDARY +
          b"\r\ncontent-type: application/octet-stream\r\n\r\n" +
          zlib.compress(body) + b"\r\n--" + BOUNDARY + b"--\r\n")
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    tok = "%s;%s;2" % (smsid, now)
    req = ("CCM_POST /ccm_system/request HTTP/1.1\r\nHost: %s:%s\r\n"
           "User-Agent: ConfigMgr Messaging HTTP Sender\r\n"
           "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
           "ClientToken: %s\r\nClientTokenSignature: %s\r\n"
           "Content-Length: %d\r\nConnection: close\r\n\r\n" %
           (host, port, BOUNDARY.decode(), tok,
            capi_sign(key, tok.encode("utf-16-le")), len(mp))).encode() + mp
    ctx = ssl.create_default_context(cafile=root)
    with socket.create_connection(("127.0.0.1", int(port))) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as t:
            t.sendall(req)
            status, payload = read_reply(t)
    status = int(status)
    print(status)
    if status != 200:
        return
    xml = zlib.decompress(payload)
    assert xml.endswith(b"\x00\x00")
    root_el = ET.fromstring(xml[:-2].decode("utf-16-le"))
    assert root_el.tag == "ContentLocationReply"
    ci = root_el.find("ContentInfo")
    if ci is not None:
        print("package", ci.get("PackageID"), ci.get("Version"))
    for rec in root_el.iter("LocationRecord"):
        caps = {p.get("Name"): p.get("Value")
                for p in rec.find("Capabilities").iter("Property")}
        print(rec.find("URL").get("Name"), caps.get("AuthMethod", "-"),
              caps.get("SSLState"), rec.find("ServerRemoteName").text)


def make_pki(d, name):
    from cryptography.x509.oid import ExtendedKeyUsageOID
    now = datetime.datetime.utcnow()
    rkey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root " + name)])
    root = (x509.CertificateBuilder().subject_name(rname).issuer_name(rname)
            .public_key(rkey.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                         False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(rkey.public_key()),
                           critical=False)
            .sign(rkey, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(rname).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                rkey.public_key()), critical=False)
            .sign(rkey, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    open(d + "/root.pem", "wb").write(root.public_bytes(pem))
    open(d + "/mp.pem", "wb").write(leaf.public_bytes(pem))
    open(d + "/mp.key", "wb").write(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def reply_body(smsid, approval):
    xml = ('<ClientRegistrationReply SchemaVersion="1.0" SMSID="%s"><Status>0</Status>'
           '<ApprovalStatus>%d</ApprovalStatus><ResponseType>Registration</ResponseType>'
           '<Timestamp>%s</Timestamp></ClientRegistrationReply>' %
           (smsid, approval, datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")))
    return zlib.compress(xml.encode("utf-16-le") + b"\x00\x00")


HOSTILE = "\u009b2J\n\u202e"


def location_reply(pkg):
    """A ContentLocationReply for pkg with one token-authenticated DP."""
    xml = ('<ContentLocationReply SchemaVersion="1.00"><ContentInfo '
           'PackageID="%s" Version="1" Name="x"/><Sites><Site><MPSite '
           'SiteCode="PY1" MasterSiteCode="PY1" SiteLocality="LOCAL"/>'
           '<LocationRecords><LocationRecord><URL Name="https://dp.py/'
           'CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001"/><ServerRemoteName>dp.py'
           '</ServerRemoteName><DPType>SERVER</DPType><Locality>LOCAL'
           '</Locality><Capabilities SchemaVersion="1.0"><Property '
           'Name="SSLState" Value="1"/><Property Name="AuthMethod" '
           'Value="1024"/></Capabilities></LocationRecord></LocationRecords>'
           '</Site></Sites></ContentLocationReply>' %
           pkg.replace("\n", "&#10;"))
    return zlib.compress(xml.encode("utf-16-le") + b"\x00\x00")


def serve(d, mode):
    import http.server
    import os
    import ssl
    import uuid
    import jwt
    sts_key, sts_cert = self_signed("py-sts")
    sts_der = sts_cert.public_bytes(serialization.Encoding.DER)
    open(d + "/sts.der", "wb").write(sts_der)
    x5t = b64u(hashlib.sha1(sts_der).digest())
    clients = {}            # SMSID -> [certificate, approval]
    count = [0]
    leaf = x509.load_pem_x509_certificate(open(d + "/mp.pem", "rb").read())
    mp_name = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, ctype, body, extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, status, why):
            self.answer(status, "text/plain", why.encode(), [(
                "WWW-Authenticate", 'Bearer error="invalid_token", '
                'error_description="%s"' % why)])

        def register(self, body):
            try:
                r = verify_request(body)
            except Exception as e:
                self.answer(400, "text/plain", ("refused: %r" % e).encode())
                return
            der = r["cert"].public_bytes(serialization.Encoding.DER)
            smsid = next((k for k, v in clients.items() if v[0] == der),
                         "GUID:" + str(uuid.uuid4()))
            approved = 1 if self.headers.get("Authorization", "").startswith(
                "Bearer ") else 0
            clients[smsid] = [der, max(approved, clients.get(smsid, [0, 0])[1])]
            if mode == "badsmsid":
                smsid = "GUID:" + HOSTILE.replace("\n", "&#10;")
            self.answer(200, "application/octet-stream",
                        reply_body(smsid, clients[smsid][1] if smsid in clients else 0))

        def sts(self):
            ct = self.headers.get("ClientToken", "")
            smsid, when = (ct.split(";") + ["", ""])[:2]
            if smsid not in clients:
                return self.refuse(401, "unknown client")
            cert = x509.load_der_x509_certificate(clients[smsid][0])
            try:
                sig = bytes.fromhex(self.headers.get("ClientTokenSignature", ""))
                cert.public_key().verify(sig[::-1], ct.encode("utf-16-le"),
                                         padding.PKCS1v15(), hashes.SHA256())
                t = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
                assert abs((t - datetime.datetime.utcnow()).total_seconds()) < 900
            except Exception:
                return self.refuse(401, "ClientToken does not verify")
            if not clients[smsid][1]:
                return self.answer(403, "text/plain", b"not approved")
            site = "Type=SiteToken" in self.path
            life = 7776000 if site else 28800
            now = int(datetime.datetime.utcnow().timestamp())
            tok = jwt.encode({"iss": "urn:sccm:oauth2:py", "aud": "urn:sccm:service",
                              "nbf": now, "exp": now + life, "UniqueId": smsid,
                              "Type": "SiteToken" if site else "CCMToken"},
                             sts_key, algorithm="RS256", headers={"x5t": x5t})
            self.answer(200, "application/json", json.dumps(
                {"token": tok, "token_type": "Bearer", "expires_in": life}).encode())

        def tokenauth(self):
            auth = self.headers.get("Authorization", "")
            try:
                c = jwt.decode(auth[len("Bearer "):], sts_key.public_key(),
                               algorithms=["RS256"], audience="urn:sccm:service")
                assert c["Type"] == "CCMToken"
            except Exception as e:
                return self.refuse(401, "token refused: " + type(e).__name__)
            self.answer(200, "text/xml",
                        ('<PolicyAssignmentReply SMSID="%s"/>' % c["UniqueId"]).encode())

        def keyinfo(self):
            # ?MPKEYINFORMATIONEX as a client reads it: the site, the
            # trusted root's SubjectPublicKeyInfo in hex, the MPs.
            root = x509.load_pem_x509_certificate(open(d + "/root.pem", "rb").read())
            spki = root.public_key().public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            r = ET.Element("MPKEYINFORMATIONEX")
            ET.SubElement(r, "SITECODE").text = "PY1"
            ET.SubElement(r, "RootKeyBlob").text = spki.hex().upper()
            mps = ET.SubElement(r, "MPs")
            ET.SubElement(mps, "MP", Name=mp_name.upper(), FQDN=mp_name)
            self.answer(200, "text/xml", ET.tostring(r))

        def handle_any(self):
            if self.path == "/SMS_MP/.sms_aut?MPKEYINFORMATIONEX":
                return self.keyinfo()   # location: not a numbered request
            count[0] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with open("%s/req-%d.head" % (d, count[0]), "w") as f:
                f.write("%s %s\n%s" % (self.command, self.path, self.headers))
            open("%s/req-%d.body" % (d, count[0]), "wb").write(body)
            path = self.path.split("?")[0]
            if mode == "hostile401":
                self.answer(401, "text/plain", b"refused\x1b[31m red\x07\n", [(
                    "WWW-Authenticate", 'Bearer error_description='
                    '"\x1b[2J\x1b]0;pwned\x07gone\x9b"')])
            elif (mode == "otherpkg" and path == "/ccm_system/request" and
                  "MP_LocationManager".encode("utf-16-le") in body):
                self.answer(200, "application/octet-stream",
                            location_reply("P0100001" + HOSTILE))
            elif path == "/ccm_system/request" and self.command == "CCM_POST":
                self.register(body)
            elif path == "/CCM_STS" and self.command == "GET":
                self.sts()
            elif path == "/ccm_system_tokenauth/request":
                self.tokenauth()
            else:
                self.answer(404, "text/plain", b"not found")

        do_GET = do_POST = do_CCM_POST = handle_any

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d + "/mp.pem", d + "/mp.key")
    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    open(d + "/port.tmp", "w").write(str(srv.server_address[1]))
    os.rename(d + "/port.tmp", d + "/port")
    srv.serve_forever()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make-request":
        make_request(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    elif cmd == "client-token":
        client_token(sys.argv[2], sys.argv[3])
    elif cmd == "check-request":
        check_request(sys.argv[2])
    elif cmd == "check-reply":
        check_reply(sys.argv[2])
    elif cmd == "jwt-verify":
        jwt_verify(sys.argv[2], sys.argv[3])
    elif cmd == "jwt-sign":
        jwt_sign(sys.argv[2], sys.argv[3])
    elif cmd == "jwt-forge":
        jwt_forge(sys.argv[2], sys.argv[3])
    elif cmd == "content-verify":
        content_verify(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "dp-headers":
        dp_headers(sys.argv[2], sys.argv[3], sys.argv[4],
                   sys.argv[5] if len(sys.argv) > 5 else None)
    elif cmd == "locate":
        locate(*sys.argv[2:8])
    elif cmd == "make-pki":
        make_pki(sys.argv[2], sys.argv[3])
    elif cmd == "serve":
        serve(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "mp")
    else:
        sys.exit("unknown command " + cmd)
