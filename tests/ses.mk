# tests/ses.mk - the `ses` relay type: password derivation, region table,
# reply classification, the shared rate limiter (unit), and mailshim
# against tests/servers/ses_smtpd.py (integration).
#
# The unit tests link only the sources they test (plus lib/libms.a).
ses_test_cppflags = $(AM_CPPFLAGS) $(CRYPTO_CFLAGS)
ses_test_ldadd = lib/libms.a $(CRYPTO_LIBS)

check_PROGRAMS += tests/unit/test_ses_password tests/unit/test_ses_region \
	tests/unit/test_ses_reply tests/unit/test_ratelimit \
	tests/unit/test_ses_creds
tests_unit_test_ses_password_CPPFLAGS = $(ses_test_cppflags)
tests_unit_test_ses_password_SOURCES = tests/unit/test_ses_password.c \
	tests/unit/ses_check.h relay/ses_password.c relay/ses_region.c
tests_unit_test_ses_password_LDADD = $(ses_test_ldadd)
tests_unit_test_ses_region_CPPFLAGS = $(ses_test_cppflags)
tests_unit_test_ses_region_SOURCES = tests/unit/test_ses_region.c \
	tests/unit/ses_check.h relay/ses_region.c
tests_unit_test_ses_region_LDADD = $(ses_test_ldadd)
tests_unit_test_ses_reply_CPPFLAGS = $(ses_test_cppflags)
tests_unit_test_ses_reply_SOURCES = tests/unit/test_ses_reply.c \
	tests/unit/ses_check.h relay/ses_reply.c
tests_unit_test_ses_reply_LDADD = $(ses_test_ldadd)
tests_unit_test_ratelimit_CPPFLAGS = $(ses_test_cppflags)
tests_unit_test_ratelimit_SOURCES = tests/unit/test_ratelimit.c \
	tests/unit/ses_check.h flush/ratelimit.c flush/ratelimit_bucket.c \
	flush/ratelimit_hold.c flush/run_file.c flush/run_file.h
tests_unit_test_ratelimit_LDADD = $(ses_test_ldadd)
tests_unit_test_ses_creds_CPPFLAGS = $(ses_test_cppflags)
tests_unit_test_ses_creds_SOURCES = tests/unit/test_ses_creds.c \
	tests/unit/ses_check.h relay/ses_creds.c relay/ses_password.c \
	relay/ses_region.c
tests_unit_test_ses_creds_LDADD = $(ses_test_ldadd)

ses_integration_tests = \
	tests/integration/ses_password_cli.sh \
	tests/integration/ses_smtp.py \
	tests/integration/ses_rate.py \
	tests/integration/ses_failover.py \
	tests/integration/ses_headers.py \
	tests/integration/ses_faithful.py \
	tests/integration/ses_cron.py

TESTS += tests/unit/test_ses_password tests/unit/test_ses_region \
	tests/unit/test_ses_reply tests/unit/test_ratelimit \
	tests/unit/test_ses_creds $(ses_integration_tests)
EXTRA_DIST += $(ses_integration_tests) tests/integration/ses_lib.py \
	tests/servers/ses_smtpd.py tests/servers/ses_mkcert.sh \
	tests/servers/ses_rules.py
