/*
 * ca.c: errors, the master key, DER/PEM conversions and certificate
 * descriptions (the handle, key algorithm names and the clearing of what
 * the functions return: ca-base.c). With ca-key.c, ca-issue.c,
 * ca-check.c, ca-seal.c, ca-sign.c and ca-hash.c the only code of the CA
 * that calls OpenSSL (ca-base.c and ca-load.c see its types only).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca-int.h"
#include "fdio.h"
#include "hex.h"
#include "timefmt.h"

#define CA_MASTER_BYTES (CA_MASTER_LEN / 2)

/* ------------------------------------------------------------------ memory */

/*
 * OpenSSL's memory, cleared when freed. OpenSSL copies a key it decodes
 * into buffers of its own (DER in its decoders, BIGNUM temporaries) and
 * frees many of them without clearing: in ehttp-mpd a whole DER copy of
 * the TLS key stayed in the free heap until something happened to reuse
 * it. With these hooks every block OpenSSL frees or outgrows is cleared
 * first, whatever OpenSSL itself does.
 */
static void *
ca_mem_malloc(size_t n, const char *file, int line)
{
	return malloc(n);
}

static void
ca_mem_free(void *p, const char *file, int line)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void *
ca_mem_realloc(void *p, size_t n, const char *file, int line)
{
	size_t had;
	void *q;

	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		ca_mem_free(p, file, line);
		return NULL;
	}
	if ((had = malloc_usable_size(p)) >= n)
		return p;	/* the tail is cleared with the block */
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, had);
	ca_mem_free(p, file, line);
	return q;
}

int
ca_clear_freed_memory(void)
{
	return CRYPTO_set_mem_functions(ca_mem_malloc, ca_mem_realloc,
	    ca_mem_free) == 1 ? 0 : -1;
}

/* Linked, OpenSSL is loaded with the program (ca-load.c has the other). */
void
ca_preload(void)
{
}

/* The program's ca_plain, when this is its module (ca-module.c). */
const char *ca_plain_caller;

/* ------------------------------------------------------------------ errors */

/* Start of every public function: forget the last message and stale queue. */
void
ca_begin(struct ca *ca)
{
	ca->err[0] = '\0';
	ERR_clear_error();
}

static void __attribute__((format(printf, 2, 0)))
ca_vset(struct ca *ca, const char *fmt, va_list ap)
{
	vsnprintf(ca->err, sizeof ca->err, fmt, ap);
}

