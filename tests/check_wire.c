/*
 * wire (backend/wire/) and the client crypto of backend/ca/ (issue #14):
 * the registration request and reply, client certificates, CryptoAPI
 * signatures and RS256 tokens. The other side is tests/wire.py, written
 * from the public description of the format with python3's zlib,
 * xml.etree, cryptography and jwt, and the openssl CLI: a request python3
 * built decodes here and its signature verifies; ehttp's request, reply
 * and tokens are read and verified by python3.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "ca.h"
#include "testutil.h"
#include "wire-int.h"
#include "wire.h"
#include "xmalloc.h"

#define H64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The fuzz target's own checks, run on its seeds in the ordinary suite. */
#define LLVMFuzzerTestOneInput	fuzz_wire_one
#include "fuzz/fuzz-wire.c"
#undef LLVMFuzzerTestOneInput

static const char master[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* python3 tests/wire.py ARGS (asserted to exit 0); its output, malloc'ed. */
static char *
py(const char *args)
{
	return tu_sh_ok("%s '%s/tests/wire.py' %s", tu_python(), EHTTP_SRCDIR,
	    args);
}

static struct wire_bytes
file_bytes(const char *path)
{
	struct wire_bytes b = { 0 };

	b.data = (unsigned char *)tu_read_file(path, &b.len);
	ck_assert_msg(b.data != NULL, "cannot read %s", path);
	return b;
}

/* A client certificate of ehttp's, asserted. */
static void
client_new(struct ca *ca, const char *name, struct ca_issued *c)
{
	ck_assert_msg(ca_client_cert_create(ca, name, master, c) == 0, "%s",
	    ca_error(ca));
}

/* wire.py CMD over bytes b, written to tu_dir/name: its first line. */
static char *
py_bytes(const char *cmd, const char *name, const struct wire_bytes *b)
{
	char args[4200];

	ck_assert_int_eq(tu_write_file(tu_path(name), (char *)b->data, b->len),
	    0);
	snprintf(args, sizeof args, "%s '%s'", cmd, tu_path(name));
	return tu_line1(py(args));
}

/* A copy of certificate cert for a request (which frees its own). */
static void
cert_copy(struct wire_bytes *to, const struct ca_blob *cert)
{
	to->data = xmalloc(cert->len);
	memcpy(to->data, cert->data, cert->len);
	to->len = cert->len;
}

/* ehttp's own registration request of client c, asserted. */
static void
request_make(struct ca *ca, const struct ca_issued *c, struct wire_bytes *body)
{
	struct wire_reg r;
	struct ca_blob sig = { 0 };
	char *why = NULL;

	memset(&r, 0, sizeof r);
	r.msg.source_host = xstrdup("EHTTP-CLIENT");
	r.msg.target_host = xstrdup("mp1.contoso.com");
	r.msg.reply_to = xstrdup("direct:EHTTP-CLIENT:SccmMessaging");
	cert_copy(&r.sign_cert, &c->cert);
	cert_copy(&r.enc_cert, &c->cert);
	wire_reg_prop_add(&r, "Netbios Name", "EHTTP-CLIENT");
	wire_reg_prop_add(&r, "FQ Name", "ehttp-client.contoso.com");
	wire_reg_prop_add(&r, "Locale ID", "1033");
	wire_reg_prop_add(&r, "InternetFlag", "0");
	ck_assert_msg(wire_reg_data(&r, &why) == 0, "%s", why);
	ck_assert_msg(ca_capi_sign(ca, c->key.data, c->key.len, master,
	    r.data.data, r.data.len, &sig) == 0, "%s", ca_error(ca));
	r.sig.data = sig.data;
	r.sig.len = sig.len;
	ck_assert_msg(wire_reg_encode(&r, body, &why) == 0, "%s", why);
	wire_reg_clear(&r);
}

/* ------------------------------------------------------------------ requests */

/*
 * A request python3 made: decoded, every field as sent, the signed bytes
 * exactly python3's, the signature verifies with the certificate in it,
 * and the certificate passes the client checks. One flipped bit in the
 * signature, or in the signed bytes, and it does not.
 */
START_TEST(python_request_verifies)
{
	struct wire_bytes body, cert;
	struct wire_reg r;
	struct ca *ca = ca_new();
	char cmd[4200], *why = NULL;

	snprintf(cmd, sizeof cmd, "make-request '%s'", tu_dir);
	free(py(cmd));
	body = file_bytes(tu_path("body"));
	cert = file_bytes(tu_path("cert.der"));
	ck_assert_msg(wire_reg_decode(WIRE_CONTENT_TYPE, body.data, body.len,
	    &r, &why) == 0, "%s", why);
	ck_assert_str_eq(r.msg.target_endpoint, "MP_ClientRegistration");
	ck_assert_str_eq(r.msg.source_host, "PY-CLIENT");
	ck_assert_str_eq(r.msg.source_id, "");
	ck_assert_str_eq(r.msg.reply_to, "direct:PY-CLIENT:SccmMessaging");
	ck_assert(r.msg.zlib_hook);
	ck_assert_str_eq(r.hash_alg, "1.2.840.113549.1.1.11");
	ck_assert_str_eq(r.smsid, "");
	ck_assert_str_eq(r.request_type, "Registration");
	ck_assert_str_eq(r.timestamp, "2026-12-05T01:02:03Z");
	ck_assert_str_eq(r.agent_version, "5.00.9128.1000");
	ck_assert_int_eq(r.sign_key_type, 1);
	ck_assert_int_eq(r.enc_key_type, 1);
	ck_assert_uint_eq(r.sign_cert.len, cert.len);
	ck_assert(memcmp(r.sign_cert.data, cert.data, cert.len) == 0);
	ck_assert_uint_eq(r.enc_cert.len, cert.len);
	ck_assert_uint_eq(r.nprops, 4);
	ck_assert_str_eq(wire_reg_prop(&r, "FQ Name"), "py-client.contoso.com");
	ck_assert_str_eq(wire_reg_prop(&r, "Netbios Name"), "PY-CLIENT");
	ck_assert_ptr_null(wire_reg_prop(&r, "Nope"));
	ck_assert_uint_eq(r.sig.len, 256);
	/* The signed bytes: UTF-16LE "<Data " ... "</Data>". */
	ck_assert(memcmp(r.data.data, "<\0D\0a\0t\0a\0 \0", 12) == 0);
	ck_assert(memcmp(r.data.data + r.data.len - 14,
	    "<\0/\0D\0a\0t\0a\0>\0", 14) == 0);

	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, r.sig.len), 1);
	ck_assert_int_eq(ca_client_cert_check(ca, r.sign_cert.data,
	    r.sign_cert.len, time(NULL)), 1);

	r.sig.data[100] ^= 0x08;
	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, r.sig.len), 0);
	ck_assert_str_eq(ca_error(ca), "message signature: signature does not "
	    "verify with the certificate's key");
	r.sig.data[100] ^= 0x08;
	r.data.data[20] ^= 0x01;
	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, r.sig.len), 0);
	r.data.data[20] ^= 0x01;
	/* Not reversed: the byte order is part of the format. */
	for (size_t i = 0; i < r.sig.len / 2; i++) {
		unsigned char t = r.sig.data[i];

		r.sig.data[i] = r.sig.data[r.sig.len - 1 - i];
		r.sig.data[r.sig.len - 1 - i] = t;
	}
	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, r.sig.len), 0);
	/* Too short a signature: refused by length, not an error. */
	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, 10), 0);
	ck_assert_str_eq(ca_error(ca), "message signature: signature of 10 "
	    "bytes, the key's are 256");
	/* A certificate that is not one: an error (-1), named. */
	ck_assert_int_eq(ca_capi_verify(ca, r.data.data, 30, r.data.data,
	    r.data.len, r.sig.data, r.sig.len), -1);
	ck_assert(strstr(ca_error(ca), "signing certificate") != NULL);

	wire_reg_clear(&r);
	wire_bytes_free(&body);
	wire_bytes_free(&cert);
	ca_free(ca);
}
END_TEST

