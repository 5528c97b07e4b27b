# tests/smtp.mk - the `smtp` relay transport: reply parsing and secrets
# (unit), and the transport against tests/servers/smtpd.py through the
# tests/unit/smtp_drive driver (integration).
#
# These programs link only the sources they test plus lib/libms.a.
smtp_test_cppflags = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JANSSON_CFLAGS) $(CONFUSE_CFLAGS)

check_PROGRAMS += tests/unit/test_smtp_reply tests/unit/test_secret \
	tests/unit/test_ticket tests/unit/test_oauth2 tests/unit/smtp_drive
tests_unit_test_smtp_reply_CPPFLAGS = $(smtp_test_cppflags)
tests_unit_test_smtp_reply_SOURCES = tests/unit/test_smtp_reply.c \
	relay/smtp_reply.c relay/smtp_reply.h
tests_unit_test_smtp_reply_LDADD = lib/libms.a $(CONFUSE_LIBS)
tests_unit_test_secret_CPPFLAGS = $(smtp_test_cppflags)
tests_unit_test_secret_SOURCES = tests/unit/test_secret.c \
	relay/secret.c relay/secret.h
tests_unit_test_secret_LDADD = aws/libaws.a lib/libms.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(CRYPTO_LIBS) $(CONFUSE_LIBS)
tests_unit_test_ticket_CPPFLAGS = $(smtp_test_cppflags)
tests_unit_test_ticket_SOURCES = tests/unit/test_ticket.c \
	relay/ticket.c relay/ticket.h relay/secret.c relay/secret.h
tests_unit_test_ticket_LDADD = aws/libaws.a lib/libms.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(CRYPTO_LIBS) $(CONFUSE_LIBS)
tests_unit_test_oauth2_CPPFLAGS = $(smtp_test_cppflags)
tests_unit_test_oauth2_SOURCES = tests/unit/test_oauth2.c \
	relay/oauth2.c relay/oauth2.h relay/oauth2_jwt.c relay/oauth2_http.c \
	relay/oauth2_share.c relay/secret.c relay/secret.h
tests_unit_test_oauth2_LDADD = aws/libaws.a lib/libms.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(CRYPTO_LIBS) $(CONFUSE_LIBS)
tests_unit_smtp_drive_CPPFLAGS = $(smtp_test_cppflags)
tests_unit_smtp_drive_SOURCES = tests/unit/smtp_drive.c \
	relay/msgsource.c $(relay_smtp_sources)
tests_unit_smtp_drive_LDADD = aws/libaws.a lib/libms.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(CRYPTO_LIBS) $(CONFUSE_LIBS)

smtp_integration_tests = \
	tests/integration/smtp_wire.sh \
	tests/integration/smtp_tls.sh \
	tests/integration/smtp_clientcert.sh \
	tests/integration/smtp_oauth2.sh \
	tests/integration/smtp_oauth2_shared.sh \
	tests/integration/smtp_auth.sh \
	tests/integration/smtp_replies.sh \
	tests/integration/smtp_faults.sh \
	tests/integration/smtp_reuse.sh \
	tests/integration/smtp_proxy.sh

TESTS += tests/unit/test_smtp_reply tests/unit/test_secret \
	tests/unit/test_ticket tests/unit/test_oauth2 \
	$(smtp_integration_tests)
EXTRA_DIST += $(smtp_integration_tests) tests/integration/smtp_lib.sh \
	tests/servers/smtpd.py tests/servers/smtpd_lib.sh \
	tests/servers/mkcerts.sh tests/servers/oauth_server.py
