/*
 * The console, at three levels: the view logic without a terminal (key
 * table, list windowing, keyset row buffer, forms and the Site Properties
 * rules, the log model); rendering into an off-screen newterm screen read
 * back with mvwinnstr; and the real binary driven in a private tmux server.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "tui.h"
#include "testutil.h"
#include "xmalloc.h"

static char *tdir;
static char db[4096], logdir[4096], logfile[4200];

/* A small log: information, warning, error, junk, information. */
static const char fixture_log[] =
    "<![LOG[Call to HttpSendRequestSync succeeded for port 443 with status"
    " code 200, text: OK]LOG]!><time=\"14:05:12.345+000\" date=\"11-24-2026\""
    " component=\"SMS_MP_CONTROL_MANAGER\" context=\"\" type=\"1\""
    " thread=\"4321\" file=\"mpcontrol.c:212\">\n"
    "<![LOG[Certificate of mp.contoso.com expires in 20 days]LOG]!><time="
    "\"14:05:13.000+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL_"
    "MANAGER\" context=\"\" type=\"2\" thread=\"4321\" file=\"mpcontrol.c:"
    "300\">\n"
    "<![LOG[Failed to bind the certificate to port 443]LOG]!><time=\"14:05:"
    "14.000+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\""
    " context=\"\" type=\"3\" thread=\"4322\" file=\"mpcontrol.c:310\">\n"
    "this line is not a record\n"
    "<![LOG[Health check finished]LOG]!><time=\"14:05:15.000+000\" date=\""
    "11-24-2026\" component=\"MP_HEALTH\" context=\"\" type=\"1\" thread=\""
    "4323\" file=\"health.c:9\">\n";

static void
append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static void
setup_dirs(void)
{
	tdir = tu_tmpdir();
	snprintf(db, sizeof db, "%s/site.db", tdir);
	snprintf(logdir, sizeof logdir, "%s/logs", tdir);
	snprintf(logfile, sizeof logfile, "%s/mpcontrol.log", logdir);
	ck_assert_int_eq(mkdir(logdir, 0755), 0);
	ck_assert_int_eq(tu_write_file(logfile, fixture_log,
	    strlen(fixture_log)), 0);
}

static void
setup_demo(void)
{
	char *out = NULL, *err = NULL;
	int rc;

	setup_dirs();
	rc = tu_ctl(db, &out, &err, "init", "--demo", NULL);
	ck_assert_msg(rc == 0, "init --demo: %s", err);
	free(out);
	free(err);
}

static void
teardown(void)
{
	tu_tmpdir_free(tdir);
	tdir = NULL;
}

static const struct tu_fixture logic_fixture = { .teardown = teardown };

/* The sqlite3 CLI's answer to one query (trailing newline cut). */
static char *
sql1(const char *query)
{
	return tu_line1(tu_sh_ok("sqlite3 %s \"%s\"", db, query));
}

/* A client of site P01 named by the SQL expression name (its bytes as
 * a management point's login could write them). */
static void
add_client(const char *smsid, const char *name)
{
	char *q;

	xasprintf(&q, "INSERT INTO client (smsid, name, site_id, thumbprint,"
	    " sign_der, enc_der, registered) VALUES ('%s', %s, (SELECT id FROM"
	    " site WHERE code = 'P01'), 'EE', x'00', x'00', 1700000000)",
	    smsid, name);
	free(sql1(q));
	free(q);
}

static void
sql_is(const char *query, const char *want)
{
	char *v = sql1(query);

	ck_assert_msg(strcmp(v, want) == 0, "%s: '%s', want '%s'", query, v,
	    want);
	free(v);
}

/* Site P01 with n more HTTP management points and keys of alg (rsa3072:
 * enabling enhanced HTTP takes seconds, long work to press keys during). */
static void
load_systems(int n, const char *alg)
{
	free(tu_sh_ok("sqlite3 %s \"UPDATE site_security SET key_alg"
	    " = '%s' WHERE site_id = (SELECT id FROM site WHERE code ="
	    " 'P01'); WITH RECURSIVE n(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO"
	    " site_system (fqdn, site_id, created) SELECT printf('load%%03d.p01"
	    ".contoso.com', i), (SELECT id FROM site WHERE code = 'P01'),"
	    " 1700000000 FROM n; INSERT INTO role (system_id, role, connection)"
	    " SELECT id, 'mp', 'http' FROM site_system WHERE fqdn LIKE"
	    " 'load%%'\"", db, alg, n));
}

/* What must not change when work is cancelled: every certificate row
 * (pending ones too) and the site's settings. */
static char *
db_state(void)
{
	return sql1("SELECT (SELECT count(*) FROM cert) || ' ' || (SELECT"
	    " ifnull(group_concat(state), '-') FROM cert) || ' ' ||"
	    " enhanced_http || ' ' || https_only FROM site_security WHERE"
	    " site_id = (SELECT id FROM site WHERE code = 'P01')");
}


/*
 * Clients. A client registered the way the management point records one:
 * the backend's registration with a real client certificate (a fresh RSA
 * key, as ehttp-client makes), the name as the client sent it (untrusted:
 * any bytes). Its SMSID into smsid.
 */
static void
register_client(const char *name, char *smsid, size_t len)
{
	static const char pass[] =	/* the key is thrown away */
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct ehttp_client_reg reg;
	struct ca_issued c;
	struct db_client out;
	struct db_site site;
	struct ehttp *e;
	struct ca *ca = ca_new();
	char *cause = NULL;

	memset(&c, 0, sizeof c);
	ck_assert_msg(ca_client_cert_create(ca, "WKS", pass, &c) == 0, "%s",
	    ca_error(ca));
	ca_free(ca);
	e = ehttp_open(db, EHTTP_NO_KEYS, &cause);
	ck_assert_msg(e != NULL, "ehttp_open: %s", cause);
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &site), 1);
	memset(&reg, 0, sizeof reg);
	reg.site_id = site.id;
	reg.name = name;
	reg.sign_cert = reg.enc_cert = c.cert.data;
	reg.sign_cert_len = reg.enc_cert_len = c.cert.len;
	ck_assert_msg(ehttp_client_register(e, &reg, &out) == EHTTP_REG_NEW,
	    "register: %s", ehttp_error(e));
	snprintf(smsid, len, "%s", out.smsid);
	ehttp_close(e);
	ca_issued_clear(&c);
}

/* n clients WKS00001... in P01 straight into the database (sqlite3), odd
 * ones approved: a large inventory without n RSA keys. */
static void
load_clients(int n)
{
	free(tu_sh_ok("sqlite3 %s \"WITH RECURSIVE n(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO client"
	    " (smsid, name, site_id, thumbprint, sign_der, enc_der, approved,"
	    " approved_by, registered, last_contact) SELECT"
	    " printf('GUID:00000000-0000-4000-8000-%%012d', i),"
	    " printf('WKS%%05d', i), (SELECT id FROM site WHERE code = 'P01'),"
	    " printf('%%040X', i), x'00', x'00', i %% 2, CASE i %% 2 WHEN 1"
	    " THEN 'auto' ELSE '' END, 1700000000 + i, 1700000000 + i FROM n\"",
	    db, n));
}

/* A client's JSON from `ehttpctl client show --json`, one python3 value. */
static char *
client_py(const char *smsid, const char *expr)
{
	return tu_ctl_json(db, expr, "client", "show", smsid, "--json", NULL);
}

/*
 * Level 1: logic without a terminal.
 */

START_TEST(keys_unique_per_context)
{
	/* A key may do one thing in each context that can be active. */
	for (size_t c = 0; c < keys_ncontexts; c++)
		for (size_t i = 0; i < keys_count; i++)
			for (size_t j = i + 1; j < keys_count; j++) {
				const struct keys_binding *a = &keys_table[i];
				const struct keys_binding *b = &keys_table[j];

				if (a->key != b->key ||
				    !(a->scope & keys_contexts[c]) ||
				    !(b->scope & keys_contexts[c]))
					continue;
				ck_abort_msg("key %d bound twice in context %#x"
				    " (rows %zu and %zu)", a->key,
				    keys_contexts[c], i, j);
			}
	/* Every action is reachable and explained. */
	for (int a = KA_QUIT; a < KA_ACTION_MAX; a++) {
		int found = 0, helped = 0;

		for (size_t i = 0; i < keys_count; i++)
			if (keys_table[i].action == (enum keys_action)a) {
				found = 1;
				helped |= keys_table[i].help != NULL;
			}
		ck_assert_msg(found && helped, "action %d: no key or no help",
		    a);
	}
}
END_TEST

/* Which action a key does in a context (a view's KS_* flags). */
#define SITES	(KS_GLOBAL | KS_LIST | KS_SITES)
static const struct {
	int		 key;
	unsigned	 context;
	enum keys_action action;
} lookup_cases[] = {
	{ '\r', SITES, KA_OPEN },
	{ '\r', KS_DIALOG, KA_OK },
	{ ' ', KS_DIALOG, KA_TOGGLE },
	{ '\t', KS_DIALOG, KA_NEXT_FIELD },
	{ KEY_BTAB, KS_DIALOG, KA_PREV_FIELD },
	{ KEY_NPAGE, KS_DIALOG, KA_NEXT_TAB },
	{ '\t', KS_BOX, KA_NEXT_FIELD },
	{ 27, KS_PROGRESS, KA_CANCEL },
	{ 'q', KS_PROGRESS, KA_NONE },
	/* / finds only where a view implements find. */
	{ '/', SITES, KA_NONE },
	{ '/', SITES | KS_FIND, KA_FIND },
	{ '/', KS_GLOBAL | KS_LIST | KS_OVERVIEW, KA_NONE },
	{ '\t', SITES, KA_PANE },
	{ 'q', SITES, KA_QUIT },
	{ 'q', KS_DIALOG, KA_NONE },		/* typing */
	{ 'q', KS_BOX, KA_CANCEL },
	{ KEY_F(1), KS_DIALOG, KA_HELP },
	{ '?', SITES, KA_HELP },
	{ 'j', SITES, KA_DOWN },
	{ 'l', KS_GLOBAL | KS_TREE, KA_OPEN },
	{ 'b', KS_GLOBAL | KS_LIST | KS_CERTS, KA_BLOCK },
	{ 'b', SITES, KA_NONE },
	{ 'f', KS_GLOBAL | KS_LIST | KS_LOG, KA_FOLLOW },
	{ KEY_F(10), KS_SMALL, KA_QUIT },
};
#undef SITES

START_TEST(keys_lookup_by_context)
{
	ck_assert_msg(keys_lookup(lookup_cases[_i].key,
	    lookup_cases[_i].context) == lookup_cases[_i].action, "key %d in"
	    " context %#x: action %d, want %d", lookup_cases[_i].key,
	    lookup_cases[_i].context, (int)keys_lookup(lookup_cases[_i].key,
	    lookup_cases[_i].context), (int)lookup_cases[_i].action);
}
END_TEST

START_TEST(keys_bar_and_help_from_one_table)
{
	unsigned certs = KS_GLOBAL | KS_LIST | KS_CERTS;
	char bar[512], name[32];
	char **help;
	size_t n;
	int has_block = 0, has_enter = 0;

	keys_bar_text(certs, 200, bar, sizeof bar);
	ck_assert_ptr_nonnull(strstr(bar, "F1Help"));
	ck_assert_ptr_nonnull(strstr(bar, "EnterDetails"));
	ck_assert_ptr_nonnull(strstr(bar, "F4Filter"));
	ck_assert_ptr_nonnull(strstr(bar, "F6Sort"));
	ck_assert_ptr_nonnull(strstr(bar, "bBlock"));
	ck_assert_ptr_nonnull(strstr(bar, "eExport"));
	ck_assert_ptr_eq(strstr(bar, "Properties"), NULL);
	/* F1 first and Quit last, whatever the order of the table. */
	ck_assert_int_eq(strncmp(bar, "F1Help", 6), 0);
	ck_assert_str_eq(bar + strlen(bar) - 7, "F10Quit");
	/* Narrow: Help and Quit stay, the bar fits. */
	keys_bar_text(certs, 30, bar, sizeof bar);
	ck_assert_int_le((int)strlen(bar), 30);
	ck_assert_ptr_nonnull(strstr(bar, "F1Help"));
	ck_assert_ptr_nonnull(strstr(bar, "F10Quit"));
	keys_bar_text(KS_DIALOG, 200, bar, sizeof bar);
	ck_assert_ptr_nonnull(strstr(bar, "EnterOK"));
	ck_assert_ptr_nonnull(strstr(bar, "EscCancel"));
	ck_assert_ptr_nonnull(strstr(bar, "SpaceToggle"));

	help = keys_help(~0u, &n);
	ck_assert_uint_gt(n, 40);
	for (size_t i = 0; i < n; i++) {
		if (strstr(help[i], "Block the certificate") != NULL &&
		    strstr(help[i], "b ") != NULL)
			has_block = 1;
		if (strstr(help[i], "Site Properties") != NULL &&
		    strstr(help[i], "Enter") != NULL)
			has_enter = 1;
		free(help[i]);
	}
	free(help);
	ck_assert(has_block && has_enter);
	ck_assert_str_eq(keys_name(KEY_F(10), name, sizeof name), "F10");
	ck_assert_str_eq(keys_name(2, name, sizeof name), "^B");
}
END_TEST

START_TEST(list_windowing)
{
	struct list l;
	struct list_col cols[3] = {
		{ "Alpha", NULL, 5, 10, 0, 0 },
		{ "Beta", NULL, 5, 20, 1, LIST_ELASTIC },
		{ "Gamma", "G", 10, 10, 2, 0 },
	};
	int w[3];

	memset(&l, 0, sizeof l);
	list_set_height(&l, 10);
	list_set_count(&l, 100);
	list_move(&l, 15);
	ck_assert_uint_eq(l.cursor, 15);
	ck_assert_uint_eq(l.top, 6);	/* cursor on the last visible row */
	list_page(&l, 1);
	ck_assert_uint_eq(l.cursor, 24);
	ck_assert(l.cursor >= l.top && l.cursor < l.top + 10);
	list_end(&l);
	ck_assert_uint_eq(l.cursor, 99);
	ck_assert_uint_eq(l.top, 90);
	list_move(&l, 5);
	ck_assert_uint_eq(l.cursor, 99);
	list_home(&l);
	ck_assert_uint_eq(l.cursor, 0);
	ck_assert_uint_eq(l.top, 0);
	list_move(&l, -3);
	ck_assert_uint_eq(l.cursor, 0);
	list_end(&l);
	list_set_count(&l, 42);		/* the list shrank */
	ck_assert_uint_eq(l.cursor, 41);
	ck_assert_uint_eq(l.top, 32);
	list_set_height(&l, 50);	/* taller than the list */
	ck_assert_uint_eq(l.top, 0);
	list_set_count(&l, 0);
	ck_assert_uint_eq(l.cursor, 0);
	ck_assert(list_key(&l, KA_DOWN));
	ck_assert(!list_key(&l, KA_OPEN));

	/* Columns: all fit, the elastic one takes the rest. */
	ck_assert_int_eq(list_layout(cols, 3, 0, 60, w), 3);
	ck_assert_int_eq(w[0], 10);
	ck_assert_int_eq(w[2], 10);
	ck_assert_int_eq(w[0] + w[1] + w[2] + 2, 60);
	/* Narrow: the last column is cut off, reachable by scrolling. */
	ck_assert_int_eq(list_layout(cols, 3, 0, 20, w), 2);
	ck_assert_int_eq(w[2], 0);
	ck_assert_int_eq(list_layout(cols, 3, 1, 20, w), 2);
	ck_assert_int_eq(w[0], 0);
	ck_assert_int_eq(list_col_at(cols, 3, 0, 60, 0), 0);
	ck_assert_int_eq(list_col_at(cols, 3, 0, 60, 59), 2);
}
END_TEST

/* A keyset source over 0..N-1 (value = 7 * index), for the row buffer. */
struct fake_row {
	int64_t	 key;
	char	 pad[40];
};

struct fake {
	size_t	 n;
	size_t	 calls;
};

static int
fake_fetch(void *arg, const void *after, int backward, size_t limit,
    void **rows, size_t *n)
{
	struct fake *f = arg;
	struct fake_row *v = calloc(limit ? limit : 1, sizeof *v);
	int64_t start;

	f->calls++;
	*n = 0;
	if (!backward) {
		start = after == NULL ? 0 :
		    ((const struct fake_row *)after)->key / 7 + 1;
		for (int64_t i = start; i < (int64_t)f->n && *n < limit; i++)
			v[(*n)++].key = i * 7;
	} else {
		start = after == NULL ? (int64_t)f->n - 1 :
		    ((const struct fake_row *)after)->key / 7 - 1;
		for (int64_t i = start; i >= 0 && *n < limit; i--)
			v[(*n)++].key = i * 7;
	}
	*rows = v;
	return 0;
}

static void
check_rows(struct rowbuf *rb, size_t from, size_t n)
{
	for (size_t i = from; i < from + n; i++) {
		const struct fake_row *r = rowbuf_get(rb, i);

		ck_assert_msg(r != NULL, "row %zu missing", i);
		ck_assert_int_eq(r->key, (int64_t)i * 7);
	}
}

START_TEST(rowbuf_keyset_window)
{
	struct fake f = { 100000, 0 };
	struct rowbuf rb;
	size_t page = 20;

	rowbuf_init(&rb, sizeof(struct fake_row), fake_fetch, &f);
	rb.total = f.n;
	ck_assert_int_eq(rowbuf_ensure(&rb, 0, page), 0);
	check_rows(&rb, 0, page);
	/* Walking down page by page fetches about one page per page. */
	for (size_t top = 0; top < 5000; top += page) {
		ck_assert_int_eq(rowbuf_ensure(&rb, top, page), 0);
		check_rows(&rb, top, page);
		ck_assert_uint_le(rb.n, rb.keep + 2 * page);
	}
	ck_assert_uint_le(rb.fetched, 5000 + 4 * page);
	/* End: the last page at once, read backwards from the end. */
	f.calls = 0;
	rb.fetched = 0;
	ck_assert_int_eq(rowbuf_ensure(&rb, f.n - page, page), 0);
	check_rows(&rb, f.n - page, page);
	ck_assert_uint_eq(f.calls, 1);
	ck_assert_uint_le(rb.fetched, 2 * page);
	/* Up from the end. */
	for (size_t top = f.n - page; top > f.n - 3000; top -= page) {
		ck_assert_int_eq(rowbuf_ensure(&rb, top, page), 0);
		check_rows(&rb, top, page);
	}
	ck_assert_uint_le(rb.fetched, 3000 + 6 * page);
	/* Home again. */
	ck_assert_int_eq(rowbuf_ensure(&rb, 0, page), 0);
	check_rows(&rb, 0, page);
	/* Never the whole list. */
	ck_assert_uint_le(rb.n, rb.keep + 2 * page);
	/* A reload keeps the rows in place. */
	ck_assert_int_eq(rowbuf_ensure(&rb, 40, page), 0);
	ck_assert_int_eq(rowbuf_reload(&rb, 40, page), 0);
	check_rows(&rb, 40, page);
	/* The list turns out shorter than counted: the count follows. */
	rowbuf_clear(&rb);
	rb.total = f.n + 50;
	ck_assert_int_eq(rowbuf_ensure(&rb, 0, page), 0);
	for (size_t top = 0; top + page <= f.n && top < 300; top += page)
		ck_assert_int_eq(rowbuf_ensure(&rb, top, page), 0);
	rowbuf_clear(&rb);
	f.n = 5;
	rb.total = 5;
	ck_assert_int_eq(rowbuf_ensure(&rb, 0, page), 0);
	check_rows(&rb, 0, 5);
	ck_assert_ptr_eq(rowbuf_get(&rb, 5), NULL);
	rowbuf_clear(&rb);
}
END_TEST