/*
 * ehttp's own request: python3 takes it apart with its zlib and XML
 * parser and verifies the signature with python3-cryptography; ehttp
 * decodes it back to what was put in.
 */
START_TEST(ehttp_request_python_verifies)
{
	struct wire_bytes body = { 0 };
	struct ca_issued c;
	struct wire_reg r;
	struct ca *ca = ca_new();
	char *out, *why = NULL;

	client_new(ca, "ehttp-client.contoso.com", &c);
	request_make(ca, &c, &body);
	out = py_bytes("check-request", "body", &body);
	ck_assert_str_eq(out, "verified Registration "
	    "1.2.840.113549.1.1.11 ehttp-client.contoso.com EHTTP-CLIENT");
	free(out);

	ck_assert_msg(wire_reg_decode(WIRE_CONTENT_TYPE, body.data, body.len,
	    &r, &why) == 0, "%s", why);
	ck_assert_str_eq(r.msg.target_address, "mp:[http]MP_ClientRegistration");
	ck_assert_str_eq(r.msg.reply_compression, "zlib");
	ck_assert_str_eq(r.msg.target_host, "mp1.contoso.com");
	ck_assert_str_eq(r.agent_identity, "CCMSetup.exe");
	ck_assert_str_eq(wire_reg_prop(&r, "FQ Name"),
	    "ehttp-client.contoso.com");
	ck_assert_uint_eq(r.sign_cert.len, c.cert.len);
	ck_assert(memcmp(r.sign_cert.data, c.cert.data, c.cert.len) == 0);
	ck_assert_int_eq(ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len,
	    r.data.data, r.data.len, r.sig.data, r.sig.len), 1);
	ck_assert(r.msg.body_length > 0);
	ck_assert(r.msg.id != NULL && strlen(r.msg.id) == 38 &&
	    r.msg.id[0] == '{');
	wire_reg_clear(&r);
	wire_bytes_free(&body);
	ca_issued_clear(&c);
	ca_free(ca);
}
END_TEST

/* ------------------------------------------------------------------ malformed */

#define HDR_OK "<Msg SchemaVersion=\"1.1\"><ID>{1}</ID>" \
	"<TargetEndpoint>MP_ClientRegistration</TargetEndpoint>" \
	"<Body Type=\"ByteRange\" Offset=\"0\" Length=\"10\"/>" \
	"<Hooks><Hook3 Name=\"zlib-compress\"/></Hooks></Msg>"
#define DATA_OK "<Data HashAlgorithm=\"1.2.840.113549.1.1.11\" SMSID=\"\" " \
	"RequestType=\"Registration\" TimeStamp=\"2026-12-05T01:02:03Z\">" \
	"<Certificates><Signing Encoding=\"HexBinary\" KeyType=\"1\">3082AB" \
	"</Signing></Certificates></Data>"
#define SIG_OK "<Signature><SignatureValue>00FF</SignatureValue></Signature>"
#define REQ(data, sig) "<ClientRegistrationRequest>" data sig \
	"</ClientRegistrationRequest>"

/* UTF-8 text as UTF-16LE into b. */
static void
u16(struct wbuf *b, const char *s)
{
	ck_assert(wire_utf16_put(b, s, NULL) == 0);
}

/* The multipart framing around two parts. */
static void
frame(struct wbuf *b, const struct wbuf *p1, const struct wbuf *p2,
    const char *boundary)
{
	wbuf_printf(b, "--%s\r\ncontent-type: text/plain; charset=UTF-16\r\n"
	    "\r\n", boundary);
	wbuf_add(b, p1->d, p1->len);
	wbuf_printf(b, "\r\n--%s\r\ncontent-type: application/octet-stream"
	    "\r\n\r\n", boundary);
	wbuf_add(b, p2->d, p2->len);
	wbuf_printf(b, "\r\n--%s--\r\n", boundary);
}

/* The request: header XML (BOM added) and body XML (+ NUL, deflated). */
static void
request_raw(struct wbuf *out, const char *hdr, const char *req)
{
	struct wbuf p1 = { 0 }, p2 = { 0 };
	struct wire_bytes z;

	wbuf_add(&p1, "\xff\xfe", 2);
	u16(&p1, hdr);
	u16(&p2, req);
	wbuf_add(&p2, "\0\0", 2);
	wire_deflate(p2.d, p2.len, &z);
	wbuf_free(&p2);
	wbuf_add(&p2, z.data, z.len);
	frame(out, &p1, &p2, WIRE_BOUNDARY);
	wire_bytes_free(&z);
	wbuf_free(&p1);
	wbuf_free(&p2);
}

/* The request with a body part given as raw (uncompressed) bytes. */
static void
request_rawbody(struct wbuf *out, const void *inner, size_t n, int compress)
{
	struct wbuf p1 = { 0 }, p2 = { 0 };
	struct wire_bytes z;

	wbuf_add(&p1, "\xff\xfe", 2);
	u16(&p1, HDR_OK);
	if (compress) {
		wire_deflate(inner, n, &z);
		wbuf_add(&p2, z.data, z.len);
		wire_bytes_free(&z);
	} else
		wbuf_add(&p2, inner, n);
	frame(out, &p1, &p2, WIRE_BOUNDARY);
	wbuf_free(&p1);
	wbuf_free(&p2);
}

