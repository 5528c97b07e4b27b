noinst_LIBRARIES += spool/libspool.a
spool_libspool_a_SOURCES = \
	spool/envelope.c spool/envelope.h \
	spool/writer.c spool/queue.c spool/spool.h \
	spool/reserve.c spool/reserve.h spool/closer.c \
	spool/schedule.c spool/schedule_walk.c spool/schedule.h
