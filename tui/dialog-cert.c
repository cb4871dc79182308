/*
 * dialog-cert: a certificate's window (General, Details with every field
 * and extension, Certification Path), the Certificates filter and Export
 * (PEM or DER; the private key only when asked for, through a handle that
 * may load the master key, and on the audit trail).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "tui.h"
#include "xmalloc.h"

/* The certificate window. */
int
dialog_cert_show(struct app *app, int64_t id)
{
	struct ehttp *e = app_ehttp(app);
	struct db_cert c, *path = NULL;
	struct box *b;
	char t1[32], t2[32], *text = NULL, title[300], status[1024];
	size_t np = 0;

	if (ehttp_cert_get(e, id, &c) == -1) {
		app_status(app, 1, "%s", ehttp_error(e));
		return -1;
	}
	snprintf(title, sizeof title, "Certificate: %s", c.issued_to);
	b = box_new(title);
	box_wide(b);

	box_tab(b, "General");
	box_line(b, BOX_HEAD, "Certificate Information");
	if (strcmp(c.type, "root") == 0)
		box_text(b, BOX_TEXT, "This certificate is intended for: all"
		    " issuance policies of site system certificates (it is the"
		    " site's root: it signs the SMS Role SSL Certificates).");
	else
		box_text(b, BOX_TEXT, "This certificate is intended for: Server"
		    " Authentication (TLS on the site system).");
	box_text(b, BOX_TEXT, "");
	box_line(b, BOX_TEXT, "Type:        %s", ehttp_cert_type_title(c.type));
	box_line(b, BOX_TEXT, "Issued to:   %s", c.issued_to);
	box_line(b, BOX_TEXT, "Issued by:   %s", c.issued_by);
	box_line(b, BOX_TEXT, "Valid from:  %s UTC",
	    text_time(c.not_before, t1, sizeof t1));
	box_line(b, BOX_TEXT, "Valid to:    %s UTC",
	    text_time(c.not_after, t2, sizeof t2));
	box_line(b, BOX_TEXT, "Site:        %s", c.site_code);
	box_line(b, BOX_TEXT, "State:       %s", ehttp_cert_state(&c,
	    time(NULL)));
	box_line(b, c.blocked ? BOX_ERROR : BOX_TEXT, "Blocked:     %s",
	    c.blocked ? "Yes" : "No");
	box_line(b, BOX_TEXT, "Key:         %s", c.key_alg);
	box_line(b, BOX_TEXT, "Serial:      %s", c.serial);
	box_line(b, BOX_TEXT, "Thumbprint:  %s", c.thumbprint);
	box_line(b, BOX_TEXT, "Subject:     %s", c.subject);
	box_line(b, BOX_TEXT, "ID:          %lld", (long long)c.id);
	box_text(b, BOX_TEXT, "");
	box_text(b, BOX_TEXT, "The private key is stored encrypted and is never"
	    " shown.");

	box_tab(b, "Details");
	if (ehttp_cert_text(e, c.id, &text) == 0) {
		box_text(b, BOX_TEXT, text);
		free(text);
	} else
		box_text(b, BOX_ERROR, ehttp_error(e));

	box_tab(b, "Certification Path");
	if (ehttp_cert_path(e, &c, &path, &np) == 0) {
		for (size_t i = np, depth = 0; i-- > 0; depth++)
			box_line(b, BOX_TEXT, "%*s%s%s  (%s, thumbprint %s)",
			    (int)depth * 2, "", depth ? "> " : "",
			    path[i].issued_to, ehttp_cert_type_title(
			    path[i].type), path[i].thumbprint);
		box_text(b, BOX_TEXT, "");
		box_line(b, BOX_HEAD, "Certificate status:");
		/* The one verification (ehttp_cert_verify): the agent's
		 * health check and `ehttpctl cert show` say the same. */
		switch (ehttp_cert_verify(e, &c, status, sizeof status)) {
		case 1:
			box_text(b, BOX_TEXT, status);
			break;
		case 0:
			box_text(b, BOX_ERROR, status);
			break;
		default:
			box_text(b, BOX_ERROR, ehttp_error(e));
			break;
		}
		free(path);
	} else
		box_text(b, BOX_ERROR, ehttp_error(e));
	box_dialog(app, b, NULL, NULL);
	return 0;
}

