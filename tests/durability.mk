# tests/durability.mk - the flusher's crash windows and the spool's
# owners (issue 19): what tests/README's crash-window table cites. Most
# need root (users, mounts) and skip otherwise.
dur_tests = \
	tests/integration/hard_durable_owner.sh \
	tests/integration/hard_durable_full.sh \
	tests/integration/hard_durable_kill.sh \
	tests/integration/hard_durable_order.sh \
	tests/integration/hard_durable_batch.sh \
	tests/integration/hard_durable_clock.sh \
	tests/integration/hard_durable_misc.sh \
	tests/integration/hard_durable_quota.sh \
	tests/integration/ops_postinst_override.sh \
	tests/integration/ses_durable_batch.py \
	tests/integration/hard_schedule_kill.sh \
	tests/integration/hard_schedule_upgrade.sh \
	tests/integration/hard_schedule_workers.sh
TESTS += $(dur_tests)
EXTRA_DIST += $(dur_tests) tests/integration/hard_order_check.py
