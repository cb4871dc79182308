/*
 * ca-issue.c: the site's self-signed root "SMS Issuing", the signer that
 * holds it for issuing, and "SMS Role SSL Certificate" leaves, one at a
 * time or many on worker threads, and the "SMS Token Signing" leaf.
 * Profiles: root CN=SMS Issuing, OU=<site code>, CA:TRUE,
 * keyCertSign+cRLSign, 10 years; role leaf CN=<FQDN>, SAN dNSName=<FQDN>,
 * EKU serverAuth, 1 year; token signing leaf CN=SMS Token Signing,
 * OU=<site code>, RSA 2048, digitalSignature, no EKU, 1 year; SHA-256,
 * 128-bit random serials.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca-int.h"

#define CA_SKEW			(5 * 60)	/* notBefore = now - 5 min */
#define CA_ROOT_YEARS		10
#define CA_LEAF_DAYS		365
#define CA_PROGRESS_NS		(100 * 1000 * 1000)

static int
ca_rnd_draw(struct ca *ca, struct ca_rnd *rnd)
{
	if (RAND_bytes((unsigned char *)rnd, sizeof *rnd) <= 0) {
		ca_sslerr(ca, "cannot get random bytes");
		return -1;
	}
	return 0;
}

/*
 * Serial: 128 random bits as an INTEGER, so always positive; DER puts a 00
 * in front when the top bit is set (17 octets, within RFC 5280's 20). Fewer
 * than 64 significant bits (p = 2^-64) draws again, so a serial never looks
 * like a low counter to a linter.
 */
static int
ca_serial_set(struct ca *ca, X509 *x, const unsigned char *rnd)
{
	unsigned char again[CA_SERIAL_BYTES];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;
	int rc = -1;

	if ((bn = BN_bin2bn(rnd, CA_SERIAL_BYTES, NULL)) == NULL) {
		ca_sslerr(ca, "cannot make serial number");
		goto out;
	}
	while (BN_num_bits(bn) < 64) {
		if (RAND_bytes(again, sizeof again) <= 0 ||
		    BN_bin2bn(again, sizeof again, bn) == NULL) {
			ca_sslerr(ca, "cannot make serial number");
			goto out;
		}
	}
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1) {
		ca_sslerr(ca, "cannot set serial number");
		goto out;
	}
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/* An extension from its openssl.cnf-style text ("critical,CA:TRUE"). */
static X509_EXTENSION *
ca_ext_make(struct ca *ca, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	memset(&v3, 0, sizeof v3);
	X509V3_set_ctx(&v3, NULL, NULL, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value)) == NULL)
		ca_sslerr(ca, "cannot make extension %s", OBJ_nid2sn(nid));
	return ext;
}

/* X509_add_ext() adds a copy: ext stays the caller's (and may be shared). */
static int
ca_ext_add(struct ca *ca, X509 *x, const X509_EXTENSION *ext)
{
	if (X509_add_ext(x, (X509_EXTENSION *)ext, -1) != 1) {
		ca_sslerr(ca, "cannot add extension");
		return -1;
	}
	return 0;
}

static int
ca_ext_conf(struct ca *ca, X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int rc;

	if ((ext = ca_ext_make(ca, nid, value)) == NULL)
		return -1;
	rc = ca_ext_add(ca, x, ext);
	X509_EXTENSION_free(ext);
	return rc;
}

