noinst_LIBRARIES += spool/libspool.a
spool_libspool_a_SOURCES = \
	spool/envelope.c spool/envelope.h spool/state_text.c \
	spool/spool_text.c spool/spool_text.h \
	spool/writer.c spool/spool.h spool/spool_priv.h \
	spool/layout.c spool/pickup.c spool/sweep.c spool/listing.c \
	spool/claim.c spool/state.c spool/outcome.c \
	spool/reserve.c spool/reserve.h spool/closer.c \
	spool/schedule.c spool/schedule_bucket.c spool/schedule_walk.c \
	spool/schedule.h
