/*
 * load.c: ehttp-client load, many clients against one management point.
 *
 * Every client has its own RSA 2048 key and self-signed certificate, as a
 * real one does. Making a key costs tens of milliseconds, far more than
 * anything the MP does for a client, so the identities are made once (in
 * parallel, with progress) and kept in the state directory for later runs:
 *
 * (or in another directory, --identities, that many runs share):
 *
 *   master      the passphrase the keys are encrypted with (0600)
 *   identities  "EHTTPLOAD1\n", then per client: 4-byte big-endian length,
 *               certificate DER, 4-byte length, encrypted PKCS#8 (0600)
 *   clients     per registered client "INDEX SMSID APPROVAL EXPIRES TOKEN"
 *               (0600: it holds tokens), rewritten at the end of a run
 *
 * The schedule is open: turn e happens at start + e * span / clients
 * whether the requests before it have returned or not (span = the poll
 * interval; for a run that stops at registration or tokens, the duration),
 * and it is client e % clients's. At its turn a client does what it still
 * lacks up to the run's last step: register, get a CCM token (when it has
 * none valid for another minute), poll /ccm_system_tokenauth/request, or
 * (--download) download a package as `download` does, with download.c's
 * own code: its location, a content access token, the DP's listing, each
 * file's GET and SHA-256, into --dest/NAME or only verified as it
 * streams. The clients share nothing a real one would not: the options
 * and the parsed trust anchors (no TLS session is resumed; a connection
 * per request, as `download`). Concurrency is the workers: a worker
 * takes one client's turn at a time, blocking, so --workers 4000 is what
 * 4,000 clients downloading at once need (small stacks). Each
 * request is timed from its start to the end of the answer; how late the
 * workers picked events up is reported too, so a slow generator cannot
 * hide a slow server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ca.h"
#include "client.h"
#include "client-int.h"
#include "fdio.h"
#include "safetext.h"
#include "tls.h"
#include "wire.h"
#include "xmalloc.h"

#define LOAD_MAGIC	"EHTTPLOAD1\n"
#define LOAD_ERRLEN	300
#define LOAD_STACK	(512 * 1024)	/* a worker's stack */

enum { K_REG, K_TOKEN, K_POLL, K_DL, K_LATE, K_N };
static const char *const kind_name[K_N] = { "register", "token", "poll",
	"download", "behind" };

/* Failed downloads of one reason ("get: HTTP 401", "hash: mismatch"). */
#define LOAD_REASONS	16
struct reason {
	char		 key[64];
	uint64_t	 n;
	char		 first[LOAD_ERRLEN];	/* its first failure */
};

/* Durations of one kind, in microseconds, kept by one worker. */
struct samples {
	uint32_t	*v;
	size_t		 n, cap;
	uint64_t	 errors;
};

struct lclient {
	struct client	 c;
	char		 name[32];
	char		*token;
	struct wire_bytes reg;		/* its registration request, made
					 * before the run; empty once used */
	atomic_int	 busy;
};

struct loader {
	const struct client_opts *o;
	struct lclient	*cl;
	size_t		 n;
	int		 until;
	char		*bulk;		/* "Authorization: ..." or "" */
	off_t		 ids_end;	/* the identities file's last whole
					 * record ends here (0: no file) */
	struct tls_client *tls;
	struct timespec	 start;
	uint64_t	 span_ns;	/* the turns of every client once */
	uint64_t	 end_ns;	/* after start */
	uint64_t	 events;	/* K_POLL: unbounded; else clients */
	atomic_uint_fast64_t next;
	atomic_uint_fast64_t done;
	atomic_uint_fast64_t skipped;	/* its client still busy */
	atomic_uint_fast64_t failed;	/* turns with a failed request */
	atomic_int	 running;	/* workers not yet done */
	pthread_mutex_t	 lock;
	char		 first_error[K_N][LOAD_ERRLEN];
	/* --download: what every client's download shares is only the
	 * options (qo: nothing said, no state directory, the trust made
	 * once) and these counters */
	struct client_opts qo;
	atomic_uint_fast64_t dl_ok;	/* downloaded and verified */
	atomic_uint_fast64_t dl_bytes;	/* transferred, all clients */
	atomic_uint_fast64_t dl_first;	/* ns after start: the first began */
	atomic_uint_fast64_t dl_last;	/* and the last ended */
	atomic_uint_fast64_t inflight;	/* downloads under way */
	atomic_uint_fast64_t inflight_max;
	struct reason	 reasons[LOAD_REASONS];	/* under lock */
	size_t		 nreasons;
	uint64_t	 reasons_other;	/* beyond LOAD_REASONS */
};

/* Set by SIGINT, read by every worker: a lock-free atomic (safe in a
 * signal handler, and no data race with the threads). */
static atomic_int load_stop;

static void
load_on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	atomic_store(&load_stop, 1);
	errno = saved;
}

static uint64_t
ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u +
	    (uint64_t)t.tv_nsec - (uint64_t)t0->tv_nsec;
}