/* SKI: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
static int
ca_ext_ski(struct ca *ca, X509 *x, ASN1_OCTET_STRING **skip)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	ASN1_OCTET_STRING *ski = NULL;
	unsigned int mdlen;
	int rc = -1;

	if (X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) != 1) {
		ca_sslerr(ca, "cannot compute subject key identifier");
		goto out;
	}
	if ((ski = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(ski, md, mdlen) != 1 ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_DEFAULT) != 1) {
		ca_sslerr(ca, "cannot add subject key identifier");
		goto out;
	}
	if (skip != NULL) {
		*skip = ski;
		ski = NULL;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(ski);
	return rc;
}

/* AKI with keyIdentifier only. */
static int
ca_ext_aki(struct ca *ca, X509 *x, const ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID *akid = NULL;
	int rc = -1;

	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(keyid)) == NULL ||
	    X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_DEFAULT) != 1) {
		ca_sslerr(ca, "cannot add authority key identifier");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/*
 * A v3 certificate with serial, issuer, validity and public key set; the
 * caller adds the subject's attributes to X509_get_subject_name(x).
 */
static X509 *
ca_x509_start(struct ca *ca, const struct ca_newkey *nk,
    const X509_NAME *issuer, time_t nb, time_t na, const struct ca_rnd *rnd)
{
	X509 *x;

	if ((x = X509_new()) == NULL) {
		ca_sslerr(ca, "cannot make certificate");
		return NULL;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_issuer_name(x, issuer) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL) {
		ca_sslerr(ca, "cannot fill certificate");
		goto fail;
	}
	if (ca_key_set_pubkey(ca, x, nk) == -1 ||
	    ca_serial_set(ca, x, rnd->serial) == -1)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int
ca_sign(struct ca *ca, X509 *x, EVP_PKEY *key)
{
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		ca_sslerr(ca, "cannot sign certificate");
		return -1;
	}
	return 0;
}

/* Valid from now (less the clock skew) for whole calendar years: 29
 * February + N years is 1 March. 0, or -1 (ca_error()). */
static int
years_valid(struct ca *ca, int years, time_t *nb, time_t *na)
{
	struct tm tm;

	*nb = time(NULL) - CA_SKEW;
	if (gmtime_r(nb, &tm) == NULL) {
		ca_seterr(ca, "cannot convert the time");
		return -1;
	}
	tm.tm_year += years;
	*na = timegm(&tm);
	return 0;
}

/* Every issuance starts so: no error yet, out empty, the master key
 * checked. 0, or -1 (ca_error()). */
static int
issue_begin(struct ca *ca, const char *master, struct ca_issued *out)
{
	ca_begin(ca);
	memset(out, 0, sizeof *out);
	return ca_master_check(ca, master);
}

/* s (a site code, a client's name) fits a CN: 0, or -1 (ca_error()). */
static int
cn_check(struct ca *ca, const char *what, const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > CA_CN_MAX) {
		ca_seterr(ca, "%s must be 1 to %d characters", what, CA_CN_MAX);
		return -1;
	}
	return 0;
}

/* A certificate name: DER order OU=ou (when not NULL), CN=cn; printed
 * most specific first (CN=SMS Issuing,OU=P01). A site's (the root, the
 * token signing leaf) has its code as OU. */
static int
name_add(struct ca *ca, X509_NAME *name, const char *ou, const char *cn)
{
	if ((ou != NULL && X509_NAME_add_entry_by_NID(name,
	    NID_organizationalUnitName, MBSTRING_UTF8,
	    (const unsigned char *)ou, -1, -1, 0) != 1) ||
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1) {
		ca_sslerr(ca, "cannot make the name %s%s%s", cn, ou != NULL ?
		    ",OU=" : "", ou != NULL ? ou : "");
		return -1;
	}
	return 0;
}

/*
 * What differs between the self-signed certificates (the root, a
 * client's own, an agent's enrollment): the key, the name and the
 * extensions of the profile (root_profile, client_profile,
 * enroll_profile). The rest (the name as issuer and subject, whole years
 * from now, serial, signature with its own key) is self_issue()'s, the
 * same for all.
 */
typedef int (*self_profile_fn)(struct ca *, X509 *);

static int
self_issue(struct ca *ca, const struct ca_newkey *nk, const char *ou,
    const char *cn, int years, self_profile_fn profile, const char *master,
    struct ca_issued *out)
{
	struct ca_rnd rnd;
	X509_NAME *name = X509_NAME_new();
	X509 *x = NULL;
	time_t nb, na;
	int rc = -1;

	memset(&rnd, 0, sizeof rnd);
	if (name == NULL || name_add(ca, name, ou, cn) == -1 ||
	    ca_rnd_draw(ca, &rnd) == -1 ||
	    years_valid(ca, years, &nb, &na) == -1 ||
	    (x = ca_x509_start(ca, nk, name, nb, na, &rnd)) == NULL)
		goto out;
	if (X509_set_subject_name(x, name) != 1) {
		ca_sslerr(ca, "cannot set the certificate's name");
		goto out;
	}
	if (profile(ca, x) == -1 || ca_sign(ca, x, nk->pk) == -1)
		goto out;
	rc = ca_issued_fill(ca, x, nk, master, &rnd, out);
out:
	X509_free(x);
	X509_NAME_free(name);
	OPENSSL_cleanse(&rnd, sizeof rnd);
	return rc;
}

