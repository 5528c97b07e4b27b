# flush/: the delivery engine - passes, workers, --watch, one message's
# delivery, routes, backoff, pacing and holds. Calls transports only
# through relay/relay.h.
noinst_LIBRARIES += flush/libflush.a
flush_libflush_a_CPPFLAGS = $(AM_CPPFLAGS) $(CONFUSE_CFLAGS) \
	$(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS)
flush_libflush_a_SOURCES = \
	flush/run.c flush/run.h flush/pass.c flush/pass.h \
	flush/watch.c flush/watch.h \
	flush/deliver.c flush/deliver.h flush/deliver_priv.h \
	flush/attempt.c flush/recipients.c flush/holds.c flush/notice.c \
	flush/route.c flush/route.h \
	flush/backoff.c flush/backoff.h \
	flush/ratelimit.c flush/ratelimit_bucket.c flush/ratelimit.h \
	flush/ratelimit_hold.c flush/run_file.c flush/run_file.h \
	flush/stats.c flush/stats.h \
	flush/pull.c flush/pull.h flush/pull_priv.h \
	flush/pull_msg.c flush/pull_queue.c \
	flush/pulled.c flush/pulled.h \
	flush/pullstats.c flush/pullstats.h
