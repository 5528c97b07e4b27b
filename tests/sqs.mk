# tests/sqs.mk - the SQS hand-off: the `sqs` relay (SendMessage), `mailshim
# pull` (ReceiveMessage, the durable spool write, DeleteMessageBatch, the
# record of hand-offs taken) end to end between two spools, against
# tests/servers/sqs_server.py (SigV4 of every request checked by botocore)
# and tests/servers/smtpd.py.
sqs_integration_tests = \
	tests/integration/sqs_handoff.py \
	tests/integration/sqs_fleet.py
TESTS += $(sqs_integration_tests)
EXTRA_DIST += $(sqs_integration_tests) tests/integration/sqs_lib.py \
	tests/servers/sqs_server.py

check_PROGRAMS += tests/unit/test_aws_sqs
tests_unit_test_aws_sqs_SOURCES = tests/unit/test_aws_sqs.c
tests_unit_test_aws_sqs_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(CONFUSE_CFLAGS)
tests_unit_test_aws_sqs_LDADD = $(mailshim_libs)
TESTS += tests/unit/test_aws_sqs
