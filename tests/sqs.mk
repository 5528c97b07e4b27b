# tests/sqs.mk - the SQS hand-off: the `sqs` relay (SendMessage), `mailshim
# pull` (ReceiveMessage, the durable spool write, DeleteMessageBatch, the
# record of hand-offs taken) end to end between two spools, against
# tests/servers/sqs_server.py (SigV4 of every request checked by botocore)
# and tests/servers/smtpd.py.
sqs_integration_tests = \
	tests/integration/sqs_handoff.py
TESTS += $(sqs_integration_tests)
EXTRA_DIST += $(sqs_integration_tests) tests/integration/sqs_lib.py \
	tests/servers/sqs_server.py