/* The filter. */
enum { CF_ANY = 1, CF_ROOT, CF_ROLE, CF_PKI, CF_TOKEN, CF_SITE, CF_TEXT,
	CF_ACTIVE, CF_BLOCKED, CF_EXPIRING };

struct cert_filter {
	struct form		 form;
	char			*site_names[64];
	const char		*choices[64];
	int64_t			 site_ids[64];
	int			 nsites;
	dialog_cert_filter_fn	 fn;
	void			*arg;
};

static int
filter_button(struct dialog *d, int pressed)
{
	struct cert_filter *cf = d->data;
	struct dialog_cert_filter f;
	struct form_item *site;

	memset(&f, 0, sizeof f);
	f.type = form_value(&cf->form, CF_ROOT) ? 1 :
	    form_value(&cf->form, CF_ROLE) ? 2 :
	    form_value(&cf->form, CF_PKI) ? 3 :
	    form_value(&cf->form, CF_TOKEN) ? 4 : 0;
	site = form_item(&cf->form, CF_SITE);
	if (site->value > 0) {
		f.site_id = cf->site_ids[site->value];
		snprintf(f.site_code, sizeof f.site_code, "%s",
		    cf->site_names[site->value]);
	}
	text_copy(f.text, sizeof f.text, form_item(&cf->form, CF_TEXT)->text,
	    strlen(form_item(&cf->form, CF_TEXT)->text));
	f.active_only = form_value(&cf->form, CF_ACTIVE);
	f.blocked_only = form_value(&cf->form, CF_BLOCKED);
	f.expiring = form_value(&cf->form, CF_EXPIRING);
	cf->fn(d->app, &f, cf->arg);
	dialog_close(d, 0, NULL);
	return DLG_CLOSE;
}

static void
filter_free(void *data)
{
	struct cert_filter *cf = data;

	for (int i = 0; i < cf->nsites; i++)
		free(cf->site_names[i]);
	free(cf);
}

static const struct dialog_form_ops filter_ops = {
	.width = 64,
	.button = filter_button,
	.free = filter_free,
};

int
dialog_cert_filter(struct app *app, const struct dialog_cert_filter *cur,
    dialog_cert_filter_fn fn, void *arg)
{
	struct cert_filter *cf;
	struct form *f;
	struct form_item *it;
	struct db_site *sites = NULL;
	size_t ns = 0;
	static const int ids[] = { CF_ANY, CF_ROOT, CF_ROLE, CF_PKI, CF_TOKEN };
	static const char *const titles[] = { "Any type", "SMS Issuing",
	    "SMS Role SSL Certificate", "PKI", "SMS Token Signing" };
	static const char *const buttons[] = { "OK", "Cancel" };

	cf = xcalloc(1, sizeof *cf);
	cf->fn = fn;
	cf->arg = arg;
	cf->site_names[0] = xstrdup("Any site");
	cf->nsites = 1;
	if (ehttp_site_list(app_ehttp(app), &sites, &ns) == 0) {
		for (size_t i = 0; i < ns && cf->nsites < 64; i++) {
			cf->site_ids[cf->nsites] = sites[i].id;
			cf->site_names[cf->nsites++] = xstrdup(
			    sites[i].code);
		}
		free(sites);
	}
	for (int i = 0; i < cf->nsites; i++)
		cf->choices[i] = cf->site_names[i];
	f = &cf->form;
	form_init(f, "Filter Certificates");
	form_add(f, FORM_LABEL, 0, 0, 0, "Type")->value = 1;
	for (int i = 0; i < (int)(sizeof ids / sizeof ids[0]); i++) {
		it = form_add(f, FORM_RADIO, ids[i], 0, 2, titles[i]);
		it->group = 1;
		it->value = cur->type == i;
	}
	it = form_add(f, FORM_CHOICE, CF_SITE, 0, 0, "Site:");
	it->choices = cf->choices;
	it->nchoices = cf->nsites;
	for (int i = 1; i < cf->nsites; i++)
		if (cf->site_ids[i] == cur->site_id)
			it->value = i;
	it = form_add(f, FORM_TEXT, CF_TEXT, 0, 0, "Text:");
	snprintf(it->text, sizeof it->text, "%s", cur->text);
	it->pos = strlen(it->text);
	form_add(f, FORM_LABEL, 0, 0, 2, "(in Issued To, Issued By or the"
	    " thumbprint)");
	form_add(f, FORM_CHECK, CF_ACTIVE, 0, 0, "Active certificates only (hide"
	    " superseded and revoked)")->value = cur->active_only;
	form_add(f, FORM_CHECK, CF_BLOCKED, 0, 0, "Blocked certificates only")
	    ->value = cur->blocked_only;
	form_add(f, FORM_CHECK, CF_EXPIRING, 0, 0, "Expiring within 30 days")
	    ->value = cur->expiring;
	form_buttons(f, buttons, 2);
	form_focus_first(f);
	app_dialog_push(app, dialog_form_new(app, &filter_ops, f, cf));
	return 0;
}