void
ca_seterr(struct ca *ca, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_vset(ca, fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

/*
 * The message, then ": " and the reasons drained from OpenSSL's error queue
 * (oldest first, which is usually the root cause).
 */
void
ca_sslerr(struct ca *ca, const char *fmt, ...)
{
	const char *data, *reason;
	unsigned long e;
	va_list ap;
	size_t len;
	int flags, shown = 0;
	char code[32];

	va_start(ap, fmt);
	ca_vset(ca, fmt, ap);
	va_end(ap);
	len = strlen(ca->err);
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (shown == 4 || len >= sizeof ca->err - 1)
			continue;	/* keep draining */
		if ((reason = ERR_reason_error_string(e)) == NULL) {
			snprintf(code, sizeof code, "error %lX", e);
			reason = code;
		}
		if (!(flags & ERR_TXT_STRING) || data == NULL)
			data = "";
		snprintf(ca->err + len, sizeof ca->err - len, ": %s%s%s",
		    reason, *data != '\0' ? " " : "", data);
		len = strlen(ca->err);
		shown++;
	}
	if (shown == 0 && len < sizeof ca->err - 1)
		snprintf(ca->err + len, sizeof ca->err - len,
		    ": unknown OpenSSL error");
}

/* ------------------------------------------------------------------ small helpers */

void
ca_time_str(time_t t, char *buf, size_t len)
{
	if (timefmt(buf, len, t, TIMEFMT_SECOND_UTC) == -1)
		snprintf(buf, len, "@%lld", (long long)t);
}

/* The master key is the passphrase; insist on its shape to catch mix-ups. */
int
ca_master_check(struct ca *ca, const char *master)
{
	size_t i;

	if (ca_master_is_plain(master))
		return 0;
	if (master == NULL || strlen(master) != CA_MASTER_LEN)
		goto bad;
	for (i = 0; i < CA_MASTER_LEN; i++)
		if (!isxdigit((unsigned char)master[i]))
			goto bad;
	return 0;
bad:
	ca_seterr(ca, "master key must be %d hex characters "
	    "(as read by ca_master_load)", CA_MASTER_LEN);
	return -1;
}

/*
 * A host name we will put into the SAN (and the CN when it fits): LDH
 * labels of 1-63 characters, at most CA_FQDN_MAX in all, not an IPv4
 * address. Copied lower-cased into host.
 */
int
ca_fqdn_check(struct ca *ca, const char *fqdn, char host[CA_FQDN_MAX + 1])
{
	size_t len, i, label = 0;
	int alldigits = 1;
	char c;

	if (fqdn == NULL || (len = strlen(fqdn)) == 0) {
		ca_seterr(ca, "empty host name");
		return -1;
	}
	if (len > CA_FQDN_MAX) {
		ca_seterr(ca, "host name '%.80s...' is longer than %d "
		    "characters", fqdn, CA_FQDN_MAX);
		return -1;
	}
	for (i = 0; i <= len; i++) {
		c = (char)tolower((unsigned char)fqdn[i]);
		if (c == '.' || c == '\0') {
			if (label == 0 || fqdn[i - 1] == '-' ||
			    fqdn[i - label] == '-')
				goto bad;
			if (c == '\0')
				break;
			label = 0;
			alldigits = 1;
		} else if ((c >= 'a' && c <= 'z') || c == '-') {
			alldigits = 0;
			if (++label > 63)
				goto bad;
		} else if (c >= '0' && c <= '9') {
			if (++label > 63)
				goto bad;
		} else
			goto bad;
		host[i] = c;
	}
	host[len] = '\0';
	if (alldigits) {
		ca_seterr(ca, "'%s' is an address, not a host name", fqdn);
		return -1;
	}
	return 0;
bad:
	ca_seterr(ca, "'%.80s' is not a valid host name (letters, digits, "
	    "'-' in dot-separated labels)", fqdn);
	return -1;
}

/* ------------------------------------------------------------------ master key */

static int
ca_master_parse(const char *buf, size_t n)
{
	size_t i;

	if (n == CA_MASTER_LEN + 1 && buf[CA_MASTER_LEN] == '\n')
		n--;
	if (n != CA_MASTER_LEN)
		return -1;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)buf[i]))
			return -1;
	return 0;
}

/* Make the new key file durable: the file, then its directory entry. */
static int
ca_fsync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash;
	int fd, rc = -1;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto out;
	if (fsync(fd) == -1 && errno != EINVAL)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