static const struct {
	const char	*what;
	const char	*cause;		/* the reason says this */
} bad[] = {
	{ "valid (the template)", NULL },
	{ "no Content-Type", "no Content-Type" },
	{ "not multipart", "Content-Type is not multipart/mixed" },
	{ "no boundary parameter", "Content-Type has no boundary" },
	{ "boundary not in the body", "multipart body: boundary --other not found" },
	{ "truncated multipart", "is cut short (no closing delimiter" },
	{ "one part", "multipart body: 1 part, a registration has 2" },
	{ "three parts", "more than 2 parts" },
	{ "header without BOM", "does not start with a UTF-16 byte order mark" },
	{ "header of odd length", "UTF-16 of odd length" },
	{ "header unpaired surrogate", "unpaired UTF-16 high surrogate" },
	{ "bad zlib", "registration body (part 2): bad zlib data" },
	{ "truncated zlib", "registration body (part 2): zlib stream cut short" },
	{ "decompression bomb", "refused as a decompression bomb" },
	{ "body of odd length", "registration body (part 2): UTF-16 of odd length" },
	{ "body unpaired low surrogate", "unpaired UTF-16 low surrogate" },
	{ "body without NUL", "not followed by a UTF-16 NUL" },
	{ "bad hex certificate", "<Signing>: not a hex digit at character 3" },
	{ "odd hex signature", "<SignatureValue>: hex of odd length 3" },
	{ "no Data", "registration: no <Data> element" },
	{ "no Signature", "no <Signature><SignatureValue> element" },
	{ "no Signing certificate", "registration: no <Signing> certificate" },
	{ "bad KeyType", "<Signing> KeyType is not 1 (self-signed) or 2 (PKI)" },
	{ "SHA-1", "HashAlgorithm 1.2.840.113549.1.1.5 is not sha256RSA" },
	{ "no RequestType", "<Data> has no RequestType" },
	{ "oversize body", "is larger than 1048576" },
	{ "DOCTYPE", "a DOCTYPE is not allowed" },
	{ "XML not closed", "XML error at line 1" },
	{ "wrong endpoint", "TargetEndpoint is not MP_ClientRegistration" },
	{ "not compressed", "no zlib-compress hook" },
	{ "wrong root", "root element is <Foo>, not <ClientRegistrationRequest>" },
};

/* Case i of bad[] as a body (and its Content-Type). */
static const char *
bad_make(int i, struct wbuf *b)
{
	struct wbuf x = { 0 };
	unsigned char bomb[65536];
	const char *ct = WIRE_CONTENT_TYPE;
	struct wbuf p1 = { 0 }, p2 = { 0 };

	switch (i) {
	case 0:
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		break;
	case 1:
		ct = NULL;
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		break;
	case 2:
		ct = "text/plain; boundary=" WIRE_BOUNDARY;
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		break;
	case 3:
		ct = "multipart/mixed";
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		break;
	case 4:
		ct = "multipart/mixed; boundary=\"other\"";
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		break;
	case 5:
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		b->len -= 20;
		break;
	case 6:
		wbuf_str(b, "--" WIRE_BOUNDARY "\r\n\r\nx\r\n--" WIRE_BOUNDARY
		    "--\r\n");
		break;
	case 7:
		wbuf_str(b, "--" WIRE_BOUNDARY "\r\n\r\nx\r\n--" WIRE_BOUNDARY
		    "\r\n\r\ny\r\n--" WIRE_BOUNDARY "\r\n\r\nz\r\n--"
		    WIRE_BOUNDARY "--\r\n");
		break;
	case 8:		/* the header without its BOM; with it, then a byte */
	case 9:		/* of a character, or an unpaired surrogate */
	case 10:
		if (i > 8)
			wbuf_add(&p1, "\xff\xfe", 2);
		u16(&p1, HDR_OK);
		if (i == 9)
			wbuf_add(&p1, "<", 1);
		if (i == 10)
			wbuf_add(&p1, "\x00\xd8<\0", 4);
		wbuf_str(&p2, "x");
		frame(b, &p1, &p2, WIRE_BOUNDARY);
		break;
	case 11:
		request_rawbody(b, "this is not zlib", 16, 0);
		break;
	case 12: {
		struct wire_bytes z;

		u16(&x, REQ(DATA_OK, SIG_OK));
		wbuf_add(&x, "\0\0", 2);
		wire_deflate(x.d, x.len, &z);
		request_rawbody(b, z.data, z.len - 10, 0);
		wire_bytes_free(&z);
		break;
	}
	case 13:
		/* 2 MiB of zeros compress to about 2 KiB. */
		memset(bomb, 0, sizeof bomb);
		for (int k = 0; k < 32; k++)
			wbuf_add(&x, bomb, sizeof bomb);
		request_rawbody(b, x.d, x.len, 1);
		break;
	case 14:
		u16(&x, REQ(DATA_OK, SIG_OK));
		wbuf_add(&x, "x\0\0", 3);
		request_rawbody(b, x.d, x.len, 1);
		break;
	case 15:
		u16(&x, "<ClientRegistrationRequest>");
		wbuf_add(&x, "\x00\xdc", 2);
		u16(&x, "</ClientRegistrationRequest>");
		wbuf_add(&x, "\0\0", 2);
		request_rawbody(b, x.d, x.len, 1);
		break;
	case 16:
		u16(&x, REQ(DATA_OK, SIG_OK));
		request_rawbody(b, x.d, x.len, 1);
		break;
	case 17:
		request_raw(b, HDR_OK, "<ClientRegistrationRequest><Data "
		    "HashAlgorithm=\"1.2.840.113549.1.1.11\" RequestType=\"R\" "
		    "TimeStamp=\"t\"><Certificates><Signing KeyType=\"1\">"
		    "30XYZ1</Signing></Certificates></Data>" SIG_OK
		    "</ClientRegistrationRequest>");
		break;
	case 18:
		request_raw(b, HDR_OK, REQ(DATA_OK, "<Signature><SignatureValue>"
		    "ABC</SignatureValue></Signature>"));
		break;
	case 19:
		request_raw(b, HDR_OK, REQ("", SIG_OK));
		break;
	case 20:
		request_raw(b, HDR_OK, REQ(DATA_OK, ""));
		break;
	case 21:
		request_raw(b, HDR_OK, REQ("<Data HashAlgorithm=\"1.2.840.113549."
		    "1.1.11\" RequestType=\"R\" TimeStamp=\"t\"><Certificates>"
		    "</Certificates></Data>", SIG_OK));
		break;
	case 22:
		request_raw(b, HDR_OK, REQ("<Data HashAlgorithm=\"1.2.840.113549."
		    "1.1.11\" RequestType=\"R\" TimeStamp=\"t\"><Certificates>"
		    "<Signing KeyType=\"7\">AB</Signing></Certificates></Data>",
		    SIG_OK));
		break;
	case 23:
		request_raw(b, HDR_OK, REQ("<Data HashAlgorithm=\"1.2.840.113549."
		    "1.1.5\" RequestType=\"R\" TimeStamp=\"t\"/>", SIG_OK));
		break;
	case 24:
		request_raw(b, HDR_OK, REQ("<Data HashAlgorithm=\"1.2.840.113549."
		    "1.1.11\" TimeStamp=\"t\"/>", SIG_OK));
		break;
	case 25:
		request_raw(b, HDR_OK, REQ(DATA_OK, SIG_OK));
		memset(bomb, ' ', sizeof bomb);
		while (b->len <= WIRE_BODY_MAX)
			wbuf_add(b, bomb, sizeof bomb);
		break;
	case 26:
		request_raw(b, HDR_OK, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>"
		    REQ(DATA_OK, SIG_OK));
		break;
	case 27:
		request_raw(b, HDR_OK, "<ClientRegistrationRequest>" DATA_OK);
		break;
	case 28:
		request_raw(b, "<Msg><TargetEndpoint>MP_PolicyManager"
		    "</TargetEndpoint></Msg>", REQ(DATA_OK, SIG_OK));
		break;
	case 29:
		request_raw(b, "<Msg><TargetEndpoint>MP_ClientRegistration"
		    "</TargetEndpoint></Msg>", REQ(DATA_OK, SIG_OK));
		break;
	case 30:
		request_raw(b, HDR_OK, "<Foo/>");
		break;
	default:
		ck_abort_msg("no case %d", i);
	}
	wbuf_free(&x);
	wbuf_free(&p1);
	wbuf_free(&p2);
	return ct;
}