/* The root: a CA, its key identifier as SKI and AKI. */
static int
root_profile(struct ca *ca, X509 *x)
{
	ASN1_OCTET_STRING *ski = NULL;
	int rc = -1;

	if (ca_ext_conf(ca, x, NID_basic_constraints,
	    "critical,CA:TRUE") == -1 ||
	    ca_ext_conf(ca, x, NID_key_usage,
	    "critical,keyCertSign,cRLSign") == -1 ||
	    ca_ext_ski(ca, x, &ski) == -1 ||
	    ca_ext_aki(ca, x, ski) == -1)
		goto out;
	rc = 0;
out:
	ASN1_OCTET_STRING_free(ski);
	return rc;
}

int
ca_root_create(struct ca *ca, const char *site_code, enum ca_keyalg alg,
    const char *master, struct ca_issued *out)
{
	struct ca_newkey nk = { 0 };
	int rc = -1;

	if (issue_begin(ca, master, out) == -1 ||
	    cn_check(ca, "site code", site_code) == -1 ||
	    ca_keygen(ca, alg, &nk) == -1)
		goto out;
	rc = self_issue(ca, &nk, site_code, "SMS Issuing", CA_ROOT_YEARS,
	    root_profile, master, out);
out:
	ca_newkey_free(&nk);
	return rc;
}

/* ------------------------------------------------------------------ signer */

void
ca_signer_free(struct ca_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_NAME_free(s->name);
	ASN1_OCTET_STRING_free(s->ski);
	X509_EXTENSION_free(s->ext_bc);
	X509_EXTENSION_free(s->ext_ku_rsa);
	X509_EXTENSION_free(s->ext_ku_sign);
	X509_EXTENSION_free(s->ext_eku);
	ca_cert_info_clear(&s->info);
	free(s);
}

/*
 * Everything a leaf needs from the root is copied out here, so that
 * issuing only reads the signer: no lazily cached state is filled in while
 * several threads use it.
 */
