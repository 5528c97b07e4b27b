/*
 * door.c - the loopback SMTP door: "sendmail -bs" started by systemd
 *          (Accept=yes) with the connection as stdin and stdout. Only
 *          loopback peers may use it, and a peer that stays silent is
 *          dropped after the idle time.
 *
 * API:    door_check().  Documented in door.h.
 * Trust:  getpeername() on the inherited descriptor; nothing the peer
 *         says. A descriptor that is not a socket (a pipe from PHP's
 *         proc_open, a terminal) is the ordinary local caller.
 * Errors: none: anything that is not clearly a loopback TCP peer or a
 *         local caller is DOOR_REMOTE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "door.h"

static void
set_timeouts(int fd, long secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };

	if (secs <= 0)
		return;
	/* Best effort: without them the systemd unit's RuntimeMaxSec
	 * still ends the session. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

enum door_peer
door_check(int fd, long idle_seconds, char *desc, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stat sb;
	char ip[INET6_ADDRSTRLEN] = "?";
	enum door_peer who = DOOR_REMOTE;

	desc[0] = '\0';
	if (fstat(fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
		return DOOR_LOCAL;
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(desc, len, "unknown");
		return DOOR_REMOTE;
	}
	if (ss.ss_family == AF_UNIX) {
		snprintf(desc, len, "unix");
		set_timeouts(fd, idle_seconds);
		return DOOR_LOCAL;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
			who = DOOR_LOOPBACK;
		snprintf(desc, len, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)&ss;
		const unsigned char *a = in6->sin6_addr.s6_addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127))
			who = DOOR_LOOPBACK;
		snprintf(
		    desc, len, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(desc, len, "family %d", (int)ss.ss_family);
	}
	if (who == DOOR_LOOPBACK)
		set_timeouts(fd, idle_seconds);
	return who;
}