/* Every kind of malformed request: -1 with its one-sentence reason. */
START_TEST(malformed_requests)
{
	struct wbuf b = { 0 };
	struct wire_reg r;
	const char *ct;
	char *why = NULL;
	int rc;

	ct = bad_make(_i, &b);
	rc = wire_reg_decode(ct, b.d, b.len, &r, &why);
	if (bad[_i].cause == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", bad[_i].what, why);
		ck_assert_uint_eq(r.data.len, strlen(DATA_OK) * 2);
		ck_assert_uint_eq(r.sig.len, 2);
		ck_assert_uint_eq(r.sign_cert.len, 3);
		wire_reg_clear(&r);
	} else {
		ck_assert_msg(rc == -1, "%s: decoded", bad[_i].what);
		ck_assert_msg(why != NULL && strstr(why, bad[_i].cause) != NULL,
		    "%s: reason '%s', want '%s'", bad[_i].what, why,
		    bad[_i].cause);
		ck_assert_msg(strchr(why, '\n') == NULL, "%s", why);
		/* Nothing left behind in r. */
		ck_assert_ptr_null(r.data.data);
		ck_assert_ptr_null(r.msg.id);
	}
	free(why);
	wbuf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------ reply */

/* ehttp's reply, read by python3's zlib and XML parser, and decoded back. */
START_TEST(reply_roundtrip)
{
	struct wire_reply r = { 0 }, back;
	struct wire_bytes body;
	char *out, *why = NULL;

	r.smsid = xstrdup("GUID:5DD100CD-DF1D-45F5-BA17-A327F43465F8");
	r.status = WIRE_REG_REGISTERED;
	r.approval = WIRE_APPROVAL_APPROVED;
	r.timestamp = 1764896523;		/* 2025-12-05T01:02:03Z */
	ck_assert_msg(wire_reply_encode(&r, &body, &why) == 0, "%s", why);
	out = py_bytes("check-reply", "reply", &body);
	ck_assert_str_eq(out, "ClientRegistrationReply "
	    "GUID:5DD100CD-DF1D-45F5-BA17-A327F43465F8 0 1 2025-12-05T01:02:03Z");
	free(out);
	ck_assert_msg(wire_reply_decode(body.data, body.len, &back, &why) == 0,
	    "%s", why);
	ck_assert_str_eq(back.smsid, r.smsid);
	ck_assert_int_eq(back.status, WIRE_REG_REGISTERED);
	ck_assert_int_eq(back.approval, WIRE_APPROVAL_APPROVED);
	ck_assert_int_eq(back.timestamp, r.timestamp);
	ck_assert_str_eq(back.response_type, "Registration");
	wire_reply_clear(&back);
	wire_bytes_free(&body);

	/* Every status and approval value goes through; out of range does not. */
	for (int st = 0; st <= WIRE_REG_CERT_RESET; st++)
		for (int ap = 0; ap <= WIRE_APPROVAL_NOT_APPLICABLE; ap++) {
			r.status = (enum wire_reg_status)st;
			r.approval = (enum wire_approval)ap;
			ck_assert(wire_reply_encode(&r, &body, NULL) == 0);
			ck_assert(wire_reply_decode(body.data, body.len, &back,
			    NULL) == 0);
			ck_assert_int_eq(back.status, st);
			ck_assert_int_eq(back.approval, ap);
			wire_reply_clear(&back);
			wire_bytes_free(&body);
		}
	r.status = (enum wire_reg_status)5;
	ck_assert_int_eq(wire_reply_encode(&r, &body, &why), -1);
	ck_assert(strstr(why, "out of range") != NULL);
	free(why);
	wire_reply_clear(&r);
}
END_TEST

/* A reply body from XML text (UTF-16LE, NUL, deflated). */
static void
reply_raw(struct wire_bytes *z, const char *xml)
{
	struct wbuf x = { 0 };

	u16(&x, xml);
	wbuf_add(&x, "\0\0", 2);
	wire_deflate(x.d, x.len, z);
	wbuf_free(&x);
}

/* An SMSID of the right form. */
#define GOOD_SMSID	"GUID:6F1B2C3D-0A1B-4C2D-8E3F-405162738495"

START_TEST(malformed_replies)
{
	static const struct {
		const char *xml, *cause;
	} t[] = {
		{ "<ClientRegistrationReply><Status>0</Status></ClientRegistrationReply>",
		  "registration reply: no SMSID" },
		{ "<ClientRegistrationReply SMSID=\"" GOOD_SMSID "\"><Status>7</Status>"
		  "<ApprovalStatus>1</ApprovalStatus></ClientRegistrationReply>",
		  "registration reply: <Status> is not 0 to 4" },
		{ "<ClientRegistrationReply SMSID=\"" GOOD_SMSID "\"><Status>0</Status>"
		  "</ClientRegistrationReply>", "registration reply: no <ApprovalStatus>" },
		{ "<ClientRegistrationReply SMSID=\"" GOOD_SMSID "\"><Status>0</Status>"
		  "<ApprovalStatus>1</ApprovalStatus><Timestamp>2025-02-30T00:00:00Z"
		  "</Timestamp></ClientRegistrationReply>", "no <Timestamp> of the form" },
		{ "<ClientRegistrationReply SMSID=\"GUID:1\"><Status>0</Status>"
		  "<ApprovalStatus>1</ApprovalStatus></ClientRegistrationReply>",
		  "registration reply: the SMSID is not GUID:<uuid>" },
		{ "<ClientRegistrationReply SMSID=\"" GOOD_SMSID "&#10;\"><Status>0"
		  "</Status><ApprovalStatus>1</ApprovalStatus>"
		  "</ClientRegistrationReply>",
		  "registration reply: the SMSID is not GUID:<uuid>" },
		{ "<Other/>", "registration reply: root element is <Other>" },
	};
	struct wire_reply r;
	struct wire_bytes z;
	char *why = NULL;

	for (size_t i = 0; i < TU_ALL(t); i++) {
		reply_raw(&z, t[i].xml);
		ck_assert_int_eq(wire_reply_decode(z.data, z.len, &r, &why), -1);
		ck_assert_msg(strstr(why, t[i].cause) != NULL, "'%s', want '%s'",
		    why, t[i].cause);
		ck_assert_ptr_null(r.smsid);
		wire_bytes_free(&z);
	}
	ck_assert_int_eq(wire_reply_decode((const unsigned char *)"xx", 2, &r,
	    &why), -1);
	ck_assert_str_eq(why, "registration reply: bad zlib data (incorrect "
	    "header check)");
	free(why);
}
END_TEST

/* ?MPKEYINFORMATIONEX as python3's xml.etree writes it, read back; and
 * what the reader refuses. */
START_TEST(keyinfo)
{
	static const struct {
		const char *xml, *cause;
	} refused[] = {
		{ "<MPKEYINFORMATIONEX><RootKeyBlob>00</RootKeyBlob>"
		  "</MPKEYINFORMATIONEX>", "no <SITECODE>" },
		{ "<MPKEYINFORMATIONEX><SITECODE>P01</SITECODE>"
		  "</MPKEYINFORMATIONEX>", "no <RootKeyBlob>" },
		{ "<MPKEYINFORMATIONEX><SITECODE>P01</SITECODE><RootKeyBlob>ABC"
		  "</RootKeyBlob></MPKEYINFORMATIONEX>", "odd length" },
		{ "<MPKEYINFORMATIONEX><SITECODE>P01</SITECODE><RootKeyBlob>zz"
		  "</RootKeyBlob></MPKEYINFORMATIONEX>", "not a hex digit" },
		{ "<MPLIST/>", "root element is <MPLIST>" },
		{ "<!DOCTYPE x [<!ENTITY a \"b\">]><MPKEYINFORMATIONEX/>", "" },
		{ "<MPKEYINFORMATIONEX><SITECODE>P01", "" },
	};
	struct wire_keyinfo k;
	char *xml, *why = NULL;

	xml = tu_sh_ok("%s -c '\n"
	    "import xml.etree.ElementTree as E\n"
	    "r = E.Element(\"MPKEYINFORMATIONEX\")\n"
	    "E.SubElement(r, \"SITECODE\").text = \"P01\"\n"
	    "E.SubElement(r, \"RootKeyBlob\").text = bytes(range(40)).hex()\n"
	    "m = E.SubElement(r, \"MPs\")\n"
	    "for f in (\"a.p01.example\", \"b&<.p01.example\"):\n"
	    "    E.SubElement(m, \"MP\", Name=f.upper(), FQDN=f)\n"
	    "print(E.tostring(r, encoding=\"unicode\"), end=\"\")\n"
	    "'", tu_python());
	ck_assert_int_eq(wire_keyinfo_decode((unsigned char *)xml, strlen(xml),
	    &k, &why), 0);
	ck_assert_str_eq(k.site_code, "P01");
	ck_assert_uint_eq(k.root_key.len, 40);
	for (size_t i = 0; i < 40; i++)
		ck_assert_uint_eq(k.root_key.data[i], i);
	ck_assert_uint_eq(k.nmps, 2);
	ck_assert_str_eq(k.mps[0], "a.p01.example");
	ck_assert_str_eq(k.mps[1], "b&<.p01.example");
	wire_keyinfo_clear(&k);
	free(xml);
	for (size_t i = 0; i < TU_ALL(refused); i++) {
		why = NULL;
		ck_assert_int_eq(wire_keyinfo_decode((const unsigned char *)
		    refused[i].xml, strlen(refused[i].xml), &k, &why), -1);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, refused[i].cause) != NULL, "'%s', want "
		    "'%s'", why, refused[i].cause);
		ck_assert_ptr_null(k.site_code);
		free(why);
	}
}
END_TEST