/* Export. */
enum { CE_PEM = 1, CE_DER, CE_PATH, CE_KEY };

struct cert_export {
	struct form	 form;
	int64_t		 id;
};

/* A new file only: the console never overwrites (rules in outfile.h). */
static int
write_new(const char *path, const void *data, size_t len, int secret,
    char *msg, size_t msglen)
{
	if (outfile_write(path, data, len, OUTFILE_NOREPLACE |
	    (secret ? OUTFILE_SECRET : 0), NULL, msg, msglen) == -1) {
		if (errno == EEXIST && !secret) {
			size_t n = strlen(msg);
			snprintf(msg + n, msglen - n, " (choose another name)");
		}
		return -1;
	}
	return 0;
}

/* Write the certificate (and with_key, its key to path.key 0600); msg
 * tells what was done or why not. */
static int
dialog_cert_export_write(struct app *app, int64_t id, const char *path,
    int der, int with_key, char *msg, size_t msglen)
{
	struct ehttp *e = app_ehttp(app), *k = NULL;
	unsigned char *bin = NULL;
	char *pem = NULL, *key = NULL, keypath[PATH_MAX + 8];
	size_t len = 0, klen = 0;
	int rc = -1;

	if (path == NULL || *path == '\0') {
		snprintf(msg, msglen, "File: give a file name");
		return -1;
	}
	if (der) {
		if (ehttp_cert_der(e, id, &bin, &len) == -1) {
			snprintf(msg, msglen, "%s", ehttp_error(e));
			goto out;
		}
		if (write_new(path, bin, len, 0, msg, msglen) == -1)
			goto out;
	} else {
		if (ehttp_cert_pem(e, id, &pem, &len) == -1) {
			snprintf(msg, msglen, "%s", ehttp_error(e));
			goto out;
		}
		if (write_new(path, pem, len, 0, msg, msglen) == -1)
			goto out;
	}
	if (with_key) {
		/* The only place the console asks for a private key. */
		snprintf(keypath, sizeof keypath, "%s.key", path);
		if ((k = app_key_handle(app, msg, msglen)) == NULL)
			goto out;
		if (ehttp_cert_key_pem(k, id, &key, &klen) == -1) {
			snprintf(msg, msglen, "%s (the certificate is in %s)",
			    ehttp_error(k), path);
			goto out;
		}
		if (write_new(keypath, key, klen, 1, msg, msglen) == -1) {
			ehttp_cert_key_exported(k, id, keypath, msg);
			goto out;
		}
		/* On the audit trail once the key has left the database. */
		if (ehttp_cert_key_exported(k, id, keypath, NULL) == -1) {
			snprintf(msg, msglen, "%s", ehttp_error(k));
			goto out;
		}
		snprintf(msg, msglen, "Exported the certificate to %s and its"
		    " private key to %s (0600; recorded in the audit trail).",
		    path, keypath);
	} else
		snprintf(msg, msglen, "Exported the certificate (%s) to %s.",
		    der ? "DER" : "PEM", path);
	rc = 0;
out:
	if (key != NULL) {
		explicit_bzero(key, klen);
		free(key);
	}
	if (k != NULL)
		app_key_handle_close(app, k);
	free(pem);
	free(bin);
	return rc;
}

