/*
 * ca-base.c: the handle, the key algorithms' names and the clearing of
 * what the other functions return. No OpenSSL: ehttpctl has these in the
 * program and loads the rest, with OpenSSL, when a command first needs it
 * (ca-load.c); starting OpenSSL costs about a millisecond, as much as
 * a whole page of `ehttpctl cert list`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca-int.h"

/* As a master: the key is not encrypted (ca_master_is_plain). */
const char ca_plain[] = "";

/* The key algorithms' names, by enum ca_keyalg. */
static const char *const ca_keyalg_names[] = {
	[CA_KEY_RSA2048] = "rsa2048",
	[CA_KEY_RSA3072] = "rsa3072",
	[CA_KEY_EC_P256] = "ec-p256",
};
#define CA_NKEYALGS (sizeof ca_keyalg_names / sizeof ca_keyalg_names[0])

/* explicit_bzero: cleared whatever the compiler knows of later use (as
 * OPENSSL_cleanse). */
void
ca_cleanse(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

struct ca *
ca_new(void)
{
	return xcalloc(1, sizeof(struct ca));
}

void
ca_free(struct ca *ca)
{
	free(ca);
}

const char *
ca_error(const struct ca *ca)
{
	if (ca == NULL)
		return "no ca handle";
	return ca->err[0] != '\0' ? ca->err : "no error";
}

int
ca_keyalg_parse(const char *s, enum ca_keyalg *alg)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < CA_NKEYALGS; i++) {
		if (strcasecmp(s, ca_keyalg_names[i]) == 0) {
			*alg = (enum ca_keyalg)i;
			return 0;
		}
	}
	return -1;
}

const char *
ca_keyalg_name(enum ca_keyalg alg)
{
	if ((unsigned)alg >= CA_NKEYALGS)
		return "unknown";
	return ca_keyalg_names[alg];
}

void
ca_blob_free(struct ca_blob *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		ca_cleanse(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

void
ca_cert_info_clear(struct ca_cert_info *ci)
{
	if (ci == NULL)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->issued_to);
	free(ci->issued_by);
	free(ci->serial);
	free(ci->thumbprint);
	free(ci->sha256);
	free(ci->san);
	free(ci->key_desc);
	memset(ci, 0, sizeof *ci);
}

void
ca_issued_clear(struct ca_issued *is)
{
	if (is == NULL)
		return;
	ca_blob_free(&is->cert);
	ca_blob_free(&is->key);
	ca_cert_info_clear(&is->info);
}

void
ca_pki_clear(struct ca_pki *p)
{
	if (p == NULL)
		return;
	ca_issued_clear(&p->leaf);
	for (size_t i = 0; i < p->nchain; i++)
		ca_blob_free(&p->chain[i]);
	memset(p, 0, sizeof *p);
}