static int
ca_master_create(struct ca *ca, const char *path, int *existed,
    char out[CA_MASTER_LEN + 1])
{
	unsigned char raw[CA_MASTER_BYTES];
	char buf[CA_MASTER_LEN + 1];
	int fd = -1, rc = -1, made = 0, saved;

	*existed = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST) {
			*existed = 1;	/* somebody was faster: read theirs */
			return 0;
		}
		ca_seterr(ca, "cannot create master key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	made = 1;
	if (RAND_priv_bytes(raw, sizeof raw) <= 0) {
		ca_sslerr(ca, "cannot make master key %s: random bytes", path);
		goto out;
	}
	hex_encode(raw, sizeof raw, buf);
	buf[CA_MASTER_LEN] = '\n';
	if (fd_write_all(fd, buf, sizeof buf) == -1 || fsync(fd) == -1) {
		ca_seterr(ca, "cannot write master key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		ca_seterr(ca, "cannot write master key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (ca_fsync_dir(path) == -1) {
		ca_seterr(ca, "cannot sync the directory of master key %s: %s",
		    path, strerror(errno));
		goto out;
	}
	memcpy(out, buf, CA_MASTER_LEN);
	out[CA_MASTER_LEN] = '\0';
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == -1 && made)
		unlink(path);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(buf, sizeof buf);
	errno = saved;
	return rc;
}

int
ca_master_load(struct ca *ca, const char *path, int create,
    char out[CA_MASTER_LEN + 1])
{
	char buf[CA_MASTER_LEN + 2];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd = -1, rc = -1, existed = 0;

	ca_begin(ca);
	memset(out, 0, CA_MASTER_LEN + 1);
	if (path == NULL || *path == '\0') {
		ca_seterr(ca, "no master key path");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno != ENOENT || !create) {
			ca_seterr(ca, "cannot open master key %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (ca_master_create(ca, path, &existed, out) == -1)
			goto out;
		if (!existed) {
			rc = 0;
			goto out;
		}
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
			ca_seterr(ca, "cannot open master key %s: %s", path,
			    strerror(errno));
			goto out;
		}
	}
	if (fstat(fd, &st) == -1) {
		ca_seterr(ca, "cannot stat master key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ca_seterr(ca, "master key %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ca_seterr(ca, "master key %s has mode %04o: it must not be "
		    "accessible to group or others (want 0600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (n < sizeof buf) {
		if ((r = read(fd, buf + n, sizeof buf - n)) == -1) {
			if (errno == EINTR)
				continue;
			ca_seterr(ca, "cannot read master key %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (ca_master_parse(buf, n) == -1) {
		ca_seterr(ca, "master key %s is damaged: want %d hex "
		    "characters and a newline", path, CA_MASTER_LEN);
		goto out;
	}
	memcpy(out, buf, CA_MASTER_LEN);
	out[CA_MASTER_LEN] = '\0';
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

/* ------------------------------------------------------------------ DER, PEM */

/* One DER certificate, nothing after it. */
X509 *
ca_x509_parse(struct ca *ca, const unsigned char *der, size_t len,
    const char *what)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0) {
		ca_seterr(ca, "%s: empty certificate", what);
		return NULL;
	}
	if (len > LONG_MAX) {
		ca_seterr(ca, "%s: certificate too large", what);
		return NULL;
	}
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ca_sslerr(ca, "%s: not a DER certificate", what);
		return NULL;
	}
	if (p != der + len) {
		X509_free(x);
		ca_seterr(ca, "%s: %zu bytes of trailing garbage after the "
		    "certificate", what, (size_t)(der + len - p));
		return NULL;
	}
	return x;
}

int
ca_asn1_der(struct ca *ca, const void *obj, const ASN1_ITEM *it,
    struct ca_blob *out, const char *what)
{
	unsigned char *p;
	int n;

	if ((n = ASN1_item_i2d(obj, NULL, it)) <= 0) {
		ca_sslerr(ca, "cannot encode %s", what);
		return -1;
	}
	out->data = xmalloc(n);
	out->len = n;
	p = out->data;
	if (ASN1_item_i2d(obj, &p, it) != n) {
		ca_blob_free(out);
		ca_sslerr(ca, "cannot encode %s", what);
		return -1;
	}
	return 0;
}

int
ca_x509_der(struct ca *ca, X509 *x, struct ca_blob *out)
{
	return ca_asn1_der(ca, x, ASN1_ITEM_rptr(X509), out, "certificate");
}

/* Mem BIO contents into a malloc'ed NUL-terminated string. */
static char *
ca_bio_str(BIO *bio)
{
	char *data;
	long n;

	n = BIO_get_mem_data(bio, &data);
	if (n < 0)
		n = 0;
	return xstrndup(data, (size_t)n);
}

int
ca_bio_write(struct ca *ca, const BIO_METHOD *method,
    int (*write)(BIO *, void *), void *arg, const char *what, char **out)
{
	BIO *bio;
	int rc = -1;

	*out = NULL;
	if ((bio = BIO_new(method)) == NULL || write(bio, arg) != 1)
		ca_sslerr(ca, "%s", what);
	else {
		*out = ca_bio_str(bio);
		rc = 0;
	}
	BIO_free(bio);
	return rc;
}

/* Never prompt on a terminal for a passphrase: note and refuse. */
int
ca_nopass_cb(char *buf, int size, int rwflag, void *arg)
{
	if (arg != NULL)
		*(int *)arg = 1;
	return -1;
}

int
ca_err_is_no_start_line(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

BIO *
ca_pem_bio(struct ca *ca, const char *pem, size_t len, const char *what)
{
	BIO *bio;

	if (len > INT_MAX) {
		ca_seterr(ca, "%s: too large", what);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		ca_sslerr(ca, "%s", what);
	return bio;
}

/* First PEM certificate in pem[0..len). */
X509 *
ca_pem_read_cert(struct ca *ca, const char *pem, size_t len, const char *what)
{
	BIO *bio = NULL;
	X509 *x = NULL;

	if (pem == NULL || len == 0) {
		ca_seterr(ca, "%s: empty", what);
		goto out;
	}
	if ((bio = ca_pem_bio(ca, pem, len, what)) == NULL)
		goto out;
	if ((x = PEM_read_bio_X509(bio, NULL, ca_nopass_cb, NULL)) == NULL) {
		if (ca_err_is_no_start_line())
			ca_seterr(ca, "%s: no PEM certificate found (no "
			    "'-----BEGIN CERTIFICATE-----' line)", what);
		else
			ca_sslerr(ca, "%s: malformed or truncated PEM "
			    "certificate", what);
		goto out;
	}
out:
	BIO_free(bio);
	return x;
}

/* ------------------------------------------------------------------ describing */

int
ca_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

char *
ca_name_str(const X509_NAME *name)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio;
	char *s;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		abort();
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0) {
		BIO_free(bio);
		return xstrdup("?");
	}
	s = ca_bio_str(bio);
	BIO_free(bio);
	return s;
}

/* The most specific (last) CN, as UTF-8; "" if none. */
char *
ca_name_cn(const X509_NAME *name)
{
	X509_NAME_ENTRY *ne;
	unsigned char *utf8 = NULL;
	int i, last = -1, n;
	char *s;

	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, last)) >= 0)
		last = i;
	if (last < 0 || (ne = X509_NAME_get_entry(name, last)) == NULL)
		return xstrdup("");
	if ((n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ne))) < 0)
		return xstrdup("?");
	s = xstrndup((char *)utf8, n);
	OPENSSL_free(utf8);
	return s;
}