START_TEST(text_helpers)
{
	const char buf[] = { 'a', 'B', 'c', 'X', 'y', 'Z' };	/* no NUL */
	size_t next, n;
	char out[8];

	ck_assert_ptr_eq(text_casefind(buf, sizeof buf, "xyz"), buf + 3);
	ck_assert_ptr_eq(text_casefind(buf, sizeof buf, "bcx"), buf + 1);
	ck_assert_ptr_eq(text_casefind(buf, 5, "xyz"), NULL);	/* bounded */
	ck_assert_ptr_eq(text_casefind(buf, sizeof buf, "q"), NULL);
	ck_assert_int_eq(text_cols("hello", (size_t)-1), 5);
	ck_assert_int_eq(text_cols("a\tb", (size_t)-1), 3);
	n = text_wrap("one two three", 13, 8, &next);
	ck_assert_uint_eq(n, 7);		/* "one two" */
	ck_assert_uint_eq(next, 8);
	n = text_wrap("line1\r\nline2", 12, 40, &next);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(next, 7);
	n = text_wrap("abcdefghij", 10, 4, &next);	/* no space: cut */
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(next, 4);
	text_copy(out, sizeof out, "abcdefghijkl", 12);
	ck_assert_str_eq(out, "abcdefg");
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
		text_utf8 = 1;
		/* Two wide characters, one invalid byte shown as one. */
		ck_assert_int_eq(text_cols("\xe6\x97\xa5\xe6\x9c\xac", 6), 4);
		ck_assert_int_eq(text_cols("a\xff" "b", 3), 3);
		text_utf8 = 0;
		setlocale(LC_CTYPE, "C");
	}
	/* Without UTF-8 a multibyte character is one '?'. */
	ck_assert_int_eq(text_cols("\xc3\xa9", 2), 1);
}
END_TEST

static struct db_site
demo_site(const char *code, enum db_site_type type, int https_only)
{
	struct db_site s;

	memset(&s, 0, sizeof s);
	s.id = 2;
	snprintf(s.code, sizeof s.code, "%s", code);
	snprintf(s.name, sizeof s.name, "Contoso-East");
	s.type = type;
	s.sec.https_only = https_only;
	s.sec.pki_client_cert = https_only;
	s.sec.crl_check = 1;
	snprintf(s.sec.key_alg, sizeof s.sec.key_alg, "rsa2048");
	return s;
}

START_TEST(site_dialog_rules)
{
	struct db_site s = demo_site("P01", DB_SITE_PRIMARY, 0);
	struct ehttp_security_change c;
	struct dialog_site ds;
	struct form *f = &ds.form;

	memset(&ds, 0, sizeof ds);
	dialog_site_form_init(&ds, &s, 30);
	ck_assert_int_eq(f->ntabs, 3);
	ck_assert_str_eq(f->tabs[DS_TAB_COMM], "Communication Security");
	ck_assert_str_eq(f->tabs[DS_TAB_SIGNING], "Signing and Encryption");
	ck_assert_int_eq(f->tab, DS_TAB_COMM);
	ck_assert_int_eq(form_focused_id(f), DS_HTTPS_ONLY);
	ck_assert(form_item(f, DS_EHTTP)->enabled);
	ck_assert(form_item(f, DS_PKI)->enabled);
	ck_assert(!dialog_site_form_changed(&ds));
	ck_assert(!f->button_enabled[DS_BTN_APPLY]);

	/* HTTPS only: the PKI option is forced on and greyed, enhanced HTTP
	 * cleared and greyed. */
	form_set(f, DS_EHTTP, 1);
	dialog_site_form_rules(&ds, DS_EHTTP);
	form_set(f, DS_HTTPS_ONLY, 1);
	dialog_site_form_rules(&ds, DS_HTTPS_ONLY);
	ck_assert_int_eq(form_value(f, DS_HTTPS_OR_HTTP), 0);
	ck_assert_int_eq(form_value(f, DS_PKI), 1);
	ck_assert(!form_item(f, DS_PKI)->enabled);
	ck_assert_int_eq(form_value(f, DS_EHTTP), 0);
	ck_assert(!form_item(f, DS_EHTTP)->enabled);
	ck_assert(f->button_enabled[DS_BTN_APPLY]);
	/* A greyed check box does not toggle. */
	f->focus = (int)(form_item(f, DS_EHTTP) - f->items);
	ck_assert_int_eq(form_key(f, KA_TOGGLE, ' '), FORM_NONE);
	ck_assert_int_eq(form_value(f, DS_EHTTP), 0);
	dialog_site_form_change(&ds, &c);
	ck_assert_int_eq(c.https_only, 1);
	ck_assert_int_eq(c.pki_client_cert, 1);
	ck_assert_int_eq(c.enhanced_http, -1);	/* was off, is off */
	ck_assert_int_eq(c.crl_check, -1);

	/* Back to HTTPS or HTTP: both come back, PKI as it was. */
	form_set(f, DS_HTTPS_OR_HTTP, 1);
	dialog_site_form_rules(&ds, DS_HTTPS_OR_HTTP);
	ck_assert_int_eq(form_value(f, DS_HTTPS_ONLY), 0);
	ck_assert_int_eq(form_value(f, DS_PKI), 0);
	ck_assert(form_item(f, DS_PKI)->enabled);
	ck_assert(form_item(f, DS_EHTTP)->enabled);
	ck_assert(!dialog_site_form_changed(&ds));

	/* Tick enhanced HTTP with the keys, as a person would. */
	form_focus_first(f);
	ck_assert_int_eq(form_key(f, KA_DOWN, KEY_DOWN), FORM_MOVED);
	ck_assert_int_eq(form_key(f, KA_DOWN, KEY_DOWN), FORM_MOVED);
	ck_assert_int_eq(form_focused_id(f), DS_EHTTP);
	ck_assert_int_eq(form_key(f, KA_TOGGLE, ' '), FORM_CHANGED);
	ck_assert_int_eq(f->changed_id, DS_EHTTP);
	dialog_site_form_rules(&ds, f->changed_id);
	ck_assert(f->button_enabled[DS_BTN_APPLY]);
	dialog_site_form_change(&ds, &c);
	ck_assert_int_eq(c.enhanced_http, 1);
	ck_assert_int_eq(c.https_only, -1);
	ck_assert_int_eq(c.pki_client_cert, -1);
	ck_assert_ptr_eq(c.key_alg, NULL);
	/* Enter presses OK (the default button). */
	ck_assert_int_eq(form_key(f, KA_OK, '\r'), FORM_BUTTON);
	ck_assert_int_eq(f->pressed, DS_BTN_OK);

	/* Signing: SHA-256 only with signing. */
	ck_assert(!form_item(f, DS_SHA256)->enabled);
	form_set(f, DS_SIGNING, 1);
	dialog_site_form_rules(&ds, DS_SIGNING);
	ck_assert(form_item(f, DS_SHA256)->enabled);
	form_set(f, DS_SHA256, 1);
	form_set(f, DS_SIGNING, 0);
	dialog_site_form_rules(&ds, DS_SIGNING);
	ck_assert_int_eq(form_value(f, DS_SHA256), 0);
	ck_assert(!form_item(f, DS_SHA256)->enabled);

	/* Tabs: Tab goes round General, Communication, Signing. */
	ck_assert_int_eq(form_key(f, KA_NEXT_TAB, '\t'), FORM_MOVED);
	ck_assert_int_eq(f->tab, DS_TAB_SIGNING);
	ck_assert_int_eq(form_key(f, KA_NEXT_TAB, '\t'), FORM_MOVED);
	ck_assert_int_eq(f->tab, DS_TAB_GENERAL);
	ck_assert_int_eq(form_focused_id(f), DS_KEYALG);
	ck_assert_int_eq(form_key(f, KA_RIGHT, KEY_RIGHT), FORM_CHANGED);
	dialog_site_form_change(&ds, &c);
	ck_assert_str_eq(c.key_alg, "rsa3072");
	/* The renewal window: digits from 1 to 180, else -1. */
	ck_assert_int_eq(dialog_site_form_renew(&ds), 30);
	snprintf(form_item(f, DS_RENEW)->text, 8, "180");
	ck_assert_int_eq(dialog_site_form_renew(&ds), 180);
	ck_assert(dialog_site_form_changed(&ds));
	for (size_t i = 0; i < 5; i++) {
		static const char *const bad[] = { "0", "181", "", "+5", "3 " };

		snprintf(form_item(f, DS_RENEW)->text, 8, "%s", bad[i]);
		ck_assert_int_eq(dialog_site_form_renew(&ds), -1);
	}
	ck_assert_int_eq(form_key(f, KA_CANCEL, 27), FORM_CANCEL);
	dialog_site_form_free(&ds);
}
END_TEST

START_TEST(site_dialog_site_types)
{
	struct db_site s = demo_site("S01", DB_SITE_SECONDARY, 0);
	struct db_site p = demo_site("P02", DB_SITE_PRIMARY, 1);
	struct ehttp_security_change c;
	struct dialog_site ds;

	/* No Signing and Encryption tab but on a primary. */
	memset(&ds, 0, sizeof ds);
	dialog_site_form_init(&ds, &s, 30);
	ck_assert_int_eq(ds.form.ntabs, 2);
	ck_assert_ptr_eq(form_item(&ds.form, DS_SIGNING), NULL);
	dialog_site_form_change(&ds, &c);
	ck_assert_int_eq(c.require_signing, -1);
	dialog_site_form_free(&ds);

	/* A site that is HTTPS only opens with both options greyed. */
	memset(&ds, 0, sizeof ds);
	dialog_site_form_init(&ds, &p, 30);
	ck_assert_int_eq(form_value(&ds.form, DS_HTTPS_ONLY), 1);
	ck_assert(!form_item(&ds.form, DS_EHTTP)->enabled);
	ck_assert(!form_item(&ds.form, DS_PKI)->enabled);
	ck_assert_int_eq(form_value(&ds.form, DS_PKI), 1);
	/* Arrow keys in the radio group choose HTTPS or HTTP. */
	form_focus_first(&ds.form);
	ck_assert_int_eq(form_key(&ds.form, KA_DOWN, KEY_DOWN), FORM_MOVED);
	ck_assert_int_eq(form_focused_id(&ds.form), DS_HTTPS_OR_HTTP);
	ck_assert_int_eq(form_key(&ds.form, KA_TOGGLE, ' '), FORM_CHANGED);
	dialog_site_form_rules(&ds, ds.form.changed_id);
	ck_assert(form_item(&ds.form, DS_EHTTP)->enabled);
	ck_assert_int_eq(form_key(&ds.form, KA_LEFT, KEY_LEFT), FORM_CHANGED);
	ck_assert_int_eq(form_value(&ds.form, DS_HTTPS_ONLY), 1);
	dialog_site_form_free(&ds);
}
END_TEST

static const char *const ok_cancel[] = { "OK", "Cancel" };

START_TEST(form_text_and_buttons)
{
	struct form f;
	struct form_item *it;

	form_init(&f, "Find");
	it = form_add(&f, FORM_TEXT, 1, 0, 0, "Text:");
	form_buttons(&f, ok_cancel, 2);
	form_focus_first(&f);
	ck_assert(form_is_text_focus(&f));
	form_key(&f, KA_NONE, 'a');
	form_key(&f, KA_NONE, 'q');		/* letters are text here */
	form_key(&f, KA_TOGGLE, ' ');		/* and so is Space */
	form_key(&f, KA_NONE, 'z');
	ck_assert_str_eq(it->text, "aq z");
	form_key(&f, KA_LEFT, KEY_LEFT);
	form_key(&f, KA_NONE, KEY_BACKSPACE);
	ck_assert_str_eq(it->text, "aqz");
	form_key(&f, KA_HOME, KEY_HOME);
	form_key(&f, KA_NONE, 'X');
	ck_assert_str_eq(it->text, "Xaqz");
	form_key(&f, KA_NONE, 'u' & 0x1f);
	ck_assert_str_eq(it->text, "");
	/* Down goes to the buttons; Right, Enter presses Cancel. */
	ck_assert_int_eq(form_key(&f, KA_DOWN, KEY_DOWN), FORM_MOVED);
	ck_assert_int_eq(form_focused_id(&f), -1);
	ck_assert_int_eq(form_key(&f, KA_RIGHT, KEY_RIGHT), FORM_MOVED);
	ck_assert_int_eq(form_key(&f, KA_OK, '\r'), FORM_BUTTON);
	ck_assert_int_eq(f.pressed, 1);
}
END_TEST

START_TEST(role_dialog_model)
{
	struct dialog_role dr;
	struct dialog_role_change ch;
	struct db_role r;

	memset(&r, 0, sizeof r);
	snprintf(r.fqdn, sizeof r.fqdn, "dp2.p01.contoso.com");
	snprintf(r.role, sizeof r.role, "dp");
	snprintf(r.connection, sizeof r.connection, "http");
	r.allow_anonymous = 1;
	r.allow_propfind = 1;
	memset(&dr, 0, sizeof dr);
	dialog_role_form_init(&dr, &r);
	ck_assert_str_eq(dr.form.tabs[0], "Communication");
	ck_assert_int_eq(form_value(&dr.form, DR_HTTP), 1);
	ck_assert_int_eq(form_value(&dr.form, DR_ANON), 1);
	ck_assert_int_eq(form_value(&dr.form, DR_PROPFIND), 1);
	ck_assert(!dialog_role_form_changed(&dr, &ch));
	form_set(&dr.form, DR_ANON, 0);
	ck_assert(dialog_role_form_changed(&dr, &ch));
	ck_assert_ptr_eq(ch.connection, NULL);
	ck_assert_int_eq(ch.allow_anonymous, 0);
	ck_assert_int_eq(ch.allow_propfind, -1);
	form_set(&dr.form, DR_PROPFIND, 0);
	ck_assert(dialog_role_form_changed(&dr, &ch));
	ck_assert_int_eq(ch.allow_propfind, 0);
	form_set(&dr.form, DR_HTTPS, 1);
	ck_assert(dialog_role_form_changed(&dr, &ch));
	ck_assert_str_eq(ch.connection, "https");

	snprintf(r.role, sizeof r.role, "mp");
	r.allow_anonymous = -1;
	memset(&dr, 0, sizeof dr);
	dialog_role_form_init(&dr, &r);
	ck_assert_str_eq(dr.form.tabs[0], "General");
	ck_assert_ptr_eq(form_item(&dr.form, DR_ANON), NULL);
	ck_assert_ptr_eq(form_item(&dr.form, DR_PROPFIND), NULL);
	form_set(&dr.form, DR_HTTPS, 1);
	ck_assert(dialog_role_form_changed(&dr, &ch));
	ck_assert_str_eq(ch.connection, "https");
	ck_assert_int_eq(ch.allow_anonymous, -1);
	ck_assert_int_eq(ch.allow_propfind, -1);
}
END_TEST

static void
scan_all(struct logscan *ls)
{
	int guard = 0;

	while (logscan_work(ls, 50) && guard++ < 1000)
		;
}

/* A find for needle from row from (backward: back) run to its end,
 * asserted to say result (1 found, 0 not) and, found, the row found. */
static void
find_is(struct logscan *ls, const char *needle, size_t from, int back,
    int result, size_t found)
{
	logscan_find(ls, needle, from, back);
	scan_all(ls);
	ck_assert_int_eq(ls->find_result, result);
	if (result == 1)
		ck_assert_uint_eq(ls->found, found);
}

START_TEST(logscan_filter_find_follow)
{
	struct logscan ls;
	struct cmlog_filter f;
	char *cause = NULL;

	setup_dirs();
	ck_assert_int_eq(logscan_open(&ls, logfile, &cause), 0);
	scan_all(&ls);
	ck_assert(ls.done);
	ck_assert_uint_eq(logscan_count(&ls), 5);

	memset(&f, 0, sizeof f);
	f.classes = CMLOG_CLASS_ERROR;
	logscan_set_filter(&ls, &f);
	scan_all(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 1);
	ck_assert_uint_eq(logscan_id(&ls, 0), 2);
	f.classes = CMLOG_CLASS_WARNING | CMLOG_CLASS_ERROR;
	logscan_set_filter(&ls, &f);
	scan_all(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 2);
	ck_assert_uint_eq(logscan_row_of(&ls, 3), 1);	/* nearest before */
	memset(&f, 0, sizeof f);
	snprintf(f.text, sizeof f.text, "PORT 443");	/* any case */
	logscan_set_filter(&ls, &f);
	scan_all(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 2);
	memset(&f, 0, sizeof f);
	snprintf(f.component, sizeof f.component, "mp_health");
	logscan_set_filter(&ls, &f);
	scan_all(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 1);
	ck_assert_uint_eq(logscan_id(&ls, 0), 4);
	logscan_clear_filter(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 5);

	/* Find forward, wrapping; backward; and a miss. */
	find_is(&ls, "health", 0, 0, 1, 4);
	find_is(&ls, "httpsendrequest", 4, 0, 1, 0);
	ck_assert(ls.find_wrapped);
	find_is(&ls, "certificate", 4, 1, 1, 2);
	find_is(&ls, "no such text", 1, 0, 0, 0);

	/* Follow: a record appended shows up. */
	append(logfile, "<![LOG[Appended later]LOG]!><time=\"14:06:00.000+000\""
	    " date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\""
	    " context=\"\" type=\"2\" thread=\"1\" file=\"\">\n");
	ck_assert_int_eq(logscan_refresh(&ls), 1);
	scan_all(&ls);
	ck_assert_uint_eq(logscan_count(&ls), 6);
	ck_assert_int_eq(logscan_type_at(&ls, 5), CMLOG_TYPE_WARNING);
	logscan_close(&ls);
	teardown();
}
END_TEST

static int
cancel_at_half(const char *what, size_t done, size_t total, void *arg)
{
	int *calls = arg;

	(*calls)++;
	return total > 0 && done * 2 >= total;
}

/* The progress callback cancels: the site and its certificates stay as
 * they were (the sqlite3 CLI says so), the error is "cancelled"; the plan
 * shown before the work counts what the work then issues. */
START_TEST(issue_cancel_and_plan)
{
	struct ehttp_security_change c;
	struct ehttp_plan plan;
	struct ehttp *e;
	struct db_site p01;
	char *cause = NULL, *before, *after, *n;
	int calls = 0;

	setup_demo();
	load_systems(6, "ec-p256");
	before = db_state();
	e = ehttp_open(db, 0, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &p01), 1);
	ehttp_security_change_init(&c);
	c.enhanced_http = 1;
	ck_assert_int_eq(ehttp_site_plan(e, p01.id, &c, &plan), 0);
	ck_assert_int_eq(plan.new_root, 1);
	ck_assert_int_ge(plan.issue, 6);
	ck_assert_int_eq(plan.retire, 0);
	ck_assert_int_eq(plan.token_issue, 1);	/* and SMS Token Signing */
	ck_assert_int_eq(plan.token_retire, 0);
	ehttp_set_threads(e, 1);
	ehttp_set_progress(e, cancel_at_half, &calls);
	ck_assert_int_eq(ehttp_site_set_security(e, p01.id, &c), -1);
	ck_assert_str_eq(ehttp_error(e), "cancelled");
	ck_assert_int_gt(calls, 0);
	after = db_state();
	ck_assert_str_eq(after, before);
	free(after);
	/* Not cancelled: it issues what the plan said. */
	ehttp_set_progress(e, NULL, NULL);
	ck_assert_int_eq(ehttp_site_set_security(e, p01.id, &c), 0);
	n = sql1("SELECT count(*) FROM cert WHERE type = 'role' AND state ="
	    " 'active'");
	ck_assert_int_eq(atoi(n), (int)plan.issue);
	free(n);
	sql_is("SELECT count(*) FROM cert WHERE type = 'token' AND state ="
	    " 'active'", "1");
	/* Nothing more to do once on. */
	ck_assert_int_eq(ehttp_site_plan(e, p01.id, &c, &plan), 0);
	ck_assert_int_eq(plan.issue + plan.retire + plan.new_root +
	    plan.token_issue + plan.token_retire, 0);
	/* Turning it off: the plan counts what it supersedes. */
	c.enhanced_http = 0;
	ck_assert_int_eq(ehttp_site_plan(e, p01.id, &c, &plan), 0);
	ck_assert_int_eq(plan.issue, 0);
	ck_assert_int_ge(plan.retire, 6);
	ck_assert_int_eq(plan.token_issue, 0);
	ck_assert_int_eq(plan.token_retire, 1);
	ehttp_close(e);
	free(before);
}
END_TEST

