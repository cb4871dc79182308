/* uuid: random (version 4) UUIDs (uuid.h). */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "uuid.h"

void
uuid_v4(char out[UUID_LEN + 1])
{
	unsigned char r[16];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof r) {
		if ((n = getrandom(r + got, sizeof r - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
	    r[15]);
}