static char *
ca_serial_str(const ASN1_INTEGER *ai)
{
	BIGNUM *bn;
	char *hex, *s;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return xstrdup("?");
	if ((hex = BN_bn2hex(bn)) == NULL)
		abort();
	s = xstrdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

char *
ca_san_str(X509 *x)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	const unsigned char *d;
	size_t len = 0, cap = 64, k;
	char *s = xmalloc(cap);
	int i, n;

	s[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return s;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		n = ASN1_STRING_length(g->d.dNSName);
		while (len + n + 2 > cap) {
			cap *= 2;
			s = xreallocarray(s, cap, 1);
		}
		if (len > 0)
			s[len++] = ',';
		for (k = 0; k < (size_t)n; k++)
			s[len++] = (d[k] >= 0x21 && d[k] < 0x7f && d[k] != ',') ?
			    (char)d[k] : '?';
		s[len] = '\0';
	}
	GENERAL_NAMES_free(gens);
	return s;
}

char *
ca_key_desc_dup(const EVP_PKEY *pk)
{
	char group[80], buf[100];
	const char *nist;
	int nid;

	if (pk == NULL)
		return xstrdup("unknown");
	if (EVP_PKEY_is_a(pk, "RSA")) {
		snprintf(buf, sizeof buf, "RSA %d", EVP_PKEY_get_bits(pk));
		return xstrdup(buf);
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL))
			return xstrdup("EC");
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = OBJ_ln2nid(group);
		nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
		snprintf(buf, sizeof buf, "EC %s", nist != NULL ? nist : group);
		return xstrdup(buf);
	}
	return xstrdup(EVP_PKEY_get0_type_name(pk) != NULL ?
	    EVP_PKEY_get0_type_name(pk) : "unknown");
}

/* Describe x, whose DER encoding is der[0..len). */
int
ca_info_fill(struct ca *ca, X509 *x, const EVP_PKEY *pub,
    const unsigned char *der, size_t len, struct ca_cert_info *ci)
{
	EXTENDED_KEY_USAGE *eku;
	BASIC_CONSTRAINTS *bc;
	char tp[41], fp[65];
	int i;

	memset(ci, 0, sizeof *ci);
	if (ca_asn1_time(X509_get0_notBefore(x), &ci->not_before) == -1 ||
	    ca_asn1_time(X509_get0_notAfter(x), &ci->not_after) == -1) {
		ca_sslerr(ca, "certificate has an unreadable validity time");
		goto fail;
	}
	if (ca_thumbprint(ca, der, len, tp) == -1 ||
	    ca_fingerprint(ca, der, len, fp) == -1)
		goto fail;
	ci->thumbprint = xstrdup(tp);
	ci->sha256 = xstrdup(fp);
	ci->subject = ca_name_str(X509_get_subject_name(x));
	ci->issuer = ca_name_str(X509_get_issuer_name(x));
	ci->issued_to = ca_name_cn(X509_get_subject_name(x));
	ci->issued_by = ca_name_cn(X509_get_issuer_name(x));
	ci->serial = ca_serial_str(X509_get0_serialNumber(x));
	ci->san = ca_san_str(x);
	/* No CN (a name too long for one): issued to its first DNS name. */
	if (ci->issued_to[0] == '\0' && ci->san[0] != '\0') {
		free(ci->issued_to);
		ci->issued_to = xstrndup(ci->san, strcspn(ci->san, ","));
	}
	ci->key_desc = ca_key_desc_dup(pub != NULL ? pub : X509_get0_pubkey(x));
	/*
	 * Decode just these two extensions: X509_get_extension_flags() would
	 * decode all of them and hash the certificate again.
	 */
	if ((bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL,
	    NULL)) != NULL) {
		ci->is_ca = bc->ca != 0;
		BASIC_CONSTRAINTS_free(bc);
	}
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL,
	    NULL)) != NULL) {
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) ==
			    NID_server_auth)
				ci->server_auth = 1;
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	}
	ERR_clear_error();
	return 0;
