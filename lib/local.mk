# lib/: small pieces both programs share. Nothing here may need libcurl or
# libcrypto: the front end links this archive.
lib_aliases_sources =
include lib/aliases.mk

noinst_LIBRARIES += lib/libms.a
lib_libms_a_CPPFLAGS = $(AM_CPPFLAGS) $(CONFUSE_CFLAGS)
lib_libms_a_SOURCES = \
	lib/ms.c lib/ms.h \
	lib/log.c lib/log.h \
	lib/conf.c lib/conf.h lib/conf_priv.h lib/conf_schema.c \
	lib/conf_validate.c lib/conf_fill.c lib/conf_relay.c \
	lib/durations.c lib/durations.h \
	lib/addr.c lib/addr_check.c lib/addr.h \
	lib/escape.c lib/escape.h \
	$(lib_aliases_sources)
