/* admin-int.h: inside the administration service's room (backend/admin/). */
#ifndef ADMIN_INT_H
#define ADMIN_INT_H

#include <stdint.h>

#include <jansson.h>

#include "admin.h"
#include "odata.h"

#define ADMIN_PROPS_MAX	24

/* One request being answered. */
struct admin_ctx {
	struct ehttp			*e;
	const struct admin_request	*rq;
	struct admin_answer		*a;
	char				 base[640];	/* https://host/AdminService/wmi/ */
	struct db_admin_token		 tok;
	/* Read once a request, when a class needs them (names by id). */
	struct db_system		*systems;
	size_t				 nsystems;
	int				 systems_read;
};

/* An action on one entity: POST Class(key)/AdminService.<name>. */
struct admin_action {
	const char	*name;
	int		(*run)(struct admin_ctx *, const void *rec);
};

/*
 * A class. Small ones (sites, components, roles, the newest status
 * messages) are read whole (load) and filtered, sorted and paged in
 * memory; large ones (certificates, clients) are read a page at a time in
 * an order the store keeps (page, after the record of the last page),
 * never whole: $orderby takes what sortable() accepts.
 */
struct admin_class {
	const char		*name;
	const struct od_prop	*props;
	size_t			 nprops;
	size_t			 key;		/* the key property */
	size_t			 recsize;
	int			(*load)(struct admin_ctx *, void **recs,
				    size_t *n);
	int			(*page)(struct admin_ctx *,
				    const struct od_order *, size_t norder,
				    const void *after, size_t limit,
				    void **recs, size_t *n);
	int			(*sortable)(const struct od_order *, size_t);
	/* By id (large classes: keys): 1, 0, -1. */
	int			(*get)(struct admin_ctx *, int64_t id,
				    void *rec);
	/*
	 * The skip token of a large class's page that ended at rec, in the
	 * order asked: what the store's keyset needs to go on after it (the
	 * row's sort value and id, as they were: a row changed or deleted
	 * meanwhile neither loses nor repeats rows), [0-9a-f.] only; and
	 * the record made back from one (1, or 0 not a token of this
	 * order).
	 */
	void			(*token)(const void *rec,
				    const struct od_order *, size_t norder,
				    char *buf, size_t len);
	int			(*after)(const char *token,
				    const struct od_order *, size_t norder,
				    void *rec);
	/* The count without a filter (large classes), or NULL. */
	int			(*count)(struct admin_ctx *, size_t *);
	void			(*fill)(struct admin_ctx *, const void *rec,
				    struct od_val *);
	/* PATCH: the body's properties applied (ehttp's call); NULL: not
	 * writable. 0 done, 1 refused as a bad request (ctx's answer set),
	 * -1 the backend refused (ehttp_error()). */
	int			(*patch)(struct admin_ctx *, const void *rec,
				    json_t *body);
	const struct admin_action *actions;	/* NULL-terminated, or NULL */
	const char		*orders;	/* what sortable() takes, said */
};

extern const struct admin_class *const admin_classes[];
extern const size_t admin_nclasses;

/* admin.c: an OData error answer (code the HTTP status). */
void	 admin_error(struct admin_ctx *, int status, const char *target,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The system's FQDN of id ("" none). */
const char *admin_system_fqdn(struct admin_ctx *, int64_t id);

/* admin-meta.c: the CSDL document. malloc'ed. */
char	*admin_metadata(void);

#endif
