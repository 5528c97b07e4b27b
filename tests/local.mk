# Tests: one fragment per area. tests/README explains how to run them.
include tests/core.mk
include tests/sendmail.mk
include tests/smtp.mk
include tests/aws.mk
include tests/ses.mk
include tests/compat.mk
include tests/ops.mk
include tests/hardening.mk
include tests/api.mk
include tests/sqs.mk
include tests/durability.mk

# The list of tests, for tests/run-suite.sh (the ASan run leaves out the
# tests that cannot run under a sanitizer and runs in the -Werror build).
print-tests:
	@echo $(TESTS)
.PHONY: print-tests