fail:
	ca_cert_info_clear(ci);
	return -1;
}

int
ca_cert_info(struct ca *ca, const unsigned char *der, size_t len,
    struct ca_cert_info *ci)
{
	X509 *x;
	int rc = -1;

	ca_begin(ca);
	memset(ci, 0, sizeof *ci);
	if ((x = ca_x509_parse(ca, der, len, "certificate")) != NULL)
		rc = ca_info_fill(ca, x, NULL, der, len, ci);
	X509_free(x);
	return rc;
}

/* A digest of der as "label: HEX\n"; nothing when the digest fails. */
static void
bio_digest(BIO *bio, const char *label, const EVP_MD *md, const unsigned
    char *der, size_t len)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (ca_digest_hex(md, der, len, hex, sizeof hex) == 0)
		BIO_printf(bio, "%s: %s\n", label, hex);
}

/* A certificate and its DER, for the printers. */
struct cert_der {
	X509			*x;
	const unsigned char	*der;
	size_t			 len;
};

static int
cert_print_text(BIO *bio, void *arg)
{
	unsigned long nmflags = XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB;
	struct cert_der *c = arg;

	if (X509_print_ex(bio, c->x, nmflags, X509_FLAG_COMPAT) != 1)
		return 0;
	bio_digest(bio, "Thumbprint (SHA-1)", EVP_sha1(), c->der, c->len);
	bio_digest(bio, "Fingerprint (SHA-256)", EVP_sha256(), c->der, c->len);
	return 1;
}

static int
cert_print_pem(BIO *bio, void *arg)
{
	return PEM_write_bio_X509(bio, ((struct cert_der *)arg)->x);
}

/* A DER certificate written out by print as a malloc'ed string. */
static int
cert_print(struct ca *ca, const unsigned char *der, size_t len,
    int (*print)(BIO *, void *), const char *what, char **out)
{
	struct cert_der c = { NULL, der, len };
	int rc = -1;

	ca_begin(ca);
	*out = NULL;
	if ((c.x = ca_x509_parse(ca, der, len, "certificate")) != NULL)
		rc = ca_bio_write(ca, BIO_s_mem(), print, &c, what, out);
	X509_free(c.x);
	return rc;
}

int
ca_cert_text(struct ca *ca, const unsigned char *der, size_t len,
    char **text)
{
	return cert_print(ca, der, len, cert_print_text,
	    "cannot print certificate", text);
}

int
ca_der_to_pem(struct ca *ca, const unsigned char *der, size_t len, char **pem)
{
	return cert_print(ca, der, len, cert_print_pem,
	    "cannot write PEM certificate", pem);
}

int
ca_pem_to_der(struct ca *ca, const char *pem, size_t len, struct ca_blob *der)
{
	X509 *x;
	int rc = -1;

	ca_begin(ca);
	memset(der, 0, sizeof *der);
	if ((x = ca_pem_read_cert(ca, pem, len, "PEM")) != NULL)
		rc = ca_x509_der(ca, x, der);
	X509_free(x);
	return rc;
}

/*
 * A signed certificate and its new key into out: DER, the key encrypted
 * with master (rnd: salt and IV, or NULL for OpenSSL's own), description.
 */
int
ca_issued_fill(struct ca *ca, X509 *x, const struct ca_newkey *nk,
    const char *master, const struct ca_rnd *rnd, struct ca_issued *out)
{
	if (ca_x509_der(ca, x, &out->cert) == -1 ||
	    ca_key_encrypt(ca, nk, master, rnd, &out->key) == -1 ||
	    ca_info_fill(ca, x, nk->pk, out->cert.data, out->cert.len,
	    &out->info) == -1) {
		ca_issued_clear(out);
		return -1;
	}
	return 0;
}
