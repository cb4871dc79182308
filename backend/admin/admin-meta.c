/* admin-meta: the CSDL ($metadata, OData v4 XML) of the classes, made from
 * the same tables that serve them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin-int.h"
#include "xmalloc.h"

static const char *
edm(enum od_type t)
{
	switch (t) {
	case OD_INT: return "Edm.Int64";
	case OD_BOOL: return "Edm.Boolean";
	case OD_TIME: return "Edm.DateTimeOffset";
	default: return "Edm.String";
	}
}

char *
admin_metadata(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = xopen_memstream(&buf, &len);

	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<edmx:Edmx Version=\"4.0\""
	    " xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n"
	    "<edmx:DataServices>\n"
	    "<Schema Namespace=\"AdminService\""
	    " xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n", f);
	for (size_t i = 0; i < admin_nclasses; i++) {
		const struct admin_class *c = admin_classes[i];

		fprintf(f, "<EntityType Name=\"%s\">\n<Key><PropertyRef"
		    " Name=\"%s\"/></Key>\n", c->name, c->props[c->key].name);
		for (size_t k = 0; k < c->nprops; k++)
			fprintf(f, "<Property Name=\"%s\" Type=\"%s\"%s/>\n",
			    c->props[k].name, edm(c->props[k].type), k ==
			    c->key ? " Nullable=\"false\"" : "");
		fputs("</EntityType>\n", f);
		for (const struct admin_action *a = c->actions; a != NULL &&
		    a->name != NULL; a++)
			fprintf(f, "<Action Name=\"%s\" IsBound=\"true\">"
			    "<Parameter Name=\"bindingParameter\""
			    " Type=\"AdminService.%s\"/><ReturnType"
			    " Type=\"AdminService.%s\"/></Action>\n", a->name,
			    c->name, c->name);
	}
	fputs("<EntityContainer Name=\"Container\">\n", f);
	for (size_t i = 0; i < admin_nclasses; i++)
		fprintf(f, "<EntitySet Name=\"%s\" EntityType=\"AdminService.%s\"/>\n",
		    admin_classes[i]->name, admin_classes[i]->name);
	fputs("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n"
	    "</edmx:Edmx>\n", f);
	if (fclose(f) != 0)
		abort();
	return buf;
}
