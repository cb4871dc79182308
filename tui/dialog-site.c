/*
 * dialog-site: Site Properties, with the tabs General, Communication
 * Security and Signing and Encryption (primary sites only), behaving like
 * the real dialog: choosing HTTPS only ticks and greys the PKI client
 * certificate option and clears and greys the enhanced HTTP check box;
 * choosing HTTPS or HTTP gives both back. OK / Cancel / Apply; before a
 * change is applied its warnings (and what will be issued) are shown, and
 * a progress box shows while certificates are issued.
 *
 * The Communication Security tab lists the site's trusted root CAs
 * ("Set" in the real dialog): its control opens a list to add one from a
 * file or remove one; each takes effect at once (audited).
 *
 * The dialog_site_form_* functions are the model; they need no terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

static const char *const keyalg_names[] = { "rsa2048", "rsa3072", "ec-p256" };
static const char *const keyalg_titles[] = { "RSA 2048", "RSA 3072",
	"ECDSA P-256" };
#define NKEYALG	3

static const char *const site_buttons[] = { "OK", "Cancel", "Apply" };
/* The trusted root CAs control: Space or Enter opens their list. */
static const char *const roots_choices[] = { "Add / Remove..." };
#define ROOTS_ADD_ITEM	"Add a trusted root CA from a file..."

static int
keyalg_index(const char *name)
{
	for (int i = 0; i < NKEYALG; i++)
		if (strcmp(name, keyalg_names[i]) == 0)
			return i;
	return 0;
}

static const char *
type_long(enum db_site_type t)
{
	switch (t) {
	case DB_SITE_CAS:
		return "Central administration site";
	case DB_SITE_PRIMARY:
		return "Primary site";
	default:
		return "Secondary site";
	}
}

