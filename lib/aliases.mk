# lib/aliases.mk: the aliases table and sender masquerading (part of
# lib/libms.a; lib/local.mk adds these to the archive).
lib_aliases_sources += lib/aliases.c lib/aliases.h lib/masq.c lib/masq.h