/* ------------------------------------------------------------------ certificates */

/* The client's certificate, as the openssl CLI reads it, and the checks. */
START_TEST(client_certificate)
{
	struct ca_issued c, root;
	struct ca *ca = ca_new();
	struct wire_bytes other;
	char *out;

	client_new(ca, "client1.contoso.com", &c);
	ck_assert_int_eq(tu_write_file(tu_path("c.der"), (char *)c.cert.data,
	    c.cert.len), 0);
	out = tu_sh_ok("openssl x509 -inform DER -in '%s' -noout -text",
	    tu_path("c.der"));
	tu_has(out, "Signature Algorithm: sha256WithRSAEncryption",
	    "Public-Key: (2048 bit)", "Issuer: CN = client1.contoso.com",
	    "Subject: CN = client1.contoso.com",
	    "X509v3 Extended Key Usage: \n"
	    "                1.3.6.1.4.1.311.101.2, 1.3.6.1.4.1.311.101",
	    "X509v3 Key Usage: critical", NULL);
	free(out);
	/* Self-signed: it verifies against itself. */
	out = tu_sh_ok("openssl x509 -inform DER -in '%s' -out '%s' && "
	    "openssl verify -CAfile '%s' -check_ss_sig -partial_chain '%s'",
	    tu_path("c.der"), tu_path("c.pem"), tu_path("c.pem"),
	    tu_path("c.pem"));
	ck_assert(strstr(out, ": OK") != NULL);
	free(out);
	ck_assert_str_eq(c.info.key_desc, "RSA 2048");
	/* Its key (put together from two primes): the openssl CLI checks
	 * it (p, q prime, n = pq, d, the CRT values) and finds the
	 * certificate's public key in it. */
	ck_assert_int_eq(tu_write_file(tu_path("c.p8"), (char *)c.key.data,
	    c.key.len), 0);
	ck_assert_int_eq(tu_write_file(tu_path("master"), master,
	    strlen(master)), 0);
	out = tu_sh_ok("cd '%s' && openssl pkey -inform DER -in c.p8 -passin "
	    "file:master -check -noout && openssl pkey -inform DER -in c.p8 "
	    "-passin file:master -pubout > kpub && openssl x509 -in c.pem "
	    "-pubkey -noout | cmp - kpub && openssl rsa -inform DER -in c.p8 -passin "
	    "file:master -text -noout | grep -c '^prime[12]:'", tu_dir);
	tu_has(out, "Key is valid", "2", NULL);
	free(out);
	ck_assert_int_eq(c.info.not_after - c.info.not_before >
	    (time_t)CA_CLIENT_YEARS * 365 * 86400, 1);

	ck_assert_int_eq(ca_client_cert_check(ca, c.cert.data, c.cert.len,
	    time(NULL)), 1);
	ck_assert_int_eq(ca_client_cert_check(ca, c.cert.data, c.cert.len,
	    c.info.not_after + 1), 0);
	ck_assert(strncmp(ca_error(ca), "client certificate: expired on ",
	    31) == 0);
	ck_assert_int_eq(ca_client_cert_check(ca, c.cert.data, c.cert.len,
	    c.info.not_before - 1), 0);
	ck_assert(strncmp(ca_error(ca), "client certificate: not valid "
	    "before ", 37) == 0);
	ck_assert_int_eq(ca_client_cert_check(ca, c.cert.data, 20,
	    time(NULL)), 0);
	ck_assert(strstr(ca_error(ca), "client certificate: not a DER "
	    "certificate") != NULL);

	/* No EKU (a site's root). */
	ck_assert(ca_root_create(ca, "P01", CA_KEY_RSA2048, master, &root) == 0);
	ck_assert_int_eq(ca_client_cert_check(ca, root.cert.data, root.cert.len,
	    time(NULL)), 0);
	ck_assert(strstr(ca_error(ca), "extended key usage lacks SMS "
	    "Encryption") != NULL);
	ca_issued_clear(&root);

	/* Made by the openssl CLI: one EKU only, RSA 1024, EC. */
	free(tu_sh_ok("cd '%s' && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout k1 -subj /CN=a "
	    "-addext extendedKeyUsage=1.3.6.1.4.1.311.101 -outform DER -out one.der "
	    "2>/dev/null && "
	    "openssl req -x509 -newkey rsa:1024 -nodes -keyout k2 -subj /CN=b "
	    "-addext extendedKeyUsage=1.3.6.1.4.1.311.101.2,1.3.6.1.4.1.311.101 "
	    "-outform DER -out small.der 2>/dev/null && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout k3 -subj /CN=c -addext "
	    "extendedKeyUsage=1.3.6.1.4.1.311.101.2,1.3.6.1.4.1.311.101 "
	    "-outform DER -out ec.der 2>/dev/null", tu_dir));
	other = file_bytes(tu_path("one.der"));
	ck_assert_int_eq(ca_client_cert_check(ca, other.data, other.len,
	    time(NULL)), 0);
	ck_assert(strstr(ca_error(ca), "lacks SMS Encryption") != NULL);
	wire_bytes_free(&other);
	other = file_bytes(tu_path("small.der"));
	ck_assert_int_eq(ca_client_cert_check(ca, other.data, other.len,
	    time(NULL)), 0);
	ck_assert_str_eq(ca_error(ca), "client certificate: RSA key of 1024 "
	    "bits, at least 2048 needed");
	wire_bytes_free(&other);
	other = file_bytes(tu_path("ec.der"));
	ck_assert_int_eq(ca_client_cert_check(ca, other.data, other.len,
	    time(NULL)), 0);
	ck_assert_str_eq(ca_error(ca), "client certificate: key is not RSA");
	wire_bytes_free(&other);

	ck_assert_int_eq(ca_client_cert_create(ca, "", master, &root), -1);
	ck_assert_int_eq(ca_client_cert_create(ca, "a\nb", master, &root), -1);
	ck_assert_str_eq(ca_error(ca), "client name holds a control character");
	ca_issued_clear(&c);
	ca_free(ca);
}
END_TEST