/* Tab and Shift-Tab go round fields and buttons; Enter from a field never
 * presses a destructive button. */
START_TEST(form_focus_ring)
{
	struct form f;

	form_init(&f, "t");
	form_add(&f, FORM_TEXT, 1, 0, 0, "Name:");
	form_add(&f, FORM_CHECK, 2, 0, 0, "Check");
	form_buttons(&f, ok_cancel, 2);
	form_focus_first(&f);
	ck_assert_int_eq(form_focused_id(&f), 1);
	ck_assert_int_eq(form_key(&f, KA_NEXT_FIELD, '\t'), FORM_MOVED);
	ck_assert_int_eq(form_focused_id(&f), 2);
	form_key(&f, KA_NEXT_FIELD, '\t');
	ck_assert_int_eq(f.focus, f.nitems + 0);		/* OK */
	ck_assert_int_eq(form_key(&f, KA_OK, '\r'), FORM_BUTTON);
	ck_assert_int_eq(f.pressed, 0);
	form_key(&f, KA_NEXT_FIELD, '\t');
	ck_assert_int_eq(f.focus, f.nitems + 1);		/* Cancel */
	form_key(&f, KA_NEXT_FIELD, '\t');
	ck_assert_int_eq(form_focused_id(&f), 1);		/* around */
	form_key(&f, KA_PREV_FIELD, KEY_BTAB);
	ck_assert_int_eq(f.focus, f.nitems + 1);
	/* A destructive default: Enter from a field presses Cancel. */
	f.button_flags[0] = FORM_BTN_DESTRUCTIVE;
	form_focus_first(&f);
	ck_assert_int_eq(form_key(&f, KA_OK, '\r'), FORM_BUTTON);
	ck_assert_int_eq(f.pressed, 1);
	/* A selected text is replaced by typing. */
	snprintf(f.items[0].text, sizeof f.items[0].text, "old");
	f.items[0].pos = 3;
	f.items[0].selected = 1;
	form_focus_first(&f);
	form_key(&f, KA_NONE, 'n');
	ck_assert_str_eq(f.items[0].text, "n");
	form_key(&f, KA_NONE, 'e');
	ck_assert_str_eq(f.items[0].text, "ne");
}
END_TEST

START_TEST(log_component_filter_is_substring)
{
	ck_assert_int_eq(cmlog_component_match("SMS_MP_CONTROL_MANAGER",
	    "control"), 1);
	ck_assert_int_eq(cmlog_component_match("SMS_MP_CONTROL_MANAGER",
	    "SMS_MP_CONTROL_MANAGER"), 1);
	ck_assert_int_eq(cmlog_component_match("MP_HEALTH", "control"), 0);
	ck_assert_int_eq(cmlog_component_match("MP_HEALTH", ""), 1);
}
END_TEST


/* The keys of the Clients node and of the token list are their own: the
 * context decides (F8 switches the Certificates node's list). */
START_TEST(keys_clients_and_tokens)
{
	unsigned clients = KS_GLOBAL | KS_LIST | KS_CLIENTS;
	unsigned tokens = KS_GLOBAL | KS_LIST | KS_TOKENS;
	unsigned certs = KS_GLOBAL | KS_LIST | KS_FIND | KS_CERTS;
	char bar[512];

	ck_assert_int_eq(keys_lookup('a', clients), KA_APPROVE);
	ck_assert_int_eq(keys_lookup('b', clients), KA_BLOCK);
	ck_assert_int_eq(keys_lookup('u', clients), KA_UNBLOCK);
	ck_assert_int_eq(keys_lookup(KEY_DC, clients), KA_DELETE);
	ck_assert_int_eq(keys_lookup('d', clients), KA_DELETE);
	ck_assert_int_eq(keys_lookup('\r', clients), KA_OPEN);
	ck_assert_int_eq(keys_lookup('r', clients), KA_NONE);
	ck_assert_int_eq(keys_lookup('a', certs), KA_NONE);
	ck_assert_int_eq(keys_lookup('6', certs), KA_GO_CLIENTS);
	ck_assert_int_eq(keys_lookup(KEY_F(8), certs), KA_TOKENS);
	ck_assert_int_eq(keys_lookup(KEY_F(8), tokens), KA_TOKENS);
	ck_assert_int_eq(keys_lookup('n', tokens), KA_NEW);
	ck_assert_int_eq(keys_lookup('n', certs), KA_FIND_NEXT);
	ck_assert_int_eq(keys_lookup('r', tokens), KA_NONE);	/* no Renew */
	ck_assert_int_eq(keys_lookup('/', tokens), KA_NONE);
	keys_bar_text(clients, 200, bar, sizeof bar);
	tu_has(bar, "EnterActions", "aApprove", "bBlock", "uUnblock",
	    "DelDelete", NULL);
	keys_bar_text(tokens, 200, bar, sizeof bar);
	tu_has(bar, "F8Certificates", "bBlock", "uUnblock", "nNew", NULL);
	ck_assert_ptr_null(strstr(bar, "Renew"));
	keys_bar_text(certs, 200, bar, sizeof bar);
	ck_assert_ptr_nonnull(strstr(bar, "F8Tokens"));
}
END_TEST

/* Clients paged backwards by the backend (a list opened at its end): the
 * ids the sqlite3 CLI lists, nearest first, in pages. */
START_TEST(clients_page_backwards)
{
	struct db_client *v = NULL;
	struct ehttp *e;
	char *cause = NULL, *ids;
	size_t n, total;
	int64_t before = 0;
	char got[4096] = "";
	size_t off = 0;

	setup_demo();
	load_clients(25);
	e = ehttp_open(db, EHTTP_NO_KEYS | EHTTP_READONLY, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_int_eq(ehttp_client_count(e, 0, &total), 0);
	ck_assert_uint_eq(total, 25);
	do {
		ck_assert_int_eq(ehttp_client_page_before(e, 0, before, 10, &v,
		    &n), 0);
		ck_assert_uint_le(n, 10);
		for (size_t i = 0; i < n; i++)
			off += snprintf(got + off, sizeof got - off, "%s%lld",
			    off ? "," : "", (long long)v[i].id);
		if (n > 0)
			before = v[n - 1].id;
		free(v);
		v = NULL;
	} while (n == 10);
	ehttp_close(e);
	ids = sql1("SELECT group_concat(id) FROM (SELECT id FROM client"
	    " ORDER BY id DESC)");
	ck_assert_str_eq(got, ids);
	free(ids);
}
END_TEST
/*
 * Level 2: rendering into an off-screen screen.
 */

static FILE *scr_out, *scr_in;
static struct app *scr_app;	/* the running test's, for render_teardown */

static void
screen_open(int nlines, int ncols, int colour)
{
	char *cause = NULL, buf[16];

	snprintf(buf, sizeof buf, "%d", nlines);
	setenv("LINES", buf, 1);
	snprintf(buf, sizeof buf, "%d", ncols);
	setenv("COLUMNS", buf, 1);
	unsetenv("NO_COLOR");
	text_utf8 = 0;
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(scr_out);
	ck_assert_msg(crt_open("xterm-256color", scr_out, scr_in, CRT_NO_INPUT |
	    (colour ? 0 : CRT_NO_COLOUR), &cause) == 0, "crt_open: %s", cause);
	ck_assert_int_eq(LINES, nlines);
	ck_assert_int_eq(COLS, ncols);
}

static void
screen_close(void)
{
	crt_close();
	if (scr_out != NULL)
		fclose(scr_out);
	if (scr_in != NULL)
		fclose(scr_in);
	scr_out = scr_in = NULL;
	unsetenv("LINES");
	unsetenv("COLUMNS");
}

static struct app *
app_start(void)
{
	struct app_config cf;
	struct app *app;
	char *cause = NULL;

	memset(&cf, 0, sizeof cf);
	cf.db_path = db;
	cf.log_dir = logdir;
	app = app_new(&cf, &cause);
	ck_assert_msg(app != NULL, "app_new: %s", cause);
	app_resize(app);
	app_dirty(app);
	app_render(app);
	scr_app = app;
	return app;
}

static void
app_stop(struct app *app)
{
	app_free(app);
	scr_app = NULL;
}

/* The console started on a fresh nlines x ncols screen (screen_open). */
static struct app *
screen_app(int nlines, int ncols, int colour)
{
	screen_open(nlines, ncols, colour);
	return app_start();
}

/*
 * Every render test's cleanup (its setup: setup_demo), also after a failed
 * check. Under CK_FORK=no (valgrind) the next tests run in this process: a
 * screen left open fails every later render test ("the screen is already
 * open"), and LINES/COLUMNS left set pin the size of the console the e2e
 * tests start, so its resize checks fail.
 */
static void
render_teardown(void)
{
	if (scr_app != NULL)
		app_stop(scr_app);
	if (crt_active() || scr_out != NULL || scr_in != NULL)
		screen_close();
	unsetenv("LINES");
	unsetenv("COLUMNS");
	unsetenv("NO_COLOR");
	teardown();
}

static const struct tu_fixture render_fixture = { 120,
	.setup = setup_demo, .teardown = render_teardown };

static void
vpress(struct app *app, va_list ap)
{
	int k;

	while ((k = va_arg(ap, int)) != 0) {
		app_key(app, k);
		app_tick(app);
		app_dirty(app);
		app_render(app);
	}
}

static void
press(struct app *app, ...)
{
	va_list ap;

	va_start(ap, app);
	vpress(app, ap);
	va_end(ap);
}

/* Key 5: the log viewer, given the ticks to read its log. */
static void
press_log_view(struct app *app)
{
	press(app, '5', 0);
	for (int i = 0; i < 20; i++)
		app_tick(app);
	app_dirty(app);
	app_render(app);
}

static void
row(int y, char *buf, size_t len)
{
	int n = COLS < (int)len - 1 ? COLS : (int)len - 1;

	buf[0] = '\0';
	mvwinnstr(curscr, y, 0, buf, n);
}

/* The line of the screen holding s, or -1; its column in *x. */
static int
screen_find(const char *s, int *x)
{
	char buf[512], *p;

	for (int y = 0; y < LINES; y++) {
		row(y, buf, sizeof buf);
		if ((p = strstr(buf, s)) != NULL) {
			if (x != NULL)
				*x = (int)(p - buf);
			return y;
		}
	}
	return -1;
}

static void
dump_screen(void)
{
	char buf[512];

	for (int y = 0; y < LINES; y++) {
		row(y, buf, sizeof buf);
		fprintf(stderr, "|%s|\n", buf);
	}
}

#define ck_screen(s) do {						\
	if (screen_find((s), NULL) == -1) {				\
		dump_screen();						\
		ck_abort_msg("not on screen: %s", (s));			\
	}								\
} while (0)

/* The keys (press: 0 ends them) pressed, then text asserted on screen. */
static void
press_shows(struct app *app, const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	vpress(app, ap);
	va_end(ap);
	ck_screen(text);
}

START_TEST(render_sites_view)
{
	struct app *app;
	char buf[512];
	int y, x;

	app = screen_app(30, 100, 0);
	ck_screen("Administration > Overview");
	ck_screen("Deprecated configuration: site P01 allows HTTP without");
	press_shows(app, "Administration > Site Configuration > Sites",
	    KEY_DOWN, 0);	/* tree: Sites */
	y = screen_find("Code", &x);
	ck_assert_int_eq(y, 1);
	row(y, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "Name"));
	ck_assert_ptr_nonnull(strstr(buf, "IISSSL"));
	ck_assert_ptr_nonnull(strstr(buf, "Warn"));
	ck_assert_int_eq(screen_find("P01  Contoso-East", NULL), 3);
	row(3, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "HTTPS or HTTP"));
	ck_assert_ptr_nonnull(strstr(buf, "224"));
	row(4, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "HTTPS only"));
	ck_assert_ptr_nonnull(strstr(buf, "63"));
	/* The key bar is the last line and comes from the key table. */
	row(LINES - 1, buf, sizeof buf);
	ck_assert_int_eq(strncmp(buf, "F1Help", 6), 0);
	ck_assert_ptr_nonnull(strstr(buf, "F10Quit"));
	press(app, '\t', KEY_DOWN, 0);		/* the list: P01 */
	row(LINES - 1, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "EnterProperties"));
	ck_screen("Site 2 of 4");
	ck_screen("P01 Contoso-East: primary site, parent CAS");
	/* The cursor row is drawn reversed. */
	y = screen_find("P01  Contoso-East", &x);
	ck_assert(mvwinch(curscr, y, x) & A_REVERSE);
}
END_TEST

/* The Overview's latest status messages name the site system whose agent
 * wrote one. */
START_TEST(render_overview_names_agent)
{
	free(sql1("INSERT INTO status_message (time, site_id, severity,"
	    " component, message, system_id) SELECT CAST(strftime('%s', 'now')"
	    " AS INTEGER) + 60, site_id, 'warning', 'SMS_MP_CONTROL_MANAGER',"
	    " 'Its health check failed', id FROM site_system WHERE fqdn ="
	    " 'dp1.p01.contoso.com'; SELECT changes()"));
	screen_app(60, 160, 0);
	ck_screen("Latest status messages");
	ck_screen(" P01 dp1.p01.contoso.com: Its health check failed");
}
END_TEST

START_TEST(render_site_properties_and_issue)
{
	struct app *app;
	char buf[512];
	int y, x;

	app = screen_app(30, 100, 0);
	press_shows(app, "P02 - Contoso-West Properties",
	    '2', KEY_DOWN, KEY_DOWN, '\r', 0);	/* P02 */
	ck_screen("General   Communication Security   Signing and Encryption");
	ck_screen("(*) HTTPS only");
	ck_screen("( ) HTTPS or HTTP");
	ck_screen("[x] Use client PKI certificate");
	/* HTTPS only: the enhanced HTTP check box is greyed. */
	y = screen_find("[ ] Use Configuration Manager-generated", &x);
	ck_assert_int_ge(y, 0);
	ck_assert(mvwinch(curscr, y, x + 6) & A_DIM);
	ck_assert(mvwinch(curscr, y + 3, x + 6) & A_DIM);	/* PKI too */
	ck_screen("IISSSLState: 63");
	row(LINES - 1, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "EnterOK"));
	ck_assert_ptr_nonnull(strstr(buf, "EscCancel"));
	/* Choosing HTTPS or HTTP un-greys it. */
	press_shows(app, "(*) HTTPS or HTTP", KEY_DOWN, ' ', 0);
	y = screen_find("Use Configuration Manager-generated", &x);
	ck_assert(!(mvwinch(curscr, y, x) & A_DIM));
	press(app, 27, 0);				/* Cancel */
	ck_assert_int_eq(screen_find("Contoso-West Properties", NULL), -1);

	/* P01: tick enhanced HTTP, OK, see the warnings, apply. */
	press_shows(app, "P01 - Contoso-East Properties", KEY_UP, '\r', 0);
	press_shows(app, "[x] Use Configuration Manager-generated",
	    KEY_DOWN, KEY_DOWN, ' ', 0);
	ck_screen("IISSSLState: 1248");
	ck_screen("Warning: Distribution point dp2.p01.contoso.com allows");
	press_shows(app, "Apply to site P01?", '\r', 0);
	ck_screen("Enhanced HTTP: off -> on");
	ck_screen("IISSSLState: 224 -> 1248");
	press_shows(app, "Created the SMS Issuing root certificate of site P01",
	    '\r', 0);	/* Apply: issues */
	ck_screen("Issued an SMS Role SSL Certificate to p01.contoso.com");
	press_shows(app, "P01  Contoso-East", '\r', 0);
	y = screen_find("P01  Contoso-East", NULL);
	row(y, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "On"));
	ck_assert_ptr_nonnull(strstr(buf, "1248"));

	/* Certificates: the root and the role certificates. */
	press_shows(app, "Administration > Security > Certificates", '4', 0);
	ck_screen("Expiration");
	ck_screen("SMS Issuing");
	ck_screen("SMS Role SSL");
	ck_screen("1 of 6, by Expiration asc");	/* root, 4 roles, token */
	ck_screen("SMS Role SSL Certificate  dp1.p01.contoso.com");
	ck_screen("Certification path: SMS Issuing > dp1.p01.contoso.com");
	/* Details: every field, in tabs. */
	press_shows(app, "Certificate: dp1.p01.contoso.com", '\r', 0);
	ck_screen("This certificate is intended for: Server Authentication");
	press_shows(app, "Signature Algorithm: sha256WithRSAEncryption",
	    '\t', 0);
	for (int i = 0; i < 20 && screen_find("DNS:dp1.p01.contoso.com",
	    NULL) == -1; i++)
		press(app, KEY_NPAGE, 0);		/* scroll to the SAN */
	ck_screen("DNS:dp1.p01.contoso.com");
	press_shows(app, "This certificate is OK.", '\t', 0);
	press(app, 27, 0);
	/* Block it: a question first, with the focus on Cancel: Enter at
	 * once blocks nothing (the database says so); Tab reaches Block. */
	press_shows(app, "Block certificate?", 'b', 0);
	press(app, '\r', 0);
	ck_assert_int_eq(screen_find("Block certificate?", NULL), -1);
	{
		char *out = NULL, *err = NULL;

		ck_assert_int_eq(tu_sh(&out, &err, "sqlite3 %s \"SELECT"
		    " count(*) FROM cert WHERE blocked != 0\"", db), 0);
		ck_assert_str_eq(out, "0\n");
		free(out);
		free(err);
	}
	press_shows(app, "Block certificate?", 'b', '\t', 0);
	press_shows(app,
	    "Blocked SMS Role SSL Certificate dp1.p01.contoso.com.",
	    '\r', 0);
	ck_screen("(ID 2, active, BLOCKED)");
	press_shows(app,
	    "Unblocked SMS Role SSL Certificate dp1.p01.contoso.com.",
	    'u', 0);
	/* Filter by type through the text prompt: only the root. */
	press_shows(app, "Filter certificates", '/', 0);
	press(app, 'm', 'p', '2', 0);
	press_shows(app, "1 of 1", '\r', 0);
	ck_screen("text 'mp2'");
	ck_screen("mp2.p01.contoso.com");
	press_shows(app, "of 6, by Expiration asc", 'c', 0);
}
END_TEST

/* Site Properties > General: the renewal window, typed, checked and saved
 * (read back with ehttpctl); a value out of range is refused there. */
START_TEST(render_site_renew_days)
{
	struct app *app;
	char *v;

	app = screen_app(30, 100, 0);
	press_shows(app, "P01 - Contoso-East Properties",
	    '2', KEY_DOWN, '\r', 0);	/* P01 */
	press_shows(app, "Renew certificates this many days before they end:",
	    KEY_NPAGE, KEY_NPAGE, KEY_DOWN, 0);	/* General, the field */
	press_shows(app, "'0' is not a number of days from 1 to 180",
	    KEY_BACKSPACE, KEY_BACKSPACE, '0', '\r', 0);
	press_shows(app, "Renewal window: 30 -> 45 days",
	    '\r', KEY_BACKSPACE, '4', '5', '\r', 0);
	press_shows(app, "renews its SMS Role SSL Certificates 45 days",
	    '\r', 0);	/* Apply */
	v = tu_ctl_json(db, "d['renew_days']", "--json", "site", "show",
	    "P01", NULL);
	ck_assert_str_eq(v, "45");
	free(v);
}
END_TEST

