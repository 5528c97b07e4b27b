# flush/: the flusher and admin tool `mailshim`. The only code that talks
# to the network. Transports keep their sources in their own fragments.
flush_smtp_sources =
flush_ses_sources =
include flush/smtp.mk
include flush/ses.mk

noinst_LIBRARIES += flush/libflush.a
flush_libflush_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JANSSON_CFLAGS) $(CONFUSE_CFLAGS)
flush_libflush_a_SOURCES = \
	flush/relay.c flush/relay.h \
	flush/msgsource.c flush/msgsource.h \
	flush/relay_maildir.c \
	flush/route.c flush/route.h \
	flush/backoff.c flush/backoff.h \
	flush/deliver.c flush/deliver.h \
	flush/run.c flush/run.h \
	flush/cmd_queue.c flush/cmd_queue.h \
	flush/cmd_newaliases.c \
	flush/stats.c flush/stats.h \
	flush/cmd_check.c \
	$(flush_smtp_sources) $(flush_ses_sources)

sbin_PROGRAMS += flush/mailshim
flush_mailshim_CPPFLAGS = $(flush_libflush_a_CPPFLAGS)
flush_mailshim_SOURCES = flush/main.c
flush_mailshim_LDADD = flush/libflush.a aws/libaws.a spool/libspool.a \
	lib/libms.a $(CURL_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) $(CONFUSE_LIBS)
