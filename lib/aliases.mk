# lib/aliases.mk: the aliases table and sender masquerading (part of
# lib/libms.a; lib/local.mk adds these to the archive).
lib_aliases_sources += lib/aliases.h lib/aliases_table.h \
	lib/aliases_parser.h lib/aliases_parse.c lib/aliases_target.c \
	lib/aliases_load.c lib/aliases_resolve.c \
	lib/strset.c lib/strset.h lib/masq.c lib/masq.h \
	lib/hdrtext.c lib/hdrtext.h