/*
 * The SMS Token Signing certificate in the Certificates node: its row (the
 * whole title where the Type column is wide, a short one where it is
 * narrow), the type filter's choice, and the filter by that type.
 */
START_TEST(render_token_signing_listed)
{
	struct dialog_cert_filter f;
	struct app *app;
	char buf[512];
	int y;

	tu_ctl_ok(db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	app = screen_app(30, 140, 0);
	press_shows(app, "1 of 6, by Expiration asc", '4', 0);
	y = screen_find("SMS Token Signing", NULL);
	ck_assert_int_ge(y, 0);
	row(y, buf, sizeof buf);
	/* Type and Issued To, whole. */
	ck_assert_msg(tu_count(buf, "SMS Token Signing ") == 2, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "P01"));
	/* The filter dialog offers the type. */
	press_shows(app, "Filter Certificates", KEY_F(4), 0);
	ck_screen("( ) SMS Token Signing");
	press(app, 27, 0);
	/* Filtered by it: the one row, said in the status line. */
	memset(&f, 0, sizeof f);
	f.type = 4;
	ck_assert_int_eq(view_certs_set_filter(app_view(app, APP_NODE_CERTS),
	    &f), 0);
	app_dirty(app);
	app_render(app);
	ck_screen("1 of 1, by Expiration asc, filter: type SMS Token Signing");
	ck_assert_int_eq(screen_find("SMS Role SSL", NULL), -1);
	ck_assert_int_eq(screen_find("SMS Issuing ", NULL) >= 0, 1);
}
END_TEST

/* A narrow terminal: the Type column shows the short form. */
START_TEST(render_token_signing_narrow)
{
	struct app *app;

	tu_ctl_ok(db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	app = screen_app(30, 80, 0);
	press_shows(app, "1 of 6, by Expiration asc", '4', 0);
	ck_screen("SMS Token ");
	ck_screen("SMS Role SSL ");
}
END_TEST

/* An active certificate past its end (written with sqlite3) shows as
 * "expired" in the State column and the details, not as "active". */
START_TEST(render_certificate_expired_state)
{
	struct app *app;
	char buf[512];
	int y;

	free(tu_sh_ok("sqlite3 %s \"INSERT INTO cert (type, state, site_id,"
	    " serial, issued_to, issued_by, subject, not_before, not_after,"
	    " thumbprint, key_alg, created) VALUES ('role', 'active', (SELECT id"
	    " FROM site WHERE code = 'P01'), printf('%%032X', 7),"
	    " 'old.p01.contoso.com', 'SMS Issuing', 'CN=old.p01.contoso.com',"
	    " 1600000000, 1700000000, printf('%%040X', 7), 'rsa2048',"
	    " 1600000000)\"", db));
	app = screen_app(30, 140, 0);
	press_shows(app, "old.p01.contoso.com", '4', 0);
	y = screen_find("old.p01.contoso.com", NULL);
	row(y, buf, sizeof buf);
	ck_assert_msg(strstr(buf, " expired") != NULL &&
	    strstr(buf, "active") == NULL, "%s", buf);
	ck_screen("(ID ");
	ck_screen(", expired)");
	/* Its properties say so too. */
	press_shows(app, "State:       expired", '\r', 0);
}
END_TEST

/* Site Properties > Communication Security: the trusted root CAs list,
 * add from a file and remove, written to the database (sqlite3 reads it). */
START_TEST(render_site_trusted_roots)
{
	struct app *app;
	char path[4200], **items = NULL;
	int n = 0;

	snprintf(path, sizeof path, "%s/root.pem", tdir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "openssl req -x509 -newkey rsa:2048"
	    " -nodes -keyout '%s/root.key' -out '%s' -days 30 -subj"
	    " '/CN=Console Test Root' -addext basicConstraints=critical,CA:TRUE"
	    " 2>/dev/null", tdir, path), 0);
	app = screen_app(30, 100, 0);
	press_shows(app, "P01 - Contoso-East Properties",
	    '2', KEY_DOWN, '\r', 0);	/* P01 */
	ck_screen("Trusted Root CAs (none; PKI chains not verified):");
	ck_screen("< Add / Remove... >");
	press_shows(app, "Trusted Root CAs of site P01",
	    KEY_DOWN, KEY_DOWN, KEY_DOWN, KEY_DOWN, KEY_DOWN, ' ', 0);
	ck_screen("Add a trusted root CA from a file...");
	press_shows(app, "Root CA certificate file (PEM or DER):", '\r', 0);
	for (const char *p = path; *p != '\0'; p++)
		press(app, (unsigned char)*p, 0);
	press_shows(app, "Site P01 trusts root CA CN=Console Test Root",
	    '\r', 0);
	press_shows(app, "Trusted Root CAs (1):", '\r', 0);
	tu_sh_is("CN=Console Test Root", "sqlite3 '%s' \"SELECT"
	    " group_concat(subject, '|') FROM trusted_root\"", db);
	/* The list model: add first, then one line per root. */
	ck_assert_int_eq(dialog_site_roots_items(app_ehttp(app), "P01", &items,
	    &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(items[1], "Remove CN=Console Test Root"
	    " (thumbprint "));
	for (int i = 0; i < n; i++)
		free(items[i]);
	free(items);
	/* Remove it: the second line of the list. */
	press_shows(app, "Remove CN=Console Test Root", ' ', 0);
	press_shows(app,
	    "Site P01 no longer trusts root CA CN=Console Test Root",
	    KEY_DOWN, '\r', 0);
	press_shows(app, "Trusted Root CAs (none; PKI chains not verified):",
	    '\r', 0);
	tu_sh_is("0", "sqlite3 '%s' \"SELECT count(*) FROM trusted_root\"", db);
}
END_TEST

/* Many certificates: the list is a window over the database. */
START_TEST(render_certificates_window)
{
	const struct rowbuf *rb;
	struct app *app;

	free(tu_sh_ok("sqlite3 %s \"WITH RECURSIVE n(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO cert"
	    " (type, state, site_id, serial, issued_to, issued_by, subject,"
	    " not_before, not_after, thumbprint, key_alg, created) SELECT"
	    " 'role', 'active', (SELECT id FROM site WHERE code = 'P01'),"
	    " printf('%%032X', i), printf('host%%06d.p01.contoso.com', i),"
	    " 'SMS Issuing', printf('CN=host%%06d', i), 1700000000 + i * 60,"
	    " 1800000000 + i * 60, printf('%%040X', i), 'rsa2048', 1700000000"
	    " FROM n\"", db));
	app = screen_app(30, 120, 0);
	press_shows(app, "1 of 20000, by Expiration asc", '4', 0);
	ck_screen("host000001.p01.contoso.com");
	rb = view_rowbuf(app_view(app, APP_NODE_CERTS));
	ck_assert_uint_eq(rb->total, 20000);
	ck_assert_uint_le(rb->n, 100);		/* a page or so, not 20000 */
	press_shows(app, "20000 of 20000", KEY_END, 0);
	ck_screen("host020000.p01.contoso.com");
	ck_assert_uint_le(rb->n, 200);
	press_shows(app, "19967 of 20000", KEY_PPAGE, KEY_PPAGE, KEY_UP, 0);
	press_shows(app, "18 of 20000", KEY_HOME, KEY_NPAGE, KEY_DOWN, 0);
	ck_screen("host000018.p01.contoso.com");
	ck_assert_uint_le(rb->fetched, 400);	/* rows read in all */
	ck_assert_uint_le(rb->n, rb->keep);
	/* Sort by Issued To, descending; then a text filter. */
	press_shows(app, "1 of 20000, by Issued To desc",
	    KEY_F(6), KEY_UP, KEY_UP, KEY_UP, '\r', 'i', 0);
	ck_screen("host020000.p01.contoso.com");
	press_shows(app, "1 of 100, by Issued To desc, filter: text 'host0199'",
	    '/', 'h', 'o', 's', 't', '0', '1', '9', '9', '\r', 0);
	ck_screen("host019999.p01.contoso.com");
	press_shows(app, "host019900.p01.contoso.com", KEY_END, 0);
	ck_assert_uint_eq(view_rowbuf(app_view(app, APP_NODE_CERTS))->total,
	    100);
}
END_TEST

/*
 * More certificates nothing renews than a page: the Overview's first
 * screen has the first of them and says more are coming (it does not wait
 * for the rest); the ticks after it bring the rest, each once, in the
 * sqlite3 CLI's order, with the sections after them; the line under the
 * cursor stays under it while they come.
 */
START_TEST(render_overview_alerts_paged)
{
	struct view *v;
	struct app *app;
	WINDOW *lw;
	char *want, *name, *save, **seen, buf[512];
	size_t n, at, k;
	int h;

	free(tu_sh_ok("sqlite3 %s \"WITH RECURSIVE n(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO cert"
	    " (type, state, site_id, serial, issued_to, issued_by, subject,"
	    " not_before, not_after, thumbprint, key_alg, created) SELECT"
	    " 'pki', 'active', (SELECT id FROM site WHERE code = 'P01'),"
	    " printf('%%032X', i), printf('pki%%03d.contoso.com', 301 - i),"
	    " 'Other CA', printf('CN=pki%%03d', i), 1700000000,"
	    " CAST(strftime('%%s', 'now') AS INTEGER) + 86400 + (301 - i) * 60,"
	    " printf('%%040X', i), 'rsa2048', 1700000000 FROM n\"", db));
	want = tu_sh_ok("sqlite3 %s \"SELECT issued_to FROM cert WHERE state"
	    " = 'active' AND not_after <= CAST(strftime('%%s', 'now') AS"
	    " INTEGER) + 30 * 86400 ORDER BY not_after, id\"", db);
	ck_assert_int_eq(tu_count(want, "\n"), 300);
	ck_assert_int_eq(strncmp(want, "pki001.contoso.com\n", 19), 0);

	app = screen_app(40, 200, 0);
	ck_screen("Site server and what it cannot renew");
	ck_screen("The PKI of pki001.contoso.com");
	v = app_view(app, APP_NODE_OVERVIEW);
	app_key(app, '\t');			/* the list; no tick yet */
	app_key(app, KEY_END);
	app_dirty(app);
	app_render(app);
	ck_screen("Reading the certificates it cannot renew...");
	ck_screen("Latest status messages");
	ck_assert_uint_eq(v->list->cursor, v->list->count - 1);
	n = v->list->count;
	for (int i = 0; i < 50; i++)
		app_tick(app);
	ck_assert_uint_gt(v->list->count, n);
	ck_assert_uint_eq(v->list->cursor, v->list->count - 1);

	/* Every row of the list, page by page. */
	n = v->list->count;
	seen = xcalloc(n, sizeof *seen);
	lw = app_window(app, "list");
	h = getmaxy(lw);
	press(app, KEY_HOME, 0);
	for (;;) {
		for (int y = 1; y < h && v->list->top + y - 1 < n; y++) {
			mvwinnstr(lw, y, 0, buf, sizeof buf - 1);
			free(seen[v->list->top + y - 1]);
			seen[v->list->top + y - 1] = xstrdup(buf);
		}
		if (v->list->top + h - 1 >= n)
			break;
		press(app, KEY_NPAGE, 0);
	}
	for (at = 0; at < n; at++) {
		ck_assert_msg(seen[at] != NULL, "row %zu not shown", at);
		ck_assert_ptr_null(strstr(seen[at], "Reading the"));
	}
	for (at = 0; at < n && strstr(seen[at], "pki001.") == NULL; at++)
		;
	ck_assert_uint_lt(at, n);
	ck_assert_ptr_nonnull(strstr(seen[at - 2], "Site server and what it"
	    " cannot renew"));
	k = 0;
	for (name = strtok_r(want, "\n", &save); name != NULL;
	    name = strtok_r(NULL, "\n", &save), k++) {
		snprintf(buf, sizeof buf, "The PKI of %s (thumbprint",
		    name);
		ck_assert_msg(at + k < n && strstr(seen[at + k], buf) != NULL,
		    "row %zu: %s, not %s", at + k, seen[at + k], buf);
	}
	ck_assert_uint_eq(k, 300);
	ck_assert_uint_lt(at + 301, n);
	ck_assert_ptr_nonnull(strstr(seen[at + 301], "Latest status messages"));
	for (size_t i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	free(want);
}
END_TEST

/* Certification Path says what `cert show` and the agent say: a PKI
 * certificate whose issuer the site does not trust is not OK. */
START_TEST(render_cert_path_unknown_issuer)
{
	struct app *app;
	char *out = NULL, *err = NULL, *d;
	int rc;

	d = strdup(db);
	*strrchr(d, '/') = '\0';
	rc = tu_sh(&out, &err, "cd '%s' && openssl req -x509 -newkey ec"
	    " -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem"
	    " -days 30 -subj '/CN=Unknown Root' -addext"
	    " basicConstraints=critical,CA:TRUE 2>/dev/null && openssl req"
	    " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout p.key"
	    " -out p.csr -subj '/CN=p01.contoso.com' 2>/dev/null && printf"
	    " 'subjectAltName=DNS:p01.contoso.com\\nextendedKeyUsage=serverAuth\\n'"
	    " > p.ext && openssl x509 -req -in p.csr -CA ca.pem -CAkey ca.key"
	    " -CAcreateserial -out p.pem -days 30 -extfile p.ext 2>/dev/null &&"
	    " '%s' --db '%s' cert import-pki p01.contoso.com p.pem p.key"
	    " >/dev/null && sqlite3 '%s' \"SELECT id FROM cert WHERE type ="
	    " 'pki'\"", d, tu_bin("ehttpctl"), db, db);
	ck_assert_msg(rc == 0, "import: %s", err);
	free(err);
	app = screen_app(40, 160, 0);
	ck_assert_int_eq(dialog_cert_show(app, atoll(out)), 0);
	app_dirty(app);
	app_render(app);
	ck_screen("Certificate: p01.contoso.com");
	press_shows(app, "Certificate status:", '\t', '\t', 0);
	ck_screen("This certificate is not trusted");
	ck_screen("unable to get local issuer certificate");
	ck_assert_int_eq(screen_find("This certificate is OK.", NULL), -1);
	press(app, 27, 0);
	free(out);
	free(d);
}
END_TEST

START_TEST(render_small_terminal_and_resize)
{
	struct app *app;

	app = screen_app(24, 80, 0);
	ck_screen("Administration > Overview");
	crt_resize(20, 70);
	app_resize(app);
	app_render(app);
	ck_screen("needs at least 80x24");
	ck_screen("this terminal is 70x20");
	press_shows(app, "needs at least 80x24", '2', 0);	/* ignored */
	crt_resize(24, 80);
	app_resize(app);
	app_render(app);
	ck_screen("Administration > Overview");
	ck_assert_int_eq(screen_find("F1Help", NULL), 23);
	press(app, 'q', 0);
	ck_assert(app_quitting(app));
}
END_TEST

/* The line of the tree (the left 30 columns) holding s, or -1; its
 * column in *x. */
static int
tree_find(const char *s, int *x)
{
	char buf[512], *p;

	for (int y = 1; y < LINES; y++) {
		row(y, buf, sizeof buf);
		if ((p = strstr(buf, s)) != NULL && p - buf < 30) {
			if (x != NULL)
				*x = (int)(p - buf);
			return y;
		}
	}
	return -1;
}

/* A folder of logdir holding an mpcontrol.log of one record. */
static void
log_folder(const char *fqdn)
{
	char path[4200], rec[512];

	snprintf(path, sizeof path, "%s/%s", logdir, fqdn);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/%s/mpcontrol.log", logdir, fqdn);
	snprintf(rec, sizeof rec, "<![LOG[Log of %s]LOG]!><time=\"14:05"
	    ":12.345+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL"
	    "_MANAGER\" context=\"\" type=\"1\" thread=\"1\" file=\"x.c:"
	    "1\">\n", fqdn);
	ck_assert_int_eq(tu_write_file(path, rec, strlen(rec)), 0);
}

/*
 * Agents on one machine log to LOG_DIR/FQDN/ (make run, the packaged
 * services): with no LOG_DIR/mpcontrol.log, the log directory's own logs
 * come first, then a group of each folder's logs under its name, and '5'
 * opens the first mpcontrol.log. F5 lists a folder that came since in
 * its place, and the log shown stays selected.
 */
START_TEST(render_log_folders)
{
	int y[6], x[6];
	char path[4200];
	struct app *app;

	ck_assert_int_eq(unlink(logfile), 0);
	log_folder("mp2.p01.contoso.com");
	log_folder("p01.contoso.com");
	snprintf(path, sizeof path, "%s/certmgr.log", logdir);
	ck_assert_int_eq(tu_write_file(path, "", 0), 0);
	app = screen_app(30, 120, 1);
	y[0] = tree_find("Site server", &x[0]);
	y[1] = tree_find("certmgr.log", &x[1]);
	y[2] = tree_find("mp2.p01.contoso.com ", &x[2]);
	y[3] = tree_find(" p01.contoso.com ", &x[3]);
	y[4] = tree_find("Open log file...", &x[4]);
	ck_assert_msg(y[0] > 0 && y[0] < y[1] && y[1] < y[2] && y[2] < y[3] &&
	    y[3] < y[4], "the tree's order: %d %d %d %d %d", y[0], y[1], y[2],
	    y[3], y[4]);
	ck_assert_int_eq(x[1], x[0]);			/* the log directory's */
	ck_assert_int_eq(x[4], x[0]);
	/* Each folder's mpcontrol.log under it, further in. */
	for (int i = 2; i <= 3; i++) {
		char buf[512];

		row(y[i] + 1, buf, sizeof buf);
		ck_assert_msg(strstr(buf, "mpcontrol.log") != NULL &&
		    strstr(buf, "mpcontrol.log") - buf == x[0] + 2, "%s", buf);
	}
	ck_assert_int_eq(tree_find("/mpcontrol", NULL), -1);
	press_log_view(app);
	ck_screen("Administration > Monitoring > mp2.p01.contoso.com > "
	    "mpcontrol.log");
	ck_screen("Log of mp2.p01.contoso.com");
	ck_assert_int_eq(screen_find("Log of p01.contoso.com", NULL), -1);

	/* A new agent's folder, first by name: F5 lists it above the
	 * others; mp2's log stays the one shown. */
	log_folder("dp1.p01.contoso.com");
	press(app, KEY_F(5), 0);
	y[5] = tree_find("dp1.p01.contoso.com", &x[5]);
	ck_assert_msg(y[5] > y[1] && y[5] < tree_find("mp2.p01.contoso.com ",
	    NULL), "dp1 at %d", y[5]);
	ck_screen("Administration > Monitoring > mp2.p01.contoso.com > "
	    "mpcontrol.log");
	ck_screen("Log of mp2.p01.contoso.com");
	/* '5': the first mpcontrol.log now, dp1's. */
	press_log_view(app);
	ck_screen("Administration > Monitoring > dp1.p01.contoso.com > "
	    "mpcontrol.log");
	ck_screen("Log of dp1.p01.contoso.com");

	/* Two folders gone: mp2's log, open before, stays under its folder's
	 * name; p01's, never open, goes; the log shown stays selected. */
	free(tu_sh_ok("rm -r '%s/mp2.p01.contoso.com' '%s/p01.contoso.com'",
	    logdir, logdir));
	press(app, KEY_F(5), 0);
	ck_assert_int_eq(tree_find("mp2.p01.contoso.com ", NULL), -1);
	ck_assert_int_gt(tree_find("mp2.p01.contoso.com/", NULL), 0);
	ck_assert_int_eq(tree_find(" p01.contoso.com", NULL), -1);
	ck_screen("Administration > Monitoring > dp1.p01.contoso.com > "
	    "mpcontrol.log");
}
END_TEST

/* A log directory of more folders than Monitoring lists (256): the
 * status line says how many are left out; the tree ends at the 256th. */
START_TEST(render_log_folders_limit)
{
	char name[32];
	struct app *app;

	for (int i = 1; i <= 258; i++) {
		snprintf(name, sizeof name, "f%03d", i);
		log_folder(name);
	}
	app = screen_app(30, 160, 0);
	ck_screen("2 folders left out or cut short (o opens any log or"
	    " folder)");
	press(app, KEY_END, 0);
	ck_assert_int_gt(tree_find("f256", NULL), 0);
	ck_assert_int_eq(tree_find("f257", NULL), -1);
	ck_assert_int_gt(tree_find("Open log file...", NULL), 0);
}
END_TEST

/* The key bar offers / only where find works; Enter on an Overview line
 * lands on its item; Find offers the last term selected. */
START_TEST(render_keys_overview_find)
{
	struct app *app;
	char buf[512];

	app = screen_app(24, 80, 0);
	press(app, '\t', 0);				/* Overview list */
	row(LINES - 1, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "EnterGo"));
	ck_assert_ptr_null(strstr(buf, "/Find"));
	press(app, '/', 0);				/* does nothing */
	ck_assert_int_eq(app_dialog_top(app) == NULL, 1);
	/* The line of site P02: Enter selects P02 in Sites. */
	for (int i = 0; i < 10 && screen_find("Enter: go to Sites, P02.",
	    NULL) == -1; i++)
		press(app, KEY_DOWN, 0);
	ck_screen("Enter: go to Sites, P02.");
	press_shows(app, "Administration > Site Configuration > Sites",
	    '\r', 0);
	ck_screen("P02 Contoso-West");			/* its details */
	ck_screen("Site 3 of 4");
	row(LINES - 1, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "/Find"));
	ck_screen("as of ");
	/* Find: a new term replaces the last one. */
	press_shows(app, "Site 2 of 4", '/', 'P', '0', '1', '\r', 0);
	press_shows(app, "Site code or name:", '/', 0);
	press(app, 'S', '0', '1', '\r', 0);
	ck_assert_int_eq(screen_find("Not found", NULL), -1);
	ck_screen("Site 4 of 4");
}
END_TEST