static void
samples_add(struct samples *s, uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* ----------------------------------------------------------- identities */

/* The passphrase of the keys, made the first time. 0, or -1 (said). */
static int
load_master(const struct client_opts *o, char *master, size_t len)
{
	char path[PATH_MAX];
	unsigned char *p;
	size_t n;
	int fd, rc;

	snprintf(path, sizeof path, "%s/master", o->identities);
	if ((rc = client_read_file(o, path, 4096, &p, &n)) == 1) {
		snprintf(master, len, "%.*s", (int)strcspn((char *)p, "\n"),
		    (char *)p);
		freezero(p, n);
		return master[0] != '\0' ? 0 : -1;
	}
	if (rc == -1 || client_passphrase(o, master, len) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (fd_write_all(fd, master, strlen(master)) == -1 || fsync(fd) ==
	    -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	client_say(o, "%s: %s", path, strerror(errno));
	return -1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
blob_take(struct ca_blob *b, const unsigned char *p, size_t len)
{
	b->data = xmalloc(len);
	memcpy(b->data, p, len);
	b->len = len;
}

/* The identities kept: how many were read into L->cl (at most L->n). A
 * record cut short (a run killed while writing) ends the list; where the
 * whole ones end is kept for the next append (L->ids_end). */
static size_t
identities_read(struct loader *L, const char *path)
{
	unsigned char *p;
	size_t len, off, i = 0;

	switch (client_read_file(L->o, path, SIZE_MAX - 1, &p, &len)) {
	case 0:
		return 0;
	case -1:
		return (size_t)-1;
	}
	if (len < sizeof LOAD_MAGIC - 1 || memcmp(p, LOAD_MAGIC,
	    sizeof LOAD_MAGIC - 1) != 0) {
		client_say(L->o, "%s is not a file of ehttp-client load "
		    "identities: it is left alone and not used", path);
		free(p);
		return (size_t)-1;
	}
	off = sizeof LOAD_MAGIC - 1;
	while (i < L->n && off + 4 <= len) {
		uint32_t cl = be32(p + off), kl;

		if (cl > len - off - 4 || off + 4 + cl + 4 > len)
			break;
		kl = be32(p + off + 4 + cl);
		if (kl > len - off - 8 - cl)
			break;
		blob_take(&L->cl[i].c.cert, p + off + 4, cl);
		blob_take(&L->cl[i].c.key, p + off + 8 + cl, kl);
		off += 8 + (size_t)cl + kl;
		i++;
	}
	L->ids_end = (off_t)off;
	freezero(p, len);
	return i;
}

struct keygen {
	struct loader	*L;
	atomic_size_t	 next;
	atomic_size_t	 made;
	atomic_int	 failed;
	char		 why[LOAD_ERRLEN];
};

static void *
keygen_worker(void *arg)
{
	struct keygen *k = arg;
	struct ca *ca = ca_new();
	struct ca_issued is;
	size_t i;

	while (!load_stop && !k->failed &&
	    (i = atomic_fetch_add(&k->next, 1)) < k->L->n) {
		struct lclient *lc = &k->L->cl[i];

		memset(&is, 0, sizeof is);
		if (ca_client_cert_create(ca, lc->name, lc->c.master, &is) ==
		    -1) {
			snprintf(k->why, sizeof k->why, "%s", ca_error(ca));
			k->failed = 1;
			break;
		}
		lc->c.cert = is.cert;
		lc->c.key = is.key;
		memset(&is.cert, 0, sizeof is.cert);
		memset(&is.key, 0, sizeof is.key);
		ca_issued_clear(&is);
		atomic_fetch_add(&k->made, 1);
	}
	ca_free(ca);
	return NULL;
}

/* fn on one thread per core (k->next .. L->n), progress every 5 s on
 * stderr until k->made reaches total, a failure or Ctrl-C. */
static void
run_parallel(struct loader *L, void *(*fn)(void *), struct keygen *k,
    size_t total)
{
	long nt = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec t0;
	uint64_t said = 0;
	pthread_t *t;

	nt = nt < 1 ? 1 : nt > 64 ? 64 : nt;
	t = xcalloc((size_t)nt, sizeof *t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < nt; i++)
		if (pthread_create(&t[i], NULL, fn, k) != 0)
			abort();
	while (atomic_load(&k->made) < total && !k->failed && !load_stop) {
		struct timespec d = { 0, 100 * 1000 * 1000 };
		uint64_t el = ns_since(&t0) / 1000000000u;
		size_t m = atomic_load(&k->made);

		nanosleep(&d, NULL);
		if (el >= said + 5) {
			said = el;
			fprintf(L->o->err, "ehttp-client: %zu of %zu, %llu s, "
			    "about %llu s left\n", m, total,
			    (unsigned long long)el, m == 0 ? 0ULL :
			    (unsigned long long)(el * (total - m) / m));
		}
	}
	for (long i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	free(t);
}

static void *
keyload_worker(void *arg)
{
	struct keygen *k = arg;
	struct ca *ca = ca_new();
	size_t i;

	while (!load_stop && !k->failed &&
	    (i = atomic_fetch_add(&k->next, 1)) < k->L->n) {
		struct lclient *lc = &k->L->cl[i];

		if (ca_key_load(ca, lc->c.key.data, lc->c.key.len,
		    lc->c.master, &lc->c.pk) == -1) {
			snprintf(k->why, sizeof k->why, "%s: %s", lc->name,
			    ca_error(ca));
			k->failed = 1;
			break;
		}
		if (lc->c.smsid[0] == '\0' && client_reg_body(&lc->c,
		    &lc->reg) == -1) {
			snprintf(k->why, sizeof k->why, "%s: cannot make its"
			    " registration request", lc->name);
			k->failed = 1;
			break;
		}
		atomic_fetch_add(&k->made, 1);
	}
	ca_free(ca);
	return NULL;
}

/*
 * Every client's key decrypted before the run, as a running client holds
 * its own, and the registration request of each client not registered yet
 * made and signed: the storm is 25,000 machines' requests arriving, and a
 * simulator that signed them during the run would take the cores from
 * the agent it measures. What is timed is the requests, not their making.
 */
static int
keys_load(struct loader *L)
{
	struct keygen k;

	memset(&k, 0, sizeof k);
	k.L = L;
	if (L->n >= 1000)
		fprintf(L->o->err, "ehttp-client: loading %zu keys (and"
		    " signing the registration requests of those not"
		    " registered)\n", L->n);
	run_parallel(L, keyload_worker, &k, L->n);
	if (k.failed) {
		client_say(L->o, "cannot load a client key (the identities do"
		    " not match %s/master?): %s", L->o->identities, k.why);
		return -1;
	}
	return load_stop ? -1 : 0;
}

/* Append identities [from, to) to the file (made with its magic if new). */
static int
identities_append(struct loader *L, const char *path, size_t from, size_t to)
{
	unsigned char h[4];
	int fd, rc = -1;

	/* After the last whole record: a tail a killed run cut short is
	 * written over, not followed. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || ftruncate(fd, L->ids_end) == -1 ||
	    lseek(fd, L->ids_end, SEEK_SET) == -1)
		goto out;
	if (L->ids_end == 0 && fd_write_all(fd, LOAD_MAGIC,
	    sizeof LOAD_MAGIC - 1) == -1)
		goto out;
	for (size_t i = from; i < to; i++) {
		const struct ca_blob *b[2] = { &L->cl[i].c.cert,
		    &L->cl[i].c.key };

		for (int j = 0; j < 2; j++) {
			h[0] = (unsigned char)(b[j]->len >> 24);
			h[1] = (unsigned char)(b[j]->len >> 16);
			h[2] = (unsigned char)(b[j]->len >> 8);
			h[3] = (unsigned char)b[j]->len;
			if (fd_write_all(fd, h, 4) == -1 || fd_write_all(fd,
			    b[j]->data, b[j]->len) == -1)
				goto out;
		}
	}
	rc = fsync(fd);
out:
	if (rc == -1)
		client_say(L->o, "cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

/* Identities for every client: read, the rest made with one thread per
 * core and kept. 0, or -1 (said). */
static int
identities(struct loader *L)
{
	char path[PATH_MAX];
	struct keygen k;
	size_t have, made;

	snprintf(path, sizeof path, "%s/identities", L->o->identities);
	if ((have = identities_read(L, path)) == (size_t)-1)
		return -1;
	if (have == L->n)
		return 0;
	memset(&k, 0, sizeof k);
	k.L = L;
	k.next = have;
	fprintf(L->o->err, "ehttp-client: making %zu client identities (RSA "
	    "2048 each; kept in %s for later runs)\n", L->n - have, path);
	run_parallel(L, keygen_worker, &k, L->n - have);
	/* Keep what was made, in order: up to the first one not made. */
	made = have;
	while (made < L->n && L->cl[made].c.cert.data != NULL)
		made++;
	if (made > have && identities_append(L, path, have, made) == -1)
		return -1;
	if (k.failed) {
		client_say(L->o, "cannot make a client identity: %s", k.why);
		return -1;
	}
	if (made < L->n) {
		client_say(L->o, "interrupted: %zu identities kept", made);
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------- client state */

/* "INDEX SMSID APPROVAL EXPIRES TOKEN" lines from an earlier run. */
static void
clients_read(struct loader *L)
{
	char path[PATH_MAX], *line, *save = NULL;
	unsigned char *p;
	size_t len;

	snprintf(path, sizeof path, "%s/clients", L->o->state);
	if (client_read_file(L->o, path, SIZE_MAX - 1, &p, &len) != 1)
		return;
	for (line = strtok_r((char *)p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char smsid[64], tok[CA_JWT_MAX + 1];
		unsigned long long i;
		long long exp;
		int appr;

		tok[0] = '\0';
		if (sscanf(line, "%llu %63s %d %lld %16384s", &i, smsid, &appr,
		    &exp, tok) < 4 || i >= L->n || strncmp(smsid, "GUID:", 5)
		    != 0)
			continue;
		snprintf(L->cl[i].c.smsid, sizeof L->cl[i].c.smsid, "%s",
		    smsid);
		L->cl[i].c.approval = appr;
		if (tok[0] != '\0' && strcmp(tok, "-") != 0) {
			free(L->cl[i].token);
			L->cl[i].token = xstrdup(tok);
			L->cl[i].c.token_expires = (time_t)exp;
		}
	}
	freezero(p, len);
}

static int
clients_write(struct loader *L)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "%s/clients", L->o->state);
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		goto fail;
	}
	for (size_t i = 0; i < L->n; i++) {
		const struct lclient *lc = &L->cl[i];

		if (lc->c.smsid[0] != '\0')
			fprintf(f, "%zu %s %d %lld %s\n", i, lc->c.smsid,
			    lc->c.approval, (long long)lc->c.token_expires,
			    lc->token != NULL ? lc->token : "-");
	}
	if (fflush(f) == EOF || fsync(fd) == -1) {
		fclose(f);
		unlink(tmp);
		goto fail;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	client_say(L->o, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

/* ------------------------------------------------------------- requests */

/* Remember the first failure of a kind (filtered when shown). */
static void
load_failed(struct loader *L, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
load_failed(struct loader *L, int kind, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&L->lock);
	if (L->first_error[kind][0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(L->first_error[kind], LOAD_ERRLEN, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&L->lock);
}

/* One timed request: 0 with a 200 in *r, or -1 (counted, the first kept). */
static int
load_send(struct loader *L, struct samples *s, int kind, const char *method,
    const char *path, const char *headers, const void *body, size_t len,
    struct tls_get_result *r)
{
	struct tls_get g = { 0 };
	struct timespec t0;
	int rc;

	g.method = method;
	g.user_agent = "ehttp-client";
	g.headers = headers;
	g.body = body;
	g.body_len = len;
	g.body_max = 64 * 1024;
	g.addr = L->o->connect;
	g.port = L->o->connect_port;
	g.host = L->o->mp;
	g.path = path;
	g.use_tls = 1;
	g.client = L->tls;
	g.timeout_ms = L->o->timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = tls_get(&g, r);
	samples_add(&s[kind], ns_since(&t0));
	if (rc == 0 && r->status == 200)
		return 0;
	s[kind].errors++;
	if (rc == -1)
		load_failed(L, kind, "%s", r->error);
	else
		load_failed(L, kind, "HTTP %d %.*s", r->status,
		    (int)strcspn((const char *)r->body, "\r\n"),
		    (const char *)r->body);
	return -1;
}

static int
load_register(struct loader *L, struct lclient *lc, struct samples *s)
{
	struct tls_get_result r = { 0 };
	struct wire_reply rp = { 0 };
	char *h, *why = NULL;
	int rc = -1;

	/* Made before the run (kept until a registration succeeds). */
	if (lc->reg.len == 0 && client_reg_body(&lc->c, &lc->reg) == -1) {
		s[K_REG].errors++;
		load_failed(L, K_REG, "cannot make the request of %s",
		    lc->name);
		return -1;
	}
	xasprintf(&h, "Content-Type: %s\r\n%s", WIRE_CONTENT_TYPE, L->bulk);
	if (load_send(L, s, K_REG, "CCM_POST", "/ccm_system/request", h,
	    lc->reg.data, lc->reg.len, &r) == 0) {
		if (wire_reply_decode(r.body, r.body_len, &rp, &why) == -1 ||
		    rp.status == WIRE_REG_CERT_RESET) {
			s[K_REG].errors++;
			load_failed(L, K_REG, "%s", why != NULL ? why :
			    "CertificateReset");
		} else {
			snprintf(lc->c.smsid, sizeof lc->c.smsid, "%s",
			    rp.smsid);
			lc->c.approval = rp.approval;
			wire_bytes_free(&lc->reg);	/* not needed again */
			rc = 0;
		}
	}
	free(why);
	free(h);
	wire_reply_clear(&rp);
	tls_get_result_clear(&r);
	return rc;
}

static int
load_token(struct loader *L, struct lclient *lc, struct samples *s)
{
	struct tls_get_result r = { 0 };
	char *h, *tok;
	long long life;
	int rc = -1;

	if ((h = client_proof_headers(&lc->c)) == NULL) {
		s[K_TOKEN].errors++;
		load_failed(L, K_TOKEN, "cannot sign the ClientToken of %s",
		    lc->name);
		return -1;
	}
	if (load_send(L, s, K_TOKEN, "GET", "/CCM_STS", h, NULL, 0, &r) ==
	    0) {
		if (client_token_reply(r.body, r.body_len, &tok, &life) == -1) {
			s[K_TOKEN].errors++;
			load_failed(L, K_TOKEN, "the reply is not the JSON of "
			    "a token");
		} else {
			free(lc->token);
			lc->token = tok;
			lc->c.token_expires = time(NULL) + life;
			rc = 0;
		}
	}
	free(h);
	tls_get_result_clear(&r);
	return rc;
}

static int
load_poll(struct loader *L, struct lclient *lc, struct samples *s)
{
	struct tls_get_result r = { 0 };
	char *h;
	int rc;

	xasprintf(&h, "Authorization: Bearer %s\r\n", lc->token);
	rc = load_send(L, s, K_POLL, "GET", "/ccm_system_tokenauth/request",
	    h, NULL, 0, &r);
	free(h);
	tls_get_result_clear(&r);
	return rc;
}

/* A failed download counted under its reason (the first kept). */
static void
load_reason(struct loader *L, const char *key, const char *why)
{
	size_t i;

	pthread_mutex_lock(&L->lock);
	for (i = 0; i < L->nreasons; i++)
		if (strcmp(L->reasons[i].key, key) == 0)
			break;
	if (i == L->nreasons && i < LOAD_REASONS) {
		snprintf(L->reasons[i].key, sizeof L->reasons[i].key, "%s",
		    key);
		snprintf(L->reasons[i].first, LOAD_ERRLEN, "%.*s",
		    LOAD_ERRLEN - 1, why);
		L->nreasons++;
	}
	if (i < LOAD_REASONS)
		L->reasons[i].n++;
	else
		L->reasons_other++;
	pthread_mutex_unlock(&L->lock);
}

/* v into *a if larger (smaller with min). */
static void
atomic_bound(atomic_uint_fast64_t *a, uint64_t v, int min)
{
	uint_fast64_t cur = atomic_load(a);

	while ((min ? v < cur : v > cur) &&
	    !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/*
 * The client downloads the package, as `download` does (the same code:
 * location request, content access token, PROPFIND, GETs, SHA-256), into
 * --dest/NAME or verified as it streams and not written. Timed whole;
 * a failure counted by its step and status.
 */
static int
load_download(struct loader *L, struct lclient *lc, struct samples *s)
{
	struct client_dl_res res;
	char dest[PATH_MAX], key[64];
	uint64_t t0, t1;
	int rc;

	if (L->o->dest != NULL)
		snprintf(dest, sizeof dest, "%s/%s", L->o->dest, lc->name);
	atomic_bound(&L->inflight_max, atomic_fetch_add(&L->inflight, 1) + 1,
	    0);
	t0 = ns_since(&L->start);
	atomic_bound(&L->dl_first, t0, 1);
	rc = client_download_one(&lc->c, L->o->dest != NULL ? dest : NULL,
	    &load_stop, &res);
	t1 = ns_since(&L->start);
	atomic_bound(&L->dl_last, t1, 0);
	atomic_fetch_sub(&L->inflight, 1);
	atomic_fetch_add(&L->dl_bytes, res.fetched);
	if (rc == CLIENT_OK) {
		samples_add(&s[K_DL], t1 - t0);
		atomic_fetch_add(&L->dl_ok, 1);
		return 0;
	}
	s[K_DL].errors++;
	if (rc == CLIENT_HASH)
		snprintf(key, sizeof key, "hash: mismatch");
	else if (rc == CLIENT_STOPPED)
		snprintf(key, sizeof key, "stopped");
	else if (res.status != 0)
		snprintf(key, sizeof key, "%s: HTTP %d", res.step, res.status);
	else
		snprintf(key, sizeof key, "%s: %s", res.step != NULL ?
		    res.step : "?", rc == CLIENT_NETWORK ? "network" : rc ==
		    CLIENT_LOCAL ? "local" : rc == CLIENT_STOPPED ? "stopped" :
		    "refused");
	load_reason(L, key, res.why[0] != '\0' ? res.why : key);
	return -1;
}

/* A client's turn: what it lacks, up to the run's last step. 0, or -1
 * a request failed. */
static int
load_turn(struct loader *L, struct lclient *lc, struct samples *s)
{
	int dl = L->until == CLIENT_LOAD_DOWNLOAD;

	if (lc->c.smsid[0] == '\0' && load_register(L, lc, s) == -1) {
		if (dl)		/* a download not made is a failed one */
			load_reason(L, "register", "the registration failed "
			    "(the first register error says why)");
		return -1;
	}
	if (L->until == CLIENT_LOAD_REGISTER)
		return 0;
	if ((lc->token == NULL || lc->c.token_expires < time(NULL) + 60) &&
	    load_token(L, lc, s) == -1) {
		if (dl)
			load_reason(L, "token", "no CCM token (the first token "
			    "error says why)");
		return -1;
	}
	if (L->until == CLIENT_LOAD_POLL)
		return load_poll(L, lc, s);
	if (L->until == CLIENT_LOAD_DOWNLOAD)
		return load_download(L, lc, s);
	return 0;
}

struct worker {
	struct loader	*L;
	struct samples	 s[K_N];
	pthread_t	 t;
	atomic_int	 done;		/* it returns */
};

static void *
load_worker(void *arg)
{
	struct worker *w = arg;
	struct loader *L = w->L;
	uint64_t e, at, now;

	while (!load_stop) {
		struct timespec ts;
		struct lclient *lc;

		e = atomic_fetch_add(&L->next, 1);
		at = e / L->n * L->span_ns + e % L->n * L->span_ns / L->n;
		if (e >= L->events || at >= L->end_ns)
			break;
		ts.tv_sec = L->start.tv_sec + (time_t)((L->start.tv_nsec +
		    at) / 1000000000u);
		ts.tv_nsec = (long)((L->start.tv_nsec + at) % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) == EINTR && !load_stop)
			;
		if (load_stop)
			break;
		now = ns_since(&L->start);
		samples_add(&w->s[K_LATE], now > at ? now - at : 0);
		lc = &L->cl[e % L->n];
		if (atomic_exchange(&lc->busy, 1) == 1) {
			atomic_fetch_add(&L->skipped, 1);
			continue;
		}
		if (load_turn(L, lc, w->s) == -1)
			atomic_fetch_add(&L->failed, 1);
		atomic_store(&lc->busy, 0);
		atomic_fetch_add(&L->done, 1);
	}
	atomic_store(&w->done, 1);
	atomic_fetch_sub(&L->running, 1);
	return NULL;
}

/* --------------------------------------------------------------- report */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% at or below it. */
static double
pct_ms(const struct samples *s, int p)
{
	size_t r;

	if (s->n == 0)
		return 0;
	r = (s->n * (size_t)p + 99) / 100;
	return s->v[r == 0 ? 0 : r - 1] / 1000.0;
}

static const char *const until_name[] = {
	[CLIENT_LOAD_REGISTER] = "register", [CLIENT_LOAD_TOKEN] = "token",
	[CLIENT_LOAD_POLL] = "poll", [CLIENT_LOAD_KEYS] = "keys",
	[CLIENT_LOAD_DOWNLOAD] = "download" };

/* Downloads: bytes over the time from the first start to the last end
 * (MB = 10^6 bytes), in *secs. */
static double
download_mbs(struct loader *L, double *secs)
{
	uint64_t a = atomic_load(&L->dl_first), b = atomic_load(&L->dl_last);

	*secs = b > a ? (b - a) / 1e9 : 0;
	return *secs > 0 ? atomic_load(&L->dl_bytes) / 1e6 / *secs : 0;
}

static json_t *
download_json(struct loader *L)
{
	json_t *f = json_object();
	double secs, mbs = download_mbs(L, &secs);

	for (size_t i = 0; i < L->nreasons; i++) {
		char *m = safetext_message(L->reasons[i].first);

		json_object_set_new(f, L->reasons[i].key, json_pack("{s:I,s:s}",
		    "count", (json_int_t)L->reasons[i].n, "first", m));
		free(m);
	}
	if (L->reasons_other > 0)
		json_object_set_new(f, "other", json_pack("{s:I}", "count",
		    (json_int_t)L->reasons_other));
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:I,s:o}", "package",
	    L->o->package, "dest", L->o->dest != NULL ? L->o->dest :
	    "(verified, not written)", "verified",
	    (json_int_t)atomic_load(&L->dl_ok), "failed",
	    (json_int_t)(atomic_load(&L->done) - atomic_load(&L->dl_ok)),
	    "bytes", (json_int_t)atomic_load(&L->dl_bytes), "mb_per_s", mbs,
	    "window_s", secs, "concurrency_max",
	    (json_int_t)atomic_load(&L->inflight_max), "failures", f);
}

static void
download_text(struct loader *L)
{
	FILE *f = L->o->out;
	double secs, mbs = download_mbs(L, &secs);

	fprintf(f, "download %s: %llu clients verified, %llu failed; %.1f MB "
	    "in %.2f s, %.1f MB/s aggregate; concurrency reached %llu\n",
	    L->o->package, (unsigned long long)atomic_load(&L->dl_ok),
	    (unsigned long long)(atomic_load(&L->done) -
	    atomic_load(&L->dl_ok)), atomic_load(&L->dl_bytes) / 1e6, secs,
	    mbs, (unsigned long long)atomic_load(&L->inflight_max));
	for (size_t i = 0; i < L->nreasons; i++) {
		/* Escaped as a field: o->out passes line feeds, and a
		 * reason can quote a server's decoded path. */
		char *m = safetext_message(L->reasons[i].first);

		fprintf(f, "failed, %s: %llu (first: %s)\n",
		    L->reasons[i].key, (unsigned long long)L->reasons[i].n, m);
		free(m);
	}
	if (L->reasons_other > 0)
		fprintf(f, "failed, other reasons: %llu\n",
		    (unsigned long long)L->reasons_other);
}

static json_t *
report_json(struct loader *L, struct samples *all, double secs)
{
	json_t *j, *req, *errs;
	uint64_t total = 0;

	req = json_object();
	errs = json_object();
	for (int k = 0; k < K_LATE; k++) {
		total += all[k].errors;
		json_object_set_new(req, kind_name[k], json_pack("{s:I,s:I,"
		    "s:f,s:f,s:f,s:f}", "count", (json_int_t)all[k].n,
		    "errors", (json_int_t)all[k].errors, "p50_ms",
		    pct_ms(&all[k], 50), "p99_ms", pct_ms(&all[k], 99),
		    "max_ms", pct_ms(&all[k], 100), "per_s", secs > 0 ?
		    all[k].n / secs : 0.0));
		if (L->first_error[k][0] != '\0') {
			char *m = safetext_message(L->first_error[k]);

			json_object_set_new(errs, kind_name[k], json_string(m));
			free(m);
		}
	}
	j = json_pack("{s:I,s:s,s:i,s:i,s:s,s:i,s:f,s:I,s:I,s:I,s:o,s:{s:f,"
	    "s:f,s:f},s:o,s:b}", "clients", (json_int_t)L->n, "mp", L->o->mp,
	    "duration_s", L->o->duration_s, "poll_interval_s",
	    L->o->interval_s, "until", until_name[L->until], "workers",
	    L->o->workers, "elapsed_s", secs, "turns",
	    (json_int_t)atomic_load(&L->done), "skipped_busy",
	    (json_int_t)atomic_load(&L->skipped), "errors", (json_int_t)total,
	    "requests", req, "behind_schedule", "p50_ms",
	    pct_ms(&all[K_LATE], 50), "p99_ms", pct_ms(&all[K_LATE], 99),
	    "max_ms", pct_ms(&all[K_LATE], 100), "first_errors", errs,
	    "interrupted", load_stop != 0);
	if (L->until == CLIENT_LOAD_DOWNLOAD)
		json_object_set_new(j, "download", download_json(L));
	return j;
}

static void
report_text(struct loader *L, struct samples *all, double secs)
{
	FILE *f = L->o->out;

	fprintf(f, "%zu clients against %s, %.1f s (until %s), %d workers\n",
	    L->n, L->o->mp, secs, until_name[L->until], L->o->workers);
	fprintf(f, "%-9s %9s %7s %9s %9s %9s %8s\n", "request", "count",
	    "errors", "p50 ms", "p99 ms", "max ms", "per s");
	for (int k = 0; k < K_LATE; k++)
		if (all[k].n > 0 || all[k].errors > 0)
			fprintf(f, "%-9s %9zu %7llu %9.2f %9.2f %9.2f %8.1f\n",
			    kind_name[k], all[k].n,
			    (unsigned long long)all[k].errors,
			    pct_ms(&all[k], 50), pct_ms(&all[k], 99),
			    pct_ms(&all[k], 100), secs > 0 ? all[k].n / secs :
			    0);
	fprintf(f, "turns %llu, skipped (client still busy) %llu; workers "
	    "behind schedule: p99 %.2f ms, max %.2f ms\n",
	    (unsigned long long)atomic_load(&L->done),
	    (unsigned long long)atomic_load(&L->skipped),
	    pct_ms(&all[K_LATE], 99), pct_ms(&all[K_LATE], 100));
	for (int k = 0; k < K_LATE; k++)
		if (L->first_error[k][0] != '\0')
			fprintf(f, "first %s error: %s\n", kind_name[k],
			    L->first_error[k]);	/* o->out filters */
	if (L->until == CLIENT_LOAD_DOWNLOAD)
		download_text(L);
	if (load_stop)
		fprintf(f, "interrupted\n");
}

/* ----------------------------------------------------------------- run */

static void
loader_free(struct loader *L)
{
	for (size_t i = 0; L->cl != NULL && i < L->n; i++) {
		struct lclient *lc = &L->cl[i];

		explicit_bzero(lc->c.master, sizeof lc->c.master);
		ca_blob_free(&lc->c.cert);
		ca_blob_free(&lc->c.key);
		ca_key_free(lc->c.pk);
		wire_bytes_free(&lc->reg);
		freezero_str(lc->token);
		freezero_str(lc->c.content_token);
	}
	free(L->cl);
	free(L->bulk);
	tls_client_free(L->tls);
	pthread_mutex_destroy(&L->lock);
}

/* --download: each client quiet, with no state directory and its content
 * access token in memory; --dest made. */
static int
loader_download_init(struct loader *L)
{
	const struct client_opts *o = L->o;

	L->qo = *o;
	L->qo.err = NULL;
	L->qo.state = NULL;
	L->qo.tls = L->tls;
	L->dl_first = UINT64_MAX;
	for (size_t i = 0; i < L->n; i++) {
		L->cl[i].c.o = &L->qo;
		L->cl[i].c.memory = 1;
	}
	if (o->dest != NULL && mkdir(o->dest, 0755) == -1 && errno !=
	    EEXIST) {
		client_say(o, "cannot create %s: %s", o->dest,
		    strerror(errno));
		return CLIENT_LOCAL;
	}
	return CLIENT_OK;
}

static int
loader_init(struct loader *L, const struct client_opts *o)
{
	struct tls_get g = { 0 };
	char master[80], err[512];

	memset(L, 0, sizeof *L);
	pthread_mutex_init(&L->lock, NULL);
	L->o = o;
	L->n = (size_t)o->clients;
	L->until = o->until;
	if ((mkdir(o->state, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(o->identities, 0700) == -1 && errno != EEXIST)) {
		client_say(o, "cannot create %s: %s", errno == EEXIST ?
		    o->identities : o->state, strerror(errno));
		return CLIENT_LOCAL;
	}
	if ((L->bulk = client_bulk_header(o)) == NULL)
		return CLIENT_LOCAL;
	g.ca_file = o->root;
	if ((L->tls = tls_client_new(&g, err, sizeof err)) == NULL) {
		client_say(o, "%s", err);
		return CLIENT_LOCAL;
	}
	if (load_master(o, master, sizeof master) == -1)
		return CLIENT_LOCAL;
	L->cl = xcalloc(L->n, sizeof *L->cl);
	for (size_t i = 0; i < L->n; i++) {
		struct lclient *lc = &L->cl[i];

		snprintf(lc->name, sizeof lc->name, "LOAD%06zu", i);
		lc->c.o = o;
		lc->c.name = lc->name;
		lc->c.approval = -1;
		memcpy(lc->c.master, master, sizeof master);
	}
	explicit_bzero(master, sizeof master);
	if (identities(L) == -1 || (L->until != CLIENT_LOAD_KEYS &&
	    keys_load(L) == -1))
		return load_stop ? CLIENT_REFUSED : CLIENT_LOCAL;
	clients_read(L);
	if (L->until == CLIENT_LOAD_DOWNLOAD)
		return loader_download_init(L);
	return CLIENT_OK;
}

/* Until the workers are done: a line on stderr every 10 s, so that a
 * long run shows it is alive. Ctrl-C stops it: the signal reaches one
 * thread only, so every worker is sent it too (again each 100 ms, for one
 * that was not yet blocked): a read it waits in ends (EINTR), so a
 * client waiting on a server that stalls stops now, not at --timeout. */
static void
load_progress(struct loader *L, struct worker *w, int nw)
{
	uint64_t said = 0;

	while (atomic_load(&L->running) > 0) {
		struct timespec d = { 0, 100 * 1000 * 1000 };
		uint64_t el = ns_since(&L->start) / 1000000000u;

		nanosleep(&d, NULL);
		for (int i = 0; load_stop && i < nw; i++)
			if (!w[i].done)
				pthread_kill(w[i].t, SIGINT);
		if (el >= said + 10) {
			said = el;
			fprintf(L->o->err, "ehttp-client: %llu s, %llu turns, "
			    "%llu with a failed request\n",
			    (unsigned long long)el,
			    (unsigned long long)atomic_load(&L->done),
			    (unsigned long long)atomic_load(&L->failed));
		}
	}
}

/* n workers started (a small stack each: thousands of them for
 * --download); how many did, errno set when fewer. */
static int
workers_start(struct loader *L, struct worker *w, int n)
{
	pthread_attr_t a;
	int i, e = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, LOAD_STACK);
	L->running = n;
	for (i = 0; i < n; i++) {
		w[i].L = L;
		if ((e = pthread_create(&w[i].t, &a, load_worker, &w[i])) != 0)
			break;
	}
	pthread_attr_destroy(&a);
	if (i < n) {
		atomic_fetch_sub(&L->running, n - i);
		errno = e;
	}
	return i;
}

int
client_load_run(const struct client_opts *o)
{
	struct sigaction sa, old_int, old_term;
	struct loader L;
	struct worker *w;
	struct samples all[K_N];
	uint64_t total = 0;
	double secs;
	int rc, nw = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = load_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	load_stop = 0;
	memset(all, 0, sizeof all);
	w = xcalloc((size_t)o->workers, sizeof *w);
	if ((rc = loader_init(&L, o)) != CLIENT_OK)
		goto out;
	if (o->until == CLIENT_LOAD_KEYS) {
		fprintf(o->out, "%zu client identities ready in %s\n", L.n,
		    o->identities);
		goto out;
	}
	if (o->until == CLIENT_LOAD_POLL) {
		L.span_ns = (uint64_t)o->interval_s * 1000000000u;
		L.events = UINT64_MAX;
	} else {
		L.span_ns = (uint64_t)o->duration_s * 1000000000u;
		L.events = L.n;
	}
	L.end_ns = (uint64_t)o->duration_s * 1000000000u;
	clock_gettime(CLOCK_MONOTONIC, &L.start);
	if ((nw = workers_start(&L, w, o->workers)) < o->workers)
		client_say(o, "only %d of %d workers could start: %s", nw,
		    o->workers, strerror(errno));
	load_progress(&L, w, nw);
	for (int i = 0; i < nw; i++)
		pthread_join(w[i].t, NULL);
	secs = ns_since(&L.start) / 1e9;
	for (int i = 0; i < nw; i++)
		for (int k = 0; k < K_N; k++) {
			struct samples *s = &w[i].s[k];

			for (size_t j = 0; j < s->n; j++)
				samples_add(&all[k], (uint64_t)s->v[j] * 1000);
			all[k].errors += s->errors;
			free(s->v);
		}
	for (int k = 0; k < K_N; k++) {
		if (all[k].n > 0)
			qsort(all[k].v, all[k].n, sizeof *all[k].v, cmp_u32);
		if (k != K_LATE)
			total += all[k].errors;
	}
	if (o->json) {
		json_t *j = report_json(&L, all, secs);
		char *s = json_dumps(j, JSON_COMPACT);

		fprintf(o->out, "%s\n", s);
		free(s);
		json_decref(j);
	} else
		report_text(&L, all, secs);
	rc = total > 0 || load_stop ? CLIENT_REFUSED : CLIENT_OK;
	if (clients_write(&L) == -1)
		rc = CLIENT_LOCAL;
out:
	for (int k = 0; k < K_N; k++)
		free(all[k].v);
	free(w);
	loader_free(&L);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
