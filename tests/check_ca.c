/*
 * CA module: every certificate we issue is checked by implementations that
 * are not ours (openssl CLI, GnuTLS certtool) and its profile is asserted
 * field by field from their output. Each test has its own temp dir.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "ca.h"
#include "testutil.h"
#include "xmalloc.h"

static const struct tu_fixture fast = { .timeout = 30 },
    slow = { .timeout = 60 };

#define FQDN	"mp1.contoso.com"

/* One CA under test: temp dir, master key, root, signer. */
struct fx {
	char			*dir;
	struct ca		*ca;
	char			 master[CA_MASTER_LEN + 1];
	enum ca_keyalg		 alg;
	struct ca_issued	 root;
	struct ca_signer	*signer;
};

static const enum ca_keyalg algs[] = {
	CA_KEY_RSA2048, CA_KEY_EC_P256, CA_KEY_RSA3072
};

static char *
path(const struct fx *f, const char *name)
{
	static char buf[4][4096];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", f->dir, name);
	return buf[k];
}

static void
fx_open(struct fx *f, enum ca_keyalg alg, int with_root)
{
	memset(f, 0, sizeof *f);
	f->dir = tu_tmpdir();
	f->ca = ca_new();
	f->alg = alg;
	ck_assert_msg(ca_master_load(f->ca, path(f, "master.key"), 1,
	    f->master) == 0, "%s", ca_error(f->ca));
	if (!with_root)
		return;
	ck_assert_msg(ca_root_create(f->ca, "P01", alg, f->master,
	    &f->root) == 0, "%s", ca_error(f->ca));
	f->signer = ca_signer_load(f->ca, f->root.cert.data, f->root.cert.len,
	    f->root.key.data, f->root.key.len, f->master);
	ck_assert_msg(f->signer != NULL, "%s", ca_error(f->ca));
}

static void
fx_close(struct fx *f)
{
	ca_signer_free(f->signer);
	ca_issued_clear(&f->root);
	ca_free(f->ca);
	tu_tmpdir_free(f->dir);
}

static void
write_blob(const struct fx *f, const char *name, const struct ca_blob *b)
{
	ck_assert_int_eq(tu_write_file(path(f, name), (const char *)b->data,
	    b->len), 0);
}

static void
write_pem(const struct fx *f, const char *name, const struct ca_blob *der)
{
	char *pem;

	ck_assert_msg(ca_der_to_pem(f->ca, der->data, der->len, &pem) == 0,
	    "%s", ca_error(f->ca));
	ck_assert_int_eq(tu_write_file(path(f, name), pem, strlen(pem)), 0);
	free(pem);
}

/* Run a shell command in f->dir; returns exit status, output in *out. */
static int __attribute__((format(printf, 3, 4)))
sh(const struct fx *f, char **out, const char *fmt, ...)
{
	char *o = NULL, *e = NULL, *all;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tu_vsh(f->dir, &o, &e, fmt, ap);
	va_end(ap);
	xasprintf(&all, "%s%s", o, e);
	free(o);
	free(e);
	if (out != NULL)
		*out = all;
	else
		free(all);
	return rc;
}

/* Expect a command to succeed; return its output (caller frees). */
static char *
sh_ok(const struct fx *f, const char *cmd)
{
	char *out;
	int rc = sh(f, &out, "%s", cmd);

	ck_assert_msg(rc == 0, "`%.500s` exited %d:\n%.1500s", cmd, rc, out);
	return out;
}

static void
assert_has(const char *hay, const char *needle)
{
	ck_assert_msg(hay != NULL && strstr(hay, needle) != NULL,
	    "expected \"%s\" in:\n%.1500s", needle,
	    hay != NULL ? hay : "(null)");
}

static void
assert_lacks(const char *hay, const char *needle)
{
	ck_assert_msg(hay != NULL && strstr(hay, needle) == NULL,
	    "did not expect \"%s\" in:\n%.1500s", needle, hay);
}

/* The hex line after "label" in `openssl x509 -ext` output, colons removed. */
static char *
ext_hex(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	char *s;
	size_t n = 0;

	ck_assert_msg(p != NULL, "no %s in %s", label, text);
	p = strchr(p, '\n');
	ck_assert_ptr_nonnull(p);
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "keyid:", 6) == 0)
		p += 6;
	s = malloc(strlen(p) + 1);
	for (; *p != '\0' && *p != '\n'; p++)
		if (isxdigit((unsigned char)*p))
			s[n++] = (char)toupper((unsigned char)*p);
	s[n] = '\0';
	return s;
}

/* The INTEGER after version in TBSCertificate: positive, minimal, 16-17 octets. */
static void
assert_serial_der(const struct ca_blob *cert)
{
	const unsigned char *p = cert->data;
	size_t i = 0, len;

	/* Certificate SEQUENCE, TBSCertificate SEQUENCE: long lengths here. */
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(p[i], 0x30);
		i += (p[i + 1] & 0x80) ? 2 + (p[i + 1] & 0x7f) : 2;
	}
	ck_assert_int_eq(p[i], 0xa0);		/* [0] version */
	i += 2 + p[i + 1];
	ck_assert_int_eq(p[i], 0x02);		/* serialNumber INTEGER */
	len = p[i + 1];
	i += 2;
	/* 128 random bits: 16 octets, 17 with a 00 for a set top bit, fewer
	 * when the top random bytes are zero (1 in 256 for 15). */
	ck_assert_msg(len >= 9 && len <= 17, "serial is %zu octets", len);
	ck_assert_msg((p[i] & 0x80) == 0, "serial is negative");
	ck_assert_msg(!(p[i] == 0 && (p[i + 1] & 0x80) == 0),
	    "serial INTEGER is not minimal");
}

static long
days_between(const struct fx *f, const char *pem, long *start)
{
	char *out, cmd[512];
	long a, b;

	snprintf(cmd, sizeof cmd,
	    "s=$(openssl x509 -in %s -noout -startdate | cut -d= -f2); "
	    "e=$(openssl x509 -in %s -noout -enddate | cut -d= -f2); "
	    "echo $(date -u -d \"$s\" +%%s) $(date -u -d \"$e\" +%%s)",
	    pem, pem);
	out = sh_ok(f, cmd);
	ck_assert_int_eq(sscanf(out, "%ld %ld", &a, &b), 2);
	free(out);
	*start = a;
	return b - a;
}

