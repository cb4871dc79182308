/*
 * libFuzzer target: the client <-> MP messages (backend/wire/) as the MP
 * and ehttp-client receive them: wire_reg_decode (a registration request
 * with the usual Content-Type), wire_reply_decode, the content location
 * request (the MP) and reply (the client), a DP's WebDAV listing (the
 * client), wire_jwt_header_check and wire_unhex on the same bytes, and
 * ca_capi_verify on what a request decodes to.
 *
 * Checked beyond "no crash": a failure always has a one-line reason; a
 * decoded request re-encodes (wire_reg_encode) and decodes again to the
 * same signed bytes, signature, certificate and properties; a decoded
 * reply re-encodes and decodes to the same fields (the location request
 * and reply too); a listing's entries are within its limits with absolute
 * hrefs; a signature verdict is 1, 0 or -1 with a reason for 0 and -1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "wire.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
wire_fuzz_cause(char *why)
{
	CHECK(why != NULL && why[0] != '\0' && strchr(why, '\n') == NULL);
	free(why);
}

/* A call's result rc: 0, or -1 with a one-line reason in *why (checked,
 * freed and cleared). Whether it succeeded. */
static int
wire_fuzz_ok(int rc, char **why)
{
	CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		return 1;
	wire_fuzz_cause(*why);
	*why = NULL;
	return 0;
}

static void
wire_fuzz_request(const uint8_t *p, size_t n)
{
	struct wire_reg r, back;
	struct wire_bytes body = { 0 };
	struct ca *ca;
	char *why = NULL;
	int v;

	if (!wire_fuzz_ok(wire_reg_decode(WIRE_CONTENT_TYPE, p, n, &r, &why),
	    &why))
		return;
	CHECK(r.data.len > 0 && r.data.len % 2 == 0 && r.sig.len > 0);
	CHECK(r.sign_cert.len > 0);
	ca = ca_new();
	v = ca_capi_verify(ca, r.sign_cert.data, r.sign_cert.len, r.data.data,
	    r.data.len, r.sig.data, r.sig.len);
	CHECK(v == 1 || ((v == 0 || v == -1) && ca_error(ca)[0] != '\0'));
	ca_free(ca);
	/* (An encoding may fail: a header field XML cannot carry.) */
	if (wire_fuzz_ok(wire_reg_encode(&r, &body, &why), &why)) {
		CHECK(wire_reg_decode(WIRE_CONTENT_TYPE, body.data, body.len,
		    &back, &why) == 0);
		CHECK(back.data.len == r.data.len &&
		    memcmp(back.data.data, r.data.data, r.data.len) == 0);
		CHECK(back.sig.len == r.sig.len &&
		    memcmp(back.sig.data, r.sig.data, r.sig.len) == 0);
		CHECK(back.sign_cert.len == r.sign_cert.len);
		CHECK(back.nprops == r.nprops);
		wire_reg_clear(&back);
	}
	wire_bytes_free(&body);
	wire_reg_clear(&r);
}

static void
wire_fuzz_reply(const uint8_t *p, size_t n)
{
	struct wire_reply r, back;
	struct wire_bytes body = { 0 };
	char *why = NULL;

	if (!wire_fuzz_ok(wire_reply_decode(p, n, &r, &why), &why))
		return;
	if (wire_fuzz_ok(wire_reply_encode(&r, &body, &why), &why)) {
		CHECK(wire_reply_decode(body.data, body.len, &back, NULL) == 0);
		CHECK(strcmp(back.smsid, r.smsid) == 0);
		CHECK(back.status == r.status && back.approval == r.approval);
		CHECK(back.timestamp == r.timestamp);
		wire_reply_clear(&back);
	}
	wire_bytes_free(&body);
	wire_reply_clear(&r);
}

static void
wire_fuzz_location(const uint8_t *p, size_t n)
{
	struct wire_cloc_req q, qb;
	struct wire_cloc_reply r, rb;
	struct wire_bytes body = { 0 };
	char *why = NULL;

	if (wire_fuzz_ok(wire_cloc_req_decode(WIRE_CONTENT_TYPE, p, n, &q,
	    &why), &why)) {
		CHECK(q.package_id != NULL && q.version >= 0);
		if (wire_fuzz_ok(wire_cloc_req_encode(&q, &body, &why), &why)) {
			CHECK(wire_cloc_req_decode(WIRE_CONTENT_TYPE, body.data,
			    body.len, &qb, NULL) == 0);
			CHECK(strcmp(qb.package_id, q.package_id) == 0);
			CHECK(qb.version == q.version);
			wire_cloc_req_clear(&qb);
		}
		wire_bytes_free(&body);
		wire_cloc_req_clear(&q);
	}
	if (!wire_fuzz_ok(wire_cloc_reply_decode(p, n, &r, &why), &why))
		return;
	if (wire_fuzz_ok(wire_cloc_reply_encode(&r, &body, &why), &why)) {
		CHECK(wire_cloc_reply_decode(body.data, body.len, &rb,
		    NULL) == 0);
		CHECK(rb.nrecs == r.nrecs);
		for (size_t i = 0; i < r.nrecs; i++)
			CHECK(strcmp(rb.recs[i].url, r.recs[i].url) == 0 &&
			    rb.recs[i].auth_method == r.recs[i].auth_method);
		wire_cloc_reply_clear(&rb);
	}
	wire_bytes_free(&body);
	wire_cloc_reply_clear(&r);
}

static void
wire_fuzz_dav(const uint8_t *p, size_t n)
{
	struct wire_dav d;
	char *why = NULL;

	if (!wire_fuzz_ok(wire_dav_decode(p, n, &d, &why), &why))
		return;
	CHECK(d.n <= WIRE_DAV_MAX);
	for (size_t i = 0; i < d.n; i++)
		CHECK(d.v[i].href != NULL && d.v[i].href[0] == '/' &&
		    (d.v[i].sha256[0] == '\0' || strlen(d.v[i].sha256) == 64));
	wire_dav_clear(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *x5t = NULL, *why = NULL;
	struct wire_bytes b = { 0 };

	CHECK(s != NULL);
	wire_fuzz_request(data, size);
	wire_fuzz_reply(data, size);
	wire_fuzz_location(data, size);
	wire_fuzz_dav(data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	if (wire_fuzz_ok(wire_jwt_header_check(s, &x5t, &why), &why))
		CHECK(x5t != NULL && x5t[0] != '\0');
	free(x5t);
	if (wire_fuzz_ok(wire_unhex(s, &b, &why), &why))
		CHECK(b.len * 2 == strlen(s));
	wire_bytes_free(&b);
	free(s);
	return 0;
}
