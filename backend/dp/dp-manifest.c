/*
 * dp-manifest: a package's manifest as the DP serves it (dp.h), read and
 * checked by the manifests' one reader (backend/manifest/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp-int.h"
#include "xmalloc.h"

_Static_assert(DP_PATH_MAX == MANIFEST_PATH_MAX, "one path limit");
_Static_assert(DP_PKGID_LEN == MANIFEST_ID_LEN, "one package id length");

int
dp_pkgid_valid(const char *s)
{
	return manifest_id_fault(s) == NULL;
}

struct dp_manifest *
dp_manifest_of(struct manifest *read, time_t mtime)
{
	struct dp_manifest *m = xcalloc(1, sizeof *m);

	m->refs = 1;
	m->read = read;
	m->mtime = mtime;
	memcpy(m->package, read->package, sizeof m->package);
	m->version = read->version;
	m->name = read->name;
	m->nfiles = read->nfiles;
	m->files = xcalloc(m->nfiles + 1, sizeof *m->files);
	for (size_t i = 0; i < m->nfiles; i++) {
		m->files[i].path = read->files[i].path;
		m->files[i].size = read->files[i].size;
		memcpy(m->files[i].sha256, read->files[i].sha256,
		    sizeof m->files[i].sha256);
	}
	return m;
}

struct dp_manifest *
dp_manifest_parse(const char *json, size_t len, const char *pkgid,
    char **cause)
{
	struct manifest *read = xcalloc(1, sizeof *read);

	if (manifest_parse(json, len, pkgid, read, cause) == -1) {
		manifest_clear(read);
		free(read);
		return NULL;
	}
	return dp_manifest_of(read, 0);
}

struct dp_manifest *
dp_manifest_ref(struct dp_manifest *m)
{
	__atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void
dp_manifest_free(struct dp_manifest *m)
{
	if (m == NULL || __atomic_fetch_sub(&m->refs, 1,
	    __ATOMIC_ACQ_REL) > 1)
		return;
	manifest_clear(m->read);
	free(m->read);
	free(m->files);
	free(m);
}

enum dp_kind
dp_manifest_find(const struct dp_manifest *m, const char *path,
    const struct dp_file **f)
{
	size_t at;

	if (f != NULL)
		*f = NULL;
	switch (manifest_find(m->read, path, &at)) {
	case MANIFEST_FILE:
		if (f != NULL)
			*f = &m->files[at];
		return DP_KIND_FILE;
	case MANIFEST_FOLDER:
		return DP_KIND_FOLDER;
	default:
		return DP_KIND_NONE;
	}
}
