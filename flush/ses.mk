# flush/ses.mk - the `ses` relay type: SES regions and defaults, SMTP
# password derivation, SES reply classification, the shared rate limiter
# and relay holds, and `mailshim ses-password`. Linked into mailshim
# through flush/libflush.a (flush/local.mk).
flush_ses_sources += \
	flush/ses_password.c flush/ses_password.h \
	flush/ses_region.c flush/ses_region.h \
	flush/ses_reply.c flush/ses_reply.h \
	flush/ratelimit.c flush/ratelimit.h \
	flush/ses_creds.c flush/ses_creds.h \
	flush/relay_ses.c flush/relay_ses.h \
	flush/cmd_ses_password.c
