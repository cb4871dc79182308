/*
 * mpd-commit: the agent's registration committer. A registration is
 * checked by the worker that read it (signature, certificate, bulk token)
 * and queued here; this thread stores every registration queued meanwhile
 * in one transaction (ehttp_client_register_many), so a storm of new
 * clients costs one sync to disk per batch instead of one per client, and
 * the workers go on with other connections while it is written. Each
 * registration then goes back to its worker, which answers it.
 *
 * The committer has a database handle of its own and never takes mpd.lock:
 * a slow disk delays the registrations, not the handshakes, tokens and
 * location requests. A batch that a registration fails is stored again
 * one registration at a time, so that one bad request fails alone.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mp.h"
#include "mpd-int.h"
#include "xmalloc.h"

void
mpd_pending_free(struct mpd_pending *p)
{
	if (p == NULL)
		return;
	mp_reg_free(p->reg);
	free(p);
}

/* Store a batch; each one's rc (and error) set. */
static void
mpd_commit_batch(struct mpd_commit *k, struct mpd_pending **b, size_t n)
{
	struct ehttp_client_reg *in = xreallocarray(NULL, n, sizeof *in);
	struct db_client *out = xreallocarray(NULL, n, sizeof *out);
	int *rcs = xreallocarray(NULL, n, sizeof *rcs);
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		in[i] = *mp_reg_in(b[i]->reg);
	pthread_mutex_lock(&k->db_lock);
	if (k->e != NULL)
		rc = ehttp_client_register_many(k->e, in, n, out, rcs);
	for (size_t i = 0; i < n; i++) {
		struct mpd_pending *p = b[i];

		/* One registration failed the batch: each on its own. A
		 * batch that could not begin or commit (another program
		 * writing for 10 s, a full disk) fails as a whole:
		 * one at a time, each would wait as long again. */
		if (rc == -1 && n > 1 && k->e != NULL)
			rcs[i] = ehttp_client_register(k->e, &in[i], &out[i]);
		else if (rc < 0)
			rcs[i] = -1;
		p->rc = rcs[i];
		p->cl = out[i];
		if (p->rc == -1)
			snprintf(p->error, sizeof p->error, "%s", k->e != NULL ?
			    ehttp_error(k->e) : "the site database is not"
			    " open (it was replaced and cannot be opened: see"
			    " above)");
	}
	pthread_mutex_unlock(&k->db_lock);
	free(in);
	free(out);
	free(rcs);
}

static void
mpd_seen_free(char **seen, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
}

/*
 * The clients' last contacts: a lost write loses a "last contact" time
 * only (the next poll writes the next ones). Written MPD_SEEN_CHUNK to a
 * transaction: one transaction of 25,000 would hold the database's write
 * lock long enough for the agent's own write at its poll to wait for it,
 * with every worker waiting behind the agent.
 */
#define MPD_SEEN_CHUNK	500
static void
mpd_commit_contacts(struct mpd_commit *k, char **seen, size_t n)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < n; i += MPD_SEEN_CHUNK) {
		pthread_mutex_lock(&k->db_lock);
		if (k->e != NULL)
			(void)ehttp_client_seen(k->e, (const char **)seen + i,
			    n - i < MPD_SEEN_CHUNK ? n - i : MPD_SEEN_CHUNK,
			    now);
		pthread_mutex_unlock(&k->db_lock);
	}
	mpd_seen_free(seen, n);
}

static void *
mpd_commit_main(void *arg)
{
	struct mpd *m = arg;
	struct mpd_commit *k = &m->commit;
	struct mpd_pending *b[MPD_COMMIT_BATCH];
	struct mpd_msg done = { MPD_MSG_DONE, -1, NULL };
	char **seen;
	size_t n, nseen;

	for (;;) {
		pthread_mutex_lock(&k->lock);
		while (k->head == NULL && k->seen == NULL && !k->stopping)
			pthread_cond_wait(&k->cond, &k->lock);
		seen = k->seen;
		nseen = k->nseen;
		k->seen = NULL;
		k->nseen = 0;
		for (n = 0; n < MPD_COMMIT_BATCH && k->head != NULL; n++) {
			b[n] = k->head;
			if ((k->head = b[n]->next) == NULL)
				k->tail = &k->head;
			b[n]->next = NULL;
		}
		pthread_mutex_unlock(&k->lock);
		if (seen != NULL)
			mpd_commit_contacts(k, seen, nseen);
		if (n == 0 && seen == NULL)
			break;		/* stopping, and nothing left */
		if (n == 0)
			continue;
		mpd_commit_batch(k, b, n);
		for (size_t i = 0; i < n; i++) {
			done.p = b[i];
			mpd_worker_post(b[i]->w, &done);
		}
	}
	return NULL;
}