void
dialog_site_form_init(struct dialog_site *ds, const struct db_site *s,
    int renew_days)
{
	struct form *f = &ds->form;
	struct form_item *it;
	char buf[160];

	struct dialog *self = ds->self;
	int (*lines)(struct form *, int, void *) = ds->form.extra_lines;
	void (*draw)(struct form *, WINDOW *, int, int, int, void *) =
	    ds->form.extra_draw;
	void *arg = ds->form.arg;

	memset(ds, 0, sizeof *ds);
	ds->self = self;
	ds->site = *s;
	ds->renew_days = renew_days;
	snprintf(buf, sizeof buf, "%s - %s Properties", s->code, s->name);
	form_init(f, buf);
	f->extra_lines = lines;
	f->extra_draw = draw;
	f->arg = arg;
	f->tabs[f->ntabs++] = "General";
	f->tabs[f->ntabs++] = "Communication Security";
	if (s->type == DB_SITE_PRIMARY)
		f->tabs[f->ntabs++] = "Signing and Encryption";

	snprintf(buf, sizeof buf, "Site code: %s", s->code);
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 0, buf)->value = 1;
	snprintf(buf, sizeof buf, "Site name: %s", s->name);
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 0, buf);
	snprintf(buf, sizeof buf, "Type: %s", type_long(s->type));
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 0, buf);
	snprintf(buf, sizeof buf, "Parent site: %s", s->parent_code[0] ?
	    s->parent_code : "(none)");
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 0, buf);
	form_add(f, FORM_GAP, 0, DS_TAB_GENERAL, 0, NULL);
	it = form_add(f, FORM_CHOICE, DS_KEYALG, DS_TAB_GENERAL, 0,
	    "Key algorithm of site-issued certificates:");
	it->choices = keyalg_titles;
	it->nchoices = NKEYALG;
	it->value = keyalg_index(s->sec.key_alg);
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 2, "New certificates use it;"
	    " certificates already issued keep theirs until renewed.");
	form_add(f, FORM_GAP, 0, DS_TAB_GENERAL, 0, NULL);
	it = form_add(f, FORM_TEXT, DS_RENEW, DS_TAB_GENERAL, 0,
	    "Renew certificates this many days before they end:");
	snprintf(it->text, sizeof it->text, "%d", renew_days);
	it->pos = strlen(it->text);
	snprintf(buf, sizeof buf, "1 to %d days; the site server renews SMS"
	    " Role SSL and SMS Token Signing certificates.",
	    EHTTP_RENEW_DAYS_MAX);
	form_add(f, FORM_LABEL, 0, DS_TAB_GENERAL, 2, buf);

	form_add(f, FORM_LABEL, 0, DS_TAB_COMM, 0, "Site system settings")->value
	    = 1;
	it = form_add(f, FORM_RADIO, DS_HTTPS_ONLY, DS_TAB_COMM, 2,
	    "HTTPS only");
	it->group = 1;
	it->value = s->sec.https_only;
	it = form_add(f, FORM_RADIO, DS_HTTPS_OR_HTTP, DS_TAB_COMM, 2,
	    "HTTPS or HTTP");
	it->group = 1;
	it->value = !s->sec.https_only;
	form_add(f, FORM_CHECK, DS_EHTTP, DS_TAB_COMM, 6, "Use Configuration"
	    " Manager-generated certificates for HTTP site systems")->value =
	    s->sec.enhanced_http;
	form_add(f, FORM_LABEL, 0, DS_TAB_COMM, 0, "Client computer settings")
	    ->value = 1;
	form_add(f, FORM_CHECK, DS_PKI, DS_TAB_COMM, 2, "Use client PKI"
	    " certificate (client authentication capability) when available")
	    ->value = s->sec.pki_client_cert;
	form_add(f, FORM_CHECK, DS_CRL, DS_TAB_COMM, 2, "Clients check the"
	    " certificate revocation list (CRL) for site systems")->value =
	    s->sec.crl_check;
	it = form_add(f, FORM_CHOICE, DS_ROOTS, DS_TAB_COMM, 0, "Trusted Root"
	    " CAs:");
	it->choices = roots_choices;
	it->nchoices = 1;

	if (s->type == DB_SITE_PRIMARY) {
		form_add(f, FORM_LABEL, 0, DS_TAB_SIGNING, 0, "Client computer"
		    " communication")->value = 1;
		form_add(f, FORM_CHECK, DS_SIGNING, DS_TAB_SIGNING, 2,
		    "Require signing")->value = s->sec.require_signing;
		form_add(f, FORM_CHECK, DS_SHA256, DS_TAB_SIGNING, 6,
		    "Require SHA-256")->value = s->sec.require_sha256;
		form_add(f, FORM_CHECK, DS_ENCRYPTION, DS_TAB_SIGNING, 2,
		    "Use encryption")->value = s->sec.use_encryption;
	}

	form_buttons(f, site_buttons, 3);	/* OK (DS_BTN_OK) is the default */
	ds->pki_saved = s->sec.pki_client_cert;
	dialog_site_form_rules(ds, 0);
	/* Open on Communication Security: what this console is about. */
	f->tab = DS_TAB_COMM;
	form_focus_first(f);
}

void
dialog_site_form_rules(struct dialog_site *ds, int changed_id)
{
	struct form *f = &ds->form;
	int https_only = form_value(f, DS_HTTPS_ONLY);

	if (https_only) {
		if (changed_id == DS_HTTPS_ONLY)
			ds->pki_saved = form_value(f, DS_PKI);
		form_set(f, DS_PKI, 1);
		form_enable(f, DS_PKI, 0);
		form_set(f, DS_EHTTP, 0);
		form_enable(f, DS_EHTTP, 0);
	} else {
		if (changed_id == DS_HTTPS_OR_HTTP)
			form_set(f, DS_PKI, ds->pki_saved);
		form_enable(f, DS_PKI, 1);
		form_enable(f, DS_EHTTP, 1);
	}
	if (form_item(f, DS_SIGNING) != NULL) {
		int signing = form_value(f, DS_SIGNING);

		if (!signing)
			form_set(f, DS_SHA256, 0);
		form_enable(f, DS_SHA256, signing);
	}
	f->button_enabled[DS_BTN_APPLY] = dialog_site_form_changed(ds);
}

