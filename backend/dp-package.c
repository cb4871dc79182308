/*
 * dp-package: what a distribution point holds, as the console lists it
 * (its Properties' Content tab): a window over the DP's packages read by
 * keyset paging, never all of them.
 */
#include <stddef.h>
#include <stdint.h>

#include "content.h"
#include "db.h"
#include "ehttp-int.h"

int
ehttp_dp_package_page(struct ehttp *e, int64_t system_id, const char *after,
    size_t limit, struct db_dp_package **v, size_t *n)
{
	return db_dp_package_page(e->db, system_id, after, limit, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_dp_package_page_before(struct ehttp *e, int64_t system_id,
    const char *before, size_t limit, struct db_dp_package **v, size_t *n)
{
	return db_dp_package_page_before(e->db, system_id, before, limit, v,
	    n) == -1 ? ehttp_fail_db(e) : 0;
}

int
ehttp_dp_package_count(struct ehttp *e, int64_t system_id, size_t *n)
{
	return db_dp_package_count(e->db, system_id, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}
