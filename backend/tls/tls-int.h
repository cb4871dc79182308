/* tls-int.h: shared by tls.c (servers) and tls-client.c. */
#ifndef TLS_INT_H
#define TLS_INT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tls.h"

/* The OpenSSL error queue as one line ("" if empty); drains the queue. */
void	 tls_errors(char *buf, size_t len);
/* A DER certificate parsed, or NULL. */
X509	*tls_x509(const struct tls_der *);

#endif