static void
dialog_site_form_security(const struct dialog_site *ds, struct db_security *x)
{
	const struct form *f = &ds->form;
	const struct form_item *k;

	*x = ds->site.sec;
	x->https_only = form_value(f, DS_HTTPS_ONLY);
	x->enhanced_http = form_value(f, DS_EHTTP);
	x->pki_client_cert = form_value(f, DS_PKI);
	x->crl_check = form_value(f, DS_CRL);
	if (ds->site.type == DB_SITE_PRIMARY) {
		x->require_signing = form_value(f, DS_SIGNING);
		x->require_sha256 = form_value(f, DS_SHA256);
		x->use_encryption = form_value(f, DS_ENCRYPTION);
	}
	k = form_item((struct form *)f, DS_KEYALG);
	if (k != NULL) {
		memset(x->key_alg, 0, sizeof x->key_alg);
		snprintf(x->key_alg, sizeof x->key_alg, "%s",
		    keyalg_names[k->value]);
	}
}

int
dialog_site_form_renew(const struct dialog_site *ds)
{
	const struct form_item *it = form_item((struct form *)&ds->form,
	    DS_RENEW);
	int days = 0;

	if (it == NULL || it->text[0] == '\0' || strlen(it->text) > 3)
		return -1;
	for (const char *p = it->text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		days = days * 10 + (*p - '0');
	}
	return days >= 1 && days <= EHTTP_RENEW_DAYS_MAX ? days : -1;
}

/* Does the edited Communication Security differ from the site's? */
static int
security_changed(const struct dialog_site *ds)
{
	struct db_security x;
	const struct db_security *o = &ds->site.sec;

	dialog_site_form_security(ds, &x);
	return x.https_only != o->https_only ||
	    x.enhanced_http != o->enhanced_http ||
	    x.pki_client_cert != o->pki_client_cert ||
	    x.crl_check != o->crl_check ||
	    x.require_signing != o->require_signing ||
	    x.require_sha256 != o->require_sha256 ||
	    x.use_encryption != o->use_encryption ||
	    strcmp(x.key_alg, o->key_alg) != 0;
}

int
dialog_site_form_changed(const struct dialog_site *ds)
{
	return security_changed(ds) ||
	    dialog_site_form_renew(ds) != ds->renew_days;
}

void
dialog_site_form_change(const struct dialog_site *ds,
    struct ehttp_security_change *c)
{
	struct db_security x;
	const struct db_security *o = &ds->site.sec;

	dialog_site_form_security(ds, &x);
	ehttp_security_change_init(c);
#define DIFF(f) if (x.f != o->f) c->f = x.f
	DIFF(https_only);
	DIFF(enhanced_http);
	DIFF(pki_client_cert);
	DIFF(crl_check);
	DIFF(require_signing);
	DIFF(require_sha256);
	DIFF(use_encryption);
#undef DIFF
	if (strcmp(x.key_alg, o->key_alg) != 0)
		c->key_alg = keyalg_names[keyalg_index(x.key_alg)];
}

void
dialog_site_form_free(struct dialog_site *ds)
{
	free(ds->warnings);
	ds->warnings = NULL;
	ds->nwarnings = 0;
}

/* The warnings of the settings as edited, as they would stand. */
static void
refresh_warnings(struct app *app, struct dialog_site *ds)
{
	struct db_site after = ds->site;

	dialog_site_form_security(ds, &after.sec);
	free(ds->warnings);
	ds->warnings = NULL;
	ds->nwarnings = 0;
	if (ehttp_site_warnings(app_ehttp(app), &after, &ds->warnings,
	    &ds->nwarnings) == -1) {
		ds->warnings = NULL;
		ds->nwarnings = 0;
	}
}