/* openssl verify and certtool --verify both accept leaf.pem for fqdn. */
static void
assert_chain_ok(const struct fx *f, const char *root, const char *leaf,
    const char *fqdn)
{
	char *out;
	int rc;

	rc = sh(f, &out, "openssl verify -x509_strict -purpose sslserver "
	    "-verify_hostname %s -no-CApath -no-CAstore -CAfile %s %s",
	    fqdn, root, leaf);
	ck_assert_msg(rc == 0, "openssl verify: %.1500s", out);
	assert_has(out, ": OK");
	free(out);
	rc = sh(f, &out, "certtool --verify --load-ca-certificate %s "
	    "--infile %s --verify-hostname %s "
	    "--verify-purpose 1.3.6.1.5.5.7.3.1", root, leaf, fqdn);
	ck_assert_msg(rc == 0, "certtool: %.1500s", out);
	assert_has(out, "Chain verification output: Verified");
	free(out);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_keyalg)
{
	enum ca_keyalg a;

	ck_assert_int_eq(ca_keyalg_parse("rsa2048", &a), 0);
	ck_assert_int_eq(a, CA_KEY_RSA2048);
	ck_assert_int_eq(ca_keyalg_parse("RSA3072", &a), 0);
	ck_assert_int_eq(a, CA_KEY_RSA3072);
	ck_assert_int_eq(ca_keyalg_parse("ec-p256", &a), 0);
	ck_assert_int_eq(a, CA_KEY_EC_P256);
	ck_assert_int_eq(ca_keyalg_parse("rsa1024", &a), -1);
	ck_assert_int_eq(ca_keyalg_parse("", &a), -1);
	ck_assert_int_eq(ca_keyalg_parse(NULL, &a), -1);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(ca_keyalg_parse(ca_keyalg_name(algs[i]), &a), 0);
		ck_assert_int_eq(a, algs[i]);
	}
	ck_assert_str_eq(ca_keyalg_name((enum ca_keyalg)99), "unknown");
}
END_TEST

START_TEST(test_master_key)
{
	char m1[CA_MASTER_LEN + 1], m2[CA_MASTER_LEN + 1], *buf;
	struct fx f;
	struct stat st;
	mode_t old;
	size_t len;

	memset(&f, 0, sizeof f);
	f.dir = tu_tmpdir();
	f.ca = ca_new();

	/* Absent and create == 0: refused, naming the file. */
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 0, m1),
	    -1);
	assert_has(ca_error(f.ca), path(&f, "master.key"));

	/* Created 0600 by open(), whatever the umask. */
	old = umask(0);
	ck_assert_msg(ca_master_load(f.ca, path(&f, "master.key"), 1, m1) == 0,
	    "%s", ca_error(f.ca));
	umask(old);
	ck_assert_int_eq(stat(path(&f, "master.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(strlen(m1), 64);
	for (size_t i = 0; i < 64; i++)
		ck_assert(isxdigit((unsigned char)m1[i]));
	buf = tu_read_file(path(&f, "master.key"), &len);
	ck_assert_uint_eq(len, 65);
	ck_assert(strncmp(buf, m1, 64) == 0 && buf[64] == '\n');
	free(buf);

	/* Loaded again: the same key; create != 0 does not replace it. */
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 1, m2), 0);
	ck_assert_str_eq(m1, m2);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 0, m2), 0);
	ck_assert_str_eq(m1, m2);

	/* Another file has another key. */
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "other.key"), 1, m2), 0);
	ck_assert_str_ne(m1, m2);

	/* Group/other bits: refused with path and mode, never fixed. */
	ck_assert_int_eq(chmod(path(&f, "master.key"), 0644), 0);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 1, m2),
	    -1);
	assert_has(ca_error(f.ca), path(&f, "master.key"));
	assert_has(ca_error(f.ca), "0644");
	ck_assert_int_eq(stat(path(&f, "master.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(chmod(path(&f, "master.key"), 0640), 0);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 0, m2),
	    -1);
	assert_has(ca_error(f.ca), "0640");
	ck_assert_int_eq(chmod(path(&f, "master.key"), 0400), 0);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "master.key"), 0, m2), 0);
	ck_assert_str_eq(m1, m2);

	/* Wrong content. */
	tu_write_file_mode(path(&f, "short.key"), "abcdef\n", 7, 0600);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "short.key"), 1, m2), -1);
	assert_has(ca_error(f.ca), "short.key");
	buf = malloc(66);
	memset(buf, 'g', 64);
	buf[64] = '\n';
	tu_write_file_mode(path(&f, "nothex.key"), buf, 65, 0600);
	free(buf);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "nothex.key"), 0, m2),
	    -1);

	/* A directory is not a key file. */
	ck_assert_int_eq(mkdir(path(&f, "dir.key"), 0700), 0);
	ck_assert_int_eq(ca_master_load(f.ca, path(&f, "dir.key"), 1, m2), -1);

	/* Functions taking the master key insist on its shape. */
	{
		struct ca_issued is;

		ck_assert_int_eq(ca_root_create(f.ca, "P01", CA_KEY_EC_P256,
		    "master.key", &is), -1);
		assert_has(ca_error(f.ca), "64 hex");
	}
	ca_free(f.ca);
	tu_tmpdir_free(f.dir);
}
END_TEST

