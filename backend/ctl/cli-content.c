/*
 * cli-content: packages and the content library (ehttpctl package ...):
 * add, update, remove, distribute to a distribution point and back, list
 * and show. Where the bytes go is the library's (content.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "content.h"
#include "xmalloc.h"

/* Below this a package's copy is quick: no progress line. */
#define PROGRESS_MIN	((size_t)16 << 20)

/* ------------------------------------------------------------ progress */

struct progress {
	struct cli	*c;
	int		 pct;		/* last shown; -1 none */
	int		 open;		/* a line without its line feed */
};

static int
progress_show(const char *what, size_t done, size_t total, void *arg)
{
	struct progress *p = arg;
	int pct;

	if (total < PROGRESS_MIN)
		return 0;
	pct = (int)(done >= total ? 100 : done * 100 / total);
	if (pct == p->pct)
		return 0;
	p->pct = pct;
	/* what is the library's own text: an id and a checked FQDN. */
	fflush(p->c->err);
	fprintf(p->c->err_raw, "\r%s: %3d%%", what, pct);
	p->open = pct < 100;
	if (!p->open)
		fputc('\n', p->c->err_raw);
	fflush(p->c->err_raw);
	return 0;
}

/* Progress on standard error when it is a terminal (and not --json). */
static void
progress_begin(struct cli *c, struct progress *p)
{
	*p = (struct progress){ .c = c, .pct = -1 };
	if (isatty(fileno(c->err_raw)) && !c->json)
		ehttp_set_progress(c->e, progress_show, p);
	else
		ehttp_set_progress(c->e, NULL, NULL);
}

/* A failure after a progress line: the message starts a line of its own. */
static int
progress_fail(struct cli *c, struct progress *p)
{
	if (p->open) {
		fputc('\n', c->err_raw);
		fflush(c->err_raw);
		p->open = 0;
	}
	ehttp_set_progress(c->e, NULL, NULL);
	return cli_fail(c);
}

/* --------------------------------------------------------------- output */

/* "1.5 MiB" (binary units); four buffers in rotation. */
static const char *
size_str(int64_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	static char buf[4][32];
	static int k;
	double v = (double)n;
	int u = -1;

	k = (k + 1) % 4;
	if (n < 1024) {
		snprintf(buf[k], sizeof buf[k], "%lld byte%s", (long long)n,
		    n == 1 ? "" : "s");
		return buf[k];
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf[k], sizeof buf[k], "%.1f %s", v, unit[u]);
	return buf[k];
}

static json_t *
package_json(const struct db_package *p)
{
	return json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:I,s:o,s:o}",
	    "id", cj_str(p->id), "site", cj_str(p->site_code),
	    "name", cj_str(p->name), "version", (json_int_t)p->version,
	    "files", (json_int_t)p->files, "size", (json_int_t)p->size,
	    "source", cj_str(p->source),
	    "distribution_points", (json_int_t)p->dps,
	    "created", cj_time(p->created), "updated", cj_time(p->updated));
}

static json_t *
result_json(json_t *o, const struct ehttp_content_result *r)
{
	json_object_set_new(o, "copied", json_integer(r->copied));
	json_object_set_new(o, "copied_bytes", json_integer(r->copied_bytes));
	json_object_set_new(o, "already_there", json_integer(r->present));
	json_object_set_new(o, "removed", json_integer(r->removed));
	return o;
}

static json_t *
dp_json(const struct db_package_dp *d, int64_t current)
{
	return json_pack("{s:o,s:o,s:I,s:b,s:o,s:o,s:o}",
	    "package", cj_str(d->package_id), "dp", cj_str(d->fqdn),
	    "version", (json_int_t)d->version, "current",
	    d->version == current, "state", cj_str(d->state),
	    "error", cj_str(d->error), "time", cj_time(d->time));
}

/* "12 files, 1.5 MiB (3 copied, 9 already there)" */
static void
result_text(struct cli *c, const struct ehttp_content_result *r,
    const char *where)
{
	fprintf(c->out, "%lld file%s, %s: %lld copied (%s), %lld already in"
	    " %s.\n", (long long)r->files, r->files == 1 ? "" : "s",
	    size_str(r->bytes), (long long)r->copied,
	    size_str(r->copied_bytes), (long long)r->present, where);
}

/* ------------------------------------------------------------- commands */

