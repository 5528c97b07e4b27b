# aws/: AWS request signing (libcurl SigV4), the credential chain,
# Secrets Manager / SSM secret sources and the SES v2 API. Linked only by
# the flusher (never by the set-gid front end).
noinst_LIBRARIES += aws/libaws.a
aws_libaws_a_SOURCES = \
	aws/aws_creds.c aws/aws_creds.h \
	aws/aws_request.c aws/aws_request.h \
	aws/aws_error.c aws/aws_error.h \
	aws/aws_secret.c aws/aws_secret.h \
	aws/ses_api.c aws/ses_api.h
aws_libaws_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS)
