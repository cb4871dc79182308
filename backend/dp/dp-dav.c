/*
 * dp-dav: the WebDAV listing of a package (RFC 4918 PROPFIND, Depth 0 and
 * 1), as IIS's WebDAV module answers a Configuration Manager client: one
 * D:response per resource, hrefs as absolute paths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "timefmt.h"
#include "utf8.h"
#include "xmalloc.h"

#define DP_NS_EHTTP	"urn:ehttp:dp"

/* Text for XML 1.0: & < > " ' escaped; a character XML cannot hold (C0
 * but tab, LF and CR; U+FFFE, U+FFFF) and bytes that are not UTF-8 become
 * U+FFFD. */
static void
dp_xml_text(FILE *f, const char *s)
{
	size_t n = strlen(s), k;
	uint32_t cp;

	for (size_t i = 0; i < n; i += k) {
		if ((k = utf8_next(s + i, n - i, &cp)) == 0) {
			fputs("\xef\xbf\xbd", f);
			k = 1;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); continue;
		case '<': fputs("&lt;", f); continue;
		case '>': fputs("&gt;", f); continue;
		case '"': fputs("&quot;", f); continue;
		case '\'': fputs("&apos;", f); continue;
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    cp == 0xfffe || cp == 0xffff)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(s + i, 1, k, f);
	}
}

/* A path segment for an href: unreserved characters (RFC 3986), '$'
 * and '/' as they are, every other byte %XX. */
static void
dp_href_part(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '$' || c == '/')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

struct dp_dav {
	FILE				*f;
	const struct dp_manifest	*m;
	const struct dp_target		*t;
	char				 modified[TIMEFMT_LEN];
	char				 created[TIMEFMT_LEN];
};

/* One D:response: path "" the package folder; f NULL a folder. */
static void
dp_dav_response(struct dp_dav *d, const char *path, const char *name,
    const struct dp_file *file)
{
	FILE *f = d->f;

	fputs("<D:response><D:href>/", f);
	dp_href_part(f, dp_vdir_names[d->t->vdir]);
	fputc('/', f);
	dp_href_part(f, d->m->package);
	if (*path != '\0') {
		fputc('/', f);
		dp_href_part(f, path);
	}
	if (file == NULL)
		fputc('/', f);
	fputs("</D:href><D:propstat><D:prop><D:displayname>", f);
	dp_xml_text(f, name);
	fputs("</D:displayname>", f);
	if (file == NULL)
		fputs("<D:resourcetype><D:collection/></D:resourcetype>"
		    "<D:getcontentlength>0</D:getcontentlength>", f);
	else
		fprintf(f, "<D:resourcetype/><D:getcontentlength>%llu"
		    "</D:getcontentlength><D:getcontenttype>"
		    "application/octet-stream</D:getcontenttype>",
		    (unsigned long long)file->size);
	fprintf(f, "<D:getlastmodified>%s</D:getlastmodified>"
	    "<D:creationdate>%s</D:creationdate>", d->modified, d->created);
	if (file != NULL)
		fprintf(f, "<D:getetag>&quot;%s&quot;</D:getetag>"
		    "<E:sha256>%s</E:sha256>", file->sha256, file->sha256);
	if (*path == '\0' && file == NULL) {
		fprintf(f, "<E:version>%lld</E:version><E:name>",
		    d->m->version);
		dp_xml_text(f, d->m->name);
		fputs("</E:name>", f);
	}
	fputs("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
	    "</D:response>", f);
}

/* The last segment of path ("" the package: its id). */
static const char *
dp_dav_name(const struct dp_dav *d, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (*path == '\0')
		return d->m->package;
	return slash != NULL ? slash + 1 : path;
}

/* The files and folders right inside folder path ("" the package). */
static void
dp_dav_children(struct dp_dav *d, const char *path)
{
	const struct dp_manifest *m = d->m;
	char *prefix, *last = NULL;
	size_t plen;

	if (*path == '\0')
		prefix = xstrdup("");
	else
		xasprintf(&prefix, "%s/", path);
	plen = strlen(prefix);
	/* Files under a prefix are next to each other (sorted), and so are
	 * the files of each sub-folder. */
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *p = m->files[i].path, *rest, *slash;
		char *folder;

		if (strncmp(p, prefix, plen) != 0)
			continue;
		rest = p + plen;
		if ((slash = strchr(rest, '/')) == NULL) {
			dp_dav_response(d, p, rest, &m->files[i]);
			continue;
		}
		folder = xstrndup(p, (size_t)(slash - p));
		if (last == NULL || strcmp(last, folder) != 0) {
			dp_dav_response(d, folder, dp_dav_name(d, folder),
			    NULL);
			free(last);
			last = folder;
		} else
			free(folder);
	}
	free(last);
	free(prefix);
}

char *
dp_dav_multistatus(const struct dp_manifest *m, const struct dp_target *t,
    enum dp_kind kind, int depth, size_t *len)
{
	struct dp_dav d = { NULL, m, t, "", "" };
	const struct dp_file *file = NULL;
	char *out;

	if (kind == DP_KIND_FILE)
		dp_manifest_find(m, t->path, &file);
	timefmt(d.modified, sizeof d.modified, m->mtime, TIMEFMT_HTTP);
	timefmt(d.created, sizeof d.created, m->mtime, TIMEFMT_ISO);
	d.f = xopen_memstream(&out, len);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus"
	    " xmlns:D=\"DAV:\" xmlns:E=\"" DP_NS_EHTTP "\">", d.f);
	dp_dav_response(&d, t->path, dp_dav_name(&d, t->path), file);
	if (depth > 0 && kind == DP_KIND_FOLDER)
		dp_dav_children(&d, t->path);
	fputs("</D:multistatus>\n", d.f);
	fclose(d.f);
	return out;
}
