# Aliases, masquerading, and the real programs that call sendmail (PHP,
# cron, mutt, git send-email, an SMTP client on -bs) end to end.
check_PROGRAMS += tests/unit/test_aliases tests/unit/test_masq \
	tests/unit/test_hdrtext \
	tests/fuzz/replay_aliases
tests_unit_test_aliases_SOURCES = tests/unit/test_aliases.c \
	admin/cmd_newaliases.c admin/cmd_newaliases.h
tests_unit_test_aliases_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_aliases_LDADD = lib/libms.a $(CONFUSE_LIBS)
tests_unit_test_masq_SOURCES = tests/unit/test_masq.c
tests_unit_test_masq_LDADD = lib/libms.a
tests_unit_test_hdrtext_SOURCES = tests/unit/test_hdrtext.c
tests_unit_test_hdrtext_LDADD = lib/libms.a
tests_fuzz_replay_aliases_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_aliases.c
tests_fuzz_replay_aliases_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"aliases"'
tests_fuzz_replay_aliases_LDADD = lib/libms.a

if FUZZERS
# clang only: the library sources are compiled into the target so that
# libFuzzer sees their coverage.
noinst_PROGRAMS += tests/fuzz/fuzz_aliases
tests_fuzz_fuzz_aliases_SOURCES = tests/fuzz/fuzz_aliases.c \
	lib/aliases_parse.c lib/aliases_target.c lib/aliases_resolve.c \
	lib/strset.c lib/masq.c \
	lib/hdrtext.c \
	lib/addr.c lib/addr_check.c lib/ms.c lib/log.c
tests_fuzz_fuzz_aliases_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_aliases_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

compat_tests = \
	tests/integration/compat_aliases.sh \
	tests/integration/compat_bs.sh \
	tests/integration/compat_door.sh \
	tests/integration/compat_php.sh \
	tests/integration/compat_cron.sh \
	tests/integration/compat_mutt.sh \
	tests/integration/compat_git.sh
TESTS += tests/unit/test_aliases tests/unit/test_masq tests/unit/test_hdrtext \
	tests/fuzz/replay_aliases $(compat_tests)
EXTRA_DIST += $(compat_tests) tests/integration/compat_lib.sh \
	tests/integration/compat_bs_client.py tests/servers/door.py \
	tests/fuzz/corpus/aliases
