# The sendmail front end: address lists, options, header pipeline, and
# the whole front end against a private spool (normal mode and -bs).
check_PROGRAMS += tests/unit/test_addr tests/unit/test_sm_options \
	tests/unit/test_sm_headers
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_LDADD = lib/libms.a
tests_unit_test_sm_options_SOURCES = tests/unit/test_sm_options.c \
	sendmail/options.c sendmail/options.h
tests_unit_test_sm_options_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sendmail
tests_unit_test_sm_options_LDADD = lib/libms.a
tests_unit_test_sm_headers_SOURCES = tests/unit/test_sm_headers.c \
	sendmail/headers.c sendmail/headers.h \
	sendmail/message.c sendmail/message.h \
	sendmail/qualify.c sendmail/qualify.h \
	sendmail/reader.c sendmail/reader.h
tests_unit_test_sm_headers_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sendmail
tests_unit_test_sm_headers_LDADD = lib/libms.a

TESTS += tests/unit/test_addr tests/unit/test_sm_options \
	tests/unit/test_sm_headers \
	tests/integration/sendmail_spool.sh tests/integration/sendmail_bs.sh \
	tests/integration/sendmail_smuggle.sh \
	tests/integration/sendmail_wire.sh \
	tests/integration/sendmail_environ.sh
EXTRA_DIST += tests/integration/sendmail_spool.sh \
	tests/integration/sendmail_bs.sh tests/integration/sendmail_smuggle.sh \
	tests/integration/sendmail_wire.sh tests/integration/sendmail_environ.sh
