/*
 * uuid: random (version 4) UUIDs, for the ids ehttp makes (SMSIDs, bulk
 * token ids) and the ids of the messages ehttp-client sends.
 */
#ifndef UUID_H
#define UUID_H

#define UUID_LEN	36	/* 8-4-4-4-12 hex digits */

/* A new UUID in lower case into out (UUID_LEN + 1 bytes). The kernel's
 * randomness (getrandom); without it the program aborts: not an input. */
void	 uuid_v4(char out[UUID_LEN + 1]);

#endif
