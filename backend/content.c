/*
 * content: packages and the content library, the site side (content.h).
 * What a package is lives in the database (db-package.c); its bytes live
 * in the libraries (content-lib.c), each filled before the database says
 * it is there and emptied after the database says it is going.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content-int.h"
#include "xmalloc.h"

#define WHY(e)	(e)->err, sizeof (e)->err

/* ---------------------------------------------------------------- where */

void
ehttp_content_set_root(struct ehttp *e, const char *dir)
{
	free(e->content_root);
	e->content_root = dir != NULL ? xstrdup(dir) : NULL;
}

/* The content root: --content, else the default (content.h). */
static const char *
ehttp_content_root(struct ehttp *e)
{
	if (e->content_root != NULL)
		return e->content_root;
	if (e->content_default == NULL) {
		char *home = ehttp_home_dir(e->db_target);

		e->content_default = manifest_content_root(NULL, home);
		free(home);
	}
	return e->content_default;
}

char *
ehttp_content_site_lib(struct ehttp *e, const char *code)
{
	return manifest_lib_dir(ehttp_content_root(e), MANIFEST_LIB_SITE, code);
}

char *
ehttp_content_dp_lib(struct ehttp *e, const char *fqdn_in)
{
	char fqdn[256];

	if (rules_fqdn(fqdn_in, fqdn, WHY(e)) == -1)
		return NULL;
	return manifest_lib_dir(ehttp_content_root(e), MANIFEST_LIB_DP, fqdn);
}

/* ------------------------------------------------------------- packages */