/* ------------------------------------------------------------------ tokens */

#define CLAIMS "{\"Type\":\"BulkRegistration\",\"aud\":\"urn:sccm:service\"," \
	"\"exp\":1765155723,\"iss\":\"urn:sccm:oauth2:P01\",\"nbf\":1764896523}"

/* A token ehttp signs verifies in python3-jwt against the certificate. */
START_TEST(jwt_ehttp_to_python)
{
	struct ca_issued c, other;
	struct ca *ca = ca_new();
	char cmd[4200], *tok = NULL, *out, *h = NULL, *cl = NULL, *x5t = NULL;
	char *x5t2 = NULL, *why = NULL;

	client_new(ca, "token-signer", &c);
	ck_assert_msg(ca_jwt_sign(ca, c.cert.data, c.cert.len, c.key.data,
	    c.key.len, master, CLAIMS, &tok) == 0, "%s", ca_error(ca));
	ck_assert_int_eq(tu_write_file(tu_path("token"), tok, strlen(tok)), 0);
	ck_assert_int_eq(tu_write_file(tu_path("cert.der"), (char *)c.cert.data,
	    c.cert.len), 0);
	snprintf(cmd, sizeof cmd, "jwt-verify '%s' '%s'", tu_path("token"),
	    tu_path("cert.der"));
	out = py(cmd);
	ck_assert_str_eq(tu_line1(out), "{\"Type\": \"BulkRegistration\", "
	    "\"aud\": \"urn:sccm:service\", \"exp\": 1765155723, \"iss\": "
	    "\"urn:sccm:oauth2:P01\", \"nbf\": 1764896523}");
	free(out);

	/* And in ehttp: the same claims, the header with the x5t. */
	ck_assert_int_eq(ca_jwt_verify(ca, tok, strlen(tok), c.cert.data,
	    c.cert.len, &h, &cl), 1);
	ck_assert_str_eq(cl, CLAIMS);
	ck_assert_msg(wire_jwt_header_check(h, &x5t, &why) == 0, "%s", why);
	ck_assert(ca_jwt_x5t(ca, c.cert.data, c.cert.len, &x5t2) == 0);
	ck_assert_str_eq(x5t, x5t2);
	ck_assert_uint_eq(strlen(x5t), 27);	/* 20 bytes, no padding */
	free(h);
	free(cl);

	/* Another certificate's key does not sign for this one. */
	client_new(ca, "someone-else", &other);
	free(tok);
	ck_assert_int_eq(ca_jwt_sign(ca, c.cert.data, c.cert.len,
	    other.key.data, other.key.len, master, CLAIMS, &tok), -1);
	ck_assert_str_eq(ca_error(ca), "token: the key is not the signing "
	    "certificate's");
	ca_issued_clear(&other);
	ca_issued_clear(&c);
	free(x5t);
	free(x5t2);
	ca_free(ca);
}
END_TEST