/* Site systems: Find by name or role (/, n, N, around the list, "Not
 * found"); the details' roles are read when the selection changes or the
 * view is re-read, not on every repaint. */
START_TEST(render_systems_find_and_details)
{
	struct app *app;
	char first[64];

	app = screen_app(30, 100, 0);
	ck_assert_int_eq(app_select(app, APP_NODE_SYSTEMS), 0);
	press(app, KEY_HOME, 0);
	ck_screen("Administration > Site Configuration > Servers and Site"
	    " System Roles");
	press_shows(app, "Name, site or role:", '/', 0);
	press(app, 'D', 'P', '1', '\r', 0);
	ck_assert_int_eq(screen_find("Not found", NULL), -1);
	snprintf(first, sizeof first, "%s", screen_find("dp1.p01.contoso.com"
	    " (site P01)", NULL) != -1 ? "dp1.p01.contoso.com (site P01)" :
	    "dp1.p02.contoso.com (site P02)");
	ck_screen(first);
	press(app, 'n', 0);			/* the other dp1 */
	ck_assert_int_eq(screen_find(first, NULL), -1);
	ck_assert_int_eq(screen_find("dp1.p0", NULL) != -1, 1);
	press_shows(app, first, 'N', 0);	/* and back */
	press_shows(app, "Not found: zzz", '/', 'z', 'z', 'z', '\r', 0);
	ck_screen(first);
	/* The roles line of the selection, then its role removed behind
	 * the console's back: a repaint shows what was read, a re-read the
	 * change. */
	press_shows(app, "sup.p01.contoso.com (site P01)",
	    '/', 's', 'u', 'p', '.', '\r', 0);
	ck_assert_int_eq(screen_find("Roles: none", NULL), -1);
	sql_is("DELETE FROM role WHERE system_id = (SELECT id FROM"
	    " site_system WHERE fqdn = 'sup.p01.contoso.com'); SELECT"
	    " changes()", "1");
	app_dirty(app);
	app_render(app);
	ck_assert_int_eq(screen_find("Roles: none", NULL), -1);
	app_reload_all(app);
	app_render(app);
	ck_screen("Roles: none");
}
END_TEST

/* Each row's Roles, Certificate and Agent columns are its own system's:
 * agents reported in an order that is neither the rows' nor their ids'
 * (the view reads every agent once and finds each row's by system). */
START_TEST(render_systems_rows_own_agents)
{
	static const struct {
		const char	*fqdn, *set, *roles, *cert, *agent;
	} want[] = {
		{ "sup.p01.contoso.com", "health_ok = 1", "SUP", "-", " OK " },
		{ "cas.contoso.com", "health_ok = 0", "SMS Provider", "-",
		  " ERROR " },
		{ "s01.contoso.com", "health_time = 0, https_port = 443",
		  "MP (HTTP), DP (HTTP)", "-", "no TLS, not checked" },
		{ "p02.contoso.com", "health_ok = 2", "MP (HTTPS)", "NONE",
		  " WARNING " },
		{ "dp1.p01.contoso.com", "updated = 1, health_time = 1",
		  "DP (HTTP)", "-", "silent since 1970-01-01" },
		{ "mp2.p01.contoso.com", NULL, "MP (HTTP)", "-", "no report" },
	};
	struct app *app;
	char buf[512], sql[512];
	int y;

	for (size_t i = 0; i < TU_ALL(want); i++) {
		if (want[i].set == NULL)
			continue;
		snprintf(sql, sizeof sql, "INSERT INTO agent (system_id, updated,"
		    " health_time, poll_s) SELECT id, CAST(strftime('%%s', 'now')"
		    " AS INTEGER), CAST(strftime('%%s', 'now') AS INTEGER), 60"
		    " FROM site_system WHERE fqdn = '%s'; UPDATE agent SET %s"
		    " WHERE system_id = (SELECT id FROM site_system WHERE fqdn ="
		    " '%s'); SELECT changes()", want[i].fqdn, want[i].set,
		    want[i].fqdn);
		sql_is(sql, "1");
	}
	app = screen_app(40, 160, 0);
	ck_assert_int_eq(app_select(app, APP_NODE_SYSTEMS), 0);
	app_render(app);
	for (size_t i = 0; i < TU_ALL(want); i++) {
		char *at = NULL;

		/* its row: not the end of a longer name (dp1.p02...) */
		for (y = 0; y < LINES && at == NULL; y++) {
			row(y, buf, sizeof buf);
			at = strstr(buf, want[i].fqdn);
			if (at != NULL && at > buf && at[-1] == '.')
				at = NULL;
		}
		ck_assert_msg(at != NULL, "no row of %s", want[i].fqdn);
		ck_assert_msg(strstr(buf, want[i].roles) != NULL &&
		    strstr(buf, want[i].cert) != NULL &&
		    strstr(buf, want[i].agent) != NULL, "%s: not %s | %s | %s",
		    buf, want[i].roles, want[i].cert, want[i].agent);
	}
}
END_TEST

/*
 * The details of a site system list the status messages its own agent
 * wrote, newest first, with their severity; another system's are not
 * there, and a system with none says so.
 */
START_TEST(render_systems_details_events)
{
	struct app *app;
	char buf[512];
	int older, newer;

	sql_is("INSERT INTO status_message (time, site_id, severity,"
	    " component, message, system_id) SELECT t, y.site_id, v, c, m, y.id"
	    " FROM (SELECT 100 AS t, 'info' AS v, 'SMS_MP_CONTROL_MANAGER' AS c,"
	    " 'the older one' AS m, 'mp2.p01.contoso.com' AS f UNION ALL"
	    " SELECT 200, 'error', 'SMS_MP_CONTROL_MANAGER', 'the newer one',"
	    " 'mp2.p01.contoso.com' UNION ALL SELECT 300, 'warning',"
	    " 'SMS_MP_CONTROL_MANAGER', 'not mine', 'dp1.p01.contoso.com')"
	    " JOIN site_system y ON y.fqdn = f; SELECT changes()", "3");
	app = screen_app(40, 160, 0);
	ck_assert_int_eq(app_select_item(app, APP_NODE_SYSTEMS,
	    "mp2.p01.contoso.com"), 0);
	app_render(app);
	ck_screen("mp2.p01.contoso.com (site P01)");
	ck_screen("Status messages (newest first):");
	older = screen_find("the older one", NULL);
	newer = screen_find("the newer one", NULL);
	ck_assert_msg(newer > 0 && older == newer + 1, "newer at %d, older at"
	    " %d", newer, older);
	row(newer, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "1970-01-01 00:03  error") != NULL, "%s", buf);
	ck_assert_int_eq(screen_find("not mine", NULL), -1);
	/* Another system, and none of its own. */
	ck_assert_int_eq(app_select_item(app, APP_NODE_SYSTEMS,
	    "sup.p01.contoso.com"), 0);
	app_render(app);
	ck_screen("sup.p01.contoso.com (site P01)");
	ck_screen("Status messages: none.");
	ck_assert_int_eq(screen_find("the newer one", NULL), -1);
}
END_TEST

/* 80x24 without colour: the Log Text column has 40 columns or more, the
 * marker says what the colour would, Left/Right scroll the text, the
 * details wrap a long record. */
START_TEST(render_log_small_no_colour)
{
	struct app *app;
	char buf[512], *p;
	int y, xt, xn;

	append(logfile, "<![LOG[A long error: the certificate chain of"
	    " mp.contoso.com could not be built because the SMS Issuing root"
	    " is not trusted on this system, END-OF-TEXT]LOG]!><time=\"14:06:"
	    "00.000+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL_"
	    "MANAGER\" context=\"\" type=\"3\" thread=\"9\" file=\"x.c:1\">\n");
	screen_open(24, 80, 0);
	ck_assert(!crt_has_colour());
	app = app_start();
	press_log_view(app);
	y = screen_find("Log Text", &xt);
	ck_assert_int_ge(y, 0);
	row(y, buf, sizeof buf);
	p = strstr(buf + xt + 8, "Time");
	ck_assert_ptr_nonnull(p);
	xn = (int)(p - buf);
	ck_assert_int_ge(xn - xt - 1, 40);
	/* Markers: ! error, W warning, without colour. */
	y = screen_find("Failed to bind the certificate", &xt);
	ck_assert_int_eq(mvwinch(curscr, y, xt - 2) & A_CHARTEXT, '!');
	ck_assert_int_eq(mvwinch(curscr, y, xt) & A_COLOR, 0);
	y = screen_find("Certificate of mp.contoso", &xt);
	ck_assert_int_eq(mvwinch(curscr, y, xt - 2) & A_CHARTEXT, 'W');
	/* The long record is selected: its details wrap to the end. */
	ck_screen("END-OF-TEXT");
	ck_assert_int_eq(screen_find("Type: Error", NULL) >= 0 ||
	    screen_find("Type: Err", NULL) >= 0, 1);
	/* Right scrolls the text; Left back; Left again goes to the tree. */
	ck_assert_int_eq(screen_find("A long error: the", NULL) >= 0, 1);
	press_shows(app, "text from column 11", KEY_RIGHT, 0);
	ck_screen("r: the certificate chain");
	press_shows(app, "A long error: the", KEY_LEFT, 0);
}
END_TEST

/* The log row showing text: in the colour of style, its background bg,
 * with marker two columns before the text. Its colour pair's attribute. */
static attr_t
log_row_is(const char *text, enum crt_style style, int marker, short bg)
{
	attr_t pair;
	short fg, b;
	int y, x;

	y = screen_find(text, &x);
	ck_assert_int_ge(y, 0);
	pair = mvwinch(curscr, y, x) & A_COLOR;
	ck_assert_int_eq(pair, crt_attr(style) & A_COLOR);
	ck_assert_int_eq(mvwinch(curscr, y, x - 2) & A_CHARTEXT, marker);
	ck_assert_int_eq(pair_content(PAIR_NUMBER(pair), &fg, &b), OK);
	ck_assert_int_eq(b, bg);
	return pair;
}

START_TEST(render_log_colours)
{
	struct app *app;
	attr_t err = 0, warn = 0;
	int y, x;

	screen_open(30, 110, 1);
	ck_assert(crt_has_colour());
	app = app_start();
	press_log_view(app);
	ck_screen("Administration > Monitoring > mpcontrol.log");
	ck_screen("Log Text");
	ck_screen("Component");
	ck_screen("Date/Time");
	ck_screen("Thread");
	ck_screen("Call to HttpSendRequestSync");
	/* Times as ehttpctl log show prints them: converted to UTC, and the
	 * column says so (every record here has its offset). */
	ck_screen("Date/Time (UTC)");
	ck_screen("2026-11-24 14:05:12.345");
	ck_screen("Date/Time: 2026-11-24 14:05:15.000 UTC");
	ck_screen("Thread: 4323 (0x10E3)");
	/* Errors on red, warnings on yellow (CMTrace's row backgrounds),
	 * with the marker in front. */
	err = log_row_is("Failed to bind the certificate", CRT_LOG_ERROR, '!',
	    COLOR_RED);
	warn = log_row_is("Certificate of mp.contoso", CRT_LOG_WARNING, 'W',
	    COLOR_YELLOW);
	ck_assert_int_ne(err, warn);
	ck_assert_int_ne(err, 0);
	/* The last record is selected (follow) and detailed. */
	ck_screen("Type: Information");
	ck_screen("Component: MP_HEALTH  Source: health.c:9");
	/* Follow: a new record shows up. */
	append(logfile, "<![LOG[Appended while open]LOG]!><time=\"14:06:00.000"
	    "+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\""
	    " context=\"\" type=\"1\" thread=\"9\" file=\"x.c:1\">\n");
	for (int i = 0; i < 30 && screen_find("Appended while open", NULL) ==
	    -1; i++) {
		usleep(100 * 1000);
		app_tick(app);
		app_dirty(app);
		app_render(app);
	}
	ck_screen("Appended while open");
	ck_screen("6 of 6");
	/* Highlight. */
	press(app, KEY_F(7), 'b', 'i', 'n', 'd', '\r', 0);
	y = screen_find("Failed to bind the certificate", &x);
	ck_assert_int_eq(mvwinch(curscr, y, x) & A_COLOR,
	    crt_attr(CRT_HIGHLIGHT) & A_COLOR);
	app_stop(app);
	screen_close();

	/* NO_COLOR and a terminal without colours: no colour. */
	setenv("NO_COLOR", "1", 1);
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	{
		char *cause = NULL;

		ck_assert_int_eq(crt_open("xterm-256color", scr_out, scr_in,
		    CRT_NO_INPUT, &cause), 0);
		ck_assert(!crt_has_colour());
		ck_assert_int_eq(crt_attr(CRT_ERROR) & A_COLOR, 0);
		crt_close();
		unsetenv("NO_COLOR");
		ck_assert_int_eq(crt_open("vt100", scr_out, scr_in,
		    CRT_NO_INPUT, &cause), 0);
		ck_assert(!crt_has_colour());
		crt_close();
	}
	fclose(scr_out);
	fclose(scr_in);
	scr_out = scr_in = NULL;
	teardown();
}
END_TEST


/*
 * A client whose name holds a line feed (a management point's login can
 * write client rows): the Block question stays one line, the line feed a
 * '?', so the name cannot add a line of its own choosing to the dialog.
 */
START_TEST(render_client_name_line_feed)
{
	struct app *app;
	int y, y2;

	add_client("GUID:LF", "'PC1' || char(10) || 'It is blocked already:"
	    " nothing changes'");
	app = screen_app(30, 120, 0);
	press_shows(app, "Client 1 of 1, approval manual", '6', 0);
	press_shows(app, "Block client?", 'b', 0);
	y = screen_find("Block client PC1?It is blocked already: nothing"
	    " changes (GUID:LF, site P01)?", NULL);
	ck_assert_int_ge(y, 0);
	y2 = screen_find("It is blocked already", NULL);
	ck_assert_int_eq(y2, y);
	press(app, '\r', 0);		/* Cancel */
	app_stop(app);
	screen_close();
}
END_TEST

/* Clients: an empty list says how clients register; a large one is a
 * keyset window; Approve, Block (asks first) and Delete (asks first) are
 * written to the database (the sqlite3 CLI reads it, audit rows too); a
 * client's name with control bytes is drawn as '?'. */
START_TEST(render_clients_view)
{
	const struct rowbuf *rb;
	struct app *app;
	char buf[512];
	int y;

	app = screen_app(30, 120, 0);
	press_shows(app, "Administration > Site Configuration > Clients",
	    '6', 0);
	ck_screen("No clients have registered yet.");
	ck_screen("ehttp-client register --mp FQDN:PORT");
	ck_screen("Client approval is manual");
	ck_screen("Client 0 of 0, approval manual");
	app_stop(app);
	screen_close();

	load_clients(5000);
	add_client("GUID:EVIL", "'EVIL' || char(27) || ']0;pwned' || char(7)"
	    " || char(27) || '[2J' || char(155) || 'X'");
	app = screen_app(30, 120, 0);
	press_shows(app, "Client 1 of 5001, approval manual", '6', 0);
	ck_screen("WKS00001");
	rb = view_rowbuf(app_view(app, APP_NODE_CLIENTS));
	ck_assert_uint_eq(rb->total, 5001);
	ck_assert_uint_le(rb->n, 100);
	press_shows(app, "Client 5001 of 5001", KEY_END, 0);
	/* ESC, BEL and the C1 CSI (U+009B) each a '?': nothing reaches the
	 * terminal that could retitle or clear it. */
	ck_screen("EVIL?]0;pwned??[2J?X");
	ck_screen("WKS05000");
	press_shows(app, "Client 4968 of 5001",
	    KEY_PPAGE, KEY_PPAGE, KEY_UP, 0);
	ck_screen("WKS04968");
	ck_assert_uint_le(rb->fetched, 400);	/* never the 5001 rows */
	ck_assert_uint_le(rb->n, rb->keep);

	/* WKS04968 is pending: approve it. */
	ck_screen("Pending: approve it (a)");
	press_shows(app,
	    "Approved client WKS04968 (GUID:00000000-0000-4000-8000-",
	    'a', 0);
	sql_is("SELECT approved || ' ' || (approved_by != '') FROM client"
	    " WHERE name = 'WKS04968'", "1 1");
	sql_is("SELECT count(*) FROM audit WHERE action = 'client' AND object"
	    " = 'GUID:00000000-0000-4000-8000-000000004968' AND detail LIKE"
	    " '%approved.'", "1");
	press_shows(app, "The client is approved already.", 'a', 0);

	/* Block asks; Enter is Cancel (the safe button has the focus). */
	press_shows(app, "Block client?", 'b', 0);
	ck_screen("Block client WKS04968");
	press(app, '\r', 0);
	ck_assert_int_eq(screen_find("Block client?", NULL), -1);
	sql_is("SELECT blocked FROM client WHERE name = 'WKS04968'", "0");
	press_shows(app, "Blocked client WKS04968", 'b', KEY_LEFT, '\r', 0);
	sql_is("SELECT blocked FROM client WHERE name = 'WKS04968'", "1");
	y = screen_find("WKS04968", NULL);
	row(y, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "Approved Yes") != NULL, "%s", buf);

	/* The menu (Enter) offers what applies: Unblock, not Block. */
	press_shows(app, "Client WKS04968", '\r', 0);
	ck_screen("Unblock");
	ck_assert_int_eq(screen_find("Block...", NULL), -1);
	press_shows(app, "Unblocked client WKS04968", '\r', 0);	/* Unblock */
	sql_is("SELECT blocked FROM client WHERE name = 'WKS04968'", "0");

	/* Delete asks too; confirmed, the row goes and the list says so. */
	press_shows(app, "Delete client?", KEY_DC, 0);
	press_shows(app, "Deleted client WKS04968", KEY_LEFT, '\r', 0);
	ck_screen("Client 4968 of 5000");
	sql_is("SELECT count(*) || ' ' || sum(name = 'WKS04968') FROM client",
	    "5000 0");
	/* Each action once in the audit trail, in order, as the backend
	 * words it ("Client GUID:... (WKS04968) approved."). */
	sql_is("SELECT group_concat(w, ' ') FROM (SELECT rtrim(substr(detail,"
	    " instr(detail, ') ') + 2), '.') AS w FROM audit WHERE object ="
	    " 'GUID:00000000-0000-4000-8000-000000004968' ORDER BY id)",
	    "approved blocked unblocked deleted");
}
END_TEST

