/*
 * bench-issue: the cost of issuing one SMS Role SSL Certificate in process
 * (ca_leaf_issue: key generation, signing, encrypted PKCS#8, description)
 * next to a bare OpenSSL loop doing key generation + an X.509 with the same
 * extensions signed by the same kind of root, in the same run.
 *
 * usage: bench-issue rsa2048|rsa3072|ec-p256 N
 * prints: alg n bare_ms_per_cert ours_ms_per_cert ratio
 *
 * usage: bench-issue --clear-freed rsa2048|rsa3072|ec-p256 N
 * the same with OpenSSL's freed memory cleared (ca_clear_freed_memory()),
 * as ehttpctl, ehttp-mpd and the console run; both loops pay for it.
 *
 * usage: bench-issue --threads T rsa2048|rsa3072|ec-p256 N
 * prints: alg n T wall_ms_per_cert -- the bare loop alone, N certificates
 * shared by T threads: what bare OpenSSL gets out of the machine's cores,
 * which is less than T times one core when the cores share a host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static EVP_PKEY *
keygen(enum ca_keyalg alg)
{
	if (alg == CA_KEY_EC_P256)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)(alg == CA_KEY_RSA3072 ? 3072 : 2048));
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		abort();
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/* The reference: what any C program using OpenSSL must do per leaf. */
static unsigned char *
bare_leaf(X509 *root, EVP_PKEY *root_key, enum ca_keyalg alg, const char *fqdn,
    int *len)
{
	EVP_PKEY *k = keygen(alg);
	X509 *x = X509_new();
	unsigned char serial[16], *der = NULL;
	BIGNUM *bn;
	char san[300];

	RAND_bytes(serial, sizeof serial);
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	X509_set_version(x, 2);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_set_issuer_name(x, X509_get_subject_name(root));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)fqdn, -1, -1, 0);
	X509_gmtime_adj(X509_getm_notBefore(x), -300);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	X509_set_pubkey(x, k);
	add_ext(x, root, NID_basic_constraints, "CA:FALSE");
	add_ext(x, root, NID_key_usage, alg == CA_KEY_EC_P256 ?
	    "critical,digitalSignature" : "critical,digitalSignature,keyEncipherment");
	add_ext(x, root, NID_ext_key_usage, "serverAuth");
	snprintf(san, sizeof san, "DNS:%s", fqdn);
	add_ext(x, root, NID_subject_alt_name, san);
	add_ext(x, root, NID_subject_key_identifier, "hash");
	add_ext(x, root, NID_authority_key_identifier, "keyid");
	if (X509_sign(x, root_key, EVP_sha256()) <= 0)
		abort();
	*len = i2d_X509(x, &der);
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

#define PAR_MAX	64

struct par {
	pthread_mutex_t	 mtx;
	X509		*root;
	EVP_PKEY	*root_key;
	enum ca_keyalg	 alg;
	int		 next, n;
};

static void *
par_worker(void *arg)
{
	struct par *pa = arg;
	char fqdn[64];
	unsigned char *der;
	int i, len;

	for (;;) {
		pthread_mutex_lock(&pa->mtx);
		i = pa->next < pa->n ? pa->next++ : -1;
		pthread_mutex_unlock(&pa->mtx);
		if (i == -1)
			return NULL;
		snprintf(fqdn, sizeof fqdn, "host%d.bench.example.com", i);
		der = bare_leaf(pa->root, pa->root_key, pa->alg, fqdn, &len);
		OPENSSL_free(der);
	}
}

/* The bare loop on nthreads threads; wall ms per certificate. */
static double
bare_parallel(X509 *root, EVP_PKEY *root_key, enum ca_keyalg alg, int n,
    int nthreads)
{
	struct par pa = { PTHREAD_MUTEX_INITIALIZER, root, root_key, alg, 0, n };
	pthread_t tids[PAR_MAX];
	double t0 = now_ms();
	int k, started = 0;

	for (k = 0; k < nthreads; k++)
		if (pthread_create(&tids[k], NULL, par_worker, &pa) == 0)
			started++;
	if (started < nthreads) {
		fprintf(stderr, "bench-issue: started %d of %d threads\n",
		    started, nthreads);
		exit(1);
	}
	for (k = 0; k < started; k++)
		pthread_join(tids[k], NULL);
	return (now_ms() - t0) / n;
}

int
main(int argc, char **argv)
{
	const char *master =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	enum ca_keyalg alg;
	struct ca *ca = ca_new();
	struct ca_issued root, leaf;
	struct ca_signer *sg;
	EVP_PKEY *root_key;
	X509 *root_x;
	const unsigned char *p;
	double t0, bare, ours;
	int n, len, nthreads = 0;

	if (argc == 4 && strcmp(argv[1], "--clear-freed") == 0) {
		if (ca_clear_freed_memory() == -1) {
			fprintf(stderr, "bench-issue: cannot hook OpenSSL's"
			    " memory functions\n");
			return 1;
		}
		argv++;
		argc--;
	}
	if (argc == 5 && strcmp(argv[1], "--threads") == 0) {
		if ((nthreads = atoi(argv[2])) <= 0 || nthreads > PAR_MAX)
			nthreads = -1;
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || nthreads < 0 || ca_keyalg_parse(argv[1], &alg) == -1 ||
	    (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench-issue [--clear-freed | --threads T]"
		    " rsa2048|rsa3072|ec-p256 N\n");
		return 2;
	}
	memset(&root, 0, sizeof root);
	if (ca_root_create(ca, "BEN", alg, master, &root) == -1 ||
	    (sg = ca_signer_load(ca, root.cert.data, root.cert.len,
	    root.key.data, root.key.len, master)) == NULL) {
		fprintf(stderr, "bench-issue: %s\n", ca_error(ca));
		return 1;
	}
	/* The reference signs with a root of the same algorithm. */
	root_key = keygen(alg);
	p = root.cert.data;
	root_x = d2i_X509(NULL, &p, (long)root.cert.len);
	X509_set_pubkey(root_x, root_key);
	X509_sign(root_x, root_key, EVP_sha256());
	if (nthreads > 0) {
		printf("%s %d %d %.3f\n", argv[1], n, nthreads,
		    bare_parallel(root_x, root_key, alg, n, nthreads));
		goto out;
	}

	/* Interleave the two so machine noise hits both alike. */
	bare = ours = 0;
	for (int i = 0; i < n; i++) {
		char fqdn[64];
		unsigned char *der;

		snprintf(fqdn, sizeof fqdn, "host%d.bench.example.com", i);
		t0 = now_ms();
		der = bare_leaf(root_x, root_key, alg, fqdn, &len);
		bare += now_ms() - t0;
		OPENSSL_free(der);
		memset(&leaf, 0, sizeof leaf);
		t0 = now_ms();
		if (ca_leaf_issue(ca, sg, fqdn, alg, master, &leaf) == -1) {
			fprintf(stderr, "bench-issue: %s\n", ca_error(ca));
			return 1;
		}
		ours += now_ms() - t0;
		ca_issued_clear(&leaf);
	}
	printf("%s %d %.3f %.3f %.3f\n", argv[1], n, bare / n, ours / n,
	    ours / bare);
out:
	X509_free(root_x);
	EVP_PKEY_free(root_key);
	ca_signer_free(sg);
	ca_issued_clear(&root);
	ca_free(ca);
	return 0;
}
