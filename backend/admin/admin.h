/*
 * admin: the administration service, the SMS Provider's REST API (OData
 * v4 over HTTPS), as the agent of a site system with the SMS Provider role
 * (ehttp-mpd) hands it each request under /AdminService/. The agent reads
 * the request off the wire and writes the answer and its line in
 * adminservice.log; every decision (the URL, the query, who may do what,
 * the JSON) is made here, over the backend's calls: a change through the
 * API is the very call ehttpctl makes (the same rules, transaction,
 * notes and audit record), never a second implementation.
 *
 * URLs: /AdminService/wmi/ and /AdminService/v1.0/ (the same classes):
 *   ""            the service document (the entity sets)
 *   $metadata     the CSDL (XML) of the classes
 *   Class         a collection: value[], $filter $select $orderby $top
 *                 $skip $count; at most ADMIN_PAGE_MAX rows a page (or
 *                 Prefer: odata.maxpagesize=N), the rest by
 *                 @odata.nextLink ($skiptoken)
 *   Class(key)    one entity ('text' or a number, as the key's type)
 *   PATCH Class(key)                 change its writable properties
 *   POST Class(key)/AdminService.X   an action (Block, Unblock, Renew,
 *                                    Approve)
 * A change answers 200 with the entity as it is after it and
 * "@ehttp.Notes" (what ehttpctl prints: warnings, what was issued).
 *
 * Authentication: "Authorization: Bearer <token>" (ehttpctl admin token
 * new); anything else is 401 with a Bearer challenge (no NTLM, no Basic).
 * A read-only token reads; a change by it is 403 and an audit record.
 * Every change is audited as "<token name> (AdminService)".
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stddef.h>
#include <time.h>

#include "ehttp.h"

#define ADMIN_PAGE_MAX		1000	/* rows a page at most */
#define ADMIN_SCAN_MAX		100000	/* rows a request reads at most
					   for one page of a large class */
#define ADMIN_WORK_MAX		4000000	/* rows read x terms of the $filter
					   a request evaluates at most (a
					   page, or a $count) */
#define ADMIN_BODY_MAX		65536	/* a change's JSON */

/*
 * What the service keeps from one request to the next (its caller runs
 * one at a time): when each token's refused changes were last audited.
 * A token's refusals are audited at once, then at most once a minute with
 * the count of those in between (a loop of refused calls does not fill
 * the audit trail; adminservice.log has each).
 */
#define ADMIN_REFUSAL_AUDIT_S	60
struct admin_state;
struct admin_state *admin_state_new(void);
void	 admin_state_free(struct admin_state *);

struct admin_request {
	struct admin_state	*state;		/* NULL: every refusal audited */
	const char		*method;	/* GET HEAD PATCH POST */
	const char		*target;	/* path and query, as sent */
	const char		*authorization;	/* NULL: none */
	const char		*content_type;
	const char		*prefer;	/* Prefer: header */
	const char		*host;		/* Host: header; NULL: fqdn */
	const char		*fqdn;		/* the provider served */
	const char		*peer;		/* "127.0.0.1:5555" */
	const unsigned char	*body;
	size_t			 len;
	time_t			 now;
};

struct admin_answer {
	int		 status;
	const char	*content_type;	/* static */
	char		*body;		/* malloc'ed */
	size_t		 len;
	const char	*allow;		/* a 405's Allow:, static */
	const char	*www_authenticate;	/* a 401's, static */
	char		*headers;	/* more header lines (CRLF each), or
					   NULL; malloc'ed */
	int		 log_type;	/* CMLOG_TYPE_* */
	char		*log;		/* adminservice.log's line (the agent
					   escapes it) */
	char		 user[80];	/* who asked: a token's name, or "" */
};
void	 admin_answer_clear(struct admin_answer *);

/* Answer the request, whatever its status: a failure of the database is
 * a 500 that says it. */
void	 admin_serve(struct ehttp *, const struct admin_request *,
	    struct admin_answer *);

#endif