static int
cmd_package_add(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		{ "site", required_argument, NULL, 'S' },
		CLI_COMMON_OPTS, { 0 } };
	const char *source = NULL, *site = NULL;
	struct ehttp_content_result r;
	struct progress pr;
	struct db_package p;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 's': source = optarg; break;
	    case 'S': site = optarg; break;);
	if (optind + 1 != argc)
		return cli_usage(c, "expected one package NAME");
	if (source == NULL)
		return cli_usage(c, "--source DIR is required");
	if ((rc = cli_begin(c, argc, argv, 1, NULL, EHTTP_NO_KEYS)) != 0)
		return rc;
	progress_begin(c, &pr);
	if (ehttp_package_add(c->e, site, argv[optind], source, &p, &r) == -1)
		return progress_fail(c, &pr);
	if (c->json) {
		cj_print(c->out, result_json(json_pack("{s:o}", "package",
		    package_json(&p)), &r));
		return CLI_OK;
	}
	fprintf(c->out, "Added package %s (%s) to site %s, version 1: ", p.id,
	    cli_safe(c, p.name), p.site_code);
	result_text(c, &r, "the site's library");
	return CLI_OK;
}

static int
cmd_package_update(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		CLI_COMMON_OPTS, { 0 } };
	const char *source = NULL;
	struct ehttp_content_result r;
	struct db_package_dp *d = NULL;
	struct progress pr;
	struct db_package p;
	size_t nd = 0;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 's': source = optarg; break;);
	if ((rc = cli_begin(c, argc, argv, 1, "expected one package ID",
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	progress_begin(c, &pr);
	if (ehttp_package_update(c->e, argv[optind], source, &p, &r) == -1)
		return progress_fail(c, &pr);
	ehttp_set_progress(c->e, NULL, NULL);
	if (ehttp_package_dps(c->e, p.id, 0, &d, &nd) == -1)
		return cli_fail(c);
	if (c->json) {
		json_t *o = json_pack("{s:o}", "package", package_json(&p));
		json_t *jd = json_array();

		for (size_t i = 0; i < nd; i++)
			json_array_append_new(jd, dp_json(&d[i], p.version));
		json_object_set_new(o, "dps", jd);
		cj_print(c->out, result_json(o, &r));
	} else {
		fprintf(c->out, "Updated package %s (%s) to version %lld: ",
		    p.id, cli_safe(c, p.name), (long long)p.version);
		result_text(c, &r, "the site's library");
		cli_notes(c);
	}
	/* The new version on every distribution point that held the
	 * package, or exit status 1. */
	for (size_t i = 0; i < nd; i++)
		if (d[i].version != p.version ||
		    strcmp(d[i].state, "installed") != 0)
			rc = CLI_FAIL;
	free(d);
	return rc;
}

static int
cmd_package_remove(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'f' }, CLI_COMMON_OPTS, { 0 } };
	struct ehttp_content_result r;
	struct db_package p;
	int force = 0, rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 'f': force = 1; break;);
	if ((rc = cli_begin(c, argc, argv, 1, "expected one package ID",
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_package_resolve(c->e, argv[optind], &p) != 1 ||
	    ehttp_package_remove(c->e, p.id, force, &r) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:I}", "removed", cj_str(p.id),
		    "removed_files", (json_int_t)r.removed));
	else
		fprintf(c->out, "Removed package %s (%s); %lld file%s no other"
		    " package names removed.\n", p.id, cli_safe(c, p.name),
		    (long long)r.removed, r.removed == 1 ? "" : "s");
	return CLI_OK;
}

/* ID --dp FQDN, for distribute and undistribute: -1 to go on (the
 * database open), else the exit code (--help, a usage error). */
static int
dp_args(struct cli *c, int argc, char **argv, const char **fqdn)
{
	static const struct option lo[] = {
		{ "dp", required_argument, NULL, 'd' }, CLI_COMMON_OPTS, { 0 } };
	int rc;

	*fqdn = NULL;
	OPTS_LOOP(c, argc, argv, "h", lo, case 'd': *fqdn = optarg; break;);
	if (optind + 1 != argc)
		return cli_usage(c, "expected one package ID");
	if (*fqdn == NULL)
		return cli_usage(c, "--dp FQDN is required");
	if ((rc = cli_begin(c, argc, argv, 1, NULL, EHTTP_NO_KEYS)) != 0)
		return rc;
	return -1;
}

