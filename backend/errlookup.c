/*
 * errlookup: the error code tables and decoder (errlookup.h).
 *
 * Sources (every value below was checked against them):
 *  [HR]   HRESULT layout and facility values: learn.microsoft.com,
 *         "HRESULT_FACILITY macro (winerror.h)"
 *         (windows/win32/api/winerror/nf-winerror-hresult_facility) and
 *         "Structure of COM error codes" (windows/win32/com/
 *         structure-of-com-error-codes).
 *  [COM]  learn.microsoft.com, "Common HRESULT Values"
 *         (windows/win32/seccrypto/common-hresult-values).
 *  [CERT] learn.microsoft.com, "Certificate and trust return values"
 *         (windows/win32/seccrypto/certificate-and-trust-return-values);
 *         SEC_E_* from winerror.h as published in Microsoft's windows-sys
 *         crate (Win32::Foundation).
 *  [WH]   learn.microsoft.com, "Error Messages (Winhttp.h)"
 *         (windows/win32/winhttp/error-messages); the values also in
 *         Microsoft's windows crate (Win32::Networking::WinHttp).
 *  [CM]   support.microsoft.com, "FIX: Application installation fails
 *         post-upgrade of the Configuration Manager client from version
 *         1606 to 1610 or 1702" (AppEnforce.log "Error 0x87d01106"):
 *         Configuration Manager's own codes carry facility 0x7D0.
 *  [HTTP] RFC 9110, "HTTP Semantics", section 15 (status codes).
 * The descriptions are ours.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errlookup.h"

struct code_entry {
	uint32_t	 value;
	const char	*name;
	const char	*text;
	const char	*source;
};

#define SRC_HR	"learn.microsoft.com: HRESULT_FACILITY macro (winerror.h)"
#define SRC_COM	"learn.microsoft.com: Common HRESULT Values"
#define SRC_CERT "learn.microsoft.com: Certificate and trust return values"
#define SRC_SEC	"winerror.h (Microsoft windows-sys, Win32::Foundation)"
#define SRC_WH	"learn.microsoft.com: Error Messages (Winhttp.h)"
#define SRC_CM	"support.microsoft.com: Configuration Manager 1702 fix" \
		" (AppEnforce.log 0x87d01106)"
#define SRC_HTTP "RFC 9110, section 15"

/* Facilities (bits 16-26) [HR]. */
static const struct {
	unsigned	 value;
	const char	*name;
} facilities[] = {
	{ 0, "FACILITY_NULL" },
	{ 1, "FACILITY_RPC" },
	{ 2, "FACILITY_DISPATCH" },
	{ 3, "FACILITY_STORAGE" },
	{ 4, "FACILITY_ITF" },
	{ 7, "FACILITY_WIN32" },
	{ 8, "FACILITY_WINDOWS" },
	{ 9, "FACILITY_SECURITY" },
	{ 10, "FACILITY_CONTROL" },
	{ 11, "FACILITY_CERT" },
	{ 12, "FACILITY_INTERNET" },
	{ 25, "FACILITY_HTTP" },
	{ 0x7d0, "Configuration Manager" },			/* [CM] */
};
#define FACILITY_WIN32	7

/* Whole HRESULTs [COM] [CERT]. */
static const struct code_entry hresults[] = {
	{ 0x00000000, "S_OK", "success", SRC_COM },
	{ 0x80004001, "E_NOTIMPL", "not implemented", SRC_COM },
	{ 0x80004002, "E_NOINTERFACE", "no such interface", SRC_COM },
	{ 0x80004003, "E_POINTER", "an invalid pointer", SRC_COM },
	{ 0x80004004, "E_ABORT", "the operation was aborted", SRC_COM },
	{ 0x80004005, "E_FAIL", "unspecified failure", SRC_COM },
	{ 0x8000FFFF, "E_UNEXPECTED", "unexpected failure", SRC_COM },
	{ 0x80070005, "E_ACCESSDENIED", "access denied", SRC_COM },
	{ 0x80070006, "E_HANDLE", "an invalid handle", SRC_COM },
	{ 0x8007000E, "E_OUTOFMEMORY", "out of memory", SRC_COM },
	{ 0x80070057, "E_INVALIDARG", "an argument is not valid", SRC_COM },
	{ 0x80090325, "SEC_E_UNTRUSTED_ROOT", "the certificate chain ends in a"
	    " root that is not trusted", SRC_SEC },
	{ 0x80090328, "SEC_E_CERT_EXPIRED", "the certificate has expired",
	    SRC_SEC },
	{ 0x80092012, "CRYPT_E_NO_REVOCATION_CHECK", "revocation of the"
	    " certificate could not be checked", SRC_CERT },
	{ 0x800B0104, "CERT_E_PATHLENCONST", "a path length constraint of the"
	    " chain is violated", SRC_CERT },
	{ 0x800B0105, "CERT_E_CRITICAL", "a certificate has an unknown"
	    " critical extension", SRC_CERT },
	{ 0x800B0107, "CERT_E_ISSUERCHAINING", "a parent certificate did not"
	    " issue its child", SRC_CERT },
	{ 0x800B0108, "CERT_E_MALFORMED", "a certificate misses an important"
	    " field", SRC_CERT },
	{ 0x800B0109, "CERT_E_UNTRUSTEDROOT", "the chain ends in a root"
	    " certificate that is not trusted", SRC_SEC },
	{ 0x800B0112, "CERT_E_UNTRUSTEDCA", "a CA certificate of the chain is"
	    " not trusted", SRC_CERT },
	{ 0x800B0113, "CERT_E_INVALID_POLICY", "a certificate has an invalid"
	    " policy", SRC_CERT },
	{ 0x800B0114, "CERT_E_INVALID_NAME", "a certificate name is not"
	    " permitted or is excluded", SRC_CERT },
};

