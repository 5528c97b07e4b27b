/*
 * door.h - "sendmail -bs" behind a socket (the loopback SMTP door,
 *          contrib/systemd/mailshim-smtp.socket): who is on the other end
 *          of stdin, and whether it may talk to us.
 *
 * API:    door_check().
 * Trust:  the peer address comes from the kernel (getpeername on the
 *         descriptor systemd handed us), never from the conversation.
 */
#ifndef SM_DOOR_H
#define SM_DOOR_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

enum door_peer {
	DOOR_LOCAL,    /* stdin is not an inet socket: a local caller */
	DOOR_LOOPBACK, /* a TCP peer on 127.0.0.0/8 or ::1 */
	DOOR_REMOTE,   /* any other peer: refuse */
};

/* Looks at fd. For a socket: desc gets "127.0.0.1:41234" ("[::1]:port",
 * "unix"), and the socket gets idle_seconds (> 0) as its receive and send
 * timeout, so a silent or stuck peer ends the session. For anything
 * else desc is "". */
enum door_peer door_check(int fd, long idle_seconds, char *desc, size_t len);

#endif
