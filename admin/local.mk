# admin/: the `mailshim` program - main and one file per command. The top
# of the include order: admin -> flush -> relay -> aws -> spool, lib.
sbin_PROGRAMS += admin/mailshim
admin_mailshim_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JANSSON_CFLAGS) $(CONFUSE_CFLAGS)
admin_mailshim_SOURCES = \
	admin/main.c admin/admin.h admin/privdrop.c \
	admin/cmd_init.c \
	admin/cmd_flush.c \
	admin/cmd_pull.c \
	admin/cmd_queue.c admin/cmd_queue_act.c admin/cmd_queue.h \
	admin/cmd_check.c admin/cmd_check.h admin/check_identity.c \
	admin/check_account.c \
	admin/cmd_stats.c admin/cmd_stats.h \
	admin/cmd_ses_password.c \
	admin/cmd_newaliases.c admin/cmd_newaliases.h
admin_mailshim_LDADD = $(mailshim_libs)

# Everything the mailshim program links, in include order (tests that
# drive the engine link the same).
mailshim_libs = flush/libflush.a relay/librelay.a aws/libaws.a \
	spool/libspool.a lib/libms.a \
	$(CURL_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) $(CONFUSE_LIBS)