static int
cmd_package_distribute(struct cli *c, int argc, char **argv)
{
	struct ehttp_content_result r;
	struct db_package_dp d;
	struct progress pr;
	const char *fqdn;
	int rc;

	if ((rc = dp_args(c, argc, argv, &fqdn)) != -1)
		return rc;
	progress_begin(c, &pr);
	if (ehttp_package_distribute(c->e, argv[optind], fqdn, &d, &r) == -1)
		return progress_fail(c, &pr);
	if (c->json) {
		json_t *o = dp_json(&d, d.version);

		json_object_set_new(o, "files", json_integer(r.files));
		json_object_set_new(o, "bytes", json_integer(r.bytes));
		cj_print(c->out, result_json(o, &r));
		return CLI_OK;
	}
	fprintf(c->out, "Package %s version %lld is installed on %s: ",
	    d.package_id, (long long)d.version, d.fqdn);
	result_text(c, &r, "its library");
	return CLI_OK;
}

static int
cmd_package_undistribute(struct cli *c, int argc, char **argv)
{
	struct ehttp_content_result r;
	struct db_package p;
	const char *fqdn;
	int rc;

	if ((rc = dp_args(c, argc, argv, &fqdn)) != -1)
		return rc;
	if (ehttp_package_resolve(c->e, argv[optind], &p) != 1 ||
	    ehttp_package_undistribute(c->e, p.id, fqdn, &r) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o,s:I}", "package",
		    cj_str(p.id), "dp", cj_str(fqdn), "removed_files",
		    (json_int_t)r.removed));
	else
		fprintf(c->out, "Package %s removed from %s; %lld file%s no"
		    " other package names removed.\n", p.id, cli_safe(c, fqdn),
		    (long long)r.removed, r.removed == 1 ? "" : "s");
	return CLI_OK;
}

static int
cmd_package_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' },
		CLI_COMMON_OPTS, { 0 } };
	struct db_package *v = NULL;
	const char *site = NULL;
	struct cli_list l;
	int64_t site_id;
	char ver[24], files[24], dps[24];
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 's': site = optarg; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (cli_scope(c, site, NULL, &site_id, NULL) == -1 ||
	    ehttp_package_list(c->e, site_id, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 8, "ID", "Name", "Site", "Version", "Files",
	    "Size", "Distribution points", "Updated (UTC)");
	for (size_t i = 0; i < n; i++) {
		if (c->json) {
			cli_list_json(&l, package_json(&v[i]));
			continue;
		}
		snprintf(ver, sizeof ver, "%lld", (long long)v[i].version);
		snprintf(files, sizeof files, "%lld", (long long)v[i].files);
		snprintf(dps, sizeof dps, "%lld", (long long)v[i].dps);
		table_add(l.t, v[i].id, v[i].name, v[i].site_code, ver, files,
		    size_str(v[i].size), dps, cli_time(v[i].updated));
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static void
show_text(struct cli *c, const struct db_package *p,
    const struct db_package_file *f, size_t nf,
    const struct db_package_dp *d, size_t nd)
{
	char *lib = ehttp_content_site_lib(c->e, p->site_code);
	struct cli_list l;
	char size[24], ver[48];

	fprintf(c->out, "Package:       %s (%s)\n", p->id, cli_safe(c, p->name));
	fprintf(c->out, "Site:          %s\n", p->site_code);
	fprintf(c->out, "Version:       %lld\n", (long long)p->version);
	fprintf(c->out, "Source:        %s\n", cli_safe(c, p->source));
	fprintf(c->out, "Created:       %s UTC\n", cli_time(p->created));
	fprintf(c->out, "Updated:       %s UTC\n", cli_time(p->updated));
	fprintf(c->out, "Site library:  %s\n", cli_safe(c, lib));
	fprintf(c->out, "Files:         %zu, %s\n\n", nf, size_str(p->size));
	free(lib);
	cli_list_begin(c, &l, 3, "Path", "Size", "SHA-256");
	for (size_t i = 0; i < nf; i++) {
		snprintf(size, sizeof size, "%lld", (long long)f[i].size);
		table_add(l.t, f[i].path, size, f[i].sha256);
	}
	cli_list_end(&l);
	if (nd == 0) {
		fprintf(c->out, "\nDistribution points: none\n");
		return;
	}
	fprintf(c->out, "\nDistribution points:\n");
	cli_list_begin(c, &l, 5, "Distribution point", "Version", "State",
	    "Since (UTC)", "Error");
	for (size_t i = 0; i < nd; i++) {
		snprintf(ver, sizeof ver, "%lld%s", (long long)d[i].version,
		    d[i].version == p->version ? "" : " (not current)");
		table_add(l.t, d[i].fqdn, ver, d[i].state, cli_time(d[i].time),
		    d[i].error[0] ? d[i].error : "-");
	}
	cli_list_end(&l);
}

static json_t *
show_json(struct cli *c, const struct db_package *p,
    const struct db_package_file *f, size_t nf,
    const struct db_package_dp *d, size_t nd)
{
	json_t *o = package_json(p), *jf = json_array(), *jd = json_array();
	char *lib = ehttp_content_site_lib(c->e, p->site_code);

	for (size_t i = 0; i < nf; i++)
		json_array_append_new(jf, json_pack("{s:o,s:I,s:o}", "path",
		    cj_str(f[i].path), "size", (json_int_t)f[i].size,
		    "sha256", cj_str(f[i].sha256)));
	for (size_t i = 0; i < nd; i++)
		json_array_append_new(jd, dp_json(&d[i], p->version));
	json_object_set_new(o, "library", cj_str(lib));
	json_object_set_new(o, "file_list", jf);
	json_object_set_new(o, "dps", jd);
	free(lib);
	return o;
}

static int
cmd_package_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_package_file *f = NULL;
	struct db_package_dp *d = NULL;
	struct db_package p;
	size_t nf = 0, nd = 0;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one package ID",
	    EHTTP_READONLY | EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_package_resolve(c->e, argv[optind], &p) != 1 ||
	    ehttp_package_files(c->e, &p, &f, &nf) == -1 ||
	    ehttp_package_dps(c->e, p.id, 0, &d, &nd) == -1) {
		free(f);
		return cli_fail(c);
	}
	if (c->json)
		cj_print(c->out, show_json(c, &p, f, nf, d, nd));
	else
		show_text(c, &p, f, nf, d, nd);
	free(f);
	free(d);
	return CLI_OK;
}

