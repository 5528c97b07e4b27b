# aws/: credential chain, signed requests, AWS secrets, error answers;
# and relay/'s SES v2 API half, which is driven the same way.
# Integration tests run tests/unit/aws_drive against
# tests/servers/aws_server.py (HTTPS, signatures checked by botocore).
aws_test_ldadd = aws/libaws.a lib/libms.a $(CURL_LIBS) $(JANSSON_LIBS) \
	$(CRYPTO_LIBS) $(CONFUSE_LIBS)
aws_test_cppflags = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS)

check_PROGRAMS += tests/unit/test_aws_error tests/unit/test_aws_creds \
	tests/unit/test_aws_secret tests/unit/test_ses_api_error \
	tests/unit/aws_drive
tests_unit_test_aws_error_SOURCES = tests/unit/test_aws_error.c
tests_unit_test_aws_error_CPPFLAGS = $(aws_test_cppflags)
tests_unit_test_aws_error_LDADD = $(aws_test_ldadd)
tests_unit_test_aws_creds_SOURCES = tests/unit/test_aws_creds.c
tests_unit_test_aws_creds_CPPFLAGS = $(aws_test_cppflags)
tests_unit_test_aws_creds_LDADD = $(aws_test_ldadd)
tests_unit_test_aws_secret_SOURCES = tests/unit/test_aws_secret.c
tests_unit_test_aws_secret_CPPFLAGS = $(aws_test_cppflags)
tests_unit_test_aws_secret_LDADD = $(aws_test_ldadd)
tests_unit_test_ses_api_error_SOURCES = tests/unit/test_ses_api_error.c \
	relay/ses_api_error.c
tests_unit_test_ses_api_error_CPPFLAGS = $(aws_test_cppflags)
tests_unit_test_ses_api_error_LDADD = $(aws_test_ldadd)
tests_unit_aws_drive_SOURCES = tests/unit/aws_drive.c relay/msgsource.c \
	relay/ses_api.c relay/ses_api_account.c relay/ses_api_body.c \
	relay/ses_api_error.c
tests_unit_aws_drive_CPPFLAGS = $(aws_test_cppflags)
tests_unit_aws_drive_LDADD = $(aws_test_ldadd)

aws_integration_tests = \
	tests/integration/aws_send.py \
	tests/integration/aws_creds.py \
	tests/integration/aws_parity.py \
	tests/integration/aws_errors.py \
	tests/integration/aws_secret.py
TESTS += tests/unit/test_aws_error tests/unit/test_aws_creds \
	tests/unit/test_ses_api_error \
	tests/unit/test_aws_secret $(aws_integration_tests)
EXTRA_DIST += $(aws_integration_tests) tests/integration/aws_common.py \
	tests/integration/aws_botocreds.py \
	tests/servers/aws_server.py