/* Win32 error numbers: WinHTTP's [WH]. */
static const struct code_entry win32[] = {
	{ 12002, "ERROR_WINHTTP_TIMEOUT", "the request timed out", SRC_WH },
	{ 12007, "ERROR_WINHTTP_NAME_NOT_RESOLVED", "the server name could not"
	    " be resolved", SRC_WH },
	{ 12029, "ERROR_WINHTTP_CANNOT_CONNECT", "the connection to the server"
	    " failed", SRC_WH },
	{ 12030, "ERROR_WINHTTP_CONNECTION_ERROR", "the connection was reset"
	    " or ended by the server", SRC_WH },
	{ 12037, "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID", "the server"
	    " certificate is expired or not yet valid", SRC_WH },
	{ 12038, "ERROR_WINHTTP_SECURE_CERT_CN_INVALID", "the server"
	    " certificate's name does not match the host", SRC_WH },
	{ 12045, "ERROR_WINHTTP_SECURE_INVALID_CA", "the server certificate's"
	    " issuer is not trusted", SRC_WH },
	{ 12057, "ERROR_WINHTTP_SECURE_CERT_REV_FAILED", "revocation of the"
	    " server certificate could not be checked", SRC_WH },
	{ 12157, "ERROR_WINHTTP_SECURE_CHANNEL_ERROR", "an error in the secure"
	    " channel (TLS)", SRC_WH },
	{ 12169, "ERROR_WINHTTP_SECURE_INVALID_CERT", "the server certificate"
	    " is not valid", SRC_WH },
	{ 12175, "ERROR_WINHTTP_SECURE_FAILURE", "the server certificate has"
	    " errors (TLS secure failure)", SRC_WH },
	{ 12179, "ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE", "the server"
	    " certificate is not valid for this usage", SRC_WH },
	{ 12188, "ERROR_WINHTTP_SECURE_FAILURE_PROXY", "the proxy's"
	    " certificate has errors", SRC_WH },
};

/* HTTP status codes of the agent's "status code N" [HTTP]. */
static const struct code_entry http[] = {
	{ 200, "OK", "the request succeeded", SRC_HTTP },
	{ 400, "Bad Request", "the server rejected the request", SRC_HTTP },
	{ 401, "Unauthorized", "authentication is needed (a token or client"
	    " certificate)", SRC_HTTP },
	{ 403, "Forbidden", "the server refuses the request", SRC_HTTP },
	{ 404, "Not Found", "no such resource on the server", SRC_HTTP },
	{ 405, "Method Not Allowed", "the method (e.g. PROPFIND) is not"
	    " allowed here", SRC_HTTP },
	{ 500, "Internal Server Error", "the server failed", SRC_HTTP },
	{ 503, "Service Unavailable", "the server cannot serve now",
	    SRC_HTTP },
};

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

static const struct code_entry *
find(const struct code_entry *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return &t[i];
	return NULL;
}

static void
set_entry(struct errlookup *e, const struct code_entry *ce)
{
	if (ce == NULL)
		return;
	e->name = ce->name;
	e->text = ce->text;
	e->source = ce->source;
}

/* Decode value of kind into e (token already set); 1 known, 0 not. */
static int
decode(struct errlookup *e, uint32_t value, enum errlookup_kind kind)
{
	e->value = value;
	e->kind = kind;
	e->name = e->text = e->source = e->facility_name = NULL;
	e->severity = (int)(value >> 31);
	e->facility = (value >> 16) & 0x7ff;
	e->code = value & 0xffff;
	if (kind == ERRLOOKUP_HTTP) {
		set_entry(e, find(http, NELEM(http), value));
		return e->name != NULL;
	}
	if (kind == ERRLOOKUP_WIN32) {
		set_entry(e, find(win32, NELEM(win32), value));
		return e->name != NULL;
	}
	for (size_t i = 0; i < NELEM(facilities); i++)
		if (facilities[i].value == e->facility)
			e->facility_name = facilities[i].name;
	if (e->facility_name != NULL && e->facility == 0x7d0)
		e->source = SRC_CM;
	else if (e->facility_name != NULL)
		e->source = SRC_HR;
	set_entry(e, find(hresults, NELEM(hresults), value));
	/* HRESULT_FROM_WIN32: a Win32 error in facility 7. */
	if (e->name == NULL && e->severity && e->facility == FACILITY_WIN32)
		set_entry(e, find(win32, NELEM(win32), e->code));
	return e->name != NULL;
}