const struct cli_cmd cli_content_cmds[] = {
	{ "package", "add", cmd_package_add,
	  "NAME --source DIR [--site CODE]",
	  "Add a package: the regular files under DIR are hashed (SHA-256) and\n"
	  "copied into the site's content library, version 1. --site: default\n"
	  "the only CAS or primary site. Refused: a symbolic link that leaves\n"
	  "DIR or names a folder, a device, FIFO or socket, a name with a\n"
	  "control character or invalid UTF-8, a path over 1024 bytes. Large\n"
	  "copies show their progress on standard error (a terminal)." },
	{ "package", "update", cmd_package_update, "ID [--source DIR]",
	  "The package's next version from DIR (default: the folder it was\n"
	  "last read from), then distributed to every distribution point that\n"
	  "holds the package: each serves its old version until the new\n"
	  "manifest replaces it. Exit status 1 if one of them did not get it\n"
	  "(its state says why; package distribute tries again)." },
	{ "package", "remove", cmd_package_remove, "ID [--force]",
	  "Remove a package from the site's library and the database. Refused\n"
	  "while it is on a distribution point, unless --force: then it is\n"
	  "removed from each first." },
	{ "package", "distribute", cmd_package_distribute, "ID --dp FQDN",
	  "Copy the package's current version into the content library of a\n"
	  "distribution point of its site or a site below it: files it holds\n"
	  "already are not copied again, each copy is checked by its hash, and\n"
	  "the manifest is written last, so the package is served only once\n"
	  "whole. State: distributing, then installed, or failed with the\n"
	  "reason (exit status 1)." },
	{ "package", "undistribute", cmd_package_undistribute, "ID --dp FQDN",
	  "Remove the package from a distribution point: its manifest, then\n"
	  "the files no other package there names." },
	{ "package", "list", cmd_package_list, "[--site CODE]",
	  "The packages: version, files, size, distribution points." },
	{ "package", "show", cmd_package_show, "ID",
	  "One package: its files (path, size, SHA-256) and its state on each\n"
	  "distribution point." },
	{ NULL, NULL, NULL, NULL, NULL }
};