/* Lines of the warnings, wrapped at width. */
static int
warning_lines(struct dialog_site *ds, int width)
{
	char buf[600];
	size_t off, len, next;
	int lines = 0;

	for (size_t i = 0; i < ds->nwarnings; i++) {
		snprintf(buf, sizeof buf, "Warning: %s", ds->warnings[i].text);
		len = strlen(buf);
		for (off = 0; off < len; off += next, lines++)
			text_wrap(buf + off, len - off, width, &next);
	}
	return lines;
}

/* Under the controls: IISSSLState and the warnings as edited. */
static int
extra_lines(struct form *f, int width, void *arg)
{
	struct dialog_site *ds = arg;
	int n = 1 + (ds->site.type == DB_SITE_CAS) + warning_lines(ds, width);

	return n < 4 ? 4 : n > 8 ? 8 : n;
}

static void
extra_draw(struct form *f, WINDOW *w, int y, int x, int width, void *arg)
{
	struct dialog_site *ds = arg;
	struct db_security sec;
	char buf[600];
	size_t off, len, next, n;
	int h, ww, last;

	getmaxyx(w, h, ww);
	(void)ww;
	last = h - 4;	/* the line above the buttons' separator */
	if (f->tab == DS_TAB_GENERAL)
		return;
	dialog_site_form_security(ds, &sec);
	text_putf(w, y++, x, width, crt_attr(CRT_DIALOG) | A_BOLD,
	    "IISSSLState: %d", ehttp_iisssl_state(&sec));
	if (ds->site.type == DB_SITE_CAS && y <= last)
		text_put(w, y++, x, width, "At a CAS, enhanced HTTP covers only"
		    " the SMS Provider role.", (size_t)-1, crt_attr(CRT_DIALOG));
	for (size_t i = 0; i < ds->nwarnings; i++) {
		snprintf(buf, sizeof buf, "Warning: %s", ds->warnings[i].text);
		len = strlen(buf);
		for (off = 0; off < len; off += next) {
			if (y > last) {
				text_fill(w, last, x, width, crt_attr(CRT_DIALOG));
				text_put(w, last, x, width, "(More warnings are"
				    " shown when you apply.)", (size_t)-1,
				    crt_attr(CRT_WARNING));
				return;
			}
			n = text_wrap(buf + off, len - off, width, &next);
			text_put(w, y++, x, width, buf + off, n,
			    crt_attr(CRT_WARNING));
		}
	}
}

/* "Trusted Root CAs (2):" as the site stands. */
static void
roots_refresh(struct app *app, struct dialog_site *ds)
{
	struct db_trusted_root *v = NULL;
	struct form_item *it = form_item(&ds->form, DS_ROOTS);
	size_t n = 0;

	if (it == NULL)
		return;
	if (ehttp_site_trusted_root_list(app_ehttp(app), ds->site.code, &v,
	    &n) == -1)
		snprintf(it->label, sizeof it->label, "Trusted Root CAs (?):");
	else if (n == 0)
		snprintf(it->label, sizeof it->label, "Trusted Root CAs (none;"
		    " PKI chains not verified):");
	else
		snprintf(it->label, sizeof it->label, "Trusted Root CAs (%zu):",
		    n);
	free(v);
}

/* After adding or removing a root (rc of the backend call): the error, or
 * the notes with ok_text, and the list's count again. */
static void
roots_changed(struct app *app, struct dialog_site *ds, int rc,
    const char *failed, const char *ok_text)
{
	char title[64];

	snprintf(title, sizeof title, "Site %s", ds->site.code);
	if (rc == -1) {
		dialog_message(app, title, BOX_ERROR, "%s: %s", failed,
		    ehttp_error(app_ehttp(app)));
		return;
	}
	app_show_notes(app, app_ehttp(app), title, ok_text);
	roots_refresh(app, ds);
}

static void
roots_added(struct app *app, int result, const char *text, void *arg)
{
	struct dialog_site *ds = arg;

	if (result != 0 || text == NULL || *text == '\0')
		return;
	roots_changed(app, ds, ehttp_site_trusted_root_add(app_ehttp(app),
	    ds->site.code, text), "No trusted root CA was added",
	    "The trusted root CA was added.");
}

/* Picked in the list: add, or remove the root whose thumbprint ends the
 * line (the list is read again for every action). */
