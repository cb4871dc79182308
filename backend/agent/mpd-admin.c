/*
 * mpd-admin: the administration service on an SMS Provider's agent: the
 * request handed to backend/admin/ (admin.h), which decides everything;
 * here only what belongs to the server: the role check, the request rates
 * and the line in adminservice.log. Served on a database handle of its
 * own under its own lock (one request at a time), never under mpd.lock:
 * a slow query or an issuance does not hold up the management point.
 *
 * Rates: a token bucket per client address (cfg.admin_rate_ip a second,
 * as many at once) and one for the provider (cfg.admin_rate_total, the
 * documented ceiling of 5,000); a request beyond either is 429 Too Many
 * Requests with Retry-After: 1, logged once a second per address. The
 * table holds MPD_RATES_SLOTS addresses; a full table drops the address
 * idle longest.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "hex.h"
#include "mp.h"
#include "mpd-int.h"
#include "xmalloc.h"

#define MPD_RATES_SLOTS	4096

struct mpd_bucket {
	char	 addr[48];	/* "" free */
	double	 tokens;
	double	 last;		/* monotonic seconds */
	double	 logged;	/* the last 429 logged */
};

struct mpd_rates {
	struct mpd_bucket	 all;
	struct mpd_bucket	 slot[MPD_RATES_SLOTS];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Take a token from b (rate a second, as many at once): 1, or 0 none. */
static int
bucket_take(struct mpd_bucket *b, double rate, double t)
{
	if (b->last == 0)
		b->tokens = rate;
	else
		b->tokens += (t - b->last) * rate;
	if (b->tokens > rate)
		b->tokens = rate;
	b->last = t;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

/* The address of "ADDR:PORT" ("[v6]:PORT" too). */
static void
peer_addr(const char *peer, char *out, size_t len)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

	if (n >= len)
		n = len - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

static struct mpd_bucket *
bucket_of(struct mpd_rates *r, const char *addr)
{
	size_t h = 5381, i, oldest = 0;

	for (const char *p = addr; *p; p++)
		h = h * 33 + (unsigned char)*p;
	/* Open addressing over 8 slots; else the idlest of them. */
	for (i = 0; i < 8; i++) {
		struct mpd_bucket *b = &r->slot[(h + i) % MPD_RATES_SLOTS];

		if (strcmp(b->addr, addr) == 0)
			return b;
		if (b->addr[0] == '\0') {
			snprintf(b->addr, sizeof b->addr, "%s", addr);
			return b;
		}
		if (b->last < r->slot[(h + oldest) % MPD_RATES_SLOTS].last)
			oldest = i;
	}
	i = (h + oldest) % MPD_RATES_SLOTS;
	memset(&r->slot[i], 0, sizeof r->slot[i]);
	snprintf(r->slot[i].addr, sizeof r->slot[i].addr, "%s", addr);
	return &r->slot[i];
}

/* 1 the request may go on, 0 answered 429. */
static int
admin_rate(struct mpd_conn *c, struct mpd_reply *r)
{
	struct mpd *m = mpd_conn_agent(c);
	int ip_rate = m->cfg.admin_rate_ip > 0 ? m->cfg.admin_rate_ip :
	    MPD_ADMIN_RATE_IP;
	int all_rate = m->cfg.admin_rate_total > 0 ? m->cfg.admin_rate_total :
	    MPD_ADMIN_RATE_TOTAL;
	struct mpd_bucket *b;
	char addr[48];
	double t = now_s();
	int ok;

	if (m->rates == NULL)
		m->rates = xcalloc(1, sizeof *m->rates);
	peer_addr(mpd_conn_peer(c), addr, sizeof addr);
	b = bucket_of(m->rates, addr);
	ok = bucket_take(b, ip_rate, t);
	if (ok && !bucket_take(&m->rates->all, all_rate, t)) {
		b->tokens += 1;			/* not taken after all */
		ok = -1;
	}
	if (ok == 1)
		return 1;
	mpd_reply_set(r, 429, "Too Many Requests", "application/json",
	    ok == 0 ? "{\"error\":{\"code\":\"TooManyRequests\",\"message\":"
	    "\"More requests a second from this address than the SMS"
	    " Provider allows: retry after a second\"}}\n" :
	    "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"The SMS"
	    " Provider is answering as many requests a second as it allows:"
	    " retry after a second\"}}\n");
	r->headers = xstrdup("Retry-After: 1\r\n");
	if (t - b->logged >= 1) {
		b->logged = t;
		cmlog_write(m->mplog[MPD_LOG_ADMIN], CMLOG_TYPE_WARNING,
		    mpd_mplog_comps[MPD_LOG_ADMIN], NULL, "429 from %s: more"
		    " than %d requests a second %s", addr, ok == 0 ? ip_rate :
		    all_rate, ok == 0 ? "from this address" : "in all");
	}
	return 0;
}

/* The byte at t, percent-decoded, also when encoded again ("%2565" is
 * 'e': "%25" is a '%' that takes the next two digits): how many bytes of
 * t it is, the byte in *ch. */
static size_t
pct_byte(const char *t, char *ch)
{
	size_t n = 0;

	*ch = t[0];
	while (*ch == '%' && hex_value(t[n + 1]) >= 0 &&
	    hex_value(t[n + 2]) >= 0) {
		*ch = (char)(hex_value(t[n + 1]) * 16 + hex_value(t[n + 2]));
		n += 2;
	}
	return n + 1;
}

/*
 * Text as logged (the target; the answer's message, which may quote what
 * it refuses, cut short): a bearer token in it, "ehttp_" and 8 or more of
 * its characters, percent-encoded (once or more) or not, is "ehttp_***";
 * the names of the database's own roles (ehttp_agent_..., ehttp_admin_...,
 * ehttp_reader_...) stay. Cut to fit out, never inside a token.
 */
static void
redacted(const char *t, char *out, size_t len)
{
	static const char *const roles[] = { "agent_", "admin_", "reader_" };
	char word[8];
	size_t o = 0, i, k, w;
	char ch;

	while (*t != '\0' && o + 1 < len) {
		memset(word, 0, sizeof word);
		for (i = k = 0; t[i] != '\0'; k++, i += w) {
			w = pct_byte(t + i, &ch);
			if (k < 6 ? ch != "ehttp_"[k] : !isalnum((unsigned
			    char)ch) && ch != '-' && ch != '_')
				break;
			if (k >= 6 && k - 6 < sizeof word - 1)
				word[k - 6] = ch;
		}
		for (size_t r = 0; r < sizeof roles / sizeof *roles; r++)
			if (strncmp(word, roles[r], strlen(roles[r])) == 0)
				k = 0;
		if (k >= 6 + 8) {
			if (o + 10 > len)
				break;
			memcpy(out + o, "ehttp_***", 9);
			o += 9;
			t += i;
			continue;
		}
		out[o++] = *t++;
	}
	out[o] = '\0';
}

/* The service's handle, opened at its first request: 0, or -1 (logged;
 * r answered 503). admin_lock held. */
static int
admin_handle(struct mpd *m, struct mpd_reply *r)
{
	char *cause = NULL;

	if (m->admin_e != NULL)
		return 0;
	if ((m->admin_e = ehttp_open(m->db_path, EHTTP_AGENT, &cause)) !=
	    NULL) {
		ehttp_set_user(m->admin_e, "ehttp-mpd");
		return 0;
	}
	cmlog_write(m->mplog[MPD_LOG_ADMIN], CMLOG_TYPE_ERROR,
	    mpd_mplog_comps[MPD_LOG_ADMIN], NULL, "Cannot open the site"
	    " database: %s", cause);
	free(cause);
	mpd_reply_set(r, 503, "Service Unavailable", "application/json",
	    "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"The"
	    " SMS Provider cannot open the site database (see"
	    " adminservice.log)\"}}\n");
	return -1;
}

int
mpd_admin_serve(struct mpd_conn *c, const struct mpd_req *q,
    struct mpd_reply *r, struct mp_answer *unused)
{
	struct mpd *m = mpd_conn_agent(c);
	struct admin_request rq = { 0 };
	struct admin_answer a = { 0 };
	char auth[MPD_HTTP_MAX_HEADERS + 1], ct[256], host[320], prefer[256];
	char target[301], log[1024], method[64];
	int provider;

	(void)unused;
	pthread_mutex_lock(&m->lock);
	provider = m->is_provider;
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_lock(&m->admin_lock);
	if (!admin_rate(c, r))
		goto out;
	if (!provider) {
		mpd_reply_set(r, 404, "Not Found", "text/plain", "This site"
		    " system has no SMS Provider role: no administration"
		    " service here.\n");
		goto out;
	}
	/* One of each: two Authorization (or Host, Content-Type) headers
	 * are one too many to guess from. */
	if (mpd_header_count(q->block, "Authorization") > 1 ||
	    mpd_header_count(q->block, "Host") > 1 ||
	    mpd_header_count(q->block, "Content-Type") > 1) {
		mpd_reply_set(r, 400, "Bad Request", "text/plain", "A header"
		    " is given more than once.\n");
		redacted(q->method, method, sizeof method);
		redacted(q->target, target, sizeof target);
		cmlog_write(m->mplog[MPD_LOG_ADMIN], CMLOG_TYPE_WARNING,
		    mpd_mplog_comps[MPD_LOG_ADMIN], NULL, "%s %s by - from %s:"
		    " 400 Authorization, Host or Content-Type given more than"
		    " once", method, target, mpd_conn_peer(c));
		goto out;
	}
	if (admin_handle(m, r) == -1)
		goto out;
	if (m->admin == NULL)
		m->admin = admin_state_new();
	rq.state = m->admin;
	rq.method = q->method;
	rq.target = q->target;
	rq.authorization = mpd_header(q->block, "Authorization", auth,
	    sizeof auth);
	rq.content_type = mpd_header(q->block, "Content-Type", ct, sizeof ct);
	rq.host = mpd_header(q->block, "Host", host, sizeof host);
	rq.prefer = mpd_header(q->block, "Prefer", prefer, sizeof prefer);
	rq.fqdn = m->fqdn;
	rq.peer = mpd_conn_peer(c);
	rq.body = q->body;
	rq.len = q->len;
	rq.now = time(NULL);
	admin_serve(m->admin_e, &rq, &a);
	explicit_bzero(auth, sizeof auth);
	/* Changes are recorded as the token's; its next records are the
	 * agent's again. */
	ehttp_set_user(m->admin_e, "ehttp-mpd");
	/* A method is any token: one may be a bearer token too. */
	redacted(q->method, method, sizeof method);
	redacted(q->target, target, sizeof target);
	redacted(a.log != NULL ? a.log : "", log, sizeof log);
	cmlog_write(m->mplog[MPD_LOG_ADMIN], a.log_type,
	    mpd_mplog_comps[MPD_LOG_ADMIN], NULL, "%s %s by %s from %s: %s",
	    method, target, a.user[0] ? a.user : "-", rq.peer, log);
	mpd_reply_set(r, a.status, mpd_reason(a.status), a.content_type, NULL);
	r->owned = a.body;
	r->body = a.body;
	r->len = a.len;
	r->allow = a.allow;
	r->www_auth = a.www_authenticate;
	r->headers = a.headers;
	a.body = NULL;
	a.headers = NULL;
	admin_answer_clear(&a);
out:
	pthread_mutex_unlock(&m->admin_lock);
	return 0;
}

void
mpd_admin_close(struct mpd *m)
{
	pthread_mutex_lock(&m->admin_lock);
	ehttp_close(m->admin_e);
	m->admin_e = NULL;
	pthread_mutex_unlock(&m->admin_lock);
}

void
mpd_admin_free(struct mpd *m)
{
	free(m->rates);
	m->rates = NULL;
	admin_state_free(m->admin);
	m->admin = NULL;
	ehttp_close(m->admin_e);
	m->admin_e = NULL;
}