/* The Certificates node's second list: bulk registration tokens (F8),
 * blocked from the console as `ehttpctl token list --json` reads it, and
 * a new one written to a 0600 file and nowhere on screen. */
START_TEST(render_bulk_tokens)
{
	struct app *app;
	char *v, *id, *tok, path[4300], buf[512];
	int y;

	tu_ctl_ok(db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	app = screen_app(30, 140, 0);
	press_shows(app, "No bulk registration tokens: n makes one",
	    '4', KEY_F(8), 0);
	ck_screen("Bulk token 0 of 0");
	app_stop(app);
	screen_close();

	snprintf(path, sizeof path, "%s/t1.jwt", tdir);
	tu_ctl_ok(db, "token", "new", "--lifetime", "600", "--out", path, NULL);
	id = tu_ctl_json(db, "d[0]['id']", "token", "list", "--json", NULL);
	app = screen_app(30, 140, 0);
	press_shows(app, "Bulk token 1 of 1 (F8: certificates)",
	    '4', KEY_F(8), 0);
	y = screen_find(id, NULL);
	ck_assert_int_ge(y, 0);
	row(y, buf, sizeof buf);
	tu_has(buf, "P01", " No ", "Active", NULL);
	press_shows(app, "Block bulk registration token?", 'b', 0);
	press(app, KEY_LEFT, '\r', 0);
	snprintf(buf, sizeof buf, "Blocked bulk registration token %s.", id);
	ck_screen(buf);
	row(y, buf, sizeof buf);
	tu_has(buf, " Yes ", "Blocked", NULL);
	v = tu_ctl_json(db, "(d[0]['id'], d[0]['blocked'], d[0]['state'])",
	    "token", "list", "--json", NULL);
	snprintf(buf, sizeof buf, "('%s', True, 'Blocked')", id);
	ck_assert_str_eq(v, buf);
	free(v);

	/* New: 60 minutes, to a file; the token is never drawn. */
	snprintf(path, sizeof path, "%s/new.jwt", tdir);
	press_shows(app, "Valid for how many minutes (1 to 10080)? 4320",
	    'n', 0);
	press_shows(app, "Write the token to (a new file, 0600):",
	    '6', '0', '\r', 0);
	/* Replace the offered path with ours. */
	for (int i = 0; i < 300; i++)
		app_key(app, KEY_BACKSPACE);
	for (const char *p = path; *p != '\0'; p++)
		app_key(app, (unsigned char)*p);
	press_shows(app, "New bulk registration token", '\r', 0);
	ck_screen("(0600).");
	tok = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(tok);
	v = tu_sh_ok("stat -c %%a %s", path);
	ck_assert_str_eq(tu_line1(v), "600");
	free(v);
	/* Its claims (python3 decodes them): a bulk token of 60 minutes
	 * whose UniqueId the list shows; no part of it on screen. */
	v = tu_sh_ok("%s -c \"import base64, json, sys; p = open(sys.argv[1])"
	    ".read().strip().split('.')[1]; d = json.loads(base64.urlsafe_b64"
	    "decode(p + '=' * (-len(p) %% 4))); print(d['Type'], d['exp'] -"
	    " d['nbf'], d['UniqueId'])\" %s", tu_python(), path);
	ck_assert_msg(strncmp(v, "BulkRegistration 3600 ", 22) == 0, "%s", v);
	press(app, '\r', 0);				/* OK */
	/* Two now (listed by creation time, then id: either may be first);
	 * the cursor stays on the blocked one. */
	ck_screen(" of 2 (F8: certificates)");
	snprintf(buf, sizeof buf, "Bulk registration token %s (site P01):"
	    " Blocked", id);
	ck_screen(buf);
	ck_assert_int_ge(screen_find(tu_line1(v) + 22, NULL), 0);
	tu_line1(tok);
	ck_assert_uint_gt(strlen(tok), 200);
	ck_assert_int_eq(screen_find(tok + strlen(tok) - 30, NULL), -1);
	free(v);
	v = tu_ctl_json(db, "sorted(t['state'] for t in d)", "token", "list",
	    "--json", NULL);
	ck_assert_str_eq(v, "['Active', 'Blocked']");
	free(v);
	/* F8 again: the certificates. */
	press_shows(app, "SMS Token Signing", KEY_F(8), 0);
	free(tok);
	free(id);
}
END_TEST
/*
 * A distribution point with 3,000 packages: its Content tab reads a page
 * around the screen, not all of them; a repaint reads nothing; End reads
 * the last rows (keyset, backwards) and shows the last id the sqlite3 CLI
 * knows of.
 */
START_TEST(render_dp_content_paged)
{
	const struct rowbuf *rb;
	struct dialog_role *dr;
	struct app *app;
	size_t fetches;
	char want[64], *v;

	free(sql1("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < 3000) INSERT INTO package (id, site_id, name,"
	    " version, source, created, updated) SELECT printf('P01%05X', i),"
	    " (SELECT id FROM site WHERE code = 'P01'), printf('Package %d',"
	    " i), 1, '/src', 1700000000, 1700000000 FROM n; INSERT INTO"
	    " package_dp (package_id, system_id, version, state, time) SELECT"
	    " id, (SELECT id FROM site_system WHERE fqdn ="
	    " 'dp1.p01.contoso.com'), 1, 'installed', 1700000000 FROM"
	    " package"));
	app = screen_app(24, 80, 1);
	ck_assert_int_eq(dialog_role_open(app, "dp1.p01.contoso.com", "dp"),
	    0);
	press_shows(app, "Packages on dp1.p01.contoso.com: 3000 (1 of 3000)",
	    KEY_NPAGE, 0);	/* the Content tab */
	ck_screen("P0100001   Package 1");
	dr = app_dialog_top(app)->data;
	ck_assert_int_eq(dialog_dpcontent_count(dr->content), 3000);
	rb = dialog_dpcontent_rows(dr->content);
	ck_assert_uint_lt(rb->n, 100);
	fetches = rb->fetches;
	for (int i = 0; i < 5; i++) {
		app_dirty(app);
		app_render(app);
	}
	ck_assert_uint_eq(rb->fetches, fetches);
	press(app, KEY_END, 0);
	v = sql1("SELECT max(package_id) FROM package_dp");
	ck_assert_str_eq(v, "P0100BB8");
	snprintf(want, sizeof want, "%s   Package 3000", v);
	free(v);
	ck_screen(want);
	ck_screen("(3000 of 3000)");
	ck_assert_uint_eq(rb->fetches, fetches + 1);
	ck_assert_uint_lt(rb->n, 100);
	press_shows(app, "(2999 of 3000)", KEY_UP, 0);
	press(app, 'b' & 0x1f, 0);		/* ^B: a page up */
	ck_assert_int_eq(screen_find("(2999 of 3000)", NULL), -1);
	ck_screen(" of 3000)");
	ck_assert_uint_lt(rb->n, 100);
}
END_TEST

/*
 * Level 3: the real binary in a private tmux server.
 */

struct tmx {
	char	 name[64];
	char	 last[16384];
};

/* The server of the running test, killed by the teardown even when an
 * assertion ends the test early (no-fork mode). */
static struct tmx *tmx_running;

static int
tmx(struct tmx *t, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tmx(struct tmx *t, char **out, const char *fmt, ...)
{
	char *args = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) == -1)
		abort();
	va_end(ap);
	/* The server's environment is the panes': a LINES or COLUMNS there
	 * would pin the console's size (ncurses prefers them). */
	rc = tu_sh(out, NULL, "env -u LINES -u COLUMNS tmux -L %s -f /dev/null"
	    " %s", t->name, args);
	free(args);
	return rc;
}

static char *
tmx_capture(struct tmx *t)
{
	char *out = NULL;

	if (tmx(t, &out, "capture-pane -p -t ehttp") != 0) {
		free(out);
		return NULL;
	}
	snprintf(t->last, sizeof t->last, "%s", out);
	return out;
}

/* The value of a tmux format for the pane. */
static char *
tmx_format(struct tmx *t, const char *fmt)
{
	char *out = NULL;

	tmx(t, &out, "display-message -p -t ehttp '%s'", fmt);
	if (out != NULL)
		out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Poll the pane until it shows text (or not, with gone). */
static int
tmx_wait(struct tmx *t, const char *text, int gone, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		char *s = tmx_capture(t);
		int found = s != NULL && strstr(s, text) != NULL;

		free(s);
		if (found != gone)
			return 1;
		usleep(50 * 1000);
	}
	fprintf(stderr, "tmux pane after waiting for '%s'%s:\n%s\n", text,
	    gone ? " to go" : "", t->last);
	return 0;
}

#define WAIT(t, s)	ck_assert_msg(tmx_wait((t), (s), 0, 60000), \
			    "not shown: %s", (s))
#define WAIT_GONE(t, s)	ck_assert_msg(tmx_wait((t), (s), 1, 20000), \
			    "still shown: %s", (s))

static void
keys(struct tmx *t, const char *k)
{
	ck_assert_int_eq(tmx(t, NULL, "send-keys -t ehttp %s", k), 0);
}

/* Keys k pressed, then text s waited for (as WAIT), or for it to go
 * (send_gone, as WAIT_GONE). */
static void
send_wait(struct tmx *t, const char *k, const char *s)
{
	keys(t, k);
	ck_assert_msg(tmx_wait(t, s, 0, 60000), "not shown after %s: %s", k,
	    s);
}

static void
send_gone(struct tmx *t, const char *k, const char *s)
{
	keys(t, k);
	ck_assert_msg(tmx_wait(t, s, 1, 20000), "still shown after %s: %s",
	    k, s);
}

/* The pane resized to w x h (asserted). */
static void
resize(struct tmx *t, int w, int h)
{
	ck_assert_int_eq(tmx(t, NULL, "resize-window -t ehttp -x %d -y %d",
	    w, h), 0);
}

/*
 * The pane runs a small wrapper: it records the console's pid, execs it,
 * and when it ends prints its exit status, so the pane shows the shell's
 * words again and the test reads the status like a person would.
 */
static const char run_sh[] =
    "#!/bin/sh\n"
    "pidfile=$1; shift\n"
    "sh -c 'echo $$ > \"$0\"; exec \"$@\"' \"$pidfile\" \"$@\"\n"
    "echo \"console-exit=$?\"\n"
    "exec sleep 120\n";

static void
tmx_start_opts(struct tmx *t, int w, int h, const char *opts)
{
	const char *bin = tu_bin("ehttp-console");
	char wrapper[4200];

	ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
	snprintf(wrapper, sizeof wrapper, "%s/run.sh", tdir);
	ck_assert_int_eq(tu_write_file(wrapper, run_sh, strlen(run_sh)), 0);
	snprintf(t->name, sizeof t->name, "ehttp-test-%d", (int)getpid());
	tmx_running = t;
	/* A test that fails in a forked child ends before its teardown: the
	 * server also ends itself after five minutes. */
	ck_assert_int_eq(tmx(t, NULL, "new-session -d -s ehttp -x %d -y %d"
	    " \"sh %s %s/console.pid env LC_ALL=C.UTF-8 %s --db %s --log-dir"
	    " %s %s\" \\; run-shell -b 'sleep 300; tmux -L %s kill-server'", w,
	    h, wrapper, tdir, bin, db, logdir, opts, t->name), 0);
}

static void
tmx_start(struct tmx *t, int w, int h)
{
	tmx_start_opts(t, w, h, "");
}

static long
console_pid(void)
{
	char path[4200], *s;
	long pid;

	snprintf(path, sizeof path, "%s/console.pid", tdir);
	if ((s = tu_read_file(path, NULL)) == NULL)
		return -1;
	pid = strtol(s, NULL, 10);
	free(s);
	return pid;
}

static void
tmx_stop(struct tmx *t)
{
	tmx(t, NULL, "kill-server");
	tmx_running = NULL;
}

/* q pressed: the console exits 0 (the pane's wrapper says so); the
 * server stopped. */
static void
quit(struct tmx *t)
{
	send_wait(t, "q", "console-exit=0");
	tmx_stop(t);
}

static void
e2e_teardown(void)
{
	if (tmx_running != NULL)
		tmx_stop(tmx_running);
	teardown();
}

static const struct tu_fixture e2e_fixture = { 300,
	.teardown = e2e_teardown, .drives = 1 };

START_TEST(e2e_enable_enhanced_http)
{
	struct tmx t;
	char *v, *s;

	setup_demo();
	tmx_start(&t, 100, 30);
	WAIT(&t, "Administration > Overview");
	WAIT(&t, "F10Quit");
	v = tmx_format(&t, "#{alternate_on}");
	ck_assert_str_eq(v, "1");
	free(v);

	/* Sites > P01 > Properties > Communication Security. */
	send_wait(&t, "Down", "Administration > Site Configuration > Sites");
	send_wait(&t, "Tab Down Enter", "P01 - Contoso-East Properties");
	WAIT(&t, "( ) HTTPS only");
	WAIT(&t, "[ ] Use Configuration Manager-generated certificates");
	send_wait(&t, "Down Down Space",
	    "[x] Use Configuration Manager-generated certificates");
	WAIT(&t, "IISSSLState: 1248");
	send_wait(&t, "Enter", "Apply to site P01?");	/* OK */
	WAIT(&t, "allows anonymous connections");	/* warned first */
	send_wait(&t, "Enter",				/* Apply */
	    "Created the SMS Issuing root certificate of site P01");
	send_gone(&t, "Enter", "Created the SMS Issuing root");

	/* Certificates, through the tree. */
	send_wait(&t, "Tab Down Down Down",
	    "Administration > Security > Certificates");
	WAIT(&t, "SMS Issuing");
	WAIT(&t, "SMS Role SSL");
	WAIT(&t, "SMS Token");			/* SMS Token Signing, narrow */
	WAIT(&t, "1 of 6, by Expiration asc");
	/* The leaves expire within the same second or two, so which one is
	 * first depends on the signing order: select dp1's by its name
	 * (Tab: from the tree to the list). */
	send_wait(&t, "Tab /", "Filter certificates");
	send_wait(&t, "dp1.p01 Enter", "1 of 1, by Expiration asc");
	WAIT(&t, "SMS Role SSL Certificate  dp1.p01.contoso.com");
	/* Wider and without the tree, the Type column has room for the
	 * whole name. */
	resize(&t, 120, 30);
	send_wait(&t, "t", "SMS Role SSL Certificate dp1.p01.contoso.com");
	keys(&t, "t");
	resize(&t, 100, 30);
	WAIT(&t, "SMS Role SSL dp1.p01.contoso.com");

	/* The log viewer with a health line; follow picks up a new one. */
	send_wait(&t, "5", "Administration > Monitoring > mpcontrol.log");
	WAIT(&t, "Call to HttpSendRequestSync");
	WAIT(&t, "14:05:12");
	send_wait(&t, "Home", "2026-11-24 14:05:12.345 UTC");	/* details */
	WAIT(&t, "Call to HttpSendRequestSync succeeded for port 443");
	WAIT(&t, "Component: SMS_MP_CONTROL_MANAGER");
	keys(&t, "End");
	append(logfile, "<![LOG[Call to HttpSendRequestSync succeeded for port"
	    " 8443 with status code 200, text: OK]LOG]!><time=\"14:07:00.000"
	    "+000\" date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\""
	    " context=\"\" type=\"1\" thread=\"12\" file=\"mpcontrol.c:1\">\n");
	WAIT(&t, "succeeded for port 8443");
	WAIT(&t, "6 of 6");

	/* Resize: smaller, too small, larger; the screen redraws. */
	resize(&t, 80, 24);
	WAIT(&t, "F1Help");
	s = tmx_capture(&t);
	ck_assert_ptr_nonnull(s);
	{
		int lines = 0;
		char *p, *save = NULL, *last = NULL;

		for (p = strtok_r(s, "\n", &save); p != NULL;
		    p = strtok_r(NULL, "\n", &save)) {
			lines++;
			last = p;
		}
		ck_assert_int_le(lines, 24);
		ck_assert_ptr_nonnull(strstr(last, "F10Quit"));
	}
	free(s);
	WAIT(&t, "Administration > Monitoring > mpcontrol.log");
	resize(&t, 70, 20);
	WAIT(&t, "needs at least 80x24");
	resize(&t, 120, 32);
	WAIT_GONE(&t, "needs at least 80x24");
	WAIT(&t, "Administration > Monitoring > mpcontrol.log");
	WAIT(&t, "succeeded for port 8443");

	/* Quit: exit status 0, the shell's screen and modes back. */
	send_wait(&t, "q", "console-exit=0");
	WAIT_GONE(&t, "F10Quit");
	v = tmx_format(&t, "#{alternate_on} #{cursor_flag} #{mouse_any_flag}"
	    " #{keypad_cursor_flag}");
	ck_assert_str_eq(v, "0 1 0 0");
	free(v);
	tmx_stop(&t);
	teardown();
}
END_TEST

/* Enable enhanced HTTP in P01 through Site Properties, up to the
 * confirmation (which states the number of certificates). */
static void
e2e_open_enable(struct tmx *t)
{
	keys(t, "2");
	WAIT(t, "Administration > Site Configuration > Sites");
	keys(t, "Down Enter");
	WAIT(t, "P01 - Contoso-East Properties");
	keys(t, "Down Down Space");
	WAIT(t, "[x] Use Configuration Manager-generated certificates");
	keys(t, "Enter");				/* OK */
	WAIT(t, "Apply to site P01?");
}

/*
 * Long work: Esc asks, y cancels and the database is as it was (sqlite3
 * CLI); then keys typed during the work are dropped: the result box is
 * still there afterwards and the console did not quit.
 */