static void
roots_picked(struct app *app, int result, const char *text, void *arg)
{
	struct dialog_site *ds = arg;
	char tp[41];
	size_t len;

	if (result < 0 || text == NULL)
		return;
	if (strcmp(text, ROOTS_ADD_ITEM) == 0) {
		dialog_prompt(app, "Add Trusted Root CA", "Root CA certificate"
		    " file (PEM or DER):", "", roots_added, ds);
		return;
	}
	if ((len = strlen(text)) < 41 || text[len - 1] != ')')
		return;
	snprintf(tp, sizeof tp, "%.40s", text + len - 41);
	roots_changed(app, ds, ehttp_site_trusted_root_remove(app_ehttp(app),
	    ds->site.code, tp), "The trusted root CA was not removed",
	    "The trusted root CA was removed.");
}

int
dialog_site_roots_items(struct ehttp *e, const char *code, char ***items,
    int *n)
{
	struct db_trusted_root *v = NULL;
	size_t nv = 0;
	char **it;

	if (ehttp_site_trusted_root_list(e, code, &v, &nv) == -1)
		return -1;
	it = xcalloc(nv + 1, sizeof *it);
	it[0] = xstrdup(ROOTS_ADD_ITEM);
	for (size_t i = 0; i < nv; i++)
		xasprintf(&it[i + 1], "Remove %.200s (thumbprint %s)",
		    v[i].subject, v[i].thumbprint);
	free(v);
	*items = it;
	*n = (int)nv + 1;
	return 0;
}