int
errlookup_code(const char *token, struct errlookup *e)
{
	const char *s = token;
	char *end;
	int hex = 0;
	long long v;

	memset(e, 0, sizeof *e);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		hex = 1;
	} else if (strlen(s) == 8 && strspn(s, "0123456789abcdefABCDEF") == 8)
		hex = 1;	/* 80070005: an HRESULT written without 0x */
	if (*s == '\0' || (hex && strspn(s, "0123456789abcdefABCDEF") !=
	    strlen(s)) || (!hex && strspn(s + (*s == '-'), "0123456789") !=
	    strlen(s + (*s == '-'))))
		return -1;
	errno = 0;
	v = strtoll(s, &end, hex ? 16 : 10);
	if (errno != 0 || *end != '\0' || v > 0xffffffffLL ||
	    v < -0x80000000LL)
		return -1;
	snprintf(e->token, sizeof e->token, "%s", token);
	/* A small decimal number is a Win32 error; anything else (hex, or
	 * a value with the severity bit) an HRESULT. */
	if (!hex && v >= 0 && v <= 0xffff)
		return decode(e, (uint32_t)v, ERRLOOKUP_WIN32);
	return decode(e, (uint32_t)v, ERRLOOKUP_HRESULT);
}

static int
seen(const struct errlookup *out, size_t n, uint32_t v, enum errlookup_kind k)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].value == v && out[i].kind == k)
			return 1;
	return 0;
}

static int
word_char(unsigned char c)
{
	return isalnum(c) || c == '_';
}

size_t
errlookup_scan(const char *text, size_t n, struct errlookup *out, size_t max)
{
	/* How this product's messages name an HTTP status: the agent's
	 * "Call to HttpSendRequestSync ... with status code 405" and the
	 * DP's "Error sending DAV request. HTTP code 405". */
	static const char *const status[] = { "status code ", "HTTP code " };
	size_t count = 0, i = 0;

	while (i < n && count < max) {
		size_t j = i, k;
		char tok[24];
		struct errlookup e;
		int r;

		if (i > 0 && word_char((unsigned char)text[i - 1])) {
			i++;
			continue;
		}
		/* "status code N", "HTTP code N": an HTTP status. */
		for (k = 0, j = 0; k < NELEM(status) && j == 0; k++)
			if (n - i > strlen(status[k]) && strncasecmp(text + i,
			    status[k], strlen(status[k])) == 0)
				j = i + strlen(status[k]);
		if (j != 0) {
			unsigned v = 0;

			for (k = j; k < n && k - j < 3 &&
			    isdigit((unsigned char)text[k]); k++)
				v = v * 10 + (unsigned)(text[k] - '0');
			if (k - j == 3 && (k == n || !word_char((unsigned
			    char)text[k]))) {
				memset(&e, 0, sizeof e);
				snprintf(e.token, sizeof e.token, "%u", v);
				decode(&e, v, ERRLOOKUP_HTTP);
				if (!seen(out, count, v, ERRLOOKUP_HTTP))
					out[count++] = e;
				i = k;
				continue;
			}
		}
		/* A number: 0x-hex, a minus sign, or digits. */
		j = i;
		if (text[j] == '-')
			j++;
		if (j + 1 < n && text[j] == '0' && (text[j + 1] == 'x' ||
		    text[j + 1] == 'X'))
			j += 2;
		for (k = j; k < n && isxdigit((unsigned char)text[k]); k++)
			;
		if (k == j || k - i >= sizeof tok || (k < n &&
		    word_char((unsigned char)text[k]))) {
			i = k > i ? k : i + 1;
			continue;
		}
		memcpy(tok, text + i, k - i);
		tok[k - i] = '\0';
		r = errlookup_code(tok, &e);
		i = k;
		if (r == -1)
			continue;
		/* Plain decimal numbers (ports, counts) only when a table
		 * knows them; hex always decodes. */
		if (e.kind == ERRLOOKUP_WIN32 && r == 0)
			continue;
		if (tok[0] != '0' && e.kind == ERRLOOKUP_HRESULT &&
		    strlen(tok) != 8 && tok[0] != '-')
			continue;	/* a big decimal: not an error code */
		if (!seen(out, count, e.value, e.kind))
			out[count++] = e;
	}
	return count;
}
