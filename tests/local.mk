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
