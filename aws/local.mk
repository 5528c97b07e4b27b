# aws/: an AWS client and nothing more - SigV4 requests (libcurl), the
# credential chain, Secrets Manager / SSM secrets, error answers. Knows
# nothing about mail. Linked only by mailshim (never by the set-gid front
# end).
noinst_LIBRARIES += aws/libaws.a
aws_libaws_a_SOURCES = \
	aws/aws_creds.c aws/aws_creds.h aws/aws_provider.h \
	aws/aws_creds_chain.c \
	aws/aws_creds_env.c \
	aws/aws_profile.c \
	aws/aws_creds_profile.c \
	aws/aws_creds_sts.c \
	aws/aws_creds_process.c \
	aws/aws_creds_secret.c \
	aws/aws_json.c \
	aws/aws_creds_container.c \
	aws/aws_creds_imds.c \
	aws/aws_time.c \
	aws/aws_ini.c \
	aws/aws_request.c aws/aws_request.h \
	aws/aws_error.c aws/aws_error.h \
	aws/aws_secret.c aws/aws_secret.h \
	aws/aws_sqs.c aws/aws_sqs.h \
	aws/aws_s3.c aws/aws_s3.h
aws_libaws_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS)