/*
 * A token python3-jwt signs verifies in ehttp; tampered ones do not; an
 * expired one verifies (exp is the caller's to check, as documented).
 */
START_TEST(jwt_python_to_ehttp)
{
	struct wire_bytes cert;
	struct ca *ca = ca_new();
	char cmd[4200], *tok, *h = NULL, *cl = NULL, *x5t = NULL, *x5t2 = NULL;
	char *why = NULL, *tamp;
	struct ca_jwt_key *key;
	size_t n;

	snprintf(cmd, sizeof cmd, "jwt-sign '%s' '{\"exp\": 1000, \"iss\": "
	    "\"py\"}'", tu_dir);
	free(py(cmd));
	tok = tu_read_file(tu_path("token"), &n);
	cert = file_bytes(tu_path("cert.der"));
	ck_assert_int_eq(ca_jwt_verify(ca, tok, n, cert.data, cert.len, &h,
	    &cl), 1);
	ck_assert(strstr(cl, "\"exp\":1000") != NULL);	/* long expired */
	ck_assert_msg(wire_jwt_header_check(h, &x5t, &why) == 0, "%s", why);
	ck_assert(ca_jwt_x5t(ca, cert.data, cert.len, &x5t2) == 0);
	ck_assert_str_eq(x5t, x5t2);
	free(x5t2);
	free(h);
	free(cl);

	/* The same with the key parsed once (the MP's verifier): its x5t is
	 * the one python3-jwt's signer put in the header. */
	ck_assert_int_eq(ca_jwt_key_new(ca, cert.data, cert.len, &key), 0);
	ck_assert_str_eq(ca_jwt_key_x5t(key), x5t);
	ck_assert_int_eq(ca_jwt_verify_key(ca, key, tok, n, &h, &cl), 1);
	ck_assert(strstr(cl, "\"iss\":\"py\"") != NULL);
	free(h);
	free(cl);
	tamp = xstrdup(tok);
	tamp[n - 2] = tamp[n - 2] == 'A' ? 'Q' : 'A';
	ck_assert_int_eq(ca_jwt_verify_key(ca, key, tamp, n, &h, &cl), 0);
	ck_assert_ptr_null(cl);
	free(tamp);
	ca_jwt_key_free(key);
	ck_assert_int_eq(ca_jwt_key_new(ca, (const unsigned char *)"x", 1,
	    &key), -1);
	ck_assert_ptr_null(key);

	/* One character of the claims changed. */
	tamp = xstrdup(tok);
	tamp[strchr(tamp, '.') - tamp + 3] ^= 1;
	ck_assert_int_eq(ca_jwt_verify(ca, tamp, n, cert.data, cert.len, &h,
	    &cl), 0);
	ck_assert_ptr_null(h);
	ck_assert(strstr(ca_error(ca), "token") != NULL);
	free(tamp);
	/* The last character of the signature changed. */
	tamp = xstrdup(tok);
	tamp[n - 1] = tamp[n - 1] == 'A' ? 'Q' : 'A';
	ck_assert_int_eq(ca_jwt_verify(ca, tamp, n, cert.data, cert.len, &h,
	    &cl), 0);
	free(tamp);
	/* Two parts; padding; alg none. */
	ck_assert_int_eq(ca_jwt_verify(ca, "eyJ4IjoxfQ.eyJ4IjoxfQ", 21,
	    cert.data, cert.len, &h, &cl), 0);
	ck_assert_str_eq(ca_error(ca), "token: not three parts separated by '.'");
	ck_assert_int_eq(ca_jwt_verify(ca, "eyJ4IjoxfQ==.eyJ4IjoxfQ.AA", 26,
	    cert.data, cert.len, &h, &cl), 0);
	ck_assert_str_eq(ca_error(ca), "token: header is not base64url");
	ck_assert_int_eq(ca_jwt_verify(ca, "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.",
	    31, cert.data, cert.len, &h, &cl), 0);
	ck_assert_str_eq(ca_error(ca), "token: signature of 0 bytes, the "
	    "key's are 256");

	/* Headers a verifier must refuse. */
	ck_assert_int_eq(wire_jwt_header_check("{\"alg\":\"none\"}", &x5t2,
	    &why), -1);
	ck_assert_str_eq(why, "token header: alg is not RS256");
	ck_assert_int_eq(wire_jwt_header_check("{\"alg\":\"RS256\"}", &x5t2,
	    &why), -1);
	ck_assert_str_eq(why, "token header: no x5t (certificate thumbprint)");
	ck_assert_int_eq(wire_jwt_header_check("{\"alg\":\"RS256\",\"typ\":"
	    "\"xx\",\"x5t\":\"a\"}", &x5t2, &why), -1);
	ck_assert_str_eq(why, "token header: typ is not JWT");
	ck_assert_int_eq(wire_jwt_header_check("[1]", &x5t2, &why), -1);
	ck_assert_str_eq(why, "token header: not a JSON object");
	ck_assert_int_eq(wire_jwt_header_check("{\"alg\":\"RS256\",\"alg\":"
	    "\"none\"}", &x5t2, &why), -1);
	ck_assert(strncmp(why, "token header: not JSON", 22) == 0);
	free(why);
	free(tok);
	free(x5t);
	wire_bytes_free(&cert);
	ca_free(ca);
}
END_TEST

/* ------------------------------------------------------------------ fuzz seeds */

/*
 * tests/fuzz/corpus-wire/ and tests/fuzz/regress/wire-* through the fuzz
 * target's checks; the python3 request among the seeds must decode.
 */
