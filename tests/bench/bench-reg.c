/*
 * bench-reg: registrations handled per second by the management point's
 * code (mp_register: the multipart body, zlib, UTF-16 and XML decoded, the
 * client certificate checked, its CryptoAPI signature verified, the new
 * client stored in one transaction of the real SQLite database) next to
 * the bare cost of its crypto done by OpenSSL alone on the same requests:
 * one certificate parse, one RSA-SHA256 verify and one RSA 2048 JWT-sized
 * sign. Rounds interleave the two so that both see the same machine.
 *
 * usage: bench-reg DB MP_FQDN N
 *   DB: a database whose site of MP_FQDN has enhanced HTTP on and whose
 *   client approval is auto (bench.sh makes it).
 * prints: n bare_us_per_registration ours_us_per_registration ratio
 *   (ours over bare: 3.0 means a registration costs three times its crypto)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bench.h"
#include "ca.h"
#include "ehttp.h"
#include "mp.h"
#include "wire.h"
#include "xmalloc.h"

#define ROUNDS	5
#define MASTER	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct req {
	struct wire_bytes body;
	struct ca_blob	 cert;		/* DER */
	unsigned char	*data;		/* what the signature covers */
	size_t		 dlen;
	unsigned char	 sig[256];	/* big-endian, as OpenSSL takes it */
	size_t		 siglen;
};

/* One client's registration request, signed as a client signs it. */
static void
make_request(struct ca *ca, const char *mp, int i, struct req *r)
{
	struct ca_issued is = { 0 };
	struct ca_blob sig = { 0 };
	struct wire_reg g;
	char name[32], *why = NULL;

	snprintf(name, sizeof name, "BENCH%05d", i);
	if (ca_client_cert_create(ca, name, MASTER, &is) == -1)
		bench_die("bench-reg", "client certificate", ca_error(ca));
	memset(&g, 0, sizeof g);
	g.msg.source_host = xstrdup(name);
	g.msg.target_host = xstrdup(mp);
	g.msg.reply_to = xstrdup("direct:bench:SccmMessaging");
	g.sign_cert.data = xmalloc(is.cert.len);
	memcpy(g.sign_cert.data, is.cert.data, is.cert.len);
	g.sign_cert.len = is.cert.len;
	g.enc_cert.data = xmalloc(is.cert.len);
	memcpy(g.enc_cert.data, is.cert.data, is.cert.len);
	g.enc_cert.len = is.cert.len;
	wire_reg_prop_add(&g, "Netbios Name", name);
	wire_reg_prop_add(&g, "FQ Name", name);
	if (wire_reg_data(&g, &why) == -1)
		bench_die("bench-reg", "request data", why);
	if (ca_capi_sign(ca, is.key.data, is.key.len, MASTER, g.data.data,
	    g.data.len, &sig) == -1)
		bench_die("bench-reg", "signature", ca_error(ca));
	r->dlen = g.data.len;
	r->data = xmalloc(r->dlen);
	memcpy(r->data, g.data.data, r->dlen);
	r->siglen = sig.len;
	for (size_t k = 0; k < sig.len && k < sizeof r->sig; k++)
		r->sig[k] = sig.data[sig.len - 1 - k];	/* CryptoAPI reversed */
	g.sig.data = sig.data;
	g.sig.len = sig.len;
	sig.data = NULL;
	if (wire_reg_encode(&g, &r->body, &why) == -1)
		bench_die("bench-reg", "request", why);
	r->cert = is.cert;
	memset(&is.cert, 0, sizeof is.cert);
	ca_issued_clear(&is);
	wire_reg_clear(&g);
}

/* The bare crypto of one registration. */
static void
bare(const struct req *r, EVP_PKEY *signer)
{
	const unsigned char *p = r->cert.data;
	unsigned char out[512];
	size_t outlen = sizeof out;
	EVP_MD_CTX *md;
	X509 *x;

	if ((x = d2i_X509(NULL, &p, (long)r->cert.len)) == NULL)
		bench_die("bench-reg", "d2i_X509", NULL);
	md = EVP_MD_CTX_new();
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(x)) != 1 || EVP_DigestVerify(md, r->sig,
	    r->siglen, r->data, r->dlen) != 1)
		bench_die("bench-reg", "bare verify", NULL);
	EVP_MD_CTX_free(md);
	X509_free(x);
	md = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signer) != 1 ||
	    EVP_DigestSign(md, out, &outlen, r->data, 300) != 1)
		bench_die("bench-reg", "bare sign", NULL);
	EVP_MD_CTX_free(md);
}

static void
ours(struct ehttp *e, struct mp_verifier *v, const char *mp,
    const struct req *r)
{
	struct mp_request q = { 0 };
	struct mp_answer a = { 0 };

	q.mp_fqdn = mp;
	q.method = "CCM_POST";
	q.target = "/ccm_system/request";
	q.content_type = WIRE_CONTENT_TYPE;
	q.body = r->body.data;
	q.len = r->body.len;
	q.peer = "127.0.0.1:1";
	if (mp_register(e, v, &q, &a) == -1)
		bench_die("bench-reg", "mp_register", ehttp_error(e));
	if (a.status != 200)
		bench_die("bench-reg", "registration refused", a.log);
	mp_answer_clear(&a);
}

int
main(int argc, char **argv)
{
	struct ca *ca = ca_new();
	struct ehttp *e;
	struct mp_verifier *v;
	struct req *r;
	EVP_PKEY *signer;
	char *cause = NULL;
	double tb = 0, to = 0, t0;
	int n, per;

	if (argc != 4 || (n = atoi(argv[3])) < ROUNDS)
		bench_die("bench-reg", "usage: bench-reg DB MP_FQDN N (N >= 5)", NULL);
	per = n / ROUNDS;
	n = per * ROUNDS;
	if ((e = ehttp_open(argv[1], 0, &cause)) == NULL)
		bench_die("bench-reg", argv[1], cause);
	if ((v = mp_verifier_new(e, argv[2])) == NULL)
		bench_die("bench-reg", "verifier", ehttp_error(e));
	if ((signer = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) ==
	    NULL)
		bench_die("bench-reg", "signer key", NULL);
	r = xcalloc((size_t)n, sizeof *r);
	for (int i = 0; i < n; i++)
		make_request(ca, argv[2], i, &r[i]);
	for (int k = 0; k < ROUNDS; k++) {
		t0 = bench_now_us();
		for (int i = k * per; i < (k + 1) * per; i++)
			bare(&r[i], signer);
		tb += bench_now_us() - t0;
		t0 = bench_now_us();
		for (int i = k * per; i < (k + 1) * per; i++)
			ours(e, v, argv[2], &r[i]);
		to += bench_now_us() - t0;
	}
	printf("%d %.1f %.1f %.2f\n", n, tb / n, to / n, to / tb);
	for (int i = 0; i < n; i++) {
		wire_bytes_free(&r[i].body);
		ca_blob_free(&r[i].cert);
		free(r[i].data);
	}
	free(r);
	EVP_PKEY_free(signer);
	mp_verifier_free(v);
	ehttp_close(e);
	ca_free(ca);
	return 0;
}
