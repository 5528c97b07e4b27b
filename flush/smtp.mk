# flush/smtp.mk - the "smtp" relay transport and the SMTP session engine
# it shares with the SES relay. Included from flush/local.mk; the lead adds
# $(flush_smtp_sources) to the mailshim program and flush/libflush.a.
flush_smtp_sources += \
	flush/relay_smtp.c \
	flush/smtp_session.c flush/smtp_session.h \
	flush/smtp_reply.c flush/smtp_reply.h \
	flush/secret.c flush/secret.h