static void
roots_open(struct app *app, struct dialog_site *ds)
{
	char **items = NULL, title[64];
	int n = 0;

	if (dialog_site_roots_items(app_ehttp(app), ds->site.code, &items,
	    &n) == -1) {
		dialog_message(app, "Trusted Root CAs", BOX_ERROR, "%s",
		    ehttp_error(app_ehttp(app)));
		return;
	}
	snprintf(title, sizeof title, "Trusted Root CAs of site %s",
	    ds->site.code);
	dialog_menu(app, title, (const char *const *)items, n, 0,
	    roots_picked, ds);
	for (int i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* Re-read the site after an apply (the dialog stays open). */
static int
reread(struct app *app, struct dialog_site *ds)
{
	struct db_site s;
	int tab = ds->form.tab, days;

	if (ehttp_site_get(app_ehttp(app), ds->site.id, &s) == -1 ||
	    ehttp_site_renew_days(app_ehttp(app), s.id, &days) == -1)
		return -1;
	dialog_site_form_free(ds);
	dialog_site_form_init(ds, &s, days);
	ds->form.tab = tab;
	form_focus_first(&ds->form);
	refresh_warnings(app, ds);
	roots_refresh(app, ds);
	return 0;
}

static void
apply_now(struct app *app, struct dialog_site *ds)
{
	struct ehttp_security_change c;
	char title[64];
	struct ehttp *k;
	int days = dialog_site_form_renew(ds);

	snprintf(title, sizeof title, "Site %s", ds->site.code);
	if (days != ds->renew_days) {
		if (ehttp_site_set_renew_days(app_ehttp(app), ds->site.id,
		    days) == -1) {
			dialog_message(app, title, BOX_ERROR, "The renewal"
			    " window was not changed: %s",
			    ehttp_error(app_ehttp(app)));
			return;
		}
		ds->renew_days = days;
		if (!security_changed(ds))
			app_show_notes(app, app_ehttp(app), title,
			    "The renewal window was changed.");
	}
	if (security_changed(ds)) {
		dialog_site_form_change(ds, &c);
		/* Issuing needs the master key: a handle just for this. */
		if ((k = app_key_begin(app, "Site Properties")) == NULL)
			return;
		if (app_key_end(app, k, ehttp_site_set_security(k, ds->site.id,
		    &c), "Site Properties", "The settings were not changed",
		    title, "The settings were saved.") == -1) {
			app_status(app, 1, "Site %s: not changed.",
			    ds->site.code);
			return;
		}
	}
	app_reload_all(app);
	if (ds->closing)
		dialog_close(ds->self, DS_BTN_OK, NULL);
	else
		reread(app, ds);
}

static void
confirm_done(struct app *app, int result, const char *text, void *arg)
{
	struct dialog_site *ds = arg;

	if (result == 0)
		apply_now(app, ds);
	else
		ds->closing = 0;
}

static void
describe(struct box *b, const char *what, int before, int after)
{
	if (before != after)
		box_line(b, BOX_TEXT, "  %s: %s -> %s", what, before ? "on" :
		    "off", after ? "on" : "off");
}

/* OK or Apply: show what will happen (how many certificates are issued or
 * superseded) and the warnings, then apply. Turning enhanced HTTP off is a
 * destructive change: its button never has the focus at first. */
static void
site_apply(struct app *app, struct dialog_site *ds, int closing)
{
	static const char *const labels[] = { "Apply", "Cancel" };
	static const char *const off_labels[] = { "Turn off", "Cancel" };
	struct ehttp_security_change c;
	struct ehttp_plan plan;
	struct db_security x;
	const struct db_security *o = &ds->site.sec;
	struct box *b;
	char title[64];
	int was_on, now_on, planned;

	ds->closing = closing;
	if (dialog_site_form_renew(ds) == -1) {
		ds->closing = 0;
		dialog_message(app, "Site Properties", BOX_ERROR, "Renew"
		    " certificates: '%s' is not a number of days from 1 to %d.",
		    form_item(&ds->form, DS_RENEW)->text, EHTTP_RENEW_DAYS_MAX);
		return;
	}
	if (!dialog_site_form_changed(ds)) {
		if (closing)
			dialog_close(ds->self, DS_BTN_OK, NULL);
		return;
	}
	dialog_site_form_security(ds, &x);
	dialog_site_form_change(ds, &c);
	refresh_warnings(app, ds);
	planned = ehttp_site_plan(app_ehttp(app), ds->site.id, &c,
	    &plan) == 0;
	was_on = ehttp_site_enhanced(o);
	now_on = ehttp_site_enhanced(&x);
	if (ds->nwarnings == 0 && was_on == now_on && (!planned ||
	    (plan.issue == 0 && plan.retire == 0 && !plan.new_root))) {
		apply_now(app, ds);
		return;
	}
	snprintf(title, sizeof title, "%s site %s?", was_on && !now_on ?
	    "Turn enhanced HTTP off in" : "Apply to", ds->site.code);
	b = box_new(title);
	box_line(b, BOX_HEAD, "Changes to site %s:", ds->site.code);
	if (x.https_only != o->https_only)
		box_line(b, BOX_TEXT, "  Client communication: %s -> %s",
		    view_sites_comm(o), view_sites_comm(&x));
	describe(b, "Enhanced HTTP", o->enhanced_http, x.enhanced_http);
	describe(b, "Client PKI certificate", o->pki_client_cert,
	    x.pki_client_cert);
	describe(b, "CRL check", o->crl_check, x.crl_check);
	describe(b, "Require signing", o->require_signing, x.require_signing);
	describe(b, "Require SHA-256", o->require_sha256, x.require_sha256);
	describe(b, "Use encryption", o->use_encryption, x.use_encryption);
	if (strcmp(x.key_alg, o->key_alg) != 0)
		box_line(b, BOX_TEXT, "  Key algorithm: %s -> %s", o->key_alg,
		    x.key_alg);
	if (dialog_site_form_renew(ds) != ds->renew_days)
		box_line(b, BOX_TEXT, "  Renewal window: %d -> %d days",
		    ds->renew_days, dialog_site_form_renew(ds));
	box_line(b, BOX_TEXT, "  IISSSLState: %d -> %d", ehttp_iisssl_state(o),
	    ehttp_iisssl_state(&x));
	if (!was_on && now_on) {
		box_text(b, BOX_TEXT, "");
		box_line(b, BOX_INFO, "The site server creates the SMS Issuing"
		    " root of site %s if it has none, and issues an SMS Role SSL"
		    " Certificate to each %s of the site. Site systems with a"
		    " PKI certificate keep it.", ds->site.code,
		    ds->site.type == DB_SITE_CAS ? "SMS Provider" :
		    "HTTP management point, HTTP distribution point and SMS"
		    " Provider");
	}
	if (planned && (plan.issue > 0 || plan.new_root || plan.retire > 0)) {
		box_text(b, BOX_TEXT, "");
		if (plan.issue > 0 || plan.new_root)
			box_line(b, BOX_HEAD, "Certificates to issue: %zu SMS Role"
			    " SSL Certificate%s%s.", plan.issue,
			    plan.issue == 1 ? "" : "s", plan.new_root ?
			    " and a new SMS Issuing root" : "");
		if (plan.issue > 0)
			box_text(b, BOX_TEXT, "This can take a while; Esc cancels"
			    " it and leaves the site as it was.");
		if (plan.retire > 0 && now_on)
			box_line(b, BOX_HEAD, "Certificates to revoke: %zu.",
			    plan.retire);
	}
	if (was_on && !now_on) {
		box_text(b, BOX_TEXT, "");
		box_line(b, BOX_WARNING, "Turning enhanced HTTP off supersedes"
		    " %zu SMS Role SSL Certificate%s of site %s.", planned ?
		    plan.retire : 0, planned && plan.retire == 1 ? "" : "s",
		    ds->site.code);
		box_line(b, BOX_WARNING, "Its site systems lose TLS: HTTP"
		    " management points and distribution points serve plain"
		    " HTTP again, unless they have a PKI certificate (%zu"
		    " do%s).", planned ? plan.pki_kept : 0,
		    planned && plan.pki_kept == 1 ? "es" : "");
	}
	if (ds->nwarnings > 0)
		box_text(b, BOX_TEXT, "");
	for (size_t i = 0; i < ds->nwarnings; i++)
		box_text(b, BOX_WARNING, ds->warnings[i].text);
	if (was_on && !now_on) {
		box_buttons(b, off_labels, 2);
		box_button_flags(b, 0, FORM_BTN_DESTRUCTIVE);
	} else
		box_buttons(b, labels, 2);
	box_dialog(app, b, confirm_done, ds);
}

static int
site_changed(struct dialog *d, int id)
{
	struct dialog_site *ds = d->data;

	if (id == DS_ROOTS) {
		form_set(&ds->form, DS_ROOTS, 0);
		roots_open(d->app, ds);
		return DLG_REDRAW;
	}
	dialog_site_form_rules(ds, id);
	refresh_warnings(d->app, ds);
	return DLG_REDRAW;
}

static int
site_button(struct dialog *d, int pressed)
{
	site_apply(d->app, d->data, pressed == DS_BTN_OK);
	return DLG_REDRAW;
}

static void
site_free(void *data)
{
	dialog_site_form_free(data);
	free(data);
}

static const struct dialog_form_ops site_ops = {
	.width = 78,
	.button = site_button,
	.changed = site_changed,
	.free = site_free,
};

int
dialog_site_open(struct app *app, const char *code)
{
	struct dialog_site *ds;
	struct db_site s;
	struct dialog *d;
	int days;

	if (ehttp_site_resolve(app_ehttp(app), code, &s) != 1 ||
	    ehttp_site_renew_days(app_ehttp(app), s.id, &days) == -1) {
		app_status(app, 1, "%s", ehttp_error(app_ehttp(app)));
		return -1;
	}
	ds = xcalloc(1, sizeof *ds);
	dialog_site_form_init(ds, &s, days);
	ds->form.extra_lines = extra_lines;
	ds->form.extra_draw = extra_draw;
	ds->form.arg = ds;
	refresh_warnings(app, ds);
	roots_refresh(app, ds);
	d = dialog_form_new(app, &site_ops, &ds->form, ds);
	ds->self = d;
	app_dialog_push(app, d);
	return 0;
}
