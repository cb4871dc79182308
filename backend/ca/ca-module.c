/*
 * ca-module.c: what ehttp-ca.so hands to a program that loads the CA on
 * first use (ca-api.h): the functions of ca.h, by name, and start.
 */
#include <stddef.h>

#include "ca-api.h"
#include "ca-int.h"

static int
module_start(int clear, const char *plain)
{
	ca_plain_caller = plain;
	return clear ? ca_clear_freed_memory() : 0;
}

#define CA_API_ENTRY_INT(name, params, args)		.name = name,
#define CA_API_ENTRY(type, name, params, args)		.name = name,
#define CA_API_ENTRY_FREE(name, type)			.name = name,

extern const struct ca_api ehttp_ca_api;
const struct ca_api ehttp_ca_api = {
	.version = CA_API_SUM,
	.size = sizeof(struct ca_api),
	.start = module_start,
	CA_API(CA_API_ENTRY_INT, CA_API_ENTRY, CA_API_ENTRY,
	    CA_API_ENTRY_FREE)
};
