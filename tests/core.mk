# Spool, envelope, routing, backoff and the whole sendmail -> flush ->
# Maildir path.
test_ldadd = $(mailshim_libs)

check_PROGRAMS += tests/unit/test_envelope tests/unit/test_route \
	tests/unit/test_conf tests/unit/test_msgsource tests/unit/test_schedule \
	tests/unit/test_closer tests/unit/test_ms tests/unit/test_conf_oom
tests_unit_test_ms_SOURCES = tests/unit/test_ms.c tests/unit/tap.h
tests_unit_test_ms_LDADD = $(test_ldadd)
tests_unit_test_closer_SOURCES = tests/unit/test_closer.c tests/unit/tap.h
tests_unit_test_closer_LDADD = $(test_ldadd)
tests_unit_test_schedule_SOURCES = tests/unit/test_schedule.c tests/unit/tap.h
tests_unit_test_schedule_LDADD = $(test_ldadd)
tests_unit_test_envelope_SOURCES = tests/unit/test_envelope.c tests/unit/tap.h
tests_unit_test_envelope_LDADD = $(test_ldadd)
tests_unit_test_route_SOURCES = tests/unit/test_route.c tests/unit/tap.h
tests_unit_test_route_LDADD = $(test_ldadd)
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c tests/unit/tap.h
tests_unit_test_conf_LDADD = $(test_ldadd)
# Our own objects' allocations go through test_conf_oom's __wrap_ ones.
tests_unit_test_conf_oom_SOURCES = tests/unit/test_conf_oom.c tests/unit/tap.h
tests_unit_test_conf_oom_LDADD = $(test_ldadd)
tests_unit_test_conf_oom_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
tests_unit_test_msgsource_SOURCES = tests/unit/test_msgsource.c tests/unit/tap.h
tests_unit_test_msgsource_LDADD = $(test_ldadd)

TESTS += tests/unit/test_envelope tests/unit/test_route \
	tests/unit/test_conf tests/unit/test_msgsource tests/unit/test_schedule \
	tests/unit/test_closer tests/unit/test_ms tests/unit/test_conf_oom \
	tests/integration/core_maildir.sh \
	tests/integration/core_queue_tools.sh \
	tests/integration/core_race.sh \
	tests/integration/core_spool_errors.sh \
	tests/integration/core_check_stats.sh \
	tests/integration/flush_smtp.sh tests/integration/flush_watch.sh \
	tests/integration/flush_claim_ahead.sh \
	tests/integration/flush_rewrite.sh tests/integration/core_install.sh \
	tests/integration/flush_hold_shared.sh \
	tests/integration/flush_route_users.sh \
	tests/integration/core_odd_addresses.sh \
	tests/integration/core_spool_escape.sh \
	tests/integration/core_spool_owner.sh \
	tests/integration/core_dead_bad.sh \
	tests/integration/core_listing_full.sh \
	tests/integration/core_init_symlinks.sh \
	tests/integration/core_schedule.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/core_maildir.sh \
	tests/integration/core_queue_tools.sh tests/integration/core_race.sh \
	tests/integration/core_spool_errors.sh \
	tests/integration/core_check_stats.sh \
	tests/integration/flush_smtp.sh tests/integration/flush_watch.sh \
	tests/integration/flush_claim_ahead.sh \
	tests/integration/flush_rewrite.sh tests/integration/core_install.sh \
	tests/integration/flush_hold_shared.sh \
	tests/integration/flush_route_users.sh \
	tests/integration/core_odd_addresses.sh \
	tests/integration/core_spool_escape.sh \
	tests/integration/core_spool_owner.sh \
	tests/integration/core_dead_bad.sh \
	tests/integration/core_listing_full.sh \
	tests/integration/core_init_symlinks.sh \
	tests/integration/core_schedule.sh