START_TEST(e2e_long_work_cancel_and_typeahead)
{
	struct tmx t;
	char *before, *after, *n, *s, want[128];
	int planned;

	setup_demo();
	load_systems(40, "rsa3072");
	before = db_state();
	tmx_start(&t, 100, 30);
	WAIT(&t, "Administration > Overview");
	e2e_open_enable(&t);
	WAIT(&t, "Certificates to issue: ");
	s = tmx_capture(&t);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "Certificates to issue: "));
	planned = atoi(strstr(s, "Certificates to issue: ") + 23);
	free(s);
	ck_assert_int_ge(planned, 40);
	snprintf(want, sizeof want, "Certificates to issue: %d SMS Role SSL"
	    " Certificates and a new SMS Issuing root", planned);
	WAIT(&t, want);
	send_wait(&t, "Enter", "Please wait");	/* Apply */
	send_wait(&t, "Escape", "Cancel? The site stays as it was.");
	send_wait(&t, "y", "The settings were not changed: cancelled");
	after = db_state();
	ck_assert_str_eq(after, before);
	free(after);

	/* Again, typing during the work: q, Enter, Space, x (Enter first
	 * closes the error box). */
	send_gone(&t, "Enter", "not changed: cancelled");
	WAIT(&t, "P01 - Contoso-East Properties");
	send_wait(&t, "Enter", "Apply to site P01?");
	send_wait(&t, "Enter", "Please wait");
	keys(&t, "q Enter Space x Enter");
	snprintf(want, sizeof want, "Issued %d SMS Role SSL Certificates",
	    planned);
	WAIT(&t, want);
	/* Keys are handled in order: F1 shows help over the result box,
	 * Esc closes the help, and the result box is still there. */
	send_wait(&t, "F1", "Help: ehttp console");
	send_gone(&t, "Escape", "Help: ehttp console");
	s = tmx_capture(&t);
	ck_assert_ptr_nonnull(strstr(s, want));
	ck_assert_ptr_null(strstr(s, "console-exit"));
	free(s);
	n = sql1("SELECT count(*) FROM cert WHERE type = 'role' AND state ="
	    " 'active'");
	ck_assert_int_eq(atoi(n), planned);
	free(n);
	free(before);
	tmx_stop(&t);
	teardown();
}
END_TEST

/*
 * Another program holds the site database's write lock (python3's own
 * sqlite3 module): the action's progress box says that it waits for it,
 * Esc and y stop the wait and the database is as it was (sqlite3 CLI);
 * once the lock is let go, the same action goes through. An action of
 * the console's own handle (approving a client) shows the same box while
 * it waits, which goes once the lock is let go.
 */
START_TEST(e2e_write_waits_for_another)
{
	struct tmx t;
	char *before, *after, smsid[64];
	pid_t holder;

	setup_demo();
	register_client("WKS-WAIT", smsid, sizeof smsid);
	before = db_state();
	tmx_start(&t, 100, 30);
	WAIT(&t, "Administration > Overview");
	e2e_open_enable(&t);
	holder = tu_db_hold(tdir, db);
	send_wait(&t, "Enter", "Another program is writing to the site"
	    " database");
	WAIT(&t, "waiting for it: ");
	send_wait(&t, "Escape", "Cancel? The site stays as it was.");
	send_wait(&t, "y", "stopped waiting for another");
	after = db_state();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);

	tu_db_release(tdir, holder);
	send_gone(&t, "Enter", "stopped waiting");
	WAIT(&t, "P01 - Contoso-East Properties");
	send_wait(&t, "Enter", "Apply to site P01?");
	send_wait(&t, "Enter", "Created the SMS Issuing root certificate of"
	    " site P01");
	tu_sh_is("4", "sqlite3 '%s' \"SELECT count(*) FROM cert WHERE type ="
	    " 'role' AND state = 'active'\"", db);

	send_gone(&t, "Enter", "Created the SMS Issuing root");
	send_gone(&t, "Escape", "P01 - Contoso-East Properties");
	send_wait(&t, "6", "Client 1 of 1, approval manual");
	holder = tu_db_hold(tdir, db);
	send_wait(&t, "a", "Another program is writing to the site database");
	sql_is("SELECT approved FROM client", "0");
	tu_db_release(tdir, holder);
	WAIT(&t, "Approved client WKS-WAIT");
	WAIT_GONE(&t, "Another program is writing");
	sql_is("SELECT approved FROM client", "1");
	tmx_stop(&t);
	teardown();
}
END_TEST

/*
 * A window dragged down to a single cell and back: the message of a
 * too-small terminal is whole again at 79x24, and at 120x30 the whole
 * frame comes back without a key, the title's right part too. At 1x1
 * the console's one-cell input window touched the screen's edges, so
 * ncurses grew it with the screen, and each read repainted it, blank,
 * over all but the first column of what was drawn.
 */
START_TEST(e2e_resize_through_one_cell)
{
	struct tmx t = { 0 };

	setup_demo();
	tmx_start(&t, 120, 30);
	WAIT(&t, "(times UTC)");
	resize(&t, 1, 1);
	/* Time to draw at 1x1 (a single cell shows nothing to wait for):
	 * two sizes at once would be one resize. */
	tu_msleep(1000);
	resize(&t, 79, 24);
	WAIT(&t, "The ehttp console needs at least 80x24; this terminal is"
	    " 79x24.");
	WAIT(&t, "Enlarge the window, or press q to quit.");
	resize(&t, 120, 30);
	WAIT(&t, "(times UTC)");
	WAIT(&t, "F1Help");
	WAIT(&t, "Contoso-East");
	quit(&t);
	teardown();
}
END_TEST

/* A change made elsewhere (ehttpctl) shows in the list after the refresh
 * interval without a key, with the time it was read. */
START_TEST(e2e_outside_change_refreshes)
{
	struct tmx t;
	char *out = NULL, *err = NULL;
	int rc;

	setup_demo();
	tmx_start_opts(&t, 100, 30, "--refresh 1");
	WAIT(&t, "Administration > Overview");
	send_wait(&t, "2", "Contoso-East");
	WAIT(&t, "as of ");
	rc = tu_ctl(db, &out, &err, "site", "add", "Z99", "--name",
	    "Outside-Change", "--type", "primary", "--parent", "CAS", NULL);
	ck_assert_msg(rc == 0, "site add: %s", err);
	free(out);
	free(err);
	WAIT(&t, "Outside-Change");
	tmx_stop(&t);
	teardown();
}
END_TEST

/*
 * The terminal goes away (its window closed, the ssh connection lost)
 * while nothing sends the console a SIGHUP: under a shell, as make run
 * runs it, the hangup signal may reach only the shell. Here the console
 * has a terminal (a pseudo-terminal) that is not its controlling one, so
 * no signal comes at all: when the terminal's other side closes, each
 * read says end-of-file. The console ends as on SIGHUP (killed by it,
 * after restoring the terminal) instead of reading again for ever.
 */
START_TEST(e2e_terminal_gone)
{
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	char buf[4096], *seen = NULL, *slave;
	size_t nseen = 0;
	int master, st = 0, ms;
	pid_t pid;

	setup_demo();
	ck_assert_int_ne(master = posix_openpt(O_RDWR | O_NOCTTY), -1);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	ck_assert_ptr_nonnull(slave = ptsname(master));
	ck_assert_int_gt(pid = fork(), -1);
	if (pid == 0) {
		int fd;

		/* A session of its own and no controlling terminal; the
		 * other side only the test's. */
		close(master);
		if (setsid() == -1 ||
		    (fd = open(slave, O_RDWR | O_NOCTTY)) == -1 ||
		    ioctl(fd, TIOCSWINSZ, &ws) == -1 || dup2(fd, 0) == -1 ||
		    dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		setenv("TERM", "xterm", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		execl(tu_bin("ehttp-console"), "ehttp-console", "--db", db,
		    "--log-dir", logdir, (char *)NULL);
		_exit(127);
	}
	/* The first screen drawn. */
	for (ms = 0; ms < 20000; ms += 10) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) == 1 && (n = read(master, buf,
		    sizeof buf)) > 0) {
			seen = xreallocarray(seen, nseen + (size_t)n + 1, 1);
			memcpy(seen + nseen, buf, (size_t)n);
			seen[nseen += (size_t)n] = '\0';
			if (strstr(seen, "Overview") != NULL)
				break;
		}
		if (waitpid(pid, &st, WNOHANG) != 0)
			break;
	}
	if (ms >= 20000 || seen == NULL || strstr(seen, "Overview") == NULL) {
		/* Not left running beside the next tests (CK_FORK=no). */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(master);
		ck_abort_msg("no first screen (status %#x): %.500s", st, seen ?
		    seen : "(nothing)");
	}
	free(seen);
	close(master);
	for (ms = 0; ms < 10000 && waitpid(pid, &st, WNOHANG) == 0; ms += 10)
		tu_msleep(10);
	if (ms >= 10000) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_abort_msg("the console still ran 10 s after its terminal"
		    " went away");
	}
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP,
	    "status %#x", st);
	teardown();
}
END_TEST

START_TEST(e2e_sigterm_restores_terminal)
{
	struct tmx t;
	char *v;
	long pid;

	setup_demo();
	tmx_start(&t, 100, 30);
	WAIT(&t, "Administration > Overview");
	send_wait(&t, "2 Enter", "Properties");	/* a dialog open */
	pid = console_pid();
	ck_assert_int_gt(pid, 1);
	ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
	/* It dies of the signal (128 + 15) after restoring the terminal. */
	WAIT(&t, "console-exit=143");
	WAIT_GONE(&t, "Properties");
	v = tmx_format(&t, "#{alternate_on} #{cursor_flag} #{mouse_any_flag}");
	ck_assert_str_eq(v, "0 1 0");
	free(v);
	tmx_stop(&t);

	/* An unknown terminal type: our message, exit 1. (ncurses leaks its
	 * "prescreen" when newterm() fails; the process ends right there,
	 * so the leak check is off for this one run.) */
	{
		char *out = NULL, *err = NULL;
		int rc;

		rc = tu_sh(&out, &err, "ASAN_OPTIONS=detect_leaks=0"
		    " TERM=no-such-terminal-type script -qec '%s --db %s'"
		    " /dev/null", tu_bin("ehttp-console"), db);
		ck_assert_int_eq(rc, 1);
		ck_assert_ptr_nonnull(strstr(out, "cannot use terminal type"
		    " 'no-such-terminal-type'"));
		free(out);
		free(err);
		/* One that cannot move the cursor: the same (it drew a
		 * blank screen). */
		rc = tu_sh(&out, &err, "TERM=dumb timeout 10 script -qec"
		    " '%s --db %s' /dev/null", tu_bin("ehttp-console"), db);
		ck_assert_int_eq(rc, 1);
		ck_assert_msg(strstr(out, "terminal type 'dumb' cannot move the"
		    " cursor") != NULL, "%s", out);
		free(out);
		free(err);
	}

	/* A bad --refresh is quoted escaped, before any screen. */
	{
		char *out = NULL, *err = NULL;
		char *argv[] = { NULL, "--db", db, "--refresh", "9\x1b[2J",
		    NULL };

		ck_assert_ptr_nonnull(argv[0] = strdup(tu_bin("ehttp-console")));
		ck_assert_int_eq(tu_run(argv, &out, &err), 2);
		ck_assert_msg(strstr(err, "9\\x1b[2J") != NULL &&
		    strchr(err, '\x1b') == NULL, "%s", err);
		free(argv[0]);
		free(out);
		free(err);
	}

	/* A database that is not there: a plain message, no screen. */
	{
		char *out = NULL, *err = NULL, missing[4200];
		int rc;

		snprintf(missing, sizeof missing, "%s/none/site.db", tdir);
		rc = tu_sh(&out, &err, "script -qec '%s --db %s' /dev/null",
		    tu_bin("ehttp-console"), missing);
		ck_assert_int_eq(rc, 1);
		ck_assert_ptr_nonnull(strstr(out, missing));
		free(out);
		free(err);
	}
	teardown();
}
END_TEST

/*
 * The console and ehttpctl log show agree on a merge: the same logs (the
 * agent's mpcontrol.log, its rolled mpcontrol.lo_ and a script's log
 * written in another zone, one record without an offset) and the same
 * filter give the same records in the same order, with the same log tag,
 * component and time. python3 cuts both screens into columns by their
 * headers and compares them row by row.
 */
static const char compare_py[] =
    "import sys\n"
    "show = open(sys.argv[1], encoding='utf-8').read().split('\\n')\n"
    "pane = open(sys.argv[2], encoding='utf-8').read().split('\\n')\n"
    "def cut(line, starts, names):\n"
    "    r = {}\n"
    "    for i, n in enumerate(names):\n"
    "        end = starts[i + 1] if i + 1 < len(starts) else len(line)\n"
    "        r[n] = line[starts[i]:end].strip(' \\u2502|x')\n"
    "    return r\n"
    "import re\n"
    "names = ['type', 'component', 'thread', 'log', 'text']\n"
    "want = []\n"
    "for l in show[1:]:\n"
    "    # a local time is wider than the column: cut the time first\n"
    "    m = re.match(r'^(-|\\S+ \\S+(?: local)?)  +(.*)$', l)\n"
    "    if m:\n"
    "        r = dict(zip(names, re.split(r'  +', m.group(2), 4)))\n"
    "        r['time'] = m.group(1)\n"
    "        want.append(r)\n"
    "hi = [i for i, l in enumerate(pane) if 'Log Text' in l][0]\n"
    "h = pane[hi]\n"
    "cn = ['text', 'log', 'component', 'time']\n"
    "t0 = h.index('Log Text')\n"
    "cs = [t0, h.index('Log ', t0 + 8), h.index('Component'),"
    " h.index('Date/Time')]\n"
    "got = []\n"
    "for l in pane[hi + 1:]:\n"
    "    r = cut(l, cs, cn)\n"
    "    if not r['text']:\n"
    "        break\n"
    "    got.append(r)\n"
    "def same(g, w):\n"
    "    # a cell cut to its column ends with an ellipsis\n"
    "    return g == w or (g.endswith('\\u2026') and len(g) > 1 and"
    " w.startswith(g[:-1]))\n"
    "ok = len(got) == len(want) and all(same(g[k], w[k]) for g, w in"
    " zip(got, want) for k in cn)\n"
    "if not ok:\n"
    "    print('show:', want)\n"
    "    print('console:', got)\n"
    "sys.exit(0 if ok and len(want) > 0 else 1)\n";

static void
compare_console_show(struct tmx *t, const char *show_args)
{
	char show[4300], pane[4300], py[4300], *out = NULL, *err = NULL;
	char *s;
	int rc;

	snprintf(show, sizeof show, "%s/show.txt", tdir);
	snprintf(pane, sizeof pane, "%s/pane.txt", tdir);
	snprintf(py, sizeof py, "%s/compare.py", tdir);
	ck_assert_int_eq(tu_write_file(py, compare_py, strlen(compare_py)), 0);
	/* log show takes FILEs, not a folder: name them as the console's
	 * folder node does (its logs sorted by name). */
	ck_assert_int_eq(tu_sh(&out, &err, "%s --db '%s' log show %s"
	    " '%s/mpcontrol.lo_' '%s/mpcontrol.log' '%s/script.log' > '%s'",
	    tu_bin("ehttpctl"), db, show_args, logdir, logdir, logdir, show),
	    0);
	free(out);
	free(err);
	s = tmx_capture(t);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(tu_write_file(pane, s, strlen(s)), 0);
	free(s);
	rc = tu_sh(&out, &err, "%s '%s' '%s' '%s'", tu_python(), py, show,
	    pane);
	if (rc != 0)
		fprintf(stderr, "%s%s\npane:\n%s\n", out, err, t->last);
	ck_assert_msg(rc == 0, "console and log show differ (%s)", show_args);
	free(out);
	free(err);
}

START_TEST(e2e_log_merge_matches_show)
{
	static const char rolled[] =
	    "<![LOG[Bound the certificate on port 443]LOG]!><time=\"10:00:01.000+000\""
	    " date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\" context=\"\""
	    " type=\"1\" thread=\"11\" file=\"mpd.c:1\">\n"
	    "<![LOG[Health check: cert will expire]LOG]!><time=\"10:00:04.000+000\""
	    " date=\"11-24-2026\" component=\"MP_HEALTH\" context=\"\""
	    " type=\"2\" thread=\"11\" file=\"\">\n";
	static const char live[] =
	    "<![LOG[Call to HttpSendRequestSync failed for port 443:"
	    " 0x80072f8f]LOG]!><time=\"10:00:03.000+000\" date=\"11-24-2026\""
	    " component=\"SMS_MP_CONTROL_MANAGER\" context=\"\" type=\"3\""
	    " thread=\"12\" file=\"\">\n"
	    "<![LOG[Agent stopping]LOG]!><time=\"10:00:06.000+000\""
	    " date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\""
	    " context=\"\" type=\"1\" thread=\"12\" file=\"\">\n";
	/* 03:00:02 at bias +420 is 10:00:02 UTC; the last one has no
	 * offset: a local time, never labelled UTC. */
	static const char script[] =
	    "<![LOG[Script checked the cert store]LOG]!><time=\"03:00:02.000+420\""
	    " date=\"11-24-2026\" component=\"Check-Cert\" context=\"\""
	    " type=\"1\" thread=\"Main\" file=\"\">\n"
	    "<![LOG[Script found an expired cert]LOG]!><time=\"10:00:05.000\""
	    " date=\"11-24-2026\" component=\"Check-Cert\" context=\"\""
	    " type=\"2\" thread=\"Main\" file=\"\">\n";
	struct tmx t;
	char path[4300], opt[4400];

	setup_demo();
	snprintf(path, sizeof path, "%s/mpcontrol.lo_", logdir);
	ck_assert_int_eq(tu_write_file(path, rolled, strlen(rolled)), 0);
	ck_assert_int_eq(tu_write_file(logfile, live, strlen(live)), 0);
	snprintf(path, sizeof path, "%s/script.log", logdir);
	ck_assert_int_eq(tu_write_file(path, script, strlen(script)), 0);
	snprintf(opt, sizeof opt, "--log '%s'", logdir);
	tmx_start_opts(&t, 160, 40, opt);
	WAIT(&t, "all logs merged");
	WAIT(&t, "6 of 6");
	/* A local time on screen: the column does not say UTC. */
	WAIT(&t, "2026-11-24 10:00:05.000 local");
	ck_assert_ptr_null(strstr(t.last, "Date/Time (UTC)"));
	compare_console_show(&t, "");
	/* Its details: the time as written next to the converted one, the
	 * thread as written. */
	send_wait(&t, "Up",
	    "Date/Time: 2026-11-24 10:00:05.000 local  Thread: Main");
	/* The same filter: text "cert", types warning and error (the
	 * Information box unticked, "Not a record" left ticked). */
	send_wait(&t, "F4", "Filter Log");
	send_gone(&t, "c e r t Tab Tab Space Enter", "Filter Log");
	WAIT(&t, "2 of 2, filtered");
	compare_console_show(&t, "--grep cert --type warning,error,malformed");
	tmx_stop(&t);
	teardown();
}
END_TEST