START_TEST(fuzz_seeds)
{
	const char *subs[] = { "corpus-wire", "regress" };
	struct wire_reg r;
	struct dirent *d;
	char path[4096], *data, *why = NULL;
	size_t len;
	int n = 0;
	DIR *dp;

	for (size_t i = 0; i < TU_ALL(subs); i++) {
		snprintf(path, sizeof path, "%s/tests/fuzz/%s", EHTTP_SRCDIR,
		    subs[i]);
		ck_assert_ptr_nonnull(dp = opendir(path));
		while ((d = readdir(dp)) != NULL) {
			if (d->d_name[0] == '.' || (i == 1 &&
			    strncmp(d->d_name, "wire-", 5) != 0))
				continue;
			snprintf(path, sizeof path, "%s/tests/fuzz/%s/%s",
			    EHTTP_SRCDIR, subs[i], d->d_name);
			ck_assert_ptr_nonnull(data = tu_read_file(path, &len));
			fuzz_wire_one((const uint8_t *)data, len);
			if (strcmp(d->d_name, "request-python") == 0) {
				ck_assert_msg(wire_reg_decode(WIRE_CONTENT_TYPE,
				    (unsigned char *)data, len, &r, &why) == 0,
				    "%s", why);
				wire_reg_clear(&r);
			}
			free(data);
			n++;
		}
		closedir(dp);
	}
	ck_assert_int_ge(n, 5);
}
END_TEST

/*
 * Content location: a request made and read back (its endpoint seen
 * without reading its body; a registration's is MP_ClientRegistration),
 * a reply made and read back in its order; WebDAV listings with another
 * prefix for DAV:, an absolute href, an escaped name; refused: a %00, a
 * bad escape, a root that is not multistatus.
 */
START_TEST(content_location_and_listing)
{
	struct wire_cloc_req q = { 0 }, back;
	struct wire_cloc_reply rp = { 0 }, rb;
	struct wire_bytes body = { 0 };
	struct wire_dav dav;
	char *why = NULL, *ep = NULL;
	const char *ok = "<?xml version=\"1.0\"?><x:multistatus xmlns:x="
	    "\"DAV:\" xmlns:e=\"urn:ehttp:dp\"><x:response><x:href>"
	    "http://dp/CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001/</x:href>"
	    "<x:propstat><x:prop><x:resourcetype><x:collection/>"
	    "</x:resourcetype><e:version>3</e:version></x:prop></x:propstat>"
	    "</x:response><x:response><x:href>/CCMTOKENAUTH_SMS_DP_SMSPKG$/"
	    "P0100001/a%20%26b.bin</x:href><x:propstat><x:prop>"
	    "<x:getcontentlength>12</x:getcontentlength><x:getetag>&quot;"
	    H64 "&quot;</x:getetag></x:prop></x:propstat></x:response>"
	    "</x:multistatus>";

	q.package_id = xstrdup("P0100001");
	q.version = 3;
	q.msg.source_id = xstrdup("GUID:1");
	ck_assert_int_eq(wire_cloc_req_encode(&q, &body, &why), 0);
	ck_assert_int_eq(wire_msg_endpoint(WIRE_CONTENT_TYPE, body.data,
	    body.len, &ep, &why), 0);
	ck_assert_str_eq(ep, "MP_LocationManager");
	free(ep);
	ck_assert_int_eq(wire_cloc_req_decode(WIRE_CONTENT_TYPE, body.data,
	    body.len, &back, &why), 0);
	ck_assert_str_eq(back.package_id, "P0100001");
	ck_assert_int_eq(back.version, 3);
	ck_assert_str_eq(back.msg.source_id, "GUID:1");
	wire_cloc_req_clear(&back);
	wire_cloc_req_clear(&q);
	wire_bytes_free(&body);

	rp.package_id = xstrdup("P0100001");
	rp.version = 3;
	rp.site_code = xstrdup("P01");
	wire_cloc_reply_add(&rp, "https://dp1:8443/CCMTOKENAUTH_SMS_DP_SMSPKG$"
	    "/P0100001", "dp1", 0, WIRE_AUTH_TOKEN);
	wire_cloc_reply_add(&rp, "http://dp1/SMS_DP_SMSPKG$/P0100001", "dp1",
	    0, 0);
	ck_assert_int_eq(wire_cloc_reply_encode(&rp, &body, &why), 0);
	ck_assert_int_eq(wire_cloc_reply_decode(body.data, body.len, &rb,
	    &why), 0);
	ck_assert_str_eq(rb.package_id, "P0100001");
	ck_assert_int_eq(rb.version, 3);
	ck_assert_str_eq(rb.site_code, "P01");
	ck_assert_uint_eq(rb.nrecs, 2);
	ck_assert_int_eq(rb.recs[0].auth_method, 1024);
	ck_assert_int_eq(rb.recs[1].auth_method, 0);
	ck_assert_str_eq(rb.recs[1].url, "http://dp1/SMS_DP_SMSPKG$/P0100001");
	wire_cloc_reply_clear(&rb);
	wire_cloc_reply_clear(&rp);
	wire_bytes_free(&body);

	ck_assert_int_eq(wire_dav_decode((const unsigned char *)ok, strlen(ok),
	    &dav, &why), 0);
	ck_assert_uint_eq(dav.n, 2);
	ck_assert_str_eq(dav.v[0].href, "/CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001/");
	ck_assert(dav.v[0].collection);
	ck_assert_int_eq(dav.v[0].version, 3);
	ck_assert_str_eq(dav.v[1].href, "/CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001/"
	    "a &b.bin");
	ck_assert_uint_eq(dav.v[1].size, 12);
	ck_assert_str_eq(dav.v[1].sha256, H64);
	wire_dav_clear(&dav);
	static const char *const refused[][2] = {
		{ "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/a%00b"
		  "</D:href><D:propstat><D:prop/></D:propstat></D:response>"
		  "</D:multistatus>", "bad escape" },
		{ "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/a%zz"
		  "</D:href><D:propstat><D:prop/></D:propstat></D:response>"
		  "</D:multistatus>", "bad escape" },
		{ "<D:multistatus xmlns:D=\"urn:x\"/>", "not DAV: multistatus" },
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		ck_assert_int_eq(wire_dav_decode((const unsigned char *)refused[i][0],
		    strlen(refused[i][0]), &dav, &why), -1);
		ck_assert_msg(strstr(why, refused[i][1]) != NULL, "%s", why);
		free(why);
		why = NULL;
	}
}
END_TEST

Suite *
wire_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("request", tu_dir_fixture),
		TU_TEST(python_request_verifies),
		TU_TEST(ehttp_request_python_verifies),
		TU_EACH(malformed_requests, bad),
		TU_TEST(reply_roundtrip),
		TU_TEST(malformed_replies),
		TU_TEST(keyinfo),
		TU_TEST(content_location_and_listing),
		TU_CASE("crypto", tu_dir_fixture),
		TU_TEST(client_certificate),
		TU_TEST(jwt_ehttp_to_python),
		TU_TEST(jwt_python_to_ehttp),
		TU_TEST(fuzz_seeds),
		{ 0 }
	};

	return tu_suite("wire", tests);
}
