/* dp internals: what the room's files share (dp.h is the room's face). */
#ifndef DP_INT_H
#define DP_INT_H

#include <time.h>

#include "dp.h"
#include "manifest.h"

/* A served manifest made from what the reader read (taken over: freed
 * with the manifest); mtime the manifest file's. */
struct dp_manifest *dp_manifest_of(struct manifest *read, time_t mtime);

#endif
