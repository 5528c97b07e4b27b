# tests/hardening.mk - hardening: privilege model, kill -9 crash
# injection, relay faults, spool damage, concurrency, valgrind, and the
# libFuzzer targets with their replay programs. Included at the end of
# tests/local.mk. tests/README has the report table.

hard_fuzz_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/sendmail $(CONFUSE_CFLAGS)
hard_fuzz_ldadd = spool/libspool.a lib/libms.a $(CONFUSE_LIBS)
hard_replays = tests/fuzz/replay_options tests/fuzz/replay_headers \
	tests/fuzz/replay_smtpin tests/fuzz/replay_conf \
	tests/fuzz/replay_spool tests/fuzz/replay_reply \
	tests/fuzz/replay_addr
check_PROGRAMS += $(hard_replays)

# Each replay program is tests/fuzz/replay.c + one target + what the target
# exercises, without a fuzzing engine; `make check` runs it over the corpus.
tests_fuzz_replay_options_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_options.c sendmail/options.c
tests_fuzz_replay_options_CPPFLAGS = $(hard_fuzz_cppflags) \
	-DFUZZ_CORPUS='"options"'
tests_fuzz_replay_options_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_headers_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_headers.c sendmail/headers.c sendmail/message.c \
	sendmail/qualify.c sendmail/reader.c
tests_fuzz_replay_headers_CPPFLAGS = $(hard_fuzz_cppflags) \
	-DFUZZ_CORPUS='"headers"'
tests_fuzz_replay_headers_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_smtpin_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_smtpin.c sendmail/smtpd.c sendmail/smtpd_args.c \
	sendmail/door.c \
	sendmail/door_auth.c sendmail/headers.c sendmail/message.c \
	sendmail/qualify.c sendmail/reader.c
tests_fuzz_replay_smtpin_CPPFLAGS = $(hard_fuzz_cppflags) \
	-DFUZZ_CORPUS='"smtpin"'
tests_fuzz_replay_smtpin_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_conf_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_conf.c
tests_fuzz_replay_conf_CPPFLAGS = $(hard_fuzz_cppflags) -DFUZZ_CORPUS='"conf"'
tests_fuzz_replay_conf_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_spool_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_spool.c
tests_fuzz_replay_spool_CPPFLAGS = $(hard_fuzz_cppflags) \
	-DFUZZ_CORPUS='"spool"'
tests_fuzz_replay_spool_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_reply_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_reply.c \
	relay/smtp_reply.c
tests_fuzz_replay_reply_CPPFLAGS = $(hard_fuzz_cppflags) \
	-DFUZZ_CORPUS='"reply"'
tests_fuzz_replay_reply_LDADD = $(hard_fuzz_ldadd)
tests_fuzz_replay_addr_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_addr.c
tests_fuzz_replay_addr_CPPFLAGS = $(hard_fuzz_cppflags) -DFUZZ_CORPUS='"addr"'
tests_fuzz_replay_addr_LDADD = $(hard_fuzz_ldadd)

if FUZZERS
# clang only: the sources under test are compiled into each target so that
# libFuzzer sees their coverage. tests/fuzz/run-fuzzers.sh builds and runs
# them all.
hard_fuzz_flags = -fsanitize=fuzzer,address,undefined
hard_fuzz_lib = lib/ms.c lib/log.c lib/addr.c lib/addr_check.c lib/hdrtext.c \
	lib/strset.c
# the spool file text: envelope, state, and the line helpers they share
hard_fuzz_spool = spool/envelope.c spool/state_text.c spool/spool_text.c
noinst_PROGRAMS += tests/fuzz/fuzz_options tests/fuzz/fuzz_headers \
	tests/fuzz/fuzz_smtpin tests/fuzz/fuzz_conf tests/fuzz/fuzz_spool \
	tests/fuzz/fuzz_reply tests/fuzz/fuzz_addr
tests_fuzz_fuzz_options_SOURCES = tests/fuzz/fuzz_options.c \
	sendmail/options.c $(hard_fuzz_lib)
tests_fuzz_fuzz_options_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_options_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_options_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_headers_SOURCES = tests/fuzz/fuzz_headers.c \
	sendmail/headers.c sendmail/message.c sendmail/qualify.c \
	sendmail/reader.c $(hard_fuzz_lib)
tests_fuzz_fuzz_headers_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_headers_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_headers_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_smtpin_SOURCES = tests/fuzz/fuzz_smtpin.c sendmail/smtpd.c \
	sendmail/smtpd_args.c \
	sendmail/door.c sendmail/door_auth.c \
	sendmail/headers.c sendmail/message.c sendmail/qualify.c \
	sendmail/reader.c $(hard_fuzz_spool) $(hard_fuzz_lib)
tests_fuzz_fuzz_smtpin_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_smtpin_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_smtpin_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c lib/conf.c \
	lib/conf_priv.h lib/conf_schema.c lib/conf_validate.c lib/conf_fill.c \
	lib/conf_relay.c lib/durations.c $(hard_fuzz_lib)
tests_fuzz_fuzz_conf_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_conf_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_conf_LDADD = $(CONFUSE_LIBS)
tests_fuzz_fuzz_spool_SOURCES = tests/fuzz/fuzz_spool.c $(hard_fuzz_spool) \
	$(hard_fuzz_lib)
tests_fuzz_fuzz_spool_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_spool_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_spool_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_reply_SOURCES = tests/fuzz/fuzz_reply.c relay/smtp_reply.c \
	$(hard_fuzz_lib)
tests_fuzz_fuzz_reply_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_reply_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_reply_LDFLAGS = $(hard_fuzz_flags)
tests_fuzz_fuzz_addr_SOURCES = tests/fuzz/fuzz_addr.c $(hard_fuzz_spool) \
	$(hard_fuzz_lib)
tests_fuzz_fuzz_addr_CPPFLAGS = $(hard_fuzz_cppflags)
tests_fuzz_fuzz_addr_CFLAGS = $(AM_CFLAGS) $(hard_fuzz_flags)
tests_fuzz_fuzz_addr_LDFLAGS = $(hard_fuzz_flags)
endif

hard_tests = \
	tests/integration/hard_spool_damage.sh \
	tests/integration/hard_concurrency.sh \
	tests/integration/hard_crash.sh \
	tests/integration/hard_relay_faults.sh \
	tests/integration/hard_drop_data.sh \
	tests/integration/hard_privilege.sh \
	tests/integration/hard_valgrind.sh
TESTS += $(hard_replays) $(hard_tests)
EXTRA_DIST += $(hard_tests) tests/integration/hard_faultd.py \
	tests/fuzz/run-fuzzers.sh tests/fuzz/corpus/options \
	tests/fuzz/corpus/headers tests/fuzz/corpus/smtpin \
	tests/fuzz/corpus/conf tests/fuzz/corpus/spool \
	tests/fuzz/corpus/reply tests/fuzz/corpus/addr