/* The id as given, upper-cased and checked; -1 with the reason. */
static int
package_id(struct ehttp *e, const char *in, char id[9])
{
	char *cause = NULL;
	size_t i;

	for (i = 0; in[i] != '\0' && i < 8; i++)
		id[i] = (char)toupper((unsigned char)in[i]);
	id[i] = '\0';
	if (in[i] != '\0' || manifest_id_check(id, &cause) == -1) {
		free(cause);
		cause = NULL;
		manifest_id_check(in, &cause);
		ehttp_fail(e, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

int
ehttp_package_resolve(struct ehttp *e, const char *in, struct db_package *p)
{
	char id[9];

	if (package_id(e, in, id) == -1)
		return 0;
	return ehttp_found(e, db_package_get(e->db, id, p), "package %s: no"
	    " such package", id);
}

int
ehttp_package_list(struct ehttp *e, int64_t site_id, struct db_package **v,
    size_t *n)
{
	return db_package_list(e->db, site_id, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_package_files(struct ehttp *e, const struct db_package *p,
    struct db_package_file **v, size_t *n)
{
	return db_package_files(e->db, p->id, p->version, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

/*
 * A row left "distributing" or "removing" by a command that was killed
 * (or whose machine stopped): no command holds the DP library's lock, and
 * the row still says so once none can start. Shown as what the library
 * holds: "installed" if the version's manifest was written, else "failed"
 * with the command that finishes the work (the next distribute or
 * undistribute writes the row again). The database is not changed here.
 */
static void
dp_row_interrupted(const char *lib, struct db_package_dp *d)
{
	struct manifest m = { 0 };
	char *cause = NULL;
	int removing = strcmp(d->state, "removing") == 0;

	if (!removing && manifest_read(lib, d->package_id, &m, NULL,
	    &cause) == 1 && m.version == d->version)
		snprintf(d->state, sizeof d->state, "installed");
	else {
		snprintf(d->state, sizeof d->state, "failed");
		snprintf(d->error, sizeof d->error, "interrupted while it was"
		    " %s (the command was killed or stopped): ehttpctl package"
		    " %s %s --dp %s %s", removing ? "removed" : "copied",
		    removing ? "undistribute" : "distribute", d->package_id,
		    d->fqdn, removing ? "removes it" : "tries again");
	}
	manifest_clear(&m);
	free(cause);
}

static int
dp_row_settle(struct ehttp *e, struct db_package_dp *d)
{
	struct db_package_dp now;
	char *lib;
	int fd = -1, rc = 1;

	if (strcmp(d->state, "distributing") != 0 &&
	    strcmp(d->state, "removing") != 0)
		return 0;
	if ((lib = ehttp_content_dp_lib(e, d->fqdn)) == NULL)
		return -1;
	/* Running, or cannot tell: as the row says. Else the row again, now
	 * that no command can change it. */
	if (content_lib_writing(lib, &fd) == 0 &&
	    (rc = db_package_dp_get(e->db, d->package_id, d->system_id,
	    &now)) == 1) {
		*d = now;
		if (strcmp(d->state, "distributing") == 0 ||
		    strcmp(d->state, "removing") == 0)
			dp_row_interrupted(lib, d);
	}
	if (fd != -1)
		close(fd);
	free(lib);
	return rc == -1 ? ehttp_fail_db(e) : 0;
}

int
ehttp_package_dps(struct ehttp *e, const char *id, int64_t system_id,
    struct db_package_dp **v, size_t *n)
{
	if (db_package_dp_list(e->db, id, system_id, v, n) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < *n; i++)
		if (dp_row_settle(e, &(*v)[i]) == -1) {
			free(*v);
			*v = NULL;
			*n = 0;
			return -1;
		}
	return 0;
}

/* The site that owns a new package: the one named, else the only CAS or
 * primary site. A secondary site has no packages of its own. */
static int
package_site(struct ehttp *e, const char *code, struct db_site *s)
{
	struct db_site *v = NULL;
	size_t n = 0, found = 0;
	char names[64] = "";

	if (code != NULL) {
		if (ehttp_site_resolve(e, code, s) != 1)
			return -1;
		if (s->type == DB_SITE_SECONDARY)
			return ehttp_fail(e, "site %s is a secondary site: a"
			    " package belongs to a primary site or the CAS",
			    s->code);
		return 0;
	}
	if (db_site_list(e->db, &v, &n) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < n; i++)
		if (v[i].type != DB_SITE_SECONDARY) {
			if (found++ == 0)
				*s = v[i];
			if (strlen(names) + 6 < sizeof names)
				snprintf(names + strlen(names), sizeof names -
				    strlen(names), "%s%s", found > 1 ? ", " :
				    "", v[i].code);
		}
	free(v);
	if (found == 1)
		return 0;
	return ehttp_fail(e, found == 0 ? "no site can own a package (add a"
	    " primary site first)%s" : "more than one site can own the"
	    " package (%s): give --site CODE", names);
}

/* The manifest of a package's current version, as the database has it. */
static int
manifest_from_db(struct ehttp *e, const struct db_package *p,
    struct manifest *m)
{
	struct db_package_file *f = NULL;
	size_t n = 0;

	memset(m, 0, sizeof *m);
	if (db_package_files(e->db, p->id, p->version, &f, &n) == -1)
		return ehttp_fail_db(e);
	memcpy(m->package, p->id, sizeof m->package);
	m->version = p->version;
	m->name = xstrdup(p->name);
	for (size_t i = 0; i < n; i++)
		manifest_add(m, f[i].path, (uint64_t)f[i].size, f[i].sha256);
	free(f);
	return 0;
}

/*
 * The site's library made consistent before a change (the lock held):
 * temporary files of a killed command removed, a manifest the database
 * does not know (an add killed before it was recorded) removed, one of
 * another version (an update killed before it was recorded) written
 * again from the database, then the files nothing names removed.
 */
static int
site_lib_tidy(struct ehttp *e, struct content_lib *l)
{
	struct ehttp_content_result r = { 0 };
	struct db_package p;
	struct manifest m, cur;
	char **ids = NULL, *cause = NULL;
	size_t n = 0;
	int rc = 0, found;

	if (content_lib_sweep(l) == -1 || content_lib_ids(l, &ids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((found = db_package_get(e->db, ids[i], &p)) == -1)
			rc = ehttp_fail_db(e);
		else if (found == 0)
			rc = content_lib_manifest_remove(l, ids[i]) == -1 ? -1 : 0;
		else {
			if (manifest_read(content_lib_dir(l), ids[i], &cur, NULL,
			    &cause) != 1 || cur.version != p.version) {
				if ((rc = manifest_from_db(e, &p, &m)) == 0)
					rc = content_lib_manifest_write(l, &m);
				manifest_clear(&m);
			}
			manifest_clear(&cur);
			free(cause);
			cause = NULL;
		}
	}
	strv_free(ids, n);
	return rc == 0 ? content_lib_gc(l, &r) : -1;
}

/* Each file of src hashed, then stored in the library; m gets them. */
static int
store_source(struct content_lib *l, const struct content_src *src,
    struct manifest *m, struct ehttp_content_result *r)
{
	char sha[65];
	uint64_t size;

	for (size_t i = 0; i < src->n; i++) {
		const struct content_src_file *f = &src->files[i];

		if (content_lib_hash(l, f->abs, &size, sha) == -1 ||
		    content_lib_store(l, f->abs, size, sha, r) == -1)
			return -1;
		manifest_add(m, f->path, size, sha);
		r->files++;
		r->bytes += (int64_t)size;
	}
	return content_lib_sync(l);
}

/* A failed change undone on the library as far as it goes, keeping the
 * handle's message (what failed) over any of the undoing's. */
static void
lib_undo(struct ehttp *e, struct content_lib *l, const char *id)
{
	struct ehttp_content_result r = { 0 };
	char keep[sizeof e->err];

	if (l == NULL)
		return;
	memcpy(keep, e->err, sizeof keep);
	if (id != NULL)
		(void)content_lib_manifest_remove(l, id);
	(void)content_lib_gc(l, &r);
	memcpy(e->err, keep, sizeof keep);
}

/* A manifest's file as the database's row of it. */
static void
file_row(const struct manifest_file *mf, struct db_package_file *f)
{
	snprintf(f->path, sizeof f->path, "%s", mf->path);
	f->size = (int64_t)mf->size;
	memcpy(f->sha256, mf->sha256, sizeof f->sha256);
}

/* The files of m's version recorded (in the caller's transaction). */
static int
record_files(struct ehttp *e, const struct manifest *m)
{
	struct db_package_file f;

	for (size_t i = 0; i < m->nfiles; i++) {
		file_row(&m->files[i], &f);
		if (db_package_file_add(e->db, m->package, m->version, &f) ==
		    -1)
			return ehttp_fail_db(e);
	}
	return 0;
}

/* The new package and its files, in one transaction. */
static int
record_new(struct ehttp *e, const struct db_site *s, struct db_package *p,
    const struct manifest *m, const struct ehttp_content_result *r)
{
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_package_insert(e->db, p) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	if (record_files(e, m) == -1)
		return ehttp_end(e, -1);
	return ehttp_end(e, ehttp_record(e, s->id, "info", "package add",
	    p->id, "Package %s (%s) version 1 added to site %s: %lld files,"
	    " %lld bytes, from %s.", p->id, p->name, s->code,
	    (long long)r->files, (long long)r->bytes, p->source));
}

int
ehttp_package_add(struct ehttp *e, const char *site, const char *name,
    const char *source, struct db_package *out,
    struct ehttp_content_result *r)
{
	struct content_src src = { 0 };
	struct content_lib *l = NULL;
	struct manifest m = { 0 };
	struct db_package p = { .version = 1 };
	struct db_site s;
	char *lib = NULL, *cause = NULL, what[64];
	int rc = -1, written = 0;

	memset(r, 0, sizeof *r);
	ehttp_notes_clear(e);
	if (package_site(e, site, &s) == -1)
		return -1;
	if (manifest_name_check(name, &cause) == -1) {
		ehttp_fail(e, "%s", cause);
		free(cause);
		return -1;
	}
	if (content_walk(e, source, ehttp_content_root(e), &src) == -1)
		goto out;
	lib = ehttp_content_site_lib(e, s.code);
	if (content_lib_open(e, lib, &l) == -1 || site_lib_tidy(e, l) == -1)
		goto out;
	/* The id first, committed: an add that fails uses it up, and no
	 * two packages ever share one. */
	if (ehttp_begin(e) == -1)
		goto out;
	if (db_package_next_id(e->db, s.id, s.code, p.id) == -1) {
		ehttp_end(e, ehttp_fail_db(e));
		goto out;
	}
	if (ehttp_commit(e) == -1)
		goto out;
	snprintf(what, sizeof what, "Adding %s (%llu MiB)", p.id,
	    (unsigned long long)(src.bytes >> 20));
	content_lib_progress(l, what, 3 * src.bytes);
	memcpy(m.package, p.id, sizeof m.package);
	m.version = 1;
	m.name = xstrdup(name);
	if (store_source(l, &src, &m, r) == -1 ||
	    content_lib_manifest_write(l, &m) == -1)
		goto out;
	written = 1;
	p.site_id = s.id;
	snprintf(p.site_code, sizeof p.site_code, "%s", s.code);
	snprintf(p.name, sizeof p.name, "%s", name);
	snprintf(p.source, sizeof p.source, "%s", src.root);
	p.created = p.updated = time(NULL);
	if (record_new(e, &s, &p, &m, r) == -1)
		goto out;
	rc = db_package_get(e->db, p.id, out) == 1 ? 0 : ehttp_fail_db(e);
out:
	if (rc == -1)
		lib_undo(e, l, written ? p.id : NULL);
	manifest_clear(&m);
	content_lib_close(l);
	content_src_clear(&src);
	free(lib);
	return rc;
}

/* The next version and its files, in one transaction. */
static int
record_version(struct ehttp *e, const struct db_package *p,
    const struct manifest *m, const char *source,
    const struct ehttp_content_result *r)
{
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_package_set_version(e->db, p->id, m->version, source,
	    time(NULL)) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	if (record_files(e, m) == -1)
		return ehttp_end(e, -1);
	return ehttp_end(e, ehttp_record(e, p->site_id, "info",
	    "package update", p->id, "Package %s (%s) updated to version"
	    " %lld: %lld files, %lld bytes, from %s.", p->id, p->name,
	    (long long)m->version, (long long)r->files, (long long)r->bytes,
	    source));
}

static void	redistribute(struct ehttp *, const struct db_package *);

int
ehttp_package_update(struct ehttp *e, const char *id, const char *source,
    struct db_package *out, struct ehttp_content_result *r)
{
	struct content_src src = { 0 };
	struct content_lib *l = NULL;
	struct manifest m = { 0 }, old = { 0 };
	struct db_package p;
	char *lib = NULL, what[64];
	int rc = -1;

	memset(r, 0, sizeof *r);
	ehttp_notes_clear(e);
	if (ehttp_package_resolve(e, id, &p) != 1)
		return -1;
	if (content_walk(e, source != NULL ? source : p.source,
	    ehttp_content_root(e), &src) == -1)
		goto out;
	lib = ehttp_content_site_lib(e, p.site_code);
	if (content_lib_open(e, lib, &l) == -1 || site_lib_tidy(e, l) == -1)
		goto out;
	snprintf(what, sizeof what, "Updating %s (%llu MiB)", p.id,
	    (unsigned long long)(src.bytes >> 20));
	content_lib_progress(l, what, 3 * src.bytes);
	memcpy(m.package, p.id, sizeof m.package);
	m.version = p.version + 1;
	m.name = xstrdup(p.name);
	if (store_source(l, &src, &m, r) == -1 ||
	    content_lib_manifest_write(l, &m) == -1)
		goto out;
	if (record_version(e, &p, &m, src.root, r) == -1) {
		/* The library back to the version the database has. */
		char keep[sizeof e->err];

		memcpy(keep, e->err, sizeof keep);
		if (manifest_from_db(e, &p, &old) == 0)
			(void)content_lib_manifest_write(l, &old);
		memcpy(e->err, keep, sizeof keep);
		goto out;
	}
	if (content_lib_gc(l, r) == -1 ||
	    db_package_get(e->db, p.id, out) != 1) {
		ehttp_note(e, EHTTP_NOTE_WARNING, "Package %s is at version"
		    " %lld; tidying the site's library failed: %s", p.id,
		    (long long)m.version, ehttp_error(e));
		*out = p;
		out->version = m.version;
	}
	rc = 0;
out:
	if (rc == -1)
		lib_undo(e, l, NULL);
	manifest_clear(&m);
	manifest_clear(&old);
	content_lib_close(l);
	content_src_clear(&src);
	free(lib);
	/* The site's library is free again while the DPs are filled. */
	if (rc == 0 && p.dps > 0)
		redistribute(e, out);
	return rc;
}

/* ---------------------------------------------------- distribution points */

/* Is site_id the site top or one below it? 1, 0, -1. */
static int
site_below(struct ehttp *e, int64_t site_id, int64_t top)
{
	struct db_site s;

	for (int depth = 0; site_id != 0 && depth < 8; depth++) {
		if (site_id == top)
			return 1;
		if (ehttp_site_by_id(e, site_id, &s) == -1)
			return -1;
		site_id = s.parent_id;
	}
	return 0;
}

/* fqdn as a distribution point the package can go to. */
static int
dp_resolve(struct ehttp *e, const struct db_package *p, const char *fqdn,
    struct db_system *y)
{
	struct db_role role;
	int rc;

	if (ehttp_system_resolve(e, fqdn, y) != 1)
		return -1;
	if ((rc = db_role_get(e->db, y->id, "dp", &role)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "%s is not a distribution point (it has"
		    " no dp role: ehttpctl role add %s dp)", y->fqdn, y->fqdn);
	if ((rc = site_below(e, y->site_id, p->site_id)) == -1)
		return -1;
	if (rc == 0)
		return ehttp_fail(e, "%s is in site %s, which is not %s nor"
		    " below it: package %s cannot go there", y->fqdn,
		    y->site_code, p->site_code, p->id);
	return 0;
}

/* The package's row on a distribution point set, and recorded. */
static int
dp_state(struct ehttp *e, const struct db_package *p,
    const struct db_system *y, int64_t version, const char *state,
    const char *error, struct db_package_dp *d)
{
	const char *sev = strcmp(state, "failed") == 0 ? "error" : "info";

	memset(d, 0, sizeof *d);
	memcpy(d->package_id, p->id, sizeof d->package_id);
	d->system_id = y->id;
	snprintf(d->fqdn, sizeof d->fqdn, "%s", y->fqdn);
	d->version = version;
	snprintf(d->state, sizeof d->state, "%s", state);
	snprintf(d->error, sizeof d->error, "%s", error);
	d->time = time(NULL);
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_package_dp_set(e->db, d) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	if (strcmp(state, "removing") == 0)	/* undistribute records the end */
		return ehttp_end(e, 0);
	return ehttp_end(e, ehttp_record(e, p->site_id, sev,
	    "package distribute", p->id, "Package %s version %lld on %s: %s%s"
	    "%s.", p->id, (long long)version, y->fqdn, state,
	    *error ? ": " : "", error));
}

/* The files of the current version into the distribution point's
 * library, the manifest last, then what nothing names any more. */
static int
dp_fill(struct ehttp *e, struct content_lib *l, const struct db_package *p,
    const struct db_system *y, struct ehttp_content_result *r)
{
	struct manifest m;
	char *site_lib = ehttp_content_site_lib(e, p->site_code), *src;
	char what[320];
	int rc = -1;

	if (manifest_from_db(e, p, &m) == -1)
		goto out;
	snprintf(what, sizeof what, "Distributing %s (%llu MiB) to %s", p->id,
	    (unsigned long long)(p->size >> 20), y->fqdn);
	content_lib_progress(l, what, 2 * (uint64_t)p->size);
	for (size_t i = 0; i < m.nfiles; i++) {
		src = manifest_file_path(site_lib, m.files[i].sha256);
		rc = content_lib_store(l, src, m.files[i].size,
		    m.files[i].sha256, r);
		free(src);
		if (rc == -1)
			goto out;
		r->files++;
		r->bytes += (int64_t)m.files[i].size;
	}
	rc = -1;
	if (content_lib_sync(l) == -1 || content_lib_manifest_write(l, &m) == -1)
		goto out;
	rc = content_lib_gc(l, r);
out:
	manifest_clear(&m);
	free(site_lib);
	return rc;
}

/* The package's current version onto the distribution point y: its
 * library locked, the row "distributing", the files, the manifest last,
 * then "installed" (or "failed" with the reason: -1). */
static int
dp_distribute(struct ehttp *e, const struct db_package *p,
    const struct db_system *y, struct db_package_dp *out,
    struct ehttp_content_result *r)
{
	struct content_lib *l = NULL;
	char *lib = NULL, why[sizeof e->err];
	int rc = -1;

	memset(r, 0, sizeof *r);
	if ((lib = ehttp_content_dp_lib(e, y->fqdn)) == NULL ||
	    content_lib_open(e, lib, &l) == -1)
		goto out;
	if (dp_state(e, p, y, p->version, "distributing", "", out) == -1)
		goto out;
	if (content_lib_sweep(l) == 0 && dp_fill(e, l, p, y, r) == 0) {
		rc = dp_state(e, p, y, p->version, "installed", "", out);
		goto out;
	}
	/* Nothing half served: the manifest was not written. */
	snprintf(why, sizeof why, "%s", ehttp_error(e));
	if (dp_state(e, p, y, p->version, "failed", why, out) == 0)
		ehttp_fail(e, "%s", why);
out:
	content_lib_close(l);
	free(lib);
	return rc;
}

int
ehttp_package_distribute(struct ehttp *e, const char *id, const char *fqdn,
    struct db_package_dp *out, struct ehttp_content_result *r)
{
	struct db_package p;
	struct db_system y;

	memset(r, 0, sizeof *r);
	memset(out, 0, sizeof *out);
	ehttp_notes_clear(e);
	if (ehttp_package_resolve(e, id, &p) != 1 ||
	    dp_resolve(e, &p, fqdn, &y) == -1)
		return -1;
	return dp_distribute(e, &p, &y, out, r);
}

/*
 * After an update (p at its new version): the new version onto every
 * distribution point that holds the package, as Configuration Manager
 * redistributes an updated package. Each keeps serving the version it has
 * until the new manifest replaces the old one; one that fails keeps it
 * too, its row "failed" with the reason. Notes say how each went.
 */
static void
redistribute(struct ehttp *e, const struct db_package *p)
{
	struct ehttp_content_result r;
	struct db_package_dp *d = NULL, row;
	struct db_system y;
	size_t n = 0;

	if (db_package_dp_list(e->db, p->id, 0, &d, &n) == -1) {
		ehttp_note(e, EHTTP_NOTE_WARNING, "Package %s: its distribution"
		    " points cannot be read, nothing redistributed: %s", p->id,
		    db_error(e->db));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(d[i].state, "removing") == 0) {
			ehttp_note(e, EHTTP_NOTE_WARNING, "%s: not redistributed,"
			    " the package is being removed from it (ehttpctl"
			    " package undistribute %s --dp %s finishes that)",
			    d[i].fqdn, p->id, d[i].fqdn);
			continue;
		}
		if (dp_resolve(e, p, d[i].fqdn, &y) == 0 &&
		    dp_distribute(e, p, &y, &row, &r) == 0)
			ehttp_note(e, EHTTP_NOTE_INFO, "Version %lld is"
			    " installed on %s (%lld file%s copied, %lld"
			    " already there).", (long long)p->version, y.fqdn,
			    (long long)r.copied, r.copied == 1 ? "" : "s",
			    (long long)r.present);
		else
			ehttp_note(e, EHTTP_NOTE_WARNING, "%s keeps version"
			    " %lld: %s (ehttpctl package distribute %s --dp"
			    " %s tries again)", d[i].fqdn,
			    (long long)d[i].version, ehttp_error(e), p->id,
			    d[i].fqdn);
	}
	free(d);
}

/* Is the manifest of id in the library at lib? */
static int
manifest_there(const char *lib, const char *id)
{
	char *path = manifest_pkg_path(lib, id);
	struct stat sb;
	int rc;

	rc = lstat(path, &sb) == 0 || errno != ENOENT;
	free(path);
	return rc;
}

/* The package off one distribution point: removing, the manifest, the
 * files nothing names, then the row. */
static int
dp_empty(struct ehttp *e, const struct db_package *p,
    const struct db_system *y, struct ehttp_content_result *r)
{
	struct content_lib *l = NULL;
	struct db_package_dp d;
	char *lib = NULL;
	int rc = -1, row;

	if ((row = db_package_dp_get(e->db, p->id, y->id, &d)) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	if ((lib = ehttp_content_dp_lib(e, y->fqdn)) == NULL)
		goto out;
	/* Neither the database nor the library has it: nothing to do (and
	 * no library made for nothing). */
	if (row == 0 && !manifest_there(lib, p->id)) {
		ehttp_fail(e, "package %s is not on %s", p->id, y->fqdn);
		goto out;
	}
	if (content_lib_open(e, lib, &l) == -1)
		goto out;
	if (row == 1 && dp_state(e, p, y, d.version, "removing", "", &d) == -1)
		goto out;
	if (content_lib_manifest_remove(l, p->id) == -1 ||
	    content_lib_sweep(l) == -1 || content_lib_gc(l, r) == -1 ||
	    ehttp_begin(e) == -1)
		goto out;
	if (db_package_dp_delete(e->db, p->id, y->id) == -1) {
		ehttp_end(e, ehttp_fail_db(e));
		goto out;
	}
	rc = ehttp_end(e, ehttp_record(e, p->site_id, "info",
	    "package undistribute", p->id, "Package %s removed from %s"
	    " (%lld files no other package names removed).", p->id, y->fqdn,
	    (long long)r->removed));
out:
	content_lib_close(l);
	free(lib);
	return rc;
}

int
ehttp_package_undistribute(struct ehttp *e, const char *id, const char *fqdn,
    struct ehttp_content_result *r)
{
	struct db_package p;
	struct db_system y;

	memset(r, 0, sizeof *r);
	ehttp_notes_clear(e);
	if (ehttp_package_resolve(e, id, &p) != 1 ||
	    ehttp_system_resolve(e, fqdn, &y) != 1)
		return -1;
	return dp_empty(e, &p, &y, r);
}

/* "dp1, dp2 and 3 more" for a refusal. */
static void
dp_names(const struct db_package_dp *d, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && i < 3; i++)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
		    i ? ", " : "", d[i].fqdn);
	if (i < n && o < len)
		snprintf(buf + o, len - o, " and %zu more", n - i);
}

int
ehttp_package_remove(struct ehttp *e, const char *id, int force,
    struct ehttp_content_result *r)
{
	struct db_package_dp *d = NULL;
	struct content_lib *l = NULL;
	struct db_package p;
	struct db_system y;
	char *lib = NULL, names[256];
	size_t n = 0;
	int rc = -1;

	memset(r, 0, sizeof *r);
	ehttp_notes_clear(e);
	if (ehttp_package_resolve(e, id, &p) != 1)
		return -1;
	if (db_package_dp_list(e->db, p.id, 0, &d, &n) == -1)
		return ehttp_fail_db(e);
	if (n > 0 && !force) {
		dp_names(d, n, names, sizeof names);
		ehttp_fail(e, "package %s is on %zu distribution point%s (%s):"
		    " undistribute it first, or remove it with --force", p.id,
		    n, n == 1 ? "" : "s", names);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (ehttp_system_by_id(e, d[i].system_id, &y) == -1 ||
		    dp_empty(e, &p, &y, r) == -1)
			goto out;
	lib = ehttp_content_site_lib(e, p.site_code);
	if (content_lib_open(e, lib, &l) == -1 ||
	    content_lib_manifest_remove(l, p.id) == -1 ||
	    content_lib_gc(l, r) == -1 || ehttp_begin(e) == -1)
		goto out;
	if (db_package_delete(e->db, p.id) == -1) {
		ehttp_end(e, ehttp_fail_db(e));
		goto out;
	}
	rc = ehttp_end(e, ehttp_record(e, p.site_id, "info", "package remove",
	    p.id, "Package %s (%s) removed%s.", p.id, p.name, n > 0 ?
	    " with --force, from its distribution points first" : ""));
out:
	content_lib_close(l);
	free(lib);
	free(d);
	return rc;
}

/* ------------------------------------------------------------- readers */

int
ehttp_content_manifest(const char *lib, const char *in,
    struct db_package *p, struct db_package_file **files, size_t *n,
    char **cause)
{
	struct manifest m;
	char id[9];
	size_t i;
	int rc;

	*cause = NULL;
	*files = NULL;
	*n = 0;
	for (i = 0; in[i] != '\0' && i < 8; i++)
		id[i] = (char)toupper((unsigned char)in[i]);
	id[i] = '\0';
	if (in[i] != '\0' || manifest_id_fault(id) != NULL)
		return 0;	/* no package has that name */
	if ((rc = manifest_read(lib, id, &m, NULL, cause)) == 1) {
		memset(p, 0, sizeof *p);
		memcpy(p->id, m.package, sizeof p->id);
		p->version = m.version;
		snprintf(p->name, sizeof p->name, "%s", m.name);
		*files = xcalloc(m.nfiles ? m.nfiles : 1, sizeof **files);
		for (i = 0; i < m.nfiles; i++)
			file_row(&m.files[i], &(*files)[i]);
		*n = m.nfiles;
	}
	manifest_clear(&m);
	return rc < 0 ? -1 : rc;
}
