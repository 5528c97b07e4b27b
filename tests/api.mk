# tests/api.mk - the ses relay's SES v2 API transport, AWS secret sources
# (secretsmanager:, ssm:) and the SES table of `mailshim check`, end to
# end: sendmail -> mailshim flush / check against
# tests/servers/aws_server.py (HTTPS, SigV4 checked by botocore; wrapped
# by tests/integration/api_lib.py), tests/servers/smtpd.py and
# tests/servers/ses_smtpd.py.
api_integration_tests = \
	tests/integration/api_flush.py \
	tests/integration/api_secrets.py \
	tests/integration/api_rotate.py \
	tests/integration/api_smtp_rotate.py \
	tests/integration/api_pacing.py \
	tests/integration/api_reuse.py \
	tests/integration/api_role.py \
	tests/integration/api_check.py
TESTS += $(api_integration_tests)
EXTRA_DIST += $(api_integration_tests) tests/integration/api_lib.py