/* Root and leaf of each key algorithm, checked by openssl and certtool. */
START_TEST(test_chain)
{
	char *out, *rski, *raki, *lski, *laki, *want, *text;
	struct ca_issued leaf;
	struct fx f;
	long start, days;
	time_t now = time(NULL);
	enum ca_keyalg alg = algs[_i];
	int rsa = alg != CA_KEY_EC_P256;
	const char *bits = alg == CA_KEY_RSA2048 ? "RSA 2048" :
	    alg == CA_KEY_RSA3072 ? "RSA 3072" : "EC P-256";

	fx_open(&f, alg, 1);
	ck_assert_msg(ca_leaf_issue(f.ca, f.signer, FQDN, alg, f.master,
	    &leaf) == 0, "%s", ca_error(f.ca));
	write_pem(&f, "root.pem", &f.root.cert);
	write_pem(&f, "leaf.pem", &leaf.cert);
	write_blob(&f, "leaf.key", &leaf.key);
	write_blob(&f, "root.key", &f.root.key);

	/* Independent verifiers. */
	assert_chain_ok(&f, "root.pem", "leaf.pem", FQDN);
	out = sh_ok(&f, "openssl verify -x509_strict -check_ss_sig "
	    "-no-CApath -no-CAstore -CAfile root.pem root.pem");
	free(out);

	/* Root profile. */
	out = sh_ok(&f, "openssl x509 -in root.pem -noout -text");
	assert_has(out, "Version: 3 (0x2)");
	assert_has(out, "Subject: OU = P01, CN = SMS Issuing\n");
	assert_has(out, "Issuer: OU = P01, CN = SMS Issuing\n");
	assert_has(out, rsa ? "Signature Algorithm: sha256WithRSAEncryption" :
	    "Signature Algorithm: ecdsa-with-SHA256");
	assert_has(out, alg == CA_KEY_RSA2048 ? "Public-Key: (2048 bit)" :
	    alg == CA_KEY_RSA3072 ? "Public-Key: (3072 bit)" :
	    "NIST CURVE: P-256");
	assert_has(out, "X509v3 Basic Constraints: critical\n"
	    "                CA:TRUE\n");
	assert_has(out, "X509v3 Key Usage: critical\n"
	    "                Certificate Sign, CRL Sign\n");
	assert_lacks(out, "Extended Key Usage");
	free(out);
	out = sh_ok(&f, "openssl x509 -in root.pem -noout "
	    "-ext subjectKeyIdentifier,authorityKeyIdentifier");
	rski = ext_hex(out, "Subject Key Identifier");
	raki = ext_hex(out, "Authority Key Identifier");
	ck_assert_uint_eq(strlen(rski), 40);
	ck_assert_str_eq(rski, raki);
	free(out);
	days = days_between(&f, "root.pem", &start);
	ck_assert_msg(days >= 3652 * 86400L && days <= 3653 * 86400L,
	    "root lifetime %ld s", days);
	ck_assert_msg(days <= 10958 * 86400L, "root lifetime %ld s", days);
	ck_assert_msg(start <= now && start >= now - 310, "root notBefore");
	ck_assert_int_eq(f.root.info.not_before, start);
	ck_assert_int_eq(f.root.info.not_after, start + days);

	/* Leaf profile. */
	out = sh_ok(&f, "openssl x509 -in leaf.pem -noout -text");
	assert_has(out, "Version: 3 (0x2)");
	assert_has(out, "Subject: CN = " FQDN "\n");
	assert_has(out, "Issuer: OU = P01, CN = SMS Issuing\n");
	assert_has(out, rsa ? "Signature Algorithm: sha256WithRSAEncryption" :
	    "Signature Algorithm: ecdsa-with-SHA256");
	free(out);
	out = sh_ok(&f, "openssl x509 -in leaf.pem -noout -ext "
	    "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,"
	    "subjectKeyIdentifier,authorityKeyIdentifier");
	assert_has(out, "X509v3 Basic Constraints: \n    CA:FALSE\n");
	assert_has(out, rsa ? "X509v3 Key Usage: critical\n"
	    "    Digital Signature, Key Encipherment\n" :
	    "X509v3 Key Usage: critical\n    Digital Signature\n");
	assert_has(out, "X509v3 Extended Key Usage: \n"
	    "    TLS Web Server Authentication\n");
	assert_has(out, "X509v3 Subject Alternative Name: \n    DNS:" FQDN "\n");
	lski = ext_hex(out, "Subject Key Identifier");
	laki = ext_hex(out, "Authority Key Identifier");
	ck_assert_str_eq(laki, rski);
	ck_assert_str_ne(lski, rski);
	free(out);
	days = days_between(&f, "leaf.pem", &start);
	ck_assert_int_eq(days, 365 * 86400L);
	ck_assert_msg(start <= now && start >= now - 310, "leaf notBefore");
	ck_assert_int_eq(leaf.info.not_before, start);
	ck_assert_int_eq(leaf.info.not_after, start + days);

	/* Serials: 128-bit-ish, positive, minimal, different. */
	out = sh_ok(&f, "openssl x509 -in leaf.pem -noout -serial");
	ck_assert_msg(strlen(out) >= strlen("serial=") + 26 &&
	    strlen(out) <= strlen("serial=") + 32 + 1, "%s", out);
	xasprintf(&want, "serial=%s\n", leaf.info.serial);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	assert_serial_der(&leaf.cert);
	assert_serial_der(&f.root.cert);
	ck_assert_str_ne(leaf.info.serial, f.root.info.serial);

	/* The description matches what openssl computes. */
	ck_assert_str_eq(leaf.info.subject, "CN=" FQDN);
	ck_assert_str_eq(leaf.info.issuer, "CN=SMS Issuing,OU=P01");
	ck_assert_str_eq(leaf.info.issued_to, FQDN);
	ck_assert_str_eq(leaf.info.issued_by, "SMS Issuing");
	ck_assert_str_eq(leaf.info.san, FQDN);
	ck_assert_str_eq(leaf.info.key_desc, bits);
	ck_assert_int_eq(leaf.info.is_ca, 0);
	ck_assert_int_eq(leaf.info.server_auth, 1);
	ck_assert_str_eq(f.root.info.subject, "CN=SMS Issuing,OU=P01");
	ck_assert_str_eq(f.root.info.issued_to, "SMS Issuing");
	ck_assert_str_eq(f.root.info.key_desc, bits);
	ck_assert_str_eq(f.root.info.san, "");
	ck_assert_int_eq(f.root.info.is_ca, 1);
	ck_assert_int_eq(f.root.info.server_auth, 0);
	out = sh_ok(&f, "openssl x509 -in leaf.pem -noout -fingerprint -sha1 "
	    "| cut -d= -f2 | tr -d ':\\n'; echo; "
	    "openssl x509 -in leaf.pem -noout -fingerprint -sha256 "
	    "| cut -d= -f2 | tr -d ':\\n'");
	xasprintf(&want, "%s\n%s", leaf.info.thumbprint,
	    leaf.info.sha256);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(strlen(leaf.info.thumbprint), 40);
	free(want);
	free(out);

	/* Keys: encrypted PKCS#8 (PBES2, AES-256-CBC) that openssl opens. */
	out = sh_ok(&f, "openssl asn1parse -inform DER -in leaf.key");
	assert_has(out, ":PBES2");
	assert_has(out, ":PBKDF2");
	assert_has(out, ":hmacWithSHA256");
	assert_has(out, ":aes-256-cbc");
	free(out);
	ck_assert_int_ne(sh(&f, NULL, "openssl pkcs8 -inform DER -in leaf.key "
	    "-nocrypt -out /dev/null"), 0);
	out = sh_ok(&f, "openssl pkcs8 -inform DER -in leaf.key "
	    "-passin file:master.key -out leaf.key.pem && "
	    "openssl pkey -in leaf.key.pem -pubout > key.pub && "
	    "openssl x509 -in leaf.pem -noout -pubkey > cert.pub && "
	    "cmp key.pub cert.pub && "
	    "openssl pkcs8 -inform DER -in root.key -passin file:master.key "
	    "| openssl pkey -pubout > rkey.pub && "
	    "openssl x509 -in root.pem -noout -pubkey > rcert.pub && "
	    "cmp rkey.pub rcert.pub && ! cmp -s key.pub rkey.pub && echo same");
	assert_has(out, "same");
	free(out);
	ck_assert_int_ne(sh(&f, NULL, "printf '%%064d\\n' 0 > bad.master && "
	    "openssl pkcs8 -inform DER -in leaf.key -passin file:bad.master "
	    "-out /dev/null"), 0);
	/* Our own key DER is exactly what OpenSSL's encoder writes. */
	out = sh_ok(&f, "openssl pkcs8 -inform DER -in leaf.key "
	    "-passin file:master.key -outform DER -out plain.der && "
	    "openssl pkey -inform DER -in plain.der -outform DER -out re.der && "
	    "cmp plain.der re.der && "
	    "openssl x509 -in leaf.pem -outform DER -out leaf.der && "
	    "openssl x509 -in leaf.pem -pubkey -noout | "
	    "openssl pkey -pubin -outform DER -out spki.der && "
	    "echo ok");
	free(out);
	{
		size_t n, k;
		char *cert = tu_read_file(path(&f, "leaf.der"), &n);
		char *spki = tu_read_file(path(&f, "spki.der"), &k);

		ck_assert_ptr_nonnull(memmem(cert, n, spki, k));
		free(cert);
		free(spki);
	}

	/* Our own checks agree. */
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    leaf.cert.data, leaf.cert.len, FQDN), 1);
	ck_assert_int_eq(ca_key_matches(f.ca, leaf.cert.data, leaf.cert.len,
	    leaf.key.data, leaf.key.len, f.master), 1);
	ck_assert_int_eq(ca_key_matches(f.ca, leaf.cert.data, leaf.cert.len,
	    f.root.key.data, f.root.key.len, f.master), 0);
	ck_assert_int_eq(ca_cert_text(f.ca, leaf.cert.data, leaf.cert.len,
	    &text), 0);
	assert_has(text, "Subject: CN = " FQDN "\n");
	assert_has(text, "Issuer: OU = P01, CN = SMS Issuing\n");
	assert_has(text, "DNS:" FQDN);
	assert_has(text, "TLS Web Server Authentication");
	assert_has(text, leaf.info.thumbprint);
	free(text);

	free(rski);
	free(raki);
	free(lski);
	free(laki);
	ca_issued_clear(&leaf);
	fx_close(&f);
}
END_TEST