/* Follow the format in the file name's extension. */
static void
fix_extension(struct cert_export *ce)
{
	struct form_item *p = form_item(&ce->form, CE_PATH);
	size_t len = strlen(p->text);
	const char *ext = form_value(&ce->form, CE_DER) ? ".der" : ".pem";

	if (len > 4 && (strcmp(p->text + len - 4, ".pem") == 0 ||
	    strcmp(p->text + len - 4, ".der") == 0 ||
	    strcmp(p->text + len - 4, ".cer") == 0)) {
		memcpy(p->text + len - 4, ext, 4);
		p->pos = len;
	}
}

static int
export_changed(struct dialog *d, int id)
{
	if (id == CE_PEM || id == CE_DER)
		fix_extension(d->data);
	return DLG_REDRAW;
}

static int
export_button(struct dialog *d, int pressed)
{
	struct cert_export *ce = d->data;
	char msg[2 * PATH_MAX + 256];	/* the message names two paths */

	if (dialog_cert_export_write(d->app, ce->id, form_item(&ce->form,
	    CE_PATH)->text, form_value(&ce->form, CE_DER),
	    form_value(&ce->form, CE_KEY), msg, sizeof msg) == -1) {
		dialog_message(d->app, "Export", BOX_ERROR, "%s", msg);
		return DLG_REDRAW;
	}
	app_status(d->app, 0, "%s", msg);
	dialog_close(d, 0, NULL);
	return DLG_CLOSE;
}

static const struct dialog_form_ops export_ops = {
	.width = 76,
	.button = export_button,
	.changed = export_changed,
};

int
dialog_cert_export(struct app *app, int64_t id)
{
	struct ehttp *e = app_ehttp(app);
	struct cert_export *ce;
	struct form_item *it;
	struct db_cert c;
	char buf[300], cwd[PATH_MAX], name[300];
	static const char *const buttons[] = { "Export", "Cancel" };

	if (ehttp_cert_get(e, id, &c) == -1) {
		app_status(app, 1, "%s", ehttp_error(e));
		return -1;
	}
	ce = xcalloc(1, sizeof *ce);
	ce->id = id;
	form_init(&ce->form, "Export Certificate");
	snprintf(buf, sizeof buf, "%s %s (thumbprint %.8s...)",
	    ehttp_cert_type_title(c.type), c.issued_to, c.thumbprint);
	form_add(&ce->form, FORM_LABEL, 0, 0, 0, buf)->value = 1;
	form_add(&ce->form, FORM_LABEL, 0, 0, 0, "Format:");
	it = form_add(&ce->form, FORM_RADIO, CE_PEM, 0, 2, "Base-64 encoded"
	    " X.509 (PEM)");
	it->group = 1;
	it->value = 1;
	it = form_add(&ce->form, FORM_RADIO, CE_DER, 0, 2, "DER encoded binary"
	    " X.509 (DER)");
	it->group = 1;
	it = form_add(&ce->form, FORM_TEXT, CE_PATH, 0, 0, "File:");
	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, ".");
	snprintf(name, sizeof name, "%s-%.8s.pem", strcmp(c.type, "root") == 0 ?
	    "sms-issuing" : c.issued_to, c.thumbprint);
	for (char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	if (snprintf(it->text, sizeof it->text, "%s/%s", cwd, name) >=
	    (int)sizeof it->text)
		snprintf(it->text, sizeof it->text, "%s", name);
	it->pos = strlen(it->text);
	form_add(&ce->form, FORM_CHECK, CE_KEY, 0, 0, "Also export the private"
	    " key (unencrypted, to FILE.key, 0600; recorded in the audit"
	    " trail)");
	form_buttons(&ce->form, buttons, 2);
	form_focus_first(&ce->form);
	app_dialog_push(app, dialog_form_new(app, &export_ops, &ce->form, ce));
	return 0;
}
