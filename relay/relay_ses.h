/*
 * relay_ses.h - what the `ses` relay offers beyond relay.h: its SES
 *               account's state for `mailshim check`.
 *
 * API:    relay_ses_account(), relay_ses_identity().
 * Trust:  flusher / admin tool only; credentials as for sending, never
 *         printed.
 */
#ifndef MS_RELAY_SES_H
#define MS_RELAY_SES_H

#include "ms.h"
#include "relay.h"
#include "ses_api.h"

/* Asks SES v2 GetAccount for the region of r (an `ses` relay made by
 * relay_new) with the relay's AWS credentials. Returns
 *   MS_OK      acct is filled;
 *   MS_NOPERM  the credentials work but may not call ses:GetAccount
 *              (usual for SMTP-only IAM users): quota unknown;
 *   MS_PERM    AWS rejected the credentials (wrong key or secret,
 *              expired token);
 *   MS_CONFIG  the relay has no AWS keys to sign with (SMTP user name
 *              and password only, or a secret-held key pair): quota
 *              unknown;
 *   MS_TEMP    network, TLS or service trouble.
 * err says why in every case but MS_OK. */
enum ms_status relay_ses_account(
    struct relay *r, struct ses_account *acct, struct ms_err *err);

/* Asks SES v2 GetEmailIdentity about identity (an address or a domain)
 * in r's region, with the relay's AWS credentials. Returns as
 * relay_ses_account(), and MS_NOUSER when identity is not an SES
 * identity in that region. */
enum ms_status relay_ses_identity(struct relay *r, const char *identity,
    struct ses_identity *out, struct ms_err *err);

#endif