struct progress {
	pthread_t	 caller;
	size_t		 calls, last, n;
	int		 wrong_thread, backwards;
};

static int
progress_cb(size_t done, size_t n, void *arg)
{
	struct progress *p = arg;

	if (!pthread_equal(pthread_self(), p->caller))
		p->wrong_thread = 1;
	if (done < p->last || done > n)
		p->backwards = 1;
	p->last = done;
	p->n = n;
	p->calls++;
	return 0;
}

START_TEST(test_many)
{
	enum { N = 20 };
	struct ca_issued out[N];
	const char *names[N];
	char *why[N];
	char buf[N][64], *o;
	struct progress pr;
	struct fx f;
	size_t i, j;

	fx_open(&f, CA_KEY_EC_P256, 1);
	write_pem(&f, "root.pem", &f.root.cert);
	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "mp%02zu.contoso.com", i);
		names[i] = buf[i];
	}
	memset(&pr, 0, sizeof pr);
	pr.caller = pthread_self();
	ck_assert_msg(ca_leaf_issue_many(f.ca, f.signer, N, names,
	    CA_KEY_EC_P256, f.master, 2, progress_cb, &pr, out, NULL) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_int_ge(pr.calls, 1);
	ck_assert_uint_eq(pr.last, N);
	ck_assert_uint_eq(pr.n, N);
	ck_assert_int_eq(pr.wrong_thread, 0);
	ck_assert_int_eq(pr.backwards, 0);

	for (i = 0; i < N; i++) {
		char name[32];

		ck_assert_str_eq(out[i].info.issued_to, names[i]);
		ck_assert_str_eq(out[i].info.san, names[i]);
		assert_serial_der(&out[i].cert);
		ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data,
		    f.root.cert.len, out[i].cert.data, out[i].cert.len,
		    names[i]), 1);
		ck_assert_int_eq(ca_key_matches(f.ca, out[i].cert.data,
		    out[i].cert.len, out[i].key.data, out[i].key.len,
		    f.master), 1);
		ck_assert_int_eq(ca_key_matches(f.ca, out[i].cert.data,
		    out[i].cert.len, out[(i + 1) % N].key.data,
		    out[(i + 1) % N].key.len, f.master), 0);
		snprintf(name, sizeof name, "leaf%02zu.pem", i);
		write_pem(&f, name, &out[i].cert);
		for (j = 0; j < i; j++) {
			ck_assert_str_ne(out[i].info.serial, out[j].info.serial);
			ck_assert_str_ne(out[i].info.thumbprint,
			    out[j].info.thumbprint);
		}
	}
	/* Every one through openssl (with its host name) and certtool. */
	o = sh_ok(&f, "for i in $(seq -w 0 19); do "
	    "openssl verify -x509_strict -purpose sslserver "
	    "-verify_hostname mp$i.contoso.com -no-CApath -no-CAstore "
	    "-CAfile root.pem leaf$i.pem || exit 1; "
	    "certtool --verify --load-ca-certificate root.pem "
	    "--infile leaf$i.pem --verify-hostname mp$i.contoso.com "
	    "--verify-purpose 1.3.6.1.5.5.7.3.1 > ct.out || exit 1; "
	    "grep -q 'Chain verification output: Verified' ct.out || exit 1; "
	    "done; echo all-verified");
	assert_has(o, "all-verified");
	ck_assert_int_eq(tu_count(o, ": OK\n"), N);
	free(o);
	/* Twenty different public keys. */
	o = sh_ok(&f, "for i in $(seq -w 0 19); do "
	    "openssl x509 -in leaf$i.pem -noout -pubkey | tr -d '\\n'; echo; "
	    "done | sort -u | grep -c 'BEGIN PUBLIC KEY'");
	ck_assert_str_eq(o, "20\n");
	free(o);
	for (i = 0; i < N; i++)
		ca_issued_clear(&out[i]);

	/* One bad name fails alone: the others are issued, it says why. */
	names[7] = "bad_name.contoso.com";
	ck_assert_int_eq(ca_leaf_issue_many(f.ca, f.signer, N, names,
	    CA_KEY_EC_P256, f.master, 0, NULL, NULL, out, why), -1);
	assert_has(ca_error(f.ca), "bad_name.contoso.com");
	for (i = 0; i < N; i++) {
		if (i == 7) {
			ck_assert_ptr_null(out[i].cert.data);
			ck_assert_ptr_null(out[i].key.data);
			ck_assert_ptr_null(out[i].info.subject);
			ck_assert_ptr_nonnull(why[i]);
			assert_has(why[i], "not a valid host name");
			free(why[i]);
			continue;
		}
		ck_assert_ptr_null(why[i]);
		ck_assert_str_eq(out[i].info.issued_to, names[i]);
		ca_issued_clear(&out[i]);
	}
	/* n = 0 and more threads than names are fine. */
	ck_assert_int_eq(ca_leaf_issue_many(f.ca, f.signer, 0, names,
	    CA_KEY_EC_P256, f.master, 4, NULL, NULL, out, NULL), 0);
	ck_assert_int_eq(ca_leaf_issue_many(f.ca, f.signer, 1, names,
	    CA_KEY_RSA2048, f.master, 8, NULL, NULL, out, NULL), 0);
	ck_assert_str_eq(out[0].info.key_desc, "RSA 2048");
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    out[0].cert.data, out[0].cert.len, names[0]), 1);
	ca_issued_clear(&out[0]);
	fx_close(&f);
}
END_TEST

START_TEST(test_leaf_names)
{
	static const char *bad[] = {
		"", "bad_name.contoso.com", "-mp.contoso.com", "mp-.contoso.com",
		"mp..contoso.com", ".contoso.com", "contoso.com.", "10.0.0.1",
		"mp1.contoso.com,DNS:evil.com", "mp 1.contoso.com",
		/* a label of 64 characters */
		"a234567890123456789012345678901234567890123456789012345678901234.com",
	};
	struct ca_issued leaf;
	struct fx f;

	fx_open(&f, CA_KEY_EC_P256, 1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(ca_leaf_issue(f.ca, f.signer, bad[i],
		    CA_KEY_EC_P256, f.master, &leaf) == -1, "%s", bad[i]);
		ck_assert_ptr_null(leaf.cert.data);
		ck_assert_msg(strlen(ca_error(f.ca)) > 10, "%s", bad[i]);
	}
	ck_assert_int_eq(ca_leaf_issue(f.ca, f.signer, NULL, CA_KEY_EC_P256,
	    f.master, &leaf), -1);
	/* Upper case is lowered; a single label is a host name too. */
	ck_assert_int_eq(ca_leaf_issue(f.ca, f.signer, "MP1.Contoso.COM",
	    CA_KEY_EC_P256, f.master, &leaf), 0);
	ck_assert_str_eq(leaf.info.subject, "CN=mp1.contoso.com");
	ck_assert_str_eq(leaf.info.san, "mp1.contoso.com");
	ca_issued_clear(&leaf);
	ck_assert_int_eq(ca_leaf_issue(f.ca, f.signer, "sccm01",
	    CA_KEY_EC_P256, f.master, &leaf), 0);
	ca_issued_clear(&leaf);
	fx_close(&f);
}
END_TEST