struct ca_signer *
ca_signer_load(struct ca *ca, const unsigned char *root_der, size_t root_len,
    const unsigned char *root_key, size_t key_len, const char *master)
{
	const ASN1_OCTET_STRING *ski;
	struct ca_signer *s = NULL;
	EVP_PKEY *pub;
	X509 *x = NULL;
	int ok = 0, r;

	ca_begin(ca);
	s = xcalloc(1, sizeof *s);
	if ((x = ca_x509_parse(ca, root_der, root_len, "root")) == NULL)
		goto out;
	if (X509_check_ca(x) != 1) {
		ca_seterr(ca, "root: not a CA certificate");
		goto out;
	}
	if ((s->key = ca_key_decrypt(ca, root_key, key_len, master)) == NULL)
		goto out;
	if ((pub = X509_get0_pubkey(x)) == NULL) {
		ca_sslerr(ca, "root: unusable public key");
		goto out;
	}
	if ((r = EVP_PKEY_eq(pub, s->key)) != 1) {
		if (r == 0 || r == -1)
			ca_seterr(ca, "root: the private key does not belong "
			    "to the certificate");
		else
			ca_sslerr(ca, "root: cannot compare keys");
		goto out;
	}
	if ((s->name = X509_NAME_dup(X509_get_subject_name(x))) == NULL) {
		ca_sslerr(ca, "root: cannot copy name");
		goto out;
	}
	if ((ski = X509_get0_subject_key_id(x)) == NULL) {
		ca_seterr(ca, "root: no subject key identifier");
		goto out;
	}
	if ((s->ski = ASN1_OCTET_STRING_dup(ski)) == NULL) {
		ca_sslerr(ca, "root: cannot copy subject key identifier");
		goto out;
	}
	if ((s->ext_bc = ca_ext_make(ca, NID_basic_constraints,
	    "CA:FALSE")) == NULL ||
	    (s->ext_ku_rsa = ca_ext_make(ca, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment")) == NULL ||
	    (s->ext_ku_sign = ca_ext_make(ca, NID_key_usage,
	    "critical,digitalSignature")) == NULL ||
	    (s->ext_eku = ca_ext_make(ca, NID_ext_key_usage,
	    "serverAuth")) == NULL)
		goto out;
	if (ca_info_fill(ca, x, NULL, root_der, root_len, &s->info) == -1)
		goto out;
	s->not_before = s->info.not_before;
	s->not_after = s->info.not_after;
	ok = 1;
out:
	X509_free(x);
	if (!ok) {
		ca_signer_free(s);
		s = NULL;
	}
	return s;
}

/* ------------------------------------------------------------------ leaves */

/*
 * What differs between the leaves a signer issues: the subject and the
 * extensions of the profile (role_leaf_profile, token_leaf_profile). The
 * rest (validity within the root's, key, serial, SKI/AKI, signature) is
 * leaf_issue()'s, the same for all.
 */
typedef int (*leaf_profile_fn)(struct ca *, X509 *, const struct ca_signer *,
    const struct ca_newkey *, const void *arg);

static int
leaf_issue(struct ca *ca, const struct ca_signer *s, enum ca_keyalg alg,
    const char *master, leaf_profile_fn profile, const void *arg,
    struct ca_issued *out)
{
	struct ca_newkey nk = { 0 };
	struct ca_rnd rnd;
	X509 *x = NULL;
	time_t now, nb, na;
	char when[40];
	int rc = -1;

	memset(&rnd, 0, sizeof rnd);
	/* 365 days from now - 5 min, never outside the root's validity. */
	now = time(NULL);
	nb = now - CA_SKEW;
	na = nb + (time_t)CA_LEAF_DAYS * 86400;
	if (nb < s->not_before)
		nb = s->not_before;
	if (na > s->not_after)
		na = s->not_after;
	if (na <= now) {
		ca_time_str(s->not_after, when, sizeof when);
		ca_seterr(ca, "root %s expired on %s: renew it first",
		    s->info.subject, when);
		goto out;
	}

	if (ca_keygen(ca, alg, &nk) == -1 || ca_rnd_draw(ca, &rnd) == -1)
		goto out;
	if ((x = ca_x509_start(ca, &nk, s->name, nb, na, &rnd)) == NULL)
		goto out;
	if (profile(ca, x, s, &nk, arg) == -1 ||
	    ca_ext_ski(ca, x, NULL) == -1 ||
	    ca_ext_aki(ca, x, s->ski) == -1)
		goto out;
	if (ca_sign(ca, x, s->key) == -1)
		goto out;
	rc = ca_issued_fill(ca, x, &nk, master, &rnd, out);
out:
	X509_free(x);
	ca_newkey_free(&nk);
	OPENSSL_cleanse(&rnd, sizeof rnd);
	return rc;
}

/* SMS Role SSL Certificate: arg is the checked, lower-cased FQDN. */
static int
role_leaf_profile(struct ca *ca, X509 *x, const struct ca_signer *s,
    const struct ca_newkey *nk, const void *arg)
{
	const char *host = arg;
	char san[CA_FQDN_MAX + 20];

	/*
	 * A name longer than a CN may be (ub-common-name) goes in the SAN
	 * alone: the subject stays empty and the SAN is critical (RFC 5280
	 * 4.2.1.6). A CN holding part of the name would be a name the
	 * system does not have.
	 */
	if (strlen(host) <= CA_CN_MAX) {
		if (X509_NAME_add_entry_by_NID(X509_get_subject_name(x),
		    NID_commonName, MBSTRING_UTF8, (const unsigned char *)host,
		    -1, -1, 0) != 1) {
			ca_sslerr(ca, "cannot make name for %s", host);
			return -1;
		}
		snprintf(san, sizeof san, "DNS:%s", host);
	} else
		snprintf(san, sizeof san, "critical,DNS:%s", host);
	if (ca_ext_add(ca, x, s->ext_bc) == -1 ||
	    ca_ext_add(ca, x, nk->p256 ? s->ext_ku_sign : s->ext_ku_rsa) == -1 ||
	    ca_ext_add(ca, x, s->ext_eku) == -1 ||
	    ca_ext_conf(ca, x, NID_subject_alt_name, san) == -1)
		return -1;
	return 0;
}

int
ca_leaf_issue(struct ca *ca, const struct ca_signer *s, const char *fqdn,
    enum ca_keyalg alg, const char *master, struct ca_issued *out)
{
	char host[CA_FQDN_MAX + 1];

	if (issue_begin(ca, master, out) == -1 ||
	    ca_fqdn_check(ca, fqdn, host) == -1)
		return -1;
	return leaf_issue(ca, s, alg, master, role_leaf_profile, host, out);
}

/* SMS Token Signing: arg is the site code. DER order OU, CN, as the
 * root's: printed "CN=SMS Token Signing,OU=<site>". */
static int
token_leaf_profile(struct ca *ca, X509 *x, const struct ca_signer *s,
    const struct ca_newkey *nk, const void *arg)
{
	(void)nk;
	if (name_add(ca, X509_get_subject_name(x), arg,
	    CA_TOKEN_CN) == -1 ||
	    ca_ext_add(ca, x, s->ext_bc) == -1 ||
	    ca_ext_add(ca, x, s->ext_ku_sign) == -1)
		return -1;
	return 0;
}

int
ca_token_issue(struct ca *ca, const struct ca_signer *s,
    const char *site_code, const char *master, struct ca_issued *out)
{
	if (issue_begin(ca, master, out) == -1 ||
	    cn_check(ca, "site code", site_code) == -1)
		return -1;
	/* Tokens are RS256 whatever the site's key algorithm. */
	return leaf_issue(ca, s, CA_KEY_RSA2048, master, token_leaf_profile,
	    site_code, out);
}

/* ------------------------------------------------------------------ bulk */

struct ca_many {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	const struct ca_signer	*signer;
	const char *const	*fqdns;
	enum ca_keyalg		 alg;
	const char		*master;
	struct ca_issued	*out;
	size_t			 n;
	char			**why;		/* per name, or NULL */
	size_t			 next;		/* next index to take */
	size_t			 done;		/* issued so far */
	unsigned		 running;	/* workers still going */
	size_t			 failed;	/* names that failed */
	int			 cancelled;	/* progress said stop */
	char			 err[CA_ERR_MAX];	/* the first */
};

static void *
ca_many_worker(void *arg)
{
	struct ca_many *m = arg;
	struct ca *ca = ca_new();
	size_t i;
	int rc;

	for (;;) {
		pthread_mutex_lock(&m->mtx);
		if (m->next == m->n || m->cancelled) {
			pthread_mutex_unlock(&m->mtx);
			break;
		}
		i = m->next++;
		pthread_mutex_unlock(&m->mtx);

		rc = ca_leaf_issue(ca, m->signer, m->fqdns[i], m->alg,
		    m->master, &m->out[i]);

		pthread_mutex_lock(&m->mtx);
		m->done++;
		if (rc == -1) {
			if (m->failed++ == 0)
				snprintf(m->err, sizeof m->err, "%.200s: %.800s",
				    m->fqdns[i] != NULL ? m->fqdns[i] :
				    "(null)", ca_error(ca));
			if (m->why != NULL)
				m->why[i] = xstrdup(ca_error(ca));
		}
		pthread_mutex_unlock(&m->mtx);
	}
	pthread_mutex_lock(&m->mtx);
	m->running--;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mtx);
	ca_free(ca);
	return NULL;
}

static void
ca_ts_add_ns(struct timespec *ts, long ns)
{
	ts->tv_nsec += ns;
	while (ts->tv_nsec >= 1000L * 1000 * 1000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000L * 1000 * 1000;
	}
}

/*
 * Workers take the next index under the mutex and issue without it. The
 * calling thread only waits and reports progress each tick; the last
 * worker to stop wakes it. A name that fails is noted and skipped.
 */
int
ca_leaf_issue_many(struct ca *ca, const struct ca_signer *s, size_t n,
    const char *const *fqdns, enum ca_keyalg alg, const char *master,
    unsigned nthreads, int (*progress)(size_t, size_t, void *), void *arg,
    struct ca_issued *out, char **why)
{
	pthread_condattr_t cattr;
	struct timespec tick;
	pthread_t *tids = NULL;
	struct ca_many m;
	unsigned started = 0, k;
	size_t i, done;
	long cpus;
	int rc = -1, error = 0, w;

	ca_begin(ca);
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		if (why != NULL)
			why[i] = NULL;
	}
	if (ca_master_check(ca, master) == -1)
		return -1;
	if (n == 0) {
		if (progress != NULL && progress(0, 0, arg) != 0) {
			ca_seterr(ca, "cancelled");
			return -1;
		}
		return 0;
	}
	if (nthreads == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (nthreads > n)
		nthreads = (unsigned)n;

	memset(&m, 0, sizeof m);
	m.signer = s;
	m.fqdns = fqdns;
	m.alg = alg;
	m.master = master;
	m.out = out;
	m.why = why;
	m.n = n;
	pthread_mutex_init(&m.mtx, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&m.cond, &cattr);
	pthread_condattr_destroy(&cattr);
	tids = xcalloc(nthreads, sizeof *tids);

	pthread_mutex_lock(&m.mtx);
	for (k = 0; k < nthreads; k++) {
		if ((error = pthread_create(&tids[k], NULL, ca_many_worker,
		    &m)) != 0)
			break;		/* go on with the ones we have */
		started++;
		m.running++;
	}
	if (started == 0) {
		pthread_mutex_unlock(&m.mtx);
		ca_seterr(ca, "cannot start a thread: %s", strerror(error));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &tick);
	while (m.running > 0) {
		ca_ts_add_ns(&tick, CA_PROGRESS_NS);
		do {
			w = pthread_cond_timedwait(&m.cond, &m.mtx, &tick);
		} while (w == 0 && m.running > 0);
		if (progress != NULL && m.running > 0) {
			done = m.done;
			pthread_mutex_unlock(&m.mtx);
			w = progress(done, n, arg);
			pthread_mutex_lock(&m.mtx);
			if (w != 0)	/* workers stop at their next name */
				m.cancelled = 1;
		}
	}
	pthread_mutex_unlock(&m.mtx);
	for (k = 0; k < started; k++)
		pthread_join(tids[k], NULL);

	if (m.cancelled || (progress != NULL && progress(n, n, arg) != 0)) {
		for (i = 0; i < n; i++) {	/* nothing of a cancelled batch */
			ca_issued_clear(&out[i]);
			if (why != NULL) {
				free(why[i]);
				why[i] = NULL;
			}
		}
		ca_seterr(ca, "cancelled");
		goto out;
	}
	if (m.failed > 0) {
		if (m.failed == 1)
			ca_seterr(ca, "%s", m.err);
		else
			ca_seterr(ca, "%zu of %zu names failed; the first: %.900s",
			    m.failed, n, m.err);
		goto out;
	}
	rc = 0;
out:
	free(tids);
	pthread_cond_destroy(&m.cond);
	pthread_mutex_destroy(&m.mtx);
	return rc;
}

/* -------------------------------------------------------------- enrollment */

/* An agent's enrollment certificate: its key receives keys (CMS key
 * transport) and signs nothing else. */
static int
enroll_profile(struct ca *ca, X509 *x)
{
	if (ca_ext_conf(ca, x, NID_basic_constraints, "critical,CA:FALSE") ==
	    -1 || ca_ext_conf(ca, x, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment") == -1 ||
	    ca_ext_ski(ca, x, NULL) == -1)
		return -1;
	return 0;
}

int
ca_enroll_create(struct ca *ca, const char *fqdn, struct ca_issued *out)
{
	struct ca_newkey nk = { 0 };
	char host[CA_FQDN_MAX + 1];
	int rc = -1;

	if (issue_begin(ca, ca_plain, out) == -1 ||
	    ca_fqdn_check(ca, fqdn, host) == -1 ||
	    ca_keygen(ca, CA_KEY_RSA3072, &nk) == -1)
		goto out;
	rc = self_issue(ca, &nk, CA_ENROLL_OU, host, CA_ENROLL_YEARS,
	    enroll_profile, ca_plain, out);
out:
	ca_newkey_free(&nk);
	return rc;
}

/* ------------------------------------------------------------------ client */

/* A client's own: a key for signing and encryption, SKI, no AKI. */
static int
client_profile(struct ca *ca, X509 *x)
{
	if (ca_ext_conf(ca, x, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment") == -1 ||
	    ca_ext_conf(ca, x, NID_ext_key_usage,
	    CA_EKU_SMS_ENCRYPTION "," CA_EKU_SMS_SIGNING) == -1 ||
	    ca_ext_ski(ca, x, NULL) == -1)
		return -1;
	return 0;
}

int
ca_client_cert_create(struct ca *ca, const char *name, const char *master,
    struct ca_issued *out)
{
	struct ca_newkey nk = { 0 };
	int rc = -1;

	if (issue_begin(ca, master, out) == -1 ||
	    cn_check(ca, "client name", name) == -1)
		goto out;
	for (const char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			ca_seterr(ca, "client name holds a control character");
			goto out;
		}
	if (ca_keygen_rsa_client(ca, &nk) == -1)
		goto out;
	rc = self_issue(ca, &nk, NULL, name, CA_CLIENT_YEARS, client_profile,
	    master, out);
out:
	ca_newkey_free(&nk);
	return rc;
}
