/*
 * door_auth.h - AUTH PLAIN for the loopback SMTP door (sendmail -bs on a
 *               socket) against a file of users and salted crypt(3)
 *               hashes, for shared hosts where several applications use
 *               the door and each should be identified.
 *
 * API:    door_auth_plain().
 * Trust:  the users file is named by the root-owned config; it must be a
 *         regular file owned by root or us and unreadable by others. The
 *         password is wiped after use and never logged.
 */
#ifndef SM_DOOR_AUTH_H
#define SM_DOOR_AUTH_H

#include <stddef.h>

#include "ms.h"

#define DOOR_USER_MAX 64

/* Checks a base64 AUTH PLAIN response ("authzid\0authcid\0password",
 * RFC 4616) against the users file ("name:$hash" lines, '#' comments;
 * hashes as made by mkpasswd or openssl passwd -6). On MS_OK user holds
 * the authenticated name. MS_NOPERM: wrong name or password (err says
 * which only in the log sense: "unknown user" / "wrong password");
 * MS_DATA: the response is malformed; MS_CONFIG: the users file is
 * missing, unsafe or unreadable; MS_TEMP: memory. */
enum ms_status door_auth_plain(const char *users_path, const char *b64,
    char *user, size_t ulen, struct ms_err *err);

#endif