START_TEST(test_verify)
{
	struct ca_issued leaf, other;
	struct fx f;
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };

	fx_open(&f, CA_KEY_EC_P256, 1);
	ck_assert_int_eq(ca_leaf_issue(f.ca, f.signer, FQDN, CA_KEY_EC_P256,
	    f.master, &leaf), 0);
	/* Another root of the same site: same name, other key. */
	ck_assert_int_eq(ca_root_create(f.ca, "P01", CA_KEY_EC_P256, f.master,
	    &other), 0);
	ck_assert_str_eq(other.info.subject, f.root.info.subject);

	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    leaf.cert.data, leaf.cert.len, FQDN), 1);
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    leaf.cert.data, leaf.cert.len, "mp2.contoso.com"), 0);
	assert_has(ca_error(f.ca), "hostname mismatch");
	ck_assert_int_eq(ca_verify(f.ca, other.cert.data, other.cert.len,
	    leaf.cert.data, leaf.cert.len, FQDN), 0);
	assert_has(ca_error(f.ca), "issuer");
	/* The root as a server certificate: not for this purpose. */
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    f.root.cert.data, f.root.cert.len, FQDN), 0);
	/* Garbage is an error, not a verdict. */
	ck_assert_int_eq(ca_verify(f.ca, junk, sizeof junk, leaf.cert.data,
	    leaf.cert.len, FQDN), -1);
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    leaf.cert.data, leaf.cert.len - 1, FQDN), -1);

	/* openssl agrees about the wrong root. */
	write_pem(&f, "other.pem", &other.cert);
	write_pem(&f, "leaf.pem", &leaf.cert);
	ck_assert_int_ne(sh(&f, NULL, "openssl verify -no-CApath -no-CAstore "
	    "-CAfile other.pem leaf.pem"), 0);

	/* A signer refuses a leaf, a wrong key, a wrong master key. */
	ck_assert_ptr_null(ca_signer_load(f.ca, leaf.cert.data, leaf.cert.len,
	    leaf.key.data, leaf.key.len, f.master));
	assert_has(ca_error(f.ca), "not a CA");
	ck_assert_ptr_null(ca_signer_load(f.ca, f.root.cert.data,
	    f.root.cert.len, other.key.data, other.key.len, f.master));
	assert_has(ca_error(f.ca), "does not belong");
	{
		char bad[CA_MASTER_LEN + 1];

		memset(bad, '0', CA_MASTER_LEN);
		bad[CA_MASTER_LEN] = '\0';
		ck_assert_ptr_null(ca_signer_load(f.ca, f.root.cert.data,
		    f.root.cert.len, f.root.key.data, f.root.key.len, bad));
		assert_has(ca_error(f.ca), "wrong master key");
		ck_assert_int_eq(ca_key_matches(f.ca, leaf.cert.data,
		    leaf.cert.len, leaf.key.data, leaf.key.len, bad), -1);
	}
	ca_issued_clear(&leaf);
	ca_issued_clear(&other);
	fx_close(&f);
}
END_TEST

