/*
 * smtpd.h - "sendmail -bs": an SMTP conversation on stdin/stdout.
 *
 * API:    smtpd_run().
 * Trust:  the peer is the local caller, identified by uid; no AUTH, no
 *         TLS. Commands are bounded at SMTPD_MAX_LINE bytes.
 */
#ifndef SM_SMTPD_H
#define SM_SMTPD_H

#include "message.h"
#include "ms.h"
#include "reader.h"
#include "submit.h"

#define SMTPD_MAX_LINE 4096

/* Runs the session until QUIT or end of input (both MS_OK; an unfinished
 * transaction is dropped, committed messages stay). base supplies the
 * hostname, limit and From: name; the From: address of an added header
 * is the transaction's sender, or dflt_from for the null sender.
 * MS_IOERR when replies cannot be written or stdin cannot be read. */
enum ms_status smtpd_run(struct submit *s, struct rd *r,
    const struct msg_params *base, const char *dflt_from, struct ms_err *err);

#endif
