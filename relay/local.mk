# relay/: every transport behind relay.h (maildir, smtp, ses over SMTP and
# the v2 API), the message source they read and secret references. With
# aws/, the only code that talks to the network. Linked only by mailshim.
relay_smtp_sources = \
	relay/relay_smtp.c \
	relay/smtp_session.c relay/smtp_session.h relay/smtp_priv.h \
	relay/smtp_callbacks.c relay/smtp_handle.c relay/smtp_transact.c \
	relay/smtp_why.c relay/smtp_why.h \
	relay/smtp_results.c relay/smtp_results.h \
	relay/smtp_reply.c relay/smtp_reply.h \
	relay/secret.c relay/secret.h \
	relay/ticket.c relay/ticket.h \
	relay/oauth2.c relay/oauth2.h relay/oauth2_jwt.c relay/oauth2_http.c \
	relay/oauth2_share.c
relay_ses_sources = \
	relay/relay_ses.c relay/relay_ses.h relay/ses_priv.h \
	relay/ses_outcome.c \
	relay/relay_ses_api.c \
	relay/ses_api.c relay/ses_api.h relay/ses_api_priv.h \
	relay/ses_api_account.c relay/ses_api_body.c relay/ses_api_identity.c \
	relay/ses_api_error.c relay/ses_api_error.h \
	relay/ses_creds.c relay/ses_creds.h relay/ses_creds_load.c \
	relay/ses_password.c relay/ses_password.h \
	relay/ses_region.c relay/ses_region.h \
	relay/ses_reply.c relay/ses_reply.h

noinst_LIBRARIES += relay/librelay.a
relay_librelay_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JANSSON_CFLAGS) $(CONFUSE_CFLAGS)
relay_librelay_a_SOURCES = \
	relay/relay.c relay/relay.h \
	relay/msgsource.c relay/msgsource.h \
	relay/relay_maildir.c \
	relay/relay_sqs.c relay/relay_sqs.h \
	relay/sqs_request.c relay/sqs_priv.h \
	$(relay_smtp_sources) $(relay_ses_sources)