START_TEST(test_pem_der)
{
	struct ca_cert_info ci;
	struct ca_blob der;
	struct fx f;
	char *pem, *two;
	size_t len;
	unsigned char *longer;

	fx_open(&f, CA_KEY_EC_P256, 1);
	ck_assert_int_eq(ca_der_to_pem(f.ca, f.root.cert.data,
	    f.root.cert.len, &pem), 0);
	ck_assert(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	len = strlen(pem);
	ck_assert_int_eq(ca_pem_to_der(f.ca, pem, len, &der), 0);
	ck_assert_uint_eq(der.len, f.root.cert.len);
	ck_assert(memcmp(der.data, f.root.cert.data, der.len) == 0);
	ca_blob_free(&der);
	ck_assert_ptr_null(der.data);
	ck_assert_uint_eq(der.len, 0);

	/* The first certificate, after other text and blocks. */
	xasprintf(&two, "junk\n-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n%s%s", pem, pem);
	ck_assert_msg(ca_pem_to_der(f.ca, two, strlen(two), &der) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_uint_eq(der.len, f.root.cert.len);
	ca_blob_free(&der);
	free(two);

	/* Garbage and truncation: -1 with a message saying which. */
	ck_assert_int_eq(ca_pem_to_der(f.ca, "hello\n", 6, &der), -1);
	assert_has(ca_error(f.ca), "no PEM certificate");
	ck_assert_int_eq(ca_pem_to_der(f.ca, pem, len / 2, &der), -1);
	assert_has(ca_error(f.ca), "truncated");
	ck_assert_ptr_null(der.data);
	ck_assert_int_eq(ca_pem_to_der(f.ca, pem, 0, &der), -1);

	/* DER: truncated or with trailing bytes is refused. */
	ck_assert_int_eq(ca_cert_info(f.ca, f.root.cert.data,
	    f.root.cert.len - 3, &ci), -1);
	ck_assert_ptr_null(ci.subject);
	longer = malloc(f.root.cert.len + 2);
	memcpy(longer, f.root.cert.data, f.root.cert.len);
	longer[f.root.cert.len] = 0;
	longer[f.root.cert.len + 1] = 0;
	ck_assert_int_eq(ca_cert_info(f.ca, longer, f.root.cert.len + 2, &ci),
	    -1);
	assert_has(ca_error(f.ca), "trailing");
	free(longer);
	ck_assert_int_eq(ca_cert_info(f.ca, f.root.cert.data, f.root.cert.len,
	    &ci), 0);
	ck_assert_str_eq(ci.subject, "CN=SMS Issuing,OU=P01");
	ck_assert_str_eq(ci.thumbprint, f.root.info.thumbprint);
	ca_cert_info_clear(&ci);
	ck_assert_ptr_null(ci.subject);
	free(pem);
	fx_close(&f);
}
END_TEST

START_TEST(test_key_export)
{
	struct ca_issued leaf;
	struct fx f;
	char *pem, *out, bad[CA_MASTER_LEN + 1];

	fx_open(&f, CA_KEY_RSA2048, 1);
	ck_assert_int_eq(ca_leaf_issue(f.ca, f.signer, FQDN, CA_KEY_EC_P256,
	    f.master, &leaf), 0);
	ck_assert_str_eq(leaf.info.key_desc, "EC P-256");
	ck_assert_int_eq(ca_key_to_pem(f.ca, leaf.key.data, leaf.key.len,
	    f.master, &pem), 0);
	ck_assert(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	ck_assert_int_eq(tu_write_file(path(&f, "key.pem"), pem, strlen(pem)),
	    0);
	ca_cleanse(pem, strlen(pem));
	free(pem);
	write_pem(&f, "leaf.pem", &leaf.cert);
	out = sh_ok(&f, "openssl pkey -in key.pem -pubout > a && "
	    "openssl x509 -in leaf.pem -noout -pubkey > b && cmp a b && echo ok");
	free(out);

	memset(bad, 'a', CA_MASTER_LEN);
	bad[CA_MASTER_LEN] = '\0';
	ck_assert_int_eq(ca_key_to_pem(f.ca, leaf.key.data, leaf.key.len, bad,
	    &pem), -1);
	ck_assert_ptr_null(pem);
	assert_has(ca_error(f.ca), "wrong master key");
	ck_assert_int_eq(ca_key_to_pem(f.ca, leaf.key.data, leaf.key.len / 2,
	    f.master, &pem), -1);
	ca_issued_clear(&leaf);
	fx_close(&f);
}
END_TEST

/* A small PKI made with the openssl CLI only. */
static void
make_pki(const struct fx *f)
{
	static const char script[] =
	    "set -e\n"
	    "cat > ext.cnf <<'EOF'\n"
	    "[ca]\ndefault_ca = cadef\n"
	    "[cadef]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\n"
	    "serial = serial\ndefault_md = sha256\npolicy = pol\n"
	    "unique_subject = no\ncopy_extensions = none\n"
	    "[pol]\ncommonName = supplied\n"
	    "[srv]\nbasicConstraints = CA:FALSE\n"
	    "keyUsage = critical,digitalSignature,keyEncipherment\n"
	    "extendedKeyUsage = serverAuth,clientAuth\n"
	    "subjectAltName = DNS:pki.contoso.com,DNS:pki\n"
	    "[cli]\nbasicConstraints = CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = clientAuth\n"
	    "subjectAltName = DNS:pki.contoso.com\n"
	    "[noeku]\nbasicConstraints = CA:FALSE\n"
	    "subjectAltName = DNS:pki.contoso.com\n"
	    "[other]\nbasicConstraints = CA:FALSE\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = DNS:other.contoso.com\n"
	    "[ku]\nbasicConstraints = CA:FALSE\n"
	    "keyUsage = critical,cRLSign\n"
	    "subjectAltName = DNS:pki.contoso.com\n"
	    "[int]\nbasicConstraints = critical,CA:TRUE,pathlen:0\n"
	    "keyUsage = critical,keyCertSign,cRLSign\n"
	    "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
	    "[calf]\nbasicConstraints = critical,CA:TRUE\n"
	    "keyUsage = critical,digitalSignature,keyCertSign\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = DNS:pki.contoso.com\n"
	    "EOF\n"
	    "mkdir newcerts; : > index.txt; echo 1000 > serial\n"
	    "ec() { openssl genpkey -algorithm EC "
	    "-pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
	    "ec ca.key\n"
	    "openssl req -x509 -new -key ca.key -subj '/CN=Test PKI Root' "
	    "-days 30 -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem\n"
	    "sign() { # name key section [days]\n"
	    "  openssl req -new -key $2 -subj /CN=pki.contoso.com -out $1.csr\n"
	    "  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key "
	    "-set_serial 0x$(openssl rand -hex 8) -days 30 -extfile ext.cnf "
	    "-extensions $3 -out $1.pem 2>/dev/null\n"
	    "}\n"
	    "ec good.key; sign good good.key srv\n"
	    "ec wrong.key\n"
	    "ec cli.key; sign cli cli.key cli\n"
	    "ec noeku.key; sign noeku noeku.key noeku\n"
	    "ec other.key; sign other other.key other\n"
	    "ec ku.key; sign ku ku.key ku\n"
	    "openssl genrsa -traditional -out rsa.key 2048 2>/dev/null\n"
	    "sign rsa rsa.key srv\n"
	    "ca() { # name start end\n"
	    "  ec $1.key\n"
	    "  openssl req -new -key $1.key -subj /CN=pki.contoso.com -out $1.csr\n"
	    "  openssl ca -batch -config ext.cnf -cert ca.pem -keyfile ca.key "
	    "-in $1.csr -out $1.pem -notext -startdate $2 -enddate $3 "
	    "-extfile ext.cnf -extensions srv 2>/dev/null\n"
	    "}\n"
	    "ca expired 20200101000000Z 20210101000000Z\n"
	    "ca future 20450101000000Z 20460101000000Z\n"
	    /* Two tiers: root2 -> int -> leaves, each a real certificate. */
	    "ec root2.key\n"
	    "openssl req -x509 -new -key root2.key -subj '/CN=Test Root 2' "
	    "-days 30 -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign -out root2.pem\n"
	    "ec int.key\n"
	    "openssl req -new -key int.key -subj '/CN=Test Issuing CA' "
	    "-out int.csr\n"
	    "openssl x509 -req -in int.csr -CA root2.pem -CAkey root2.key "
	    "-set_serial 0x$(openssl rand -hex 8) -days 30 -extfile ext.cnf "
	    "-extensions int -out int.pem 2>/dev/null\n"
	    "isign() { # name key section [x509 options]\n"
	    "  n=$1 k=$2 x=$3; shift 3\n"
	    "  openssl req -new -key $k -utf8 -subj \"${SUBJ:-/CN=pki.contoso.com}\" "
	    "-out $n.csr\n"
	    "  openssl x509 -req -in $n.csr -CA int.pem -CAkey int.key "
	    "-set_serial 0x$(openssl rand -hex 8) -days 30 -extfile ext.cnf "
	    "-extensions $x \"$@\" -out $n.pem 2>/dev/null\n"
	    "  cat $n.pem int.pem > $n.full\n"
	    "}\n"
	    "ec leaf2.key; isign leaf2 leaf2.key srv\n"
	    "isign sha1 leaf2.key srv -sha1\n"
	    "openssl genrsa -out rsa1024.key 1024 2>/dev/null\n"
	    "isign rsa1024 rsa1024.key srv\n"
	    "isign calf leaf2.key calf\n"
	    "SUBJ=$(printf '/CN=pki.contoso.com\\033[31m') isign ctrl leaf2.key srv\n"
	    "SUBJ=$(printf '/CN=pki.contoso.com/O=Cont\\342\\200\\256oso') "
	    "isign bidi leaf2.key srv\n"
	    "openssl req -new -key leaf2.key -subj /CN=pki.contoso.com "
	    "-out short.csr\n"
	    "openssl ca -batch -config ext.cnf -cert int.pem -keyfile int.key "
	    "-in short.csr -out short.pem -notext "
	    "-startdate $(date -u +%y%m%d%H%M%SZ -d '-1 min') "
	    "-enddate $(date -u +%y%m%d%H%M%SZ -d '+9 min') "
	    "-extfile ext.cnf -extensions srv 2>/dev/null\n"
	    "cat short.pem int.pem > short.full\n"
	    "openssl req -x509 -new -key leaf2.key -subj /CN=pki.contoso.com "
	    "-days 30 -addext subjectAltName=DNS:pki.contoso.com "
	    "-addext basicConstraints=CA:FALSE -out selfsigned.pem\n"
	    "cat leaf2.pem int.pem root2.pem > withroot.full\n"
	    "cat leaf2.pem int.pem leaf2.key > all.full\n"
	    "openssl pkey -in good.key -aes256 -passout pass:secret "
	    "-out enc.key\n"
	    "cat good.pem good.key > combined.pem\n"
	    "head -c 300 good.pem > trunc.pem\n"
	    "echo 'this is not a certificate' > garbage.pem\n"
	    "echo made\n";
	char *out;

	ck_assert_int_eq(tu_write_file(path(f, "make.sh"), script,
	    sizeof script - 1), 0);
	out = sh_ok(f, "sh make.sh");
	assert_has(out, "made");
	free(out);
}

/* Import cert (+ key, NULL: from the cert file) for pki.contoso.com,
 * with the trusted roots in root_file (NULL: none). */
static int
import_with(struct fx *f, const char *cert, const char *key,
    const char *root_file, struct ca_pki *p)
{
	struct ca_blob rder = { 0 };
	struct ca_der roots[1];
	char *c, *k = NULL, *r;
	size_t clen, klen = 0, rlen;
	int rc;

	c = tu_read_file(path(f, cert), &clen);
	ck_assert_msg(c != NULL, "%s", cert);
	if (key != NULL) {
		k = tu_read_file(path(f, key), &klen);
		ck_assert_msg(k != NULL, "%s", key);
	}
	if (root_file != NULL) {
		r = tu_read_file(path(f, root_file), &rlen);
		ck_assert_msg(r != NULL, "%s", root_file);
		ck_assert_int_eq(ca_pem_to_der(f->ca, r, rlen, &rder), 0);
		free(r);
		roots[0].data = rder.data;
		roots[0].len = rder.len;
	}
	rc = ca_pki_import(f->ca, c, clen, k, klen, NULL, 0, "pki.contoso.com",
	    roots, root_file != NULL ? 1 : 0, f->master, p);
	if (rc == -1) {
		ck_assert_ptr_null(p->leaf.cert.data);
		ck_assert_ptr_null(p->leaf.key.data);
		ck_assert_uint_eq(p->nchain, 0);
	}
	ca_blob_free(&rder);
	free(c);
	free(k);
	return rc;
}

static int
import(struct fx *f, const char *cert, const char *key, struct ca_pki *p)
{
	return import_with(f, cert, key, NULL, p);
}

static void
refused(struct fx *f, const char *cert, const char *key, const char *why)
{
	struct ca_pki is;

	ck_assert_msg(import(f, cert, key, &is) == -1, "%s accepted", cert);
	ck_assert_msg(strstr(ca_error(f->ca), why) != NULL,
	    "%s/%s: expected \"%s\" in \"%s\"", cert, key ? key : "-", why,
	    ca_error(f->ca));
}

START_TEST(test_pki_import)
{
	struct ca_pki is;
	struct fx f;
	char *out;

	fx_open(&f, CA_KEY_EC_P256, 0);
	make_pki(&f);

	refused(&f, "good.pem", "wrong.key", "does not match");
	refused(&f, "ca.pem", "ca.key", "CA certificate");
	refused(&f, "cli.pem", "cli.key", "Server Authentication");
	refused(&f, "ku.pem", "ku.key", "key usage");
	refused(&f, "other.pem", "other.key", "not for pki.contoso.com");
	refused(&f, "other.pem", "other.key", "other.contoso.com");
	refused(&f, "garbage.pem", "good.key", "no PEM certificate");
	refused(&f, "trunc.pem", "good.key", "truncated");
	refused(&f, "expired.pem", "expired.key", "expired on 2021-01-01");
	refused(&f, "future.pem", "future.key", "not valid before 2045-01-01");
	refused(&f, "good.pem", NULL, "no private key");
	refused(&f, "good.pem", "garbage.pem", "no private key");
	refused(&f, "good.pem", "enc.key", "encrypted");

	/* Good: cert DER, key re-encrypted with the master key, info. */
	ck_assert_msg(import(&f, "good.pem", "good.key", &is) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_str_eq(is.leaf.info.issued_to, "pki.contoso.com");
	ck_assert_str_eq(is.leaf.info.issued_by, "Test PKI Root");
	ck_assert_str_eq(is.leaf.info.san, "pki.contoso.com,pki");
	ck_assert_str_eq(is.leaf.info.key_desc, "EC P-256");
	ck_assert_int_eq(is.leaf.info.is_ca, 0);
	ck_assert_int_eq(is.leaf.info.server_auth, 1);
	ck_assert_int_eq(ca_key_matches(f.ca, is.leaf.cert.data, is.leaf.cert.len,
	    is.leaf.key.data, is.leaf.key.len, f.master), 1);
	write_blob(&f, "imp.key", &is.leaf.key);
	write_blob(&f, "imp.der", &is.leaf.cert);
	out = sh_ok(&f, "openssl x509 -inform DER -in imp.der -out imp.pem && "
	    "cmp imp.pem good.pem && "
	    "openssl pkcs8 -inform DER -in imp.key -passin file:master.key "
	    "| openssl pkey -pubout > a && openssl pkey -in good.key -pubout > b"
	    " && cmp a b && echo ok");
	free(out);
	ca_pki_clear(&is);

	/* Key in the certificate file; no EKU at all; legacy RSA key file. */
	ck_assert_msg(import(&f, "combined.pem", NULL, &is) == 0, "%s",
	    ca_error(f.ca));
	ca_pki_clear(&is);
	ck_assert_msg(import(&f, "noeku.pem", "noeku.key", &is) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_int_eq(is.leaf.info.server_auth, 0);
	ca_pki_clear(&is);
	ck_assert_msg(import(&f, "rsa.pem", "rsa.key", &is) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_str_eq(is.leaf.info.key_desc, "RSA 2048");
	write_blob(&f, "rsa.enc", &is.leaf.key);
	out = sh_ok(&f, "openssl pkcs8 -inform DER -in rsa.enc "
	    "-passin file:master.key | openssl pkey -pubout > a && "
	    "openssl pkey -in rsa.key -pubout > b && cmp a b && echo ok");
	free(out);
	ca_pki_clear(&is);
	fx_close(&f);
}
END_TEST

/* Two tiers: the chain is kept, the rule set refuses each weakness. */
START_TEST(test_pki_chain)
{
	struct ca_cert_info ci;
	struct ca_blob rder;
	struct ca_pki is;
	struct fx f;
	char *out, *data;
	size_t len;

	fx_open(&f, CA_KEY_EC_P256, 0);
	make_pki(&f);

	/* Leaf + intermediate in one file, key apart; no roots: a warning. */
	ck_assert_msg(import(&f, "leaf2.full", "leaf2.key", &is) == 0, "%s",
	    ca_error(f.ca));
	ck_assert_uint_eq(is.nchain, 1);
	assert_has(is.warning, "not verified up to a trusted root");
	write_blob(&f, "chain0.der", &is.chain[0]);
	out = sh_ok(&f, "openssl x509 -inform DER -in chain0.der -out c0.pem"
	    " && cmp c0.pem int.pem && echo same");
	assert_has(out, "same");
	free(out);
	ca_pki_clear(&is);

	/* With the trusted root: verified, no warning; a root in the file
	 * is not served; the key may follow in the same file. */
	ck_assert_msg(import_with(&f, "withroot.full", "leaf2.key", "root2.pem",
	    &is) == 0, "%s", ca_error(f.ca));
	ck_assert_uint_eq(is.nchain, 1);
	ck_assert_str_eq(is.warning, "");
	ca_pki_clear(&is);
	ck_assert_msg(import_with(&f, "all.full", NULL, "root2.pem", &is) == 0,
	    "%s", ca_error(f.ca));
	ck_assert_uint_eq(is.nchain, 1);
	ca_pki_clear(&is);

	/* The chain must reach the trusted root. */
	ck_assert_int_eq(import_with(&f, "leaf2.pem", "leaf2.key", "root2.pem",
	    &is), -1);
	assert_has(ca_error(f.ca), "does not reach a trusted root CA");
	ck_assert_int_eq(import_with(&f, "leaf2.full", "leaf2.key", "ca.pem",
	    &is), -1);
	assert_has(ca_error(f.ca), "does not reach a trusted root CA");

	/* One real certificate per rule. */
	refused(&f, "sha1.full", "leaf2.key", "is signed with SHA-1: refused;"
	    " PKI certificates need SHA-256 or stronger");
	refused(&f, "rsa1024.full", "rsa1024.key", "weak key (RSA 1024)");
	refused(&f, "selfsigned.pem", "leaf2.key", "is self-signed: refused");
	refused(&f, "short.full", "leaf2.key", "is valid for 10 minutes only:"
	    " refused");
	refused(&f, "calf.full", "leaf2.key", "is a CA certificate");
	refused(&f, "ctrl.full", "leaf2.key", "control character U+001B");
	refused(&f, "bidi.full", "leaf2.key", "control character U+202E");
	/* An intermediate given where the leaf belongs. */
	refused(&f, "int.pem", "int.key", "is a CA certificate");

	/* The agent's check: the same rules on stored DER. */
	ck_assert_int_eq(import(&f, "leaf2.full", "leaf2.key", &is), 0);
	{
		struct ca_der ch = { is.chain[0].data, is.chain[0].len };

		ck_assert_int_eq(ca_pki_check(f.ca, is.leaf.cert.data,
		    is.leaf.cert.len, &ch, 1, is.leaf.key.data, is.leaf.key.len,
		    f.master, "pki.contoso.com", NULL, 0, NULL, 0), 1);
		ck_assert_int_eq(ca_pki_check(f.ca, is.leaf.cert.data,
		    is.leaf.cert.len, &ch, 1, is.leaf.key.data, is.leaf.key.len,
		    f.master, "other.contoso.com", NULL, 0, NULL, 0), 0);
		assert_has(ca_error(f.ca), "not for other.contoso.com");
	}
	ca_pki_clear(&is);

	/* Trusted roots: a self-signed CA only. */
	data = tu_read_file(path(&f, "root2.pem"), &len);
	ck_assert_msg(ca_trusted_root_load(f.ca, data, len, &rder, &ci) == 0,
	    "%s", ca_error(f.ca));
	ck_assert_str_eq(ci.subject, "CN=Test Root 2");
	ck_assert_int_eq(ci.is_ca, 1);
	ca_blob_free(&rder);
	ca_cert_info_clear(&ci);
	free(data);
	data = tu_read_file(path(&f, "int.pem"), &len);
	ck_assert_int_eq(ca_trusted_root_load(f.ca, data, len, &rder, &ci), -1);
	assert_has(ca_error(f.ca), "is not self-signed");
	free(data);
	data = tu_read_file(path(&f, "leaf2.pem"), &len);
	ck_assert_int_eq(ca_trusted_root_load(f.ca, data, len, &rder, &ci), -1);
	assert_has(ca_error(f.ca), "is not a CA certificate");
	free(data);
	data = tu_read_file(path(&f, "withroot.full"), &len);
	ck_assert_int_eq(ca_trusted_root_load(f.ca, data, len, &rder, &ci), -1);
	assert_has(ca_error(f.ca), "one root CA at a time");
	free(data);
	fx_close(&f);
}
END_TEST

/* A 100-character FQDN (labels <= 63): SAN only, critical; others accept. */
START_TEST(test_long_fqdn)
{
	char fqdn[128], *out, *cmd;
	struct ca_issued leaf;
	struct fx f;

	snprintf(fqdn, sizeof fqdn, "%.63s.%.24s.contoso.com",
	    "a23456789012345678901234567890123456789012345678901234567890123",
	    "b23456789012345678901234");
	ck_assert_uint_eq(strlen(fqdn), 100);
	fx_open(&f, CA_KEY_EC_P256, 1);
	ck_assert_msg(ca_leaf_issue(f.ca, f.signer, fqdn, CA_KEY_EC_P256,
	    f.master, &leaf) == 0, "%s", ca_error(f.ca));
	ck_assert_str_eq(leaf.info.subject, "");
	ck_assert_str_eq(leaf.info.san, fqdn);
	ck_assert_str_eq(leaf.info.issued_to, fqdn);
	ck_assert_int_eq(ca_verify(f.ca, f.root.cert.data, f.root.cert.len,
	    leaf.cert.data, leaf.cert.len, fqdn), 1);
	write_pem(&f, "root.pem", &f.root.cert);
	write_pem(&f, "long.pem", &leaf.cert);
	ck_assert_int_ne(asprintf(&cmd, "openssl verify -x509_strict -purpose sslserver "
	    "-verify_hostname %s -no-CApath -no-CAstore -CAfile root.pem "
	    "long.pem && certtool --verify --load-ca-certificate root.pem "
	    "--infile long.pem --verify-hostname %s "
	    "--verify-purpose 1.3.6.1.5.5.7.3.1 | grep -c 'Chain verification"
	    " output: Verified' && ! certtool --verify --load-ca-certificate "
	    "root.pem --infile long.pem --verify-hostname x%s >/dev/null 2>&1"
	    " && python3 -c 'import sys\n"
	    "from cryptography import x509\n"
	    "c = x509.load_pem_x509_certificate(open(\"long.pem\", \"rb\").read())\n"
	    "e = c.extensions.get_extension_for_class(x509.SubjectAlternativeName)\n"
	    "assert e.critical\n"
	    "assert e.value.get_values_for_type(x509.DNSName) == [sys.argv[1]]\n"
	    "assert len(c.subject) == 0\n"
	    "print(\"py-ok\")' %s", fqdn, fqdn, fqdn, fqdn), -1);
	out = sh_ok(&f, cmd);
	free(cmd);
	assert_has(out, "long.pem: OK");
	assert_has(out, "py-ok");
	free(out);
	ca_issued_clear(&leaf);
	fx_close(&f);
}
END_TEST

Suite *
ca_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("basics", fast),
		TU_TEST(test_keyalg),
		TU_TEST(test_master_key),
		TU_TEST(test_pem_der),
		TU_TEST(test_key_export),
		TU_CASE("issue", slow),
		TU_LOOP(test_chain, 3),
		TU_TEST(test_many),
		TU_TEST(test_leaf_names),
		TU_TEST(test_verify),
		TU_CASE("pki", slow),
		TU_TEST(test_pki_import),
		TU_TEST(test_pki_chain),
		TU_TEST(test_long_fqdn),
		{ 0 }
	};

	return tu_suite("ca", tests);
}