static int
mpd_commit_handle(struct mpd *m, struct ehttp **e, char **cause)
{
	char who[64], user[96];

	if ((*e = ehttp_open(m->db_path, EHTTP_AGENT, cause)) == NULL)
		return -1;
	ehttp_acting_user(who, sizeof who);
	snprintf(user, sizeof user, "ehttp-mpd (%s)", who);
	ehttp_set_user(*e, user);
	return 0;
}

int
mpd_commit_start(struct mpd *m, char **cause)
{
	struct mpd_commit *k = &m->commit;
	sigset_t all, old;
	int err;

	k->tail = &k->head;
	if (pthread_mutex_init(&k->lock, NULL) != 0 ||
	    pthread_mutex_init(&k->db_lock, NULL) != 0 ||
	    pthread_cond_init(&k->cond, NULL) != 0) {
		xasprintf(cause, "cannot make the committer's locks");
		return -1;
	}
	k->set_up = 1;
	if (mpd_commit_handle(m, &k->e, cause) == -1)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&k->thread, NULL, mpd_commit_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		xasprintf(cause, "cannot start the registration committer: %s",
		    strerror(err));
		return -1;
	}
	k->started = 1;
	return 0;
}

int
mpd_commit_queue(struct mpd *m, struct mpd_pending *p)
{
	struct mpd_commit *k = &m->commit;
	int rc = -1;

	pthread_mutex_lock(&k->lock);
	if (k->started && !k->stopping) {
		p->next = NULL;
		*k->tail = p;
		k->tail = &p->next;
		pthread_cond_signal(&k->cond);
		rc = 0;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

void
mpd_commit_seen(struct mpd *m, char **smsids, size_t n)
{
	struct mpd_commit *k = &m->commit;

	if (n == 0) {
		free(smsids);
		return;
	}
	pthread_mutex_lock(&k->lock);
	if (!k->started || k->stopping || k->seen != NULL) {
		/* None to write them, or the last ones not written yet (a
		 * disk slower than the polls): these are dropped. */
		pthread_mutex_unlock(&k->lock);
		mpd_seen_free(smsids, n);
		return;
	}
	k->seen = smsids;
	k->nseen = n;
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

void
mpd_commit_stop(struct mpd *m)
{
	struct mpd_commit *k = &m->commit;

	if (!k->set_up)
		return;
	if (k->started) {
		pthread_mutex_lock(&k->lock);
		k->stopping = 1;
		pthread_cond_signal(&k->cond);
		pthread_mutex_unlock(&k->lock);
		pthread_join(k->thread, NULL);
		k->started = 0;
	}
	ehttp_close(k->e);
	k->e = NULL;
}

void
mpd_commit_pause(struct mpd *m)
{
	if (m->commit.set_up)
		pthread_mutex_lock(&m->commit.db_lock);
}

void
mpd_commit_resume(struct mpd *m, int close_db)
{
	struct mpd_commit *k = &m->commit;

	if (!k->set_up)
		return;
	if (close_db) {
		ehttp_close(k->e);
		k->e = NULL;
	}
	pthread_mutex_unlock(&k->db_lock);
}

int
mpd_commit_open_db(struct mpd *m, char **cause)
{
	struct mpd_commit *k = &m->commit;
	struct ehttp *e;

	if (!k->set_up || k->e != NULL)
		return 0;
	if (mpd_commit_handle(m, &e, cause) == -1)
		return -1;
	pthread_mutex_lock(&k->db_lock);
	k->e = e;
	pthread_mutex_unlock(&k->db_lock);
	return 0;
}