START_TEST(e2e_options)
{
	char *out = NULL, *err = NULL;
	char *argv[] = { NULL, "--version", NULL };
	char *argv2[] = { NULL, "--help", NULL };
	char *argv3[] = { NULL, "--bogus", NULL };
	char *argv4[] = { NULL, NULL };

	argv[0] = argv2[0] = argv3[0] = argv4[0] =
	    strdup(tu_bin("ehttp-console"));
	ck_assert_int_eq(tu_run(argv, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "ehttp-console " EHTTP_VERSION));
	free(out);
	free(err);
	ck_assert_int_eq(tu_run(argv2, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "--log-dir"));
	ck_assert_ptr_nonnull(strstr(out, "--db"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_run(argv3, &out, &err), 2);
	free(out);
	free(err);
	/* Usage errors as every ehttp program says them, escaped. */
	tu_sh_fails(2, "refresh 'x': must be seconds from 1 to 3600\n"
	    "Try 'ehttp-console --help'.", "'%s' --refresh x", argv[0]);
	tu_sh_fails(2, "unknown or incomplete option '--a\\x1b[2Jb'",
	    "'%s' \"$(printf -- '--a\\033[2Jb')\"", argv[0]);
	tu_sh_fails(2, "unexpected argument 'extra'", "'%s' extra", argv[0]);
	/* Not a terminal: refused with a message, exit 1. */
	ck_assert_int_eq(tu_run(argv4, &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "needs a terminal"));
	free(out);
	free(err);
	free(argv[0]);
}
END_TEST


/*
 * The console as a person uses it: clients registered through the
 * backend (one named with ESC, BEL, CSI and invalid UTF-8), one approved
 * with keys, checked with `ehttpctl client show --json` and the sqlite3
 * CLI; the hostile name is drawn escaped and the terminal keeps its title
 * and screen; a bulk token blocked in the console is refused.
 */
START_TEST(e2e_clients_approve_and_hostile_name)
{
	static const char evil[] = "EVIL\033]0;pwned\007\033[2J\033[31mRED"
	    "\233\377X";
	char plain[64], bad[64], *v, *v0, *s;
	struct tmx t;

	setup_demo();
	register_client("WKS-PLAIN", plain, sizeof plain);
	register_client(evil, bad, sizeof bad);
	tmx_start(&t, 120, 30);
	WAIT(&t, "Administration > Overview");
	v0 = tmx_format(&t, "#{pane_title}");
	send_wait(&t, "6", "Client 1 of 2, approval manual");
	WAIT(&t, "WKS-PLAIN");
	WAIT(&t, "EVIL?]0;pwned??[2J");		/* the Name column, cut */

	/* Approve the first (pending) one with a key. */
	send_wait(&t, "a", "Approved client WKS-PLAIN");
	v = client_py(plain, "(d['approval'], d['approved'], d['blocked'],"
	    " d['approved_by'] != '')");
	ck_assert_str_eq(v, "('approved', True, False, True)");
	free(v);
	v = client_py(bad, "d['approval']");
	ck_assert_str_eq(v, "pending");
	free(v);
	sql_is("SELECT count(*) FROM audit WHERE action = 'client' AND detail"
	    " LIKE '%approved.'", "1");
	/* The whole hostile name in the details: '?' for each control,
	 * U+FFFD for each invalid byte (the pane is UTF-8); the terminal
	 * keeps its title and its screen. */
	send_wait(&t, "Down",
	    "EVIL?]0;pwned??[2J?[31mRED\xef\xbf\xbd\xef\xbf\xbdX  GUID:");
	s = tmx_format(&t, "#{pane_title}");
	ck_assert_str_eq(s, v0);
	ck_assert_ptr_null(strstr(s, "pwned"));
	free(s);
	free(v0);
	s = tmx_capture(&t);
	tu_has(s, "Administration > Site Configuration > Clients", "F10Quit",
	    "Client 2 of 2", NULL);
	free(s);
	/* Block the hostile one from its menu (it asks; Left picks Block). */
	send_wait(&t, "Enter", "Block...");
	send_wait(&t, "Down Enter", "Block client?");
	send_wait(&t, "Left Enter", "Blocked client EVIL?]0;pwned");
	/* Stored as sent (JSON: invalid bytes as U+FFFD). */
	v = client_py(bad, "(d['blocked'], d['name'] == 'EVIL\\x1b]0;pwned"
	    "\\x07\\x1b[2J\\x1b[31mRED\\ufffd\\ufffdX')");
	ck_assert_str_eq(v, "(True, True)");
	free(v);
	quit(&t);
}
END_TEST

START_TEST(e2e_bulk_token_blocked)
{
	char path[4300], *id, *v, *why = NULL;
	struct ehttp *e;
	struct tmx t;
	char *cause = NULL;

	setup_demo();
	tu_ctl_ok(db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	snprintf(path, sizeof path, "%s/bulk.jwt", tdir);
	tu_ctl_ok(db, "token", "new", "--out", path, NULL);
	id = tu_ctl_json(db, "d[0]['id']", "token", "list", "--json", NULL);
	tmx_start(&t, 120, 30);
	WAIT(&t, "Administration > Overview");
	send_wait(&t, "4 F8", "Bulk token 1 of 1");
	WAIT(&t, "F8Certificates");
	send_wait(&t, "b", "Block bulk registration token?");
	send_wait(&t, "Left Enter", "Blocked bulk registration token");
	v = tu_ctl_json(db, "(d[0]['blocked'], d[0]['state'])", "token",
	    "list", "--json", NULL);
	ck_assert_str_eq(v, "(True, 'Blocked')");
	free(v);
	/* What the management point asks before it approves with it. */
	e = ehttp_open(db, EHTTP_NO_KEYS | EHTTP_READONLY, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_int_eq(ehttp_bulk_token_usable(e, id, time(NULL), &why), 0);
	ck_assert_str_eq(why, "blocked");
	free(why);
	ehttp_close(e);
	/* Unblocked from its menu: usable again. */
	keys(&t, "Enter");
	snprintf(path, sizeof path, "Token %.8s", id);	/* the menu's title */
	WAIT(&t, path);
	send_wait(&t, "Enter", "Unblocked bulk registration token");
	v = tu_ctl_json(db, "d[0]['state']", "token", "list", "--json", NULL);
	ck_assert_str_eq(v, "Active");
	free(v);
	quit(&t);
	free(id);
}
END_TEST

/* A folder of files for `package add` (each file's bytes: its name). */
static void
package_source(const char *dir, const char *const *files)
{
	char path[4400];

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	for (; *files != NULL; files++) {
		snprintf(path, sizeof path, "%s/%s", dir, *files);
		ck_assert_int_eq(tu_write_file(path, *files, strlen(*files)), 0);
	}
}

/* The row of package id in the pane: from the id to the dialog's right
 * border, its runs of spaces made one. */
static void
pane_package_row(const char *pane, const char *id, char *buf, size_t len)
{
	const char *p = strstr(pane, id), *end;
	size_t n = 0;

	ck_assert_msg(p != NULL, "%s not in the pane:\n%s", id, pane);
	end = strstr(p, "\xe2\x94\x82");		/* U+2502, the border */
	ck_assert_ptr_nonnull(end);
	for (; p < end && n + 1 < len; p++)
		if (*p != ' ' || (n > 0 && buf[n - 1] != ' '))
			buf[n++] = *p;
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/*
 * A distribution point's Properties, Content tab: three packages given to
 * dp1 with ehttpctl (one updated to version 2, one whose name came into
 * the database with ESC and BEL, one whose distribution failed because a
 * file left the site's library) show as the sqlite3 CLI reads them: id,
 * name (controls as '?'), the DP's version, the bytes of that version,
 * state and last change (UTC). The terminal keeps its title.
 */
/*
 * Security > Agents: an agent that asked to be enrolled (ehttp-mpd
 * --enroll) waits; a wrong fingerprint approves nothing, the right one
 * (typed as openssl prints it: colons, lower case) seals its keys, which
 * the sqlite3 CLI counts; Revoke asks, then removes it. The host name it
 * gave is untrusted: drawn with '?' for its controls.
 */
START_TEST(e2e_agents_approve_revoke)
{
	char *out, *fp, *colons;
	struct tmx t;

	setup_demo();
	tu_ctl_ok(db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	out = tu_sh_ok("'%s' --db '%s' --system p01.contoso.com --enroll",
	    tu_bin("ehttp-mpd"), db);
	ck_assert_ptr_nonnull(fp = strstr(out, "Fingerprint (SHA-256): "));
	fp = xstrndup(fp + 23, 64);
	free(out);
	colons = tu_line1(tu_sh_ok("echo %s | tr A-F a-f | sed"
	    " 's/../&:/g; s/:$//'", fp));
	free(sql1("UPDATE agent_enroll SET host = 'EVIL' || char(27) ||"
	    " ']0;pwned' || char(7) || 'X'"));
	tmx_start(&t, 80, 24);
	WAIT(&t, "Administration > Overview");
	send_wait(&t, "Down Down Down Down Down Enter",
	    "Administration > Security > Agents");
	WAIT(&t, "Waiting");
	WAIT(&t, "Key made on EVIL?]0;pwned?X, asked");

	send_wait(&t, "a", "the agent printed on its host:");
	send_wait(&t, "00112233 Enter", "nothing approved");
	keys(&t, "Enter");
	sql_is("SELECT approved FROM agent_enroll", "0");
	send_wait(&t, "a", "the agent printed on its host:");
	ck_assert_int_eq(tmx(&t, NULL, "send-keys -t ehttp -l %s", colons), 0);
	send_wait(&t, "Enter", "The agent of p01.contoso.com is enrolled (key");
	send_wait(&t, "Enter", "Approved    2");
	sql_is("SELECT (SELECT count(*) FROM agent_key) || ' ' || (SELECT"
	    " approved > 0 FROM agent_enroll)", "2 1");

	send_wait(&t, "DC", "Revoke agent?");
	send_wait(&t, "Left Enter", "is no longer enrolled");
	send_wait(&t, "Enter", "No agent has asked to be");
	sql_is("SELECT (SELECT count(*) FROM agent_key) || ' ' || (SELECT"
	    " count(*) FROM agent_enroll)", "0 0");
	quit(&t);
	free(colons);
	free(fp);
}
END_TEST

START_TEST(e2e_dp_properties_content)
{
	static const char *const f1[] = { "setup.exe", "data.cab", NULL };
	static const char *const f2[] = { "tool.exe", NULL };
	static const char *const f3[] = { "broken.msi", NULL };
	char src[4300], lib[4400], got[512], *v, *want, *s, *save = NULL, *l;
	char *t0;
	struct tmx t;
	int rows = 0;

	setup_demo();
	snprintf(src, sizeof src, "%s/src1", tdir);
	package_source(src, f1);
	tu_ctl_ok(db, "package", "add", "Office 2024", "--source", src,
	    "--site", "P01", NULL);
	tu_ctl_ok(db, "package", "update", "P0100001", "--source", src, NULL);
	snprintf(src, sizeof src, "%s/src2", tdir);
	package_source(src, f2);
	tu_ctl_ok(db, "package", "add", "Tools", "--source", src, "--site",
	    "P01", NULL);
	snprintf(src, sizeof src, "%s/src3", tdir);
	package_source(src, f3);
	tu_ctl_ok(db, "package", "add", "Broken", "--source", src, "--site",
	    "P01", NULL);
	tu_ctl_ok(db, "package", "distribute", "P0100001", "--dp",
	    "dp1.p01.contoso.com", NULL);
	tu_ctl_ok(db, "package", "distribute", "P0100002", "--dp",
	    "dp1.p01.contoso.com", NULL);
	/* The third's one file gone from the site's library: it fails. */
	v = sql1("SELECT sha256 FROM package_file WHERE package_id ="
	    " 'P0100003'");
	snprintf(lib, sizeof lib, "%s/content/site/P01/FileLib/%.4s/%s", tdir,
	    v, v);
	ck_assert_int_eq(unlink(lib), 0);
	free(v);
	tu_sh_fails(1, "No such file", "'%s' --db '%s' package distribute"
	    " P0100003 --dp dp1.p01.contoso.com", tu_bin("ehttpctl"), db);
	/* ehttpctl refuses such a name: it came another way. */
	free(sql1("UPDATE package SET name = 'EVIL' || char(27) || ']0;pwned'"
	    " || char(7) || char(27) || '[2JX' WHERE id = 'P0100002'"));

	tmx_start(&t, 120, 30);
	WAIT(&t, "Administration > Overview");
	t0 = tmx_format(&t, "#{pane_title}");
	send_wait(&t, "3 /", "Name, site or role:");
	send_wait(&t, "dp1.p01 Enter Enter",
	    "Site System Roles: dp1.p01.contoso.com");
	send_wait(&t, "Enter", "Distribution point Properties");
	send_wait(&t, "PageDown",
	    "Packages on dp1.p01.contoso.com: 3 (1 of 3)");
	WAIT(&t, "P0100001: installed, version 2 (the latest), 2 files:"
	    " Office 2024");
	s = tmx_capture(&t);
	ck_assert_ptr_nonnull(s);
	want = tu_sh_ok("sqlite3 %s \"SELECT d.package_id || ' ' ||"
	    " replace(replace(p.name, char(27), '?'), char(7), '?') || ' ' ||"
	    " d.version || ' ' || (SELECT coalesce(sum(size), 0) FROM"
	    " package_file f WHERE f.package_id = d.package_id AND f.version ="
	    " d.version) || ' ' || d.state || ' ' || strftime('%%Y-%%m-%%d"
	    " %%H:%%M', d.time, 'unixepoch') FROM package_dp d JOIN package p"
	    " ON p.id = d.package_id JOIN site_system y ON y.id = d.system_id"
	    " WHERE y.fqdn = 'dp1.p01.contoso.com' ORDER BY d.package_id\"",
	    db);
	for (l = strtok_r(want, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save), rows++) {
		char id[9];

		snprintf(id, sizeof id, "%.8s", l);
		pane_package_row(s, id, got, sizeof got);
		ck_assert_str_eq(got, l);
	}
	ck_assert_int_eq(rows, 3);
	/* What the database holds, as the rows above said it. */
	v = sql1("SELECT group_concat(package_id || ':' || version || ':' ||"
	    " state, ' ') FROM (SELECT * FROM package_dp ORDER BY package_id)");
	ck_assert_str_eq(v, "P0100001:2:installed P0100002:1:installed"
	    " P0100003:1:failed");
	free(v);
	tu_has(s, "EVIL?]0;pwned??[2JX", NULL);
	free(s);
	free(want);
	/* The failed one says why; the title never changed. */
	send_wait(&t, "End", "Packages on dp1.p01.contoso.com: 3 (3 of 3)");
	WAIT(&t, "P0100003: failed: cannot open");
	send_wait(&t, "Up", "(2 of 3)");
	v = tmx_format(&t, "#{pane_title}");
	ck_assert_str_eq(v, t0);
	free(v);
	free(t0);
	/* Taken off the DP meanwhile: F5 reads the tab again. */
	tu_ctl_ok(db, "package", "undistribute", "P0100001", "--dp",
	    "dp1.p01.contoso.com", NULL);
	send_wait(&t, "F5", "Packages on dp1.p01.contoso.com: 2");
	/* Back on the first tab, Up and Down are the form's again: the
	 * WebDAV listings turned off, saved with OK. */
	send_wait(&t, "PageUp", "Allow clients to connect anonymously");
	WAIT(&t, "[x] Allow clients to list the content (WebDAV PROPFIND)");
	send_wait(&t, "Down Down Down Space",
	    "[ ] Allow clients to list the content (WebDAV PROPFIND)");
	send_wait(&t, "Enter", "The role settings were saved.");
	send_gone(&t, "Enter", "Distribution point Properties");
	sql_is("SELECT group_concat(x, ' ') FROM (SELECT y.fqdn || ':' ||"
	    " r.allow_propfind AS x FROM role r JOIN site_system y ON y.id ="
	    " r.system_id WHERE r.role = 'dp' AND y.fqdn LIKE 'dp_.p01.%'"
	    " ORDER BY y.fqdn)", "dp1.p01.contoso.com:0 dp2.p01.contoso.com:1");
	quit(&t);
}
END_TEST

/*
 * Monitoring lists a distribution point's smsdpcontent.log right after
 * its mpcontrol.log, before the agent writes it ("waiting for the file");
 * records the log writer (cmlog, the agent's) appends then show.
 */
START_TEST(e2e_dp_log_listed)
{
	char dir[4300], path[4400], *cause = NULL;
	struct cmlog *w;
	struct tmx t;

	setup_demo();
	ck_assert_int_eq(unlink(logfile), 0);	/* agents in folders */
	snprintf(dir, sizeof dir, "%s/dp1.p01.contoso.com", logdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof path, "%s/mpcontrol.log", dir);
	ck_assert_int_eq(tu_write_file(path, fixture_log,
	    strlen(fixture_log)), 0);
	tmx_start(&t, 160, 30);
	WAIT(&t, "Administration > Overview");
	keys(&t, "5");
	WAIT(&t, "Administration > Monitoring > dp1.p01.contoso.com > "
	    "mpcontrol.log");
	keys(&t, "Tab Down");
	WAIT(&t, "Administration > Monitoring > dp1.p01.contoso.com > "
	    "smsdpcontent.log");
	WAIT(&t, "waiting for the file");
	snprintf(path, sizeof path, "%s/smsdpcontent.log", dir);
	w = cmlog_open(path, 0, &cause);
	ck_assert_msg(w != NULL, "cmlog_open: %s", cause);
	ck_assert_int_eq(cmlog_write(w, CMLOG_TYPE_INFO, "SMS_DP_CONTENT", "",
	    "GET /SMS_DP_SMSPKG$/P0100001/setup.exe from 127.0.0.1, port 80:"
	    " 200, package P0100001 version 2, 9 bytes"), 0);
	ck_assert_int_eq(cmlog_write(w, CMLOG_TYPE_WARNING, "SMS_DP_CONTENT",
	    "", "GET /SMS_DP_SMSPKG$/P0100009 from 127.0.0.1, port 80: 404,"
	    " package P0100009 is not on this distribution point"), 0);
	cmlog_close(w);
	WAIT(&t, "GET /SMS_DP_SMSPKG$/P0100001/setup.exe");
	WAIT(&t, "SMS_DP_CONTENT");
	WAIT(&t, "2 of 2");
	quit(&t);
}
END_TEST

Suite *
tui_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("logic", logic_fixture),
		TU_TEST(keys_unique_per_context),
		TU_EACH(keys_lookup_by_context, lookup_cases),
		TU_TEST(keys_bar_and_help_from_one_table),
		TU_TEST(list_windowing),
		TU_TEST(rowbuf_keyset_window),
		TU_TEST(text_helpers),
		TU_TEST(site_dialog_rules),
		TU_TEST(site_dialog_site_types),
		TU_TEST(form_text_and_buttons),
		TU_TEST(role_dialog_model),
		TU_TEST(logscan_filter_find_follow),
		TU_TEST(issue_cancel_and_plan),
		TU_TEST(form_focus_ring),
		TU_TEST(log_component_filter_is_substring),
		TU_TEST(keys_clients_and_tokens),
		TU_TEST(clients_page_backwards),
		TU_CASE("render", render_fixture),
		TU_TEST(render_sites_view),
		TU_TEST(render_overview_names_agent),
		TU_TEST(render_site_properties_and_issue),
		TU_TEST(render_site_renew_days),
		TU_TEST(render_site_trusted_roots),
		TU_TEST(render_certificates_window),
		TU_TEST(render_overview_alerts_paged),
		TU_TEST(render_token_signing_listed),
		TU_TEST(render_token_signing_narrow),
		TU_TEST(render_certificate_expired_state),
		TU_TEST(render_cert_path_unknown_issuer),
		TU_TEST(render_small_terminal_and_resize),
		TU_TEST(render_log_colours),
		TU_TEST(render_log_folders),
		TU_TEST(render_log_folders_limit),
		TU_TEST(render_keys_overview_find),
		TU_TEST(render_systems_find_and_details),
		TU_TEST(render_systems_rows_own_agents),
		TU_TEST(render_systems_details_events),
		TU_TEST(render_log_small_no_colour),
		TU_TEST(render_clients_view),
		TU_TEST(render_client_name_line_feed),
		TU_TEST(render_bulk_tokens),
		TU_TEST(render_dp_content_paged),
		TU_CASE("e2e", e2e_fixture),
		TU_TEST(e2e_enable_enhanced_http),
		TU_TEST(e2e_sigterm_restores_terminal),
		TU_TEST(e2e_terminal_gone),
		TU_TEST(e2e_options),
		TU_TEST(e2e_long_work_cancel_and_typeahead),
		TU_TEST(e2e_write_waits_for_another),
		TU_TEST(e2e_outside_change_refreshes),
		TU_TEST(e2e_resize_through_one_cell),
		TU_TEST(e2e_log_merge_matches_show),
		TU_TEST(e2e_clients_approve_and_hostile_name),
		TU_TEST(e2e_agents_approve_revoke),
		TU_TEST(e2e_bulk_token_blocked),
		TU_TEST(e2e_dp_properties_content),
		TU_TEST(e2e_dp_log_listed),
		{ 0 }
	};

	return tu_suite("tui", tests);
}
